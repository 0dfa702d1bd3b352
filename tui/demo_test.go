package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/provisioning"
)

// policyFake is a fake verifier with the policy the demo shows: each code once, a
// lockout after three failures, update and delete seed. It checks codes at a clock the
// demo can move.
type policyFake struct {
	mu       sync.Mutex
	store    *fakeStore
	now      func() time.Time
	keys     map[string]provisioning.Key
	pending  map[string]provisioning.Key
	used     map[string]bool
	fails    int
	locked   time.Time
	uriCount int
}

func newPolicyFake(store *fakeStore, now func() time.Time) *policyFake {
	return &policyFake{store: store, now: now, keys: map[string]provisioning.Key{},
		pending: map[string]provisioning.Key{}, used: map[string]bool{}}
}

func (p *policyFake) verifier() *fakeVerifier {
	issue := func(login string) SignUpResult {
		p.uriCount++
		k := testKey("otpair", login)
		k.Secret = []byte(strings.Repeat(string(rune('a'+p.uriCount)), 20))
		uri := "otpauth://fake/" + login + "/" + k.SecretBase32()
		p.pending[login] = k
		p.store.addURI(uri, k)
		return SignUpResult{URI: uri, Key: k.SecretBase32()}
	}
	return &fakeVerifier{
		SignUpFn: func(_ context.Context, login, _, _ string) (SignUpResult, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			return issue(login), nil
		},
		UpdateFn: func(_ context.Context, login, _ string) (SignUpResult, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			return issue(login), nil
		},
		DeleteSeedFn: func(_ context.Context, login string) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			delete(p.keys, login)
			delete(p.pending, login)
			return nil
		},
		SignInFn: func(_ context.Context, login, code string) (Session, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			now := p.now()
			if now.Before(p.locked) {
				return Session{}, &RequestError{Reason: ReasonLocked, Code: "E061103", LockedUntil: p.locked}
			}
			for _, set := range []map[string]provisioning.Key{p.pending, p.keys} {
				k, ok := set[login]
				if !ok {
					continue
				}
				if want, _ := k.Code(now); want == code {
					id := login + code
					if p.used[id] {
						return Session{}, &RequestError{Reason: ReasonCodeUsed, Code: "E061102"}
					}
					p.used[id] = true
					p.keys[login] = k
					delete(p.pending, login)
					return Session{Subject: login, AMR: []string{"totp"}, Expires: now.Add(time.Hour), RefreshJWT: "r"}, nil
				}
			}
			if _, ok := p.keys[login]; !ok {
				if _, ok := p.pending[login]; !ok {
					return Session{}, &RequestError{Reason: ReasonNoSeed, Code: "E062108"}
				}
			}
			p.fails++
			if p.fails >= 3 {
				p.locked = now.Add(5 * time.Minute)
				p.fails = 0
				return Session{}, &RequestError{Reason: ReasonLocked, Code: "E061103", LockedUntil: p.locked}
			}
			return Session{}, &RequestError{Reason: ReasonWrongCode, Code: "E061102"}
		},
	}
}

func TestDemoPlaysTheWholeLifecycle(t *testing.T) {
	store := newFakeStore()
	var mu sync.Mutex
	skip := time.Duration(0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return fixedNow.Add(skip) }
	p := newPolicyFake(store, clock)
	v := p.verifier()
	a := New(testCommon(), Options{
		Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
			return store, VaultInfo{Mode: "throwaway"}, nil
		}, QR: fakeQR},
		Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return v, nil }, QR: fakeQR},
		Demo:   &DemoOptions{SkipTime: func(d time.Duration) { mu.Lock(); skip += d; mu.Unlock() }},
	})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a = settle(t, a, a.Init(), appUpdate)
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow})

	want := []struct {
		ok   bool
		says string
	}{
		{true, "seed issued"},               // sign up
		{true, "seed issued"},               // enrol (no new request)
		{true, "session: sub"},              // sign in
		{false, "already used"},             // replay
		{true, "the new seed is confirmed"}, // update, enrol and confirm
		{false, "wrong code"},               // wrong code
		{false, "locked until"},             // lockout
		{true, "seed deleted"},              // delete seed
		{false, "no TOTP seed"},             // sign-in after delete
	}
	for i, w := range want {
		a = press(t, a, "space")
		e, _ := a.verify.lastEntry()
		if e.ok != w.ok || !strings.Contains(e.summary, w.says) {
			t.Fatalf("step %d: last entry ok=%v %q, want ok=%v and %q", i+1, e.ok, e.summary, w.ok, w.says)
		}
		if !strings.Contains(a.View(), "Step "+itoa(i+1)+" of 9") {
			t.Fatalf("step %d caption missing:\n%s", i+1, a.View())
		}
	}
	if len(store.accounts) != 1 {
		t.Fatalf("the vault holds %d accounts, want the one the update replaced in place", len(store.accounts))
	}
	if a.auth.Shift() != demoSkip || skip != demoSkip {
		t.Fatal("the last step did not move both clocks")
	}
	// The session line and the timeline keep the backend's clock, which jumped too.
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow.Add(5 * time.Second)})
	if e, _ := a.verify.lastEntry(); !e.at.Equal(fixedNow.Add(demoSkip)) || !strings.Contains(a.View(), fixedNow.Add(demoSkip+5*time.Second).Format("15:04:05")) {
		t.Fatalf("after the jump the timeline says %v and the screen:\n%s", e.at, a.View())
	}
	a = press(t, a, "space")
	if v := a.View(); !strings.Contains(v, "whole lifecycle") || strings.Contains(v, "next step") {
		t.Fatalf("no closing caption, or space still offered:\n%s", v)
	}
}

func itoa(n int) string { return string(rune('0' + n)) }
