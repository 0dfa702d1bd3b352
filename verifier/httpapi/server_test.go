package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
)

const (
	testPID     = "P2otpairTestProject"
	testMgmtKey = "K2mgmt-key-for-tests-0123456789"
)

var testNow = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

// syncBuffer is a log sink several handler goroutines can write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newFakeServer serves f on loopback and returns its URL and the log it writes.
func newFakeServer(t *testing.T, f *fakeBackend) (string, *syncBuffer) {
	t.Helper()
	f.t, f.pid = t, testPID
	logs := &syncBuffer{}
	srv := NewServer(f, ServerOptions{
		ManagementKey: testMgmtKey, Clock: func() time.Time { return testNow },
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL, logs
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// send makes one request; auth is the whole Authorization value ("" for none).
func send(t *testing.T, method, url, auth, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, url, ct)
	}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %v: %q", method, url, err, raw)
	}
	return a
}

// wantError checks an error answer's status and code and that it has all three members.
func (a answer) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if a.status != status || a.body["errorCode"] != code {
		t.Errorf("got %d %v, want %d %s (%s)", a.status, a.body["errorCode"], status, code, a.raw)
	}
	for _, k := range []string{"errorCode", "errorDescription", "errorMessage"} {
		if s, _ := a.body[k].(string); s == "" {
			t.Errorf("error answer lacks %s: %s", k, a.raw)
		}
	}
}

const jsonCT = "application/json"

func TestServerAuthorizationHeader(t *testing.T) {
	signer := newRSASigner(t, "k1")
	refresh := signer.token(t, testPID, "U1", "DSR", testNow, time.Hour)
	f := &fakeBackend{
		MeFn: func(_ context.Context, r string) (verifier.User, error) {
			if r != refresh {
				t.Errorf("Me got another token than the header's")
			}
			return verifier.User{ID: "U1", LoginID: "alice"}, nil
		},
		DeleteFn: func(context.Context, string) error { return nil },
	}
	url, _ := newFakeServer(t, f)
	me := url + "/v1/auth/me"
	del := url + "/v1/mgmt/user/totp/delete"
	for _, tc := range []struct {
		name, target, auth string
		status             int
		code               string
	}{
		{"me ok", me, "Bearer " + testPID + ":" + refresh, 200, ""},
		{"me with trailing auth management key", me, "Bearer " + testPID + ":" + refresh + ":authkey", 200, ""},
		{"lower-case scheme", me, "bearer " + testPID + ":" + refresh, 200, ""},
		{"no header", me, "", 401, CodeBadToken},
		{"basic scheme", me, "Basic " + testPID, 401, CodeBadToken},
		{"no token", me, "Bearer " + testPID, 401, CodeBadToken},
		{"other project", me, "Bearer P2other:" + refresh, 401, CodeBadToken},
		{"empty part", me, "Bearer " + testPID + "::" + refresh, 401, CodeBadToken},
		{"two tokens", me, "Bearer " + testPID + ":" + refresh + ":" + refresh, 401, CodeBadToken},
		{"four parts", me, "Bearer " + testPID + ":a:b:c", 401, CodeBadToken},
		{"only bearer", me, "Bearer", 401, CodeBadToken},
		{"mgmt ok", del, "Bearer " + testPID + ":" + testMgmtKey, 200, ""},
		{"mgmt wrong key", del, "Bearer " + testPID + ":" + testMgmtKey + "x", 401, CodeBadToken},
		{"mgmt key prefix", del, "Bearer " + testPID + ":" + testMgmtKey[:10], 401, CodeBadToken},
		{"mgmt no key", del, "Bearer " + testPID, 401, CodeBadToken},
		{"mgmt with a jwt instead", del, "Bearer " + testPID + ":" + refresh, 401, CodeBadToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method, body := "GET", ""
			if tc.target == del {
				method, body = "POST", `{"loginId":"alice"}`
			}
			a := send(t, method, tc.target, tc.auth, jsonCT, body)
			if tc.status == 200 {
				if a.status != 200 {
					t.Fatalf("got %d, want 200: %s", a.status, a.raw)
				}
				return
			}
			a.wantError(t, tc.status, tc.code)
		})
	}
	// Calls that failed authorisation never reached the backend.
	for _, c := range f.Calls() {
		if c != "Me" && c != "DeleteSeed" {
			t.Errorf("unexpected call %s", c)
		}
	}
	if n := len(f.Calls()); n != 4 {
		t.Errorf("backend called %d times, want 4 (the accepted requests): %v", n, f.Calls())
	}
}

