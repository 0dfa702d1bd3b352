package flow_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/flow/execstore"
	"github.com/otpair/otpair/verifier/sqlite"
)

// t0 is 10 s into a 30 s step.
var t0 = time.Date(2026, 11, 28, 12, 0, 10, 0, time.UTC)

type env struct {
	e     *flow.Engine
	l     *verifier.Local
	clock *testclock.Clock
	st    execstore.Store
}

// newEnv is an engine over a Local on a real SQLite file; the executions live in a
// MemoryStore unless store is given.
func newEnv(t *testing.T, store execstore.Store) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := testclock.New(t0)
	l, err := verifier.NewLocal(context.Background(), db, verifier.LocalOptions{Clock: clock.Now, SeedKey: verifier.NewSeedKey(), SigningAlg: verifier.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if store == nil {
		store = execstore.NewMemoryStore()
	}
	e, err := flow.New(flow.Options{Backend: l, Store: store, StateKey: verifier.NewSeedKey(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{e: e, l: l, clock: clock, st: store}
}

func (v *env) start(t *testing.T, id string, input map[string]any) *flow.Response {
	t.Helper()
	r, err := v.e.Start(context.Background(), flow.StartRequest{FlowID: id, Input: input})
	if err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	return r
}

func (v *env) next(t *testing.T, r *flow.Response, interaction string, input map[string]any) *flow.Response {
	t.Helper()
	out, err := v.e.Next(context.Background(), flow.NextRequest{ExecutionID: r.ExecutionID, StepID: r.StepID, InteractionID: interaction, Input: input})
	if err != nil {
		t.Fatalf("next %s: %v", interaction, err)
	}
	return out
}

func keyOf(t *testing.T, r *flow.Response) provisioning.Key {
	t.Helper()
	tv, ok := r.Screen.State["totp"].(map[string]any)
	if !ok {
		t.Fatalf("screen %s has no state.totp: %v", r.Screen.ID, r.Screen.State)
	}
	img, _ := base64.StdEncoding.DecodeString(tv["image"].(string))
	if !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Fatalf("state.totp.image is not a base64 PNG")
	}
	k, err := provisioning.ParseURI(tv["provisionUrl"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if tv["key"] != k.SecretBase32() {
		t.Fatalf("state.totp.key is not the provisioning URL's secret")
	}
	return k
}

func code(t *testing.T, k provisioning.Key, at time.Time) string {
	t.Helper()
	c, err := k.Code(at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wrong(t *testing.T, k provisioning.Key, at time.Time) string {
	for _, c := range []string{"000000", "111111", "222222"} {
		if c != code(t, k, at.Add(-30*time.Second)) && c != code(t, k, at) && c != code(t, k, at.Add(30*time.Second)) {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func TestSignUpOrInEnrolsThenSignsIn(t *testing.T) {
	v := newEnv(t, nil)
	r := v.start(t, "sign-up-or-in-totp", map[string]any{"loginId": "alice@example.com"})
	if r.Status != flow.StatusWaiting || r.Screen.ID != "enroll" || r.StepID != "1" || r.StepName != "Verify TOTP" {
		t.Fatalf("start: %+v", r)
	}
	k := keyOf(t, r)
	bad := v.next(t, r, "oneTimeCodeId", map[string]any{"code": wrong(t, k, t0)})
	if bad.Status != flow.StatusWaiting || bad.Screen.ID != "enroll" || bad.Screen.State["errorType"] != flow.ErrTypeVerifyFailed ||
		bad.Screen.State["errorText"] == "" || bad.StepID != "2" {
		t.Fatalf("wrong code: %+v %v", bad, bad.Screen.State)
	}
	if keyOf(t, bad).SecretBase32() != k.SecretBase32() {
		t.Fatal("the enrol screen shown again has another key")
	}
	ok := v.next(t, bad, "oneTimeCodeId", map[string]any{"code": code(t, k, t0)})
	if ok.Status != flow.StatusCompleted || ok.Session == nil || !ok.Session.FirstSeen || ok.Output["loginId"] != "alice@example.com" {
		t.Fatalf("right code: %+v", ok)
	}
	if _, err := v.l.VerifySession(context.Background(), ok.Session.SessionJWT); err != nil {
		t.Fatal(err)
	}
	// The finished execution and its old steps take nothing more.
	for _, step := range []*flow.Response{r, bad} {
		_, err := v.e.Next(context.Background(), flow.NextRequest{ExecutionID: ok.ExecutionID, StepID: step.StepID, InteractionID: "oneTimeCodeId", Input: map[string]any{"code": code(t, k, t0)}})
		if !errors.Is(err, flow.ErrStaleStep) {
			t.Fatalf("next on step %s after the end: %v, want ErrStaleStep", step.StepID, err)
		}
	}
	// The user exists now: the code screen, and the same code again is refused.
	r2 := v.start(t, "sign-up-or-in-totp", map[string]any{"loginId": "alice@example.com"})
	if r2.Screen.ID != "code" {
		t.Fatalf("existing user: screen %s, want code", r2.Screen.ID)
	}
	replay := v.next(t, r2, "oneTimeCodeId", map[string]any{"code": code(t, k, t0)})
	if replay.Status != flow.StatusWaiting || replay.Screen.State["errorType"] != flow.ErrTypeVerifyFailed || !strings.Contains(replay.Screen.State["errorText"].(string), "already used") {
		t.Fatalf("replayed code: %+v %v", replay, replay.Screen.State)
	}
	v.clock.Add(30 * time.Second)
	done := v.next(t, replay, "oneTimeCodeId", map[string]any{"code": code(t, k, v.clock.Now())})
	if done.Status != flow.StatusCompleted || done.Session.FirstSeen {
		t.Fatalf("sign-in: %+v", done)
	}
}

func TestFirstScreenAsksForTheLoginID(t *testing.T) {
	v := newEnv(t, nil)
	r := v.start(t, "sign-in-totp", nil)
	if r.Screen.ID != "identify" {
		t.Fatalf("screen %s, want identify", r.Screen.ID)
	}
	missing := v.next(t, r, "continue", map[string]any{})
	if missing.Screen.ID != "identify" || missing.Screen.State["errorType"] != flow.ErrTypeBadInput {
		t.Fatalf("no login id: %+v", missing.Screen)
	}
	badInteraction := v.next(t, missing, "explode", nil)
	if badInteraction.Screen.ID != "identify" || badInteraction.Screen.State["errorType"] != flow.ErrTypeBadInput {
		t.Fatalf("unknown interaction: %+v", badInteraction.Screen)
	}
	c := v.next(t, badInteraction, "continue", map[string]any{"loginId": "x@example.com"})
	if c.Screen.ID != "code" {
		t.Fatalf("after continue: %s", c.Screen.ID)
	}
}

// TestSignInTellsNoStrangerWhoExists: an unknown login id and a user get the same
// screen, and the same error for a wrong code.
func TestSignInTellsNoStrangerWhoExists(t *testing.T) {
	v := newEnv(t, nil)
	su := v.start(t, "sign-up-or-in-totp", map[string]any{"loginId": "real@example.com"})
	k := keyOf(t, su)
	v.next(t, su, "oneTimeCodeId", map[string]any{"code": code(t, k, t0)})
	known := v.start(t, "sign-in-totp", map[string]any{"loginId": "real@example.com"})
	unknown := v.start(t, "sign-in-totp", map[string]any{"loginId": "ghost@example.com"})
	if known.Screen.ID != unknown.Screen.ID || known.StepName != unknown.StepName || len(known.Screen.Nodes) != len(unknown.Screen.Nodes) {
		t.Fatalf("screens differ: %+v vs %+v", known.Screen, unknown.Screen)
	}
	kb := v.next(t, known, "oneTimeCodeId", map[string]any{"code": wrong(t, k, t0)})
	ub := v.next(t, unknown, "oneTimeCodeId", map[string]any{"code": wrong(t, k, t0)})
	if kb.Screen.State["errorType"] != ub.Screen.State["errorType"] || kb.Screen.State["errorText"] != ub.Screen.State["errorText"] {
		t.Fatalf("errors differ: %v vs %v", kb.Screen.State, ub.Screen.State)
	}
}

func TestUnknownAndExpiredExecutions(t *testing.T) {
	v := newEnv(t, nil)
	_, err := v.e.Next(context.Background(), flow.NextRequest{ExecutionID: "EXnope", StepID: "1", InteractionID: "continue"})
	if !errors.Is(err, flow.ErrExecutionExpired) {
		t.Fatalf("unknown execution: %v", err)
	}
	if _, err := v.e.Next(context.Background(), flow.NextRequest{ExecutionID: "EX", StepID: "x", InteractionID: "c"}); !errors.Is(err, flow.ErrBadRequest) {
		t.Fatalf("bad step id: %v", err)
	}
	if _, err := v.e.Start(context.Background(), flow.StartRequest{FlowID: "nope"}); !errors.Is(err, flow.ErrUnknownFlow) {
		t.Fatalf("unknown flow: %v", err)
	}
	r := v.start(t, "sign-in-totp", nil)
	v.clock.Add(flow.DefaultTTL)
	_, err = v.e.Next(context.Background(), flow.NextRequest{ExecutionID: r.ExecutionID, StepID: r.StepID, InteractionID: "continue", Input: map[string]any{"loginId": "a@b.c"}})
	if !errors.Is(err, flow.ErrExecutionExpired) {
		t.Fatalf("expired execution: %v", err)
	}
	if n, err := v.e.Purge(context.Background()); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
}

func TestJourneyFailureBranchReadsTheErrorVariable(t *testing.T) {
	v := newEnv(t, nil)
	su := v.start(t, "sign-up-or-in-totp", map[string]any{"loginId": "j@example.com"})
	k := keyOf(t, su)
	v.next(t, su, "oneTimeCodeId", map[string]any{"code": code(t, k, t0)})
	r := v.start(t, "totp-authentication", nil)
	failed := v.next(t, r, "submit", map[string]any{"username": "j@example.com", "totp_code": wrong(t, k, t0)})
	if failed.Screen.ID != "rejected" || !strings.Contains(failed.Screen.Nodes[0].Text, "(TOTPVerifyFailed)") {
		t.Fatalf("failure branch: %+v", failed.Screen)
	}
	var branch bool
	for _, e := range failed.Trace {
		if e.Step == "authenticate" && e.Outcome == "branch TOTPVerifyFailed" && e.To == "rejected" && e.Err != nil {
			branch = true
		}
	}
	if !branch {
		t.Fatalf("trace without the failure branch: %+v", failed.Trace)
	}
	again := v.next(t, failed, "retry", nil)
	v.clock.Add(30 * time.Second)
	ok := v.next(t, again, "submit", map[string]any{"username": "j@example.com", "totp_code": code(t, k, v.clock.Now())})
	if ok.Status != flow.StatusCompleted || ok.Output["username"] != "j@example.com" {
		t.Fatalf("journey: %+v", ok)
	}
}

func TestUpdateAndDeleteSeedForTheSignedInUser(t *testing.T) {
	v := newEnv(t, nil)
	su := v.start(t, "sign-up-or-in-totp", map[string]any{"loginId": "u@example.com"})
	k := keyOf(t, su)
	in := v.next(t, su, "oneTimeCodeId", map[string]any{"code": code(t, k, t0)})
	refresh := in.Session.RefreshJWT

	anon := v.start(t, "update-user-totp", nil)
	if anon.Status != flow.StatusFailed || anon.Error.Type != flow.ErrTypeUnauthorized {
		t.Fatalf("update without a token: %+v", anon)
	}
	up, err := v.e.Start(context.Background(), flow.StartRequest{FlowID: "update-user-totp", RefreshJWT: refresh})
	if err != nil {
		t.Fatal(err)
	}
	k2 := keyOf(t, up)
	v.clock.Add(30 * time.Second)
	old := v.next(t, up, "oneTimeCodeId", map[string]any{"code": code(t, k, v.clock.Now())})
	if old.Status != flow.StatusWaiting || !strings.Contains(old.Screen.State["errorText"].(string), "old authenticator") {
		t.Fatalf("a code of the old seed confirmed the update: %+v", old)
	}
	v.clock.Add(30 * time.Second)
	done := v.next(t, old, "oneTimeCodeId", map[string]any{"code": code(t, k2, v.clock.Now())})
	if done.Status != flow.StatusCompleted {
		t.Fatalf("update: %+v", done)
	}
	del, err := v.e.Start(context.Background(), flow.StartRequest{FlowID: "delete-totp-seed", RefreshJWT: done.Session.RefreshJWT})
	if err != nil || del.Screen.ID != "confirm" || !strings.Contains(del.Screen.Title, "u@example.com") {
		t.Fatalf("delete: %+v %v", del, err)
	}
	v.clock.Add(30 * time.Second)
	gone := v.next(t, del, "oneTimeCodeId", map[string]any{"code": code(t, k2, v.clock.Now())})
	if gone.Status != flow.StatusCompleted || gone.Output["seedDeleted"] != true {
		t.Fatalf("delete: %+v", gone)
	}
	if u, _ := v.l.LoadUser(context.Background(), "u@example.com"); u.TOTP {
		t.Fatal("the seed is still there")
	}
}

// TestStateIsSealed: what the store keeps holds neither the enrolment's secret nor
// the login id.
func TestStateIsSealed(t *testing.T) {
	ms := &spyStore{Store: execstore.NewMemoryStore()}
	v := newEnv(t, ms)
	r := v.start(t, "sign-up-or-in-totp", map[string]any{"loginId": "sealed@example.com"})
	k := keyOf(t, r)
	for _, s := range ms.states {
		if bytes.Contains(s, []byte(k.SecretBase32())) || bytes.Contains(s, []byte("sealed@example.com")) {
			t.Fatal("the stored state holds the secret or the login id in plain text")
		}
		if len(s) > 1024 {
			t.Errorf("the stored state is %d bytes: keep it compact (no images)", len(s))
		}
	}
}

type spyStore struct {
	execstore.Store
	states [][]byte
}

func (s *spyStore) CreateExecution(ctx context.Context, id string, state []byte, exp, now time.Time) error {
	s.states = append(s.states, state)
	return s.Store.CreateExecution(ctx, id, state, exp, now)
}

// TestConcurrentNextAdvancesOnce: 100 calls for one step, one advances.
func TestConcurrentNextAdvancesOnce(t *testing.T) {
	v := newEnv(t, nil)
	r := v.start(t, "sign-in-totp", nil)
	var won, stale atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.e.Next(context.Background(), flow.NextRequest{ExecutionID: r.ExecutionID, StepID: r.StepID, InteractionID: "continue", Input: map[string]any{"loginId": "x@example.com"}})
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, flow.ErrStaleStep):
				stale.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || stale.Load() != 99 {
		t.Fatalf("%d advanced, %d refused", won.Load(), stale.Load())
	}
}

// TestBuiltinTestCases runs the test cases the built-in files carry, as `otpair flow
// test` does against its throwaway backend.
func TestBuiltinTestCases(t *testing.T) {
	v := newEnv(t, nil)
	tr := flow.NewTester(v.e, flow.TestOptions{Now: v.clock.Now, Advance: v.clock.Add})
	for _, f := range v.e.Flows().List() {
		for _, res := range tr.Run(context.Background(), f) {
			if res.Err != nil {
				t.Errorf("%s: %s: %v", f.ID, res.Name, res.Err)
			}
		}
	}
}
