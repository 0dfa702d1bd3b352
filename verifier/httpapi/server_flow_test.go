package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/sqlite"
)

// flowServer is otpair serve's stack with flows: Local and the executions on one
// SQLite file, served on loopback.
func flowServer(t *testing.T) (url string, clock *testclock.Clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock = testclock.New(testNow)
	l, err := verifier.NewLocal(context.Background(), st, verifier.LocalOptions{Clock: clock.Now, SeedKey: verifier.NewSeedKey(), ProjectID: testPID, SigningAlg: verifier.ES256})
	if err != nil {
		t.Fatal(err)
	}
	e, err := flow.New(flow.Options{Backend: l, Store: st, StateKey: verifier.NewSeedKey(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(NewServer(l, ServerOptions{ManagementKey: testMgmtKey, Clock: clock.Now, Flows: e}))
	t.Cleanup(ts.Close)
	return ts.URL, clock
}

func post(t *testing.T, url, auth string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s: not JSON: %v", url, err)
	}
	return resp.StatusCode, m
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func TestFlowAPIOverHTTP(t *testing.T) {
	url, clock := flowServer(t)
	pid := "Bearer " + testPID
	// Exactly what core-js-sdk's flow.start sends.
	st, start := post(t, url+"/v1/flow/start", pid, map[string]any{"flowId": "sign-up-or-in-totp", "input": map[string]any{"loginId": "h@example.com"}, "isCustomScreen": false})
	if st != 200 || start["status"] != "waiting" || start["action"] != "screen" || dig(start, "screen", "id") != "enroll" || start["stepName"] != "Verify TOTP" {
		t.Fatalf("start: %d %v", st, start)
	}
	if dig(start, "screen", "componentsConfig") == nil {
		t.Fatal("screen.componentsConfig missing")
	}
	uri, _ := dig(start, "screen", "state", "totp", "provisionUrl").(string)
	k, err := provisioning.ParseURI(uri)
	if err != nil || dig(start, "screen", "state", "totp", "key") != k.SecretBase32() || dig(start, "screen", "state", "totp", "image") == "" {
		t.Fatalf("screen.state.totp: %v %v", dig(start, "screen", "state"), err)
	}
	next := func(resp map[string]any, code string) (int, map[string]any) {
		return post(t, url+"/v1/flow/next", pid, map[string]any{"executionId": resp["executionId"], "stepId": resp["stepId"], "interactionId": "oneTimeCodeId", "input": map[string]any{"code": code}})
	}
	st, bad := next(start, "000000")
	if good, _ := k.Code(clock.Now()); good == "000000" {
		t.Skip("the wrong code is right by chance")
	}
	if st != 200 || bad["status"] != "waiting" || dig(bad, "screen", "state", "errorType") != "TOTPVerifyFailed" || dig(bad, "screen", "state", "errorText") == "" || dig(bad, "error", "code") != "E061102" {
		t.Fatalf("wrong code: %d %v", st, bad)
	}
	c, _ := k.Code(clock.Now())
	st, done := next(bad, c)
	if st != 200 || done["status"] != "completed" || done["action"] != "none" || dig(done, "authInfo", "sessionJwt") == "" ||
		dig(done, "authInfo", "refreshJwt") == "" || dig(done, "authInfo", "firstSeen") != true || dig(done, "lastAuth", "authMethod") != "totp" {
		t.Fatalf("right code: %d %v", st, done)
	}
	// The step again (a replay), and an execution that does not exist.
	if st, e := next(bad, c); st != 400 || e["errorCode"] != CodeFlowStale {
		t.Fatalf("replayed step: %d %v", st, e)
	}
	if st, e := next(map[string]any{"executionId": "EXnope", "stepId": "1"}, c); st != 400 || e["errorCode"] != CodeFlowTimedOut {
		t.Fatalf("unknown execution: %d %v", st, e)
	}
	// Update with the refresh token in the header.
	refresh := dig(done, "authInfo", "refreshJwt").(string)
	st, up := post(t, url+"/v1/flow/start", pid+":"+refresh, map[string]any{"flowId": "update-user-totp"})
	if st != 200 || dig(up, "screen", "id") != "enroll" {
		t.Fatalf("update: %d %v", st, up)
	}
	st, anon := post(t, url+"/v1/flow/start", pid, map[string]any{"flowId": "update-user-totp"})
	if st != 200 || anon["status"] != "failed" || dig(anon, "error", "code") != "E011004" {
		t.Fatalf("update without a token: %d %v", st, anon)
	}
	k2, _ := provisioning.ParseURI(dig(up, "screen", "state", "totp", "provisionUrl").(string))
	clock.Add(30 * time.Second)
	c2, _ := k2.Code(clock.Now())
	if st, fin := next(up, c2); st != 200 || fin["status"] != "completed" {
		t.Fatalf("update verify: %d %v", st, fin)
	}
	// Management: list and export.
	mg := pid + ":" + testMgmtKey
	st, list := post(t, url+"/v1/mgmt/flow/list", mg, map[string]any{})
	if st != 200 || list["total"] != float64(len(flow.BuiltinIDs)) {
		t.Fatalf("list: %d %v", st, list)
	}
	st, exp := post(t, url+"/v1/mgmt/flow/export", mg, map[string]any{"flowId": "sign-in-totp"})
	if st != 200 || dig(exp, "flow", "id") != "sign-in-totp" || dig(exp, "flow", "dsl", "steps", "code") == nil {
		t.Fatalf("export: %d %v", st, exp)
	}
	if st, e := post(t, url+"/v1/mgmt/flow/list", pid, map[string]any{}); st != 401 || e["errorCode"] != CodeBadToken {
		t.Fatalf("list without the management key: %d %v", st, e)
	}
	if st, e := post(t, url+"/v1/flow/start", pid, map[string]any{"flowId": "nope"}); st != 400 || !strings.Contains(e["errorMessage"].(string), "unknown flow") {
		t.Fatalf("unknown flow: %d %v", st, e)
	}
}

// FuzzFlowBodies sends arbitrary bodies to /v1/flow/start and /v1/flow/next: the
// server answers JSON, 200 or 4xx, never 5xx or a panic.
func FuzzFlowBodies(f *testing.F) {
	for _, s := range []string{
		`{"flowId":"sign-in-totp","isCustomScreen":false}`, `{"flowId":"sign-up-or-in-totp","input":{"loginId":"a@b.c"}}`,
		`{"flowId":"sign-in-totp","input":{"loginId":{"x":1}}}`, `{"flowId":"x","options":{"tenant":"t"},"flowVersions":{"a":1}}`,
		`{"executionId":"EX1","stepId":"1","interactionId":"continue","input":{"loginId":"a"}}`, `{"executionId":"EX1","stepId":"-1","interactionId":"x"}`,
		`{"executionId":"","stepId":"","interactionId":""}`, `{}`, ``, `null`, `{"flowId":1}`,
	} {
		f.Add(false, s)
		f.Add(true, s)
	}
	st, err := sqlite.Open(context.Background(), sqlite.MemoryDB)
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	l, err := verifier.NewLocal(context.Background(), st, verifier.LocalOptions{Clock: func() time.Time { return testNow }, SeedKey: verifier.NewSeedKey(), ProjectID: testPID, SigningAlg: verifier.ES256})
	if err != nil {
		f.Fatal(err)
	}
	e, err := flow.New(flow.Options{Backend: l, Store: st, StateKey: verifier.NewSeedKey(), Clock: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	srv := NewServer(l, ServerOptions{ManagementKey: testMgmtKey, Clock: func() time.Time { return testNow }, Flows: e})
	f.Fuzz(func(t *testing.T, next bool, body string) {
		path := "/v1/flow/start"
		if next {
			path = "/v1/flow/next"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testPID)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code >= 500 || w.Code != 200 && w.Code < 400 {
			t.Fatalf("%s %q: status %d: %s", path, body, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %q: answer is not JSON: %s", path, body, w.Body)
		}
	})
}
