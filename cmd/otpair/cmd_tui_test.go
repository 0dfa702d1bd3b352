package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/tui"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/httpapi"
	"github.com/otpair/otpair/verifier/sqlite"
)

// tmuxSession drives the real otpair binary inside a private tmux server: keys go in
// with send-keys, the screen comes back with capture-pane.
type tmuxSession struct {
	t      testing.TB
	tmux   string
	socket string
	name   string
}

// buildTUIBinary compiles the otpair binary (without -race: the end-to-end tests and the
// first-frame benchmark run it at its real speed).
func buildTUIBinary(t testing.TB) string {
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
	scr := s.waitFor("Sign-up of erin@example.com", "Key ", "URL otpauth://totp/otpair:erin@example.com", "next: e puts it in the authenticator")
	if !strings.Contains(scr, "▀") || !strings.Contains(scr, "▄") {
		t.Errorf("sign-up shows no QR code at 120x40:\n%s", scr)
	}
	// The QR code on screen, read back from the captured characters, is the URI whose
	// key the pane shows.
	texts, err := provisioning.DecodeQR(t.Context(), screenQR(scr))
	if err != nil || len(texts) != 1 || !strings.HasPrefix(texts[0], "otpauth://totp/otpair:erin@example.com?") {
		t.Errorf("the sign-up QR on screen decodes to %q (%v)", texts, err)
	} else if key := keyOnScreen(scr); key == "" || !strings.Contains(texts[0], "secret="+key) {
		t.Errorf("the QR holds %q, not the key shown (%q)", texts[0], key)
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
var filledCode = regexp.MustCompile(`Code[^\n]*│\n[^\n]*› (\d{6}) `)

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

// screenQR turns the half-block QR drawing in the verifier pane of a captured screen
// into an image: each cell is two modules, dark where the glyph is (the TUI draws dark
// modules as glyphs, black on white), scaled up with a white margin.
func screenQR(scr string) image.Image {
	var rows [][]rune
	for _, line := range strings.Split(scr, "\n") {
		parts := strings.Split(line, "│")
		if len(parts) < 5 {
			continue
		}
		pane := []rune(parts[3]) // │ auth │ │ verify │
		if strings.ContainsAny(string(pane), "▀▄█") {
			rows = append(rows, pane)
		}
	}
	const scale, margin = 4, 32
	w := 0
	for _, r := range rows {
		w = max(w, len(r))
	}
	img := image.NewGray(image.Rect(0, 0, w*scale+2*margin, len(rows)*2*scale+2*margin))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, r := range rows {
		for x, c := range r {
			top := c == '▀' || c == '█'
			bottom := c == '▄' || c == '█'
			for dy := range 2 * scale {
				if (dy < scale && !top) || (dy >= scale && !bottom) {
					continue
				}
				for dx := range scale {
					img.SetGray(margin+x*scale+dx, margin+y*2*scale+dy, color.Gray{})
				}
			}
		}
	}
	return img
}

// keyOnScreen is the key the sign-up result shows ("Key ABCD…").
func keyOnScreen(scr string) string {
	if m := regexp.MustCompile(`Key ([A-Z2-7]+)`).FindStringSubmatch(scr); m != nil {
		return m[1]
	}
	return ""
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
	bin := buildTUIBinary(t)
	env := e2eEnv(t)
	s := startTmux(t, 120, 40, env, bin)
	code := lifecycleInTmux(t, s, "passphrase mode")

	// The same code again is refused as a replay, explained in words with its API code.
	s.keys("i")
	s.waitFor("Sign in")
	s.text(code)
	s.keys("Enter")
	s.waitFor("code already used", "E061102")
	// A wrong code: refused and counted.
	s.text("000000")
	s.keys("Enter")
	s.waitFor("wrong code (")
	s.keys("Escape")
	s.waitFor("signed in: u update")

	// Narrow: the panes stack.
	s.run("resize-window", "-t", s.name, "-x", "60", "-y", "30")
	scr := s.waitFor("Authenticator")
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

// TestTUIReadmePathInTmux walks the README's lifecycle in the real binary at 80x24
// (with and without NO_COLOR) and at 120x40 without colour, checking issue 14's
// lifecycle items where a user meets them: the sign-up form does not append to the
// last login id (1); the full-screen QR fits 80x24 and zbarimg reads it off the
// screen as a dark terminal shows it (7, 8); after sign in, update, e, the new seed's
// first code signs in within the same period (2), e replaced the account rather than
// adding a second one and ctrl+f says which account it used (3).
func TestTUIReadmePathInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	external.Tool(t, "zbarimg", "zbar-tools")
	bin := buildTUIBinary(t)
	for _, c := range []struct {
		name    string
		w, h    int
		noColor bool
	}{
		{"80x24", 80, 24, false},
		{"80x24-NO_COLOR", 80, 24, true},
		{"120x40-NO_COLOR", 120, 40, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := e2eEnv(t)
			if c.noColor {
				env = append(env, "NO_COLOR=1")
			}
			s := startTmux(t, c.w, c.h, env, bin)
			readmePath(t, s, c.w, c.h)
			s.keys("q")
			s.waitGone("Authenticator")
		})
	}
}

// readmePath is the README's table, key by key.
func readmePath(t *testing.T, s *tmuxSession, w, h int) {
	t.Helper()
	s.waitFor("Authenticator", "Verifier", "connected to local", "0 accounts")
	s.keys("Tab", "s")
	s.waitFor("Sign up", "Login ID")
	s.text("erin@example.com")
	s.keys("Enter")
	scr := s.waitFor("Sign-up of erin@example.com", "Key ")
	key := keyOnScreen(scr)

	// 1: a new sign-up form starts empty: typing does not extend erin's login id.
	s.keys("s")
	s.waitFor("Sign up", "Login ID")
	s.text("carol")
	scr = s.waitFor("› carol")
	if strings.Contains(scr, "erin@example.comcarol") || strings.Contains(scr, "comcarol") {
		t.Fatalf("the sign-up form appended to the last login id:\n%s", scr)
	}
	s.keys("Escape")
	s.waitGone("› carol")

	// 8: the full-screen QR fits and decodes from the screen as drawn (dark terminal
	// behind it; NO_COLOR too).
	s.keys("z")
	scr = s.waitFor("Scan to enrol erin@example.com")
	if strings.Contains(scr, "bigger terminal") {
		t.Fatalf("the sign-up QR does not fit %dx%d:\n%s", w, h, scr)
	}
	img := screenImage(t, s.screenColors(), 4)
	texts, ok := zbarimgTexts(t, writePNG(t, img, "screen.png"))
	if !ok || len(texts) != 1 || !strings.HasPrefix(texts[0], "otpauth://totp/otpair:erin@example.com?secret="+key) {
		t.Fatalf("zbarimg read %q (found %v) from the %dx%d screen, want the sign-up URI with key %s", texts, ok, w, h, key)
	}
	s.keys("Escape")
	s.waitGone("Scan to enrol")

	s.keys("e")
	s.waitFor("1 account", "added otpair: erin@example.com", "next: i signs in")
	// 2 and 3: the README's sign in, update, e, sign in, all in one period: wait for a
	// period with time for it (the account row's countdown), rather than race its end.
	s.waitMatch(regexp.MustCompile(`\s(1[89]|2\d|30)s\s*│`))
	s.keys("i")
	s.waitFor("Sign in", "Code")
	s.keys("C-f")
	s.waitFor("Code from otpair: erin@example.com")
	s.keys("Enter")
	s.waitVerifier("first sign-in, enrolment complete")
	s.keys("u")
	s.waitFor("Update of erin@example.com")
	s.keys("e")
	scr = s.waitFor("replaced otpair: erin@example.com")
	if !strings.Contains(scr, "1 account") || strings.Contains(scr, "2 accounts") {
		t.Fatalf("the update's e added a second account:\n%s", scr)
	}
	s.keys("i")
	s.waitFor("Sign in", "Code")
	s.keys("C-f")
	s.waitFor("Code from otpair: erin@example.com")
	s.keys("Enter")
	text := s.waitVerifier("the new seed is confirmed and replaces the old one")
	if strings.Contains(text, "already used") {
		t.Fatalf("the new seed's first code was refused as used: %s", text)
	}
	// Both sign-ins were accepted for the same step: the case the per-seed guard is for.
	steps := regexp.MustCompile(`accepted step (\d+)`).FindAllStringSubmatch(text, -1)
	if len(steps) < 2 || steps[len(steps)-1][1] != steps[len(steps)-2][1] {
		t.Fatalf("the two sign-ins were not in one step (%v): %s", steps, text)
	}
}

// waitVerifier polls until the verifier pane's text, its wrapped lines joined, holds
// want, and returns that text.
func (s *tmuxSession) waitVerifier(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var text string
	for time.Now().Before(deadline) {
		text = verifierText(s.screen())
		if strings.Contains(text, want) {
			return text
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("the verifier pane never said %q; it says: %s", want, text)
	return ""
}

// verifierText is the right-hand pane of a side-by-side screen, its lines joined with
// single spaces (so what the pane wrapped reads as one sentence).
func verifierText(scr string) string {
	var words []string
	for _, line := range strings.Split(scr, "\n") {
		parts := strings.Split(line, "│")
		if len(parts) >= 5 {
			words = append(words, strings.Fields(parts[3])...)
		}
	}
	return strings.Join(words, " ")
}

// TestTUILockedKeyringInTmux runs otpair under its own session bus with a gnome-keyring
// whose collection is locked, in the same terminal, as `dbus-run-session -- otpair`
// does: the unlock prompter cannot show (no display) and writes GTK warnings to the
// bus's stderr, which is the terminal. The TUI says the keyring is locked (not that
// there is none), with what to do, and none of the warnings stays on its screen.
func TestTUILockedKeyringInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon", "secret-tool"} {
		external.Tool(t, tool, map[string]string{"dbus-run-session": "dbus", "gnome-keyring-daemon": "gnome-keyring", "secret-tool": "libsecret-tools"}[tool])
	}
	bin := buildTUIBinary(t)
	home := t.TempDir()
	env := []string{"OTPAIR_HOME=" + filepath.Join(home, "otpair"), "HOME=" + home, "TERM=xterm-256color", "PATH=" + os.Getenv("PATH")}
	// secret-tool's lock command locks the collection (it may crash afterwards; the
	// lock holds).
	script := `echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; ` +
		`secret-tool store --label=x otpair-test x </dev/null >/dev/null 2>&1; secret-tool lock --collection=login >/dev/null 2>&1; exec "$0"`
	s := startTmux(t, 120, 40, env, "dbus-run-session", "--", "sh", "-c", script, bin)
	scr := s.waitFor("the OS keyring is locked", "no unlock prompt", "ctrl+r use the keyring")
	for _, junk := range []string{"Gtk-WARNING", "gcr-prompter", "dbus-daemon", "No OS keyring here"} {
		if strings.Contains(scr, junk) {
			t.Errorf("the screen shows %q:\n%s", junk, scr)
		}
	}
	s.keys("C-c")
	s.waitGone("Authenticator")
}

// TestTUIEndToEndInTmuxKeyring is the same lifecycle with the vault key in a real
// Secret Service (scripts/test.sh runs gnome-keyring under dbus-run-session).
func TestTUIEndToEndInTmuxKeyring(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	external.Env(t, "OTPAIR_TEST_KEYRING", "a Secret Service (gnome-keyring under dbus-run-session)")
	bus := external.Env(t, "DBUS_SESSION_BUS_ADDRESS", "a D-Bus session bus")
	bin := buildTUIBinary(t)
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
			// Leave the cores to the program being timed: back-to-back captures on a
			// busy machine slowed the start they were waiting for.
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		server.run("kill-session", "-t", name)
		b.StartTimer()
	}
}

