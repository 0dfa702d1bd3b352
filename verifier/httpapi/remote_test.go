package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
)

// remoteOver returns a Remote talking to a Server over f, with the test clock.
func remoteOver(t *testing.T, f *fakeBackend, mgmtKey string) *Remote {
	t.Helper()
	url, _ := newFakeServer(t, f)
	r, err := NewRemote(url+"/", testPID, mgmtKey, WithRemoteClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRemoteMapsErrorsToSentinels(t *testing.T) {
	var next error
	f := &fakeBackend{
		SignInFn: func(context.Context, string, string) (verifier.Session, error) { return verifier.Session{}, next },
		SignUpFn: func(context.Context, string, verifier.UserInfo) (verifier.Enrollment, error) {
			return verifier.Enrollment{}, next
		},
		LoadFn: func(context.Context, string) (verifier.User, error) { return verifier.User{}, next },
	}
	r := remoteOver(t, f, testMgmtKey)
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		call func() error
		want error
		not  error
	}{
		{verifier.ErrWrongCode, func() error { _, err := r.SignIn(ctx, "a", "1"); return err }, verifier.ErrWrongCode, verifier.ErrCodeReused},
		{verifier.ErrCodeReused, func() error { _, err := r.SignIn(ctx, "a", "1"); return err }, verifier.ErrCodeReused, verifier.ErrWrongCode},
		{verifier.ErrNoSeed, func() error { _, err := r.SignIn(ctx, "a", "1"); return err }, verifier.ErrNoSeed, verifier.ErrWrongCode},
		{verifier.ErrUnknownUser, func() error { _, err := r.SignIn(ctx, "a", "1"); return err }, verifier.ErrUnknownUser, nil},
		{verifier.ErrUnknownUser, func() error { _, err := r.LoadUser(ctx, "a"); return err }, verifier.ErrUnknownUser, nil},
		{verifier.ErrUserExists, func() error { _, err := r.SignUp(ctx, "a", verifier.UserInfo{}); return err }, verifier.ErrUserExists, nil},
		{verifier.ErrBadToken, func() error { _, err := r.SignIn(ctx, "a", "1"); return err }, verifier.ErrBadToken, nil},
		{fmt.Errorf("x: %w", verifier.ErrInvalidArgument), func() error { _, err := r.SignUp(ctx, "a", verifier.UserInfo{}); return err }, verifier.ErrInvalidArgument, verifier.ErrMissingArgument},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			next = tc.err
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want errors.Is %v", err, tc.want)
			}
			if tc.not != nil && errors.Is(err, tc.not) {
				t.Errorf("%v is also %v", err, tc.not)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code == "" || ae.Status < 400 {
				t.Errorf("no APIError with code and status in %v", err)
			}
		})
	}
	// A missing argument is caught by the server before the backend is called.
	if _, err := r.SignIn(ctx, "a", ""); !errors.Is(err, verifier.ErrMissingArgument) {
		t.Errorf("empty code: %v, want ErrMissingArgument", err)
	}
}

func TestRemoteLockedUntilFromRetryAfter(t *testing.T) {
	f := &fakeBackend{SignInFn: func(context.Context, string, string) (verifier.Session, error) {
		return verifier.Session{}, &verifier.LockedError{Until: testNow.Add(90 * time.Second)}
	}}
	r := remoteOver(t, f, "")
	// Remote's clock runs 10 s behind the server's: Until is its own now + Retry-After.
	r.now = func() time.Time { return testNow.Add(-10 * time.Second) }
	_, err := r.SignIn(context.Background(), "a", "1")
	var le *verifier.LockedError
	if !errors.As(err, &le) || !errors.Is(err, verifier.ErrLocked) {
		t.Fatalf("got %v, want a *LockedError", err)
	}
	if want := testNow.Add(80 * time.Second); !le.Until.Equal(want) {
		t.Errorf("Until %v, want %v", le.Until, want)
	}
}

func TestRemoteManagementWithoutKeyDoesNotCall(t *testing.T) {
	f := &fakeBackend{}
	r := remoteOver(t, f, "")
	if err := r.DeleteSeed(context.Background(), "a"); !errors.Is(err, verifier.ErrBadToken) {
		t.Errorf("got %v, want ErrBadToken", err)
	}
	if len(f.Calls()) != 0 {
		t.Errorf("backend called: %v", f.Calls())
	}
}

func TestNewRemoteRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct{ url, pid, key string }{
		{"ftp://x", "P", ""}, {"http://", "P", ""}, {"127.0.0.1:8090", "P", ""}, {"http://x", "", ""},
		{"http://x", "P:1", ""}, {"http://x", "P", "a:b"}, {"http://x\x7f", "P", ""},
	} {
		if _, err := NewRemote(tc.url, tc.pid, tc.key); err == nil {
			t.Errorf("NewRemote(%q, %q, %q) accepted", tc.url, tc.pid, tc.key)
		}
	}
}

// noneToken is an unsigned token (alg none) with the given claims.
func noneToken(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","kid":"k1","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "."
}

