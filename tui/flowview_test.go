package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/verifier/flow"
)

// fixedClock is the backend's clock in the Update tests that use one step only: the
// authenticator pane's.
func fixedClock() time.Time { return fixedNow }

// nextStep moves the backend's clock and the authenticator's a step on, so that a
// user's next code is not a replay.
func nextStep(a App, clock *testclock.Clock) App {
	clock.Add(30 * time.Second)
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: clock.Now()})
	return a
}

// lastEntry is the pane's newest timeline entry.
func lastEntry(t testing.TB, a App) entry {
	t.Helper()
	e, ok := a.verify.lastEntry()
	if !ok {
		t.Fatal("the timeline is empty")
	}
	return e
}

// onServer reports whether the app's flows run on a server (/v1/flow/*).
func onServer(a App) bool {
	_, ok := a.verify.flow.engine.(flowServer)
	return ok
}

// signUpOrIn runs sign-up-or-in-totp for login through the keys a user presses: the
// picker, the login id, e on the QR code, ctrl+f and enter. It checks each screen
// on the way and returns the app with the flow completed.
func signUpOrIn(t *testing.T, a App, login string) App {
	t.Helper()
	a = pickFlow(t, openFlows(t, a), "sign-up-or-in-totp")
	if got := flowScreen(a); got != "identify" {
		t.Fatalf("without a login id the flow waits on %q, want identify", got)
	}
	a = flowPress(t, typeText(t, a, login), "enter")
	if got := flowScreen(a); got != "enroll" {
		t.Fatalf("a new login id waits on %q, want enroll (timeline %+v)", got, a.verify.entries)
	}
	if !a.verify.flow.QRFocused() || a.verify.flow.qr == "" {
		t.Fatal("the enrolment screen does not start on its drawn QR code")
	}
	// The engine in this process says every step it ran; a server only the screens.
	path := "identify ─continue→ sign_up ─success→ enroll"
	if onServer(a) {
		path = "identify ─continue · waits on enroll"
	}
	if e := lastEntry(t, a); !e.ok || !strings.Contains(e.summary, path) {
		t.Fatalf("timeline entry %+v, want %q", e, path)
	}
	a = flowPress(t, a, "e")
	if len(a.auth.items) != 1 || a.auth.items[0].acct.Key.Account != login {
		t.Fatalf("e on the QR code enrolled %d accounts", len(a.auth.items))
	}
	a = flowPress(t, a, "ctrl+f")
	code := a.verify.flow.form.values()["code"]
	want, _ := a.auth.items[0].acct.Key.Code(a.now)
	if code != want || a.verify.flow.form.fill != "otpair: "+login {
		t.Fatalf("ctrl+f filled %q from %q, want %s from otpair: %s", code, a.verify.flow.form.fill, want, login)
	}
	if !strings.Contains(a.View(), "Code · from otpair: "+login) {
		t.Errorf("the screen does not say which account the code came from:\n%s", a.View())
	}
	return flowPress(t, a, "enter")
}

func TestFlowSignUpOrInOnTheLocalAndARemoteBackend(t *testing.T) {
	for name, runner := range map[string]func(testing.TB, *fakeStore) flowFake{
		"local": func(t testing.TB, store *fakeStore) flowFake {
			return newFlowFake(t, realLocal(t, store, fixedClock), fixedClock)
		},
		"remote": func(t testing.TB, store *fakeStore) flowFake { return newRemoteFlowFake(t, store, fixedClock) },
	} {
		t.Run(name, func(t *testing.T) {
			store := newFakeStore()
			a := testApp(t, store, runner(t, store), 120, 40)
			a = signUpOrIn(t, a, "alice@example.com")
			v := a.verify.flow
			if v.phase != flowEnded || v.resp.Status != flow.StatusCompleted {
				t.Fatalf("the flow is %v, %+v", v.phase, v.resp.Error)
			}
			s, ok := a.verify.Session()
			if !ok || s.LoginID != "alice@example.com" || !s.FirstSeen || s.RefreshJWT == "" {
				t.Fatalf("the pane's session after the flow: %+v", s)
			}
			path, shown := "enroll ─oneTimeCodeId→ verify ─success→ done ─end · completed: signed in as alice@example.com", "✓ verify"
			if name == "remote" {
				path, shown = "enroll ─oneTimeCodeId · completed: signed in as alice@example.com", "the server shows its screens"
			}
			e := lastEntry(t, a)
			if e.op != opFlow || !e.ok || !strings.Contains(e.summary, path) {
				t.Fatalf("timeline entry %+v, want %q", e, path)
			}
			view := a.View()
			for _, w := range []string{"✓ Completed", "first sign-in", "signed in as alice@example.com", shown} {
				if !strings.Contains(view, w) {
					t.Errorf("the screen lacks %q:\n%s", w, view)
				}
			}
			if strings.Contains(view, testKey("", "").SecretBase32()) {
				t.Error("the key is still on screen after the enrolment completed")
			}

			// The flow's session is the pane's: update-user-totp acts for it.
			a = pickFlow(t, flowPress(t, a, "f"), "update-user-totp")
			if got := flowScreen(a); got != "enroll" {
				t.Fatalf("update-user-totp with the flow's session waits on %q (%+v)", got, a.verify.flow.resp.Error)
			}
		})
	}
}

