package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier/flow"
)

func TestFlowValidateReportsLines(t *testing.T) {
	o := newOtpairRun(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nid: bad\nsteps:\n  a:\n    screen: {nodes: [{type: submit, id: go}]}\n    next: {go: b}\n"), 0o600)
	code, _, errs := o.run("flow", "validate", bad)
	if code != 1 || !strings.Contains(errs, bad+`:6:16: step "a": next go: no step "b"`) {
		t.Fatalf("validate bad: exit %d: %s", code, errs)
	}
	_, src, _ := o.run("flow", "export", "sign-in-totp")
	good := filepath.Join(dir, "sign-in-totp.yaml")
	os.WriteFile(good, []byte(src), 0o600)
	if code, out, errs := o.run("flow", "validate", good); code != 0 || !strings.Contains(out, "ok "+good) {
		t.Fatalf("validate an exported built-in: exit %d: %s %s", code, out, errs)
	}
	// serve refuses to start with a bad flow folder, naming the line.
	code, _, errs = o.run("serve", "--db", ":memory:", "--addr", "127.0.0.1:0", "--flows", dir)
	if code != 1 || !strings.Contains(errs, bad+":6:16:") {
		t.Fatalf("serve --flows with a bad file: exit %d: %s", code, errs)
	}
}

// exportBuiltins writes every built-in flow's file into dir, as a developer's CI
// would keep them, and returns their paths.
func exportBuiltins(t *testing.T, o *otpairRun, dir string) []string {
	t.Helper()
	var files []string
	for _, id := range flow.BuiltinIDs {
		code, src, errs := o.run("flow", "export", id)
		if code != 0 {
			t.Fatalf("flow export %s: %s", id, errs)
		}
		p := filepath.Join(dir, id+".yaml")
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	return files
}

func TestFlowTestRunsTheBuiltinsTests(t *testing.T) {
	o := newOtpairRun(t)
	dir := t.TempDir()
	files := exportBuiltins(t, o, dir)
	junit := filepath.Join(dir, "junit.xml")
	code, out, errs := o.run(append([]string{"flow", "test", "--junit", junit}, files...)...)
	if code != 0 || !strings.HasPrefix(out, "TAP version 13\n1..14\n") || strings.Contains(out, "not ok") || !strings.Contains(out, "# 14 passed, 0 failed") {
		t.Fatalf("flow test: exit %d:\n%s\n%s", code, out, errs)
	}
	x, err := os.ReadFile(junit)
	if err != nil || !strings.Contains(string(x), `<testsuite name="sign-in-totp" tests="4" failures="0"`) {
		t.Fatalf("junit: %v\n%s", err, x)
	}
	// A failing case: exit 1 and "not ok".
	failing := filepath.Join(dir, "failing.yaml")
	os.WriteFile(failing, []byte("version: 1\nid: failing\nsteps:\n  a:\n    screen: {nodes: [{type: submit, id: go}]}\n    next: {go: b}\n  b: {end: {}}\ntests:\n  - name: expects the wrong thing\n    expect: {status: completed}\n"), 0o600)
	code, out, _ = o.run("flow", "test", failing)
	if code != 1 || !strings.Contains(out, "not ok 1 - failing: expects the wrong thing") || !strings.Contains(out, "status waiting, want completed") {
		t.Fatalf("failing test: exit %d:\n%s", code, out)
	}
}

// TestFlowTestAgainstAFrozenServer runs the built-ins' test cases with --backend URL
// against a real otpair serve on loopback whose clock is frozen, as a developer's CI
// would (scripts/ci.d/60-compat.sh does the same with the binary). The client's own
// clock is an hour away: the codes come from --frozen-clock, and a user's second code
// from the next step of the server's window, with no wait for the next 30 s step.
func TestFlowTestAgainstAFrozenServer(t *testing.T) {
	const frozen = "2026-11-25T02:00:10Z"
	srv := newOtpairRun(t)
	// A frozen clock never refills the sign-up buckets: a CI server for flow tests
	// turns them off (docs/flows.md), or 10 sign-ups a minute would be its last.
	url, pid, _, _, _ := startServe(t, srv, "--frozen-clock", frozen, "--signup-rate", "off", "--signup-rate-total", "off")
	mgmt, err := os.ReadFile(filepath.Join(srv.env["OTPAIR_HOME"], managementKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	o := &otpairRun{t: t, now: verifierNow.Add(time.Hour), env: map[string]string{
		"OTPAIR_HOME": t.TempDir(), envProjectID: pid, envManagementKey: strings.TrimSpace(string(mgmt))}}
	dir := t.TempDir()
	files := exportBuiltins(t, o, dir)
	junit := filepath.Join(dir, "junit.xml")
	for run := range 2 { // a second run on the same server: its run id keeps its users apart
		code, out, errs := o.run(append([]string{"flow", "test", "--backend", url, "--frozen-clock", frozen, "--junit", junit}, files...)...)
		if code != 0 || strings.Contains(out, "not ok") || !strings.Contains(out, "# 14 passed, 0 failed") {
			t.Fatalf("run %d: flow test --backend %s --frozen-clock: exit %d:\n%s\n%s", run+1, url, code, out, errs)
		}
	}
	if x, err := os.ReadFile(junit); err != nil || !strings.Contains(string(x), `<testsuite name="update-user-totp" tests="3" failures="0"`) {
		t.Fatalf("junit: %v\n%s", err, x)
	}
	// The throwaway backend has a clock of its own, and a bad time is named.
	for _, c := range []struct{ args []string }{
		{[]string{"flow", "test", "--frozen-clock", frozen, files[0]}},
		{[]string{"flow", "test", "--backend", url, "--frozen-clock", "soon", files[0]}},
	} {
		if code, _, errs := o.run(c.args...); code != 2 || !strings.Contains(errs, "--frozen-clock") {
			t.Errorf("%v: exit %d: %s", c.args, code, errs)
		}
	}
}

func TestFlowRunJSONIsScriptable(t *testing.T) {
	o := newOtpairRun(t)
	o.env["OTPAIR_DB"] = filepath.Join(t.TempDir(), "v.db")
	o.stdin = `{"interactionId":"oneTimeCodeId","input":{"code":"000000"}}` + "\n"
	code, out, errs := o.run("flow", "run", "sign-up-or-in-totp", "--json", "--input", "loginId=run@example.com", "--signing-alg", "ES256")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 2 || !strings.Contains(errs, "stdin ended") {
		t.Fatalf("run: exit %d:\n%s\n%s", code, out, errs)
	}
	var first, second map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	uri, _ := first["screen"].(map[string]any)["state"].(map[string]any)["totp"].(map[string]any)["provisionUrl"].(string)
	if first["status"] != "waiting" || !strings.HasPrefix(uri, "otpauth://totp/") {
		t.Fatalf("first response: %v", first)
	}
	c := totpCode(t, uri, o.now, 0)
	if c == "000000" {
		t.Skip("the wrong code is right by chance")
	}
	if second["status"] != "waiting" || second["error"].(map[string]any)["type"] != "TOTPVerifyFailed" {
		t.Fatalf("second response: %v", second)
	}
	// The user is still pending (the wrong code did nothing): a new run enrols again
	// and its right code completes it.
	o.stdin = ""
	code, _, errs = o.run("flow", "run", "sign-up-or-in-totp", "--input", "loginId=run@example.com")
	if code != 2 || !strings.Contains(errs, "needs a terminal, or --json") {
		t.Fatalf("run without a terminal or --json: exit %d: %s", code, errs)
	}
}

func TestVerifierEnrolAfterDeleteSeed(t *testing.T) {
	o := newOtpairRun(t)
	su := o.mustJSON("verifier", "signup", "--qr=false", "back@example.com")
	o.mustJSON("verifier", "signin", "back@example.com", totpCode(t, su["provisioningURL"].(string), o.now, 0))
	o.mustJSON("verifier", "delete-seed", "back@example.com")
	en := o.mustJSON("verifier", "enrol", "--qr=false", "back@example.com")
	uri, _ := en["provisioningURL"].(string)
	if uri == "" || uri == su["provisioningURL"] {
		t.Fatalf("enrol: %v", en)
	}
	in := o.mustJSON("verifier", "signin", "back@example.com", totpCode(t, uri, o.now, 1))
	if in["sub"] == "" {
		t.Fatalf("the new enrolment's first code: %v", in)
	}
}