// BenchmarkTUIFirstFrame is process start to first frame of `otpair` (budget: 100 ms).
func BenchmarkTUIFirstFrame(b *testing.B) {
	benchFirstFrame(b, "Authenticator", buildTUIBinary(b))
}

// BenchmarkTmuxBaseline is the same measurement for a command that prints at once, so
// the TUI's own share can be told from tmux's.
func BenchmarkTmuxBaseline(b *testing.B) {
	benchFirstFrame(b, "Authenticator", "sh", "-c", "echo Authenticator; sleep 600")
}

// realDeps wires the TUI as `otpair tui` does, but on throwaway state: a vault in a
// temporary folder with an in-memory keyring and an in-memory local backend on clock.
func realDeps(t *testing.T, clock verifier.Clock) (*tuiWiring, authenticator.Options) {
	t.Helper()
	w := &tuiWiring{qr: tuiQR(nil)}
	t.Cleanup(w.close)
	opts := authenticator.Options{Dir: t.TempDir(), Keyring: &authenticator.MemKeyring{}}
	w.openVault = vaultOpener(opts, "")
	w.openBackend = backendOpener(w, nil, func(ctx context.Context) (verifier.Store, []byte, error) {
		st, err := sqlite.Open(ctx, sqlite.MemoryDB)
		return st, verifier.NewSeedKey(), err
	}, clock)
	return w, opts
}