// TestFlowWrongCodeShowsTheScreenAgain: an automatic error policy shows the screen
// again with the error, the code field empty; the timeline names the error variable
// and the step is marked failed.
func TestFlowWrongCodeShowsTheScreenAgain(t *testing.T) {
	store, clock := newFakeStore(), testclock.New(fixedNow)
	a := testApp(t, store, newFlowFake(t, realLocal(t, store, clock.Now), clock.Now), 120, 40)
	a = nextStep(signUpOrIn(t, a, "bob@example.com"), clock)
	a = pickFlow(t, flowPress(t, a, "f"), "sign-in-totp")
	a = flowPress(t, typeText(t, a, "bob@example.com"), "enter")
	if flowScreen(a) != "code" {
		t.Fatalf("sign-in waits on %q", flowScreen(a))
	}
	a = flowPress(t, typeText(t, a, wrongFor(t, a, "bob@example.com")), "enter")
	v := a.verify.flow
	if flowScreen(a) != "code" || v.resp.Screen.State["errorType"] != "TOTPVerifyFailed" || v.form.values()["code"] != "" {
		t.Fatalf("after a wrong code: screen %q, state %v, code %q", flowScreen(a), v.resp.Screen.State, v.form.values()["code"])
	}
	if m := v.marks["sign-in-totp/verify"]; !m.failed || m.outcome != "error TOTPVerifyFailed" || m.to != "code" {
		t.Fatalf("verify is marked %+v", m)
	}
	e := lastEntry(t, a)
	if e.ok || e.code != "E061102" || !strings.Contains(e.summary, `verify ─error TOTPVerifyFailed→ code · verifyError = {type: TOTPVerifyFailed, text: "invalid code"}`) {
		t.Fatalf("timeline entry %+v", e)
	}
	if view := a.View(); !strings.Contains(view, "✗ invalid code (TOTPVerifyFailed)") || !strings.Contains(view, "✗ verify") {
		t.Errorf("the screen does not show the error and the failed step:\n%s", view)
	}
	// The right code now signs in, and the step is marked as passed.
	a = flowPress(t, a, "ctrl+f", "enter")
	if v := a.verify.flow; v.resp.Status != flow.StatusCompleted || v.marks["sign-in-totp/verify"].failed {
		t.Fatalf("the right code after a wrong one: %v %+v", v.resp.Status, v.resp.Error)
	}
}

// wrongFor is a code no step near the clock makes for login's account.
func wrongFor(t testing.TB, a App, login string) string {
	t.Helper()
	for _, it := range a.auth.items {
		if it.acct.Key.Account != login {
			continue
		}
		for _, c := range []string{"000000", "111111", "222222"} {
			bad := true
			for d := -2; d <= 2; d++ {
				if good, _ := it.acct.Key.Code(a.now.Add(time.Duration(d) * 30 * time.Second)); good == c {
					bad = false
				}
			}
			if bad {
				return c
			}
		}
	}
	t.Fatalf("no account for %s", login)
	return ""
}

// TestFlowFailureBranchReadsTheErrorVariable: the journey's failure branch goes to its
// own screen, which reads the error variable; the timeline shows the branch.
func TestFlowFailureBranchReadsTheErrorVariable(t *testing.T) {
	store, clock := newFakeStore(), testclock.New(fixedNow)
	a := testApp(t, store, newFlowFake(t, realLocal(t, store, clock.Now), clock.Now), 120, 40)
	a = nextStep(signUpOrIn(t, a, "carol@example.com"), clock)
	a = pickFlow(t, flowPress(t, a, "f"), "totp-authentication")
	a = typeText(t, a, "carol@example.com")
	a = flowPress(t, typeText(t, flowPress(t, a, "tab"), wrongFor(t, a, "carol@example.com")), "enter")
	if flowScreen(a) != "rejected" {
		t.Fatalf("a wrong code waits on %q, want the failure branch's screen", flowScreen(a))
	}
	e := lastEntry(t, a)
	if e.ok || !strings.Contains(e.summary, `authenticate ─branch TOTPVerifyFailed→ rejected · totpError = {type: TOTPVerifyFailed, text: "invalid code"}`) {
		t.Fatalf("timeline entry %+v", e)
	}
	if view := a.View(); !strings.Contains(view, "invalid code (TOTPVerifyFailed)") || !strings.Contains(view, "✗ authenticate branch TOTPVerifyFailed → rejected") {
		t.Errorf("the failure branch is not on screen:\n%s", view)
	}
	// Try again: the login form, then the right code completes the journey.
	a = flowPress(t, a, "enter")
	if flowScreen(a) != "loginForm" {
		t.Fatalf("retry waits on %q", flowScreen(a))
	}
	if got := a.verify.flow.form.values()["username"]; got != "carol@example.com" {
		t.Fatalf("the login form after the retry holds %q: the username is kept, the code is not", got)
	}
	a = flowPress(t, a, "tab", "ctrl+f", "enter")
	if v := a.verify.flow; v.resp.Status != flow.StatusCompleted || v.resp.Output["username"] != "carol@example.com" {
		t.Fatalf("the journey after the retry: %v %v", v.resp.Status, v.resp.Output)
	}
}

