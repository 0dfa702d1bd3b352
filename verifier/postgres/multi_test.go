package postgres_test

import (
	"bufio"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/postgres/pgtest"
)

// TestPostgresTwoInstances runs two real `otpair serve` processes on different
// loopback ports sharing one PostgreSQL database (the same seed key, project id and
// management key, as a deployment behind a load balancer would): an enrolment begun on
// one finishes on the other, a code used on one is refused on the other, failed
// attempts on both count toward one lockout, a session token from one verifies with
// the other's JWKS, and 50 concurrent sign-ins with one valid code spread over both
// give exactly one success.
func TestPostgresTwoInstances(t *testing.T) {
	dsn := pgtest.DSN(t)
	bin := buildOtpair(t)
	frozen := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	shared := []string{
		verifier.SeedKeyEnv + "=" + base64.StdEncoding.EncodeToString(verifier.NewSeedKey()),
		"OTPAIR_MANAGEMENT_KEY=mgmt-" + strings.Repeat("k", 32),
	}
	const pid = "Pmultiinstance"
	// Both start at once on an empty database: the migrations and the first signing key
	// are decided between them.
	var a, b *apiClient
	var wg sync.WaitGroup
	wg.Go(func() { a = startServe(t, bin, dsn, pid, frozen, shared) })
	wg.Go(func() { b = startServe(t, bin, dsn, pid, frozen, shared) })
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	ctx := t.Context()

	// One signing key: both publish the same JWKS.
	keysA, keysB := mustOK(t)(a.get(ctx, "/v2/keys/"+pid, "")), mustOK(t)(b.get(ctx, "/v2/keys/"+pid, ""))
	if fmt.Sprint(keysA.body) != fmt.Sprint(keysB.body) {
		t.Fatalf("the instances publish different keys:\nA %v\nB %v", keysA.body, keysB.body)
	}

	// Enrol on A, confirm on B.
	key := enrol(t, a, b, "alice@example.com", frozen)

	// A code used on A is refused on B, and the other way round.
	code := stepCode(t, key, frozen, 1)
	signed := mustOK(t)(a.verify(ctx, "alice@example.com", code))
	if r, err := b.verify(ctx, "alice@example.com", code); err != nil || r.status != http.StatusUnauthorized || r.str("errorCode") != "E061102" {
		t.Fatalf("the code used on A, on B = %d %v, %v; want 401 E061102", r.status, r.body, err)
	}
	code = stepCode(t, key, frozen, -1) // older than the last used step: refused too
	if r, err := a.verify(ctx, "alice@example.com", code); err != nil || r.status != http.StatusUnauthorized {
		t.Fatalf("an older step on A = %d %v, %v; want 401", r.status, r.body, err)
	}

	// A's session token verifies with B's JWKS, and B accepts A's refresh token.
	verifyWithJWKS(t, signed.str("sessionJwt"), keysB, pid, frozen)
	me := mustOK(t)(b.get(ctx, "/v1/auth/me", signed.str("refreshJwt")))
	if user, _ := signed.body["user"].(map[string]any); me.str("userId") == "" || me.str("userId") != user["userId"] {
		t.Fatalf("B's /me with A's refresh token = %v; A signed in %v", me.body, signed.body["user"])
	}

	// Failed attempts on both instances count toward one lockout (default: 5).
	key = enrol(t, b, a, "bob@example.com", frozen)
	wrong := wrongCode(stepCode(t, key, frozen, 0))
	for i := range verifier.DefaultMaxAttempts {
		api := []*apiClient{a, b}[i%2]
		if r, err := api.verify(ctx, "bob@example.com", wrong); err != nil || r.status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d = %d %v, %v; want 401", i+1, r.status, r.body, err)
		}
	}
	for _, api := range []*apiClient{a, b} {
		r, err := api.verify(ctx, "bob@example.com", stepCode(t, key, frozen, 1)) // right, but locked
		if err != nil || r.status != http.StatusTooManyRequests || r.str("errorCode") != "E061103" {
			t.Fatalf("sign-in after %d failures spread over both = %d %v, %v; want 429 E061103", verifier.DefaultMaxAttempts, r.status, r.body, err)
		}
	}

	// 50 concurrent sign-ins with one valid code, half on each: exactly one succeeds.
	key = enrol(t, a, b, "carol@example.com", frozen)
	code = stepCode(t, key, frozen, 1)
	var wins, reused, locked atomic.Int32
	var race sync.WaitGroup
	start := make(chan struct{})
	for i := range 50 {
		race.Go(func() {
			<-start
			r, err := []*apiClient{a, b}[i%2].verify(ctx, "carol@example.com", code)
			switch {
			case err != nil:
				t.Error(err)
			case r.status == http.StatusOK:
				wins.Add(1)
			default:
				// The rest are refused as reused codes, or locked once five attempts have
				// been charged since the success reset the counter.
				switch r.str("errorCode") {
				case "E061102":
					reused.Add(1)
				case "E061103":
					locked.Add(1)
				default:
					t.Errorf("concurrent sign-in: %d %v", r.status, r.body)
				}
			}
		})
	}
	close(start)
	race.Wait()
	t.Logf("50 concurrent sign-ins with one code: %d accepted, %d refused as reused, %d refused as locked", wins.Load(), reused.Load(), locked.Load())
	if wins.Load() != 1 {
		t.Fatalf("%d of 50 concurrent sign-ins with one code succeeded, want exactly 1", wins.Load())
	}
}

