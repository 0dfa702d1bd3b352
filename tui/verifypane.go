package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// VerifyDeps are what the verifier pane works with.
type VerifyDeps struct {
	Open   BackendOpener
	Config BackendConfig // the backend to connect to at start
	QR     QRRenderer
}

// signUpResult is a sign-up or update the user is looking at: the only place a key or
// URI is ever drawn. enrolled says the authenticator pane has taken it (e).
type signUpResult struct {
	op       verifyOp
	loginID  string
	res      SignUpResult
	qr       string
	qrErr    error
	enrolled bool
}

// fill is a code ctrl+f took from the authenticator pane: which account it came from
// and that account's clock shift and period, so a refusal can be explained.
type fill struct {
	code, label string
	shift       time.Duration
	period      time.Duration
}

// VerifyPane is the verifier: requests against a backend and their timeline.
type VerifyPane struct {
	common  Common
	keys    VerifyKeyMap
	deps    VerifyDeps
	focused bool

	backend    Verifier
	cfg        BackendConfig
	connecting bool
	connErr    error

	reqID  int
	busy   bool
	busyOp verifyOp

	spinner  spinner.Model
	form     *form
	flow     *FlowView // a flow running (f), in place of the forms
	result   *signUpResult
	users    []UserState
	usersErr error
	showUser bool

	entries  []entry
	timeline viewport.Model
	scrolled bool // the user scrolled the timeline back: do not follow new entries

	session   *Session
	lastLogin string
	now       time.Time
	offset    time.Duration // the demo's jump of the backend's clock
	overlay   *overlay

	fill      *fill  // the code in the sign-in form came from the authenticator
	signingIn *fill  // the fill of the sign-in in flight, if it sent the filled code
	confirm   string // the login id whose seed deletion waits for y
}

// NewVerifyPane builds the pane; Init connects to the configured backend.
func NewVerifyPane(c Common, deps VerifyDeps) VerifyPane {
	m := VerifyPane{common: c, keys: DefaultVerifyKeyMap(), deps: deps, cfg: deps.Config}
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Pending))
	m.timeline = viewport.New(40, 10)
	m.connecting = true
	return m
}

// Init connects to the backend.
func (m VerifyPane) Init() tea.Cmd {
	return tea.Batch(m.spinner.Tick, openBackendCmd(m.deps.Open, m.cfg, m.reqID))
}

// SetSize implements the pane contract: w and h are the pane's inner size.
func (m *VerifyPane) SetSize(w, h int) {
	m.common.Width, m.common.Height = w, h
	if m.form != nil {
		m.form.setWidth(w)
	}
	if m.flow != nil {
		m.flow.SetSize(w, h)
	}
	m.layoutTimeline()
}

// Focus gives the pane the keyboard.
func (m *VerifyPane) Focus() {
	m.focused = true
	if m.form != nil {
		m.form.focusOn(m.form.focus)
	}
	if m.flow != nil {
		m.flow.Focus()
	}
}

// Blur takes the keyboard away.
func (m *VerifyPane) Blur() {
	m.focused = false
	if m.form != nil {
		m.form.blur()
	}
	if m.flow != nil {
		m.flow.Blur()
	}
}

// Focused reports whether the pane has the keyboard.
func (m VerifyPane) Focused() bool { return m.focused }

// Typing reports whether a form has the keyboard, so the root leaves q and tab alone.
func (m VerifyPane) Typing() bool { return m.form != nil || m.flow != nil && m.flow.Typing() }

// Busy reports whether a request is in flight.
func (m VerifyPane) Busy() bool { return m.busy || m.connecting }

// Connected reports whether a backend is connected and no new one is being opened.
func (m VerifyPane) Connected() bool { return m.backend != nil && !m.connecting }

// Backend names the backend in use, for the status bar.
func (m VerifyPane) Backend() string { return m.cfg.Label() }

// Overlay returns a full-screen view the pane asked for (a QR code), if any.
func (m VerifyPane) Overlay() *overlay {
	if m.overlay == nil && m.flow != nil {
		return m.flow.Overlay()
	}
	return m.overlay
}

// CloseOverlay dismisses the overlay.
func (m *VerifyPane) CloseOverlay() { m.overlay = nil }

// SetNow updates the clock the session countdowns are drawn with; the root calls it on
// every tick.
func (m *VerifyPane) SetNow(t time.Time) {
	m.now = t.Add(m.offset)
	if m.session != nil || len(m.entries) > 0 {
		m.renderTimeline()
	}
}