// TestFlowUserExistsIsNoFailure: sign-up-or-in routes UserExists to its code screen on
// purpose: the timeline shows the branch and the error variable, as no failure.
func TestFlowUserExistsIsNoFailure(t *testing.T) {
	store := newFakeStore()
	a := testApp(t, store, newFlowFake(t, realLocal(t, store, fixedClock), fixedClock), 120, 40)
	a = signUpOrIn(t, a, "dora@example.com")
	a = pickFlow(t, flowPress(t, a, "f"), "sign-up-or-in-totp")
	a = flowPress(t, typeText(t, a, "dora@example.com"), "enter")
	e := lastEntry(t, a)
	if flowScreen(a) != "code" || !e.ok || !strings.Contains(e.summary, "sign_up ─branch UserExists→ code · signUpError = {type: UserExists") {
		t.Fatalf("an existing user: screen %q, entry %+v", flowScreen(a), e)
	}
}

func TestFlowKeys(t *testing.T) {
	store := newFakeStore()
	ff := newFlowFake(t, newFakeBackend(store), fixedClock)
	a := testApp(t, store, ff, 120, 40)
	a = openFlows(t, a)
	if a.verify.flow.phase != flowPicking {
		t.Fatal("f does not open the picker")
	}
	if a.verify.Typing() {
		t.Error("the picker holds the keyboard: q and tab should stay global there")
	}
	a = flowPress(t, a, "down", "down", "k")
	if a.verify.flow.cursor != 1 {
		t.Fatalf("cursor %d after down, down, up", a.verify.flow.cursor)
	}
	a = flowPress(t, a, "up", "enter")
	if flowScreen(a) != "identify" || !a.verify.Typing() {
		t.Fatalf("enter started %q", flowScreen(a))
	}
	// Local checks, without a round trip: a required input left empty.
	calls := len(a.verify.entries)
	a = flowPress(t, a, "enter")
	if err := a.verify.flow.form.err; err == nil || err.Error() != "Email is required" || len(a.verify.entries) != calls {
		t.Fatalf("an empty required input: %v, %d calls", err, len(a.verify.entries)-calls)
	}
	a = flowPress(t, typeText(t, a, "erin@example.com"), "enter")
	// The QR code has the focus: z shows it full screen, esc closes that, tab moves on.
	a = flowPress(t, a, "z")
	if o := a.overlay(); o == nil || o.body != a.verify.flow.qr {
		t.Fatal("z on the QR code shows no full-screen QR")
	}
	a = flowPress(t, a, "esc")
	if a.overlay() != nil || a.verify.flow == nil {
		t.Fatal("esc closes the full-screen QR and nothing else")
	}
	a = flowPress(t, a, "tab")
	if a.verify.flow.QRFocused() {
		t.Fatal("tab does not leave the QR code")
	}
	a = flowPress(t, typeText(t, a, "12ab56"), "enter")
	if err := a.verify.flow.form.err; err == nil || !strings.Contains(err.Error(), "digits only") {
		t.Fatalf("letters in the code: %v", err)
	}
	// ctrl+f before e: the authenticator has no account yet, and says so.
	a = flowPress(t, a, "ctrl+f")
	if err := a.verify.flow.form.err; err == nil || !strings.Contains(err.Error(), "no code for \"erin@example.com\"") {
		t.Fatalf("ctrl+f with no account: %v", err)
	}
	// esc leaves the flow; the pane's keys work again.
	a = flowPress(t, a, "esc")
	if a.verify.flow != nil || a.verify.Typing() {
		t.Fatal("esc does not leave the flow")
	}
}

