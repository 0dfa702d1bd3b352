// Command otpair plays both sides of a TOTP enrolment: an authenticator that keeps
// secrets in the OS keyring and shows codes, and a verifier that enrols users and checks
// their codes, paired in a terminal UI.
//
// Usage:
//
//	otpair                         the TUI (local backend, keyring vault)
//	otpair import SOURCE...        another app's backup, otpauth:// or otpauth-migration:// URI, image, text file, or -
//	otpair add --issuer I --account A [--secret S] [--algorithm --digits --period --hotp --counter]
//	otpair list [--json]
//	otpair code QUERY [--at TIME] [--json]
//	otpair export [--format uri|migration|qr|aegis] [QUERY]
//	otpair rm QUERY
//	otpair decode IMAGE...         print every otpauth URI found in the images
//	otpair qr URI [--png FILE]     draw a QR code
//	otpair serve [--addr 127.0.0.1:8090] [--db PATH|postgres://…]
//	otpair verifier signup|signin|update|delete-seed|me|refresh|logout …
//
// OTPAIR_HOME moves all state into one folder. Exit status: 0 success, 1 failure, 2 bad
// usage. Run "otpair help" for the full list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

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
}

// command is one subcommand. Each area of otpair registers its own in an init function
// of its own file, so adding a command never touches this one.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("otpair: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks a bad command line: exit status 2.
var errUsage = errors.New("usage")

// usageError wraps a message as a usage error.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// tuiCommand is the name run when otpair is started without a subcommand.
const tuiCommand = "tui"

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

// run dispatches args to a subcommand and turns its error into an exit status.
func run(ctx context.Context, e *env, args []string) int {
	name := tuiCommand
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "help", "-h", "-help", "--help":
		printHelp(e.stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		safetext.Fprintf(e.stderr, "otpair: unknown command %q\n\n", name)
		printHelp(e.stderr)
		return 2
	}
	err := c.run(ctx, e, args)
	var intr interrupted
	switch {
	case err == nil:
		return 0
	case errors.As(context.Cause(ctx), &intr):
		msg := err.Error()
		if !strings.Contains(msg, intr.Error()) {
			msg += " (" + intr.Error() + ")"
		}
		safetext.Fprintf(e.stderr, "otpair %s: %s\n", name, msg)
		return exitInterrupted(intr.sig)
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		safetext.Fprintf(e.stderr, "otpair %s: %v\n", name, err)
		return 2
	default:
		safetext.Fprintf(e.stderr, "otpair %s: %v\n", name, err)
		return 1
	}
}

func printHelp(w io.Writer) {
	safetext.Fprintln(w, "otpair: both sides of TOTP, in one terminal")
	safetext.Fprintln(w)
	safetext.Fprintln(w, "Usage: otpair [command] [flags]   (no command: the TUI)")
	safetext.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		safetext.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	safetext.Fprintln(w)
	safetext.Fprintln(w, "Run 'otpair COMMAND -h' for a command's flags. OTPAIR_HOME moves all state into one folder.")
}

// newFlagSet returns a flag set for a subcommand whose errors come back to run instead of
// exiting, and whose usage goes to the command's stderr.
func newFlagSet(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("otpair "+name, flag.ContinueOnError)
	// The flag package prints its errors itself, quoting the argument it refused.
	fs.SetOutput(safetext.Writer(e.stderr))
	fs.Usage = func() {
		safetext.Fprintf(e.stderr, "Usage: otpair %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning a flag error into a usage error (exit 2). Flags may
// come after positional arguments too ("otpair code github --json").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %s", errUsage, strings.TrimSpace(err.Error()))
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
