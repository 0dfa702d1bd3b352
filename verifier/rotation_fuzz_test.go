package verifier

import (
	"context"
	"errors"
	"testing"
)

// FuzzKeyringVerify feeds arbitrary strings to the verification of a Local whose key
// was rotated (so two keys are published and an unknown kid reloads): never a panic,
// always ErrBadToken unless the input is a token one of its keys signed for the user.
func FuzzKeyringVerify(f *testing.F) {
	l, _, s, _ := fuzzLocal(f)
	if _, err := l.RotateSigningKey(context.Background()); err != nil {
		f.Fatal(err)
	}
	s2, err := l.Refresh(context.Background(), s.RefreshJWT)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", ".", "a.b.c", s.SessionJWT, s.RefreshJWT, s2.SessionJWT, s2.SessionJWT + "x",
		"eyJhbGciOiJFUzI1NiIsImtpZCI6IkFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQSJ9.e30.c2ln"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, drn := range []string{drnSession, drnRefresh} {
			c, err := l.keys.verify(context.Background(), raw, drn)
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
	})
}
