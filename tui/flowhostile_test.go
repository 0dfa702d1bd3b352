package tui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/safetext/safetexttest"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
)

// hostileFlows is a FlowEngine, on a "server", that hands h back in every string a
// flow file or a server controls: the flow's id, name, description, file and step ids,
// the screen's title, nodes and state, the trace, the error, the session and the
// output. Start answers a screen, the first Next a refusal, the second a failed end,
// the third a completed one.
type hostileFlows struct {
	h    string
	reg  *flow.Registry
	next int
}

func (e *hostileFlows) Flows() *flow.Registry { return e.reg }
func (e *hostileFlows) Server() string        { return e.h }

func (e *hostileFlows) Start(context.Context, flow.StartRequest) (*flow.Response, error) {
	h := e.h
	return &flow.Response{ExecutionID: h, StepID: "1", StepName: h, Status: flow.StatusWaiting,
		Screen: &flow.ScreenView{ID: h, Title: h, State: map[string]any{"errorText": h, "errorType": h, "form": map[string]any{h: h}}, Nodes: []flow.NodeView{
			{Type: flow.NodeText, Text: h}, {Type: flow.NodeLink, Label: h, Href: h}, {Type: flow.NodeImage, Label: h, Src: h},
			{Type: flow.NodeTOTP, Label: h, TOTP: &flow.TOTPView{ProvisionURL: "otpauth://totp/" + h, Key: h}},
			{Type: flow.NodeInput, Name: "code", Label: h, Format: "otp"}, {Type: flow.NodeInput, Name: h, Label: h},
			{Type: flow.NodeSubmit, ID: h, Label: h}}},
		Trace: []flow.TraceEntry{{Flow: h, Step: h, Kind: flow.KindAction, Outcome: h, To: h, Err: &flow.StepError{Type: h, Text: h, Code: h, Step: h}},
			{Step: h, Kind: flow.KindScreen, Outcome: h, Err: &flow.StepError{Type: h, Text: h}}}}, nil
}

func (e *hostileFlows) Next(context.Context, flow.NextRequest) (*flow.Response, error) {
	h := e.h
	e.next++
	switch e.next {
	case 1:
		return nil, errors.New("flow next: " + h)
	case 2:
		return &flow.Response{ExecutionID: h, Status: flow.StatusFailed, Error: &flow.StepError{Type: h, Text: h, Code: h},
			Trace: []flow.TraceEntry{{Step: h, Outcome: "abort", Err: &flow.StepError{Type: h, Text: h}}}}, nil
	}
	return &flow.Response{ExecutionID: h, Status: flow.StatusCompleted, Output: map[string]any{h: h},
		Session: &verifier.Session{RefreshJWT: "r", SessionClaims: verifier.Claims{Subject: h}, User: verifier.User{LoginID: h}}}, nil
}

// flowTour runs the hostile flow through the keys a user presses, calling check with
// each View: the picker, the screen (its QR code full screen too), a refused call, a
// failed end and a completed one.
func flowTour(t testing.TB, h string, check func(what, view string)) {
	reg := flow.MustBuiltins()
	if err := reg.Add(&flow.Flow{ID: "~" + h, Name: h, Description: h, File: h, Start: h, Order: []string{h},
		Steps: map[string]*flow.Step{h: {ID: h, Kind: flow.KindScreen}}}); err != nil {
		t.Skipf("the registry refuses the flow: %v", err)
	}
	store := newFakeStore()
	a := testApp(t, store, flowFake{fakeVerifier: &fakeVerifier{}, engine: &hostileFlows{h: h, reg: reg}}, 120, 40)
	a = openFlows(t, a)
	a = flowPress(t, a, "up", "end", "down", "down", "down", "down", "down")
	check("flow picker", a.View())
	a = flowPress(t, a, "enter")
	check("flow screen", a.View())
	a = flowPress(t, a, "z")
	check("flow QR overlay", a.View())
	a = flowPress(t, a, "esc", "tab", "tab")
	a = flowPress(t, typeText(t, a, "123456"), "tab")
	a = flowPress(t, typeText(t, a, "x"), "enter")
	check("flow refused", a.View())
	a = flowPress(t, a, "enter")
	check("flow failed", a.View())
	a = flowPress(t, a, "enter", "enter", "tab", "tab", "tab")
	a = flowPress(t, typeText(t, a, "x"), "enter")
	check("flow completed", a.View())
}

// FuzzFlowViewShowsNoControls renders arbitrary text as every field of a flow and of
// a server's answers, and fails if any character a terminal acts on reaches a View.
func FuzzFlowViewShowsNoControls(f *testing.F) {
	for _, s := range []string{"journey", hostileOSC52, hostileOSC0, hostileCSI, hostileBidi, hostileZW, "a\r\nb\tc\x00", "\xff\xfe", strings.Repeat("w", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if h == "" {
			return // a step needs an id
		}
		flowTour(t, h, func(what, view string) {
			if bad := safetexttest.Find(withoutQRInk(view)); bad != "" {
				t.Fatalf("%s: text %q puts %s on the screen:\n%s", what, h, bad, view)
			}
		})
	})
}

// TestHostileFlowTextIsShownEscaped: the flow's text is on the screens, escaped, not
// dropped.
func TestHostileFlowTextIsShownEscaped(t *testing.T) {
	seen := map[string]bool{}
	flowTour(t, hostileOSC0, func(what, view string) {
		if bad := safetexttest.Find(withoutQRInk(view)); bad != "" {
			t.Errorf("%s: the screen holds %s:\n%s", what, bad, view)
		}
		seen[what] = strings.Contains(view, `\x1b]0;pwned\a`)
	})
	for _, what := range []string{"flow picker", "flow screen", "flow refused", "flow failed", "flow completed"} {
		if !seen[what] {
			t.Errorf("%s: the escaped text is not shown", what)
		}
	}
}
