package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/otpair/otpair/internal/safetext"
)

// header is the pane's title line and session line.
func (m VerifyPane) header() string {
	s := m.common.Styles
	w := m.common.Width
	titleStyle := s.PaneTitle
	if m.focused {
		titleStyle = s.PaneTitleOn
	}
	backend := safetext.Line(m.cfg.Label())
	right := s.Muted.Render(backend + " backend")
	switch {
	case m.connecting:
		right = m.spinner.View() + s.Muted.Render(" connecting to "+backend)
	case m.busy:
		right = m.spinner.View() + s.Pending.Render(" "+m.busyOp.String()+"…")
	case m.connErr != nil:
		right = s.Failure.Render("not connected")
	}
	title := spread(titleStyle.Render("Verifier"), right, w)
	sess := s.Muted.Render("○ not signed in")
	if m.session != nil {
		// Shorter words before a cut: the login id and the expiry are what matter.
		who, exp := safetext.Line(m.session.login()), ""
		if !m.session.Expires.IsZero() {
			exp = countdown(m.session.Expires, m.now)
		}
		sess = s.Success.Render("● ") + s.FormLabel.Render("signed in as "+who)
		if exp != "" {
			sess += s.Muted.Render(" · session exp " + exp)
		}
		if lipgloss.Width(sess) > w {
			sess = s.Success.Render("● ") + s.FormLabel.Render(who)
			if exp != "" {
				sess += s.Muted.Render(" · exp " + exp)
			}
		}
	}
	return title + "\n" + sess
}

// layoutTimeline sets the timeline's width; View gives it whatever height the form or
// result leaves free.
func (m *VerifyPane) layoutTimeline() {
	m.timeline.Width = max(1, m.common.Width)
	m.renderTimeline()
}

// renderTimeline rebuilds the timeline's content and keeps the newest entry in view.
func (m *VerifyPane) renderTimeline() {
	w := max(10, m.common.Width)
	lines := make([]string, 0, len(m.entries))
	for _, e := range m.entries {
		lines = append(lines, renderEntry(m.common.Styles, e, m.now, w))
	}
	m.timeline.SetContent(strings.Join(lines, "\n"))
	m.timeline.GotoBottom()
}

// topView is what sits above the timeline: an open form or the sign-up result.
func (m VerifyPane) topView() string {
	s := m.common.Styles
	w := m.common.Width
	switch {
	case m.confirm != "":
		return strings.Join([]string{s.FormTitle.Render("Delete seed"),
			s.Failure.Render(wrap("Delete the TOTP seed of "+safetext.Line(m.confirm)+"?", w)),
			s.FormHint.Render(wrap("Sign-in then fails until the user enrols again. This cannot be undone.", w))}, "\n")
	case m.flow != nil:
		return m.flow.View()
	case m.form != nil:
		return m.form.view(s, w)
	case m.result != nil:
		return m.resultView()
	case m.showUser:
		return m.usersView()
	}
	return ""
}

// resultView shows the sign-up or update the user asked for: the URI, the key and,
// when it fits, the QR code. These are secrets and appear nowhere else.
func (m VerifyPane) resultView() string {
	s, r, w := m.common.Styles, m.result, m.common.Width
	what := "Sign-up"
	if r.op == opUpdate {
		what = "Update"
	}
	// A remote backend chose the key and the URI: they are shown through safetext too.
	key, uri := safetext.Line(r.res.Key), safetext.Line(r.res.URI)
	head := []string{
		s.FormTitle.Render(what + " of " + safetext.Line(r.loginID)),
		s.FormLabel.Render("Key ") + s.Secret.Render(key),
	}
	url := s.FormLabel.Render("URL ") + s.Secret.Render(wrap(uri, w-4))
	// Above the result the two header lines, under it the hint line (View drops the
	// timeline when the QR leaves it no room).
	free := m.common.Height - 3 - len(head)
	qrFits := func(urlLines int) bool {
		return r.qr != "" && lipgloss.Height(r.qr) <= free-urlLines && lipgloss.Width(r.qr) <= w
	}
	switch {
	case r.qrErr != nil:
		return strings.Join(append(head, url, s.ErrorBody.Render("QR: "+errLine(r.qrErr))), "\n")
	case r.qr == "":
		return strings.Join(append(head, url), "\n")
	case qrFits(lipgloss.Height(url)):
		return strings.Join(append(head, url, s.paintQR(r.qr)), "\n")
	case qrFits(1):
		// The QR before the whole URL: it holds the URL, and z shows both in full.
		short := s.FormLabel.Render("URL ") + s.Secret.Render(ansi.Truncate(uri, w-4, "…"))
		return strings.Join(append(head, short, s.paintQR(r.qr)), "\n")
	}
	return strings.Join(append(head, url, s.Muted.Render("z shows the QR full screen")), "\n")
}

// usersView lists the backend's users and their TOTP state.
func (m VerifyPane) usersView() string {
	s := m.common.Styles
	lines := []string{s.FormTitle.Render("Users")}
	switch {
	case m.usersErr != nil:
		lines = append(lines, s.Muted.Render(wrap(errBlock(m.usersErr), m.common.Width)))
	case len(m.users) == 0:
		lines = append(lines, s.Muted.Render("no users yet: s signs one up"))
	}
	for _, u := range m.users {
		state := s.Muted.Render("no seed")
		switch {
		case !u.LockedUntil.IsZero() && u.LockedUntil.After(m.now):
			state = s.Failure.Render("locked until " + u.LockedUntil.Format("15:04:05"))
		case u.SigningUp:
			state = s.Pending.Render("signing up: first code pending")
		case u.Enrolled && u.Pending:
			state = s.Success.Render("enrolled") + s.Pending.Render(" + pending update")
		case u.Enrolled:
			state = s.Success.Render("enrolled")
		case u.Pending:
			state = s.Pending.Render("pending first code")
		}
		name := "  " + s.FormLabel.Render(safetext.Line(u.LoginID))
		if lipgloss.Width(name)+1+lipgloss.Width(state) > m.common.Width {
			// A long login id keeps its line; its state goes on the next.
			lines = append(lines, name, "    "+state)
			continue
		}
		lines = append(lines, spread(name, state, m.common.Width))
	}
	return strings.Join(lines, "\n")
}

