package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// verifierNow is the clock of the verifier command tests.
var verifierNow = time.Date(2026, 11, 25, 2, 0, 10, 0, time.UTC)

// otpairRun runs otpair in-process with its own streams, environment and clock.
type otpairRun struct {
	t     *testing.T
	env   map[string]string
	now   time.Time
	stdin string
}

func newOtpairRun(t *testing.T) *otpairRun {
	return &otpairRun{t: t, now: verifierNow, env: map[string]string{"OTPAIR_HOME": t.TempDir()}}
}

func (o *otpairRun) run(args ...string) (code int, stdout, stderr string) {
	o.t.Helper()
	return o.runCtx(context.Background(), args...)
}

func (o *otpairRun) runCtx(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	o.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(o.stdin), stdout: &out, stderr: &errb,
		now: func() time.Time { return o.now }, getenv: func(k string) string { return o.env[k] }}
	code = run(ctx, e, args)
	return code, out.String(), errb.String()
}

// mustJSON runs a command that must succeed and decodes its --json output.
func (o *otpairRun) mustJSON(args ...string) map[string]any {
	o.t.Helper()
	code, out, errs := o.run(append(args, "--json")...)
	if code != 0 {
		o.t.Fatalf("otpair %v: exit %d: %s", args, code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		o.t.Fatalf("otpair %v: not JSON: %v: %s", args, err, out)
	}
	return m
}

// totpCode is the code of a provisioning URL at t plus steps, computed by provisioning.
func totpCode(t *testing.T, uri string, at time.Time, steps int) string {
	t.Helper()
	k, err := provisioning.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Code(at.Add(time.Duration(steps) * 30 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// verifierLifecycle runs every step through `otpair verifier` with extra flags (the
// backend) and checks each outcome.
func verifierLifecycle(t *testing.T, o *otpairRun, flags ...string) {
	v := func(step string, args ...string) []string {
		return append(append([]string{"verifier", step}, flags...), args...)
	}
	su := o.mustJSON(v("signup", "--name", "Alice", "alice@example.com")...)
	uri, _ := su["provisioningURL"].(string)
	if !strings.HasPrefix(uri, "otpauth://totp/") || su["key"] == "" || su["image"] == "" || su["loginId"] != "alice@example.com" {
		t.Fatalf("signup --json: %v", su)
	}
	code := totpCode(t, uri, o.now, 0)
	si := o.mustJSON(v("signin", "alice@example.com", code)...)
	refresh, _ := si["refreshJwt"].(string)
	if si["firstSeen"] != true || strings.Count(refresh, ".") != 2 || si["sub"] == "" {
		t.Fatalf("signin --json: %v", si)
	}
	if c, _, errs := o.run(v("signin", "alice@example.com", code)...); c != 1 || !strings.Contains(errs, "already used") {
		t.Errorf("reused code: exit %d %q", c, errs)
	}
	o.env[envRefreshToken] = refresh
	me := o.mustJSON(v("me")...)
	if me["loginId"] != "alice@example.com" || me["name"] != "Alice" || me["totp"] != true {
		t.Errorf("me --json: %v", me)
	}
	up := o.mustJSON(v("update", "alice@example.com")...)
	code2 := totpCode(t, up["provisioningURL"].(string), o.now, 1)
	si2 := o.mustJSON(v("signin", "alice@example.com", code2)...)
	if si2["firstSeen"] == true {
		t.Errorf("a sign-in after update is not the first: %v", si2)
	}
	refresh2, _ := si2["refreshJwt"].(string)
	rf := o.mustJSON(v("refresh")...)
	if rf["sessionJwt"] == "" || rf["sub"] != si["sub"] {
		t.Errorf("refresh --json: %v", rf)
	}
	// The token can come from stdin instead of the environment.
	delete(o.env, envRefreshToken)
	o.stdin = refresh + "\n"
	if c, out, errs := o.run(v("logout", "--refresh-token", "-")...); c != 0 || !strings.Contains(out, "logged out") {
		t.Errorf("logout: exit %d %q %q", c, out, errs)
	}
	o.stdin = ""
	if c, _, _ := o.run(v("me", "--refresh-token", refresh)...); c != 1 {
		t.Errorf("me after logout: exit %d, want 1", c)
	}
	if c, _, _ := o.run(v("me", "--refresh-token", refresh2)...); c != 0 {
		t.Errorf("me with the other session after a plain logout: exit %d, want 0", c)
	}
	if c, out, errs := o.run(v("logout", "--all", "--refresh-token", refresh2)...); c != 0 || !strings.Contains(out, "everywhere") {
		t.Errorf("logout --all: exit %d %q %q", c, out, errs)
	}
	if c, _, _ := o.run(v("me", "--refresh-token", refresh2)...); c != 1 {
		t.Errorf("me after logout --all: exit %d, want 1", c)
	}
	if c, out, errs := o.run(v("delete-seed", "alice@example.com")...); c != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("delete-seed: exit %d %q %q", c, out, errs)
	}
	o.now = o.now.Add(30 * time.Second)
	if c, _, errs := o.run(v("signin", "alice@example.com", totpCode(t, up["provisioningURL"].(string), o.now, 1))...); c != 1 || !strings.Contains(errs, "no TOTP seed") {
		t.Errorf("signin after delete-seed: exit %d %q", c, errs)
	}
}

func TestVerifierCommandLocalLifecycle(t *testing.T) {
	o := newOtpairRun(t)
	verifierLifecycle(t, o)
	// Plain output: the provisioning URL, key and a QR code on sign-up.
	code, out, errs := o.run("verifier", "signup", "bob")
	if code != 0 || !strings.Contains(out, "provisioning URL: otpauth://totp/") || !strings.Contains(out, "key:") ||
		!strings.Contains(out, "▀") {
		t.Errorf("signup: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestVerifierCommandUsage(t *testing.T) {
	o := newOtpairRun(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verifier"}, "name a step"},
		{[]string{"verifier", "dance"}, "unknown step"},
		{[]string{"verifier", "signin", "alice"}, "takes LOGIN_ID CODE"},
		{[]string{"verifier", "signup"}, "takes LOGIN_ID"},
		{[]string{"verifier", "me", "extra"}, "no arguments"},
		{[]string{"verifier", "me"}, "needs the refresh token"},
		{[]string{"verifier", "signup", "--signing-alg", "HS256", "a"}, "--signing-alg"},
		{[]string{"verifier", "signup", "--backend", "http://127.0.0.1:1", "a"}, "--project-id"},
		{[]string{"verifier", "signup", "--backend", "ftp://x", "--project-id", "P", "a"}, "--backend"},
		{[]string{"verifier", "signup", "--nope", "a"}, "flag provided but not defined"},
		{[]string{"verifier", "signup", "--window", "11", "a"}, "--window"},
		{[]string{"verifier", "signup", "--max-attempts", "-1", "a"}, "--max-attempts"},
		{[]string{"verifier", "signup", "--lockout", "-1s", "a"}, "--lockout"},
	} {
		code, _, errs := o.run(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestVerifierCommandErrorsExitOne(t *testing.T) {
	o := newOtpairRun(t)
	if code, _, errs := o.run("verifier", "signin", "nobody", "123456"); code != 1 || !strings.Contains(errs, "unknown user") {
		t.Errorf("unknown user: exit %d %q", code, errs)
	}
	if code, _, errs := o.run("verifier", "me", "--refresh-token", "a.b.c"); code != 1 || strings.Contains(errs, "a.b.c") {
		t.Errorf("bad token: exit %d %q (must not echo the token)", code, errs)
	}
}

// TestVerifierCommandEnroll: signup --enroll puts the key into the authenticator vault,
// whose code then signs in.
func TestVerifierCommandEnroll(t *testing.T) {
	useMemKeyring(t)
	o := newOtpairRun(t)
	su := o.mustJSON("verifier", "signup", "--enroll", "carol@example.com")
	id, _ := su["accountId"].(string)
	if id == "" {
		t.Fatalf("signup --enroll --json has no accountId: %v", su)
	}
	cj := o.mustJSON("code", id, "--at", strconv.FormatInt(o.now.Unix(), 10))
	code, _ := cj["code"].(string)
	if want := totpCode(t, su["provisioningURL"].(string), o.now, 0); code != want {
		t.Fatalf("the vault's code %q, want %q (%v)", code, want, cj)
	}
	if si := o.mustJSON("verifier", "signin", "carol@example.com", code); si["firstSeen"] != true {
		t.Errorf("sign-in with the vault's code: %v", si)
	}
}

// TestVerifierCommandPolicyFlags: --window, --max-attempts and --lockout reach the local
// backend, as a user tuning the policy would see them.
func TestVerifierCommandPolicyFlags(t *testing.T) {
	o := newOtpairRun(t)
	policy := []string{"--window", "0", "--max-attempts", "2", "--lockout", "1m"}
	up := o.mustJSON(append([]string{"verifier", "signup", "--qr=false", "pat"}, policy...)...)
	uri := up["provisioningURL"].(string)

	// --window 0: the previous step's code is refused, the current one accepted.
	if code, _, errs := o.run(append([]string{"verifier", "signin", "pat", totpCode(t, uri, o.now, -1)}, policy...)...); code != 1 || !strings.Contains(errs, "wrong code") {
		t.Fatalf("previous step's code with --window 0: exit %d %q, want wrong code", code, errs)
	}
	o.mustJSON(append([]string{"verifier", "signin", "pat", totpCode(t, uri, o.now, 0)}, policy...)...)

	// --max-attempts 2: the second wrong code locks, for --lockout 1m.
	o.now = o.now.Add(30 * time.Second)
	wrong := totpCode(t, uri, o.now, 5)
	for i := 1; i <= 2; i++ {
		if code, _, errs := o.run(append([]string{"verifier", "signin", "pat", wrong}, policy...)...); code != 1 || !strings.Contains(errs, "wrong code") {
			t.Fatalf("wrong code %d: exit %d %q", i, code, errs)
		}
	}
	good := totpCode(t, uri, o.now, 0)
	if code, _, errs := o.run(append([]string{"verifier", "signin", "pat", good}, policy...)...); code != 1 || !strings.Contains(errs, "too many failed attempts") {
		t.Fatalf("right code while locked: exit %d %q, want the lock", code, errs)
	}
	o.now = o.now.Add(time.Minute)
	good = totpCode(t, uri, o.now, 0)
	o.mustJSON(append([]string{"verifier", "signin", "pat", good}, policy...)...)
}
