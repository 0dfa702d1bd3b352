//go:build unix

package verifier

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
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
// Each case runs once per load generator (wire, nethttp: see benchClient), with 16
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
		s := rejected.get(b, parent, ES256, 256, benchUnlimited)
		runBenchClients(b, s.url+"/v1/auth/totp/verify", func(i int64) string {
			u := s.users[i%int64(len(s.users))]
			return `{"loginId":"` + u.login + `","code":"` + u.wrong + `"}`
		}, http.StatusUnauthorized, s.st)
	})
	var locked benchSetup
	b.Run("locked", func(b *testing.B) {
		s := locked.get(b, parent, ES256, 256, benchLocked)
		runBenchClients(b, s.url+"/v1/auth/totp/verify", func(i int64) string {
			u := s.users[i%int64(len(s.users))]
			return `{"loginId":"` + u.login + `","code":"` + u.wrong + `"}`
		}, http.StatusTooManyRequests, s.st)
	})
	for _, alg := range []string{ES256, RS256} {
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
	st    *SQLiteStore
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
	s.st = st
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

// benchClient is the load generator of runBench: open gives one client goroutine its
// way of posting a JSON body to url, answering the response's status.
type benchClient struct {
	name string
	open func(url string) (post func(body string) (status int, failure string, err error), done func(), err error)
}

// The two load generators. Both run in the benchmark's process, on the same two cores
// as the server, so what a client spends is taken from the server:
//
//	wire     a lean HTTP/1.1 client (what wrk is in C): one kept-alive connection per
//	         client goroutine, the request written as bytes, the response's status
//	         line and Content-Length parsed and its body skipped
//	nethttp  Go's http.Client over one shared keep-alive Transport
var (
	wireClient      = benchClient{"wire", openWireClient}
	netHTTPClient   = benchClient{"nethttp", openNetHTTPClient}
	benchClientsAll = []benchClient{wireClient, netHTTPClient}
)

func openNetHTTPClient(url string) (func(string) (int, string, error), func(), error) {
	tr := &http.Transport{MaxIdleConnsPerHost: 2, MaxConnsPerHost: 2}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	post := func(body string) (int, string, error) {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+testPID)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			return resp.StatusCode, string(b), nil
		}
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, "", nil
	}
	return post, tr.CloseIdleConnections, nil
}

func openWireClient(rawURL string) (func(string) (int, string, error), func(), error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nAuthorization: Bearer " + testPID +
		"\r\nContent-Type: application/json\r\nContent-Length: "
	br := bufio.NewReaderSize(conn, 16<<10)
	var buf []byte
	post := func(body string) (int, string, error) {
		buf = append(buf[:0], head...)
		buf = strconv.AppendInt(buf, int64(len(body)), 10)
		buf = append(buf, "\r\n\r\n"...)
		buf = append(buf, body...)
		if _, err := conn.Write(buf); err != nil {
			return 0, "", err
		}
		return readWireResponse(br)
	}
	return post, func() { conn.Close() }, nil
}

// readWireResponse reads one HTTP/1.1 response that has a Content-Length (every
// answer of the server and of the echo handler here does) and returns its status, and
// its body when the status is not a success (for the benchmark's failure message).
func readWireResponse(br *bufio.Reader) (int, string, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, "", err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, "", fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, "", fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, "", err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return 0, "", fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if length < 0 {
		return 0, "", errors.New("response without Content-Length")
	}
	if status >= 300 {
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			return 0, "", err
		}
		return status, string(body), nil
	}
	if _, err := br.Discard(length); err != nil {
		return 0, "", err
	}
	return status, "", nil
}

// runBenchClients runs runBench once with each load generator, as sub-benchmarks.
// With st it also reports how many writes the store's group commit put in one
// transaction on average (writes/commit).
func runBenchClients(b *testing.B, url string, body func(i int64) string, want int, st *SQLiteStore) {
	for _, c := range benchClientsAll {
		b.Run(c.name, func(b *testing.B) {
			var c0, w0 int64
			if st != nil {
				c0, w0 = st.writes.commits.Load(), st.writes.writes.Load()
			}
			runBench(b, c, url, body, want)
			if st == nil {
				return
			}
			if commits := st.writes.commits.Load() - c0; commits > 0 {
				b.ReportMetric(float64(st.writes.writes.Load()-w0)/float64(commits), "writes/commit")
			}
		})
	}
}

// runBench sends b.N requests from benchClients goroutines, each checking the status,
// and reports req/s and the p99 latency.
func runBench(b *testing.B, client benchClient, url string, body func(i int64) string, want int) {
	var mu sync.Mutex
	var all []time.Duration
	var seq atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := httpProcessCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		post, done, err := client.open(url)
		if err != nil {
			firstErr.CompareAndSwap(nil, err)
			for pb.Next() {
				failed.Add(1)
			}
			return
		}
		defer done()
		var mine []time.Duration
		for pb.Next() {
			req := body(seq.Add(1) - 1)
			t0 := time.Now()
			status, failure, err := post(req)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				failed.Add(1)
				// A broken connection stays broken: open a new one.
				done()
				if post, done, err = client.open(url); err != nil {
					b.Error(err)
					return
				}
				continue
			}
			mine = append(mine, time.Since(t0))
			if status != want {
				firstErr.CompareAndSwap(nil, fmt.Errorf("status %d %s for request %s", status, failure, req))
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
		b.Fatalf("%d of %d requests did not get %d (first error: %v)", n, b.N, want, firstErr.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	// CPU time of the whole process (server and clients) per request: unlike req/s it
	// hardly depends on what else the shared machine runs. 2 cores / cpu-us is the
	// throughput this process would reach with both cores to itself.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	if len(all) > 0 {
		slices.Sort(all)
		b.ReportMetric(float64(all[len(all)*99/100])/float64(time.Millisecond), "p99-ms")
		b.ReportMetric(float64(all[len(all)-1])/float64(time.Millisecond), "max-ms")
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
