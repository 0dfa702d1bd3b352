package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
)

// enrolOver signs login up through r and confirms it with the code of step offset
// from the server's clock, returning the enrolment and the session.
func enrolOver(t *testing.T, s *localServer, r *Remote, login string, step int) (verifier.Enrollment, verifier.Session) {
	t.Helper()
	e, err := r.SignUp(context.Background(), login, verifier.UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := r.SignIn(context.Background(), login, enrolCode(t, e, s.clock.Now(), step))
	if err != nil {
		t.Fatal(err)
	}
	return e, sess
}

// TestServerCodeVariants: twelve spellings of a code over HTTP. The separators people
// type (spaces, a tab, dashes) are dropped; anything else that is not the code itself
// (other digits that look the same, a digit more or less, invisible characters, a
// sign, a newline) is a wrong code, 401 E061102 and one attempt; an empty code is 400
// E011002 and no attempt.
func TestServerCodeVariants(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{MaxAttempts: 1 << 20})
	e, _ := enrolOver(t, s, s.remote(t), "vera", -1)
	code := enrolCode(t, e, s.clock.Now(), 0)
	fullwidth := strings.Map(func(r rune) rune { return r - '0' + '\uff10' }, code)
	arabic := strings.Map(func(r rune) rune { return r - '0' + '\u0660' }, code)
	wrong := []string{
		fullwidth,                      // full-width digits
		arabic,                         // Arabic-Indic digits
		code + "0",                     // one digit too many
		code[:5],                       // one too few
		"0" + code,                     // a leading zero
		"+" + code,                     // a sign
		code[:3] + "\u200b" + code[3:], // a zero-width space inside
		code + "\n",                    // a newline
		code[:3] + "\x00" + code[3:],   // a NUL
		strings.Repeat(code, 1000),     // 6 kB of it
	}
	verify := s.url + "/v1/auth/totp/verify"
	for _, c := range wrong {
		quoted, _ := json.Marshal(c)
		send(t, "POST", verify, "Bearer "+testPID, jsonCT, `{"loginId":"vera","code":`+string(quoted)+`}`).wantError(t, 401, CodeWrongCode)
	}
	send(t, "POST", verify, "Bearer "+testPID, jsonCT, `{"loginId":"vera","code":""}`).wantError(t, 400, CodeMissingArgument)
	u, err := s.local.LoadUser(context.Background(), "vera")
	if err != nil || u.LockedUntil != (time.Time{}) {
		t.Fatalf("vera after the variants: %+v, %v", u, err)
	}
	// The separators: accepted, once.
	a := send(t, "POST", verify, "Bearer "+testPID, jsonCT, fmt.Sprintf(`{"loginId":"vera","code":" %s-%s\t"}`, code[:3], code[3:]))
	if a.status != 200 {
		t.Fatalf("the code with separators: %d %s", a.status, a.raw)
	}
	send(t, "POST", verify, "Bearer "+testPID, jsonCT, fmt.Sprintf(`{"loginId":"vera","code":"%s %s"}`, code[:3], code[3:])).wantError(t, 401, CodeWrongCode)
}

// TestServerReplayAcrossSteps: the replay guard is per user and monotonic across
// steps: once a code of a later step (inside the window ahead) is accepted, the
// current step's code is refused although never used; one step later the used code
// is still inside the window (one step back) and refused; the step after the last
// accepted one works. Each refusal says the code was already used.
func TestServerReplayAcrossSteps(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{})
	r := s.remote(t)
	ctx := context.Background()
	now := s.clock.Now()
	e, _ := enrolOver(t, s, r, "rita", -1)                                    // confirmed with step -1
	if _, err := r.SignIn(ctx, "rita", enrolCode(t, e, now, 1)); err != nil { // a clock ahead: step +1
		t.Fatal(err)
	}
	verify := s.url + "/v1/auth/totp/verify"
	replayed := func(c string) {
		t.Helper()
		a := send(t, "POST", verify, "Bearer "+testPID, jsonCT, `{"loginId":"rita","code":"`+c+`"}`)
		a.wantError(t, 401, CodeWrongCode)
		if msg, _ := a.body["errorMessage"].(string); !strings.Contains(msg, "already used") {
			t.Errorf("a replayed code: %q, want it to say already used", msg)
		}
	}
	replayed(enrolCode(t, e, now, 0)) // older than the last accepted step
	s.clock.Add(30 * time.Second)     // step +1 is now the current step, step 0 one back
	replayed(enrolCode(t, e, now, 1))
	replayed(enrolCode(t, e, now, 0))
	if _, err := r.SignIn(ctx, "rita", enrolCode(t, e, now, 2)); err != nil {
		t.Fatalf("the next step's code: %v", err)
	}
}

