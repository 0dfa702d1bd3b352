package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/internal/external"
)

// TestTUIRefusesWithoutATerminal is issue 11's item 9 in-process: with standard input
// or output that is not a terminal, `otpair` and `otpair demo` refuse before they open
// anything, with a usage error (exit 2) that says what to run instead.
func TestTUIRefusesWithoutATerminal(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for _, c := range []struct {
		name  string
		args  []string
		stdin io.Reader
	}{
		{"tui, stdin a pipe", nil, strings.NewReader("")},
		{"tui, stdin /dev/null", []string{"tui"}, devNull},
		{"demo", []string{"demo", "--auto"}, devNull},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			var out, errOut bytes.Buffer
			e := &env{stdin: c.stdin, stdout: &out, stderr: &errOut, now: time.Now,
				getenv: func(k string) string {
					if k == "OTPAIR_HOME" {
						return home
					}
					return ""
				}}
			// The old TUI ran on without a terminal until it was killed: a deadline
			// turns that into a failure instead of a hang.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			code := run(ctx, e, c.args)
			if code != 2 || !strings.Contains(errOut.String(), "needs a terminal, and neither standard input nor standard output is one") ||
				!strings.Contains(errOut.String(), "otpair list") {
				t.Errorf("exit %d, stderr:\n%s", code, errOut.String())
			}
			if out.Len() != 0 {
				t.Errorf("wrote to standard output: %q", out.String())
			}
			if _, err := os.Stat(home); !os.IsNotExist(err) {
				t.Errorf("the refused TUI created its home (%v)", err)
			}
		})
	}
}

// shellInTmux starts bash in a private tmux server, ready for commands typed with
// s.text and Enter, in the fresh otpair world of e2eEnv.
func shellInTmux(t *testing.T, extraEnv ...string) *tmuxSession {
	t.Helper()
	external.Tool(t, "bash", "bash")
	// No history file: bash would write it into the temporary home as the test removes it.
	env := append(append(e2eEnv(t), "PS1=$ ", "HISTFILE="), extraEnv...)
	return startTmux(t, 120, 40, env, "bash", "--norc", "--noprofile")
}

// terminalState is what tmux knows of the pane: alternate screen on, cursor visible.
func (s *tmuxSession) terminalState() (altScreen, cursor string) {
	s.t.Helper()
	f := strings.Fields(s.run("display-message", "-p", "-t", s.name, "#{alternate_on} #{cursor_flag}"))
	if len(f) != 2 {
		s.t.Fatalf("tmux display-message: %q", f)
	}
	return f[0], f[1]
}

// joinedScreen is the pane with wrapped lines joined, as the program wrote them.
func (s *tmuxSession) joinedScreen() string {
	s.t.Helper()
	return s.run("capture-pane", "-p", "-J", "-t", s.name)
}

// exitStatus is the status echo printed as EXIT=N, and whether the terminal was back
// in cooked mode (stty shows icanon, not -icanon).
var exitStatus = regexp.MustCompile(`EXIT=(\d+) (-?icanon)`)

// TestTUIWithoutATerminalInTmux is item 9 as users met it: `otpair </dev/null` in a
// real terminal left it in the alternate screen with the cursor hidden. Now it refuses
// before touching the terminal, with exit status 2; so do `otpair | cat` and the demo.
func TestTUIWithoutATerminalInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildTUIBinary(t)
	s := shellInTmux(t)
	for _, c := range []string{bin + " </dev/null", bin + " | cat", bin + " demo </dev/null"} {
		s.keys("C-l")
		s.text("clear; " + c + "; echo EXIT=${PIPESTATUS[0]} $(stty -a | grep -o -- '-\\?icanon')")
		s.keys("Enter")
		m := s.waitMatch(exitStatus)
		scr := s.joinedScreen()
		if alt, cursor := s.terminalState(); alt != "0" || cursor != "1" {
			t.Errorf("%s: the pane is left with alternate screen %s, cursor %s:\n%s", c, alt, cursor, scr)
		}
		if m[1] != "2" || m[2] != "icanon" || !strings.Contains(scr, "needs a terminal") {
			t.Errorf("%s: exit %s, %s:\n%s", c, m[1], m[2], scr)
		}
	}
}