// TestFlowDropsStaleAnswers: an answer to a call the view no longer waits for changes
// nothing, and a submit while a call is in flight sends nothing.
func TestFlowDropsStaleAnswers(t *testing.T) {
	store := newFakeStore()
	a := testApp(t, store, newFlowFake(t, newFakeBackend(store), fixedClock), 120, 40)
	a = pickFlow(t, openFlows(t, a), "sign-in-totp")
	a = typeText(t, a, "frank@example.com")
	a, cmd := appUpdate(a, keyMsg("enter"))
	if !a.verify.flow.Busy() || cmd == nil {
		t.Fatal("enter started no call")
	}
	if _, again := appUpdate(a, keyMsg("enter")); again != nil {
		t.Fatal("a second enter while the call is in flight sent another")
	}
	before := len(a.verify.entries)
	stale := flowStepMsg{reqID: a.verify.flow.reqID - 1, resp: &flow.Response{Status: flow.StatusCompleted}}
	a, _ = appUpdate(a, stale)
	if len(a.verify.entries) != before || a.verify.flow.phase != flowRunning || !a.verify.flow.Busy() {
		t.Fatal("a stale answer was taken")
	}
	a = settleWithin(t, a, cmd, appUpdate, 10*time.Second)
	if flowScreen(a) != "code" || a.verify.flow.Busy() {
		t.Fatalf("the current answer was not taken: %q", flowScreen(a))
	}
}

// TestFlowEngineRefusal: an execution the engine no longer knows is an error on the
// screen, which keeps what was typed.
func TestFlowEngineRefusal(t *testing.T) {
	store := newFakeStore()
	ff := newFlowFake(t, newFakeBackend(store), fixedClock)
	a := testApp(t, store, ff, 120, 40)
	a = pickFlow(t, openFlows(t, a), "sign-in-totp")
	a.verify.flow.resp.ExecutionID = "EXunknown"
	a = flowPress(t, typeText(t, a, "gus@example.com"), "enter")
	v := a.verify.flow
	if v.err == nil || flowScreen(a) != "identify" || v.form.values()["loginId"] != "gus@example.com" {
		t.Fatalf("an unknown execution: err %v, screen %q, typed %v", v.err, flowScreen(a), v.form.values())
	}
	if e := lastEntry(t, a); e.ok || !strings.Contains(e.summary, "expired or unknown") {
		t.Fatalf("timeline entry %+v", e)
	}
}

// TestFlowNeedsAFlowRunner: a backend that runs no flows says so.
func TestFlowNeedsAFlowRunner(t *testing.T) {
	a := flowPress(t, testApp(t, newFakeStore(), &fakeVerifier{}, 120, 40), "tab", "f")
	if a.verify.flow != nil || !strings.Contains(lastEntry(t, a).summary, "runs no flows") {
		t.Fatal("f on a backend without flows")
	}
}

// TestFlowClosesWhenTheBackendChanges: the engine belongs to the backend.
func TestFlowClosesWhenTheBackendChanges(t *testing.T) {
	store := newFakeStore()
	ff := newFlowFake(t, newFakeBackend(store), fixedClock)
	a := pickFlow(t, openFlows(t, testApp(t, store, ff, 120, 40)), "sign-in-totp")
	a = settle(t, a, openBackendCmd(func(context.Context, BackendConfig) (Verifier, error) { return ff, nil }, BackendConfig{}, a.verify.reqID), appUpdate)
	if a.verify.flow != nil {
		t.Fatal("the flow view outlived its backend")
	}
}

// TestFlowPickerListsTheUsersFlows: flows beside the built-ins are offered, with
// their files, after the built-ins.
func TestFlowPickerListsTheUsersFlows(t *testing.T) {
	f, err := flow.Parse("/flows/hello.yaml", []byte("version: 1\nid: hello\nname: Hello\nsteps:\n  hi:\n    screen: {title: Hi, nodes: [{type: text, text: hello}, {type: submit, id: ok, label: OK}]}\n    next: {ok: done}\n  done: {end: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	store := newFakeStore()
	a := openFlows(t, testApp(t, store, newFlowFake(t, newFakeBackend(store), fixedClock, f), 120, 40))
	fl := a.verify.flow.flows
	if len(fl) != len(flow.BuiltinIDs)+1 || fl[len(fl)-1].ID != "hello" {
		t.Fatalf("the picker lists %d flows", len(fl))
	}
	if !strings.Contains(a.View(), "Hello · /flows/hello.yaml") {
		t.Errorf("the user's flow is not listed with its file:\n%s", a.View())
	}
	a = pickFlow(t, a, "hello")
	if flowScreen(a) != "hi" || !a.verify.flow.Typing() {
		t.Fatalf("hello waits on %q", flowScreen(a))
	}
	a = flowPress(t, a, "enter")
	if a.verify.flow.resp.Status != flow.StatusCompleted {
		t.Fatal("the only button did not complete the flow")
	}
}