// buildOtpair builds the otpair command into a temporary folder.
func buildOtpair(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "otpair")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/otpair/otpair/cmd/otpair").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/otpair: %v\n%s", err, out)
	}
	return bin
}

// startServe starts `otpair serve` on a free loopback port with its own otpair home,
// stopped when the test ends, and returns a client for it once it listens.
func startServe(t *testing.T, bin, dsn, pid string, frozen time.Time, env []string) *apiClient {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dsn, "--project-id", pid,
		"--frozen-clock", frozen.Format(time.RFC3339), "--log-format", "json")
	cmd.Env = append(os.Environ(), append([]string{"OTPAIR_HOME=" + home}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Error(err)
		return nil
	}
	var stderr strings.Builder
	cmd.Stderr = &syncWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Error(err)
		return nil
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("otpair serve log:\n%s", stderr.String())
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "otpair verifier listening on "); ok {
				urls <- u
			}
		}
		close(urls)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			cmd.Wait()
			t.Errorf("otpair serve exited before listening:\n%s", stderr.String())
			return nil
		}
		return &apiClient{base: u, pid: pid}
	case <-time.After(60 * time.Second):
		t.Errorf("otpair serve did not start listening:\n%s", stderr.String())
		return nil
	}
}

// syncWriter serialises writes from the process's stderr copier and reads in cleanup.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// mustOK(t)(reply, err) is the reply, or fails the test unless it is a 200.
func mustOK(t *testing.T) func(apiReply, error) apiReply {
	return func(r apiReply, err error) apiReply {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %v", r.status, r.body)
		}
		return r
	}
}

// enrol signs loginID up on one instance and confirms it with the first code on the
// other, returning the key.
func enrol(t *testing.T, on, confirm *apiClient, loginID string, now time.Time) provisioning.Key {
	t.Helper()
	r, key, err := on.signUp(t.Context(), loginID)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("sign-up %s = %d %v, %v", loginID, r.status, r.body, err)
	}
	done := mustOK(t)(confirm.verify(t.Context(), loginID, stepCode(t, key, now, 0)))
	if done.body["firstSeen"] != true {
		t.Fatalf("confirming %s on the other instance: firstSeen = %v", loginID, done.body["firstSeen"])
	}
	return key
}

// wrongCode is a six-digit code other than code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// verifyWithJWKS checks a session JWT's RS256 signature, issuer and expiry against the
// keys of a JWKS reply, as an SDK validating tokens would.
func verifyWithJWKS(t *testing.T, token string, jwks apiReply, pid string, now time.Time) {
	t.Helper()
	keys, _ := jwks.body["keys"].([]any)
	pubs := map[string]*rsa.PublicKey{}
	for _, k := range keys {
		m, _ := k.(map[string]any)
		n, err1 := base64.RawURLEncoding.DecodeString(fmt.Sprint(m["n"]))
		e, err2 := base64.RawURLEncoding.DecodeString(fmt.Sprint(m["e"]))
		if m["kty"] != "RSA" || err1 != nil || err2 != nil {
			t.Fatalf("JWKS key %v is not a usable RSA key", m)
		}
		pubs[fmt.Sprint(m["kid"])] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	_, err := jwt.Parse(token, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if pub, ok := pubs[kid]; ok {
			return pub, nil
		}
		return nil, fmt.Errorf("no key %q in the JWKS", kid)
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(pid), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatalf("the session token does not verify with the other instance's JWKS: %v", err)
	}
}
