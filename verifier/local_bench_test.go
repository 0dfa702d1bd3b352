package verifier

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/otpair/otpair/provisioning"
)

// benchUsers stores n active users named b0…b(n-1) that share one secret (each sealed
// under its own user id), straight through the Store so that set-up signs no tokens.
// It returns the code that signs any of them in at the clock's time.
func benchUsers(b *testing.B, e *ltEnv, n int) string {
	b.Helper()
	ctx := context.Background()
	secret, err := provisioning.NewSecret(0)
	if err != nil {
		b.Fatal(err)
	}
	key := provisioning.Key{Type: provisioning.TOTP, Secret: secret, Algorithm: provisioning.SHA1, Digits: 6, Period: 30}
	now := e.clock.Now()
	step := key.Step(now)
	for i := range n {
		rec := UserRecord{ID: fmt.Sprintf("Ub%d", i), LoginID: fmt.Sprintf("b%d", i), Created: now, LastStep: -1}
		if err := e.st.CreateUser(ctx, rec); err != nil {
			b.Fatal(err)
		}
		ct, nonce := e.l.seal.seal(secret, seedAAD(rec.ID))
		seed := SealedSeed{ID: "s", Ciphertext: ct, Nonce: nonce, KeyID: e.l.seal.keyID, Algorithm: "SHA1", Digits: 6, Period: 30, Created: now}
		if err := e.st.PutPendingSeed(ctx, rec.ID, seed); err != nil {
			b.Fatal(err)
		}
		if ok, _, err := e.st.PromotePending(ctx, rec.ID, "s", step-2, 0, now); err != nil || !ok {
			b.Fatalf("promote: %v %v", ok, err)
		}
	}
	code, err := key.Code(now)
	if err != nil {
		b.Fatal(err)
	}
	return code
}

// BenchmarkSignInRejected is a wrong code end to end in the Local backend: the user
// lookup, the atomic attempt charge (a write), opening the seed and the constant-time
// check of the three window steps. The limit is out of reach so every call does all
// of it; 64 users share the load.
func BenchmarkSignInRejected(b *testing.B) {
	e := newLTEnv(b, LocalOptions{MaxAttempts: 1 << 30})
	code := benchUsers(b, e, 64)
	bad := ltWrongCode(code)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		login := fmt.Sprintf("b%d", next.Add(1)%64)
		for pb.Next() {
			if _, err := e.l.SignIn(context.Background(), login, bad); !isWrong(err) {
				b.Fatalf("SignIn: %v, want a wrong code", err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
}

func isWrong(err error) bool { return err != nil && statusCode(err) == CodeWrongCode }

// statusCode is StatusAndCode's code alone, for the benchmarks' checks.
func statusCode(err error) string { _, c := StatusAndCode(err, false); return c }

// BenchmarkSignInSuccess is a right code end to end: the same as a rejection plus the
// replay-guard write and signing a session and a refresh token. Each sign-in is a
// distinct user, because a code is good once.
func BenchmarkSignInSuccess(b *testing.B) {
	for _, alg := range []string{ES256, RS256} {
		b.Run(alg, func(b *testing.B) {
			e := newLTEnv(b, LocalOptions{SigningAlg: alg})
			code := benchUsers(b, e, b.N)
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					login := fmt.Sprintf("b%d", next.Add(1)-1)
					if _, err := e.l.SignIn(context.Background(), login, code); err != nil {
						b.Fatalf("SignIn(%s): %v", login, err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
		})
	}
}