func TestServerManagementDisabledWithoutKey(t *testing.T) {
	f := &fakeBackend{t: t, pid: testPID}
	ts := httptest.NewServer(NewServer(f, ServerOptions{}))
	defer ts.Close()
	for _, key := range []string{"", "anything"} {
		send(t, "POST", ts.URL+"/v1/mgmt/user/totp/delete", "Bearer "+testPID+":"+key, jsonCT, `{"loginId":"a"}`).
			wantError(t, 401, CodeBadToken)
	}
}

func TestServerBodies(t *testing.T) {
	var got []string
	var mu sync.Mutex
	f := &fakeBackend{SignInFn: func(_ context.Context, l, c string) (verifier.Session, error) {
		mu.Lock()
		got = append(got, l+"/"+c)
		mu.Unlock()
		return verifier.Session{}, verifier.ErrWrongCode
	}}
	url, _ := newFakeServer(t, f)
	verify := url + "/v1/auth/totp/verify"
	auth := "Bearer " + testPID
	ok := []struct{ name, ct, body string }{
		{"plain", jsonCT, `{"loginId":"a","code":"123456"}`},
		{"charset", "application/json; charset=utf-8", `{"loginId":"a","code":"123456"}`},
		{"python nulls", jsonCT, `{"loginId":"a","code":"123456","loginOptions":{"stepup":null,"mfa":null,"customClaims":null,"revokeOtherSessions":null,"templateOptions":null,"templateId":null,"locale":null}}`},
		{"empty loginOptions", jsonCT, `{"loginId":"a","code":"123456","loginOptions":{}}`},
		{"null loginOptions", jsonCT, `{"loginId":"a","code":"123456","loginOptions":null}`},
		{"node customClaims", jsonCT, `{"loginId":"a","code":"123456","loginOptions":{"customClaims":{"a":1}}}`},
		{"whitespace", jsonCT, "\n {\"loginId\":\"a\",\"code\":\"123456\"} \n"},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			send(t, "POST", verify, auth, tc.ct, tc.body).wantError(t, 401, CodeWrongCode)
		})
	}
	bad := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"empty body", jsonCT, "", 400, CodeMissingArgument},
		{"empty object", jsonCT, "{}", 400, CodeMissingArgument},
		{"null", jsonCT, "null", 400, CodeMissingArgument},
		{"no code", jsonCT, `{"loginId":"a"}`, 400, CodeMissingArgument},
		{"null code", jsonCT, `{"loginId":"a","code":null}`, 400, CodeMissingArgument},
		{"number code", jsonCT, `{"loginId":"a","code":123456}`, 400, CodeBadRequest},
		{"unknown member", jsonCT, `{"loginId":"a","code":"1","extra":1}`, 400, CodeBadRequest},
		{"two objects", jsonCT, `{"loginId":"a","code":"1"}{}`, 400, CodeBadRequest},
		{"trailing garbage", jsonCT, `{"loginId":"a","code":"1"} x`, 400, CodeBadRequest},
		{"array", jsonCT, `[{"loginId":"a","code":"1"}]`, 400, CodeBadRequest},
		{"string", jsonCT, `"a"`, 400, CodeBadRequest},
		{"truncated", jsonCT, `{"loginId":"a","code":`, 400, CodeBadRequest},
		{"not json", jsonCT, `loginId=a&code=1`, 400, CodeBadRequest},
		{"form content type", "application/x-www-form-urlencoded", `loginId=a&code=1`, 415, CodeBadRequest},
		{"text content type", "text/plain", `{"loginId":"a","code":"1"}`, 415, CodeBadRequest},
		{"no content type", "", `{"loginId":"a","code":"1"}`, 415, CodeBadRequest},
		{"bad content type", "application/json; ===", `{"loginId":"a","code":"1"}`, 415, CodeBadRequest},
		{"too large", jsonCT, `{"loginId":"` + strings.Repeat("a", DefaultMaxBody) + `","code":"1"}`, 413, CodeBadRequest},
		{"loginOptions wrong type", jsonCT, `{"loginId":"a","code":"1","loginOptions":[]}`, 400, CodeBadRequest},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			send(t, "POST", verify, auth, tc.ct, tc.body).wantError(t, tc.status, tc.code)
		})
	}
	if len(got) != len(ok) {
		t.Errorf("backend saw %d sign-ins, want %d (only the good bodies): %v", len(got), len(ok), got)
	}
	for _, g := range got {
		if g != "a/123456" {
			t.Errorf("backend got %q, want a/123456", g)
		}
	}
}