// TestServerWrongCodesAtTheLockoutEdge: with one attempt left, 30 wrong codes at once
// give exactly one 401 (the attempt that starts the lock, saying so) and 29 429s with
// Retry-After: no parallel guess slips past the limit.
func TestServerWrongCodesAtTheLockoutEdge(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{})
	r := s.remote(t)
	e, _ := enrolOver(t, s, r, "edgar", 0)
	wrong := "000000"
	for _, k := range []int{-1, 0, 1} {
		if enrolCode(t, e, s.clock.Now(), k) == wrong {
			wrong = "999999"
		}
	}
	for range verifier.DefaultMaxAttempts - 1 {
		if _, err := r.SignIn(context.Background(), "edgar", wrong); !isWrongCode(err) {
			t.Fatalf("a wrong code: %v", err)
		}
	}
	statuses := hammer(t, s.url, "edgar", wrong, 30)
	if statuses[401] != 1 || statuses[429] != 29 {
		t.Fatalf("30 wrong codes with one attempt left: %v; want one 401 and 29 429", statuses)
	}
	a := send(t, "POST", s.url+"/v1/auth/totp/verify", "Bearer "+testPID, jsonCT, `{"loginId":"edgar","code":"`+wrong+`"}`)
	a.wantError(t, 429, CodeTooManyAttempts)
	if a.header.Get("Retry-After") != "300" {
		t.Errorf("Retry-After %q, want 300", a.header.Get("Retry-After"))
	}
}

func isWrongCode(err error) bool {
	var w *verifier.WrongCodeError
	return errors.As(err, &w)
}

// TestServerPathTricks: paths that try to reach a route other than the one they name
// (dot segments, doubled or encoded slashes, case, a trailing slash, a project id
// path with more after it) never reach a handler: each is a JSON 404 or 405, and the
// backend is never called. The management routes are reached only as themselves,
// with the key.
func TestServerPathTricks(t *testing.T) {
	f := &fakeBackend{}
	url, _ := newFakeServer(t, f)
	host := strings.TrimPrefix(url, "http://")
	for _, p := range []string{
		"/v1/mgmt/user/../user/delete", "//v1/mgmt/user/delete", "/v1/mgmt/user/./delete",
		"/v1/auth/totp/signup/../../../v1/mgmt/user/delete", "/v2/keys/../../v1/mgmt/license",
		"/v1/mgmt/user/delete/", "/V1/MGMT/USER/DELETE", "/v1/mgmt/user%2fdelete", "/v1/mgmt/user/delete%2f..",
		"/v2/keys/" + testPID + "/x", "/v2/keys/%2e%2e", "/v1/auth/totp/verify/.", "/v1/auth/totp/verify%00",
	} {
		// Written by hand: http.NewRequest would clean some of these paths itself.
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		body := `{"loginId":"ab"}`
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			p, testPID, len(body), body)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			t.Fatalf("%s: %v", p, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode != 404 && resp.StatusCode != 405 && resp.StatusCode != 400 ||
			resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(raw), `"errorCode":"E011001"`) {
			t.Errorf("%s: %d %q %s; want a JSON 404 or 405", p, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
		}
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("path tricks reached the backend: %v", calls)
	}
}

// TestServerStepUpChecksTheTokensUser: a step-up (or MFA) sign-in must come with the
// refresh token of the user it names: another user's valid token is 401 E011004,
// before the code is looked at; the user's own token with the login id in another
// case is that user.
func TestServerStepUpChecksTheTokensUser(t *testing.T) {
	s := newLocalServer(t, verifier.LocalOptions{})
	r := s.remote(t)
	ea, alice := enrolOver(t, s, r, "Alice@Example.com", -1)
	eb, _ := enrolOver(t, s, r, "bob@example.com", -1)
	verify := s.url + "/v1/auth/totp/verify"
	withAlice := "Bearer " + testPID + ":" + alice.RefreshJWT
	send(t, "POST", verify, withAlice, jsonCT,
		`{"loginId":"bob@example.com","code":"`+enrolCode(t, eb, s.clock.Now(), 0)+`","loginOptions":{"stepup":true}}`).wantError(t, 401, CodeBadToken)
	// Alice's own token, her login id in lower case: the same user, signed in again.
	a := send(t, "POST", verify, withAlice, jsonCT,
		`{"loginId":"alice@example.com","code":"`+enrolCode(t, ea, s.clock.Now(), 0)+`","loginOptions":{"mfa":true}}`)
	if a.status != 200 {
		t.Fatalf("alice stepping up as alice@example.com: %d %s; want 200", a.status, a.raw)
	}
}
