package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/tui"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/httpapi"
	"github.com/otpair/otpair/verifier/sqlite"
)

// TestTUIFlowsInTmux drives the real binary through flows as a user would: pick
// sign-up-or-in-totp, type a login id, the QR code drawn (read back from the screen,
// it holds the key shown), e enrols it in the authenticator pane, ctrl+f fills its
// code, enter completes the flow and signs the user in. Then the journey with a wrong
// code: the screen says so, and the timeline shows the failure branch and the error
// variable.
func TestTUIFlowsInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildTUIBinary(t)
	// Tall enough for the enrolment screen's compact QR code under the flow's steps (at
	// 40 lines z shows it full screen: the goldens cover that, and the steps in short).
	s := startTmux(t, 120, 50, e2eEnv(t), bin)
	s.waitFor("Authenticator", "Verifier", "connected to local backend", "0 accounts")

	s.keys("Tab", "f")
	s.waitFor("Flows · built in", "▸ sign-up-or-in-totp")
	s.keys("Enter")
	s.waitFor("Flow Sign Up or In / TOTP", "▶ identify", "Email")
	s.text("ivy@example.com")
	s.keys("Enter")
	scr := s.waitFor("Scan the QR code", "▸ QR code", "▶ enroll", "✓ sign_up   success → enroll")
	texts, err := provisioning.DecodeQR(context.Background(), screenQR(scr))
	if err != nil || len(texts) != 1 || !strings.HasPrefix(texts[0], "otpauth://totp/otpair:ivy@example.com?") {
		t.Fatalf("the flow's QR code on screen decodes to %q (%v):\n%s", texts, err, scr)
	}
	if key := keyOnScreen(scr); key == "" || !strings.Contains(texts[0], "secret="+key) {
		t.Errorf("the QR code holds %q, not the key shown (%q)", texts[0], key)
	}

	s.keys("e")
	scr = s.waitFor("1 account", "added otpair: ivy@example.com")
	shown := strings.ReplaceAll(codeOnScreen(t, scr), " ", "")
	s.keys("C-f")
	filled := s.waitMatch(regexp.MustCompile(`from otpair: ivy@example\.com\s*│\n[^\n]*› (\d{6}) `))[1]
	if filled != shown {
		if now := strings.ReplaceAll(codeOnScreen(t, s.screen()), " ", ""); now != filled {
			t.Errorf("ctrl+f filled %s; the authenticator shows %s (and %s before)", filled, now, shown)
		}
	}
	s.keys("Enter")
	scr = s.waitFor("✓ Completed", "signed in as ivy@example.com", "first sign-in", "✓ done")
	if strings.Contains(scr, "Key ") || strings.Contains(scr, "QR code") {
		t.Errorf("the enrolment's key stayed on screen after the flow completed:\n%s", scr)
	}

	// The journey, with a wrong code: down its failure branch.
	s.keys("f", "Down", "Down", "Down", "Down", "Enter")
	s.waitFor("Flow TOTP Authentication", "▶ loginForm", "Username")
	s.text("ivy@example.com")
	s.keys("Tab")
	wrong := "000000"
	if filled == wrong {
		wrong = "111111"
	}
	s.text(wrong)
	s.keys("Enter")
	s.waitFor("Sign-in failed", "invalid code (TOTPVerifyFailed)", "✗ authenticate branch TOTPVerifyFailed → rejected",
		"▶ rejected", "✗ flow totp-authentication", "E061102", "totpError = {type:")
	s.keys("Escape")
	s.waitFor("f flows")
	s.keys("q")
	s.waitGone("Authenticator")
}

// TestTUIFlagFlows: otpair tui --flows DIR checks the folder's files before it takes
// the screen; a bad one stops the start with its line.
func TestTUIFlagFlows(t *testing.T) {
	o := newOtpairRun(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nid: bad\nsteps:\n  a:\n    screen: {nodes: [{type: submit, id: go}]}\n    next: {go: b}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := o.run("tui", "--flows", dir)
	if code != 1 || !strings.Contains(errs, bad+`:6:16: step "a": next go: no step "b"`) {
		t.Fatalf("tui --flows with a bad file: exit %d: %s", code, errs)
	}
	if code, _, errs := o.run("tui", "--flows", filepath.Join(dir, "missing")); code != 1 || !strings.Contains(errs, "flows folder") {
		t.Fatalf("tui --flows with no such folder: exit %d: %s", code, errs)
	}
}

// TestFlowEngineThroughTheAdapter runs sign-up-or-in-totp on the engine the TUI's
// backend adapter carries, local and remote, as the flow view does: on the local
// backend an engine in this process, on a remote one the server's, through
// /v1/flow/start and /v1/flow/next over loopback.
func TestFlowEngineThroughTheAdapter(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(verifierNow)
	st, err := sqlite.Open(ctx, sqlite.MemoryDB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	local, err := verifier.NewLocal(ctx, st, verifier.LocalOptions{Clock: clock.Now, SeedKey: verifier.NewSeedKey(), SigningAlg: verifier.ES256})
	if err != nil {
		t.Fatal(err)
	}
	served, err := flow.New(flow.Options{Backend: local, StateKey: verifier.NewSeedKey(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(local, httpapi.ServerOptions{ManagementKey: "mk-0123456789abcdef", Flows: served, Clock: clock.Now}))
	defer srv.Close()
	w, _ := realDeps(t, clock.Now)
	for i, cfg := range []tui.BackendConfig{{}, {Remote: true, BaseURL: srv.URL, ProjectID: local.ProjectID(), ManagementKey: "mk-0123456789abcdef"}} {
		b, err := w.openBackend(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		fr, ok := b.(tui.FlowRunner)
		if !ok {
			t.Fatalf("%s: the adapter runs no flows", cfg.Label())
		}
		e := fr.FlowEngine()
		if _, onServer := e.(*httpapi.RemoteFlows); onServer != cfg.Remote {
			t.Fatalf("%s: the flows run on %T", cfg.Label(), e)
		}
		if len(e.Flows().List()) != len(flow.BuiltinIDs) {
			t.Fatalf("%s: %d flows", cfg.Label(), len(e.Flows().List()))
		}
		login := []string{"kim@example.com", "lee@example.com"}[i]
		r, err := e.Start(ctx, flow.StartRequest{FlowID: "sign-up-or-in-totp", Input: map[string]any{"loginId": login}})
		if err != nil || r.Screen == nil || r.Screen.ID != "enroll" {
			t.Fatalf("%s: start: %v %+v", cfg.Label(), err, r)
		}
		uri := r.Screen.State["totp"].(map[string]any)["provisionUrl"].(string)
		r, err = e.Next(ctx, flow.NextRequest{ExecutionID: r.ExecutionID, StepID: r.StepID, InteractionID: "oneTimeCodeId",
			Input: map[string]any{"code": totpCode(t, uri, clock.Now(), 0)}})
		if err != nil || r.Status != flow.StatusCompleted || r.Session == nil || r.Session.User.LoginID != login || !r.Session.FirstSeen {
			t.Fatalf("%s: next: %v %+v", cfg.Label(), err, r)
		}
	}
}
