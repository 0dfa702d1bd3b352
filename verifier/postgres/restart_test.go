package postgres_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/httpapi"
	"github.com/otpair/otpair/verifier/postgres"
)

// TestPostgresRestartMidLoad restarts PostgreSQL (a private cluster) while sign-ups and
// sign-ins run against the HTTP server. While the database is down, requests fail with
// a JSON 500 E010000 (never a crash, never the 503 Descope's Go SDK retries forever);
// once it is back they succeed again. Afterwards every enrolment that was confirmed is
// stored, and no code was accepted twice, even when the same code raced itself.
func TestPostgresRestartMidLoad(t *testing.T) {
	pg := startPGCluster(t)
	ctx := t.Context()
	st, err := postgres.Open(ctx, pg.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	local, err := verifier.NewLocal(ctx, st, verifier.LocalOptions{Clock: clock, SeedKey: verifier.NewSeedKey(),
		ProjectID: "Prestart", MaxAttempts: 1 << 20, SigningAlg: verifier.ES256})
	if err != nil {
		t.Fatal(err)
	}
	// 16 users sign up from one address under a frozen clock: no sign-up rate limit.
	srv := httptest.NewServer(httpapi.NewServer(local, httpapi.ServerOptions{Clock: clock, SignUpRate: httpapi.NoLimit}))
	defer srv.Close()
	api := &apiClient{base: srv.URL, pid: local.ProjectID()}

	const (
		workers  = 4
		users    = 16
		stopAt   = 6   // users finished before the restart begins
		maxTries = 500 // per request, so a server that never comes back fails the test
	)
	var (
		next, finished atomic.Int32
		failures       atomic.Int32 // 500 replies
		mu             sync.Mutex
		confirmed      = map[string]bool{} // login id -> the enrolment was confirmed
		secondStep     = map[string]bool{} // login id -> its next-step code was accepted
		problems       []string
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	// call retries a request while it fails with a storage error (the database is
	// away) and returns the first other reply, checking every reply's shape.
	call := func(what string, f func() (apiReply, error)) (r apiReply, retried bool, ok bool) {
		for range maxTries {
			r, err := f()
			if err != nil {
				problem("%s: %v", what, err)
				return r, retried, false
			}
			if r.status != http.StatusInternalServerError {
				return r, retried, true
			}
			if r.str("errorCode") != httpapi.CodeInternal {
				problem("%s: 500 with errorCode %q", what, r.str("errorCode"))
			}
			failures.Add(1)
			retried = true
			time.Sleep(5 * time.Millisecond) // back off while the database restarts
		}
		problem("%s: still failing after %d tries", what, maxTries)
		return r, retried, false
	}
	work := func() {
		for {
			i := next.Add(1)
			if i > users {
				return
			}
			login := fmt.Sprintf("user%03d@example.com", i)
			r, _, ok := call("sign-up "+login, func() (apiReply, error) {
				r, err := api.post(ctx, "/v1/auth/totp/signup", "", map[string]any{"loginId": login})
				return r, err
			})
			if !ok || r.status != http.StatusOK {
				problem("sign-up %s: %d %v", login, r.status, r.body)
				return
			}
			key, err := provisioning.ParseURI(r.str("provisioningURL"))
			if err != nil {
				problem("sign-up %s: %v", login, err)
				return
			}
			// The first code confirms the enrolment. A 401 after a retried 500 means the
			// lost reply's request had committed: the code was used, the user is active.
			code, err := key.Code(now)
			if err != nil {
				problem("code of %s: %v", login, err)
				return
			}
			r, retried, ok := call("confirm "+login, func() (apiReply, error) { return api.verify(ctx, login, code) })
			switch {
			case !ok:
				return
			case r.status == http.StatusOK || r.status == http.StatusUnauthorized && retried:
				mu.Lock()
				confirmed[login] = true
				mu.Unlock()
			default:
				problem("confirm %s: %d %v", login, r.status, r.body)
				return
			}
			// The next step's code, sent twice at once: accepted at most once.
			if code, err = key.Code(now.Add(30 * time.Second)); err != nil {
				problem("code of %s: %v", login, err)
				return
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					r, _, ok := call("sign-in "+login, func() (apiReply, error) { return api.verify(ctx, login, code) })
					switch {
					case !ok:
					case r.status == http.StatusOK:
						wins.Add(1)
					case r.status != http.StatusUnauthorized || r.str("errorCode") != "E061102":
						problem("sign-in %s: %d %v", login, r.status, r.body)
					}
				})
			}
			wg.Wait()
			if wins.Load() > 1 {
				problem("sign-in %s: one code accepted %d times", login, wins.Load())
			}
			if wins.Load() == 1 {
				mu.Lock()
				secondStep[login] = true
				mu.Unlock()
			}
			finished.Add(1)
		}
	}
	began := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(work)
	}

	for finished.Load() < stopAt && next.Load() <= users {
		time.Sleep(10 * time.Millisecond) // wait for the load to be under way
	}
	t.Logf("%v: %d users done, stopping PostgreSQL", time.Since(began), finished.Load())
	pg.ctl(t, "stop", "-m", "fast")
	t.Logf("%v: stopped", time.Since(began))
	// While the database is away: a JSON 500, deterministically.
	for _, probe := range []func() (apiReply, error){
		func() (apiReply, error) { return api.verify(ctx, "user001@example.com", "123456") },
		func() (apiReply, error) {
			return api.post(ctx, "/v1/auth/totp/signup", "", map[string]any{"loginId": "probe@example.com"})
		},
	} {
		r, err := probe()
		if err != nil {
			t.Fatalf("request while PostgreSQL is down: %v", err)
		}
		if r.status != http.StatusInternalServerError || r.str("errorCode") != httpapi.CodeInternal {
			t.Fatalf("request while PostgreSQL is down = %d %v, want 500 %s", r.status, r.body, httpapi.CodeInternal)
		}
	}
	// Keep it down until the load itself has met the outage (or a while has passed).
	for deadline := time.Now().Add(20 * time.Second); failures.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	pg.start(t)
	t.Logf("%v: started", time.Since(began))
	wg.Wait()
	t.Logf("%v: load done", time.Since(began))

	for _, p := range problems {
		t.Error(p)
	}
	if got := finished.Load(); got != users {
		t.Fatalf("%d of %d users went through", got, users)
	}
	t.Logf("%d requests failed with 500 while PostgreSQL restarted", failures.Load())
	// Nothing confirmed was lost: every such user is active with its seed, and every
	// accepted second code is the last step.
	step := int64(now.Unix() / 30)
	for login := range confirmed {
		u, err := st.UserByLoginID(ctx, login)
		if err != nil {
			t.Fatalf("confirmed user %s: %v", login, err)
		}
		if !u.Active || !u.HasActiveSeed || u.HasPendingSeed {
			t.Errorf("confirmed user %s after the restart: %+v", login, u)
		}
		if secondStep[login] && u.LastStep != step+1 {
			t.Errorf("user %s: last step %d, want %d", login, u.LastStep, step+1)
		}
	}
	if len(confirmed) != users {
		t.Errorf("%d of %d enrolments confirmed", len(confirmed), users)
	}
	// And the service is whole again: a replayed code is refused, a fresh sign-up works.
	if r, err := api.verify(ctx, "user001@example.com", "000000"); err != nil || r.status != http.StatusUnauthorized {
		t.Errorf("sign-in after the restart = %d %v, %v; want 401", r.status, r.body, err)
	}
	if r, err := api.post(ctx, "/v1/auth/totp/signup", "", map[string]any{"loginId": "after@example.com"}); err != nil || r.status != http.StatusOK {
		t.Errorf("sign-up after the restart = %d %v, %v", r.status, r.body, err)
	}
}