// TestTUIFlowOnTheRealBackend runs the program (teatest) on the real vault and the real
// local backend: sign up, enrol with e, sign in with the ctrl+f code. The vault then
// holds the account and the backend lists the user as enrolled.
func TestTUIFlowOnTheRealBackend(t *testing.T) {
	w, opts := realDeps(t, time.Now)
	r := lipgloss.NewRenderer(io.Discard)
	app := tui.New(tui.Common{Styles: tui.DefaultStyles(r), KeyMap: tui.DefaultKeyMap(), Now: time.Now}, tui.Options{
		Auth:   tui.AuthDeps{Open: w.openVault, QR: w.qr, Clipboard: tui.ClipboardFuncs{CopyFn: func(context.Context, string) (tui.CopyReport, error) { return tui.CopyReport{OSC52: true}, nil }}},
		Verify: tui.VerifyDeps{Open: w.openBackend, QR: w.qr},
	})
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(120, 40))
	var seen []byte
	wait := func(wants ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			seen = append(seen, b...)
			for _, w := range wants {
				if !bytes.Contains(seen, []byte(w)) {
					return false
				}
			}
			seen = nil
			return true
		}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	keys := func(ks ...tea.KeyType) {
		for _, k := range ks {
			tm.Send(tea.KeyMsg{Type: k})
		}
	}
	wait("connected to local backend", "0 accounts", "vault: OS keyring")
	keys(tea.KeyTab)
	tm.Type("s")
	tm.Type("frank@example.com")
	keys(tea.KeyEnter)
	wait("Sign-up of frank@example.com")
	tm.Type("e")
	wait("added otpair: frank@example.com")
	tm.Type("i")
	keys(tea.KeyCtrlF, tea.KeyEnter)
	wait("signed in as frank@example.com", "enrolment complete")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	ctx := context.Background()
	v, err := authenticator.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := v.Accounts(ctx)
	if err != nil || len(accts) != 1 || accts[0].Key.Account != "frank@example.com" {
		t.Fatalf("vault holds %v (%v), want frank's account", accts, err)
	}
	b, err := w.openBackend(ctx, tui.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	users, err := b.Users(ctx)
	if err != nil || len(users) != 1 || !users[0].Enrolled || users[0].LoginID != "frank@example.com" {
		t.Fatalf("backend users %+v (%v), want frank enrolled", users, err)
	}
}