func TestServerErrorMapping(t *testing.T) {
	var next error
	f := &fakeBackend{
		SignInFn:  func(context.Context, string, string) (verifier.Session, error) { return verifier.Session{}, next },
		DeleteFn:  func(context.Context, string) error { return next },
		DelUserFn: func(context.Context, string) error { return next },
	}
	url, _ := newFakeServer(t, f)
	for _, tc := range []struct {
		err    error
		mgmt   bool
		status int
		code   string
		desc   string
	}{
		{fmt.Errorf("sign in alice: %w", verifier.ErrWrongCode), false, 401, CodeWrongCode, "wrong code"},
		{fmt.Errorf("sign in alice: %w", verifier.ErrCodeReused), false, 401, CodeWrongCode, "code already used"},
		{verifier.ErrNoSeed, false, 401, CodeWrongCode, "user has no TOTP seed"},
		{verifier.ErrUnknownUser, false, 400, CodeUnknownUser, "unknown user"},
		{verifier.ErrUnknownUser, true, 400, CodeMgmtUnknownUser, "unknown user"},
		{verifier.ErrUserExists, false, 400, CodeUserExists, "user already exists"},
		{verifier.ErrBadToken, false, 401, CodeBadToken, verifier.ErrBadToken.Error()},
		{fmt.Errorf("login id: %w", verifier.ErrInvalidArgument), false, 400, CodeInvalidRequest, "bad request"},
		{errors.New("disk on fire"), false, 500, CodeInternal, "internal error"},
		{context.Canceled, true, 500, CodeInternal, "internal error"},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			next = tc.err
			var a answer
			if tc.mgmt {
				a = send(t, "POST", url+"/v1/mgmt/user/delete", "Bearer "+testPID+":"+testMgmtKey, jsonCT, `{"loginId":"a","userId":""}`)
			} else {
				a = send(t, "POST", url+"/v1/auth/totp/verify", "Bearer "+testPID, jsonCT, `{"loginId":"a","code":"1"}`)
			}
			a.wantError(t, tc.status, tc.code)
			if a.body["errorDescription"] != tc.desc {
				t.Errorf("description %q, want %q", a.body["errorDescription"], tc.desc)
			}
			if tc.status == 500 && strings.Contains(a.raw, "disk") {
				t.Errorf("a 500 answer leaks the internal error: %s", a.raw)
			}
		})
	}
}

func TestServerLockedAnswersRetryAfter(t *testing.T) {
	until := testNow.Add(4*time.Minute + 500*time.Millisecond)
	f := &fakeBackend{SignInFn: func(context.Context, string, string) (verifier.Session, error) {
		return verifier.Session{}, fmt.Errorf("sign in: %w", &verifier.LockedError{Until: until})
	}}
	url, _ := newFakeServer(t, f)
	a := send(t, "POST", url+"/v1/auth/totp/verify", "Bearer "+testPID, jsonCT, `{"loginId":"a","code":"1"}`)
	a.wantError(t, 429, CodeTooManyAttempts)
	if got := a.header.Get("Retry-After"); got != "241" {
		t.Errorf("Retry-After %q, want 241 (4 min 0.5 s rounded up)", got)
	}
	if a.body["retryAfter"] != float64(241) {
		t.Errorf("retryAfter %v, want 241", a.body["retryAfter"])
	}
}

