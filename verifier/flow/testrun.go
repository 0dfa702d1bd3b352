package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// TestOptions configure a Tester.
type TestOptions struct {
	// Now is the clock codes are computed at: the backend's.
	Now func() time.Time
	// Advance moves the backend's clock on (a throwaway local backend's), so that a
	// second code of one user comes from a later step. Without it (and not Frozen)
	// the tester waits for the next step in real time.
	Advance func(time.Duration)
	// Frozen says the backend's clock stands still at Now (otpair serve
	// --frozen-clock): a user's codes then come from the steps of the verifier's
	// window around it, oldest first (-1, 0, +1), with no wait; a test that needs
	// more codes of one user than the window holds fails, saying so.
	Frozen bool
	// RunID makes loginId('x') unique to this run ("x-<RunID>@example.test"), so
	// that runs against a shared backend do not collide.
	RunID string
}

// TestResult is the outcome of one test case.
type TestResult struct {
	File, Flow, Name string
	Pos              Pos
	Err              error // nil: passed
	Duration         time.Duration
}

// Tester runs the test cases of flow files against an engine, computing codes from
// the enrolments it receives. It keeps what it learned (keys, sessions) across the
// cases and files it runs, in order, so a case can sign in a user an earlier one
// enrolled.
type Tester struct {
	e        *Engine
	opts     TestOptions
	keys     map[string]provisioning.Key // by login id
	lastKey  *provisioning.Key
	lastStep map[string]uint64 // the last step a code of a login id was used at
	sessions map[string]string // refresh tokens by login id
	lastSess string
	// lastLogin is the login id the last case was about: a case that names none
	// (a signed-in flow) is about it too.
	lastLogin string
}

// NewTester returns a Tester on e.
func NewTester(e *Engine, opts TestOptions) *Tester {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Tester{e: e, opts: opts, keys: map[string]provisioning.Key{}, lastStep: map[string]uint64{}, sessions: map[string]string{}}
}

// Run runs every test case of f, in order.
func (t *Tester) Run(ctx context.Context, f *Flow) []TestResult {
	var out []TestResult
	for _, tc := range f.Tests {
		start := time.Now()
		err := t.runCase(ctx, f, tc)
		out = append(out, TestResult{File: f.File, Flow: f.ID, Name: tc.Name, Pos: tc.Pos, Err: err, Duration: time.Since(start)})
	}
	return out
}

// testRun is one case's variables: the login id it is about and the code functions.
type testRun struct {
	t     *Tester
	login string
}

func (t *Tester) runCase(ctx context.Context, f *Flow, tc TestCase) error {
	r := &testRun{t: t, login: t.lastLogin}
	input, err := r.inputs(tc.Input)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	id := f.ID
	if tc.Flow != "" {
		id = tc.Flow
	}
	req := StartRequest{FlowID: id, Input: input}
	if tc.SignedIn {
		req.RefreshJWT = t.sessions[r.login]
		if req.RefreshJWT == "" {
			req.RefreshJWT = t.lastSess
		}
		if req.RefreshJWT == "" {
			return fmt.Errorf("signedIn: no earlier test of this run signed in")
		}
	}
	resp, err := t.e.Start(ctx, req)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	r.learn(resp)
	if err := check(resp, tc.Expect); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	for i, st := range tc.Steps {
		if resp.Status != StatusWaiting {
			return fmt.Errorf("step %d (line %d): the execution is %s, not waiting for %s", i+1, st.Pos.Line, resp.Status, st.Interact)
		}
		in, err := r.inputs(st.Input)
		if err != nil {
			return fmt.Errorf("step %d (line %d): input: %w", i+1, st.Pos.Line, err)
		}
		resp, err = t.e.Next(ctx, NextRequest{ExecutionID: resp.ExecutionID, StepID: resp.StepID, InteractionID: st.Interact, Input: in, RefreshJWT: req.RefreshJWT})
		if err != nil {
			return fmt.Errorf("step %d (line %d): %w", i+1, st.Pos.Line, err)
		}
		r.learn(resp)
		if err := check(resp, st.Expect); err != nil {
			return fmt.Errorf("step %d (line %d): %w", i+1, st.Pos.Line, err)
		}
	}
	return nil
}

// learn keeps the enrolment and session a response carries.
func (r *testRun) learn(resp *Response) {
	if resp.Screen != nil {
		if tv, ok := resp.Screen.State["totp"].(map[string]any); ok {
			if url, _ := tv["provisionUrl"].(string); url != "" {
				if k, err := provisioning.ParseURI(url); err == nil {
					r.t.keys[r.login] = k
					r.t.lastKey = &k
				}
			}
		}
	}
	if resp.Session != nil {
		login := resp.Session.User.LoginID
		if login == "" {
			login = r.login
		}
		r.t.sessions[login] = resp.Session.RefreshJWT
		r.t.lastSess = resp.Session.RefreshJWT
	}
}

