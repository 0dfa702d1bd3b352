package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/internal/safetext"
)

// Help. `otpair help [COMMAND]` and `otpair -h` print to standard output; `otpair
// COMMAND -h` prints to standard error, as it did when each command parsed its own
// flags with Go's flag package, so a script's stray -h never lands in its pipe.

// installHelp makes c's tree print help with helpText, and gives it the help command.
func installHelp(e *env, root *cobra.Command) {
	root.SetHelpFunc(func(c *cobra.Command, _ []string) {
		w := e.stderr
		if c == c.Root() {
			w = e.stdout
		}
		writeHelp(w, c)
	})
	root.SetUsageFunc(func(c *cobra.Command) error {
		writeHelp(e.stderr, c)
		return nil
	})
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [COMMAND]...",
		Short: "a command's flags and what it does ('otpair help' lists the commands)",
		Long:  "help prints what a command does, its arguments and flags. The same text comes with\n'otpair COMMAND -h', on standard error.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			target, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target := c.Root()
			for _, name := range args {
				next := findSub(target, name)
				if next == nil {
					return unknownCommand(target, name)
				}
				target = next
			}
			writeHelp(e.stdout, target)
			return nil
		},
	})
	root.SetHelpCommandGroupID(groupOther)
}

// findSub is c's subcommand called name (or an alias of it), or nil.
func findSub(c *cobra.Command, name string) *cobra.Command {
	for _, sub := range c.Commands() {
		if sub.Name() == name || sub.HasAlias(name) {
			return sub
		}
	}
	return nil
}

// writeHelp writes c's help to w. Every word of it is otpair's own, but it goes out
// through safetext like all output.
func writeHelp(w io.Writer, c *cobra.Command) {
	c.InitDefaultHelpFlag() // cobra adds them as a command runs, which a help topic is not
	c.InitDefaultVersionFlag()
	_, _ = io.WriteString(safetext.Writer(w), helpText(c))
}

// helpText is c's help: what it does, how it is called, its subcommands, its flags.
func helpText(c *cobra.Command) string {
	var b strings.Builder
	root := !c.HasParent()
	b.WriteString(fmt.Sprintf("%s: %s\n\n", c.CommandPath(), c.Short))
	b.WriteString("Usage:\n")
	if root {
		b.WriteString(fmt.Sprintf("  %-24s the terminal UI: authenticator and verifier, paired\n", c.Name()))
		b.WriteString(fmt.Sprintf("  %s COMMAND [flags]\n", c.Name()))
	} else {
		if c.Runnable() && !c.HasAvailableSubCommands() {
			b.WriteString("  " + useLine(c) + "\n")
		}
		if c.HasAvailableSubCommands() {
			b.WriteString(fmt.Sprintf("  %s COMMAND [flags]\n", c.CommandPath()))
		}
	}
	if c.Long != "" {
		b.WriteString(fmt.Sprintf("\n%s\n", strings.TrimRight(c.Long, "\n")))
	}
	if c.HasAvailableSubCommands() {
		writeCommandList(&b, c)
	}
	if c.HasAvailableLocalFlags() {
		b.WriteString(fmt.Sprintf("\nFlags:\n%s", c.LocalFlags().FlagUsages()))
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString(fmt.Sprintf("\nGlobal flags:\n%s", c.InheritedFlags().FlagUsages()))
	}
	switch {
	case root:
		b.WriteString("\n'otpair help COMMAND' (or 'otpair COMMAND -h') gives a command's flags; 'otpair man' prints\n" +
			"the manual page. OTPAIR_HOME moves all state into one folder. Exit status: 0 success,\n" +
			"1 failure, 2 bad usage, 130 or 143 when Ctrl-C or SIGTERM ended a command.\n")
	case c.HasAvailableSubCommands():
		b.WriteString(fmt.Sprintf("\n'%s COMMAND -h' gives a command's flags.\n", c.CommandPath()))
	}
	return b.String()
}

// writeCommandList lists c's subcommands, under their groups' titles if they have them.
func writeCommandList(b *strings.Builder, c *cobra.Command) {
	width := 0
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			width = max(width, len(useSynopsis(sub)))
		}
	}
	list := func(group string) {
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() && sub.GroupID == group {
				b.WriteString(fmt.Sprintf("  %-*s  %s\n", width, useSynopsis(sub), sub.Short))
			}
		}
	}
	if len(c.Groups()) == 0 {
		b.WriteString("\nCommands:\n")
		list("")
		return
	}
	for _, g := range c.Groups() {
		b.WriteString(fmt.Sprintf("\n%s\n", g.Title))
		list(g.ID)
	}
}

// useLine is how c is called: its path and arguments, and [flags] unless its Use
// already names some.
func useLine(c *cobra.Command) string {
	line := c.CommandPath()
	if _, args, ok := strings.Cut(c.Use, " "); ok {
		line += " " + args
	}
	if c.HasAvailableFlags() && !strings.Contains(c.Use, "--") {
		line += " [flags]"
	}
	return line
}

// useSynopsis is a subcommand's name and arguments, as its Use line gives them.
func useSynopsis(c *cobra.Command) string {
	return strings.TrimSpace(c.Use)
}

// versionLine is what `otpair --version` prints: the module version, and the commit and
// its time where the build recorded them (go build's -buildvcs, on by default in a git
// checkout; scripts/test.sh turns it off), or else says that it did not.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "otpair (no build information)"
	}
	return describeBuild(info)
}

// describeBuild is versionLine for a given build.
func describeBuild(info *debug.BuildInfo) string {
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	set := map[string]string{}
	for _, s := range info.Settings {
		set[s.Key] = s.Value
	}
	var commit string
	switch rev := set["vcs.revision"]; {
	case rev != "":
		commit = "commit " + rev
		if t := set["vcs.time"]; t != "" {
			commit += " (" + t + ")"
		}
		if set["vcs.modified"] == "true" {
			commit += " with uncommitted changes"
		}
	case pseudoCommit(version) != "":
		commit = "commit " + pseudoCommit(version) + " (from the version)"
	default:
		commit = "commit unknown: built without version control information (-buildvcs=false, or outside a git checkout)"
	}
	return fmt.Sprintf("otpair %s\n%s\n%s %s/%s", version, commit, info.GoVersion, runtime.GOOS, runtime.GOARCH)
}

// pseudoCommit is the commit a Go pseudo-version names (v0.0.0-20260102150405-abcdef123456),
// or "".
func pseudoCommit(version string) string {
	version, _, _ = strings.Cut(version, "+")
	i := strings.LastIndexByte(version, '-')
	if i < 0 || strings.Count(version, "-") < 2 {
		return ""
	}
	rev := version[i+1:]
	if len(rev) != 12 || strings.Trim(rev, "0123456789abcdef") != "" {
		return ""
	}
	return rev
}