// View draws the pane's inner area, exactly Width x Height.
func (m VerifyPane) View() string {
	s, w, h := m.common.Styles, m.common.Width, m.common.Height
	hint := m.hintView()
	room := h - len(hint) // above the hint
	parts := []string{m.header()}
	if top := m.topView(); top != "" {
		parts = append(parts, top)
		if room-lipgloss.Height(strings.Join(parts, "\n")) < 2 {
			// No room for a blank line and a timeline (a QR code fills the pane).
			return fit(strings.Join(parts, "\n"), w, room) + "\n" + fit(strings.Join(hint, "\n"), w, len(hint))
		}
		parts = append(parts, "")
	}
	var tl string
	if len(m.entries) == 0 {
		tl = s.Muted.Render(wrap("No requests yet. s signs a user up, i signs in; every request and its result appears here.", w))
	} else {
		vp := m.timeline
		vp.Height = max(1, room-lipgloss.Height(strings.Join(parts, "\n")))
		switch {
		case vp.Height < 3:
			// Too little room to scroll: the newest entry's head line says the most
			// (the bottom of the timeline would be the tail of a wrapped sentence).
			tl = strings.SplitN(renderEntry(s, m.entries[len(m.entries)-1], m.now, max(10, w)), "\n", 2)[0]
		default:
			if !m.scrolled {
				vp.GotoBottom()
			}
			tl = vp.View()
		}
	}
	return fit(strings.Join(append(parts, tl), "\n"), w, room) + "\n" + fit(strings.Join(hint, "\n"), w, len(hint))
}

// hintView is hintLine wrapped to the pane in one or two lines, so the next step is
// never cut off.
func (m VerifyPane) hintView() []string { return hintLines(m.hintLine(), m.common.Width) }

// hintLines wraps a pane's hint to width w in one or two lines. The flow view lays
// itself out with it too, since its hint is the pane's.
func hintLines(hint string, w int) []string {
	if hint == "" {
		return []string{""}
	}
	lines := strings.Split(ansi.Wrap(hint, max(10, w), " "), "\n")
	if len(lines) > 2 {
		lines = lines[:2]
		lines[1] = ansi.Truncate(lines[1], max(10, w), "…")
	}
	return lines
}

// hintLine suggests the next step of the lifecycle.
func (m VerifyPane) hintLine() string {
	s := m.common.Styles
	switch {
	case m.confirm != "":
		return s.Failure.Render("y deletes") + s.Muted.Render(" · any other key keeps it")
	case m.flow != nil:
		return m.flow.Hint()
	case m.form != nil && m.busy:
		return s.Pending.Render("waiting for the backend…")
	case m.form != nil && m.form.kind == formSignIn:
		return s.FormHint.Render("ctrl+f fills the code from the authenticator")
	case m.form != nil:
		return s.FormHint.Render("enter submits · esc closes")
	case m.result != nil && m.result.enrolled:
		return s.FormHint.Render("next: i signs in with its first code (ctrl+f fills it)")
	case m.result != nil:
		return s.FormHint.Render("next: e puts it in the authenticator")
	case m.connErr != nil:
		return s.ErrorTitle.Render("✗ ") + s.ErrorBody.Render(errLine(m.connErr)+" (! shows all)")
	case m.session != nil:
		return s.FormHint.Render("signed in: u update · r refresh · m me · o logout")
	case len(m.entries) <= 1:
		return s.FormHint.Render("start with s: sign a user up")
	}
	return ""
}

// ShortHelp implements help.KeyMap.
func (m VerifyPane) ShortHelp() []key.Binding {
	k := m.keys
	switch {
	case m.confirm != "":
		return []key.Binding{k.Confirm, k.Cancel}
	case m.flow != nil && m.overlay == nil:
		return m.flow.ShortHelp()
	case m.overlay != nil:
		return []key.Binding{k.Cancel}
	case m.form != nil && m.form.kind == formSignIn:
		return []key.Binding{k.Fill, k.Submit, k.NextField, k.Cancel}
	case m.form != nil:
		return []key.Binding{k.Submit, k.NextField, k.Cancel}
	case m.result != nil && m.result.enrolled:
		return []key.Binding{k.SignIn, k.ZoomQR, k.Cancel}
	case m.result != nil:
		return []key.Binding{k.Enrol, k.ZoomQR, k.SignIn, k.Cancel}
	}
	return []key.Binding{k.SignUp, k.SignIn, k.Flows, k.Update, k.DeleteSeed, k.Users, k.Backend}
}

// FullHelp implements help.KeyMap.
func (m VerifyPane) FullHelp() [][]key.Binding {
	k := m.keys
	if m.flow != nil && m.overlay == nil {
		return m.flow.FullHelp()
	}
	if m.form != nil || m.overlay != nil {
		return [][]key.Binding{m.ShortHelp()}
	}
	return [][]key.Binding{
		{k.SignUp, k.Enrol, k.ZoomQR, k.SignIn},
		{k.Flows, k.Update, k.DeleteSeed, k.Users, k.Backend},
		{k.Refresh, k.Me, k.Logout, k.ScrollUp},
	}
}
