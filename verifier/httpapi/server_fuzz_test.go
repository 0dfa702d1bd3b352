package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
)

// fuzzRoutes are the calls that read a JSON body, with the Authorization each needs.
var fuzzRoutes = []struct{ path, auth string }{
	{"/v1/auth/totp/signup", "Bearer " + testPID},
	{"/v1/auth/totp/verify", "Bearer " + testPID},
	{"/v1/auth/totp/update", "Bearer " + testPID + ":h.p.s"},
	{"/v1/mgmt/user/totp/delete", "Bearer " + testPID + ":" + testMgmtKey},
	{"/v1/auth/refresh", "Bearer " + testPID + ":h.p.s"},
	{"/v1/auth/logout", "Bearer " + testPID + ":h.p.s"},
	{"/v1/mgmt/user/create", "Bearer " + testPID + ":" + testMgmtKey},
	{"/v1/mgmt/user/delete", "Bearer " + testPID + ":" + testMgmtKey},
}

// permissiveBackend answers every call with a wrong-code error, so fuzzed requests that
// decode go through the whole handler.
func permissiveBackend() *fakeBackend {
	errFn := func(context.Context, string) error { return verifier.ErrUnknownUser }
	return &fakeBackend{pid: testPID,
		SignUpFn: func(context.Context, string, verifier.UserInfo) (verifier.Enrollment, error) {
			return verifier.Enrollment{}, verifier.ErrUserExists
		},
		SignInFn: func(context.Context, string, string) (verifier.Session, error) {
			return verifier.Session{}, verifier.ErrWrongCode
		},
		UpdateFn: func(context.Context, string, string) (verifier.Enrollment, error) {
			return verifier.Enrollment{}, verifier.ErrBadToken
		},
		DeleteFn: errFn,
		RefreshFn: func(context.Context, string) (verifier.Session, error) {
			return verifier.Session{}, verifier.ErrBadToken
		},
		LogoutFn: func(context.Context, string) error { return verifier.ErrBadToken },
		CreateFn: func(context.Context, string, verifier.UserInfo) (verifier.User, error) {
			return verifier.User{}, verifier.ErrUserExists
		},
		DelUserFn: errFn,
	}
}

// FuzzServerJSON sends arbitrary bodies to every call that reads one: the server must
// answer JSON with a 4xx status (never 5xx, never a panic), and only bodies that
// decode strictly may reach the backend.
func FuzzServerJSON(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"loginId":"a"}`, `{"loginId":"a","code":"123456"}`,
		`{"loginId":"a","code":"123456","loginOptions":{"stepup":null,"customClaims":{"a":[1,{}]}}}`,
		`{"loginId":"a","user":{"name":"A","email":null}}`, `{"loginId":"a","userId":""}`,
		`{"loginId":"a","roleNames":null,"userTenants":[{"tenantId":"t"}],"customAttributes":{},"invite":false,"ssoAppIDs":null}`,
		`{"externalToken":"x"}`, `{"loginId":"a"}{}`, `{"loginId":1}`, `{"loginId":"\ud800"}`, "{\"loginId\":\"a\x00\"}",
		`{"a":1}`, `{"loginId":"a",}`, `{`, `{"loginId":"a","loginId":"b"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	b := permissiveBackend()
	srv := NewServer(b, ServerOptions{ManagementKey: testMgmtKey, Clock: func() time.Time { return testNow }})
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		b.t = t
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(http.MethodPost, r.path, bytes.NewBufferString(body))
		req.Header.Set("Authorization", r.auth)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		before := b.count()
		srv.ServeHTTP(w, req)
		if b.count() > before && strings.TrimSpace(body) != "" && !json.Valid([]byte(body)) {
			t.Fatalf("%s: invalid JSON %q reached the backend", r.path, body)
		}
		if w.Code < 400 || w.Code >= 500 {
			t.Fatalf("%s %q: status %d, want 4xx: %s", r.path, body, w.Code, w.Body)
		}
		var e errorResponse
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.ErrorCode == "" || e.ErrorDescription == "" {
			t.Fatalf("%s %q: answer is not a JSON error: %v %s", r.path, body, err, w.Body)
		}
		if w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("content type %q", w.Header().Get("Content-Type"))
		}
	})
}
