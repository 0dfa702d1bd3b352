package tui

import (
	ctxpkg "context"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	// Pin colours so goldens do not depend on the terminal running the tests.
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

// testCommon is a Common with a fixed clock.
func testCommon() Common {
	return Common{Styles: DefaultStyles(lipgloss.DefaultRenderer()), KeyMap: DefaultKeyMap(),
		Now: func() time.Time { return fixedNow }}
}

// settle runs cmd and every command its messages lead to, feeding the messages back
// through update, the way a program would, but without the clock: tick loops and
// spinner frames are dropped, and a command still running after a short wait is one
// of those timers and is abandoned.
func settle[M any](t testing.TB, m M, cmd tea.Cmd, update func(M, tea.Msg) (M, tea.Cmd)) M {
	t.Helper()
	return settleWithin(t, m, cmd, update, 300*time.Millisecond)
}

// settleWithin is settle that waits up to wait for each command: for commands that do
// real work (a flow engine over a real database, slow under -race) and would
// otherwise be taken for timers.
func settleWithin[M any](t testing.TB, m M, cmd tea.Cmd, update func(M, tea.Msg) (M, tea.Cmd), wait time.Duration) M {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for round := 0; len(queue) > 0; round++ {
		if round > 50 {
			t.Fatal("settle: commands never settle")
		}
		msgs := runAll(queue, wait)
		queue = nil
		for _, msg := range msgs {
			var next tea.Cmd
			m, next = update(m, msg)
			queue = append(queue, next)
		}
	}
	return m
}

// runAll runs commands concurrently and returns the messages that arrive quickly.
func runAll(cmds []tea.Cmd, wait time.Duration) []tea.Msg {
	var (
		mu   sync.Mutex
		msgs []tea.Msg
		wg   sync.WaitGroup
	)
	var run func(c tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case msg := <-done:
			switch msg := msg.(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					wg.Add(1)
					go func() { defer wg.Done(); run(c) }()
				}
			case nil, spinner.TickMsg, tickMsg, demoMsg:
			default:
				if reflect.TypeOf(msg).String() == "tea.sequenceMsg" {
					return
				}
				mu.Lock()
				msgs = append(msgs, msg)
				mu.Unlock()
			}
		case <-time.After(wait):
		}
	}
	for _, c := range cmds {
		wg.Add(1)
		go func() { defer wg.Done(); run(c) }()
	}
	wg.Wait()
	return msgs
}

func appUpdate(a App, msg tea.Msg) (App, tea.Cmd) {
	m, cmd := a.Update(msg)
	return m.(App), cmd
}

// testApp builds an app on fakes, opened and sized, with its accounts loaded.
func testApp(t testing.TB, store *fakeStore, v Verifier, w, h int) App {
	t.Helper()
	a := New(testCommon(), Options{
		Auth: AuthDeps{
			Open:      openAs(store, "OS keyring"),
			Clipboard: fakeClipboard(),
			QR:        fakeQR,
		},
		Verify: VerifyDeps{Open: func(ctxpkg.Context, BackendConfig) (Verifier, error) { return v, nil }, QR: fakeQR},
	})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: w, Height: h})
	a = settle(t, a, a.Init(), appUpdate)
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow})
	return a
}

// openAs is a VaultOpener that opens store in a keyring mode.
func openAs(store AccountStore, mode string) VaultOpener {
	return func(ctxpkg.Context, string) (AccountStore, VaultInfo, error) {
		return store, VaultInfo{Mode: mode}, nil
	}
}

// fakeClipboard is a clipboard that takes everything via OSC 52 and clears nothing.
func fakeClipboard() Clipboard {
	return ClipboardFuncs{CopyFn: func(ctxpkg.Context, string) (CopyReport, error) { return CopyReport{OSC52: true}, nil }}
}
