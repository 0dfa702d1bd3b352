package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/sqlite"
)

// TestLogoutAllOverHTTP: /v1/auth/logoutall, through Remote, Server and Local on a
// SQLite file, revokes every refresh token of the user issued up to then (also for a
// second instance on the same database) and no one else's; tokens issued afterwards
// work.
func TestLogoutAllOverHTTP(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{SigningAlg: verifier.ES256})
	r := s.remote(t)
	ctx := context.Background()
	signIn := func(login string, e verifier.Enrollment) verifier.Session {
		t.Helper()
		sess, err := r.SignIn(ctx, login, enrolCode(t, e, s.clock.Now(), 0))
		if err != nil {
			t.Fatalf("sign-in of %s: %v", login, err)
		}
		return sess
	}
	alice, err := r.SignUp(ctx, "alice", verifier.UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := r.SignUp(ctx, "bob", verifier.UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	first, bobs := signIn("alice", alice), signIn("bob", bob)
	s.clock.Add(30 * time.Second)
	second := signIn("alice", alice)

	if err := r.LogoutAll(ctx, first.RefreshJWT); err != nil {
		t.Fatalf("logout all: %v", err)
	}
	st, err := sqlite.Open(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other, err := verifier.NewLocal(ctx, st, verifier.LocalOptions{Clock: s.clock.Now, SeedKey: s.seedKey, SigningAlg: verifier.ES256})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"the token logged out with": first.RefreshJWT, "another session": second.RefreshJWT} {
		if _, err := r.Refresh(ctx, tok); !errors.Is(err, verifier.ErrBadToken) || !strings.Contains(err.Error(), "everywhere") {
			t.Errorf("refresh with %s: %v, want ErrBadToken saying why", name, err)
		}
		if _, err := r.Me(ctx, tok); !errors.Is(err, verifier.ErrBadToken) {
			t.Errorf("me with %s: %v, want ErrBadToken", name, err)
		}
		if _, err := r.Update(ctx, "alice", tok); !errors.Is(err, verifier.ErrBadToken) {
			t.Errorf("update with %s: %v, want ErrBadToken", name, err)
		}
		if _, err := other.Refresh(ctx, tok); !errors.Is(err, verifier.ErrBadToken) {
			t.Errorf("refresh with %s on another instance: %v, want ErrBadToken", name, err)
		}
	}
	if err := r.LogoutAll(ctx, second.RefreshJWT); !errors.Is(err, verifier.ErrBadToken) {
		t.Errorf("logout all with a revoked token: %v, want ErrBadToken", err)
	}
	if _, err := r.Refresh(ctx, bobs.RefreshJWT); err != nil {
		t.Errorf("another user's session after alice logged out everywhere: %v", err)
	}

	s.clock.Add(30 * time.Second)
	third := signIn("alice", alice)
	if _, err := r.Me(ctx, third.RefreshJWT); err != nil {
		t.Errorf("a session opened after the logout everywhere: %v", err)
	}
}

// TestLogoutAllFallsBackToLogout: a backend that cannot revoke every token of a user
// still answers /v1/auth/logoutall, by revoking the presented one.
func TestLogoutAllFallsBackToLogout(t *testing.T) {
	var got string
	f := &fakeBackend{t: t, pid: testPID, LogoutFn: func(_ context.Context, r string) error { got = r; return nil }}
	ts := httptest.NewServer(NewServer(f, ServerOptions{ManagementKey: testMgmtKey}))
	defer ts.Close()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/auth/logoutall", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testPID+":h.p.s")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || got != "h.p.s" {
		t.Fatalf("logoutall on a backend without LogoutAll: status %d, Logout got %q", resp.StatusCode, got)
	}
}