// lifecycleThroughAdapter runs sign-up, sign-in, replay, wrong codes to the lock and
// delete seed through the tui.Verifier adapter, checking the reasons and API codes the
// timeline shows. now is the backend's clock.
func lifecycleThroughAdapter(t *testing.T, b tui.Verifier, now func() time.Time) {
	t.Helper()
	ctx := context.Background()
	res, err := b.SignUp(ctx, "gina@example.com", "Gina", "gina@example.com")
	if err != nil {
		t.Fatal(err)
	}
	key, err := provisioning.ParseURI(res.URI)
	if err != nil || key.SecretBase32() != res.Key {
		t.Fatalf("sign-up URI %v does not hold the key shown", err)
	}
	code, _ := key.Code(now())
	s, err := b.SignIn(ctx, "gina@example.com", code)
	if err != nil {
		t.Fatal(err)
	}
	if s.LoginID != "gina@example.com" || s.Subject == "" || s.Subject == s.LoginID || !s.FirstSeen ||
		len(s.AMR) == 0 || s.AMR[0] != "totp" || !s.Expires.After(now()) || s.RefreshJWT == "" {
		t.Fatalf("session %+v", s)
	}
	me, err := b.Me(ctx, s.RefreshJWT)
	if err != nil || !strings.Contains(me, "gina@example.com") || !strings.Contains(me, "TOTP enrolled") {
		t.Fatalf("me = %q, %v", me, err)
	}
	wantFailure(t, "replay", func() error { _, err := b.SignIn(ctx, "gina@example.com", code); return err },
		tui.ReasonCodeUsed, httpapi.CodeWrongCode)
	wantFailure(t, "unknown user", func() error { _, err := b.SignIn(ctx, "nobody@example.com", code); return err },
		tui.ReasonUnknownUser, httpapi.CodeUnknownUser)
	wantFailure(t, "user exists", func() error { _, err := b.SignUp(ctx, "gina@example.com", "", ""); return err },
		tui.ReasonUserExists, httpapi.CodeUserExists)
	wantFailure(t, "bad token", func() error { _, err := b.Refresh(ctx, "not-a-token"); return err },
		tui.ReasonUnauthorized, httpapi.CodeBadToken)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	var locked *tui.RequestError
	for i := 0; i < verifier.DefaultMaxAttempts+1 && locked == nil; i++ {
		_, err := b.SignIn(ctx, "gina@example.com", wrong)
		var re *tui.RequestError
		if !errors.As(err, &re) {
			t.Fatalf("attempt %d: %v is not a *tui.RequestError", i, err)
		}
		switch re.Reason {
		case tui.ReasonWrongCode:
			if re.Code != httpapi.CodeWrongCode || (re.LockedUntil.IsZero() && !strings.Contains(re.Message, " left")) {
				t.Fatalf("attempt %d: %+v", i, re)
			}
		case tui.ReasonLocked:
			locked = re
		default:
			t.Fatalf("attempt %d: reason %v (%v)", i, re.Reason, err)
		}
	}
	if locked == nil || locked.Code != httpapi.CodeTooManyAttempts || locked.LockedUntil.Before(now().Add(4*time.Minute)) {
		t.Fatalf("no lockout with its end after %d wrong codes: %+v", verifier.DefaultMaxAttempts+1, locked)
	}
	if err := b.DeleteSeed(ctx, "gina@example.com"); err != nil {
		t.Fatalf("delete seed: %v", err)
	}
	wantFailure(t, "delete unknown", func() error { return b.DeleteSeed(ctx, "nobody@example.com") },
		tui.ReasonUnknownUser, httpapi.CodeMgmtUnknownUser)
}

