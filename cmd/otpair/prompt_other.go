//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import (
	"context"

	"golang.org/x/term"
)

// readSecretLine reads one line from the terminal fd without echo, returning early
// when ctx ends. Here x/term changes the terminal's mode in the reading goroutine, so
// an early return may leave echo off until that read ends.
func readSecretLine(ctx context.Context, fd int) ([]byte, error) {
	return readOrCancel(ctx, func() ([]byte, error) { return term.ReadPassword(fd) })
}