func TestServerShapes(t *testing.T) {
	signer := newRSASigner(t, "k1")
	u := verifier.User{ID: "U1", LoginID: "alice@example.com", Name: "Alice", Email: "alice@example.com", Created: testNow.Add(-time.Hour), TOTP: true, LastStep: 59, StepDrift: -1}
	sess := signer.session(t, testPID, u, testNow)
	sess.RefreshExpires = testNow.Add(100 * 365 * 24 * time.Hour) // past 2038: must clamp
	png := []byte("\x89PNG\r\n\x1a\nfake")
	f := &fakeBackend{
		SignUpFn: func(_ context.Context, l string, i verifier.UserInfo) (verifier.Enrollment, error) {
			if l != "alice@example.com" || i != (verifier.UserInfo{Name: "Alice Liddell", Email: "alice@example.com", Phone: "+1555"}) {
				t.Errorf("SignUp got %q %+v", l, i)
			}
			return verifier.Enrollment{ProvisioningURL: "otpauth://totp/x?secret=AAAA", Key: "AAAA", Image: png}, nil
		},
		SignInFn: func(context.Context, string, string) (verifier.Session, error) { return sess, nil },
		MeFn:     func(context.Context, string) (verifier.User, error) { return u, nil },
		LoadFn:   func(context.Context, string) (verifier.User, error) { return u, nil },
		KeysFn: func(context.Context) (verifier.JWKS, error) {
			return verifier.JWKS{Keys: []verifier.JWK{signer.jwk}}, nil
		},
		LogoutFn: func(context.Context, string) error { return nil },
	}
	url, _ := newFakeServer(t, f)
	a := send(t, "POST", url+"/v1/auth/totp/signup", "Bearer "+testPID, jsonCT,
		`{"loginId":"alice@example.com","user":{"givenName":"Alice","familyName":"Liddell","email":"alice@example.com","phone":"+1555"}}`)
	if a.status != 200 || a.body["provisioningURL"] != "otpauth://totp/x?secret=AAAA" || a.body["key"] != "AAAA" ||
		a.body["image"] != "iVBORw0KGgpmYWtl" {
		t.Errorf("sign-up answer %d %s", a.status, a.raw)
	}
	a = send(t, "POST", url+"/v1/auth/totp/verify", "Bearer "+testPID, jsonCT, `{"loginId":"alice@example.com","code":"123456"}`)
	if a.status != 200 || a.body["sessionJwt"] != sess.SessionJWT || a.body["refreshJwt"] != sess.RefreshJWT || a.body["firstSeen"] != true {
		t.Fatalf("verify answer %d %s", a.status, a.raw)
	}
	for _, k := range []string{"cookieMaxAge", "cookieExpiration", "sessionExpiration"} {
		n, ok := a.body[k].(float64)
		if !ok || n <= 0 || n > math.MaxInt32 || n != math.Trunc(n) {
			t.Errorf("%s = %v, want an integer in (0, 2^31)", k, a.body[k])
		}
	}
	user, _ := a.body["user"].(map[string]any)
	if user["TOTP"] != true || user["userId"] != "U1" || user["createdTime"] != float64(testNow.Add(-time.Hour).Unix()) {
		t.Errorf("user %v", user)
	}
	if ids, _ := user["loginIds"].([]any); len(ids) != 1 || ids[0] != "alice@example.com" {
		t.Errorf("loginIds %v", user["loginIds"])
	}
	a = send(t, "GET", url+"/v1/auth/me", "Bearer "+testPID+":"+sess.RefreshJWT, "", "")
	if a.status != 200 || a.body["userId"] != "U1" || a.body["user"] != nil {
		t.Errorf("me must answer the bare user: %s", a.raw)
	}
	a = send(t, "GET", url+"/v1/mgmt/user?loginId=alice%40example.com&userId=", "Bearer "+testPID+":"+testMgmtKey, "", "")
	if w, _ := a.body["user"].(map[string]any); a.status != 200 || w["userId"] != "U1" {
		t.Errorf("load user must wrap the user: %s", a.raw)
	}
	a = send(t, "GET", url+"/v2/keys/"+testPID, "", "", "")
	if keys, _ := a.body["keys"].([]any); a.status != 200 || len(keys) != 1 {
		t.Errorf("keys: %s", a.raw)
	}
	send(t, "GET", url+"/v2/keys/P2other", "", "", "").wantError(t, 400, CodeInvalidRequest)
	a = send(t, "POST", url+"/v1/auth/logout", "Bearer "+testPID+":"+sess.RefreshJWT, jsonCT, "")
	if a.status != 200 || a.raw != "{}\n" {
		t.Errorf("logout must answer {}: %d %q", a.status, a.raw)
	}
	a = send(t, "GET", url+"/v1/mgmt/license", "Bearer "+testPID+":"+testMgmtKey, "", "")
	if a.status != 200 || a.body["rateLimitTier"] == nil {
		t.Errorf("license: %s", a.raw)
	}
}

func TestServerUnknownRoutesAndMethods(t *testing.T) {
	url, _ := newFakeServer(t, &fakeBackend{})
	send(t, "GET", url+"/nope", "", "", "").wantError(t, 404, CodeBadRequest)
	send(t, "GET", url+"/v1/auth/totp/verify", "Bearer "+testPID, "", "").wantError(t, 405, CodeBadRequest)
	a := send(t, "DELETE", url+"/v2/keys/"+testPID, "", "", "")
	a.wantError(t, 405, CodeBadRequest)
	if a.header.Get("Allow") != "GET" {
		t.Errorf("Allow %q", a.header.Get("Allow"))
	}
}

