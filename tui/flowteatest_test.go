package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"
)

// TestFlowsInARunningProgram runs flows through a running program on a real local
// backend (SQLite, the wall clock): sign-up-or-in-totp from the picker to the
// session, the QR code's key enrolled with e and its code filled with ctrl+f, then the
// journey with a wrong code down its failure branch.
func TestFlowsInARunningProgram(t *testing.T) {
	store := newFakeStore()
	ff := newFlowFake(t, realLocal(t, store, time.Now), time.Now)
	tm := teatest.NewTestModel(t, flowApp(store, ff, nil), teatest.WithInitialTermSize(120, 40))
	waitScreen(t, tm, "connected to local backend")
	typeKeys(tm, "tab", "f")
	waitScreen(t, tm, "Flows · built in", "sign-up-or-in-totp")
	typeKeys(tm, "enter")
	waitScreen(t, tm, "Sign up or sign in")
	tm.Type("hana@example.com")
	typeKeys(tm, "enter")
	waitScreen(t, tm, "Scan the QR code", "▸ QR code", "Key ")
	typeKeys(tm, "e")
	waitScreen(t, tm, "added otpair: hana@example.com")
	typeKeys(tm, "ctrl+f")
	waitScreen(t, tm, "from otpair: hana@example.com")
	typeKeys(tm, "enter")
	waitScreen(t, tm, "✓ Completed", "signed in as hana@example.com")

	// The journey: a wrong code goes down the failure branch, which reads the error
	// variable; the timeline shows both.
	typeKeys(tm, "f", "down", "down", "down", "down", "enter")
	waitScreen(t, tm, "Flow TOTP Authentication", "Username")
	tm.Type("hana@example.com")
	typeKeys(tm, "tab")
	store.mu.Lock()
	key := store.accounts[0].Key
	store.mu.Unlock()
	wrong := "000000"
	for d := -2; d <= 2; d++ {
		if c, _ := key.Code(time.Now().Add(time.Duration(d) * 30 * time.Second)); c == wrong {
			wrong = "111111" // two codes near now cannot both be these
		}
	}
	tm.Type(wrong)
	typeKeys(tm, "enter")
	waitScreen(t, tm, "Sign-in failed", "✗ authenticate branch TOTPVerifyFailed → rejected", "totpError = {type:")
	typeKeys(tm, "esc", "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	a := tm.FinalModel(t).(App)
	if s, ok := a.verify.Session(); !ok || s.LoginID != "hana@example.com" || !s.FirstSeen {
		t.Fatalf("the flow's session: %+v", s)
	}
	var branch bool
	for _, e := range a.verify.entries {
		branch = branch || (e.op == opFlow && !e.ok && strings.Contains(e.summary, "authenticate ─branch TOTPVerifyFailed→ rejected"))
	}
	if !branch || a.verify.flow != nil {
		t.Fatalf("the failure branch is not in the timeline (%v), or the flow is still open", branch)
	}
}