func TestRemoteVerifiesTokens(t *testing.T) {
	good := newRSASigner(t, "k1")
	ec := newECSigner(t, "e1")
	other := newECSigner(t, "k1") // same kid, another key
	u := verifier.User{ID: "U1", LoginID: "alice"}
	var sess verifier.Session
	var keys atomic.Int32
	f := &fakeBackend{
		SignInFn: func(context.Context, string, string) (verifier.Session, error) { return sess, nil },
		KeysFn: func(context.Context) (verifier.JWKS, error) {
			keys.Add(1)
			return verifier.JWKS{Keys: []verifier.JWK{good.jwk, ec.jwk}}, nil
		},
	}
	r := remoteOver(t, f, "")
	ctx := context.Background()
	claims := fmt.Sprintf(`{"iss":%q,"sub":"U1","drn":"DS","iat":%d,"exp":%d}`, testPID, testNow.Unix(), testNow.Add(time.Hour).Unix())
	for _, tc := range []struct {
		name    string
		session verifier.Session
		ok      bool
	}{
		{"RS256", good.session(t, testPID, u, testNow), true},
		{"ES256", ec.session(t, testPID, u, testNow), true},
		{"issuer URL", verifier.Session{SessionJWT: good.token(t, "https://api.example.com/"+testPID, "U1", "DS", testNow, time.Hour),
			RefreshJWT: good.token(t, testPID, "U1", "DSR", testNow, time.Hour)}, true},
		{"another key", other.session(t, testPID, u, testNow), false},
		{"alg none", verifier.Session{SessionJWT: noneToken(claims), RefreshJWT: good.token(t, testPID, "U1", "DSR", testNow, time.Hour)}, false},
		{"expired", good.session(t, testPID, u, testNow.Add(-time.Hour)), false},
		{"from the future", good.session(t, testPID, u, testNow.Add(time.Minute)), false},
		{"other project", good.session(t, "P2other", u, testNow), false},
		{"refresh as session", verifier.Session{SessionJWT: good.token(t, testPID, "U1", "DSR", testNow, time.Hour),
			RefreshJWT: good.token(t, testPID, "U1", "DSR", testNow, time.Hour)}, false},
		{"no session token", verifier.Session{RefreshJWT: good.token(t, testPID, "U1", "DSR", testNow, time.Hour)}, false},
		{"garbage", verifier.Session{SessionJWT: "a.b.c"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess = tc.session
			got, err := r.SignIn(ctx, "alice", "123456")
			if !tc.ok {
				if !errors.Is(err, verifier.ErrBadToken) {
					t.Fatalf("got %v, want ErrBadToken", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.SessionClaims.Subject != "U1" || !got.SessionClaims.Expires.After(testNow) || got.RefreshExpires.IsZero() {
				t.Errorf("session %+v", got)
			}
		})
	}
	if n := keys.Load(); n < 1 || n > 6 {
		t.Errorf("JWKS fetched %d times; want it cached by kid", n)
	}
}

func TestRemoteRefetchesKeysForNewKid(t *testing.T) {
	k1, k2 := newRSASigner(t, "k1"), newECSigner(t, "k2")
	current := k1
	u := verifier.User{ID: "U1", LoginID: "alice"}
	f := &fakeBackend{
		SignInFn: func(context.Context, string, string) (verifier.Session, error) {
			return current.session(t, testPID, u, testNow), nil
		},
		KeysFn: func(context.Context) (verifier.JWKS, error) {
			return verifier.JWKS{Keys: []verifier.JWK{current.jwk}}, nil
		},
	}
	r := remoteOver(t, f, "")
	for _, s := range []*testSigner{k1, k2} {
		current = s
		if _, err := r.SignIn(context.Background(), "alice", "1"); err != nil {
			t.Fatalf("after rotation to %s: %v", s.kid, err)
		}
	}
}

func TestRemoteSendsWhatTheSDKsSend(t *testing.T) {
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(req.Body)
		got = append(got, req.Method+" "+req.URL.RequestURI()+" "+req.Header.Get("Authorization")+" "+b.String())
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer ts.Close()
	r, err := NewRemote(ts.URL, "P1", "MK")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r.SignUp(ctx, "a@x", verifier.UserInfo{Name: "A"})
	r.Logout(ctx, "h.p.s")
	r.DeleteSeed(ctx, "a@x")
	r.LoadUser(ctx, "a@x")
	want := []string{
		`POST /v1/auth/totp/signup Bearer P1 {"loginId":"a@x","user":{"name":"A"}}`,
		`POST /v1/auth/logout Bearer P1:h.p.s {}`,
		`POST /v1/mgmt/user/totp/delete Bearer P1:MK {"loginId":"a@x"}`,
		`GET /v1/mgmt/user?loginId=a%40x Bearer P1:MK `,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A token that could break the header is refused before sending.
	if _, err := r.Me(ctx, "a:b.c.d"); !errors.Is(err, verifier.ErrBadToken) {
		t.Errorf("Me with a colon token: %v", err)
	}
}