func wantFailure(t *testing.T, what string, call func() error, reason tui.Reason, code string) {
	t.Helper()
	var re *tui.RequestError
	if err := call(); !errors.As(err, &re) {
		t.Fatalf("%s: %v is not a *tui.RequestError", what, err)
	}
	if re.Reason != reason || re.Code != code {
		t.Fatalf("%s: reason %v code %s, want %v %s (%v)", what, re.Reason, re.Code, reason, code, re.Err)
	}
	if strings.Contains(re.Error(), "000000") {
		t.Fatalf("%s: the message repeats a code: %v", what, re)
	}
}

func TestVerifierAdapterLocal(t *testing.T) {
	w, _ := realDeps(t, time.Now)
	b, err := w.openBackend(context.Background(), tui.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	lifecycleThroughAdapter(t, b, time.Now)
	users, err := b.Users(context.Background())
	if err != nil || len(users) != 1 || users[0].Enrolled || users[0].LockedUntil.IsZero() {
		t.Fatalf("users after delete seed and lock: %+v (%v)", users, err)
	}
}

func TestVerifierAdapterRemote(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.MemoryDB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	local, err := verifier.NewLocal(ctx, st, verifier.LocalOptions{SeedKey: verifier.NewSeedKey(), SigningAlg: verifier.ES256})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(local, httpapi.ServerOptions{ManagementKey: "mk"}))
	defer srv.Close()
	w, _ := realDeps(t, time.Now)
	if _, err := w.openBackend(ctx, tui.BackendConfig{Remote: true, BaseURL: "http://127.0.0.1:1", ProjectID: local.ProjectID()}); err == nil {
		t.Fatal("a server that does not answer counts as connected")
	}
	b, err := w.openBackend(ctx, tui.BackendConfig{Remote: true, BaseURL: srv.URL, ProjectID: local.ProjectID(), ManagementKey: "mk"})
	if err != nil {
		t.Fatal(err)
	}
	lifecycleThroughAdapter(t, b, time.Now)
	// The users list comes over the management API's user search.
	users, err := b.Users(ctx)
	if err != nil || len(users) != 1 || users[0].LoginID != "gina@example.com" || users[0].Enrolled || users[0].LockedUntil.IsZero() {
		t.Fatalf("remote users after delete seed and lock: %+v (%v)", users, err)
	}
	noKey, err := w.openBackend(ctx, tui.BackendConfig{Remote: true, BaseURL: srv.URL, ProjectID: local.ProjectID()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noKey.Users(ctx); err == nil || !strings.Contains(err.Error(), "management key") {
		t.Fatalf("remote users without a management key: %v, want an error naming the key", err)
	}
}

func TestRequestErrorWords(t *testing.T) {
	until := time.Date(2026, 11, 24, 12, 5, 0, 0, time.UTC)
	cases := []struct {
		err    error
		reason tui.Reason
		code   string
		msg    string
		until  time.Time
	}{
		{fmt.Errorf("sign in: %w (3 attempts left)", verifier.ErrWrongCode), tui.ReasonWrongCode, httpapi.CodeWrongCode, "3 attempts left", time.Time{}},
		{fmt.Errorf("sign in: %w (locked until %s)", verifier.ErrWrongCode, until.Format(time.RFC3339)), tui.ReasonWrongCode, httpapi.CodeWrongCode, "", until},
		{fmt.Errorf("sign in: %w", &verifier.LockedError{Until: until}), tui.ReasonLocked, httpapi.CodeTooManyAttempts, "", until},
		{fmt.Errorf("sign in: %w", verifier.ErrCodeReused), tui.ReasonCodeUsed, httpapi.CodeWrongCode, "", time.Time{}},
		{fmt.Errorf("sign in: %w", &verifier.ReusedCodeError{Rule: verifier.ReuseSameStep, Left: 4}), tui.ReasonCodeUsed, httpapi.CodeWrongCode,
			"this seed's code for this time step was accepted already (4 attempts left)", time.Time{}},
		{fmt.Errorf("sign in: %w", verifier.ErrNoSeed), tui.ReasonNoSeed, httpapi.CodeWrongCode, "", time.Time{}},
		{fmt.Errorf("sign up: %w: login id too long", verifier.ErrInvalidArgument), tui.ReasonBadRequest, "E011003", "invalid argument: login id too long", time.Time{}},
		{errors.New("open database: disk full"), tui.ReasonOther, "", "open database: disk full", time.Time{}},
	}
	for _, c := range cases {
		var re *tui.RequestError
		if !errors.As(requestError(c.err, false), &re) {
			t.Fatalf("%v: not a RequestError", c.err)
		}
		if re.Reason != c.reason || re.Code != c.code || re.Message != c.msg || !re.LockedUntil.Equal(c.until) || !errors.Is(re, c.err) {
			t.Errorf("%v: got %v %q %q %v", c.err, re.Reason, re.Code, re.Message, re.LockedUntil)
		}
	}
	if requestError(nil, false) != nil {
		t.Error("nil error mapped to a failure")
	}
}

// TestVaultOpenerAsksInPassphraseMode: with no keyring a new vault asks for a
// passphrase (New, with the reason), and a wrong one for an existing vault is refused.
func TestVaultOpenerAsksInPassphraseMode(t *testing.T) {
	ctx := context.Background()
	opts := authenticator.Options{Dir: t.TempDir(), ScryptWorkFactor: 10}
	open := vaultOpener(opts, "")
	_, _, err := open(ctx, "")
	var pe *tui.PassphraseError
	if !errors.As(err, &pe) || !pe.New || pe.Reason == "" || !errors.Is(err, tui.ErrPassphraseNeeded) {
		t.Fatalf("new vault without a keyring: %v, want a new-passphrase request with a reason", err)
	}
	// A new passphrase under 8 characters: asked again, saying why.
	if _, _, err := open(ctx, "pw"); !errors.As(err, &pe) || !pe.New || !strings.Contains(pe.Reason, "at least 8 characters") {
		t.Fatalf("a short new passphrase: %v, want to be asked again", err)
	}
	store, info, err := open(ctx, "pass phrase")
	if err != nil || info.Mode != "passphrase mode" || !info.Passphrase {
		t.Fatalf("open with a passphrase: %+v %v", info, err)
	}
	res, err := store.Import(ctx, "otpauth://totp/Acme:hal?secret=GEZDGNBVGY3TQOJQ", "")
	if err != nil || len(res.Added) != 1 || res.Err != nil {
		t.Fatalf("import: %+v %v", res, err)
	}
	res, err = store.Import(ctx, "otpauth://totp/Acme:hal?secret=GEZDGNBVGY3TQOJQ", "")
	if err != nil || len(res.Added) != 0 || len(res.Duplicates) != 1 {
		t.Fatalf("import again: %+v %v, want a duplicate", res, err)
	}
	if _, err := store.Import(ctx, "otpauth://totp/Acme:hal", ""); err == nil {
		t.Fatal("a URI without a secret was imported")
	}
	if _, _, err := open(ctx, ""); !errors.As(err, &pe) || pe.New {
		t.Fatalf("existing passphrase vault without a passphrase: %v", err)
	}
	if _, _, err := open(ctx, "wrong"); err == nil || errors.Is(err, tui.ErrPassphraseNeeded) {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	if _, _, err := vaultOpener(opts, "pass phrase")(ctx, ""); err != nil {
		t.Fatalf("OTPAIR_PASSPHRASE does not open the vault: %v", err)
	}
	// A stale OTPAIR_PASSPHRASE leads to the prompt, whose passphrase then wins.
	stale := vaultOpener(opts, "old")
	if _, _, err := stale(ctx, ""); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "OTPAIR_PASSPHRASE") {
		t.Fatalf("a wrong OTPAIR_PASSPHRASE: %v, want the prompt", err)
	}
	if _, _, err := stale(ctx, "pass phrase"); err != nil {
		t.Fatalf("the typed passphrase after a stale OTPAIR_PASSPHRASE: %v", err)
	}
}

// lockedKeyring is an OS keyring that is there but locked, as SystemKeyring reports
// one whose unlock prompt cannot be shown.
type lockedKeyring struct{ authenticator.MemKeyring }

func (k *lockedKeyring) Get(context.Context, string, string) (string, error) {
	return "", &authenticator.KeyringError{Problem: authenticator.KeyringLocked, Op: "read", Detail: "failed to unlock correct collection"}
}

// TestVaultOpenerTellsALockedKeyring: a new vault whose keyring is only locked asks
// for a passphrase saying so, with what to do and that retrying can use the keyring;
// an existing keyring vault behind a locked keyring fails with the remedy.
func TestVaultOpenerTellsALockedKeyring(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, _, err := vaultOpener(authenticator.Options{Dir: dir, Keyring: &lockedKeyring{}, ScryptWorkFactor: 10}, "")(ctx, "")
	var pe *tui.PassphraseError
	if !errors.As(err, &pe) || !pe.New || !pe.KeyringLocked || !strings.Contains(pe.Reason, "locked") || !strings.Contains(pe.Remedy, "unlock") {
		t.Fatalf("new vault behind a locked keyring: %+v (%v)", pe, err)
	}
	// A keyring vault, then its keyring locks.
	kr := &authenticator.MemKeyring{}
	store, _, err := vaultOpener(authenticator.Options{Dir: dir, Keyring: kr}, "")(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, "otpauth://totp/Acme:hal?secret=GEZDGNBVGY3TQOJQ", ""); err != nil {
		t.Fatal(err)
	}
	_, _, err = vaultOpener(authenticator.Options{Dir: dir, Keyring: &lockedKeyring{}}, "")(ctx, "")
	var re *tui.RemedyError
	if !errors.As(err, &re) || !strings.Contains(re.Remedy, "unlock the keyring") || !errors.Is(err, authenticator.ErrKeyringUnavailable) {
		t.Fatalf("keyring vault behind a locked keyring: %v, want a RemedyError saying to unlock it", err)
	}
}

// TestDemoInTmux plays `otpair demo --auto` to its end in the real binary and checks
// the lifecycle on screen, then closes the terminal under it (SIGHUP): the throwaway
// vault folder is gone.
func TestDemoInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildTUIBinary(t)
	tmp := t.TempDir()
	env := append(e2eEnv(t), "TMPDIR="+tmp)
	s := startTmux(t, 120, 40, env, bin, "demo", "--auto", "--delay", "300ms")
	scr := s.waitFor("That is the whole lifecycle", "no TOTP seed", "vault: throwaway demo vault", "+12 periods")
	for _, want := range []string{"code already used", "wrong code", "locked until", "E061103", "✓ update", "✓ delete seed"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the demo's end screen lacks %q:\n%s", want, scr)
		}
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "otpair-demo-*"))
	if len(left) != 1 {
		t.Fatalf("want one throwaway vault folder while the demo runs, found %v", left)
	}
	s.run("kill-server")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if left, _ = filepath.Glob(filepath.Join(tmp, "otpair-demo-*")); len(left) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the demo's vault folder outlived the terminal: %v", left)
}

