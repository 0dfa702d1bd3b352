package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Flag helpers shared by the commands: words from a fixed set, positional argument
// counts, and notices that -q silences.

// enumValue is a string flag that takes one word of a fixed set (or, with other, some
// open form as well, such as a URL). Anything else is refused as the command line is
// parsed, with the closest words suggested: --format urii says "did you mean uri?".
type enumValue struct {
	p       *string
	choices []string
	fold    func(string) string // normalises before comparing; nil: exact
	other   func(string) error  // accepts what is not a choice; nil: nothing else
	want    string              // what the error says is wanted; "" lists the choices
}

// String implements pflag.Value.
func (v *enumValue) String() string { return *v.p }

// Type implements pflag.Value: the placeholder in the help.
func (v *enumValue) Type() string { return "string" }

// Set implements pflag.Value.
func (v *enumValue) Set(s string) error {
	norm := s
	if v.fold != nil {
		norm = v.fold(s)
	}
	for _, c := range v.choices {
		if norm == c {
			*v.p = c
			return nil
		}
	}
	if v.other != nil && v.other(s) == nil {
		*v.p = s
		return nil
	}
	want := v.want
	if want == "" {
		want = orList(v.choices)
	}
	msg := "want " + want
	if close := closest(norm, v.choices); len(close) > 0 {
		msg += "; did you mean " + orList(close) + "?"
	}
	return fmt.Errorf("%s", msg)
}

// enumFlag defines --name on c, taking one of choices (the first is the default unless
// def says otherwise), and completes it with them.
func enumFlag(c *cobra.Command, p *string, name, def string, choices []string, usage string) *enumValue {
	*p = def
	v := &enumValue{p: p, choices: choices}
	c.Flags().Var(v, name, usage)
	completeWords(c, name, choices...)
	return v
}

// completeWords makes the shell complete --name with words.
func completeWords(c *cobra.Command, name string, words ...string) {
	_ = c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp))
}

// upperNoDash normalises an algorithm name as people write it: sha-256 is SHA256.
func upperNoDash(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "")) }

// nArgs is a cobra.PositionalArgs that wants between lo and hi arguments (hi < 0: no
// limit) and otherwise is a usage error saying msg.
func nArgs(lo, hi int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < lo || (hi >= 0 && len(args) > hi) {
			return usageError("%s", msg)
		}
		return nil
	}
}

// noArgs refuses any positional argument, naming the first.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments, got %q", c.CommandPath(), args[0])
	}
	return nil
}

// changed reports whether the command line gave the flag name.
func changed(c *cobra.Command, name string) bool {
	f := c.Flags().Lookup(name)
	return f != nil && f.Changed
}