// TestTUIPanicRestoresTheTerminal makes the TUI panic in Update, in View and in a
// command (a test build's hook, OTPAIR_TEST_PANIC, fires on F12) and checks that the
// pane is out of the alternate screen with the cursor shown and the keyboard in cooked
// mode, and that otpair says what happened and exits with status 1. The same holds when
// Bubble Tea's own start fails half way (the hook lets the TUI start on /dev/null,
// which otherwise it refuses), the one exit Bubble Tea does not clean up after.
func TestTUIPanicRestoresTheTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "otpair-hooks")
	if out, err := exec.Command("go", "build", "-tags", "otpair_testhooks", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range []struct{ where, says string }{
		{"update", "internal error in Update"},
		{"view", "internal error in View"},
		{"command", "internal error in a command"},
		{"start", "error creating cancelreader"},
	} {
		t.Run(c.where, func(t *testing.T) {
			s := shellInTmux(t)
			if c.where == "start" {
				s.text("clear; OTPAIR_TEST_SKIP_TTY_CHECK=1 " + bin + " </dev/null; echo EXIT=$? $(stty -a | grep -o -- '-\\?icanon')")
				s.keys("Enter")
			} else {
				s.text("clear; OTPAIR_TEST_PANIC=" + c.where + " " + bin + "; echo EXIT=$? $(stty -a | grep -o -- '-\\?icanon')")
				s.keys("Enter")
				s.waitFor("Authenticator", "connected to local backend")
				if alt, cursor := s.terminalState(); alt != "1" || cursor != "0" {
					t.Fatalf("the TUI runs with alternate screen %s, cursor %s", alt, cursor)
				}
				s.keys("F12")
			}
			m := s.waitMatch(exitStatus)
			scr := s.joinedScreen()
			if alt, cursor := s.terminalState(); alt != "0" || cursor != "1" {
				t.Errorf("afterwards the pane has alternate screen %s, cursor %s:\n%s", alt, cursor, scr)
			}
			if m[1] != "1" || m[2] != "icanon" || !strings.Contains(scr, c.says) {
				t.Errorf("exit %s, %s:\n%s", m[1], m[2], scr)
			}
		})
	}
}

// TestRunTeaReportsPanics: a panic in Init's command, in Update or in View ends the
// program with an error that names where and what, not the exit status 0 of a quit.
func TestRunTeaReportsPanics(t *testing.T) {
	for _, where := range []string{"a command", "Update", "View"} {
		t.Run(where, func(t *testing.T) {
			var out, errOut bytes.Buffer
			e := &env{stdin: strings.NewReader("x"), stdout: &out, stderr: &errOut, now: time.Now, getenv: func(string) string { return "" }}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := runTea(ctx, e, panicModel{where: where})
			if err == nil || !strings.Contains(err.Error(), "internal error in "+where) || !strings.Contains(err.Error(), "boom in "+where) {
				t.Fatalf("runTea = %v", err)
			}
			if where == "a command" && !strings.Contains(errOut.String(), "panicModel") {
				t.Errorf("the trace of a command's panic is not printed:\n%s", errOut.String())
			}
		})
	}
}

// panicModel panics in where: its first command, the first key, or its first View.
type panicModel struct{ where string }

func (m panicModel) Init() tea.Cmd {
	if m.where == "a command" {
		return tea.Batch(nil, func() tea.Msg { panic("boom in a command") })
	}
	return nil
}

func (m panicModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(tea.KeyMsg); ok && m.where == "Update" {
		panic("boom in Update")
	}
	return m, nil
}

func (m panicModel) View() string {
	if m.where == "View" {
		panic("boom in View")
	}
	return "ok"
}
