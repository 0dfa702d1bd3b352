package flow

import (
	"context"
	"fmt"
	"maps"
	"strings"
)

// run is one call of Start or Next: the execution's state, what the call learned
// (the caller's refresh token, enrolment images), and the response it builds.
type run struct {
	e       *Engine
	f       *Flow
	st      *state
	id      string
	refresh string
	// images are the QR PNGs of enrolments received in this call, by variable; a
	// screen shown again draws its QR code anew from the provisioning URL.
	images map[string][]byte
	// otp are the inputs of this call that are one-time codes: not kept in the state.
	otp  []string
	resp Response
}

// from runs the flow from step id until it waits on a screen or ends.
func (rc *run) from(ctx context.Context, id string) error {
	for range maxTransitions {
		s := rc.f.Steps[id]
		if s == nil {
			return fmt.Errorf("flow %s: no step %q", rc.f.ID, id)
		}
		switch s.Kind {
		case KindScreen:
			return rc.wait(s, nil)
		case KindCondition:
			to, err := rc.condition(s)
			if err != nil {
				return rc.fail(s, internalError(s, err))
			}
			rc.trace(s, "goto", to, nil)
			id = to
		case KindAction:
			to, done, err := rc.action(ctx, s)
			if err != nil || done {
				return err
			}
			id = to
		case KindSubFlow:
			sub, err := rc.e.flows.Get(s.SubFlow.ID)
			if err != nil || len(rc.st.Stack) >= maxSubFlows {
				return rc.fail(s, internalError(s, fmt.Errorf("cannot run sub-flow %q", s.SubFlow.ID)))
			}
			form := map[string]any{}
			for k, ex := range s.SubFlow.With {
				if form[k], err = ex.eval(rc.st.Vars); err != nil {
					return rc.fail(s, internalError(s, err))
				}
			}
			rc.st.Stack = append(rc.st.Stack, frame{Flow: rc.f.ID, ETag: rc.f.ETag, Return: s.Next["success"], Output: s.SubFlow.Output, Vars: rc.st.Vars})
			rc.st.Vars = map[string]any{VarForm: form, VarFlow: flowVar(sub), VarUser: rc.st.Vars[VarUser]}
			rc.trace(s, "flow", sub.Start, nil)
			rc.f, rc.st.Flow, rc.st.ETag = sub, sub.ID, sub.ETag
			id = sub.Start
		case KindEnd:
			out, err := rc.output(s.End)
			if err != nil {
				return rc.fail(s, internalError(s, err))
			}
			if n := len(rc.st.Stack); n > 0 && !s.End.Failed {
				fr := rc.st.Stack[n-1]
				rc.st.Stack = rc.st.Stack[:n-1]
				user := rc.st.Vars[VarUser]
				parent, err := rc.e.flows.Get(fr.Flow)
				if err != nil {
					return err
				}
				rc.f, rc.st.Flow, rc.st.ETag, rc.st.Vars = parent, fr.Flow, fr.ETag, fr.Vars
				if user != nil {
					rc.st.Vars[VarUser] = user
				}
				if fr.Output != "" {
					rc.st.Vars[fr.Output] = out
				}
				rc.trace(s, "return", fr.Return, nil)
				id = fr.Return
				continue
			}
			rc.trace(s, "end", "", nil)
			if s.End.Failed {
				text, err := s.End.Error.render(rc.st.Vars)
				if err != nil {
					text = "the flow failed"
				}
				if text == "" {
					text = "the flow failed"
				}
				rc.resp.Status, rc.resp.Error = StatusFailed, &StepError{Type: "FlowFailed", Text: text, Code: codeFlowFailed, Step: s.ID}
				return nil
			}
			rc.resp.Status, rc.resp.Output = StatusCompleted, out
			if rc.st.Sess != nil {
				sess := rc.st.Sess.session()
				rc.resp.Session = &sess
			}
			return nil
		}
	}
	return rc.fail(rc.f.Steps[id], &StepError{Type: "FlowFailed", Text: fmt.Sprintf("more than %d steps without a screen: a loop?", maxTransitions), Code: codeFlowFailed, Step: id})
}