// TestTUISeedPolicyCodesSignIn: with the backend form's seed policy (SHA256, 8 digits,
// 60 s) the local backend issues such seeds, the vault enrols the provisioning URI as
// they are, and the code the authenticator computes from the stored account signs in,
// reporting the step of a 60 s period.
func TestTUISeedPolicyCodesSignIn(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC)
	w, opts := realDeps(t, func() time.Time { return now })
	b, err := w.openBackend(ctx, tui.BackendConfig{Seeds: tui.SeedPolicy{Algorithm: "SHA256", Digits: 8, Period: 60}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.SignUp(ctx, "kim@example.com", "", "")
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := w.openVault(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Enrol(ctx, res.URI); err != nil {
		t.Fatal(err)
	}
	v, err := authenticator.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := v.Accounts(ctx)
	if err != nil || len(accts) != 1 {
		t.Fatalf("vault: %v %v", accts, err)
	}
	k := accts[0].Key
	if k.Algorithm != provisioning.SHA256 || k.Digits != 8 || k.Period != 60 {
		t.Fatalf("the enrolled account is %s/%d/%d, want SHA256/8/60", k.Algorithm, k.Digits, k.Period)
	}
	code, err := k.Code(now)
	if err != nil || len(code) != 8 {
		t.Fatalf("code %q, %v", code, err)
	}
	s, err := b.SignIn(ctx, "kim@example.com", code)
	if err != nil || s.Step != uint64(now.Unix()/60) || s.Drift != 0 {
		t.Fatalf("sign-in with the authenticator's code: step %d drift %d, %v; want step %d", s.Step, s.Drift, err, now.Unix()/60)
	}
	// The default backend beside it still issues Descope's seeds.
	def, err := w.openBackend(ctx, tui.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	res, err = def.SignUp(ctx, "lee@example.com", "", "")
	if k2, perr := provisioning.ParseURI(res.URI); err != nil || perr != nil || k2.Algorithm != provisioning.SHA1 || k2.Digits != 6 || k2.Period != 30 {
		t.Fatalf("the default backend issued %+v (%v %v)", k2, err, perr)
	}
}
