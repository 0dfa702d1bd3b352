package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/verifier"
)

// TestSignUpFieldLimits (issue 11, item 6): every member sign-up and user creation
// accept has a size limit, answered 400 E011001 naming the member and the limit; a
// control character in a kept member is 400 E011003; values at the limits pass.
func TestSignUpFieldLimits(t *testing.T) {
	s := newLocalServerWith(t, verifier.LocalOptions{}, ServerOptions{SignUpRate: NoLimit, SignUpRateTotal: NoLimit})
	pid, mgmt := "Bearer "+testPID, "Bearer "+testPID+":"+testMgmtKey
	signup, create := s.url+"/v1/auth/totp/signup", s.url+"/v1/mgmt/user/create"
	x := func(n int) string { return strings.Repeat("x", n) }
	list := func(n int) string { return `["` + strings.Repeat(`r","`, n-1) + `r"]` }
	members := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":1`, i)
		}
		return "{" + b.String() + "}"
	}
	for _, c := range []struct {
		url, auth, body, code, says string
	}{
		{signup, pid, `{"loginId":"` + x(257) + `"}`, CodeBadRequest, "login id is longer than 256 bytes"},
		{signup, pid, `{"loginId":"a","user":{"name":"` + x(257) + `"}}`, CodeBadRequest, "name is longer than 256 bytes"},
		{signup, pid, `{"loginId":"a","user":{"givenName":"` + x(257) + `"}}`, CodeBadRequest, "givenName is longer than 256 bytes"},
		{signup, pid, `{"loginId":"a","user":{"middleName":"` + x(257) + `"}}`, CodeBadRequest, "middleName is longer than 256 bytes"},
		{signup, pid, `{"loginId":"a","user":{"familyName":"` + x(257) + `"}}`, CodeBadRequest, "familyName is longer than 256 bytes"},
		{signup, pid, `{"loginId":"a","user":{"givenName":"` + x(200) + `","familyName":"` + x(200) + `"}}`, CodeBadRequest,
			"givenName, middleName and familyName together is longer than 256 bytes"},
		{signup, pid, `{"loginId":"a","user":{"email":"` + x(255) + `"}}`, CodeBadRequest, "email is longer than 254 bytes"},
		{signup, pid, `{"loginId":"a","user":{"phone":"` + x(33) + `"}}`, CodeBadRequest, "phone is longer than 32 bytes"},
		{signup, pid, `{"loginId":"a","ssoAppId":"` + x(257) + `"}`, CodeBadRequest, "ssoAppId is longer than 256 bytes"},
		{signup, pid, `{"loginId":"a","user":{"name":"a\u0000b"}}`, CodeInvalidRequest, "name contains U+0000"},
		{create, mgmt, `{"loginId":"` + x(257) + `"}`, CodeBadRequest, "login id is longer than 256 bytes"},
		{create, mgmt, `{"loginId":"a","displayName":"` + x(257) + `"}`, CodeBadRequest, "displayName is longer than 256 bytes"},
		{create, mgmt, `{"loginId":"a","name":"` + x(257) + `"}`, CodeBadRequest, "name is longer than 256 bytes"},
		{create, mgmt, `{"loginId":"a","email":"` + x(255) + `"}`, CodeBadRequest, "email is longer than 254 bytes"},
		{create, mgmt, `{"loginId":"a","phone":"` + x(33) + `"}`, CodeBadRequest, "phone is longer than 32 bytes"},
		{create, mgmt, `{"loginId":"a","picture":"` + x(2049) + `"}`, CodeBadRequest, "picture is longer than 2048 bytes"},
		{create, mgmt, `{"loginId":"a","inviteUrl":"` + x(2049) + `"}`, CodeBadRequest, "inviteUrl is longer than 2048 bytes"},
		{create, mgmt, `{"loginId":"a","templateId":"` + x(257) + `"}`, CodeBadRequest, "templateId is longer than 256 bytes"},
		{create, mgmt, `{"loginId":"a","locale":"` + x(257) + `"}`, CodeBadRequest, "locale is longer than 256 bytes"},
		{create, mgmt, `{"loginId":"a","status":"` + x(257) + `"}`, CodeBadRequest, "status is longer than 256 bytes"},
		{create, mgmt, `{"loginId":"a","roleNames":` + list(101) + `}`, CodeBadRequest, "roleNames has more than 100 items"},
		{create, mgmt, `{"loginId":"a","roleNames":["` + x(257) + `"]}`, CodeBadRequest, "roleNames item is longer than 256 bytes"},
		{create, mgmt, `{"loginId":"a","additionalLoginIds":` + list(101) + `}`, CodeBadRequest, "additionalLoginIds has more than 100 items"},
		{create, mgmt, `{"loginId":"a","ssoAppIDs":` + list(101) + `}`, CodeBadRequest, "ssoAppIDs has more than 100 items"},
		{create, mgmt, `{"loginId":"a","userTenants":[` + strings.Repeat(`{},`, 100) + `{}]}`, CodeBadRequest, "userTenants has more than 100 items"},
		{create, mgmt, `{"loginId":"a","userTenants":[{"tenantId":"` + x(9000) + `"}]}`, CodeBadRequest, "userTenants item is longer than 8192 bytes"},
		{create, mgmt, `{"loginId":"a","customAttributes":` + members(101) + `}`, CodeBadRequest, "customAttributes has more than 100 members"},
		{create, mgmt, `{"loginId":"a","customAttributes":{"a":"` + x(9000) + `"}}`, CodeBadRequest, "customAttributes is longer than 8192 bytes"},
		{create, mgmt, `{"loginId":"a","templateOptions":` + strings.ReplaceAll(members(101), ":1", `:"v"`) + `}`, CodeBadRequest, "templateOptions has more than 100 members"},
		{create, mgmt, `{"loginId":"a","additionalIdentifiers":"` + x(9000) + `"}`, CodeBadRequest, "additionalIdentifiers is longer than 8192 bytes"},
	} {
		a := send(t, "POST", c.url, c.auth, jsonCT, c.body)
		a.wantError(t, 400, c.code)
		if msg, _ := a.body["errorMessage"].(string); !strings.Contains(msg, c.says) {
			t.Errorf("%.60s: errorMessage %q, want it to say %q", c.body, msg, c.says)
		}
	}
	if got := s.users(t); len(got) != 0 {
		t.Fatalf("refused requests stored %d users", len(got))
	}
	// At every limit: accepted.
	send(t, "POST", signup, pid, jsonCT, `{"loginId":"`+x(256)+`","user":{"name":"`+x(256)+`","email":"`+x(254)+`","phone":"`+x(32)+`"}}`).wantOK(t)
	send(t, "POST", signup, pid, jsonCT, `{"loginId":"parts","user":{"givenName":"`+x(127)+`","familyName":"`+x(128)+`"}}`).wantOK(t)
	send(t, "POST", create, mgmt, jsonCT, `{"loginId":"c","displayName":"`+x(256)+`","roleNames":`+list(100)+`,"customAttributes":`+members(100)+`}`).wantOK(t)
}

