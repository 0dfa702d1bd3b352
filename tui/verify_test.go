package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// pairedFakes is a fake verifier whose sign-up hands out a URI the fake store can
// import, and whose sign-in checks codes against the same key at the fixed clock.
func pairedFakes() (*fakeStore, *fakeVerifier, *[]string) {
	store := newFakeStore()
	key := testKey("otpair", "alice@example.com")
	var mu sync.Mutex
	var codes []string
	v := &fakeVerifier{
		SignUpFn: func(_ context.Context, login, _, _ string) (SignUpResult, error) {
			uri := "otpauth://totp/otpair:" + login + "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			store.addURI(uri, key)
			return SignUpResult{URI: uri, Key: key.SecretBase32()}, nil
		},
		SignInFn: func(_ context.Context, login, code string) (Session, error) {
			mu.Lock()
			defer mu.Unlock()
			codes = append(codes, code)
			want, _ := key.Code(fixedNow)
			if code != want {
				return Session{}, &RequestError{Reason: ReasonWrongCode, Code: "E061102"}
			}
			return Session{Subject: login, AMR: []string{"totp"}, Expires: fixedNow.Add(10 * time.Minute), RefreshJWT: "r"}, nil
		},
		UsersFn: func(context.Context) ([]UserState, error) {
			return []UserState{{LoginID: "alice@example.com", Pending: true}}, nil
		},
	}
	return store, v, &codes
}

func TestEnrolAndSignInWithTheFilledCode(t *testing.T) {
	store, v, codes := pairedFakes()
	a := testApp(t, store, v, 120, 40)
	a = press(t, a, "tab", "s")
	a = typeText(t, a, "alice@example.com")
	a = press(t, a, "enter")
	uri, login, ok := a.verify.EnrolURI()
	if !ok || login != "alice@example.com" || !strings.Contains(a.View(), uri[:40]) {
		t.Fatal("the sign-up result is not on screen")
	}
	a = press(t, a, "e")
	if len(a.auth.items) != 1 || a.auth.items[0].acct.Key.Account != "alice@example.com" {
		t.Fatalf("enrol did not add the account: %d items", len(a.auth.items))
	}
	a = press(t, a, "i", "ctrl+f")
	want, _ := testKey("", "").Code(fixedNow)
	if got := a.verify.form.value(1); got != want {
		t.Fatalf("ctrl+f filled %q, want %s", got, want)
	}
	a = press(t, a, "enter")
	if len(*codes) != 1 || (*codes)[0] != want {
		t.Fatalf("sign-in sent %q", *codes)
	}
	s, ok := a.verify.Session()
	if !ok || s.Subject != "alice@example.com" {
		t.Fatal("no session after a good code")
	}
	view := a.View()
	for _, w := range []string{"signed in as alice@example.com", "amr totp", "exp 10:00"} {
		if !strings.Contains(view, w) {
			t.Errorf("screen lacks %q", w)
		}
	}
	if strings.Contains(view, uri[:40]) || strings.Contains(view, "GEZDGNBV") {
		t.Error("the key or URI is still shown after the sign-up result was closed")
	}
}

func TestFailuresAreExplained(t *testing.T) {
	until := time.Date(2026, 11, 24, 12, 5, 0, 0, time.UTC)
	cases := []struct {
		err  error
		want []string
	}{
		{&RequestError{Reason: ReasonWrongCode, Code: "E061102"}, []string{"wrong code", "E061102"}},
		{&RequestError{Reason: ReasonCodeUsed, Code: "E061102"}, []string{"code already used", "E061102"}},
		{&RequestError{Reason: ReasonExpired, Code: "E061102"}, []string{"code expired", "E061102"}},
		{&RequestError{Reason: ReasonLocked, Code: "E061103", LockedUntil: until}, []string{"locked until 12:05:00", "E061103"}},
		{&RequestError{Reason: ReasonUnknownUser, Code: "E062108"}, []string{"unknown user", "E062108"}},
	}
	for _, c := range cases {
		t.Run(c.want[0], func(t *testing.T) {
			v := &fakeVerifier{SignInFn: func(context.Context, string, string) (Session, error) { return Session{}, c.err }}
			a := testApp(t, newFakeStore(), v, 120, 40)
			a = signInForm(t, a, "bob", "123456")
			view := a.View()
			for _, w := range c.want {
				if !strings.Contains(view, w) {
					t.Errorf("timeline lacks %q:\n%s", w, view)
				}
			}
			if a.verify.form == nil || a.verify.form.value(0) != "bob" {
				t.Error("a failed sign-in lost the form")
			}
		})
	}
}

func TestStaleResultIsDropped(t *testing.T) {
	a := testApp(t, newFakeStore(), &fakeVerifier{}, 120, 40)
	a.verify.backend = &fakeVerifier{}
	_ = a.verify.SignIn("alice", "111111")
	first := a.verify.reqID
	_ = a.verify.SignIn("alice", "222222")
	n := len(a.verify.entries)
	a, _ = appUpdate(a, verifyDoneMsg{reqID: first, op: opSignIn, loginID: "alice", session: Session{Subject: "old"}})
	if len(a.verify.entries) != n || a.verify.session != nil {
		t.Fatal("a result overtaken by a newer request was applied")
	}
	a, _ = appUpdate(a, verifyDoneMsg{reqID: first + 1, op: opSignIn, loginID: "alice", session: Session{Subject: "alice"}})
	if len(a.verify.entries) != n+1 || a.verify.session == nil || a.verify.Busy() {
		t.Fatal("the newest result was not applied")
	}
}

