package flow_test

import (
	"context"
	"strings"
	"testing"

	"github.com/otpair/otpair/verifier/flow"
)

// TestBuiltinTestCasesOnAFrozenClock runs the built-ins' test cases against a backend
// whose clock never moves, as otpair serve --frozen-clock's: a user's second code
// comes from the next step of the window, with no wait (waiting would not help: the
// backend's step stays the same, and the same step's code is a replay).
func TestBuiltinTestCasesOnAFrozenClock(t *testing.T) {
	v := newEnv(t, nil)
	tr := flow.NewTester(v.e, flow.TestOptions{Now: v.clock.Now, Frozen: true, RunID: "frozen"})
	for _, f := range v.e.Flows().List() {
		for _, res := range tr.Run(context.Background(), f) {
			if res.Err != nil {
				t.Errorf("%s: %s: %v", f.ID, res.Name, res.Err)
			}
		}
	}
	if !v.clock.Now().Equal(t0) {
		t.Fatalf("the backend's clock moved to %v", v.clock.Now())
	}
}

// TestFrozenClockWindowRunsOut: three codes of one user fit the window of a frozen
// clock (steps -1, 0 and +1, each signing in), and a fourth is refused by the tester
// itself, saying why, rather than sent as a replay.
func TestFrozenClockWindowRunsOut(t *testing.T) {
	v := newEnv(t, nil)
	signIn := func(name string) string {
		return `
  - name: ` + name + `
    flow: sign-in-totp
    input: {loginId: "{{ loginId('gus') }}"}
    steps:
      - {interact: oneTimeCodeId, input: {code: "{{ totp() }}"}, expect: {status: completed}}`
	}
	src := `version: 1
id: four-codes
steps:
  done: {end: {}}
tests:
  - name: enrol
    flow: sign-up-or-in-totp
    input: {loginId: "{{ loginId('gus') }}"}
    steps:
      - {interact: oneTimeCodeId, input: {code: "{{ totp() }}"}, expect: {status: completed, firstSeen: true}}` +
		signIn("second") + signIn("third") + signIn("fourth") + "\n"
	f, err := flow.Parse("four-codes.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.e.Flows().Add(f); err != nil {
		t.Fatal(err)
	}
	res := flow.NewTester(v.e, flow.TestOptions{Now: v.clock.Now, Frozen: true}).Run(context.Background(), f)
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	for _, r := range res[:3] {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Name, r.Err)
		}
	}
	if res[3].Err == nil || !strings.Contains(res[3].Err.Error(), "used every step of its window") {
		t.Fatalf("the fourth code: %v", res[3].Err)
	}
}
