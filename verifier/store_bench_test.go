package verifier_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/httpapi"
	"github.com/otpair/otpair/verifier/internal/bench"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/sqlite"
)

// BenchmarkStoreSignIn measures Local.SignIn over each Store in the same run, so the
// figures compare on one machine: a SQLite file and, when OTPAIR_TEST_POSTGRES names a
// server, PostgreSQL. "rejected" is a wrong code (user and seeds read, the attempt
// charge written, the window checked); "success" a right code (the same plus the
// replay guard and an ES256 session and refresh token), each by a distinct user.
// Sixteen goroutines per core sign in at once, as a busy server's requests would.
func BenchmarkStoreSignIn(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name+"/rejected", func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			l, code := benchLocal(b, s, 64, verifier.LocalOptions{MaxAttempts: 1 << 30})
			bad := verifier.WrongCodeForTest(code)
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				login := fmt.Sprintf("b%d", next.Add(1)%64)
				for pb.Next() {
					if _, err := l.SignIn(context.Background(), login, bad); !verifier.IsWrongForTest(err) {
						b.Fatalf("SignIn: %v, want a wrong code", err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
		})
		b.Run(st.name+"/success", func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			l, code := benchLocal(b, s, b.N, verifier.LocalOptions{})
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					login := fmt.Sprintf("b%d", next.Add(1)-1)
					if _, err := l.SignIn(context.Background(), login, code); err != nil {
						b.Fatalf("SignIn(%s): %v", login, err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
		})
	}
}

// benchStores are the stores the benchmarks compare, opened fresh for each
// sub-benchmark: a SQLite file in a temporary folder, and PostgreSQL on a fresh schema
// of OTPAIR_TEST_POSTGRES (skipped when that is unset).
var benchStores = []struct {
	name string
	open func(b *testing.B) verifier.Store
}{
	{"sqlite", func(b *testing.B) verifier.Store {
		s, err := sqlite.Open(context.Background(), b.TempDir()+"/verifier.db")
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
	{"postgres", func(b *testing.B) verifier.Store {
		base := os.Getenv("OTPAIR_TEST_POSTGRES")
		if base == "" {
			b.Skip("OTPAIR_TEST_POSTGRES is unset: run through scripts/test.sh or point it at a server")
		}
		s, err := postgres.Open(context.Background(), benchSchema(b, base))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
}

// BenchmarkServerStore is BenchmarkServer's rejected and ES256 sign-in cases (the same
// bench.Run: loopback HTTP, 16 clients, req/s, p99-ms, cpu-us/op) over each store in
// one run. Users are written straight through the Store; each successful sign-in is a
// distinct user at the clock's step.
func BenchmarkServerStore(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name+"/rejected", func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			l, code := benchLocal(b, s, 64, verifier.LocalOptions{MaxAttempts: 1 << 30, ProjectID: benchPID})
			bad := verifier.WrongCodeForTest(code)
			ts := httptest.NewServer(httpapi.NewServer(l, httpapi.ServerOptions{Clock: benchClock}))
			defer ts.Close()
			bench.Run(b, bench.NetHTTP, ts.URL+"/v1/auth/totp/verify", benchPID, func(i int64) string {
				return `{"loginId":"b` + strconv.FormatInt(i%64, 10) + `","code":"` + bad + `"}`
			}, http.StatusUnauthorized)
		})
		b.Run(st.name+"/signin-ES256", func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			l, code := benchLocal(b, s, b.N, verifier.LocalOptions{ProjectID: benchPID})
			ts := httptest.NewServer(httpapi.NewServer(l, httpapi.ServerOptions{Clock: benchClock}))
			defer ts.Close()
			bench.Run(b, bench.NetHTTP, ts.URL+"/v1/auth/totp/verify", benchPID, func(i int64) string {
				return `{"loginId":"b` + strconv.FormatInt(i, 10) + `","code":"` + code + `"}`
			}, http.StatusOK)
		})
	}
}

// benchPID is the project of the benchmarks' servers.
const benchPID = "P2otpairTestProject"

// benchClock is the benchmarks' fixed clock.
func benchClock() time.Time { return time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC) }

// benchLocal builds a Local (ES256, a fixed clock) on s with n active users b0…b(n-1)
// sharing one secret, written straight through the Store, and returns the code that
// signs any of them in.
func benchLocal(b *testing.B, s verifier.Store, n int, opts verifier.LocalOptions) (*verifier.Local, string) {
	b.Helper()
	ctx := context.Background()
	now := benchClock()
	opts.Clock = benchClock
	opts.SeedKey = verifier.NewSeedKey()
	opts.SigningAlg = verifier.ES256
	l, err := verifier.NewLocal(ctx, s, opts)
	if err != nil {
		b.Fatal(err)
	}
	secret, err := provisioning.NewSecret(0)
	if err != nil {
		b.Fatal(err)
	}
	key := provisioning.Key{Type: provisioning.TOTP, Secret: secret, Algorithm: provisioning.SHA1, Digits: 6, Period: 30}
	step := key.Step(now)
	for i := range n {
		rec := verifier.UserRecord{ID: fmt.Sprintf("Ub%d", i), LoginID: fmt.Sprintf("b%d", i), Created: now, LastStep: -1}
		if err := s.CreateUser(ctx, rec); err != nil {
			b.Fatal(err)
		}
		ct, nonce, keyID := l.SealSeedForTest(rec.ID, secret)
		seed := verifier.SealedSeed{ID: "s", Ciphertext: ct, Nonce: nonce, KeyID: keyID, Algorithm: "SHA1", Digits: 6, Period: 30, Created: now}
		if err := s.PutPendingSeed(ctx, rec.ID, seed); err != nil {
			b.Fatal(err)
		}
		if ok, _, err := s.PromotePending(ctx, rec.ID, "s", step-2, 0, now); err != nil || !ok {
			b.Fatalf("promote: %v %v", ok, err)
		}
	}
	code, err := key.Code(now)
	if err != nil {
		b.Fatal(err)
	}
	return l, code
}

// benchSchema creates a fresh schema on the server at base and returns base with
// search_path set to it; the schema is dropped when the benchmark ends.
func benchSchema(b *testing.B, base string) string {
	b.Helper()
	ctx := context.Background()
	schema := "b_" + strings.ToLower(rand.Text())
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			b.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
