// Command otpair plays both sides of a TOTP enrolment: an authenticator that keeps
// secrets in the OS keyring and shows codes, and a verifier that enrols users and checks
// their codes, paired in a terminal UI.
//
// Usage:
//
//	otpair                         the TUI (local backend, keyring vault)
//	otpair import SOURCE...        another app's backup, otpauth:// or otpauth-migration:// URI, image, text file, or -
//	otpair add --issuer I --account A [--algorithm --digits --period --hotp --counter]
//	otpair list [--json]
//	otpair code QUERY [--at TIME] [--json] [--copy]
//	otpair codes [QUERY] [--json]  every account's code at once
//	otpair totp SECRET|URI|- [--at TIME] [--window N]   a code without a vault
//	otpair export [--format uri|migration|qr|aegis] [QUERY]
//	otpair rm QUERY
//	otpair unlock [--for 15m] · otpair lock   a passphrase vault's key in the kernel keyring
//	otpair decode IMAGE...         print every otpauth URI found in the images
//	otpair qr URI [--png FILE]     draw a QR code
//	otpair serve [--addr 127.0.0.1:8090] [--db PATH|postgres://…]
//	otpair verifier signup|signin|update|delete-seed|me|refresh|logout …
//	otpair completion bash|zsh|fish|powershell · otpair man · otpair --version
//
// OTPAIR_HOME moves all state into one folder. Exit status: 0 success, 1 failure, 2 bad
// usage, 130 or 143 when SIGINT or SIGTERM ended a command. Run "otpair help" for the
// full list, "otpair help COMMAND" for a command's flags.
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/internal/safetext"
)

// env is what every subcommand is handed instead of reaching for globals, so tests can
// run commands in-process with their own streams, clock and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
	getenv func(string) string

	// quiet is -q: no notices (notice), for scripts. Set while the command line is
	// parsed.
	quiet bool
	// noPrompt: the vault opens without asking anything (no passphrase prompt, no
	// keyring unlock prompt) or not at all: shell completion.
	noPrompt bool
}

func init() {
	// otpair with no command is a TUI, which runs in the console window that Explorer
	// opens: cobra's "this is a command line tool" splash would stand in its way.
	cobra.MousetrapHelpText = ""
}

func main() {
	ctx, stop := signalContext(context.Background())
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: time.Now, getenv: os.Getenv}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// interrupted is the cause of a command's context when SIGINT or SIGTERM ended it. Like
// context.Canceled, which it matches, it stops whatever waits on the context: the
// vault lock, a prompt, a decode, a server.
type interrupted struct{ sig os.Signal }

func (i interrupted) Error() string { return "interrupted by " + signalName(i.sig) }

// Is makes errors.Is(err, context.Canceled) true, as for any cancelled context.
func (i interrupted) Is(target error) bool { return target == context.Canceled }

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// signalContext is parent, cancelled with an interrupted cause by the first SIGINT or
// SIGTERM. After that first signal the default action comes back, so a second one
// ends the process at once: the way out of anything that still does not listen.
func signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(interrupted{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// exitInterrupted is the exit status of a command a signal ended: 128 plus the signal's
// number, as shells report it (130 for SIGINT, 143 for SIGTERM).
func exitInterrupted(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// run parses args against the command tree, runs the command they name and turns its
// error into an exit status: 0, 1 for a failure, 2 for bad usage, 128+N for signal N.
// Every error is printed once, on one line, prefixed with the command's path.
func run(ctx context.Context, e *env, args []string) int {
	root := newRoot(e)
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	prefix := "otpair"
	if c != nil && c != root {
		prefix = c.CommandPath()
	}
	var intr interrupted
	switch {
	case errors.As(context.Cause(ctx), &intr):
		msg := err.Error()
		if !strings.Contains(msg, intr.Error()) {
			msg += " (" + intr.Error() + ")"
		}
		safetext.Fprintf(e.stderr, "%s: %s\n", prefix, msg)
		return exitInterrupted(intr.sig)
	case errors.Is(err, errUsage):
		safetext.Fprintf(e.stderr, "%s: %v\n", prefix, err)
		return 2
	default:
		safetext.Fprintf(e.stderr, "%s: %v\n", prefix, err)
		return 1
	}
}
