package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/safetext"
)

// The variables that give the vault passphrase to scripts.
const (
	envPassphrase    = "OTPAIR_PASSPHRASE"     // opens a passphrase vault; protects a new one
	envNewPassphrase = "OTPAIR_NEW_PASSPHRASE" // the new passphrase of vault rekey --passphrase
)

// passphraseAttempts is how often a prompt asks again for a new passphrase that is too
// short or was not repeated the same.
const passphraseAttempts = 3

// passphrasePrompt gives the vault passphrase. An existing one comes from
// OTPAIR_PASSPHRASE, else a prompt without echo when stdin is a terminal. A new one
// (a new vault, a rekey) comes from OTPAIR_NEW_PASSPHRASE; else, for a new vault, from
// OTPAIR_PASSPHRASE or the prompt (asked twice); for a rekey, from the prompt, or
// OTPAIR_PASSPHRASE when the vault has no passphrase yet (so that it is not the old
// one). With neither a variable nor a terminal it fails at once, naming the variable;
// a prompt ends when ctx does (Ctrl-C, SIGTERM). It never calls the vault.
func passphrasePrompt(e *env) authenticator.PassphraseFunc {
	return func(ctx context.Context, req authenticator.PassphraseRequest) (string, error) {
		if !req.New {
			if p := e.getenv(envPassphrase); p != "" {
				return p, nil
			}
			fd, ok := terminalFD(e.stdin)
			if !ok {
				return "", fmt.Errorf("%w: set %s, or run otpair in a terminal to be asked", authenticator.ErrPassphraseNeeded, envPassphrase)
			}
			return readHidden(ctx, e, fd, "Passphrase for "+req.Path+": ")
		}
		if p := e.getenv(envNewPassphrase); p != "" {
			return p, nil
		}
		old := e.getenv(envPassphrase)
		if req.Current == 0 && old != "" {
			return old, nil
		}
		if fd, ok := terminalFD(e.stdin); ok {
			return askNewPassphrase(ctx, e, fd, req.Path)
		}
		if old != "" && req.Current != authenticator.ProtectionPassphrase {
			return old, nil
		}
		want := envNewPassphrase
		if req.Current == 0 {
			want = envPassphrase + " (or " + envNewPassphrase + ")"
		}
		return "", fmt.Errorf("%w: a new passphrase is needed: set %s, or run otpair in a terminal to be asked", authenticator.ErrPassphraseNeeded, want)
	}
}

// askNewPassphrase asks twice for a new passphrase on the terminal fd, and again (up
// to passphraseAttempts times) when it is too short or the two differ.
func askNewPassphrase(ctx context.Context, e *env, fd int, path string) (string, error) {
	var why error
	for range passphraseAttempts {
		p, err := readHidden(ctx, e, fd, "New passphrase for "+path+" (at least "+fmt.Sprint(authenticator.MinPassphraseLen)+" characters): ")
		if err != nil {
			return "", err
		}
		if why = authenticator.CheckNewPassphrase(p); why != nil {
			safetext.Fprintf(e.stderr, "otpair: %v\n", why)
			continue
		}
		again, err := readHidden(ctx, e, fd, "Repeat the passphrase: ")
		if err != nil {
			return "", err
		}
		if again == p {
			return p, nil
		}
		why = errors.New("the two passphrases differ")
		safetext.Fprintf(e.stderr, "otpair: %v\n", why)
	}
	return "", why
}

// terminalFD is stdin's file descriptor when it is a terminal.
func terminalFD(r io.Reader) (int, bool) {
	f, ok := r.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// readHidden shows prompt on stderr and reads a line from the terminal fd without
// echo. It ends when ctx does, with the terminal as it was.
func readHidden(ctx context.Context, e *env, fd int, prompt string) (string, error) {
	safetext.Fprint(e.stderr, prompt)
	b, err := readSecretLine(ctx, fd)
	safetext.Fprintln(e.stderr)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("nothing was typed: %w", context.Cause(ctx))
		}
		return "", fmt.Errorf("read from the terminal: %w", err)
	}
	return string(b), nil
}

// readLine reads one line from r (a confirmation or a piped secret), giving up when
// ctx ends.
func readLine(ctx context.Context, r io.Reader) (string, error) {
	line, err := readOrCancel(ctx, func() (string, error) {
		return bufio.NewReader(io.LimitReader(r, 1<<16)).ReadString('\n')
	})
	if ctx.Err() != nil && err == context.Cause(ctx) {
		return "", err
	}
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("nothing on standard input")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readOrCancel runs read in a goroutine and returns what it returns, or ctx's cause
// when ctx ends first. The goroutine then stays blocked in read until the process
// exits, which the CLI is about to do: a read from a terminal or a pipe cannot be
// interrupted any other way that works everywhere.
func readOrCancel[T any](ctx context.Context, read func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}
