package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func init() {
	registerCmd(groupOther, newManCmd)
}

func newManCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "man",
		Short: "print the manual page (roff): otpair man > otpair.1, or otpair man | man -l -",
		Long: "The page is made from the command tree itself, so it lists every command and flag\n" +
			"this otpair has, with the text of 'otpair help COMMAND'.",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := io.WriteString(e.stdout, manPage(c.Root()))
			return err
		},
	}
}

// manPage is otpair(1) in roff's man macros: what help says, for every command, in
// the sections a manual page has.
func manPage(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString(".TH OTPAIR 1 \"\" \"otpair\" \"User Commands\"\n")
	b.WriteString(".SH NAME\n")
	b.WriteString("otpair \\- " + roffText(root.Short) + "\n")
	b.WriteString(".SH SYNOPSIS\n")
	b.WriteString(".B otpair\n.br\n.B otpair\n.I COMMAND\n[\\fIflags\\fR] [\\fIargs\\fR]\n")
	b.WriteString(".SH DESCRIPTION\n")
	writeParagraphs(&b, root.Long)
	b.WriteString(".PP\nWith no command, otpair runs the terminal UI.\n")
	b.WriteString(".SH COMMANDS\n")
	for _, c := range manCommands(root) {
		b.WriteString(".SS " + roffText(useLine(c)) + "\n")
		writeParagraphs(&b, c.Short)
		if c.Long != "" {
			b.WriteString(".PP\n")
			writeVerbatim(&b, c.Long)
		}
		writeFlags(&b, c.LocalNonPersistentFlags())
	}
	b.WriteString(".SH GLOBAL FLAGS\n")
	writeFlags(&b, root.PersistentFlags())
	b.WriteString(".SH ENVIRONMENT\n")
	for _, v := range [][2]string{
		{"OTPAIR_HOME", "the folder all state lives in (default: otpair in the user's config folder)"},
		{envPassphrase, "the passphrase of a passphrase vault, and of a new one"},
		{envNewPassphrase, "the new passphrase of 'otpair vault rekey \\-\\-passphrase'"},
		{"OTPAIR_DB", "the local verifier's database: a SQLite path, :memory: or postgres://..."},
		{envProjectID, "the project id against a remote verifier"},
		{envManagementKey, "the management key against a remote verifier"},
		{envRefreshToken, "the refresh token of the verifier steps that need one"},
	} {
		b.WriteString(".TP\n.B " + v[0] + "\n" + roffText(v[1]) + "\n")
	}
	b.WriteString(".SH EXIT STATUS\n")
	b.WriteString(".TP\n.B 0\nsuccess\n.TP\n.B 1\nfailure\n.TP\n.B 2\nbad usage: an unknown command, flag or value, or the wrong arguments\n")
	b.WriteString(".TP\n.B 130, 143\nSIGINT or SIGTERM ended the command\n")
	b.WriteString(".SH SEE ALSO\n")
	b.WriteString("oathtool(1), age(1)\n")
	return b.String()
}

// manCommands is every command under root that a user can run, depth first in the
// order help lists them.
func manCommands(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() && sub.Name() != "help" {
				continue
			}
			out = append(out, sub)
			walk(sub)
		}
	}
	walk(root)
	return out
}

// writeParagraphs writes text as filled paragraphs, one per blank-line-separated block.
func writeParagraphs(b *strings.Builder, text string) {
	for i, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if i > 0 {
			b.WriteString(".PP\n")
		}
		b.WriteString(roffText(strings.Join(strings.Fields(para), " ")) + "\n")
	}
}

// writeVerbatim writes text line for line, as help prints it (its tables stay tables).
func writeVerbatim(b *strings.Builder, text string) {
	b.WriteString(".nf\n")
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(roffLine(line) + "\n")
	}
	b.WriteString(".fi\n")
}

// writeFlags writes a flag set as a list of tagged paragraphs.
func writeFlags(b *strings.Builder, fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name, usage := pflag.UnquoteUsage(f)
		tag := "\\fB\\-\\-" + roffText(f.Name) + "\\fR"
		if f.Shorthand != "" {
			tag = "\\fB\\-" + f.Shorthand + "\\fR, " + tag
		}
		if name != "" {
			tag += " \\fI" + roffText(name) + "\\fR"
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "[]" {
			usage += fmt.Sprintf(" (default %s)", def)
		}
		b.WriteString(".TP\n" + tag + "\n" + roffText(usage) + "\n")
	})
}

// roffText escapes s for roff: backslashes, dashes (which roff would hyphenate or set
// as typographic hyphens) and non-ASCII characters; a line is kept from starting a
// request.
func roffText(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\e")
	s = strings.ReplaceAll(s, "-", "\\-")
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = "\\&" + s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
		} else {
			b.WriteString(fmt.Sprintf("\\[u%04X]", r)) // groff reads ASCII without preconv
		}
	}
	return b.String()
}

// roffLine is roffText for a line of no-fill text, whose leading spaces are kept.
func roffLine(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return roffText(s)
}
