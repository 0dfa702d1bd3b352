package tui

import (
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/verifier/flow"
)

// TestFlowOnAServer runs flows on an otpair server over loopback HTTP, through
// /v1/flow/start and /v1/flow/next: the picker lists the server's own flows (read
// through the management API), a wrong code comes back as the server's screen with
// its error and marks the screen submitted, the journey's failure branch shows its
// screen, and an execution the server does not know is refused with the screen kept.
func TestFlowOnAServer(t *testing.T) {
	hello, err := flow.Parse("served/hello.yaml", []byte("version: 1\nid: hello\nname: Hello\nsteps:\n  hi:\n    screen: {title: Hi, nodes: [{type: text, text: hello}, {type: submit, id: ok, label: OK}]}\n    next: {ok: done}\n  done: {end: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	store, clock := newFakeStore(), testclock.New(fixedNow)
	a := testApp(t, store, newRemoteFlowFake(t, store, clock.Now, hello), 120, 40)

	a = openFlows(t, a)
	fl := a.verify.flow.flows
	if len(fl) != len(flow.BuiltinIDs)+1 || fl[len(fl)-1].ID != "hello" || !strings.HasSuffix(fl[len(fl)-1].File, "/hello") {
		t.Fatalf("the picker lists %d flows, the last %+v: want the server's hello", len(fl), fl[len(fl)-1])
	}
	a = flowPress(t, a, "esc", "tab") // back to the authenticator pane, where signUpOrIn starts

	a = nextStep(signUpOrIn(t, a, "gus@example.com"), clock)
	a = pickFlow(t, flowPress(t, a, "f"), "sign-in-totp")
	a = flowPress(t, typeText(t, a, "gus@example.com"), "enter")
	if flowScreen(a) != "code" {
		t.Fatalf("sign-in on the server waits on %q", flowScreen(a))
	}
	a = flowPress(t, typeText(t, a, wrongFor(t, a, "gus@example.com")), "enter")
	v := a.verify.flow
	if flowScreen(a) != "code" || v.resp.Screen.State["errorType"] != flow.ErrTypeVerifyFailed {
		t.Fatalf("a wrong code on the server: screen %q, state %v", flowScreen(a), v.resp.Screen.State)
	}
	if m := v.marks["sign-in-totp/code"]; !m.failed || m.outcome != "oneTimeCodeId" {
		t.Fatalf("the screen submitted is marked %+v", m)
	}
	if e := lastEntry(t, a); e.ok || !strings.Contains(e.summary, `code ─oneTimeCodeId · shows "invalid code" (TOTPVerifyFailed) · waits on code`) {
		t.Fatalf("timeline entry %+v", e)
	}
	view := a.View()
	for _, w := range []string{"✗ invalid code (TOTPVerifyFailed)", "✗ flow sign-in-totp", "the server shows its screens"} {
		if !strings.Contains(view, w) {
			t.Errorf("the screen lacks %q:\n%s", w, view)
		}
	}

	// An execution the server does not know: refused (E103205), the screen kept.
	v.resp.ExecutionID = "not-an-execution"
	a = flowPress(t, a, "ctrl+f", "enter")
	if v := a.verify.flow; v.err == nil || !strings.Contains(v.err.Error(), "E103205") || flowScreen(a) != "code" || v.form.values()["code"] == "" {
		t.Fatalf("an unknown execution: err %v, screen %q", v.err, flowScreen(a))
	}

	// The journey's failure branch, run by the server: its screen, and the error.
	a = pickFlow(t, flowPress(t, a, "esc", "f"), "totp-authentication")
	a = typeText(t, a, "gus@example.com")
	a = flowPress(t, typeText(t, flowPress(t, a, "tab"), wrongFor(t, a, "gus@example.com")), "enter")
	if flowScreen(a) != "rejected" {
		t.Fatalf("a wrong code in the journey waits on %q, want the failure branch's screen", flowScreen(a))
	}
	if view := a.View(); !strings.Contains(view, "invalid code") {
		t.Errorf("the failure branch's screen does not show the error variable:\n%s", view)
	}
	a = flowPress(t, a, "enter", "tab", "ctrl+f", "enter")
	if v := a.verify.flow; v.resp.Status != flow.StatusCompleted || v.resp.Session == nil || v.resp.Session.User.LoginID != "gus@example.com" {
		t.Fatalf("the journey after the retry: %v %+v", v.resp.Status, v.resp.Error)
	}
}
