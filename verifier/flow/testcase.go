package flow

import (
	yaml "go.yaml.in/yaml/v3"
)

// TestCase is one test in a flow file: start a flow (this one unless Flow names
// another) with Input, check Expect, then submit each step and check what comes back.
// `otpair flow test` runs them (RunTests).
type TestCase struct {
	Name     string
	Pos      Pos
	Flow     string               // the flow to start; "" for the file's own
	Input    map[string]*Template // the start's input
	SignedIn bool                 // send the refresh token of the last session of the same login id
	Expect   *Expect              // checked against the start's response
	Steps    []TestStep
}

// TestStep is one submission of a test: the interaction, its input, and what the
// response must be.
type TestStep struct {
	Pos      Pos
	Interact string
	Input    map[string]*Template
	Expect   *Expect
}

// Expect is what a response must show; empty fields are not checked.
type Expect struct {
	Status    string         // waiting, completed or failed
	Screen    string         // the screen the execution waits on
	ErrorType string         // screen.state.errorType (or the failed execution's error type)
	Output    map[string]any // members the output must have, with these values
	FirstSeen *bool          // authInfo.firstSeen
}

// Functions test inputs may call, as {{ totp() }}: the code of the enrolment the test
// run last received for the login id (totp(1) one step later), and a code that is
// certainly wrong for it.
var testFuncs = []string{"totp", "wrongCode", "loginId"}

func (p *parser) tests(n *yaml.Node, f *Flow) []TestCase {
	if n == nil {
		return nil
	}
	known := map[string]bool{VarForm: true}
	for _, fn := range testFuncs {
		known[fn] = true
	}
	inputs := func(n *yaml.Node) map[string]*Template {
		if n == nil {
			return nil
		}
		m := map[string]*Template{}
		for _, kv := range pairs(n) {
			t, err := compileTemplate(kv[1].Value, pos(kv[1]), known)
			if err != nil {
				p.errorf(kv[1], "%v", err)
				continue
			}
			m[kv[0].Value] = t
		}
		return m
	}
	var out []TestCase
	for _, tn := range n.Content {
		tc := TestCase{Name: str(get(tn, "name")), Pos: pos(tn), Flow: str(get(tn, "flow")), Input: inputs(get(tn, "input")),
			SignedIn: str(get(tn, "signedIn")) == "true", Expect: p.expect(get(tn, "expect"), f, tc0(tn))}
		if sn := get(tn, "steps"); sn != nil {
			for _, st := range sn.Content {
				tc.Steps = append(tc.Steps, TestStep{Pos: pos(st), Interact: str(get(st, "interact")), Input: inputs(get(st, "input")),
					Expect: p.expect(get(st, "expect"), f, tc0(tn))})
			}
		}
		out = append(out, tc)
	}
	return out
}

// tc0 is the flow a test runs, as written ("" for the file's own).
func tc0(tn *yaml.Node) string { return str(get(tn, "flow")) }

func (p *parser) expect(n *yaml.Node, f *Flow, flowID string) *Expect {
	if n == nil {
		return nil
	}
	e := &Expect{Status: str(get(n, "status")), Screen: str(get(n, "screen")), ErrorType: str(get(n, "errorType"))}
	if fs := get(n, "firstSeen"); fs != nil {
		b := fs.Value == "true"
		e.FirstSeen = &b
	}
	if on := get(n, "output"); on != nil {
		if m, ok := p.plain(on).(map[string]any); ok {
			e.Output = m
		}
	}
	if e.Screen != "" && (flowID == "" || flowID == f.ID) {
		if s := f.Steps[e.Screen]; s == nil || s.Kind != KindScreen {
			p.errorf(get(n, "screen"), "expect.screen: %q is no screen of this flow", e.Screen)
		}
	}
	return e
}
