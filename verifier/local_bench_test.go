package verifier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier/internal/bench"
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
	var lat latencies
	lat.start()
	b.RunParallel(func(pb *testing.PB) {
		login := fmt.Sprintf("b%d", next.Add(1)%64)
		var mine []time.Duration
		for pb.Next() {
			t := time.Now()
			_, err := e.l.SignIn(context.Background(), login, bad)
			mine = append(mine, time.Since(t))
			if !isWrong(err) {
				b.Fatalf("SignIn: %v, want a wrong code", err)
			}
		}
		lat.add(mine)
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
	lat.report(b)
}

// isWrong reports whether a sign-in failed for a wrong code.
func isWrong(err error) bool { return errors.Is(err, ErrWrongCode) }

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
			var lat latencies
			lat.start()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					login := fmt.Sprintf("b%d", next.Add(1)-1)
					t := time.Now()
					_, err := e.l.SignIn(context.Background(), login, code)
					mine = append(mine, time.Since(t))
					if err != nil {
						b.Fatalf("SignIn(%s): %v", login, err)
					}
				}
				lat.add(mine)
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
			lat.report(b)
		})
	}
}

// latencies collects the duration of every call of a parallel benchmark, to report the
// median and the 99th percentile next to the mean that ns/op gives.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
	cpu time.Duration // process CPU time at the start
}

// start notes the process CPU time, so report can give the CPU cost of one call: on a
// machine shared with other work, that figure moves much less than the wall time.
func (l *latencies) start() { l.cpu = bench.ProcessCPU() }

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	at := func(q float64) float64 { return float64(l.all[int(q*float64(len(l.all)-1))].Microseconds()) }
	b.ReportMetric(at(0.5), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	if l.cpu > 0 {
		b.ReportMetric(float64((bench.ProcessCPU()-l.cpu).Microseconds())/float64(len(l.all)), "cpu-µs/op")
	}
}
