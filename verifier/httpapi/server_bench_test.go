package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/internal/bench"
	"github.com/otpair/otpair/verifier/sqlite"
)

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
// Each case runs once per load generator (wire, nethttp: see bench.Client), with 16
// concurrent clients in this process, and reports req/s, the p99 latency of one
// request (p99-ms), the process's CPU per request (cpu-us/op) and, over the SQLite
// store, the writes per group commit (writes/commit). The process runs with the GC
// target otpair serve sets (ServerGCPercent) unless GOGC is set.
func BenchmarkServer(b *testing.B) {
	// The process runs as otpair serve does (unless GOGC is set, which wins here too).
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(ServerGCPercent))
	}
	parent := b
	b.Run("echo", func(b *testing.B) {
		ts := httptest.NewServer(http.HandlerFunc(echoHandler))
		defer ts.Close()
		body := `{"loginId":"bench@example.com","code":"123456"}`
		runBenchClients(b, ts.URL+"/echo", func(int64) string { return body }, http.StatusOK, nil)
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
		runBenchClients(b, ts.URL+"/v1/auth/totp/verify", func(int64) string { return body }, http.StatusUnauthorized, nil)
	})
	var rejected benchSetup
	b.Run("rejected", func(b *testing.B) {
		s := rejected.get(b, parent, verifier.ES256, 256, benchUnlimited)
		runBenchClients(b, s.url+"/v1/auth/totp/verify", func(i int64) string {
			u := s.users[i%int64(len(s.users))]
			return `{"loginId":"` + u.login + `","code":"` + u.wrong + `"}`
		}, http.StatusUnauthorized, s.st)
	})
	var locked benchSetup
	b.Run("locked", func(b *testing.B) {
		s := locked.get(b, parent, verifier.ES256, 256, benchLocked)
		runBenchClients(b, s.url+"/v1/auth/totp/verify", func(i int64) string {
			u := s.users[i%int64(len(s.users))]
			return `{"loginId":"` + u.login + `","code":"` + u.wrong + `"}`
		}, http.StatusTooManyRequests, s.st)
	})
	for _, alg := range []string{verifier.ES256, verifier.RS256} {
		var setup benchSetup
		b.Run("signin-"+alg, func(b *testing.B) {
			// 2048 users: a request overtaken by the same user's request of the next
			// round (2048 requests later) would be refused by the replay guard; with
			// 512 that happened once in 5000 requests on an idle machine.
			s := setup.get(b, parent, alg, 2048, benchSignIn)
			runBenchClients(b, s.url+"/v1/auth/totp/verify", s.nextGoodCode, http.StatusOK, s.st)
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
	st    *sqlite.DB
	users []benchUser
	clock *testclock.Clock
	base  uint64       // the step the clock started at
	next  atomic.Int64 // sign-ins issued so far
	err   error
	// flows, when set before the setup is built, serves the flow API too, with the
	// executions in the same SQLite file.
	flows bool
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
	st, err := sqlite.Open(ctx, filepath.Join(dir, "verifier.db"))
	if err != nil {
		return err
	}
	s.st = st
	s.clock = testclock.New(testNow)
	opts := verifier.LocalOptions{Clock: s.clock.Now, SeedKey: verifier.NewSeedKey(), ProjectID: testPID, SigningAlg: alg}
	if mode == benchUnlimited {
		// Wrong codes must keep being checked, not answered by the lock.
		opts.MaxAttempts = 1 << 30
	}
	l, err := verifier.NewLocal(ctx, st, opts)
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
			e, err := l.SignUp(ctx, u.login, verifier.UserInfo{})
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
				if _, err := l.SignIn(ctx, u.login, u.wrong); errors.Is(err, verifier.ErrLocked) {
					break
				} else if !errors.Is(err, verifier.ErrWrongCode) {
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
	var engine *flow.Engine
	if s.flows {
		if engine, err = flow.New(flow.Options{Backend: l, Store: st, StateKey: verifier.NewSeedKey(), Clock: s.clock.Now}); err != nil {
			return err
		}
	}
	// Every client of the benchmark comes from one loopback address, which the sign-up
	// and flow-start limits (10 a minute by default) would refuse after ten flows: the
	// benchmark measures what a flow costs, as otpair serve --signup-rate off serves.
	srv := NewServer(l, ServerOptions{ManagementKey: testMgmtKey, Clock: s.clock.Now, Flows: engine,
		SignUpRate: NoLimit, SignUpRateTotal: NoLimit,
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
	login, code := s.nextLoginCode()
	return `{"loginId":"` + login + `","code":"` + code + `"}`
}

// nextLoginCode is the user and right code of the next sign-in, as nextGoodCode.
func (s *benchSetup) nextLoginCode() (login, code string) {
	i := s.next.Add(1) - 1
	n := int64(len(s.users))
	round := i / n
	if round > 0 && i%n == 0 {
		s.clock.Add(30 * time.Second)
	}
	u := s.users[i%n]
	c, _ := u.key.StepCode(s.base + uint64(round))
	return u.login, c
}

// BenchmarkFlows measures completed sign-in flows (sign-in-totp: start with the
// loginId, which answers the code screen; next with the right code, which answers
// completed with both ES256 tokens) beside single-call sign-ins, over real HTTP on
// loopback, Local and the executions on one SQLite file, 16 clients, in the same run:
//
//	signin-ES256       /v1/auth/totp/verify: one request a sign-in
//	flow-signin-ES256  /v1/flow/start then /v1/flow/next: two requests a sign-in
//
// flows/s against req/s of the single call, and cpu-us/op (the process's CPU per
// sign-in) side by side, are the figures docs/benchmarks.md records.
func BenchmarkFlows(b *testing.B) {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(ServerGCPercent))
	}
	parent := b
	setup := benchSetup{flows: true}
	b.Run("signin-ES256", func(b *testing.B) {
		s := setup.get(b, parent, verifier.ES256, 2048, benchSignIn)
		runBenchClients(b, s.url+"/v1/auth/totp/verify", s.nextGoodCode, http.StatusOK, s.st)
	})
	b.Run("flow-signin-ES256", func(b *testing.B) {
		s := setup.get(b, parent, verifier.ES256, 2048, benchSignIn)
		for _, c := range bench.All {
			b.Run(c.Name, func(b *testing.B) {
				bench.RunFlows(b, c, s.url, testPID, s.signInFlow)
			})
		}
	})
}

// signInFlow runs one sign-in-totp flow: start, then next with the code.
func (s *benchSetup) signInFlow(_ int64, post bench.Poster) error {
	login, code := s.nextLoginCode()
	st, body, err := post("/v1/flow/start", `{"flowId":"sign-in-totp","input":{"loginId":"`+login+`"},"isCustomScreen":false}`)
	if err != nil {
		return err
	}
	var r struct {
		ExecutionID string `json:"executionId"`
		StepID      string `json:"stepId"`
		Status      string `json:"status"`
	}
	if err := json.Unmarshal(body, &r); err != nil || st != http.StatusOK || r.Status != "waiting" {
		return fmt.Errorf("start: %d %s", st, body)
	}
	st, body, err = post("/v1/flow/next", `{"executionId":"`+r.ExecutionID+`","stepId":"`+r.StepID+`","interactionId":"oneTimeCodeId","input":{"code":"`+code+`"}}`)
	if err != nil {
		return err
	}
	if st != http.StatusOK || !bytes.Contains(body, []byte(`"status":"completed"`)) {
		return fmt.Errorf("next: %d %s", st, body)
	}
	return nil
}

// runBenchClients runs bench.Run once with each load generator, as sub-benchmarks.
// With st it also reports how many writes the store's group commit put in one
// transaction on average (writes/commit).
func runBenchClients(b *testing.B, url string, body func(i int64) string, want int, st *sqlite.DB) {
	for _, c := range bench.All {
		b.Run(c.Name, func(b *testing.B) {
			var w0 sqlite.WriteStats
			if st != nil {
				w0 = st.WriteStats()
			}
			bench.Run(b, c, url, testPID, body, want)
			if st == nil {
				return
			}
			if w := st.WriteStats(); w.Commits > w0.Commits {
				b.ReportMetric(float64(w.Writes-w0.Writes)/float64(w.Commits-w0.Commits), "writes/commit")
			}
		})
	}
}