// wantOK checks a success answer.
func (a answer) wantOK(t *testing.T) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Errorf("got %d %s, want 200", a.status, a.raw)
	}
}

// TestSignUpFloodDoesNotGrowTheDatabase (issue 11, item 6): 300 sign-ups with 20 kB
// names (before: 15 MB in 2 s). Without a rate limit each is refused at the name's
// limit; with the default one the first ten are, and the rest answer 429. Either way
// the database file does not grow by a byte.
func TestSignUpFloodDoesNotGrowTheDatabase(t *testing.T) {
	for _, c := range []struct {
		name  string
		rate  Rate
		codes map[string]int
	}{
		{"no rate limit", NoLimit, map[string]int{CodeBadRequest: 300}},
		{"default rate limit", Rate{}, map[string]int{CodeBadRequest: 10, CodeRateLimited: 290}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newLocalServerWith(t, verifier.LocalOptions{}, ServerOptions{SignUpRate: c.rate, SignUpRateTotal: c.rate})
			before := fileBytes(t, s.db)
			name := strings.Repeat("N", 20<<10)
			codes := map[string]int{}
			for i := range 300 {
				a := send(t, "POST", s.url+"/v1/auth/totp/signup", "Bearer "+testPID, jsonCT,
					fmt.Sprintf(`{"loginId":"flood%d@example.com","user":{"name":%q,"email":"flood%d@example.com"}}`, i, name, i))
				code, _ := a.body["errorCode"].(string)
				codes[code]++
			}
			if fmt.Sprint(codes) != fmt.Sprint(c.codes) {
				t.Fatalf("answers %v, want %v", codes, c.codes)
			}
			if after := fileBytes(t, s.db); after != before {
				t.Fatalf("the database grew from %d to %d bytes", before, after)
			}
			if us := s.users(t); len(us) != 0 {
				t.Fatalf("%d users stored", len(us))
			}
		})
	}
}