// SetClockOffset moves the pane's clock with the backend's (the demo jumps both ahead),
// so the session line and the timeline keep the backend's time.
func (m *VerifyPane) SetClockOffset(d time.Duration) {
	m.now = m.now.Add(d - m.offset)
	m.offset = d
	m.renderTimeline()
}

// MarkEnrolled records that the authenticator pane took the result with uri, so the
// pane suggests the next step instead of e.
func (m *VerifyPane) MarkEnrolled(uri string) {
	if m.result != nil && m.result.res.URI == uri {
		m.result.enrolled = true
	}
}

// LastError is the pane's last error, for the root's full view of it: the running
// flow's, the form's, the connection's, the users list's, or the newest request's
// when it was refused.
func (m VerifyPane) LastError() error {
	if m.flow != nil {
		if err := m.flow.LastError(); err != nil {
			return err
		}
	}
	switch {
	case m.form != nil && m.form.err != nil:
		return m.form.err
	case m.connErr != nil:
		return m.connErr
	case m.showUser && m.usersErr != nil:
		return m.usersErr
	}
	if e, ok := m.lastEntry(); ok && !e.ok {
		text := e.op.String() + ": " + e.summary
		if e.code != "" {
			text += " (" + e.code + ")"
		}
		return errors.New(text)
	}
	return nil
}

// EnrolURI is the provisioning URI of the sign-up or update on screen, for the root to
// hand to the authenticator pane.
func (m VerifyPane) EnrolURI() (uri, loginID string, ok bool) {
	if m.result == nil || m.result.res.URI == "" {
		return "", "", false
	}
	return m.result.res.URI, m.result.loginID, true
}

// FillLoginID is the login id whose code ctrl+f should fill: the one in the sign-in
// form. ok is false when no sign-in form is open.
func (m VerifyPane) FillLoginID() (string, bool) {
	if m.form == nil || m.form.kind != formSignIn {
		return "", false
	}
	return m.form.value(0), true
}

// FillCode puts a code from the authenticator into the sign-in form; label names the
// account it came from (the form says so), and shift and period are that account's
// clock shift and period, to explain a refusal.
func (m *VerifyPane) FillCode(code, label string, shift, period time.Duration) {
	if m.form != nil && m.form.kind == formSignIn {
		m.form.setValue(1, code)
		m.form.focusOn(1)
		m.fill = &fill{code: code, label: label, shift: shift, period: period}
		m.form.hint = "Code from " + label + ". ctrl+f fills it again."
	}
}

// lastEntry is the newest timeline entry, so the demo can follow along.
func (m VerifyPane) lastEntry() (entry, bool) {
	if len(m.entries) == 0 {
		return entry{}, false
	}
	return m.entries[len(m.entries)-1], true
}

// Session is the signed-in session, if any.
func (m VerifyPane) Session() (Session, bool) {
	if m.session == nil {
		return Session{}, false
	}
	return *m.session, true
}

// Update handles the pane's own messages and, when focused, keys.
func (m VerifyPane) Update(msg tea.Msg) (VerifyPane, tea.Cmd) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if m.flow != nil && msg.ID == m.flow.spinner.ID() {
			var cmd tea.Cmd
			*m.flow, cmd = m.flow.Update(msg)
			return m, cmd
		}
		if !m.Busy() {
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case backendOpenedMsg:
		if msg.reqID != m.reqID {
			return m, nil
		}
		m.connecting = false
		if msg.err != nil {
			m.connErr = msg.err
			m.addEntry(entry{op: opConnect, summary: msg.cfg.Label() + ": " + msg.err.Error()})
			return m, nil
		}
		m.backend, m.cfg, m.connErr = msg.backend, msg.cfg, nil
		m.session, m.result, m.users, m.flow = nil, nil, nil, nil
		m.addEntry(entry{op: opConnect, ok: true, summary: "connected to " + msg.cfg.Label() + " backend"})
		return m, usersCmd(m.backend)
	case verifyDoneMsg:
		if msg.reqID != m.reqID {
			return m, nil // overtaken by a newer request
		}
		m.busy = false
		m.requestDone(msg)
		m.signingIn = nil
		return m, usersCmd(m.backend)
	case usersMsg:
		m.users, m.usersErr = msg.users, msg.err
		return m, nil
	case flowStepMsg:
		m.flowResult(msg)
		return m, nil
	case tea.KeyMsg:
		if !m.focused {
			return m, nil
		}
		return m.handleKey(msg)
	}
	return m, nil
}

