package tui

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"
)

// flowApp wires an app for a teatest flow on the given store and verifier.
func flowApp(store AccountStore, v Verifier, demo *DemoOptions) App {
	c := testCommon()
	c.Now = time.Now // a running program ticks on the real clock
	return New(c, Options{
		Auth: AuthDeps{
			Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
				return store, VaultInfo{Mode: "test vault"}, nil
			},
			Clipboard: fakeClipboard(),
			QR:        fakeQR,
		},
		Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return v, nil }, QR: fakeQR},
		Demo:   demo,
	})
}

// waitScreen waits until the program's output contains every want.
func waitScreen(t *testing.T, tm *teatest.TestModel, wants ...string) {
	t.Helper()
	var seen []byte
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen = append(seen, b...)
		for _, w := range wants {
			if !bytes.Contains(seen, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func typeKeys(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
}

// runFlow signs a user up, enrols the key and signs in with the filled code, through a
// running program, and returns the final model.
func runFlow(t *testing.T, store AccountStore, v Verifier, login string) App {
	t.Helper()
	tm := teatest.NewTestModel(t, flowApp(store, v, nil), teatest.WithInitialTermSize(120, 40))
	waitScreen(t, tm, "connected to local backend")
	typeKeys(tm, "tab", "s")
	tm.Type(login)
	typeKeys(tm, "enter")
	waitScreen(t, tm, "seed issued")
	typeKeys(tm, "e")
	waitScreen(t, tm, "added ")
	typeKeys(tm, "i", "ctrl+f", "enter")
	waitScreen(t, tm, "signed in as "+login)
	typeKeys(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	return tm.FinalModel(t).(App)
}

func TestFlowEnrolAndSignIn(t *testing.T) {
	store := newFakeStore()
	key := testKey("otpair", "carol@example.com")
	v := &fakeVerifier{
		SignUpFn: func(_ context.Context, login, _, _ string) (SignUpResult, error) {
			uri := "otpauth://totp/otpair:" + login
			store.addURI(uri, key)
			return SignUpResult{URI: uri, Key: key.SecretBase32()}, nil
		},
		SignInFn: func(_ context.Context, login, code string) (Session, error) {
			now := time.Now()
			for _, at := range []time.Time{now, now.Add(-30 * time.Second)} {
				if want, _ := key.Code(at); want == code {
					return Session{Subject: login, AMR: []string{"totp"}, Expires: now.Add(time.Hour)}, nil
				}
			}
			return Session{}, &RequestError{Reason: ReasonWrongCode, Code: "E061102"}
		},
	}
	a := runFlow(t, store, v, "carol@example.com")
	s, ok := a.verify.Session()
	if !ok || s.Subject != "carol@example.com" {
		t.Fatalf("final session %+v", s)
	}
	if len(a.auth.items) != 1 {
		t.Fatalf("%d accounts after enrol", len(a.auth.items))
	}
}

func TestFlowDemoAuto(t *testing.T) {
	store := newFakeStore()
	p := newPolicyFake(store, time.Now)
	d := &DemoOptions{Auto: true, Delay: 30 * time.Millisecond}
	tm := teatest.NewTestModel(t, flowApp(store, p.verifier(), d), teatest.WithInitialTermSize(120, 40))
	waitScreen(t, tm, "whole lifecycle")
	typeKeys(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	a := tm.FinalModel(t).(App)
	var failed, ok int
	for _, e := range a.verify.entries {
		if e.ok {
			ok++
		} else {
			failed++
		}
	}
	// connect, sign-up, sign-in, update, the update's confirming sign-in, delete = 6
	// successes; replay, wrong, the lockout attempts and the last sign-in fail.
	if ok != 6 || failed < 4 {
		t.Fatalf("%d successes and %d failures in the timeline", ok, failed)
	}
}
