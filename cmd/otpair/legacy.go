package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/otpair/otpair/internal/safetext"
)

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
