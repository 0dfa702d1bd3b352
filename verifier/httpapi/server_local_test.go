package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/sqlite"
)

// localServer is the real stack: Local over a SQLite file, served on loopback.
type localServer struct {
	url     string
	local   *verifier.Local
	db      string
	seedKey []byte
	logs    *syncBuffer
	clock   *testclock.Clock
}

func newLocalServer(t testing.TB, opts verifier.LocalOptions) *localServer {
	t.Helper()
	return newLocalServerWith(t, opts, ServerOptions{})
}

// newLocalServerWith is newLocalServer with server options (the management key, clock
// and logger are set here).
func newLocalServerWith(t testing.TB, opts verifier.LocalOptions, sopts ServerOptions) *localServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "verifier.db")
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := testclock.New(testNow)
	opts.Clock = clock.Now
	opts.SeedKey = verifier.NewSeedKey()
	opts.ProjectID = testPID
	l, err := verifier.NewLocal(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	sopts.ManagementKey, sopts.Clock = testMgmtKey, clock.Now
	sopts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := NewServer(l, sopts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &localServer{url: ts.URL, local: l, db: db, seedKey: opts.SeedKey, logs: logs, clock: clock}
}

func (s *localServer) remote(t testing.TB) *Remote {
	t.Helper()
	r, err := NewRemote(s.url, testPID, testMgmtKey, WithRemoteClock(s.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// enrolCode is the code of an enrolment's key at step offset from now, computed
// independently of the verifier from the provisioning URL.
func enrolCode(t testing.TB, e verifier.Enrollment, now time.Time, steps int) string {
	t.Helper()
	k, err := provisioning.ParseURI(e.ProvisioningURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Code(now.Add(time.Duration(steps) * 30 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// users is what the store holds about every user, to show that bad requests change
// nothing.
func (s *localServer) users(t testing.TB) []verifier.User {
	t.Helper()
	us, err := s.local.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return us
}

// TestServerLifecycleOverHTTP drives the whole lifecycle through Remote, Server and
// Local on a SQLite file, then checks that no code, secret, token or the management
// key reached the log or the database file in plain text.
func TestServerLifecycleOverHTTP(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{SigningAlg: verifier.ES256})
	r := s.remote(t)
	ctx := context.Background()
	var secrets []string // everything that must never be logged

	e, err := r.SignUp(ctx, "alice@example.com", verifier.UserInfo{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(e.Image), "\x89PNG") || e.Key == "" {
		t.Fatalf("enrolment %v has no PNG or key", e)
	}
	secrets = append(secrets, e.Key, e.ProvisioningURL)
	if _, err := r.SignUp(ctx, "alice@example.com", verifier.UserInfo{}); err != nil {
		t.Fatalf("a pending sign-up may start again: %v", err)
	}
	// That replaced the seed: enrol again and use the latest one.
	e, err = r.SignUp(ctx, "alice@example.com", verifier.UserInfo{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, e.Key)
	code := enrolCode(t, e, s.clock.Now(), -1)
	secrets = append(secrets, code)
	sess, err := r.SignIn(ctx, "alice@example.com", code)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.FirstSeen || sess.User.LoginID != "alice@example.com" || !sess.User.TOTP || sess.SessionClaims.Subject != sess.User.ID {
		t.Errorf("first session %+v user %+v", sess, sess.User)
	}
	secrets = append(secrets, sess.SessionJWT, sess.RefreshJWT)
	if _, err := r.SignUp(ctx, "alice@example.com", verifier.UserInfo{}); !errors.Is(err, verifier.ErrUserExists) {
		t.Errorf("sign-up of a user: %v, want ErrUserExists", err)
	}
	// A reused code names the rule that refused it and what the charged attempt left,
	// through HTTP as in process.
	_, err = r.SignIn(ctx, "alice@example.com", code)
	var rce *verifier.ReusedCodeError
	if !errors.As(err, &rce) || !errors.Is(err, verifier.ErrCodeReused) || rce.Rule != verifier.ReuseSameStep ||
		rce.Left != verifier.DefaultMaxAttempts-1 || !strings.Contains(err.Error(), verifier.ReuseSameStep.String()) {
		t.Errorf("reused code: %v (%+v), want a *ReusedCodeError of the same-step rule with %d attempts left", err, rce, verifier.DefaultMaxAttempts-1)
	}
	wrong := "000000"
	if wrong == enrolCode(t, e, s.clock.Now(), 0) || wrong == enrolCode(t, e, s.clock.Now(), 1) {
		wrong = "999999"
	}
	_, err = r.SignIn(ctx, "alice@example.com", wrong)
	var wce *verifier.WrongCodeError
	// The attempts left come through HTTP (the reused code may have counted too).
	if !errors.As(err, &wce) || !errors.Is(err, verifier.ErrWrongCode) || wce.Left <= 0 || wce.Left >= verifier.DefaultMaxAttempts || !wce.LockedUntil.IsZero() {
		t.Errorf("wrong code: %v (%+v), want a *WrongCodeError with 1-%d attempts left", err, wce, verifier.DefaultMaxAttempts-1)
	}
	if _, err := r.SignIn(ctx, "nobody", wrong); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Errorf("unknown user: %v, want ErrUnknownUser", err)
	}

	// Update: the old seed works until the new one verifies.
	e2, err := r.Update(ctx, "alice@example.com", sess.RefreshJWT)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, e2.Key)
	code2 := enrolCode(t, e2, s.clock.Now(), 0)
	secrets = append(secrets, code2)
	sess2, err := r.SignIn(ctx, "alice@example.com", code2)
	if err != nil {
		t.Fatalf("sign-in with the new seed: %v", err)
	}
	secrets = append(secrets, sess2.SessionJWT, sess2.RefreshJWT)
	old := enrolCode(t, e, s.clock.Now(), 1)
	if old != enrolCode(t, e2, s.clock.Now(), 1) {
		if _, err := r.SignIn(ctx, "alice@example.com", old); !errors.Is(err, verifier.ErrWrongCode) {
			t.Errorf("old seed after the new one verified: %v, want ErrWrongCode", err)
		}
	}

	refreshed, err := r.Refresh(ctx, sess2.RefreshJWT)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, refreshed.SessionJWT)
	if refreshed.SessionClaims.Subject != sess.User.ID || refreshed.RefreshJWT == "" {
		t.Errorf("refreshed %+v", refreshed)
	}
	me, err := r.Me(ctx, sess2.RefreshJWT)
	if err != nil || me.LoginID != "alice@example.com" || me.Name != "Alice" || !me.TOTP {
		t.Errorf("me: %+v %v", me, err)
	}
	if err := r.Logout(ctx, sess2.RefreshJWT); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Refresh(ctx, sess2.RefreshJWT); !errors.Is(err, verifier.ErrBadToken) {
		t.Errorf("refresh after logout: %v, want ErrBadToken", err)
	}
	if _, err := r.Me(ctx, sess2.RefreshJWT); !errors.Is(err, verifier.ErrBadToken) {
		t.Errorf("me after logout: %v, want ErrBadToken", err)
	}

	u, err := r.LoadUser(ctx, "alice@example.com")
	if err != nil || u.ID != sess.User.ID {
		t.Errorf("load user: %+v %v", u, err)
	}
	if err := r.DeleteSeed(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(30 * time.Second) // a fresh step: the code would be good but for the deletion
	code3 := enrolCode(t, e2, s.clock.Now(), 1)
	secrets = append(secrets, code3)
	if _, err := r.SignIn(ctx, "alice@example.com", code3); !errors.Is(err, verifier.ErrNoSeed) {
		t.Errorf("sign-in after seed deletion: %v, want ErrNoSeed", err)
	}
	if err := r.DeleteSeed(ctx, "nobody"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Errorf("delete seed of nobody: %v, want ErrUnknownUser", err)
	}
	created, err := r.CreateUser(ctx, "bob", verifier.UserInfo{Name: "Bob", Email: "bob@example.com"})
	if err != nil || created.LoginID != "bob" || created.Email != "bob@example.com" {
		t.Errorf("create user: %+v %v", created, err)
	}
	if err := r.DeleteUser(ctx, "bob"); err != nil {
		t.Errorf("delete user: %v", err)
	}
	if _, err := r.LoadUser(ctx, "bob"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Errorf("load deleted user: %v", err)
	}

	secrets = append(secrets, testMgmtKey)
	logs := s.logs.String()
	if strings.Count(logs, "\n") < 20 {
		t.Fatalf("expected a log line per request, got:\n%s", logs)
	}
	db := readAll(t, s.db)
	for _, sec := range secrets {
		if strings.Contains(logs, sec) {
			t.Errorf("the log contains a secret (%d chars)", len(sec))
		}
		if bytes.Contains(db, []byte(sec)) {
			t.Errorf("the database files contain a secret (%d chars)", len(sec))
		}
	}
}

// readAll is the database file and its WAL, where fresh writes live.
func readAll(t testing.TB, db string) []byte {
	var out []byte
	for _, p := range []string{db, db + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func TestServerLockoutOverHTTP(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{MaxAttempts: 3, LockDuration: 2 * time.Minute})
	r := s.remote(t)
	ctx := context.Background()
	e, err := r.SignUp(ctx, "carol", verifier.UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SignIn(ctx, "carol", enrolCode(t, e, s.clock.Now(), 0)); err != nil {
		t.Fatal(err)
	}
	var locked *verifier.LockedError
	var lastWrong *verifier.WrongCodeError
	for i := 0; i < 10 && locked == nil; i++ {
		_, err = r.SignIn(ctx, "carol", "000000")
		if !errors.As(err, &locked) && !errors.As(err, &lastWrong) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// The attempt that used up the limit says so, with the lock it started.
	if lastWrong == nil || lastWrong.Left != 0 || !lastWrong.LockedUntil.Equal(s.clock.Now().Add(2*time.Minute)) {
		t.Errorf("last wrong code before the lock: %+v", lastWrong)
	}
	if locked == nil {
		t.Fatal("never locked")
	}
	if want := s.clock.Now().Add(2 * time.Minute); !locked.Until.Equal(want) {
		t.Errorf("locked until %v, want %v", locked.Until, want)
	}
	// The right code is refused too while the lock lasts, and accepted after it.
	s.clock.Add(time.Minute)
	if _, err := r.SignIn(ctx, "carol", enrolCode(t, e, s.clock.Now(), 0)); !errors.Is(err, verifier.ErrLocked) {
		t.Errorf("during the lock: %v, want ErrLocked", err)
	}
	s.clock.Add(61 * time.Second)
	if _, err := r.SignIn(ctx, "carol", enrolCode(t, e, s.clock.Now(), 0)); err != nil {
		t.Errorf("after the lock: %v", err)
	}
}

// TestServerHostileInput sends what an attacker would: every answer is a JSON error,
// the server stays up, and nothing stored changes.
func TestServerHostileInput(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{})
	r := s.remote(t)
	ctx := context.Background()
	e, err := r.SignUp(ctx, "dave", verifier.UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := r.SignIn(ctx, "dave", enrolCode(t, e, s.clock.Now(), 0))
	if err != nil {
		t.Fatal(err)
	}
	before := s.users(t)
	if len(before) != 1 {
		t.Fatalf("users %+v", before)
	}
	sub := sess.User.ID
	foreign := newRSASigner(t, "k-foreign")
	keys, err := s.local.Keys(ctx)
	if err != nil || len(keys.Keys) != 1 {
		t.Fatalf("keys %+v, %v; want the one signing key", keys, err)
	}
	sameKid := rsaSignerFor(keys.Keys[0].Kid, foreignKey(t))
	claims := `{"iss":"` + testPID + `","sub":"` + sub + `","drn":"DSR","iat":` + itoa(testNow.Unix()) + `,"exp":` + itoa(testNow.Add(time.Hour).Unix()) + `}`
	badTokens := map[string]string{
		"foreign key":          foreign.token(t, testPID, sub, "DSR", testNow, time.Hour),
		"foreign key same kid": sameKid.token(t, testPID, sub, "DSR", testNow, time.Hour),
		"alg none":             noneToken(claims),
		"session as refresh":   sess.SessionJWT,
		"garbage":              "a.b.c",
		"truncated":            sess.RefreshJWT[:len(sess.RefreshJWT)-10],
		"tampered":             tamper(sess.RefreshJWT),
	}
	pid := "Bearer " + testPID
	for name, tok := range badTokens {
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/v1/auth/me", ""},
				{"POST", "/v1/auth/refresh", ""},
				{"POST", "/v1/auth/logout", "{}"},
				{"POST", "/v1/auth/totp/update", `{"loginId":"dave"}`},
				{"POST", "/v1/auth/totp/verify", `{"loginId":"dave","code":"000000","loginOptions":{"mfa":true}}`},
			} {
				send(t, c.method, s.url+c.path, pid+":"+tok, jsonCT, c.body).wantError(t, 401, CodeBadToken)
			}
		})
	}
	// An expired refresh token (the real one, 31 days later).
	s.clock.Add(31 * 24 * time.Hour)
	send(t, "GET", s.url+"/v1/auth/me", pid+":"+sess.RefreshJWT, "", "").wantError(t, 401, CodeBadToken)
	s.clock.Add(-31 * 24 * time.Hour)

	verify := s.url + "/v1/auth/totp/verify"
	send(t, "POST", verify, pid, jsonCT, `{"loginId":"dave","code":"`+strings.Repeat("1", 2*DefaultMaxBody)+`"}`).wantError(t, 413, CodeBadRequest)
	send(t, "POST", verify, pid, "text/plain", `{"loginId":"dave","code":"000000"}`).wantError(t, 415, CodeBadRequest)
	send(t, "POST", verify, pid, jsonCT, `{"loginId":"dave","code":"000000"`).wantError(t, 400, CodeBadRequest)
	send(t, "POST", verify, "Bearer P2other", jsonCT, `{"loginId":"dave","code":"000000"}`).wantError(t, 401, CodeBadToken)
	send(t, "POST", verify, "Bearer", jsonCT, `{"loginId":"dave","code":"000000"}`).wantError(t, 401, CodeBadToken)
	send(t, "POST", s.url+"/v1/mgmt/user/totp/delete", pid+":wrong-key", jsonCT, `{"loginId":"dave"}`).wantError(t, 401, CodeBadToken)
	send(t, "POST", s.url+"/v1/mgmt/user/delete", pid+":"+sess.RefreshJWT, jsonCT, `{"loginId":"dave"}`).wantError(t, 401, CodeBadToken)
	// A size limit is E011001 (issue 11, item 6), a refused character E011003.
	send(t, "POST", s.url+"/v1/auth/totp/signup", pid, jsonCT, `{"loginId":"`+strings.Repeat("x", 5000)+`"}`).wantError(t, 400, CodeBadRequest)
	send(t, "POST", s.url+"/v1/auth/totp/signup", pid, jsonCT, `{"loginId":"adm\u202enimda"}`).wantError(t, 400, CodeInvalidRequest)

	if after := s.users(t); !reflect.DeepEqual(before, after) {
		t.Errorf("stored users changed:\nbefore %+v\nafter  %+v", before, after)
	}
	// Still up, and the real token still works.
	if _, err := r.Me(ctx, sess.RefreshJWT); err != nil {
		t.Errorf("after the hostile requests: %v", err)
	}
}

// foreignKey is an RSA key the server has never seen.
func foreignKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// tamper changes one character of a token's payload.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	if p[5] == 'A' {
		p[5] = 'B'
	} else {
		p[5] = 'A'
	}
	return parts[0] + "." + string(p) + "." + parts[2]
}

// TestServerConcurrentSignIns: 50 sign-ins with the same valid code at once give
// exactly one session; 200 wrong guesses at once get no more than the attempt limit
// past the check.
func TestServerConcurrentSignIns(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{})
	r := s.remote(t)
	ctx := context.Background()
	e, err := r.SignUp(ctx, "erin", verifier.UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SignIn(ctx, "erin", enrolCode(t, e, s.clock.Now(), -1)); err != nil {
		t.Fatal(err)
	}
	statuses := hammer(t, s.url, "erin", enrolCode(t, e, s.clock.Now(), 0), 50)
	// Every attempt is charged before its check, so the losers may also run into the
	// lock: exactly one 200, the rest refused (401 or 429).
	if statuses[200] != 1 || statuses[401]+statuses[429] != 49 {
		t.Errorf("50 sign-ins with one code: %v, want exactly one 200 and 49 refusals", statuses)
	}

	e2, err := r.SignUp(ctx, "frank", verifier.UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SignIn(ctx, "frank", enrolCode(t, e2, s.clock.Now(), 0)); err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	for _, k := range []int{-1, 0, 1} {
		if enrolCode(t, e2, s.clock.Now(), k) == wrong {
			wrong = "999999"
		}
	}
	statuses = hammer(t, s.url, "frank", wrong, 200)
	if statuses[401] > verifier.DefaultMaxAttempts || statuses[401]+statuses[429] != 200 || statuses[429] == 0 {
		t.Errorf("200 wrong guesses: %v, want at most %d checked (401), the rest 429", statuses, verifier.DefaultMaxAttempts)
	}
}

// hammer sends n sign-ins at once and counts the statuses.
func hammer(t *testing.T, url, loginID, code string, n int) map[int]int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	body := `{"loginId":"` + loginID + `","code":"` + code + `"}`
	var mu sync.Mutex
	statuses := map[int]int{}
	var start, done sync.WaitGroup
	start.Add(1)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			req, _ := http.NewRequest("POST", url+"/v1/auth/totp/verify", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testPID)
			req.Header.Set("Content-Type", jsonCT)
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	start.Done()
	done.Wait()
	return statuses
}
