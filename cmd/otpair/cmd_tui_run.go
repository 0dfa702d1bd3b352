package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"

	"github.com/otpair/otpair/internal/safetext"
)

// Running the TUI so that the terminal always comes back. Bubble Tea v1.3.10 restores
// the terminal itself on a quit, a signal and a panic it catches (in Update, in View
// and in the goroutines that run commands), but not when its start fails half way:
// `otpair </dev/null` entered the alternate screen and hid the cursor, then failed to
// read standard input and returned as it was. So the TUI refuses to start without a
// terminal, runTea puts the screen and the keyboard back after such a failure, and a
// panic is reported after the terminal is restored, with exit status 1.

// requireTerminal refuses to start what (the TUI, the demo) unless standard input and
// output are both terminals: a usage error that says what to run instead.
func requireTerminal(e *env, what string) error {
	if skipTerminalCheck != nil && skipTerminalCheck(e) {
		return nil
	}
	var not string
	switch in, out := isTerminal(e.stdin), isTerminal(e.stdout); {
	case in && out:
		return nil
	case in:
		not = "standard output is not one"
	case out:
		not = "standard input is not one"
	default:
		not = "neither standard input nor standard output is one"
	}
	return usageError("%s needs a terminal, and %s. In a script or a pipe, run a command instead: "+
		"otpair list, otpair code QUERY, otpair import SOURCE, otpair verifier … ('otpair help' lists them)", what, not)
}

// isTerminal reports whether a stream is a terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// skipTerminalCheck, when a test build sets it (cmd_tui_testhook.go), lets the TUI
// start without a terminal, to test what runTea does when Bubble Tea's start fails.
var skipTerminalCheck func(e *env) bool

// tuiTestHook, when a test build sets it (cmd_tui_testhook.go, build tag
// otpair_testhooks), wraps the model to make it fail on cue. It is nil in otpair.
var tuiTestHook func(e *env, m tea.Model) tea.Model

// runTea runs model on e's streams until it quits, and returns with the terminal as it
// found it, whatever happened in between.
func runTea(ctx context.Context, e *env, model tea.Model, opts ...tea.ProgramOption) error {
	if tuiTestHook != nil {
		model = tuiTestHook(e, model)
	}
	if fd, ok := terminalFD(e.stdin); ok {
		if st, err := term.GetState(fd); err == nil {
			defer func() { _ = term.Restore(fd, st) }() // the keyboard out of raw mode, on every path
		}
	}
	c := &crash{}
	opts = append(opts, tea.WithContext(ctx), tea.WithInput(e.stdin), tea.WithOutput(e.stdout))
	_, err := tea.NewProgram(guarded{model, c}, opts...).Run()
	if v, stack, where := c.report(); v != nil {
		// Bubble Tea has restored the terminal and printed the panic; a panic in a
		// command it printed into the alternate screen, which is gone, so the trace is
		// printed again here, where it can be read.
		if where == "a command" {
			_, _ = safetext.Writer(e.stderr).Write(stack)
		}
		return fmt.Errorf("the TUI stopped on an internal error in %s, a bug (please report it): %v; the terminal is restored", where, v)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tea.ErrProgramPanic):
		return errors.New("the TUI stopped on an internal error, a bug (please report it); the terminal is restored")
	case errors.Is(err, tea.ErrProgramKilled):
		return nil // ctrl+c, SIGINT, SIGTERM, SIGHUP: the terminal is restored
	}
	// Bubble Tea returned before its own clean-up: leave the alternate screen, show the
	// cursor and end bracketed paste (the keyboard's mode is restored by the defer).
	if isTerminal(e.stdout) {
		_, _ = io.WriteString(e.stdout, ansi.ResetModeBracketedPaste+ansi.ShowCursor+ansi.ResetModeAltScreenSaveCursor)
	}
	return fmt.Errorf("tui: %w", err)
}

// crash records the first panic in the model or in one of its commands, so that
// runTea can report it once the terminal is back.
type crash struct {
	mu    sync.Mutex
	value any
	stack []byte
	where string
}

// catch, deferred, records a panic and panics again, so that Bubble Tea still
// restores the terminal as it does for every panic it catches.
func (c *crash) catch(where string) {
	r := recover()
	if r == nil {
		return
	}
	c.mu.Lock()
	if c.value == nil {
		c.value, c.stack, c.where = r, debug.Stack(), where
	}
	c.mu.Unlock()
	panic(r)
}

func (c *crash) report() (value any, stack []byte, where string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value, c.stack, c.where
}

// wrap makes cmd record a panic; the commands of a batch are wrapped one by one as the
// batch runs.
func (c *crash) wrap(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		defer c.catch("a command")
		msg := cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			wrapped := make(tea.BatchMsg, len(batch))
			for i, b := range batch {
				wrapped[i] = c.wrap(b)
			}
			return wrapped
		}
		return msg
	}
}

// guarded is a model whose panics, and its commands', are recorded in c.
type guarded struct {
	tea.Model
	c *crash
}

// Init implements tea.Model.
func (g guarded) Init() tea.Cmd {
	defer g.c.catch("Init")
	return g.c.wrap(g.Model.Init())
}

// Update implements tea.Model.
func (g guarded) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer g.c.catch("Update")
	m, cmd := g.Model.Update(msg)
	return guarded{m, g.c}, g.c.wrap(cmd)
}

// View implements tea.Model.
func (g guarded) View() string {
	defer g.c.catch("View")
	return g.Model.View()
}
