package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
)

// watchWriter collects output and tells when a line matching re has been written.
type watchWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	re    *regexp.Regexp
	found chan []string
	once  sync.Once
}

func newWatchWriter(re string) *watchWriter {
	return &watchWriter{re: regexp.MustCompile(re), found: make(chan []string, 1)}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := w.re.FindStringSubmatch(w.buf.String()); m != nil {
		w.once.Do(func() { w.found <- m })
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startServe runs `otpair serve` in-process until the test ends and returns its URL,
// project id and streams.
func startServe(t *testing.T, o *otpairRun, args ...string) (url, pid string, stdout, stderr *watchWriter, stop func() int) {
	t.Helper()
	stdout = newWatchWriter(`listening on (http://\S+)\nproject id: (\S+)\nmanagement key[^\n]*\n`)
	stderr = newWatchWriter(`$^`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	e := &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		now: func() time.Time { return o.now }, getenv: func(k string) string { return o.env[k] }}
	go func() { done <- run(ctx, e, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	select {
	case m := <-stdout.found:
		url, pid = m[1], m[2]
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d: %s %s", code, stdout, stderr)
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return url, pid, stdout, stderr, stop
}

func TestServeCommandLifecycleAndShutdown(t *testing.T) {
	o := newOtpairRun(t)
	url, pid, stdout, stderr, stop := startServe(t, o, "--frozen-clock", "2026-11-25T02:00:10Z")
	keyPath := filepath.Join(o.env["OTPAIR_HOME"], managementKeyFile)
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("management key file mode %v, want 0600", fi.Mode().Perm())
	}
	mgmt := strings.TrimSpace(string(key))
	if !strings.Contains(stdout.String(), "management key (shown once") || !strings.Contains(stdout.String(), mgmt) {
		t.Errorf("first start must print the generated key: %s", stdout)
	}
	if !strings.Contains(stderr.String(), "TESTING ONLY") {
		t.Errorf("a frozen clock must be logged loudly: %s", stderr)
	}
	// The CLI drives the server as a remote backend; its own clock is the frozen one.
	client := &otpairRun{t: t, now: verifierNow, env: map[string]string{
		"OTPAIR_HOME": t.TempDir(), envProjectID: pid, envManagementKey: mgmt}}
	verifierLifecycle(t, client, "--backend", url)

	// Unknown paths and bad input answer JSON.
	resp, err := http.Get(url + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), `"errorCode"`) {
		t.Errorf("GET /nope: %d %s", resp.StatusCode, body)
	}

	if code := stop(); code != 0 {
		t.Errorf("serve exited %d after the signal: %s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no clean stop in the log: %s", stderr)
	}
	if _, err := http.Get(url + "/v1/mgmt/license"); err == nil {
		t.Errorf("still serving after shutdown")
	}
	logs := stderr.String()
	if strings.Count(logs, "msg=request") < 10 {
		t.Errorf("expected request log lines: %s", logs)
	}
	if strings.Contains(logs, mgmt) {
		t.Errorf("the log contains the management key")
	}
	for _, tok := range regexp.MustCompile(`eyJ[\w-]+\.[\w-]+\.[\w-]+`).FindAllString(logs, -1) {
		t.Errorf("the log contains a token %.12s…", tok)
	}

	// A second start reuses the key and does not print it.
	_, pid2, stdout2, _, stop2 := startServe(t, o)
	if pid2 != pid || strings.Contains(stdout2.String(), mgmt) || !strings.Contains(stdout2.String(), "management key: from "+keyPath) {
		t.Errorf("second start: pid %q (first %q): %s", pid2, pid, stdout2)
	}
	stop2()
}

func TestServeCommandKeyFromEnvAndFlags(t *testing.T) {
	o := newOtpairRun(t)
	o.env[envManagementKey] = "env-management-key-0123456789"
	_, pid, stdout, _, stop := startServe(t, o, "--db", ":memory:", "--project-id", "P2fixed")
	if pid != "P2fixed" || !strings.Contains(stdout.String(), "from $"+envManagementKey) {
		t.Errorf("pid %q: %s", pid, stdout)
	}
	stop()
	if _, err := os.Stat(filepath.Join(o.env["OTPAIR_HOME"], managementKeyFile)); err == nil {
		t.Errorf("a key from the environment must not be written to a file")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--management-key", "short"}, "shorter than 16"},
		{[]string{"serve", "--management-key", "has:a:colon-0123456789"}, "cannot contain"},
		{[]string{"serve", "--frozen-clock", "yesterday"}, "--frozen-clock"},
		{[]string{"serve", "--log-format", "xml"}, "--log-format"},
		{[]string{"serve", "extra"}, "no arguments"},
		{[]string{"serve", "--signup-rate", "lots"}, "--signup-rate"},
		{[]string{"serve", "--signup-rate-total", "0/min"}, "--signup-rate-total"},
		{[]string{"serve", "--trusted-proxy", "the-proxy"}, "--trusted-proxy"},
	} {
		code, _, errs := o.run(tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d %q, want failure with %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestServeSignUpRateFlag: --signup-rate reaches the server: the sign-up past it
// answers 429 E130429 with Retry-After, in Descope's error shape.
func TestServeSignUpRateFlag(t *testing.T) {
	o := newOtpairRun(t)
	url, pid, _, _, stop := startServe(t, o, "--db", ":memory:", "--frozen-clock", "2026-11-25T02:00:10Z", "--signup-rate", "2/h")
	defer stop()
	for i := range 3 {
		req, _ := http.NewRequest("POST", url+"/v1/auth/totp/signup", strings.NewReader(`{"loginId":"rate`+string(rune('a'+i))+`"}`))
		req.Header.Set("Authorization", "Bearer "+pid)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case i < 2 && resp.StatusCode != 200:
			t.Fatalf("sign-up %d: %d %s", i, resp.StatusCode, body)
		case i == 2 && (resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1800" || !strings.Contains(string(body), `"errorCode":"E130429"`)):
			t.Fatalf("the third sign-up at 2/h: %d Retry-After %q %s; want 429 E130429, Retry-After 1800", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
}

// TestServeDropsSlowClients: clients that send their headers or their body slower
// than the server's timeouts are disconnected, and 60 of them at once do not keep a
// normal request from being answered. Real sockets and net/http's own timers, with
// the timeouts shortened for the test.
func TestServeDropsSlowClients(t *testing.T) {
	defer func(h, r time.Duration) { serveReadHeaderTimeout, serveReadTimeout = h, r }(serveReadHeaderTimeout, serveReadTimeout)
	serveReadHeaderTimeout, serveReadTimeout = 300*time.Millisecond, 600*time.Millisecond
	o := newOtpairRun(t)
	url, pid, _, _, stop := startServe(t, o, "--db", ":memory:")
	defer stop()
	host := strings.TrimPrefix(url, "http://")
	var conns []net.Conn
	for i := range 60 {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i < 50 { // headers that never end
			fmt.Fprintf(c, "POST /v1/auth/totp/verify HTTP/1.1\r\nHost: x\r\n")
		} else { // a body that never ends
			fmt.Fprintf(c, "POST /v1/auth/totp/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
				"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"loginId\":", pid)
		}
		conns = append(conns, c)
	}
	resp, err := http.Get(url + "/v2/keys/" + pid)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a normal request beside 60 slow clients: %v %v", resp, err)
	}
	resp.Body.Close()
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(15 * time.Second)) // far past the timeouts: a bound, not a wait
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("slow client %d was not disconnected: %v", i, err)
		}
	}
}

// TestServeSeedPolicy: otpair serve issues seeds of the policy its flags give
// (SHA256, 8 digits, 60 s): the provisioning URL says so, oathtool (an independent
// implementation) computes a code from it that signs in, and bad values are refused.
func TestServeSeedPolicy(t *testing.T) {
	oath := external.Tool(t, "oathtool", "oathtool")
	o := newOtpairRun(t)
	url, pid, stdout, _, stop := startServe(t, o, "--db", ":memory:", "--frozen-clock", verifierNow.Format(time.RFC3339),
		"--totp-algorithm", "sha-256", "--totp-digits", "8", "--totp-period", "60")
	defer stop()
	client := &otpairRun{t: t, now: verifierNow, env: map[string]string{"OTPAIR_HOME": t.TempDir(), envProjectID: pid}}
	su := client.mustJSON("verifier", "signup", "--backend", url, "pat@example.com")
	uri, _ := su["provisioningURL"].(string)
	k, err := provisioning.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	if k.Algorithm != provisioning.SHA256 || k.Digits != 8 || k.Period != 60 || len(k.Secret) != 32 ||
		!strings.Contains(uri, "algorithm=SHA256") || !strings.Contains(uri, "digits=8") || !strings.Contains(uri, "period=60") {
		t.Fatalf("provisioning URL %s: %v/%d/%d with a %d-byte secret, want SHA256/8/60 and 32 bytes",
			strings.Replace(uri, k.SecretBase32(), "…", 1), k.Algorithm, k.Digits, k.Period, len(k.Secret))
	}
	code := oathtoolCode(t, oath, k, verifierNow.Unix())
	if len(code) != 8 {
		t.Fatalf("oathtool gave %q", code)
	}
	if si := client.mustJSON("verifier", "signin", "--backend", url, "pat@example.com", code); si["firstSeen"] != true {
		t.Fatalf("sign-in with oathtool's code: %v", si)
	}
	// Written before it served the requests above.
	if !strings.Contains(stdout.String(), "new seeds: SHA256, 8 digits, 60s") {
		t.Errorf("serve does not say its seed policy: %s", stdout)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"serve", "--totp-algorithm", "MD5"}},
		{[]string{"serve", "--totp-digits", "9"}},
		{[]string{"serve", "--totp-period", "5"}},
	} {
		if c, _, errs := o.run(tc.args...); c != 2 || !strings.Contains(errs, "TOTP") {
			t.Errorf("%v: exit %d %q, want a usage error about the TOTP policy", tc.args, c, errs)
		}
	}
}