func TestSubmitIsOffWhileARequestIsInFlight(t *testing.T) {
	calls := 0
	v := &fakeVerifier{SignUpFn: func(context.Context, string, string, string) (SignUpResult, error) {
		calls++
		return SignUpResult{URI: "otpauth://x", Key: "K"}, nil
	}}
	a := testApp(t, newFakeStore(), v, 120, 40)
	a = press(t, a, "tab", "s")
	a = typeText(t, a, "alice")
	a, cmd1 := appUpdate(a, keyMsg("enter"))
	a, cmd2 := appUpdate(a, keyMsg("enter"))
	if cmd1 == nil || cmd2 != nil {
		t.Fatal("a second enter while the request runs sent another request")
	}
	_ = settle(t, a, cmd1, appUpdate)
	if calls != 1 {
		t.Fatalf("%d sign-ups", calls)
	}
}

func TestUsersList(t *testing.T) {
	_, v, _ := pairedFakes()
	a := testApp(t, newFakeStore(), v, 120, 40)
	a = press(t, a, "tab", "l")
	if !strings.Contains(a.View(), "pending first code") {
		t.Fatal("users list does not show the pending user")
	}
}

func TestFillWithoutAnAccountExplains(t *testing.T) {
	a := testApp(t, newFakeStore(), &fakeVerifier{}, 120, 40)
	a = press(t, a, "tab", "i")
	a = typeText(t, a, "nobody")
	var cmd tea.Cmd
	a, cmd = appUpdate(a, keyMsg("ctrl+f"))
	_ = cmd
	if a.verify.form.err == nil || !strings.Contains(a.View(), "no code for") {
		t.Fatal("ctrl+f with no account said nothing")
	}
}

func TestRefusedCodeIsClearedForTheNextTry(t *testing.T) {
	v := &fakeVerifier{SignInFn: func(context.Context, string, string) (Session, error) {
		return Session{}, &RequestError{Reason: ReasonWrongCode, Code: "E061102", Message: "3 attempts left"}
	}}
	a := testApp(t, newFakeStore(), v, 120, 40)
	a = signInForm(t, a, "bob", "123456")
	f := a.verify.form
	if f == nil || f.value(0) != "bob" || f.value(1) != "" || f.focus != 1 {
		t.Fatalf("after a refused code the form should keep the login, clear the code and focus it: %+v", f)
	}
	if !strings.Contains(a.View(), "wrong code (3 attempts left)") {
		t.Fatalf("the attempts left are not shown:\n%s", a.View())
	}
	a = typeText(t, a, "1234567890")
	if got := a.verify.form.value(1); len(got) > 9 {
		t.Fatalf("the code field took %q", got)
	}
}

func TestWrongCodeThatStartsALockSaysUntilWhen(t *testing.T) {
	until := time.Date(2026, 11, 24, 12, 5, 20, 0, time.UTC)
	v := &fakeVerifier{SignInFn: func(context.Context, string, string) (Session, error) {
		return Session{}, &RequestError{Reason: ReasonWrongCode, Code: "E061102", LockedUntil: until}
	}}
	a := testApp(t, newFakeStore(), v, 120, 40)
	a = signInForm(t, a, "bob", "123456")
	if view := a.View(); !strings.Contains(view, "wrong code: now locked until 12:05:20") {
		t.Fatalf("the lock's end is not shown:\n%s", view)
	}
}

func TestSessionShowsTheLoginIDAndTheSubject(t *testing.T) {
	v := &fakeVerifier{SignInFn: func(context.Context, string, string) (Session, error) {
		return Session{Subject: "U2abc", LoginID: "bob@example.com", AMR: []string{"totp"}, Expires: fixedNow.Add(10 * time.Minute), RefreshJWT: "r"}, nil
	}, UpdateFn: func(_ context.Context, login, refresh string) (SignUpResult, error) {
		if login != "bob@example.com" || refresh != "r" {
			return SignUpResult{}, &RequestError{Reason: ReasonUnauthorized}
		}
		return SignUpResult{URI: "otpauth://totp/x:bob@example.com?secret=GEZDGNBV", Key: "GEZDGNBV"}, nil
	}}
	a := testApp(t, newFakeStore(), v, 120, 40)
	a = signInForm(t, a, "bob@example.com", "123456")
	view := a.View()
	for _, want := range []string{"signed in as bob@example.com", "sub U2abc"} {
		if !strings.Contains(view, want) {
			t.Fatalf("view lacks %q:\n%s", want, view)
		}
	}
	a = press(t, a, "u")
	if _, _, ok := a.verify.EnrolURI(); !ok {
		t.Fatalf("update did not use the session's login id:\n%s", a.View())
	}
}

// signInForm opens the sign-in form of the verifier pane, fills in login and code and
// submits it.
func signInForm(t testing.TB, a App, login, code string) App {
	t.Helper()
	a = press(t, a, "tab", "i")
	a = typeText(t, a, login)
	a = press(t, a, "tab")
	a = typeText(t, a, code)
	return press(t, a, "enter")
}
