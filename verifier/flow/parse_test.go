package flow

import (
	"errors"
	"strings"
	"testing"
)

func TestBuiltinsParse(t *testing.T) {
	r, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(r.List()); got != len(BuiltinIDs) {
		t.Fatalf("%d built-ins, want %d", got, len(BuiltinIDs))
	}
	for _, id := range BuiltinIDs {
		f, err := r.Get(id)
		if err != nil || !f.Builtin || len(f.Tests) == 0 {
			t.Fatalf("%s: %v (tests %d)", id, err, len(f.Tests))
		}
	}
}

// TestFixedNames holds the built-ins to the names the outside world relies on.
func TestFixedNames(t *testing.T) {
	r := MustBuiltins()
	for _, id := range []string{"sign-up-or-in-totp", "sign-in-totp"} {
		f, _ := r.Get(id)
		s := f.Steps["identify"]
		if s == nil || !hasInput(s, "loginId") || s.Next["continue"] == "" {
			t.Errorf("%s: the first screen must take input loginId with interaction continue", id)
		}
		if c := f.Steps["code"]; c == nil || !hasInput(c, "code") || c.Next["oneTimeCodeId"] == "" {
			t.Errorf("%s: the code screen must take input code with interaction oneTimeCodeId", id)
		}
	}
	for _, id := range []string{"sign-up-or-in-totp", "update-user-totp"} {
		f, _ := r.Get(id)
		e := f.Steps["enroll"]
		if e == nil || !hasInput(e, "code") || e.Next["oneTimeCodeId"] == "" || !hasNode(e, NodeTOTP) {
			t.Errorf("%s: the enrol screen must have a totp node, input code and interaction oneTimeCodeId", id)
		}
	}
}

func hasInput(s *Step, name string) bool {
	for _, n := range s.Screen.Nodes {
		if n.Type == NodeInput && n.Name == name {
			return true
		}
	}
	return false
}

func hasNode(s *Step, typ string) bool {
	for _, n := range s.Screen.Nodes {
		if n.Type == typ {
			return true
		}
	}
	return false
}

func TestParseErrorsHavePositions(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"yaml syntax", "version: 1\nid: x\nsteps: [\n", "bad.yaml:3:1: not valid YAML or JSON"},
		{"schema: unknown key", "version: 1\nid: x\nsteps:\n  a:\n    end: {}\n    colour: red\n", "bad.yaml:6:5: steps.a: additional properties 'colour' not allowed"},
		{"schema: bad policy", "version: 1\nid: x\nsteps:\n  a:\n    action: totp.signIn\n    with: {loginId: form.x, code: form.y}\n    onError: explode\n    next: {success: b}\n  b: {end: {}}\n", "bad.yaml:7:14:"},
		{"schema: wrong version", "version: 2\nid: x\nsteps: {a: {end: {}}}\n", "bad.yaml:1:10: version: value must be 1"},
		{"two kinds", "version: 1\nid: x\nsteps:\n  a:\n    end: {}\n    condition: [{else: a}]\n", `bad.yaml:4:3: step "a": want exactly one of`},
		{"missing step", "version: 1\nid: x\nsteps:\n  a:\n    condition:\n      - {when: 'true', goto: b}\n      - {else: a}\n", `bad.yaml:6:9: step "a": no step "b"`},
		{"bad expression", "version: 1\nid: x\nsteps:\n  a:\n    condition:\n      - {when: 'form.x ==', goto: a}\n      - {else: b}\n  b: {end: {}}\n", `bad.yaml:6:16: expression "form.x =="`},
		{"unknown variable", "version: 1\nid: x\nsteps:\n  a:\n    condition:\n      - {when: 'nope.x', goto: b}\n      - {else: b}\n  b: {end: {}}\n", `unknown variable "nope"`},
		{"submit without next", "version: 1\nid: x\nsteps:\n  a:\n    screen:\n      nodes:\n        - {type: submit, id: go}\n", `bad.yaml:7:30: step "a": submit "go" has no next step`},
		{"missing arg", "version: 1\nid: x\nsteps:\n  a:\n    action: totp.signIn\n    with: {loginId: form.x}\n    next: {success: b}\n  b: {end: {}}\n", `needs with.code`},
		{"branch without failure", "version: 1\nid: x\nsteps:\n  a:\n    action: totp.signIn\n    with: {loginId: form.x, code: form.y}\n    onError: branch\n    next: {success: b}\n  b: {end: {}}\n", `onError branch needs next.failure`},
		{"unreachable", "version: 1\nid: x\nsteps:\n  a: {end: {}}\n  b: {end: {}}\n", `bad.yaml:5:3: step "b" cannot be reached`},
		{"alias", "version: 1\nid: x\nsteps:\n  a: &e {end: {}}\n  b: *e\n", `aliases (*e) are not allowed`},
		{"duplicate key", "version: 1\nid: x\nid: y\nsteps: {a: {end: {}}}\n", `bad.yaml:3:1: duplicate key "id"`},
		{"reserved output", "version: 1\nid: x\nsteps:\n  a:\n    action: user.load\n    output: form\n    next: {success: b}\n  b: {end: {}}\n", `"form" is a reserved variable`},
		{"json", `{"version": 1, "id": "x", "steps": {"a": {"end": {}, "next": {}}}}`, `step "a": next does not belong in a end step`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.src))
			var fe FileErrors
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %v, want FileErrors", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error:\n%v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseJSONFlow(t *testing.T) {
	src := `{"version": 1, "id": "j", "steps": {"ask": {"screen": {"nodes": [{"type": "input", "name": "loginId"}, {"type": "submit", "id": "continue"}]}, "next": {"continue": "done"}}, "done": {"end": {"output": {"who": "form.loginId"}}}}}`
	f, err := Parse("j.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if f.Start != "ask" || f.Steps["done"].Kind != KindEnd {
		t.Fatalf("parsed %+v", f)
	}
}

func TestRegistryChecksSubFlowsAndIDs(t *testing.T) {
	r := MustBuiltins()
	sub, err := Parse("sub.yaml", []byte("version: 1\nid: outer\nsteps:\n  a:\n    flow: missing\n    next: {success: b}\n  b: {end: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Add(sub); err == nil || !strings.Contains(err.Error(), `sub.yaml:4:3: step "a": no flow "missing"`) {
		t.Fatalf("Add = %v", err)
	}
	dup, _ := Parse("dup.yaml", []byte("version: 1\nid: sign-in-totp\nsteps: {a: {end: {}}}\n"))
	if err := r.Add(dup); err == nil || !strings.Contains(err.Error(), "is taken by builtin/sign-in-totp.yaml") {
		t.Fatalf("Add of a built-in's id = %v", err)
	}
}
