package tui

import (
	"context"
	"errors"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/verifier/flow"
)

// FlowEngine runs flows for the flow view: verifier/flow's Engine in this process
// over the local backend, or a server's /v1/flow/start and /v1/flow/next
// (httpapi.RemoteFlows). Flows gives the graphs the view draws. An in-process engine
// answers with every step it ran (the trace); a server only with the screen an
// execution waits on and the error it shows. Start and Next run inside commands.
type FlowEngine interface {
	Flows() *flow.Registry
	Start(ctx context.Context, req flow.StartRequest) (*flow.Response, error)
	Next(ctx context.Context, req flow.NextRequest) (*flow.Response, error)
}

var _ FlowEngine = (*flow.Engine)(nil)

// flowServer is a FlowEngine whose executions run on a server, which shows its
// screens, not the steps between them: the view says so under the steps.
type flowServer interface {
	Server() string
}

// FlowRunner is a Verifier that runs flows over itself. The verifier pane offers flows
// (f) only on such a backend.
type FlowRunner interface {
	FlowEngine() FlowEngine
}

// flowPhase is where the flow view is.
type flowPhase int

const (
	flowPicking flowPhase = iota // choosing a flow
	flowRunning                  // an execution waits on a screen, or its start is in flight
	flowEnded                    // completed or failed
)

// String implements fmt.Stringer.
func (p flowPhase) String() string { return [...]string{"picking", "running", "ended"}[p] }

// stepMark is what the view knows of one step of the running execution: whether it
// ran (and how it went) and where it went last.
type stepMark struct {
	ran     bool
	failed  bool   // its last run ended in an error: the error policy chose what followed
	outcome string // the interaction, success, "error T", "branch T", goto, end…
	to      string
}

// FlowView runs a flow in the verifier pane: a list of flows to pick from, then the
// execution's steps (the current one and the branches taken marked) and its screen as
// a form, until it completes or fails. Every engine call runs in a command and
// answers a flowStepMsg with the view's reqID; an older answer is dropped.
type FlowView struct {
	common  Common
	keys    FlowKeyMap
	engine  FlowEngine
	qrDraw  QRRenderer
	refresh string // the pane's session at the start: update and delete flows act for it
	flows   []*flow.Flow
	cursor  int
	focused bool

	phase   flowPhase
	flow    *flow.Flow // the flow picked
	reqID   int
	busy    bool
	spinner spinner.Model
	resp    *flow.Response // the last answer
	form    *flowForm      // the screen the execution waits on
	qr      string         // its enrolment's QR code, drawn in the command
	qrErr   error
	marks   map[string]stepMark // by flow id and step id
	inFlow  string              // the flow (or sub-flow) the execution is in
	err     error               // a call the engine refused (expired execution, unreachable server)
	overlay *overlay
	closed  bool
}

// NewFlowView lists the engine's flows to pick from. refresh is the signed-in
// session's refresh token, if any.
func NewFlowView(c Common, engine FlowEngine, qr QRRenderer, refresh string) FlowView {
	v := FlowView{common: c, keys: DefaultFlowKeyMap(), engine: engine, qrDraw: qr, refresh: refresh,
		flows: engine.Flows().List()}
	v.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Pending))
	return v
}

// SetSize implements the pane contract: the verifier pane's inner size.
func (v *FlowView) SetSize(w, h int) {
	v.common.Width, v.common.Height = w, h
	if v.form != nil {
		v.form.setWidth(w)
	}
}

// Focus gives the view the keyboard.
func (v *FlowView) Focus() {
	v.focused = true
	if v.form != nil {
		v.form.focusOn(v.form.focus)
	}
}

// Blur takes the keyboard away.
func (v *FlowView) Blur() {
	v.focused = false
	if v.form != nil {
		v.form.blur()
	}
}

// Focused reports whether the view has the keyboard.
func (v FlowView) Focused() bool { return v.focused }

// Typing reports whether a screen is shown: tab then moves between its fields and
// buttons, and q is a letter, so the root leaves both alone.
func (v FlowView) Typing() bool { return v.phase == flowRunning && v.form != nil }

// Busy reports whether an engine call is in flight.
func (v FlowView) Busy() bool { return v.busy }

