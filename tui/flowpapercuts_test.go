package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/otpair/otpair/verifier/flow"
)

// The flow view keeps the TUI's conventions (issue 14) where it draws the same
// things: errors wrapped in three lines with ! for the rest, the hint wrapped in two,
// the minimum size, the QR code's ink, and ctrl+f naming the account it used.

// failingFlows is an engine whose every start fails with why.
type failingFlows struct{ why string }

func (e failingFlows) Flows() *flow.Registry { return flow.MustBuiltins() }

func (e failingFlows) Start(context.Context, flow.StartRequest) (*flow.Response, error) {
	return &flow.Response{ExecutionID: "x1", Status: flow.StatusFailed, Error: &flow.StepError{Type: "Unauthorized", Text: e.why}}, nil
}

func (e failingFlows) Next(context.Context, flow.NextRequest) (*flow.Response, error) {
	return nil, errNotFaked
}

func TestFlowErrorsWrapAndOpenInFull(t *testing.T) {
	why := "sign in first: this flow needs the refresh token of a signed-in user, and the session this pane held expired while the flow was being picked, so there is nothing to act for"
	a := testApp(t, newFakeStore(), flowFake{fakeVerifier: &fakeVerifier{}, engine: failingFlows{why: why}}, 80, 24)
	a = pickFlow(t, openFlows(t, a), "update-user-totp")
	// The screen cuts it; the timeline, a log that scrolls, keeps it whole.
	if v := a.verify.flow.View(); !strings.Contains(v, "✗ Failed") || !strings.Contains(v, "(! shows all)") || strings.Contains(v, "nothing to act for") {
		t.Fatalf("the failure is not cut at three lines with a pointer to !:\n%s", v)
	}
	a = press(t, a, "!")
	v := a.View()
	if !strings.Contains(v, "The last error in full") || !strings.Contains(v, "nothing to act for") || !strings.Contains(v, "(Unauthorized)") {
		t.Fatalf("! does not show the flow's whole error:\n%s", v)
	}
	if !strings.HasPrefix(a.errView.body, "sign in first:") {
		t.Errorf("! shows %q, not the error the flow view cut", a.errView.body)
	}
	if a = press(t, a, "esc"); a.errView != nil || a.verify.flow == nil {
		t.Fatal("esc closes the error view and leaves the flow as it was")
	}
}

// A hint the pane wraps in two lines is counted: at 80x24 the refused code's trace
// (the branch taken and the error variable) still has its room under the screen.
func TestFlowLayoutCountsTheWrappedHint(t *testing.T) {
	a := flowGoldenStates["wrong-code"](t, 80, 24)
	v := a.View()
	if hint := hintLines(a.verify.flow.Hint(), a.verify.common.Width); len(hint) != 2 {
		t.Fatalf("the hint takes %d lines at 80x24; this test wants two", len(hint))
	}
	for _, want := range []string{"verifyError = {type:", "waits on code", "ctrl+f fills the code from the", "Enter the code from your"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q at 80x24:\n%s", want, v)
		}
	}
	if lipgloss.Height(v) != 24 || lipgloss.Width(v) != 80 {
		t.Fatalf("the view is %dx%d", lipgloss.Width(v), lipgloss.Height(v))
	}
}

// At the minimum size a flow's screen is drawn in its pane; below it the TUI says
// what it needs, whatever the flow view holds.
func TestFlowAtTheMinimumSize(t *testing.T) {
	a := flowGoldenStates["enroll"](t, 80, 24)
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: minWidth, Height: minHeight})
	v := a.View()
	if strings.Contains(v, "too small") || !strings.Contains(v, "Flow") || lipgloss.Height(v) != minHeight || lipgloss.Width(v) != minWidth {
		t.Fatalf("at %dx%d:\n%s", minWidth, minHeight, v)
	}
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: minWidth - 1, Height: minHeight})
	if v := a.View(); !strings.Contains(v, "terminal too small") || strings.Contains(v, "Flow") {
		t.Fatalf("below the minimum:\n%s", v)
	}
}

// The enrolment's QR code is painted black on white, in the pane and full screen.
func TestFlowQRIsPainted(t *testing.T) {
	for name, a := range map[string]App{"pane": flowGoldenStates["enroll"](t, 120, 40), "full screen": flowGoldenStates["qr-zoom"](t, 120, 40)} {
		qrLines := 0
		for _, l := range strings.Split(a.View(), "\n") {
			if strings.Contains(l, "█▀") {
				qrLines++
				if !strings.Contains(l, qrInk.pre+"█▀") || !strings.Contains(l, qrInk.post) {
					t.Fatalf("%s: a QR line is not painted black on white: %q", name, l)
				}
			}
		}
		if qrLines == 0 {
			t.Fatalf("%s: no QR code on screen:\n%s", name, a.View())
		}
	}
}

// ctrl+f on a flow's code screen takes the code of the selected account when it is
// the screen's user, names it, and records its use (the recently-used order).
func TestFlowFillPrefersTheSelectedAccountAndNamesIt(t *testing.T) {
	work, home := testKey("Work", "alice@example.com"), testKey("Home", "alice@example.com")
	home.Secret = []byte("abcdefghijabcdefghij")
	store := newFakeStore(work, home)
	b := newFakeBackend(store)
	b.now = fixedClock
	a := testApp(t, store, newFlowFake(t, b, fixedClock), 120, 40)
	a = press(t, a, "down") // Home: alice@example.com
	a = pickFlow(t, openFlows(t, a), "sign-in-totp")
	a = flowPress(t, typeText(t, a, "alice@example.com"), "enter")
	if flowScreen(a) != "code" {
		t.Fatalf("the flow waits on %q, not its code screen:\n%s", flowScreen(a), a.View())
	}
	a = flowPress(t, a, "ctrl+f")
	want, _ := home.Code(fixedNow)
	if got := a.verify.flow.form.inputs[0].Value(); got != want || !strings.Contains(a.View(), "from Home: alice@example.com") {
		t.Fatalf("ctrl+f filled %q (want %s from Home: alice@example.com):\n%s", got, want, a.View())
	}
	for _, acct := range store.accounts {
		if used := !acct.LastUsed.IsZero(); used != (acct.Key.Issuer == "Home") {
			t.Errorf("%s: last used %v", acct.Key.Label(), acct.LastUsed)
		}
	}
}
