package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/external"
)

// bashCompletionScript is where Debian's bash-completion keeps the functions cobra's
// bash script calls (_get_comp_words_by_ref).
const bashCompletionScript = "/usr/share/bash-completion/bash_completion"

// bashComplete runs `otpair completion bash` in a real bash with bash-completion, as a
// user's shell does, and returns what the completion function offers for the words
// (the last one is the word being completed).
func bashComplete(t *testing.T, bin string, env []string, words ...string) []string {
	t.Helper()
	bash := external.Tool(t, "bash", "bash")
	if _, err := os.Stat(bashCompletionScript); err != nil {
		external.Missing(t, "bash-completion", "apt-get install bash-completion")
	}
	script := `source ` + bashCompletionScript + `
source <(otpair completion bash)
compopt() { :; } # only bash's own completion may call it
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
__start_otpair
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, append([]string{"-c", script, "bash"}, words...)...)
	cmd.Env = append(env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdin = nil // no terminal: a prompt would fail, not wait
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash completion of %q: %v\n%s", words, err, out)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			got = append(got, l)
		}
	}
	return got
}

// completionEnv is an environment with no D-Bus (so no keyring) and otpair's variables
// only as given.
func completionEnv(home string, vars ...string) []string {
	env := []string{"OTPAIR_HOME=" + home, "HOME=" + home, "DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR="}
	return append(env, vars...)
}

// TestBashCompletionAccounts: the bash script `otpair completion bash` writes, run in a
// real bash, completes commands, --backend's names and the vault's accounts for code,
// rm, rename and export; a passphrase vault with no passphrase in the environment
// completes no account, and asks nothing.
func TestBashCompletionAccounts(t *testing.T) {
	bin := buildVaultBinary(t)
	home := t.TempDir()
	pass := "OTPAIR_PASSPHRASE=completion-test-passphrase"
	imp := exec.Command(bin, "import", "-")
	imp.Env = completionEnv(home, pass)
	imp.Stdin = strings.NewReader("otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub\n" +
		"otpauth://totp/GitLab:bob?secret=JBSWY3DPEHPK3PXQ&issuer=GitLab\n" +
		"otpauth://totp/solo?secret=JBSWY3DPEHPK3PXR\n")
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	env := completionEnv(home, pass)

	if got := bashComplete(t, bin, env, "otpair", "cod"); !equalSet(got, "code", "codes") {
		t.Errorf("otpair cod<TAB> = %q, want code and codes", got)
	}
	for _, cmd := range []string{"code", "rm", "rename", "export"} {
		got := bashComplete(t, bin, env, "otpair", cmd, "Git")
		if !equalSet(got, "GitHub:alice", "GitLab:bob") {
			t.Errorf("otpair %s Git<TAB> = %q, want GitHub:alice and GitLab:bob", cmd, got)
		}
	}
	if got := bashComplete(t, bin, env, "otpair", "code", "so"); !equalSet(got, "solo") {
		t.Errorf("otpair code so<TAB> = %q, want solo (an account with no issuer)", got)
	}
	if got := bashComplete(t, bin, env, "otpair", "verifier", "signin", "--backend", "lo"); !equalSet(got, "local") {
		t.Errorf("--backend lo<TAB> = %q, want local", got)
	}
	if got := bashComplete(t, bin, env, "otpair", "flow", "test", "--backend", "t"); !equalSet(got, "throwaway") {
		t.Errorf("flow test --backend t<TAB> = %q, want throwaway", got)
	}
	if got := bashComplete(t, bin, completionEnv(home), "otpair", "code", "Git"); len(got) != 0 {
		t.Errorf("without the passphrase, otpair code Git<TAB> = %q, want nothing", got)
	}
}

// equalSet reports whether got holds exactly want, in any order.
func equalSet(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}

// TestCompletionCommand: every shell gets a script naming otpair's hidden __complete
// command; a mistyped shell is bad usage with the closest suggested.
func TestCompletionCommand(t *testing.T) {
	o := newOtpairRun(t)
	for _, sh := range completionShells {
		code, out, errs := o.run("completion", sh)
		if code != 0 || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", sh, code, len(out), errs)
		}
	}
	code, _, errs := o.run("completion", "bsh")
	if code != 2 || !strings.Contains(errs, "did you mean bash") {
		t.Errorf("completion bsh: exit %d, stderr %q; want 2 and a suggestion", code, errs)
	}
}

// TestCompleteAccountsInProcess: the account completer offers issuer:account, the id
// where two accounts share one, and nothing for a passphrase vault it cannot open
// without asking (stdin holds an answer it must not read).
func TestCompleteAccountsInProcess(t *testing.T) {
	kr := useMemKeyring(t)
	home := t.TempDir()
	mustRun(t, home, "otpauth://totp/Acme:dup?secret=JBSWY3DPEHPK3PXP&issuer=Acme\n"+
		"otpauth://totp/Acme:dup?secret=JBSWY3DPEHPK3PXQ&issuer=Acme\n"+
		"otpauth://totp/Other:x?secret=JBSWY3DPEHPK3PXR&issuer=Other\n", nil, "import", "-")
	out := mustRun(t, home, "", nil, "__complete", "rm", "")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var ids, names int
	for _, l := range lines[:len(lines)-1] { // the last is the directive
		q, _, _ := strings.Cut(l, "\t")
		switch {
		case q == "Other:x":
			names++
		case len(q) == 16 && strings.Trim(q, "0123456789abcdef") == "":
			ids++
		default:
			t.Errorf("unexpected completion %q", l)
		}
	}
	if ids != 2 || names != 1 {
		t.Errorf("completions %q: want the two Acme:dup by id and Other:x", lines)
	}

	kr.Err = errors.New("no keyring here")
	pass := t.TempDir()
	vars := map[string]string{envPassphrase: "in-process-passphrase"}
	mustRun(t, pass, "otpauth://totp/P:q?secret=JBSWY3DPEHPK3PXP&issuer=P\n", vars, "import", "-")
	if out := mustRun(t, pass, "", vars, "__complete", "code", ""); !strings.Contains(out, "P:q") {
		t.Errorf("with %s set, completion = %q, want P:q", envPassphrase, out)
	}
	code, out, errs := vrun(t, pass, "in-process-passphrase\n", nil, "__complete", "code", "")
	if code != 0 || strings.Contains(out, "P:q") || strings.Contains(errs, "assphrase") {
		t.Errorf("without %s: exit %d, stdout %q, stderr %q; want no account and no prompt", envPassphrase, code, out, errs)
	}
}