// Closed reports whether the user left the flow (esc).
func (v FlowView) Closed() bool { return v.closed }

// Overlay is the enrolment's QR code full screen, when asked for (z).
func (v FlowView) Overlay() *overlay { return v.overlay }

// QRFocused reports whether the screen's QR code has the focus, so that e enrols it.
func (v FlowView) QRFocused() bool {
	if !v.Typing() {
		return false
	}
	c, ok := v.form.focused()
	return ok && c.kind == ctlQR
}

// EnrolURI is the provisioning URI of the enrolment on screen, for the root to hand
// to the authenticator pane.
func (v FlowView) EnrolURI() (string, bool) {
	if v.form == nil {
		return "", false
	}
	tv, ok := v.form.qrNode()
	if !ok {
		return "", false
	}
	return tv.ProvisionURL, true
}

// FillLoginID is the login id whose code ctrl+f should fill ("" for the
// authenticator's selected account); ok is false when the screen takes no code.
func (v FlowView) FillLoginID() (string, bool) {
	if !v.Typing() {
		return "", false
	}
	if _, ok := v.form.codeControl(); !ok {
		return "", false
	}
	return v.form.loginID(), true
}

// FillCode puts a code from the authenticator into the screen's code input; label
// names the account it came from, and the screen says so.
func (v *FlowView) FillCode(code, label string) {
	if v.Typing() {
		v.form.setCode(code, label)
	}
}

// LastError is the error the view shows, for the root's full view of it (!): a check
// of the screen's form or a fill, a call the engine refused, the error the screen
// shows, or why the execution failed.
func (v FlowView) LastError() error {
	switch {
	case v.form != nil && v.form.err != nil:
		return v.form.err
	case v.err != nil:
		return v.err
	case v.resp == nil:
		return nil
	case v.phase == flowEnded && v.resp.Status == flow.StatusFailed && v.resp.Error != nil:
		return errors.New(v.resp.Error.Text + " (" + v.resp.Error.Type + ")")
	case v.form != nil:
		if t, _ := v.form.screen.State["errorText"].(string); t != "" {
			typ, _ := v.form.screen.State["errorType"].(string)
			return errors.New(t + " (" + typ + ")")
		}
	}
	return nil
}

// FillFailed says on the screen why ctrl+f filled nothing.
func (v *FlowView) FillFailed(err error) {
	if v.form != nil {
		v.form.err = err
	}
}

// Update handles the view's keys and spinner; the pane hands it the engine's answers
// through Result.
func (v FlowView) Update(msg tea.Msg) (FlowView, tea.Cmd) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !v.busy || msg.ID != v.spinner.ID() {
			return v, nil
		}
		var cmd tea.Cmd
		v.spinner, cmd = v.spinner.Update(msg)
		return v, cmd
	case tea.KeyMsg:
		return v.handleKey(msg)
	}
	return v, nil
}

func (v FlowView) handleKey(msg tea.KeyMsg) (FlowView, tea.Cmd) {
	k := v.keys
	if v.overlay != nil {
		if key.Matches(msg, k.Close) {
			v.overlay = nil
		}
		return v, nil
	}
	if key.Matches(msg, k.Close) {
		v.closed = true
		return v, nil
	}
	switch v.phase {
	case flowPicking:
		switch {
		case key.Matches(msg, k.Up):
			v.cursor = max(0, v.cursor-1)
		case key.Matches(msg, k.Down):
			v.cursor = min(len(v.flows)-1, v.cursor+1)
		case key.Matches(msg, k.Start) && len(v.flows) > 0:
			return v, v.start(v.flows[v.cursor])
		}
	case flowEnded:
		switch {
		case key.Matches(msg, k.Again):
			return v, v.start(v.flow)
		case key.Matches(msg, k.Pick):
			v.phase, v.resp, v.err = flowPicking, nil, nil
		}
	case flowRunning:
		if v.form == nil {
			return v, nil // the start is in flight
		}
		c, _ := v.form.focused()
		switch {
		case key.Matches(msg, k.Submit):
			return v, v.submit()
		case key.Matches(msg, k.ZoomQR) && c.kind == ctlQR:
			v.overlay = &overlay{title: "Scan to enrol", body: v.qr, hint: "esc closes · this QR holds the secret"}
			if v.qr == "" {
				v.overlay = nil
			}
			return v, nil
		}
		return v, v.form.update(msg, k.NextField, k.PrevField)
	}
	return v, nil
}

