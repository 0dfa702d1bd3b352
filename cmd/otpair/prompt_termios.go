//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package main

import (
	"context"
	"errors"

	"golang.org/x/sys/unix"
)

// readSecretLine reads one line from the terminal fd with echo off, and returns early
// when ctx ends. Echo goes off and comes back here, in the caller's goroutine, so the
// terminal is restored before readSecretLine returns whatever ended the wait (a
// goroutine that changed the mode itself could change it back after the caller had
// given up). The reading goroutine (readOrCancel's) only reads.
func readSecretLine(ctx context.Context, fd int) ([]byte, error) {
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	quiet.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err != nil {
		return nil, err
	}
	defer unix.IoctlSetTermios(fd, ioctlSetTermios, old)
	return readOrCancel(ctx, func() ([]byte, error) { return readFDLine(fd) })
}

// maxSecretLine bounds a typed secret.
const maxSecretLine = 4096

// readFDLine reads up to a newline (or end of input after some text) from fd, a byte
// at a time so nothing after the line is consumed.
func readFDLine(fd int) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := unix.Read(fd, b[:])
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return nil, err
		case n == 0 && len(line) == 0:
			return nil, errors.New("end of input")
		case n == 0 || b[0] == '\n':
			return line, nil
		case b[0] == '\r':
			continue
		case len(line) >= maxSecretLine:
			return nil, errors.New("the line is too long")
		}
		line = append(line, b[0])
	}
}
