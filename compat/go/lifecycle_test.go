// Package compat drives a running otpair serve with Descope's own Go SDK
// (github.com/descope/go-sdk v1.28.0) through the whole TOTP lifecycle. It is a module of
// its own so the SDK's dependencies never enter otpair's. scripts/ci.d/60-compat.sh
// starts the server with a frozen clock and sets:
//
//	OTPAIR_COMPAT_URL          base URL of otpair serve
//	OTPAIR_COMPAT_PROJECT_ID   its project id
//	OTPAIR_COMPAT_MGMT_KEY     its management key
//	OTPAIR_COMPAT_TIME         the server's frozen clock, unix seconds
//
// Codes are computed here with pquerna/otp from the key the server returns, at steps
// -1, 0 and +1 of the frozen clock: three distinct codes the server's window accepts,
// so nothing waits for the next 30-second step.
package compat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope/go-sdk/descope"
	"github.com/descope/go-sdk/descope/client"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

type config struct {
	url, pid, mgmtKey string
	now               time.Time
}

func loadConfig(t *testing.T) config {
	t.Helper()
	c := config{url: os.Getenv("OTPAIR_COMPAT_URL"), pid: os.Getenv("OTPAIR_COMPAT_PROJECT_ID"), mgmtKey: os.Getenv("OTPAIR_COMPAT_MGMT_KEY")}
	ts := os.Getenv("OTPAIR_COMPAT_TIME")
	if c.url == "" || c.pid == "" || c.mgmtKey == "" || ts == "" {
		if os.Getenv("OTPAIR_REQUIRE_EXTERNAL") == "1" {
			t.Fatal("OTPAIR_COMPAT_* unset: run through scripts/ci.d/60-compat.sh")
		}
		t.Skip("skipping: OTPAIR_COMPAT_* unset; scripts/ci.d/60-compat.sh starts otpair serve and sets them")
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Fatalf("OTPAIR_COMPAT_TIME: %v", err)
	}
	c.now = time.Unix(n, 0)
	return c
}

// recorder keeps the answers the SDK received, so the test can read headers the SDK
// does not expose (Retry-After on a TOTP lockout).
type recorder struct {
	mu   sync.Mutex
	last map[string]*http.Response
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		r.mu.Lock()
		r.last[req.URL.Path] = resp
		r.mu.Unlock()
	}
	return resp, err
}

func (r *recorder) lastFor(path string) *http.Response {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[path]
}

func newClient(t *testing.T, c config) (*client.DescopeClient, *recorder) {
	t.Helper()
	rec := &recorder{last: map[string]*http.Response{}}
	dc, err := client.NewWithConfig(&client.Config{ProjectID: c.pid, ManagementKey: c.mgmtKey, DescopeBaseURL: c.url, DefaultClient: rec})
	if err != nil {
		t.Fatal(err)
	}
	return dc, rec
}