// fileBytes is the size of a SQLite database with its WAL.
func fileBytes(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// signUpAt sends a sign-up to h as if from peer, with X-Forwarded-For xff when set.
func signUpAt(t *testing.T, h http.Handler, peer, xff, login string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/v1/auth/totp/signup", strings.NewReader(`{"loginId":"`+login+`"}`))
	r.RemoteAddr = peer
	r.Header.Set("Authorization", "Bearer "+testPID)
	r.Header.Set("Content-Type", jsonCT)
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func wantLimited(t *testing.T, w *httptest.ResponseRecorder, retryAfter string, scope string) {
	t.Helper()
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != retryAfter ||
		!strings.Contains(w.Body.String(), `"errorCode":"E130429"`) || !strings.Contains(w.Body.String(), `"retryAfter":`+retryAfter) ||
		!strings.Contains(w.Body.String(), `"errorDescription":"too many requests"`) || !strings.Contains(w.Body.String(), scope) {
		t.Fatalf("got %d Retry-After %q %s; want 429 E130429, Retry-After %s, %q", w.Code, w.Header().Get("Retry-After"), w.Body, retryAfter, scope)
	}
}

// TestSignUpRateLimit (issue 11, item 6): sign-ups per client address and in total,
// under the injected clock: a burst, then 429 E130429 with Retry-After until the
// bucket refills; X-Forwarded-For counts only from a trusted proxy; an IPv6 /64 is one
// client.
func TestSignUpRateLimit(t *testing.T) {
	clock := testclock.New(testNow)
	ok := func(t *testing.T, w *httptest.ResponseRecorder) {
		t.Helper()
		if w.Code == http.StatusTooManyRequests {
			t.Fatalf("refused: %s", w.Body)
		}
	}
	newServer := func(perClient, total Rate, trusted ...netip.Prefix) http.Handler {
		f := &fakeBackend{t: t, pid: testPID, SignUpFn: func(context.Context, string, verifier.UserInfo) (verifier.Enrollment, error) {
			return verifier.Enrollment{ProvisioningURL: "otpauth://totp/x", Key: "K"}, nil
		}}
		return NewServer(f, ServerOptions{Clock: clock.Now, SignUpRate: perClient, SignUpRateTotal: total, TrustedProxies: trusted})
	}

	t.Run("per client", func(t *testing.T) {
		h := newServer(Rate{}, NoLimit) // the default: 10 a minute
		for i := range 10 {
			ok(t, signUpAt(t, h, "192.0.2.1:1000", "", fmt.Sprint("a", i)))
		}
		wantLimited(t, signUpAt(t, h, "192.0.2.1:1001", "", "a10"), "6", "from this address")
		ok(t, signUpAt(t, h, "192.0.2.2:1000", "", "b")) // another client has its own bucket
		clock.Add(5 * time.Second)
		wantLimited(t, signUpAt(t, h, "192.0.2.1:1000", "", "a10"), "1", "from this address")
		clock.Add(time.Second) // one token back
		ok(t, signUpAt(t, h, "192.0.2.1:1000", "", "a10"))
		wantLimited(t, signUpAt(t, h, "192.0.2.1:1000", "", "a11"), "6", "from this address")
		// A forged X-Forwarded-For from a peer that is no trusted proxy changes nothing.
		wantLimited(t, signUpAt(t, h, "192.0.2.1:1000", "198.51.100.7", "a11"), "6", "from this address")
		// IPv6: the /64 is the client.
		for i := range 10 {
			ok(t, signUpAt(t, h, fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), "", fmt.Sprint("v", i)))
		}
		wantLimited(t, signUpAt(t, h, "[2001:db8:1:2:ffff::1]:443", "", "v10"), "6", "from this address")
		ok(t, signUpAt(t, h, "[2001:db8:1:3::1]:443", "", "w"))
	})

	t.Run("behind a trusted proxy", func(t *testing.T) {
		h := newServer(Rate{N: 2, Per: time.Minute}, NoLimit, netip.MustParsePrefix("10.0.0.0/8"))
		proxy := "10.1.2.3:5555"
		for range 2 {
			ok(t, signUpAt(t, h, proxy, "203.0.113.9", "p"))
		}
		wantLimited(t, signUpAt(t, h, proxy, "203.0.113.9", "p"), "30", "from this address")
		ok(t, signUpAt(t, h, proxy, "203.0.113.10", "q")) // another client behind the proxy
		// The client cannot pick its address: what it wrote is left of the hops the
		// proxies appended, and the nearest untrusted hop counts.
		ok(t, signUpAt(t, h, proxy, "1.2.3.4, 203.0.113.11, 10.9.9.9", "r"))
		ok(t, signUpAt(t, h, proxy, "5.6.7.8, 203.0.113.11", "r"))
		wantLimited(t, signUpAt(t, h, proxy, "9.9.9.9, 203.0.113.11", "r"), "30", "from this address")
		// Without the header, the proxy itself is the client.
		ok(t, signUpAt(t, h, proxy, "", "s"))
		ok(t, signUpAt(t, h, proxy, "", "s"))
		wantLimited(t, signUpAt(t, h, proxy, "not an address", "s"), "30", "from this address")
	})

	t.Run("total", func(t *testing.T) {
		h := newServer(Rate{N: 1, Per: time.Minute}, Rate{N: 3, Per: time.Minute})
		ok(t, signUpAt(t, h, "192.0.2.10:1", "", "t1"))
		ok(t, signUpAt(t, h, "192.0.2.11:1", "", "t2"))
		ok(t, signUpAt(t, h, "192.0.2.12:1", "", "t3"))
		wantLimited(t, signUpAt(t, h, "192.0.2.13:1", "", "t4"), "20", "on this server")
		// The refusal by the total did not cost the client its own (only) token.
		clock.Add(20 * time.Second)
		ok(t, signUpAt(t, h, "192.0.2.13:1", "", "t4"))
		wantLimited(t, signUpAt(t, h, "192.0.2.10:1", "", "t5"), "40", "from this address")
	})
}

// TestSignUpRateLimitOverRemote: Remote turns the limit into an error that says to
// wait and is no lockout (not ErrLocked), and the Retry-After it read.
func TestSignUpRateLimitOverRemote(t *testing.T) {
	s := newLocalServerWith(t, verifier.LocalOptions{}, ServerOptions{SignUpRate: Rate{N: 1, Per: time.Hour}})
	r := s.remote(t)
	if _, err := r.SignUp(context.Background(), "one", verifier.UserInfo{}); err != nil {
		t.Fatal(err)
	}
	_, err := r.SignUp(context.Background(), "two", verifier.UserInfo{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.Code != CodeRateLimited || errors.Is(err, verifier.ErrLocked) ||
		!strings.Contains(err.Error(), "retry in 3600 s") {
		t.Fatalf("the second sign-up = %v; want an E130429 APIError saying to retry in 3600 s, not a lockout", err)
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"10/min": {10, time.Minute}, "10/m": {10, time.Minute}, "600/h": {600, time.Hour}, "5/s": {5, time.Second},
		"5/30s": {5, 30 * time.Second}, "100/1m30s": {100, 90 * time.Second}, "off": NoLimit, " 3/min ": {3, time.Minute},
	} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "10", "0/min", "-1/min", "x/min", "10/", "10/week", "10/-1s", "10/0s"} {
		if got, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", in, got)
		}
	}
	for r, want := range map[Rate]string{{10, time.Minute}: "10/min", {600, time.Hour}: "600/h", {5, time.Second}: "5/s",
		{5, 30 * time.Second}: "5/30s", {100, 90 * time.Second}: "100/1m30s", NoLimit: "off"} {
		if s := r.String(); s != want {
			t.Errorf("String = %q, want %q", s, want)
		}
		if back, err := ParseRate(r.String()); err != nil || back != r {
			t.Errorf("%q does not read back: %v, %v", r.String(), back, err)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8,fd00::/8, ::ffff:192.0.2.1")
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("192.0.2.1/32")}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ParseTrustedProxies = %v, %v; want %v", got, err, want)
	}
	for _, in := range []string{"", ",", "localhost", "10.0.0.0/33"} {
		if _, err := ParseTrustedProxies(in); err == nil {
			t.Errorf("ParseTrustedProxies(%q) succeeded", in)
		}
	}
}

// TestSignUpLimiterMemoryBounded: however many client addresses sign up, the
// limiter keeps at most maxTrackedClients buckets.
func TestSignUpLimiterMemoryBounded(t *testing.T) {
	l := newSignUpLimiter("sign-ups", Rate{N: 1, Per: time.Hour}, NoLimit, nil)
	r := httptest.NewRequest("POST", "/", nil)
	for i := range maxTrackedClients + 5000 {
		r.RemoteAddr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 1).String()
		if err := l.allow(r, testNow); err != nil {
			t.Fatalf("client %d refused: %v", i, err)
		}
	}
	if n := len(l.clients); n > maxTrackedClients {
		t.Fatalf("%d buckets kept, want at most %d", n, maxTrackedClients)
	}
}

