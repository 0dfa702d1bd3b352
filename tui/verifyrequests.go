package tui

import (
	"context"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// The verifier pane's requests. Each takes a new reqID (results of older requests are
// dropped), starts the spinner and runs the backend call in a command; the demo calls
// these methods directly, the keys through the forms.

func (m *VerifyPane) nextReq(op verifyOp) int {
	m.reqID++
	m.busy, m.busyOp = true, op
	return m.reqID
}

// SignUp starts an enrolment for loginID.
func (m *VerifyPane) SignUp(loginID, name, email string) tea.Cmd {
	b, qr := m.backend, m.deps.QR
	if b == nil {
		return m.notConnected(opSignUp, loginID)
	}
	m.lastLogin = loginID
	id := m.nextReq(opSignUp)
	return tea.Batch(m.spinner.Tick, verifyCmd(id, opSignUp, loginID, func(ctx context.Context, msg *verifyDoneMsg) error {
		res, err := b.SignUp(ctx, loginID, name, email)
		msg.signUp = res
		if err == nil && qr != nil {
			msg.qr, msg.qrErr = qr(res.URI)
		}
		return err
	}))
}

// SignIn checks code for loginID.
func (m *VerifyPane) SignIn(loginID, code string) tea.Cmd {
	b := m.backend
	if b == nil {
		return m.notConnected(opSignIn, loginID)
	}
	m.lastLogin = loginID
	code = strings.ReplaceAll(code, " ", "")
	id := m.nextReq(opSignIn)
	return tea.Batch(m.spinner.Tick, verifyCmd(id, opSignIn, loginID, func(ctx context.Context, msg *verifyDoneMsg) error {
		s, err := b.SignIn(ctx, loginID, code)
		msg.session = s
		return err
	}))
}

// UpdateSeed asks for a new seed for the signed-in user.
func (m *VerifyPane) UpdateSeed() tea.Cmd {
	b, qr := m.backend, m.deps.QR
	if b == nil {
		return m.notConnected(opUpdate, "")
	}
	if m.session == nil {
		m.addEntry(entry{op: opUpdate, summary: "sign in first: update needs the session's refresh token"})
		return nil
	}
	login, refresh := m.session.LoginID, m.session.RefreshJWT
	if login == "" {
		login = m.lastLogin // a backend that does not name the user in the session
	}
	if login == "" {
		login = m.session.Subject
	}
	id := m.nextReq(opUpdate)
	return tea.Batch(m.spinner.Tick, verifyCmd(id, opUpdate, login, func(ctx context.Context, msg *verifyDoneMsg) error {
		res, err := b.Update(ctx, login, refresh)
		msg.signUp = res
		if err == nil && qr != nil {
			msg.qr, msg.qrErr = qr(res.URI)
		}
		return err
	}))
}

// DeleteSeed removes loginID's seed with the management key.
func (m *VerifyPane) DeleteSeed(loginID string) tea.Cmd {
	b := m.backend
	if b == nil {
		return m.notConnected(opDeleteSeed, loginID)
	}
	id := m.nextReq(opDeleteSeed)
	return tea.Batch(m.spinner.Tick, verifyCmd(id, opDeleteSeed, loginID, func(ctx context.Context, _ *verifyDoneMsg) error {
		return b.DeleteSeed(ctx, loginID)
	}))
}

// sessionCall runs refresh, me or logout with the signed-in refresh token.
func (m *VerifyPane) sessionCall(op verifyOp) tea.Cmd {
	b := m.backend
	if b == nil {
		return m.notConnected(op, "")
	}
	if m.session == nil {
		m.addEntry(entry{op: op, summary: "not signed in"})
		return nil
	}
	refresh, login := m.session.RefreshJWT, m.session.login()
	id := m.nextReq(op)
	return tea.Batch(m.spinner.Tick, verifyCmd(id, op, login, func(ctx context.Context, msg *verifyDoneMsg) error {
		switch op {
		case opRefresh:
			s, err := b.Refresh(ctx, refresh)
			msg.session = s
			return err
		case opMe:
			me, err := b.Me(ctx, refresh)
			msg.me = me
			return err
		default:
			return b.Logout(ctx, refresh)
		}
	}))
}

func (m *VerifyPane) notConnected(op verifyOp, loginID string) tea.Cmd {
	m.addEntry(entry{op: op, loginID: loginID, summary: "no backend: press b to choose one"})
	return nil
}