func TestServerSurvivesPanic(t *testing.T) {
	calls := 0
	f := &fakeBackend{SignInFn: func(context.Context, string, string) (verifier.Session, error) {
		calls++
		if calls == 1 {
			panic("secret-in-panic 123456")
		}
		return verifier.Session{}, verifier.ErrWrongCode
	}}
	url, logs := newFakeServer(t, f)
	a := send(t, "POST", url+"/v1/auth/totp/verify", "Bearer "+testPID, jsonCT, `{"loginId":"a","code":"123456"}`)
	a.wantError(t, 500, CodeInternal)
	send(t, "POST", url+"/v1/auth/totp/verify", "Bearer "+testPID, jsonCT, `{"loginId":"a","code":"123456"}`).wantError(t, 401, CodeWrongCode)
	if strings.Contains(logs.String(), "secret-in-panic") || strings.Contains(a.raw, "secret-in-panic") {
		t.Errorf("the panic value leaked: %s", logs.String())
	}
}

func TestServerLogLines(t *testing.T) {
	f := &fakeBackend{SignInFn: func(context.Context, string, string) (verifier.Session, error) {
		return verifier.Session{}, verifier.ErrWrongCode
	}}
	url, logs := newFakeServer(t, f)
	send(t, "POST", url+"/v1/auth/totp/verify", "Bearer "+testPID+":"+testMgmtKey, jsonCT, `{"loginId":"bob","code":"987654"}`)
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line); err != nil {
		t.Fatalf("one JSON log line expected: %v: %s", err, logs.String())
	}
	if line["method"] != "POST" || line["path"] != "/v1/auth/totp/verify" || line["status"] != float64(401) ||
		line["error_code"] != CodeWrongCode || line["route"] != "POST /v1/auth/totp/verify" || line["duration"] == nil {
		t.Errorf("log line %v", line)
	}
	for _, secret := range []string{"987654", testMgmtKey} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q", secret)
		}
	}
}

// TestServerCreateUserBodies: the bodies Descope's SDKs send to create a user are
// accepted (Go sends nulls for unset lists, node an invitation's options), and a
// credential otpair cannot import is refused rather than dropped.
func TestServerCreateUserBodies(t *testing.T) {
	var got []verifier.UserInfo
	f := &fakeBackend{CreateFn: func(_ context.Context, l string, i verifier.UserInfo) (verifier.User, error) {
		got = append(got, i)
		return verifier.User{ID: "U1", LoginID: l, Name: i.Name, Email: i.Email}, nil
	}}
	url, _ := newFakeServer(t, f)
	auth := "Bearer " + testPID + ":" + testMgmtKey
	create := url + "/v1/mgmt/user/create"
	for _, body := range []string{
		`{"loginId":"a","email":"a@x","phone":"","displayName":"A","givenName":"","middleName":"","familyName":"","roleNames":null,"userTenants":null,"customAttributes":null,"picture":"","verifiedEmail":null,"verifiedPhone":null,"additionalLoginIds":null,"ssoAppIDs":null,"invite":false}`,
		`{"loginId":"a","email":"a@x","displayName":"A","invite":true,"inviteUrl":"https://x","sendMail":false,"sendSMS":false,"templateId":"t","locale":"en","templateOptions":{"k":"v"}}`,
		`{"loginId":"a","email":"a@x","name":"A","ssoAppIds":["x"],"status":"enabled","scim":false,"additionalIdentifiers":[]}`,
	} {
		a := send(t, "POST", create, auth, jsonCT, body)
		if u, _ := a.body["user"].(map[string]any); a.status != 200 || u["name"] != "A" {
			t.Errorf("create %s: %d %s", body, a.status, a.raw)
		}
	}
	if len(got) != 3 || got[0] != (verifier.UserInfo{Name: "A", Email: "a@x"}) {
		t.Errorf("backend got %+v", got)
	}
	for _, field := range []string{`"seed":"JBSWY3DPEHPK3PXP"`, `"password":"hunter2"`, `"hashedPassword":{"bcrypt":{"hash":"x"}}`} {
		a := send(t, "POST", create, auth, jsonCT, `{"loginId":"b",`+field+`}`)
		a.wantError(t, 400, CodeInvalidRequest)
		if strings.Contains(a.raw, "JBSWY3DP") || strings.Contains(a.raw, "hunter2") {
			t.Errorf("the refusal echoes the credential: %s", a.raw)
		}
	}
	if len(got) != 3 {
		t.Errorf("a refused creation reached the backend: %+v", got)
	}
}