// inputs renders a step's input templates with the test functions.
func (r *testRun) inputs(in map[string]*Template) (map[string]any, error) {
	vars := map[string]any{
		"loginId":   func(name string) string { return r.loginID(name) },
		"totp":      func(steps ...int) (string, error) { return r.code(steps...) },
		"wrongCode": func() (string, error) { return r.wrong() },
	}
	out := map[string]any{}
	// The login id first: the code functions are about it.
	for _, k := range []string{"loginId", "username"} {
		if t, ok := in[k]; ok {
			v, err := t.render(vars)
			if err != nil {
				return nil, err
			}
			out[k], r.login, r.t.lastLogin = v, v, v
		}
	}
	for k, t := range in {
		if _, done := out[k]; done {
			continue
		}
		v, err := t.render(vars)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (r *testRun) loginID(name string) string {
	if r.t.opts.RunID == "" {
		return name + "@example.test"
	}
	return name + "-" + r.t.opts.RunID + "@example.test"
}

func (r *testRun) key() (provisioning.Key, error) {
	if k, ok := r.t.keys[r.login]; ok {
		return k, nil
	}
	if r.t.lastKey != nil {
		return *r.t.lastKey, nil
	}
	return provisioning.Key{}, fmt.Errorf("totp(): no enrolment received yet")
}

// code is the code of the login id's key, at a step after the last one used for it:
// the clock is advanced (or waited for) when the current step was used already.
func (r *testRun) code(steps ...int) (string, error) {
	k, err := r.key()
	if err != nil {
		return "", err
	}
	off := 0
	if len(steps) > 0 {
		off = steps[0]
	}
	if r.t.opts.Frozen {
		return r.frozenCode(k, off)
	}
	step := k.Step(r.t.opts.Now())
	if last, ok := r.t.lastStep[r.login]; ok && step <= last && off == 0 {
		d := time.Duration(k.Period) * time.Second
		if r.t.opts.Advance != nil {
			r.t.opts.Advance(d)
		} else {
			next := time.Unix(int64(last+1)*int64(k.Period), 0)
			time.Sleep(time.Until(next) + 100*time.Millisecond)
		}
		step = k.Step(r.t.opts.Now())
	}
	s := uint64(int64(step) + int64(off))
	r.t.lastStep[r.login] = s
	return k.StepCode(s)
}

// frozenWindow is how many steps either side of its clock a backend accepts: the
// verifier's default window, which otpair serve --frozen-clock keeps.
const frozenWindow = 1

// frozenCode is code for a backend whose clock stands still: each code of a login id
// comes from the next step of the window around that clock, from its oldest on, so
// the verifier's replay guard (a step after the last one used) accepts it. totp(n)
// is the step n after the frozen one, as asked.
func (r *testRun) frozenCode(k provisioning.Key, off int) (string, error) {
	base := int64(k.Step(r.t.opts.Now()))
	s := base - frozenWindow
	if off != 0 {
		s = base + int64(off)
	} else if last, ok := r.t.lastStep[r.login]; ok && int64(last) >= s {
		s = int64(last) + 1
	}
	if s > base+frozenWindow && off == 0 {
		return "", fmt.Errorf("totp(): the backend's clock is frozen, and %s has used every step of its window: %d codes of one user at most",
			r.login, 2*frozenWindow+1)
	}
	r.t.lastStep[r.login] = uint64(s)
	return k.StepCode(uint64(s))
}

func (r *testRun) wrong() (string, error) {
	k, err := r.key()
	if err != nil {
		return "000000", nil
	}
	now := k.Step(r.t.opts.Now())
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		bad := true
		for s := now - 2; s <= now+2; s++ {
			if good, _ := k.StepCode(s); good == c {
				bad = false
			}
		}
		if bad {
			return c, nil
		}
	}
	return "", fmt.Errorf("wrongCode(): no wrong code found")
}

// check compares a response with what a test expects.
func check(resp *Response, want *Expect) error {
	if want == nil {
		return nil
	}
	if want.Status != "" && string(resp.Status) != want.Status {
		return fmt.Errorf("status %s, want %s%s", resp.Status, want.Status, errorNote(resp))
	}
	if want.Screen != "" {
		got := ""
		if resp.Screen != nil {
			got = resp.Screen.ID
		}
		if got != want.Screen {
			return fmt.Errorf("screen %q, want %q%s", got, want.Screen, errorNote(resp))
		}
	}
	if want.ErrorType != "" {
		got := ""
		if resp.Error != nil {
			got = resp.Error.Type
		}
		if got != want.ErrorType {
			return fmt.Errorf("error type %q, want %q%s", got, want.ErrorType, errorNote(resp))
		}
	}
	if want.FirstSeen != nil {
		if resp.Session == nil || resp.Session.FirstSeen != *want.FirstSeen {
			return fmt.Errorf("firstSeen is not %v", *want.FirstSeen)
		}
	}
	for k, v := range want.Output {
		if !sameJSON(resp.Output[k], v) {
			return fmt.Errorf("output.%s = %v, want %v", k, resp.Output[k], v)
		}
	}
	return nil
}

func errorNote(resp *Response) string {
	if resp.Error == nil {
		return ""
	}
	return fmt.Sprintf(" (error %s: %s)", resp.Error.Type, resp.Error.Text)
}

// sameJSON compares two values as their JSON forms (1 and 1.0, "a" and "a").
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return reflect.DeepEqual(a, b)
	}
	var va, vb any
	json.Unmarshal(ja, &va)
	json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}