// TestFlowStartRateLimit: /v1/flow/start also stores something on the project id alone
// (an execution; sign-up-or-in signs the login id up), so it has buckets of its own at
// the sign-up rates: the eleventh start from one address in a minute is 429 E130429,
// while sign-ups from that address are still allowed; a minute later it starts again.
func TestFlowStartRateLimit(t *testing.T) {
	url, clock := flowServer(t)
	pid := "Bearer " + testPID
	start := func(i int) (int, map[string]any) {
		return post(t, url+"/v1/flow/start", pid, map[string]any{"flowId": "sign-up-or-in-totp",
			"input": map[string]any{"loginId": fmt.Sprintf("flow%d@example.com", i)}})
	}
	for i := range 10 {
		if st, body := start(i); st != 200 {
			t.Fatalf("flow start %d: %d %v", i, st, body)
		}
	}
	st, body := start(10)
	if st != 429 || body["errorCode"] != CodeRateLimited || !strings.Contains(fmt.Sprint(body["errorMessage"]), "too many flow starts from this address") {
		t.Fatalf("the eleventh flow start: %d %v; want 429 E130429", st, body)
	}
	send(t, "POST", url+"/v1/auth/totp/signup", pid, jsonCT, `{"loginId":"direct@example.com"}`).wantOK(t)
	clock.Add(time.Minute)
	if st, body := start(11); st != 200 {
		t.Fatalf("a flow start a minute later: %d %v", st, body)
	}
}