// requestDone records a result in the timeline and the pane's state.
func (m *VerifyPane) requestDone(msg verifyDoneMsg) {
	e := entry{op: msg.op, loginID: msg.loginID, ok: msg.err == nil}
	if msg.err != nil {
		e.summary, e.code = describeFailure(msg.err)
		if msg.op == opSignIn {
			e.summary += m.skewNote(msg.err)
		}
		m.addEntry(e)
		if msg.op == opSignIn && m.form != nil && m.form.kind == formSignIn {
			// A refused code is of no more use: clear it for the next try.
			m.form.setValue(1, "")
			if m.focused {
				m.form.focusOn(1)
			}
		}
		if msg.op == opRefresh || msg.op == opMe {
			var re *RequestError
			if errors.As(msg.err, &re) && re.Reason == ReasonUnauthorized {
				m.session = nil
			}
		}
		return
	}
	switch msg.op {
	case opSignUp, opUpdate:
		e.summary = "seed issued: scan the QR or press e to enrol it"
		if msg.op == opUpdate {
			e.summary = "new seed issued: the old one works until a code from this one signs in; e enrols it"
		}
		m.result = &signUpResult{op: msg.op, loginID: msg.loginID, res: msg.signUp, qr: msg.qr, qrErr: msg.qrErr}
		m.form = nil
	case opSignIn, opRefresh:
		s := msg.session
		wasUpdate := m.session != nil && msg.op == opSignIn && m.result != nil && m.result.op == opUpdate && m.result.enrolled
		m.session = &s
		e.summary = fmt.Sprintf("session: sub %s · amr %s", s.Subject, strings.Join(s.AMR, ","))
		switch {
		case s.FirstSeen:
			e.summary += " · first sign-in, enrolment complete"
		case wasUpdate:
			e.summary += " · the new seed is confirmed and replaces the old one"
		}
		if msg.op == opSignIn && s.Step != 0 {
			e.summary += " · " + stepWords(s.Step, s.Drift)
		}
		e.expires = s.Expires
		if msg.op == opSignIn {
			m.form = nil
			m.result = nil
		}
	case opMe:
		e.summary = "me: " + msg.me
	case opLogout:
		m.session = nil
		e.summary = "signed out; the refresh token is revoked"
	case opDeleteSeed:
		e.summary = "seed deleted: sign-in fails until the user enrols again"
		m.form = nil
		if m.result != nil && m.result.loginID == msg.loginID {
			m.result = nil
		}
	}
	m.addEntry(e)
}

func (m *VerifyPane) addEntry(e entry) {
	if e.at.IsZero() {
		e.at = m.common.Now().Add(m.offset)
	}
	m.entries = append(m.entries, e)
	m.scrolled = false
	if len(m.entries) > 500 {
		m.entries = m.entries[len(m.entries)-500:]
	}
	m.renderTimeline()
}

