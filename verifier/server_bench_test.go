//go:build unix

package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/provisioning"
)

// benchClients is the number of concurrent clients: SetParallelism(benchClients /
// GOMAXPROCS) goroutines per P, so 16 on this 2-core machine.
const benchClients = 16

// BenchmarkServer measures otpair serve's handler over real HTTP on loopback with
// Local on a SQLite file, next to a bare net/http JSON echo handler in the same run:
//
//	echo            decode {"loginId","code"} and answer it: the floor of HTTP + JSON
//	server-only     Server over a backend that rejects at once: the server layer's cost
//	rejected        a wrong code: attempt charged (a write), seeds opened, window checked
//	locked          a wrong code for a locked-out user (default policy): one read, 429
//	signin-ES256    a right code: charge, check, replay guard, two ES256 tokens
//	signin-RS256    the same with RS256 tokens
//
// Each reports req/s and the p99 latency of one request (p99-ms).
func BenchmarkServer(b *testing.B) {
	parent := b
	b.Run("echo", func(b *testing.B) {
		ts := httptest.NewServer(http.HandlerFunc(echoHandler))
		defer ts.Close()
		body := `{"loginId":"bench@example.com","code":"123456"}`
		runBench(b, ts.URL+"/echo", func(int64) string { return body }, http.StatusOK)
	})
	b.Run("server-only", func(b *testing.B) {
		// The server's own layer (auth, strict decoding, error mapping, the log line)
		// over a backend that rejects at once: the difference to echo is its cost.
		f := permissiveBackend()
		f.t = b
		ts := httptest.NewServer(NewServer(f, ServerOptions{ManagementKey: testMgmtKey,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
		defer ts.Close()
		body := `{"loginId":"bench@example.com","code":"123456"}`
		runBench(b, ts.URL+"/v1/auth/totp/verify", func(int64) string { return body }, http.StatusUnauthorized)
	})
	var rejected benchSetup
	b.Run("rejected", func(b *testing.B) {
		s := rejected.get(b, parent, ES256, 256, benchUnlimited)
		runBench(b, s.url+"/v1/auth/totp/verify", func(i int64) string {
			u := s.users[i%int64(len(s.users))]
			return `{"loginId":"` + u.login + `","code":"` + u.wrong + `"}`
		}, http.StatusUnauthorized)
	})
	var locked benchSetup
	b.Run("locked", func(b *testing.B) {
		s := locked.get(b, parent, ES256, 256, benchLocked)
		runBench(b, s.url+"/v1/auth/totp/verify", func(i int64) string {
			u := s.users[i%int64(len(s.users))]
			return `{"loginId":"` + u.login + `","code":"` + u.wrong + `"}`
		}, http.StatusTooManyRequests)
	})
	for _, alg := range []string{ES256, RS256} {
		var setup benchSetup
		b.Run("signin-"+alg, func(b *testing.B) {
			// 2048 users: a request overtaken by the same user's request of the next
			// round (2048 requests later) would be refused by the replay guard; with
			// 512 that happened once in 5000 requests on an idle machine.
			s := setup.get(b, parent, alg, 2048, benchSignIn)
			runBench(b, s.url+"/v1/auth/totp/verify", s.nextGoodCode, http.StatusOK)
		})
	}
}

// echoHandler is the bare net/http baseline: the same JSON in and out, nothing else.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, DefaultMaxBody)).Decode(&req); err != nil {
		http.Error(w, `{"errorCode":"E011001"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(req)
}

type benchUser struct {
	login string
	key   provisioning.Key
	wrong string
}

// benchSetup is a server with enrolled users, built once per sub-benchmark (the
// benchmark function runs several times with growing b.N).
type benchSetup struct {
	once  sync.Once
	url   string
	users []benchUser
	clock *testclock.Clock
	base  uint64       // the step the clock started at
	next  atomic.Int64 // sign-ins issued so far
	err   error
}

// get builds the setup on first use. parent is the enclosing benchmark: its temporary
// folder and cleanups last across the sub-benchmark's runs (a sub-benchmark's own run
// after each b.N).
func (s *benchSetup) get(b, parent *testing.B, alg string, n int, mode benchMode) *benchSetup {
	s.once.Do(func() { s.err = s.build(parent, alg, n, mode) })
	if s.err != nil {
		b.Fatal(s.err)
	}
	return s
}

// benchMode is what the users of a setup are for.
type benchMode int

const (
	benchSignIn    benchMode = iota // right codes: default policy
	benchUnlimited                  // wrong codes, the attempt limit out of reach
	benchLocked                     // wrong codes, every user locked out first
)

func (s *benchSetup) build(b *testing.B, alg string, n int, mode benchMode) error {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := OpenSQLite(ctx, filepath.Join(dir, "verifier.db"))
	if err != nil {
		return err
	}
	s.clock = testclock.New(testNow)
	opts := LocalOptions{Clock: s.clock.Now, SeedKey: NewSeedKey(), ProjectID: testPID, SigningAlg: alg}
	if mode == benchUnlimited {
		// Wrong codes must keep being checked, not answered by the lock.
		opts.MaxAttempts = 1 << 30
	}
	l, err := NewLocal(ctx, st, opts)
	if err != nil {
		return err
	}
	s.base = uint64(testNow.Unix() / 30)
	s.users = make([]benchUser, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 4)
	for i := range s.users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			u := &s.users[i]
			u.login = fmt.Sprintf("bench-%05d@example.com", i)
			e, err := l.SignUp(ctx, u.login, UserInfo{})
			if err != nil {
				errs <- err
				return
			}
			if u.key, err = provisioning.ParseURI(e.ProvisioningURL); err != nil {
				errs <- err
				return
			}
			// Enrol with the code of the step before the clock's, so the benchmark can
			// use the clock's step and every later one.
			c, _ := u.key.StepCode(s.base - 1)
			if _, err := l.SignIn(ctx, u.login, c); err != nil {
				errs <- err
				return
			}
			u.wrong = "000000"
			for _, k := range []uint64{s.base - 1, s.base, s.base + 1} {
				if c, _ := u.key.StepCode(k); c == u.wrong {
					u.wrong = "999999"
				}
			}
			for mode == benchLocked {
				if _, err := l.SignIn(ctx, u.login, u.wrong); errors.Is(err, ErrLocked) {
					break
				} else if !errors.Is(err, ErrWrongCode) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	srv := NewServer(l, ServerOptions{ManagementKey: testMgmtKey, Clock: s.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(srv)
	b.Cleanup(func() { ts.Close(); st.Close() })
	s.url = ts.URL
	return nil
}

// nextGoodCode is the body of the next successful sign-in: request i goes to user
// i mod n at round i / n, one step per round, and the clock follows the rounds (a step
// ahead or behind is still in the window, so requests in flight across a round stay
// valid).
func (s *benchSetup) nextGoodCode(int64) string {
	i := s.next.Add(1) - 1
	n := int64(len(s.users))
	round := i / n
	if round > 0 && i%n == 0 {
		s.clock.Add(30 * time.Second)
	}
	u := s.users[i%n]
	c, _ := u.key.StepCode(s.base + uint64(round))
	return `{"loginId":"` + u.login + `","code":"` + c + `"}`
}

// runBench sends b.N requests from benchClients goroutines, each checking the status,
// and reports req/s and the p99 latency.
func runBench(b *testing.B, url string, body func(i int64) string, want int) {
	tr := &http.Transport{MaxIdleConnsPerHost: 2 * benchClients, MaxConnsPerHost: 2 * benchClients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var mu sync.Mutex
	var all []time.Duration
	var seq atomic.Int64
	var failed atomic.Int64
	b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := httpProcessCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body(seq.Add(1)-1)))
			req.Header.Set("Authorization", "Bearer "+testPID)
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mine = append(mine, time.Since(t0))
			if resp.StatusCode != want {
				failed.Add(1)
			}
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu := httpProcessCPU() - cpu0
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests did not get %d", n, b.N, want)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	// CPU time of the whole process (server and clients) per request: unlike req/s it
	// hardly depends on what else the shared machine runs. 2 cores / cpu-us is the
	// throughput this process would reach with both cores to itself.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	if len(all) > 0 {
		slices.Sort(all)
		b.ReportMetric(float64(all[len(all)*99/100])/float64(time.Millisecond), "p99-ms")
	}
}

// httpProcessCPU is the user and system CPU time this process has used.
func httpProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
