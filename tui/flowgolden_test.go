package tui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/otpair/otpair/internal/testclock"
)

// flowGoldenApp is the app on a flow engine over fakeBackend (every enrolment the
// same key, so the screens are the same on every run), the verifier pane focused.
func flowGoldenApp(t *testing.T, w, h int) (App, *testclock.Clock) {
	store, clock := newFakeStore(), testclock.New(fixedNow)
	b := newFakeBackend(store)
	b.now = clock.Now
	return testApp(t, store, newFlowFake(t, b, clock.Now), w, h), clock
}

// enrolled is sign-up-or-in-totp on the enrolment screen for alice, her key in the
// authenticator (e) and its code in the form (ctrl+f).
func enrolled(t *testing.T, w, h int) (App, *testclock.Clock) {
	a, clock := flowGoldenApp(t, w, h)
	a = pickFlow(t, openFlows(t, a), "sign-up-or-in-totp")
	a = flowPress(t, typeText(t, a, "alice@example.com"), "enter")
	return flowPress(t, a, "e", "ctrl+f"), clock
}

// flowGoldenStates are the flow view's states worth drawing.
var flowGoldenStates = map[string]func(t *testing.T, w, h int) App{
	"picker": func(t *testing.T, w, h int) App {
		a, _ := flowGoldenApp(t, w, h)
		return flowPress(t, openFlows(t, a), "down")
	},
	"identify": func(t *testing.T, w, h int) App {
		a, _ := flowGoldenApp(t, w, h)
		return typeText(t, pickFlow(t, openFlows(t, a), "sign-up-or-in-totp"), "alice@example.com")
	},
	"enroll": func(t *testing.T, w, h int) App {
		a, _ := flowGoldenApp(t, w, h)
		a = pickFlow(t, openFlows(t, a), "sign-up-or-in-totp")
		return flowPress(t, typeText(t, a, "alice@example.com"), "enter")
	},
	"enroll-filled": func(t *testing.T, w, h int) App {
		a, _ := enrolled(t, w, h)
		return a
	},
	"qr-zoom": func(t *testing.T, w, h int) App {
		a, _ := flowGoldenApp(t, w, h)
		a = pickFlow(t, openFlows(t, a), "sign-up-or-in-totp")
		return flowPress(t, typeText(t, a, "alice@example.com"), "enter", "z")
	},
	"completed": func(t *testing.T, w, h int) App {
		a, _ := enrolled(t, w, h)
		return flowPress(t, a, "enter")
	},
	"wrong-code": func(t *testing.T, w, h int) App {
		a, clock := enrolled(t, w, h)
		a = nextStep(flowPress(t, a, "enter"), clock)
		a = pickFlow(t, flowPress(t, a, "f"), "sign-in-totp")
		a = flowPress(t, typeText(t, a, "alice@example.com"), "enter")
		return flowPress(t, typeText(t, a, "000000"), "enter")
	},
	"failure-branch": func(t *testing.T, w, h int) App {
		a, clock := enrolled(t, w, h)
		a = nextStep(flowPress(t, a, "enter"), clock)
		a = pickFlow(t, flowPress(t, a, "f"), "totp-authentication")
		a = flowPress(t, typeText(t, a, "alice@example.com"), "tab")
		return flowPress(t, typeText(t, a, "000000"), "enter")
	},
	"failed": func(t *testing.T, w, h int) App {
		a, _ := flowGoldenApp(t, w, h)
		return pickFlow(t, openFlows(t, a), "update-user-totp")
	},
}

// TestFlowViewGolden draws each state at the classic and a roomy terminal size
// ("000000" is no code of the fixed key near the fixed clock).
func TestFlowViewGolden(t *testing.T) {
	for name, build := range flowGoldenStates {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s-%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				t.Parallel()
				golden.RequireEqual(t, []byte(build(t, sz[0], sz[1]).View()))
			})
		}
	}
}
