package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/external"
)

// tmuxSession drives the real otpair binary inside a private tmux server: keys go in
// with send-keys, the screen comes back with capture-pane.
type tmuxSession struct {
	t      testing.TB
	tmux   string
	socket string
	name   string
}

// buildOtpair compiles the binary once per test binary run.
func buildOtpair(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "otpair")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startTmux starts a private tmux server (its own socket, no config) with one session
// running command at w x h, with env set.
func startTmux(t testing.TB, w, h int, env []string, command ...string) *tmuxSession {
	t.Helper()
	s := &tmuxSession{t: t, tmux: external.Tool(t, "tmux", "tmux"),
		socket: filepath.Join(t.TempDir(), "tmux.sock"), name: "otpair"}
	args := []string{"-f", "/dev/null", "new-session", "-d", "-s", s.name, "-x", itoa(w), "-y", itoa(h), "--", "env", "-i"}
	args = append(args, env...)
	args = append(args, command...)
	s.run(args...)
	t.Cleanup(func() { _ = exec.Command(s.tmux, "-S", s.socket, "kill-server").Run() })
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.tmux, append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys sends tmux key names (Enter, Tab, C-f, …).
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	s.run(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// text types literal text.
func (s *tmuxSession) text(text string) {
	s.t.Helper()
	s.run("send-keys", "-t", s.name, "-l", text)
}

func (s *tmuxSession) screen() string {
	s.t.Helper()
	out, err := exec.Command(s.tmux, "-S", s.socket, "capture-pane", "-p", "-t", s.name).CombinedOutput()
	if err != nil {
		return ""
	}
	return string(out)
}

// waitFor polls the screen until it holds every want, failing with the last screen
// after a bounded wait.
func (s *tmuxSession) waitFor(wants ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		ok := true
		for _, w := range wants {
			if !strings.Contains(scr, w) {
				ok = false
				break
			}
		}
		if ok {
			return scr
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q; last screen:\n%s", wants, scr)
	return ""
}

// e2eEnv is a fresh otpair world: its own home, no keyring (D-Bus disabled) and the
// passphrase in OTPAIR_PASSPHRASE, so nothing prompts. The session runs under env -i:
// nothing else leaks in from the test's environment.
func e2eEnv(t testing.TB) []string {
	home := t.TempDir()
	return []string{"OTPAIR_HOME=" + home, "HOME=" + home, "OTPAIR_PASSPHRASE=correct horse battery staple",
		"TERM=xterm-256color", "DBUS_SESSION_BUS_ADDRESS=disabled:", "PATH=" + os.Getenv("PATH")}
}

// lifecycleInTmux drives the binary as a user would: sign up, enrol (e), sign in
// with the code ctrl+f fills from the authenticator, then a replay of the same code,
// asserting on the screen at each step. It returns the session's otpair home.
func lifecycleInTmux(t *testing.T, s *tmuxSession, vault string) (usedCode string) {
	t.Helper()
	s.waitFor("Authenticator", "Verifier", "connected to local backend", "0 accounts", "vault: "+vault)

	s.keys("Tab", "s")
	s.waitFor("Sign up", "Login ID")
	s.text("erin@example.com")
	s.keys("Enter")
	scr := s.waitFor("Sign-up of erin@example.com", "Key ", "URL otpauth://totp/otpair:erin@example.com", "next: e enrols it")
	if !strings.Contains(scr, "▀") || !strings.Contains(scr, "▄") {
		t.Errorf("sign-up shows no QR code at 120x40:\n%s", scr)
	}

	s.keys("e")
	scr = s.waitFor("1 account", "added otpair: erin@example.com")
	shown := strings.ReplaceAll(codeOnScreen(t, scr), " ", "")

	s.keys("i")
	s.waitFor("Sign in", "ctrl+f fills")
	s.keys("C-f")
	usedCode = s.waitMatch(filledCode)[1]
	if usedCode != shown {
		// The period may have turned between the two screens; then the code shown now
		// must be the one filled.
		if now := strings.ReplaceAll(codeOnScreen(t, s.screen()), " ", ""); now != usedCode {
			t.Errorf("ctrl+f filled %s; the authenticator shows %s (and %s before)", usedCode, now, shown)
		}
	}
	s.keys("Enter")
	scr = s.waitFor("signed in as erin@example.com", "amr totp", "enrolment complete")
	if strings.Contains(scr, "URL otpauth://") || strings.Contains(scr, "Key ") {
		t.Errorf("the provisioning URI or key stayed on screen after sign-in:\n%s", scr)
	}
	return usedCode
}

// filledCode is the sign-in form's code field once it holds a code.
var filledCode = regexp.MustCompile(`Code\s*│\n[^\n]*› (\d{6}) `)

// waitMatch polls the screen until re matches it and returns the submatches.
func (s *tmuxSession) waitMatch(re *regexp.Regexp) []string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		if m := re.FindStringSubmatch(scr); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("screen never matched %s; last screen:\n%s", re, scr)
	return nil
}

// codeOnScreen is the current code of the first account row ("▌ otpair   123 456").
func codeOnScreen(t *testing.T, scr string) string {
	t.Helper()
	for _, line := range strings.Split(scr, "\n") {
		if i := strings.Index(line, "▌ otpair"); i >= 0 {
			row, _, _ := strings.Cut(line[i:], "│") // the authenticator pane's part
			if f := strings.Fields(row); len(f) >= 4 {
				return f[len(f)-2] + " " + f[len(f)-1]
			}
		}
	}
	t.Fatalf("no account row on screen:\n%s", scr)
	return ""
}

func TestTUIEndToEndInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildOtpair(t)
	env := e2eEnv(t)
	s := startTmux(t, 120, 40, env, bin)
	code := lifecycleInTmux(t, s, "passphrase mode")

	// The same code again is refused as a replay, explained in words with its API code.
	s.keys("i")
	s.waitFor("Sign in")
	s.text(code)
	s.keys("Enter")
	scr := s.waitFor("code already used", "E061102")
	// A wrong code: refused and counted.
	s.text("000000")
	s.keys("Enter")
	s.waitFor("wrong code (")
	s.keys("Escape")
	s.waitFor("signed in: u update")

	// Narrow: the panes stack.
	s.run("resize-window", "-t", s.name, "-x", "60", "-y", "30")
	scr = s.waitFor("Authenticator")
	lines := strings.Split(scr, "\n")
	var authRow, verifyRow int
	for i, l := range lines {
		if strings.Contains(l, "Authenticator") {
			authRow = i
		}
		if strings.Contains(l, "Verifier") {
			verifyRow = i
		}
	}
	if verifyRow <= authRow {
		t.Errorf("at 60 columns the verifier pane is not below the authenticator:\n%s", scr)
	}

	s.keys("q")
	s.waitGone("Authenticator")

	// A second start opens the same vault with the passphrase: the account is kept.
	s2 := startTmux(t, 120, 40, env, bin)
	s2.waitFor("1 account", "erin@example.com", "vault: passphrase mode")
	s2.keys("q")
	s2.waitGone("Authenticator")
}

// TestTUIEndToEndInTmuxKeyring is the same lifecycle with the vault key in a real
// Secret Service (scripts/test.sh runs gnome-keyring under dbus-run-session).
func TestTUIEndToEndInTmuxKeyring(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	external.Env(t, "OTPAIR_TEST_KEYRING", "a Secret Service (gnome-keyring under dbus-run-session)")
	bus := external.Env(t, "DBUS_SESSION_BUS_ADDRESS", "a D-Bus session bus")
	bin := buildOtpair(t)
	home := t.TempDir()
	env := []string{"OTPAIR_HOME=" + home, "HOME=" + os.Getenv("HOME"), "TERM=xterm-256color",
		"DBUS_SESSION_BUS_ADDRESS=" + bus, "PATH=" + os.Getenv("PATH")}
	t.Cleanup(func() { deleteKeyringItem(t, home) })
	s := startTmux(t, 120, 40, env, bin)
	lifecycleInTmux(t, s, "OS keyring")
	s.keys("q")
	s.waitGone("Authenticator")
	if _, err := os.Stat(filepath.Join(home, "vault.json")); err != nil {
		t.Fatalf("a keyring vault has no vault.json naming its keyring item: %v", err)
	}
}

// deleteKeyringItem removes the keyring item of the vault in home, so test runs do not
// pile items up in a developer's keyring.
func deleteKeyringItem(t *testing.T, home string) {
	b, err := os.ReadFile(filepath.Join(home, "vault.json"))
	if err != nil {
		return
	}
	var meta struct {
		Service string `json:"keyring_service"`
		User    string `json:"keyring_user"`
	}
	if json.Unmarshal(b, &meta) != nil || meta.User == "" {
		return
	}
	if err := (authenticator.SystemKeyring{}).Delete(context.Background(), meta.Service, meta.User); err != nil {
		t.Logf("delete keyring item %s/%s: %v", meta.Service, meta.User, err)
	}
}

// waitGone polls until the screen no longer shows text (the program quit).
func (s *tmuxSession) waitGone(text string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !strings.Contains(s.screen(), text) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("the program did not quit; screen:\n%s", s.screen())
}

// benchFirstFrame starts command in a new tmux session per iteration and times until
// the screen shows marker: the time from starting the process to its first frame, plus
// tmux's own spawn and capture latency (BenchmarkTmuxBaseline measures that part).
func benchFirstFrame(b *testing.B, marker string, command ...string) {
	server := startTmux(b, 120, 40, e2eEnv(b), "sleep", "600")
	env := e2eEnv(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		name := "ff" + strconv.Itoa(i)
		args := append([]string{"new-session", "-d", "-s", name, "-x", "120", "-y", "40", "--", "env", "-i"}, env...)
		args = append(args, command...)
		server.run(args...)
		for {
			out, _ := exec.Command(server.tmux, "-S", server.socket, "capture-pane", "-p", "-t", name).Output()
			if strings.Contains(string(out), marker) {
				break
			}
		}
		b.StopTimer()
		server.run("kill-session", "-t", name)
		b.StartTimer()
	}
}

// BenchmarkTUIFirstFrame is process start to first frame of `otpair` (budget: 100 ms).
func BenchmarkTUIFirstFrame(b *testing.B) {
	benchFirstFrame(b, "Authenticator", buildOtpair(b))
}

// BenchmarkTmuxBaseline is the same measurement for a command that prints at once, so
// the TUI's own share can be told from tmux's.
func BenchmarkTmuxBaseline(b *testing.B) {
	benchFirstFrame(b, "Authenticator", "sh", "-c", "echo Authenticator; sleep 600")
}
