package tui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// The flow view inside the verifier pane, and its pairing with the authenticator
// pane. The pane owns the view as it owns a form: keys go to it while it is open,
// and its answers come back through the pane, which keeps the timeline and the
// session.

// openFlows opens the flow picker on the connected backend's engine.
func (m *VerifyPane) openFlows() tea.Cmd {
	if m.backend == nil {
		return m.notConnected(opFlow, "")
	}
	fr, ok := m.backend.(FlowRunner)
	if !ok || fr.FlowEngine() == nil {
		m.addEntry(entry{op: opFlow, summary: "this backend runs no flows"})
		return nil
	}
	refresh := ""
	if m.session != nil {
		refresh = m.session.RefreshJWT
	}
	v := NewFlowView(m.common, fr.FlowEngine(), m.deps.QR, refresh)
	m.flow = &v
	m.flow.SetSize(m.common.Width, m.common.Height)
	if m.focused {
		m.flow.Focus()
	}
	m.layoutTimeline()
	return nil
}

// flowKey hands a key to the open flow view; esc there closes it.
func (m *VerifyPane) flowKey(msg tea.KeyMsg) (VerifyPane, tea.Cmd) {
	v, cmd := m.flow.Update(msg)
	*m.flow = v
	if v.Closed() {
		m.flow = nil
	}
	m.layoutTimeline()
	return *m, cmd
}

// flowResult takes an engine's answer: the view moves on, the timeline gets the
// trace, and a flow that signed a user in gives the pane its session (u, r, m and o
// then act for that user).
func (m *VerifyPane) flowResult(msg flowStepMsg) {
	if m.flow == nil {
		return // the flow was left while the call ran
	}
	out := m.flow.Result(msg)
	if out.stale {
		return
	}
	m.addEntry(out.entry)
	if out.session != nil {
		m.session, m.lastLogin = out.session, out.session.login()
		m.flow.refresh = out.session.RefreshJWT // the next flow of this view acts for the user
	}
}

// pairFlow handles the flow view's keys that reach into the authenticator: e hands
// the enrolment on screen over, ctrl+f takes a code back for the screen's login id.
func (a *App) pairFlow(msg tea.KeyMsg) (bool, tea.Cmd) {
	v := a.verify.flow
	switch {
	case key.Matches(msg, v.keys.Enrol) && v.QRFocused():
		uri, ok := v.EnrolURI()
		if !ok {
			return false, nil
		}
		return true, a.auth.Enrol(uri)
	case key.Matches(msg, v.keys.Fill):
		login, ok := v.FillLoginID()
		if !ok {
			v.FillFailed(fmt.Errorf("this screen takes no code"))
			return true, nil
		}
		code, label, id, ok := a.auth.CodeFor(login)
		if !ok {
			v.FillFailed(fmt.Errorf("the authenticator has no code for %q yet: enrol first (e on the QR code)", login))
			return true, nil
		}
		v.FillCode(code, label)
		return true, a.auth.MarkUsed(id)
	}
	return false, nil
}
