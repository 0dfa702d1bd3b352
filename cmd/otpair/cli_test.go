package main

import (
	"os/exec"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/external"
)

// TestDidYouMean: a mistyped command, subcommand, flag or value of a word flag is bad
// usage (exit 2) that names the closest, everywhere on the tree.
func TestDidYouMean(t *testing.T) {
	o := newOtpairRun(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lsit"}, "did you mean list?"},
		{[]string{"cods"}, "did you mean code or codes?"},
		{[]string{"help", "lsit"}, "did you mean list?"},
		{[]string{"vault", "infp"}, "did you mean info?"},
		{[]string{"verifier", "signnin", "x", "1"}, "did you mean signin?"},
		{[]string{"flow", "tset"}, "did you mean test?"},
		{[]string{"completion", "fsh"}, "fish?"},
		{[]string{"verifier", "me", "--backend", "lcoal"}, "did you mean local?"},
		{[]string{"tui", "--backend", "lcoal"}, "did you mean local?"},
		{[]string{"flow", "test", "x", "--backend", "throwawya"}, "did you mean throwaway?"},
		{[]string{"flow", "run", "x", "--backend", "lcal"}, "did you mean local?"},
		{[]string{"flow", "test", "x", "--backend", "lcoal"}, "did you mean local?"},
		{[]string{"flow", "export", "x", "--format", "jsno"}, "did you mean json?"},
		{[]string{"export", "--format", "urii"}, "did you mean uri?"},
		{[]string{"add", "--account", "a", "--algorithm", "sha265"}, "did you mean SHA256?"},
		{[]string{"totp", "X", "--algorithm", "sha-513"}, "did you mean SHA512?"},
		{[]string{"qr", "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP", "--style", "drak"}, "did you mean dark?"},
		{[]string{"serve", "--log-format", "jsn"}, "did you mean json?"},
		{[]string{"verifier", "signin", "x", "1", "--signing-alg", "ES256", "--backnd", "local"}, "did you mean --backend?"},
		{[]string{"list", "-json"}, "flags take two dashes: --json"},
	} {
		code, out, errs := o.run(c.args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("otpair %s: exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, out, errs, c.want)
		}
	}
}

// TestHelpCommand: `otpair help CMD` and `otpair help CMD SUB` print that command's help
// on stdout; -h prints it on stderr; the root help lists every command.
func TestHelpCommand(t *testing.T) {
	o := newOtpairRun(t)
	code, out, _ := o.run("help", "code")
	if code != 0 || !strings.HasPrefix(out, "otpair code: ") || !strings.Contains(out, "--copy") || !strings.Contains(out, "--at TIME") {
		t.Errorf("help code: exit %d\n%s", code, out)
	}
	code, out, _ = o.run("help", "flow", "test")
	if code != 0 || !strings.HasPrefix(out, "otpair flow test: ") || !strings.Contains(out, "--junit FILE") {
		t.Errorf("help flow test: exit %d\n%s", code, out)
	}
	code, out, errs := o.run("codes", "-h")
	if code != 0 || out != "" || !strings.HasPrefix(errs, "otpair codes: ") {
		t.Errorf("codes -h: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	_, out, _ = o.run("help")
	for _, cmd := range []string{"import", "code", "codes", "totp", "completion", "man", "flow", "tui", "demo", "vault", "verifier", "serve"} {
		if !regexp.MustCompile(`(?m)^  ` + cmd + `\b`).MatchString(out) {
			t.Errorf("otpair help does not list %s:\n%s", cmd, out)
		}
	}
}

// TestNoDoubledDefaults: no flag of any command says its default twice (--window said
// "default 1" in its text and "(default -1)" after it), and --window's is 1.
func TestNoDoubledDefaults(t *testing.T) {
	o := newOtpairRun(t)
	root := newRoot(&env{getenv: func(string) string { return "" }})
	for _, c := range manCommands(root) {
		args := append(strings.Fields(strings.TrimPrefix(c.CommandPath(), "otpair ")), "-h")
		_, _, errs := o.run(args...)
		for _, line := range strings.Split(errs, "\n") {
			if strings.Count(strings.ToLower(line), "default") > 1 {
				t.Errorf("otpair %s: a flag says its default twice:\n%s", strings.Join(args, " "), line)
			}
		}
	}
	_, _, errs := o.run("serve", "-h")
	if !regexp.MustCompile(`--window int .*\(default 1\)`).MatchString(errs) {
		t.Errorf("serve -h: --window does not say default 1:\n%s", errs)
	}
}

// TestVersion: --version names the module version and the commit the build recorded,
// or says plainly that it has none.
func TestVersion(t *testing.T) {
	code, out, _ := newOtpairRun(t).run("--version")
	if code != 0 || !strings.HasPrefix(out, "otpair ") || !strings.Contains(out, "commit ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	info := &debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.time", Value: "2026-01-02T15:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got := describeBuild(info); !strings.HasPrefix(got, "otpair v1.2.3\ncommit 0123456789abcdef0123456789abcdef01234567 (2026-01-02T15:04:05Z) with uncommitted changes\ngo1.26 ") {
		t.Errorf("describeBuild = %q", got)
	}
	info = &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260102150405-abcdef123456"}}
	if got := describeBuild(info); !strings.Contains(got, "commit abcdef123456 (from the version)") {
		t.Errorf("describeBuild of a pseudo-version = %q", got)
	}
	if got := describeBuild(&debug.BuildInfo{}); !strings.Contains(got, "otpair (devel)") || !strings.Contains(got, "commit unknown") {
		t.Errorf("describeBuild with nothing recorded = %q", got)
	}
}

// TestManPage: `otpair man` is a page groff formats without a warning, with a section
// for every command and flag.
func TestManPage(t *testing.T) {
	code, page, errs := newOtpairRun(t).run("man")
	if code != 0 {
		t.Fatalf("man: exit %d, %s", code, errs)
	}
	for _, want := range []string{".TH OTPAIR 1", ".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", ".SH EXIT STATUS", ".SH ENVIRONMENT",
		".SS otpair codes [QUERY] [\\-\\-json]", ".SS otpair flow test FILE...", ".SS otpair completion bash|zsh|fish|powershell", "\\fB\\-\\-copy\\fR"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	groff := external.Tool(t, "groff", "groff")
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff -ww: %v\n%s", err, out)
	}
}