func (m *VerifyPane) handleKey(msg tea.KeyMsg) (VerifyPane, tea.Cmd) {
	k := m.keys
	if m.overlay != nil {
		if key.Matches(msg, k.Cancel) {
			m.overlay = nil
		}
		return *m, nil
	}
	if m.confirm != "" {
		login := m.confirm
		m.confirm = ""
		if key.Matches(msg, k.Confirm) {
			return *m, m.DeleteSeed(login)
		}
		m.addEntry(entry{op: opDeleteSeed, loginID: login, ok: true, summary: "kept: nothing was deleted"})
		return *m, nil
	}
	if m.flow != nil {
		return m.flowKey(msg)
	}
	if m.form != nil {
		return m.formKey(msg)
	}
	login := m.lastLogin
	switch {
	case key.Matches(msg, k.Cancel):
		m.result, m.showUser = nil, false
	case key.Matches(msg, k.ZoomQR) && m.result != nil && m.result.qr != "":
		m.overlay = &overlay{title: "Scan to enrol " + m.result.loginID, body: m.result.qr, hint: "esc closes · this QR holds the secret"}
	case key.Matches(msg, k.Backend):
		u := m.cfg.BaseURL
		m.openForm(newForm(formBackend, "Backend", "Leave the base URL empty for the local in-process backend.",
			field{label: "Base URL", placeholder: "empty = local, or https://…", value: u, validate: optionalURL},
			field{label: "Project ID", placeholder: "project id", value: m.cfg.ProjectID},
			field{label: "Management key", placeholder: "for delete seed and the users list", value: m.cfg.ManagementKey, secret: true},
			field{label: "New seeds (local backend)", placeholder: "SHA1 6 30 = alg digits secs", value: policyText(m.cfg.Seeds), validate: validSeedPolicy}))
	case key.Matches(msg, k.SignUp):
		// A sign-up is for a new login id: the field starts empty rather than with the
		// last one, which typing would have extended.
		m.openForm(newForm(formSignUp, "Sign up", "Starts a TOTP enrolment. Name and email are optional.",
			field{label: "Login ID", placeholder: "alice@example.com", validate: requireLoginID},
			field{label: "Name", placeholder: "optional"},
			field{label: "Email", placeholder: "optional"}))
	case key.Matches(msg, k.SignIn):
		m.fill = nil
		m.openForm(newForm(formSignIn, "Sign in", "ctrl+f fills the code from the authenticator.",
			field{label: "Login ID", placeholder: "alice@example.com", value: login, validate: requireLoginID},
			field{label: "Code", placeholder: "6 to 8 digits", validate: requireCode, limit: 9}))
		if login != "" {
			m.form.focusOn(1)
		}
	case key.Matches(msg, k.DeleteSeed):
		m.openForm(newForm(formDeleteSeed, "Delete seed", "Removes the user's TOTP seed (management call).",
			field{label: "Login ID", placeholder: "alice@example.com", value: login, validate: requireLoginID}))
	case key.Matches(msg, k.Flows):
		return *m, m.openFlows()
	case key.Matches(msg, k.Update):
		return *m, m.UpdateSeed()
	case key.Matches(msg, k.Refresh):
		return *m, m.sessionCall(opRefresh)
	case key.Matches(msg, k.Me):
		return *m, m.sessionCall(opMe)
	case key.Matches(msg, k.Logout):
		return *m, m.sessionCall(opLogout)
	case key.Matches(msg, k.Users):
		m.showUser = !m.showUser
		if m.showUser && m.backend != nil {
			return *m, usersCmd(m.backend)
		}
	case key.Matches(msg, k.ScrollUp):
		m.timeline.Height = max(1, m.common.Height-4)
		m.timeline.ScrollUp(2)
		m.scrolled = !m.timeline.AtBottom()
		return *m, nil
	case key.Matches(msg, k.ScrollDown):
		m.timeline.Height = max(1, m.common.Height-4)
		m.timeline.ScrollDown(2)
		m.scrolled = !m.timeline.AtBottom()
		return *m, nil
	}
	m.layoutTimeline()
	return *m, nil
}

func (m *VerifyPane) openForm(f *form) {
	m.form = f
	f.setWidth(m.common.Width)
	if m.focused {
		f.focusOn(0)
	}
	m.layoutTimeline()
}

func (m *VerifyPane) formKey(msg tea.KeyMsg) (VerifyPane, tea.Cmd) {
	k, f := m.keys, m.form
	switch {
	case key.Matches(msg, k.Cancel):
		m.form = nil
		m.layoutTimeline()
		return *m, nil
	case key.Matches(msg, k.Submit):
		if m.busy {
			return *m, nil // Submit is off while a request is in flight
		}
		if err := f.validate(); err != nil {
			f.err = err
			return *m, nil
		}
		return *m, m.submit(f)
	}
	return *m, f.update(msg, k.NextField, k.PrevField)
}

// submit sends the form's request. The form stays open (greyed by the spinner) until
// the result arrives, so a failure keeps what was typed.
func (m *VerifyPane) submit(f *form) tea.Cmd {
	switch f.kind {
	case formBackend:
		cfg := BackendConfig{BaseURL: f.value(0), ProjectID: f.value(1), ManagementKey: f.value(2)}
		cfg.Seeds, _ = parseSeedPolicy(f.value(3)) // validated with the form
		cfg.Remote = cfg.BaseURL != ""
		m.form = nil
		m.connecting = true
		m.reqID++
		m.layoutTimeline()
		return tea.Batch(m.spinner.Tick, openBackendCmd(m.deps.Open, cfg, m.reqID))
	case formSignUp:
		return m.SignUp(f.value(0), f.value(1), f.value(2))
	case formSignIn:
		if m.fill != nil && strings.ReplaceAll(f.value(1), " ", "") == m.fill.code {
			m.signingIn = m.fill
		}
		return m.SignIn(f.value(0), f.value(1))
	case formDeleteSeed:
		// Deleting a seed cannot be undone: ask, as the authenticator's d does.
		m.confirm = f.value(0)
		m.form = nil
		m.layoutTimeline()
		return nil
	}
	return nil
}

// policyText is a seed policy as the backend form shows it, empty for the default.
func policyText(p SeedPolicy) string {
	if p.IsDefault() {
		return ""
	}
	return fmt.Sprintf("%s %d %d", p.Algorithm, p.Digits, p.Period)
}
