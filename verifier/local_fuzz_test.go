package verifier

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// fuzzLocal is a Local over an in-memory database with one enrolled user, fuzz.
func fuzzLocal(f *testing.F) (*Local, provisioning.Key, Session, time.Time) {
	st, err := OpenSQLiteForTest(context.Background(), memoryDB)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	now := ltStart
	l, err := NewLocal(context.Background(), st, LocalOptions{Clock: func() time.Time { return now },
		SeedKey: NewSeedKey(), SigningAlg: ES256, MaxAttempts: 1 << 30})
	if err != nil {
		f.Fatal(err)
	}
	enr, err := l.SignUp(context.Background(), "fuzz", UserInfo{})
	if err != nil {
		f.Fatal(err)
	}
	k := ltKey(f, enr)
	s, err := l.SignIn(context.Background(), "fuzz", ltCode(f, k, now.Add(-30*time.Second)))
	if err != nil {
		f.Fatal(err)
	}
	return l, k, s, now
}

// FuzzSignInCode feeds arbitrary codes to SignIn: it must never panic, never fail with
// anything but a wrong, reused or missing code, and succeed only for a code of the
// window.
func FuzzSignInCode(f *testing.F) {
	l, k, _, now := fuzzLocal(f)
	valid := map[string]bool{}
	for off := -1; off <= 1; off++ {
		valid[ltCode(f, k, now.Add(time.Duration(off)*30*time.Second))] = true
	}
	for _, seed := range []string{"", " ", "000000", "123 456", "12-34-56", "1234567", "99999999", "abcdef", "\x00\xff", ltCode(f, k, now)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, code string) {
		_, err := l.SignIn(context.Background(), "fuzz", code)
		switch {
		case err == nil:
			if !valid[normalizeCode(code)] {
				t.Fatalf("accepted %q, which is no code of the window", code)
			}
		case errors.Is(err, ErrWrongCode), errors.Is(err, ErrCodeReused), errors.Is(err, ErrMissingArgument):
		default:
			t.Fatalf("SignIn(%q): unexpected error %v", code, err)
		}
	})
}

// FuzzVerifyToken feeds arbitrary strings to the token checks: never a panic, always
// ErrBadToken unless the input is a token this backend signed.
func FuzzVerifyToken(f *testing.F) {
	l, _, s, _ := fuzzLocal(f)
	for _, seed := range []string{"", ".", "..", "a.b.c", s.SessionJWT, s.RefreshJWT, s.RefreshJWT + "x",
		"eyJhbGciOiJub25lIn0.e30.", "eyJhbGciOiJIUzI1NiJ9.e30.abc"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, drn := range []string{drnSession, drnRefresh} {
			c, err := l.sign.verify(raw, drn)
			if err != nil {
				if !errors.Is(err, ErrBadToken) {
					t.Fatalf("verify: %v, want ErrBadToken", err)
				}
				continue
			}
			if c.Subject != s.User.ID || c.Issuer != l.ProjectID() || c.DRN != drn {
				t.Fatalf("accepted a token with claims %+v", c)
			}
		}
		if _, err := l.Me(context.Background(), raw); err != nil && !errors.Is(err, ErrBadToken) {
			t.Fatalf("Me: %v, want ErrBadToken", err)
		}
	})
}
