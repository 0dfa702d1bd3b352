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
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
