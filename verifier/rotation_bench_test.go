package verifier

import (
	"context"
	"testing"
)

// BenchmarkVerifySession is Local.VerifySession of an ES256 session token (no database
// read): with the one key of a fresh database, and after a rotation with the token
// signed by the retired key (two keys published, looked up by kid).
func BenchmarkVerifySession(b *testing.B) {
	ctx := context.Background()
	e := newLTEnv(b, LocalOptions{})
	_, s := ltEnrol(b, e, "bench")
	l := e.l
	b.Run("one key", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.VerifySession(ctx, s.SessionJWT); err != nil {
				b.Fatal(err)
			}
		}
	})
	if _, err := l.RotateSigningKey(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("retired key", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.VerifySession(ctx, s.SessionJWT); err != nil {
				b.Fatal(err)
			}
		}
	})
}