// code is the TOTP code of key at the frozen time plus steps, computed independently.
func code(t *testing.T, c config, key string, steps int) string {
	t.Helper()
	s, err := totp.GenerateCodeCustom(key, c.now.Add(time.Duration(steps)*30*time.Second),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wrong is a code that matches no step of the window.
func wrong(t *testing.T, c config, key string) string {
	for _, w := range []string{"000000", "111111", "222222"} {
		if w != code(t, c, key, -1) && w != code(t, c, key, 0) && w != code(t, c, key, 1) {
			return w
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func unique(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:8]) + "@example.com"
}

// withRefresh is a request carrying the refresh token as the DSR cookie, as a browser
// would send it to an app using the SDK.
func withRefresh(refresh string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: descope.RefreshCookieName, Value: refresh})
	return r
}

func wantCode(t *testing.T, what string, err error, code string) *descope.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	de := descope.AsError(err, code)
	if de == nil {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
	return de
}

func TestGoSDKLifecycle(t *testing.T) {
	c := loadConfig(t)
	dc, _ := newClient(t, c)
	ctx := context.Background()
	login := unique("go-alice")

	// Sign-up returns the provisioning URL, the key and a PNG of the QR code.
	su, err := dc.Auth.TOTP().SignUp(ctx, login, &descope.User{Name: "Alice", Email: login})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(su.ProvisioningURL, "otpauth://totp/") || !strings.Contains(su.ProvisioningURL, "secret="+su.Key) {
		t.Errorf("provisioning URL %q does not carry the key", su.ProvisioningURL)
	}
	if png, err := base64.StdEncoding.DecodeString(su.Image); err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("image is not a base64 PNG: %v", err)
	}

	// Sign-in with a code computed here. The SDK validates both tokens against the
	// server's JWKS before it returns.
	first := code(t, c, su.Key, -1)
	info, err := dc.Auth.TOTP().SignInCode(ctx, login, first, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !info.FirstSeen || info.SessionToken == nil || info.RefreshToken == nil || info.User == nil {
		t.Fatalf("sign-in: firstSeen %v, tokens %v %v, user %v", info.FirstSeen, info.SessionToken, info.RefreshToken, info.User)
	}
	if !info.User.TOTP || len(info.User.LoginIDs) != 1 || info.User.LoginIDs[0] != login || info.User.Name != "Alice" {
		t.Errorf("user %+v", info.User)
	}
	ok, tok, err := dc.Auth.ValidateSessionWithToken(ctx, info.SessionToken.JWT)
	if err != nil || !ok || tok.ID != info.User.UserID || tok.ProjectID != c.pid {
		t.Fatalf("validate session: %v %v %+v", ok, err, tok)
	}

	// The same code again, and a wrong code: both E061102.
	_, err = dc.Auth.TOTP().SignInCode(ctx, login, first, nil, nil, nil)
	if de := wantCode(t, "reused code", err, "E061102"); !strings.Contains(de.Description+de.Message, "already used") {
		t.Errorf("reused code: %v does not say it was already used", de)
	}
	_, err = dc.Auth.TOTP().SignInCode(ctx, login, wrong(t, c, su.Key), nil, nil, nil)
	if de := wantCode(t, "wrong code", err, "E061102"); de.Info["Status-Code"] != 401 {
		t.Errorf("wrong code: status %v, want 401", de.Info["Status-Code"])
	}

	// Update with the refresh token; the new seed verifies with the next step's code.
	refresh := info.RefreshToken.JWT
	up, err := dc.Auth.TOTP().UpdateUser(ctx, login, withRefresh(refresh))
	if err != nil {
		t.Fatal(err)
	}
	if up.Key == su.Key {
		t.Fatal("update returned the old key")
	}
	info2, err := dc.Auth.TOTP().SignInCode(ctx, login, code(t, c, up.Key, 0), nil, nil, nil)
	if err != nil {
		t.Fatalf("sign-in with the new seed: %v", err)
	}
	if info2.FirstSeen {
		t.Error("a sign-in after update is not the first")
	}

	// Refresh and me.
	ok, fresh, err := dc.Auth.RefreshSessionWithToken(ctx, refresh)
	if err != nil || !ok || fresh.ID != info.User.UserID {
		t.Fatalf("refresh: %v %v %+v", ok, err, fresh)
	}
	if ok, _, err := dc.Auth.ValidateSessionWithToken(ctx, fresh.JWT); err != nil || !ok {
		t.Errorf("validate refreshed session: %v %v", ok, err)
	}
	me, err := dc.Auth.Me(withRefresh(refresh))
	if err != nil || me.UserID != info.User.UserID || !me.TOTP {
		t.Fatalf("me: %v %+v", err, me)
	}

	// Logout revokes the refresh token.
	if err := dc.Auth.LogoutWithToken(refresh, nil); err != nil {
		t.Fatalf("logout: %v", err)
	}
	_, _, err = dc.Auth.RefreshSessionWithToken(ctx, refresh)
	wantCode(t, "refresh after logout", err, "E011004")

	// Logout everywhere revokes the user's other sessions too (here the one opened
	// with the new seed).
	if err := dc.Auth.LogoutAllWithToken(info2.RefreshToken.JWT, nil); err != nil {
		t.Fatalf("logout all: %v", err)
	}
	_, _, err = dc.Auth.RefreshSessionWithToken(ctx, info2.RefreshToken.JWT)
	wantCode(t, "refresh after logout all", err, "E011004")

	// Management: load the user, delete the seed, then a code that would have been
	// good is refused.
	u, err := dc.Management.User().Load(ctx, login)
	if err != nil || u.UserID != info.User.UserID {
		t.Fatalf("management load: %v %+v", err, u)
	}
	if err := dc.Management.User().RemoveTOTPSeed(ctx, login); err != nil {
		t.Fatalf("remove TOTP seed: %v", err)
	}
	_, err = dc.Auth.TOTP().SignInCode(ctx, login, code(t, c, up.Key, 1), nil, nil, nil)
	wantCode(t, "sign-in after seed deletion", err, "E061102")
	err = dc.Management.User().RemoveTOTPSeed(ctx, unique("nobody"))
	wantCode(t, "remove seed of an unknown user", err, "E112102")

	// Management create, load and delete of a user without TOTP.
	bob := unique("go-bob-mgmt")
	created, err := dc.Management.User().Create(ctx, bob, &descope.UserRequest{User: descope.User{Name: "Bob", Email: bob}})
	if err != nil || created.Name != "Bob" || created.Email != bob || created.TOTP {
		t.Fatalf("management create: %v %+v", err, created)
	}
	// The user search (POST /v2/mgmt/user/search) finds bob by his login id.
	found, total, err := dc.Management.User().SearchAll(ctx, &descope.UserSearchOptions{LoginIDs: []string{bob}, Limit: 10})
	if err != nil || total != 1 || len(found) != 1 || found[0].Name != "Bob" {
		t.Fatalf("management search: %v, %d users: %+v", err, total, found)
	}
	if err := dc.Management.User().Delete(ctx, bob); err != nil {
		t.Fatalf("management delete: %v", err)
	}
	_, err = dc.Management.User().Load(ctx, bob)
	wantCode(t, "load a deleted user", err, "E112102")

	// Sign-up of an existing user, and sign-in of an unknown one.
	_, err = dc.Auth.TOTP().SignUp(ctx, login, nil)
	wantCode(t, "sign-up of an existing user", err, "E062107")
	_, err = dc.Auth.TOTP().SignInCode(ctx, unique("nobody"), "123456", nil, nil, nil)
	wantCode(t, "sign-in of an unknown user", err, "E062108")
}

func TestGoSDKLockout(t *testing.T) {
	c := loadConfig(t)
	dc, rec := newClient(t, c)
	ctx := context.Background()
	login := unique("go-bob")
	su, err := dc.Auth.TOTP().SignUp(ctx, login, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.Auth.TOTP().SignInCode(ctx, login, code(t, c, su.Key, -1), nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	bad := wrong(t, c, su.Key)
	var locked *descope.Error
	wrongs := 0
	for i := 0; i < 20 && locked == nil; i++ {
		_, err := dc.Auth.TOTP().SignInCode(ctx, login, bad, nil, nil, nil)
		switch {
		case descope.IsError(err, "E061102"):
			wrongs++
		case descope.IsError(err, "E061103"):
			locked = descope.AsError(err)
		default:
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if locked == nil || wrongs == 0 {
		t.Fatalf("no lockout after %d wrong codes", wrongs)
	}
	if locked.Info["Status-Code"] != 429 {
		t.Errorf("lockout status %v, want 429", locked.Info["Status-Code"])
	}
	resp := rec.lastFor("/v1/auth/totp/verify")
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n <= 0 {
		t.Errorf("Retry-After %q, want positive seconds", resp.Header.Get("Retry-After"))
	}
	// While locked, even the right code is refused.
	_, err = dc.Auth.TOTP().SignInCode(ctx, login, code(t, c, su.Key, 0), nil, nil, nil)
	wantCode(t, "right code while locked", err, "E061103")
	t.Logf("locked after %d wrong codes", wrongs)
}