// start starts an execution of f; the pane's session, if any, goes with it.
func (v *FlowView) start(f *flow.Flow) tea.Cmd {
	v.phase, v.flow, v.resp, v.form, v.qr, v.qrErr, v.err = flowRunning, f, nil, nil, "", nil, nil
	v.marks, v.inFlow = map[string]stepMark{}, f.ID
	e, req := v.engine, flow.StartRequest{FlowID: f.ID, RefreshJWT: v.refresh}
	id := v.nextReq()
	return tea.Batch(v.spinner.Tick, flowCmd(id, v.qrDraw, func(ctx context.Context) (*flow.Response, error) {
		return e.Start(ctx, req)
	}))
}

// submit sends the screen: the focused button's interaction (else the first
// button's) with every input. It stays on screen, greyed by the spinner, until the
// answer comes, so a failure keeps what was typed.
func (v *FlowView) submit() tea.Cmd {
	if v.busy || v.resp == nil {
		return nil // Submit is off while a call is in flight
	}
	interaction, ok := v.form.interaction()
	if !ok {
		v.form.err = fmt.Errorf("this screen has no button to submit")
		return nil
	}
	if err := v.form.validate(); err != nil {
		v.form.err = err
		return nil
	}
	e := v.engine
	req := flow.NextRequest{ExecutionID: v.resp.ExecutionID, StepID: v.resp.StepID, InteractionID: interaction,
		Input: v.form.values(), RefreshJWT: v.refresh}
	id := v.nextReq()
	return tea.Batch(v.spinner.Tick, flowCmd(id, v.qrDraw, func(ctx context.Context) (*flow.Response, error) {
		return e.Next(ctx, req)
	}))
}

func (v *FlowView) nextReq() int {
	v.reqID++
	v.busy = true
	return v.reqID
}

// flowOutcome is what an answer means to the pane: its timeline entry and, when the
// flow signed a user in, the session.
type flowOutcome struct {
	entry   entry
	session *Session
	stale   bool // overtaken by a newer call: the pane ignores it
}

// Result takes the engine's answer to the view's last call: the next screen, the end,
// or a refusal. The pane adds the outcome's entry to its timeline.
func (v *FlowView) Result(msg flowStepMsg) flowOutcome {
	if msg.reqID != v.reqID {
		return flowOutcome{stale: true}
	}
	v.busy = false
	if msg.err != nil {
		// The engine refused the call itself (an expired execution, an unreachable
		// server): the screen stays, with the error, so it can be sent again.
		v.err = msg.err
		if v.form == nil {
			v.phase = flowEnded
		}
		return flowOutcome{entry: entry{op: opFlow, loginID: v.flow.ID, summary: msg.err.Error()}}
	}
	r := msg.resp
	v.resp, v.err = r, nil
	v.mark(r)
	out := flowOutcome{entry: v.traceEntry(r)}
	switch r.Status {
	case flow.StatusWaiting:
		v.form = newFlowForm(r.Screen)
		v.form.setWidth(v.common.Width)
		v.qr, v.qrErr = msg.qr, msg.qrErr
		if v.focused {
			v.form.focusOn(v.form.focus)
		}
	default:
		v.phase, v.form, v.qr, v.qrErr, v.overlay = flowEnded, nil, "", nil, nil
		if r.Session != nil {
			s := sessionOf(*r.Session)
			out.session = &s
		}
	}
	return out
}

// mark records the steps an answer's trace ran, and the screen it waits on.
func (v *FlowView) mark(r *flow.Response) {
	for i, t := range r.Trace {
		if t.Outcome == "abort" && i > 0 && r.Trace[i-1].Step == t.Step {
			continue // the engine's fail() repeats the action's own abort entry
		}
		if t.Flow != "" {
			v.inFlow = t.Flow
		}
		k := t.Flow + "/" + t.Step
		if t.Flow == "" {
			k = v.inFlow + "/" + t.Step
		}
		v.marks[k] = stepMark{ran: true, failed: t.Err != nil, outcome: t.Outcome, to: t.To}
	}
}
