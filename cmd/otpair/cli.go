package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command tree is built with cobra, afresh for every run (so that no flag value
// leaks from one in-process run into the next), with otpair's rules on top: bad usage
// is an errUsage error (exit status 2) that suggests the closest command, flag or
// value; help goes through printHelp; every area registers its commands from an init
// function in its own file, so adding a command never touches this one.

// Command groups, in the order the help lists them.
const (
	groupAccounts = "accounts"
	groupVault    = "vault"
	groupVerifier = "verifier"
	groupOther    = "other"
)

var commandGroups = []*cobra.Group{
	{ID: groupAccounts, Title: "Authenticator:"},
	{ID: groupVault, Title: "The vault:"},
	{ID: groupVerifier, Title: "Verifier:"},
	{ID: groupOther, Title: "Other:"},
}

// builder makes one top-level command for a run, its flags bound to fresh variables.
type builder func(e *env) *cobra.Command

var builders []struct {
	group string
	build builder
}

// registerCmd adds a top-level command to the tree, in group.
func registerCmd(group string, b builder) {
	builders = append(builders, struct {
		group string
		build builder
	}{group, b})
}

// tuiCommand is the name of the TUI's command, which otpair runs with no command.
const tuiCommand = "tui"

// newRoot builds the whole tree for one run on e's streams.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "otpair",
		Short: "both sides of TOTP, in one terminal",
		Long: "otpair is an authenticator (otpauth URIs, QR codes, other apps' backups; codes for\n" +
			"scripts) and a verifier (TOTP sign-up and sign-in, in-process, over HTTP with\n" +
			"Descope's API, or as a client), paired in a terminal UI.",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(c, args[0])
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error {
			return runTUI(c.Context(), e, tuiFlags{backend: "local"})
		},
		Version:           versionLine(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(flagError)
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentFlags().BoolVarP(&e.quiet, "quiet", "q", false, "no notices on standard error (which protection the vault uses, where it was created); warnings and errors still")
	root.AddGroup(commandGroups...)
	installHelp(e, root)
	for _, b := range builders {
		c := b.build(e)
		c.GroupID = b.group
		root.AddCommand(c)
	}
	return root
}

// errUsage marks a bad command line: exit status 2.
var errUsage = errors.New("usage")

// usageError wraps a message as a usage error.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// unknownCommand is the usage error for a command c does not have, with the closest
// ones suggested.
func unknownCommand(c *cobra.Command, name string) error {
	path := c.CommandPath()
	msg := fmt.Sprintf("unknown command %q for %q", name, path)
	if s := closest(name, commandNames(c)); len(s) > 0 {
		msg += " (did you mean " + orList(s) + "?)"
	}
	return usageError("%s; '%s help' lists them", msg, path)
}

// commandNames is the names of c's subcommands a user may type.
func commandNames(c *cobra.Command) []string {
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			names = append(names, sub.Name())
		}
	}
	return names
}

// flagError turns pflag's errors into usage errors: an unknown flag names the closest
// one, and a long flag written with one dash (-json, as Go's flag package took it) is
// told to take two.
func flagError(c *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		if group := ne.GetSpecifiedShortnames(); len(group) > 1 {
			name, _, _ := strings.Cut(group, "=")
			if c.Flags().Lookup(name) != nil {
				return usageError("-%s: flags take two dashes: --%s", name, name)
			}
			return usageError("flag provided but not defined: -%s%s", group, suggestFlag(c, name))
		}
		name := ne.GetSpecifiedName()
		dashes := "--"
		if ne.GetSpecifiedShortnames() != "" {
			dashes = "-"
		}
		return usageError("flag provided but not defined: %s%s%s", dashes, name, suggestFlag(c, name))
	}
	return usageError("%v", err)
}

// suggestFlag is " (did you mean --NAME?)" for the flags of c closest to name, or "".
func suggestFlag(c *cobra.Command, name string) string {
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	close := closest(name, names)
	if len(close) == 0 {
		return ""
	}
	for i := range close {
		close[i] = "--" + close[i]
	}
	return " (did you mean " + orList(close) + "?)"
}

// closest is the words of choices that start with word, or else those nearest to it
// within an edit distance of 2 (all of them on a tie), case-insensitively, in the
// order of choices: "bsh" suggests bash, not zsh and fish as well.
func closest(word string, choices []string) []string {
	w := strings.ToLower(word)
	if w == "" {
		return nil
	}
	var prefixed, near []string
	best := 3
	for _, c := range choices {
		lc := strings.ToLower(c)
		if strings.HasPrefix(lc, w) {
			prefixed = append(prefixed, c)
			continue
		}
		switch d := levenshtein(w, lc); {
		case d < best:
			best, near = d, []string{c}
		case d == best:
			near = append(near, c)
		}
	}
	if len(prefixed) > 0 {
		return prefixed
	}
	return near
}

// levenshtein is the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// orList joins words as "a", "a or b", "a, b or c".
func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// newGroup is a command whose subcommands do the work (vault, verifier, flow). Named
// alone it prints its help on standard error and is a usage error; "help" prints the
// help; an unknown subcommand is a usage error naming the closest ones. noun is what
// its subcommands are called ("step", "vault command").
func newGroup(e *env, use, short, long, noun string) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Long: long,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				writeHelp(e.stderr, c)
				return usageError("name a %s", noun)
			case args[0] == "help":
				writeHelp(e.stderr, c)
				return nil
			}
			names := commandNames(c)
			msg := fmt.Sprintf("unknown %s %q", noun, args[0])
			if close := closest(args[0], names); len(close) > 0 {
				msg += " (did you mean " + orList(close) + "?)"
			}
			return usageError("%s; want %s", msg, orList(names))
		},
	}
}