// submit takes the interaction and inputs for the screen the execution waits on, then
// runs on. A bad interaction or a missing required input shows the screen again with
// the error, as a wrong code does.
func (rc *run) submit(ctx context.Context, interaction string, input map[string]any) error {
	s := rc.f.Steps[rc.st.Step]
	if s == nil || s.Kind != KindScreen {
		return fmt.Errorf("flow %s: the execution waits on no screen (%q)", rc.f.ID, rc.st.Step)
	}
	to, ok := s.Next[interaction]
	if !ok {
		return rc.wait(s, &StepError{Type: ErrTypeBadInput, Text: fmt.Sprintf("%q is not an interaction of this screen", clip(interaction)),
			Code: codeBadInput, Step: s.ID})
	}
	form, _ := rc.st.Vars[VarForm].(map[string]any)
	if form == nil {
		form = map[string]any{}
	}
	form = maps.Clone(form)
	for _, n := range s.Screen.Nodes {
		if n.Type != NodeInput {
			continue
		}
		v, given := input[n.Name]
		if str, _ := v.(string); n.Required && (!given || v == nil || strings.TrimSpace(str) == "" && isString(v)) {
			return rc.wait(s, &StepError{Type: ErrTypeBadInput, Text: n.Name + " is required", Code: codeMissing, Step: s.ID})
		}
		if given {
			form[n.Name] = v
		}
		if n.Format == "otp" {
			rc.otp = append(rc.otp, n.Name)
		}
	}
	rc.st.Vars[VarForm] = form
	rc.trace(s, interaction, to, nil)
	return rc.from(ctx, to)
}

func isString(v any) bool { _, ok := v.(string); return ok }

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// wait makes the execution wait on screen s (with err shown on it, when not nil).
func (rc *run) wait(s *Step, err *StepError) error {
	rc.st.Step = s.ID
	rc.resp.Status = StatusWaiting
	rc.resp.Error = err
	view, rerr := rc.render(s, err)
	if rerr != nil {
		return rerr
	}
	rc.resp.Screen = view
	return nil
}

// fail ends the execution as failed with err (an abort, or a flow that cannot go on).
func (rc *run) fail(s *Step, err *StepError) error {
	rc.resp.Status, rc.resp.Error = StatusFailed, err
	id := ""
	if s != nil {
		id = s.ID
	}
	rc.resp.Trace = append(rc.resp.Trace, TraceEntry{Step: id, Outcome: "abort", Err: err})
	return nil
}

func internalError(s *Step, err error) *StepError {
	return &StepError{Type: "FlowFailed", Text: err.Error(), Code: codeFlowFailed, Step: s.ID}
}

func (rc *run) condition(s *Step) (string, error) {
	for _, b := range s.Condition {
		if b.When == nil {
			return b.Goto, nil
		}
		ok, err := b.When.evalBool(rc.st.Vars)
		if err != nil {
			return "", err
		}
		if ok {
			return b.Goto, nil
		}
	}
	return "", fmt.Errorf("step %q: no arm applied", s.ID)
}

func (rc *run) output(e *End) (map[string]any, error) {
	out := map[string]any{}
	for k, ex := range e.Output {
		v, err := ex.eval(rc.st.Vars)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (rc *run) trace(s *Step, outcome, to string, err *StepError) {
	rc.resp.Trace = append(rc.resp.Trace, TraceEntry{Flow: rc.f.ID, Step: s.ID, Name: s.Name, Kind: s.Kind, Outcome: outcome, To: to, Err: err})
}

// stored is the state to keep: without the one-time codes of this call.
func (rc *run) stored() *state {
	if form, ok := rc.st.Vars[VarForm].(map[string]any); ok && len(rc.otp) > 0 {
		form = maps.Clone(form)
		for _, k := range rc.otp {
			delete(form, k)
		}
		rc.st.Vars[VarForm] = form
	}
	return rc.st
}
