package tui

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
)

// The flow view's drawing. Everything in a flow's screens is text from a flow file or
// typed by the user, and an error's text may quote a remote server: all of it goes
// through safetext. The enrolment's key and QR code are secrets, drawn only on the
// screen that shows them.

// timelineRoom is how many lines the view leaves the pane's timeline (a blank line
// and three of entries) before it gives up the QR code and the full list of steps.
const timelineRoom = 4

// View draws the flow view's part of the pane: at most the pane's height less its
// header (two lines) and its hint (one or two, as the pane wraps it). It picks the
// fullest layout that leaves the timeline some room, else the fullest that fits at all.
func (v FlowView) View() string {
	if v.phase == flowPicking {
		return v.pickerView()
	}
	avail := v.common.Height - 2 - len(hintLines(v.Hint(), v.common.Width))
	head := v.headView()
	full, compact := v.stepsView(false), v.stepsView(true)
	body, qr := v.bodyView(false), v.bodyView(true)
	type layout struct{ steps, body string }
	layouts := []layout{{full, qr}, {compact, qr}, {full, body}, {compact, body}}
	if qr == body {
		layouts = []layout{{full, body}, {compact, body}}
	}
	height := func(l layout) int { return 1 + lipgloss.Height(l.steps) + 1 + lipgloss.Height(l.body) }
	for _, room := range []int{avail - timelineRoom, avail} {
		for _, l := range layouts {
			if height(l) <= room {
				return strings.Join([]string{head, l.steps, "", l.body}, "\n")
			}
		}
	}
	last := layouts[len(layouts)-1]
	return strings.Join([]string{head, last.steps, "", last.body}, "\n")
}

// headView is the flow's name, and the spinner while a call is in flight.
func (v FlowView) headView() string {
	s := v.common.Styles
	right := s.Muted.Render(safetext.Line(v.flow.ID))
	if v.busy {
		right = v.spinner.View() + s.Pending.Render(" running…")
	}
	return spread(s.FormTitle.Render("Flow "+safetext.Line(v.flow.Name)), right, v.common.Width)
}

// pickerView lists the flows, the selected one's description under the list.
func (v FlowView) pickerView() string {
	s, w := v.common.Styles, v.common.Width
	lines := []string{s.FormTitle.Render("Flows") + s.Muted.Render(" · built in and --flows DIR")}
	if len(v.flows) == 0 {
		return strings.Join(append(lines, s.Muted.Render("no flows")), "\n")
	}
	idw := 0
	for _, f := range v.flows {
		idw = max(idw, min(ansi.StringWidth(f.ID), 24))
	}
	for i, f := range v.flows {
		mark, id := "  ", s.FormLabel.Render(padRight(safetext.Line(f.ID), idw))
		if i == v.cursor {
			mark, id = s.Selected.Render("▸ "), s.FlowCurrent.Render(padRight(safetext.Line(f.ID), idw))
		}
		name := f.Name
		if !f.Builtin {
			name += " · " + f.File
		}
		lines = append(lines, ansi.Truncate(mark+id+"  "+s.Muted.Render(safetext.Line(name)), w, "…"))
	}
	if d := v.flows[v.cursor].Description; d != "" {
		lines = append(lines, "", s.FormHint.Render(wrap(safetext.Line(d), w)))
	}
	return strings.Join(lines, "\n")
}

// stepsView lists the steps of the flow the execution is in, marked: ▶ the screen it
// waits on, ✓ a step that ran, ✗ one whose last run failed (its error policy chose
// what followed), · one not reached. The full list gives each step a line with where
// it went last (the branch taken); the compact one is the marks alone, wrapped.
func (v FlowView) stepsView(compact bool) string {
	s, w := v.common.Styles, v.common.Width
	f := v.flow
	if sub, err := v.engine.Flows().Get(v.inFlow); err == nil {
		f = sub
	}
	current := ""
	if v.resp != nil && v.resp.Status == flow.StatusWaiting && v.resp.Screen != nil {
		current = v.resp.Screen.ID
	}
	idw := 0
	for _, id := range f.Order {
		idw = max(idw, min(ansi.StringWidth(id), 16))
	}
	var items []string
	for _, id := range f.Order {
		m := v.marks[f.ID+"/"+id]
		glyph, st, what := "·", s.Muted, ""
		switch {
		case id == current:
			glyph, st, what = "▶", s.FlowCurrent, "waiting"
		case m.failed:
			glyph, st = "✗", s.Failure
		case m.ran:
			glyph, st = "✓", s.Success
		}
		if what == "" && m.ran {
			what = m.outcome
			if m.to != "" {
				what += " → " + m.to
			}
		}
		name := safetext.Line(id)
		if compact {
			items = append(items, st.Render(glyph+name))
			continue
		}
		line := st.Render(glyph) + " " + st.Render(padRight(name, idw))
		if what != "" {
			ws := s.Muted
			if m.failed && id != current {
				ws = s.Failure
			}
			line += " " + ws.Render(safetext.Line(what))
		}
		items = append(items, ansi.Truncate(line, w, "…"))
	}
	if compact {
		return wrap(strings.Join(items, " "), w)
	}
	if srv, ok := v.engine.(flowServer); ok {
		items = append(items, s.Muted.Render(wrap("on "+safetext.Line(srv.Server())+": the server shows its screens, not the steps between them", w)))
	}
	return strings.Join(items, "\n")
}

// bodyView is the screen the execution waits on, as a form, or how it ended. withQR
// draws the enrolment's QR code in the pane; without it, z shows it full screen.
func (v FlowView) bodyView(withQR bool) string {
	s, w := v.common.Styles, v.common.Width
	var lines []string
	if v.err != nil {
		lines = append(lines, wrapNote(s.ErrorTitle.Render("✗ "), errLine(v.err), s.ErrorBody, w, 3, true)...)
	}
	switch {
	case v.phase == flowEnded && v.resp != nil:
		return strings.Join(append(lines, v.endView()...), "\n")
	case v.form == nil:
		return strings.Join(append(lines, s.Pending.Render("starting…")), "\n")
	}
	sv := v.form.screen
	if sv.Title != "" {
		lines = append(lines, s.FlowScreen.Render(wrap(safetext.Line(sv.Title), w)))
	}
	if t, _ := sv.State["errorText"].(string); t != "" {
		typ, _ := sv.State["errorType"].(string)
		lines = append(lines, wrapNote(s.ErrorTitle.Render("✗ "), safetext.Line(t)+" ("+safetext.Line(typ)+")", s.ErrorBody, w, 3, true)...)
	}
	focus, _ := v.form.focused()
	buttons := false
	for i, n := range sv.Nodes {
		switch n.Type {
		case flow.NodeText:
			lines = append(lines, s.FormLabel.Render(wrap(safetext.Block(n.Text), w)))
		case flow.NodeLink:
			lines = append(lines, s.Muted.Render(ansi.Truncate(safetext.Line(nodeLabel(n))+": "+safetext.Line(n.Href), w, "…")))
		case flow.NodeImage:
			lines = append(lines, s.Muted.Render(ansi.Truncate("[image "+safetext.Line(cmp.Or(n.Label, n.ID, n.Src))+"]", w, "…")))
		case flow.NodeTOTP:
			lines = append(lines, v.totpView(n, focus.kind == ctlQR && focus.node == i, withQR)...)
		case flow.NodeInput:
			c := v.controlOf(i)
			label := s.FormLabel.Render(safetext.Line(nodeLabel(n)))
			if n.Format == "otp" && v.form.fill != "" {
				label += s.FormHint.Render(" · from " + safetext.Line(v.form.fill))
			}
			lines = append(lines, ansi.Truncate(label, w, "…"), v.form.inputs[v.form.controls[c].input].View())
		case flow.NodeSubmit:
			if !buttons {
				lines = append(lines, v.buttonsView(focus))
				buttons = true
			}
		}
	}
	if v.form.err != nil {
		lines = append(lines, wrapNote(s.ErrorTitle.Render("✗ "), errLine(v.form.err), s.ErrorBody, w, 3, true)...)
	}
	return strings.Join(lines, "\n")
}

// totpView is an enrolment: its QR code when there is room (z shows it full screen
// either way) and its key, for apps that take it typed.
func (v FlowView) totpView(n flow.NodeView, focused, withQR bool) []string {
	s, w := v.common.Styles, v.common.Width
	head := s.FormLabel.Render("  QR code")
	if focused {
		head = s.Selected.Render("▸ ") + s.FlowCurrent.Render("QR code") + s.FormHint.Render(" · e enrols · z zooms")
	}
	lines := []string{ansi.Truncate(head, w, "…")}
	switch {
	case v.qrErr != nil:
		lines = append(lines, s.ErrorBody.Render("QR: "+errLine(v.qrErr)))
	case withQR && v.qr != "":
		lines = append(lines, s.paintQR(v.qr))
	case v.qr != "":
		lines = append(lines, s.Muted.Render("z shows the QR code full screen"))
	}
	return append(lines, ansi.Truncate(s.FormLabel.Render("Key ")+s.Secret.Render(safetext.Line(n.TOTP.Key)), w, "…"))
}

// buttonsView is the screen's submit buttons in a row, the focused one marked.
func (v FlowView) buttonsView(focus control) string {
	s := v.common.Styles
	var bs []string
	for _, c := range v.form.controls {
		if c.kind != ctlSubmit {
			continue
		}
		label := "[ " + safetext.Line(nodeLabel(v.form.screen.Nodes[c.node])) + " ]"
		if focus.kind == ctlSubmit && focus.node == c.node {
			bs = append(bs, s.Selected.Render("▸")+s.FlowButtonOn.Render(label))
		} else {
			bs = append(bs, " "+s.FlowButton.Render(label))
		}
	}
	return ansi.Truncate(strings.Join(bs, " "), v.common.Width, "…")
}

// controlOf is the index of node i's control.
func (v FlowView) controlOf(node int) int {
	for i, c := range v.form.controls {
		if c.node == node {
			return i
		}
	}
	return 0
}

// endView says how the execution ended: completed (who signed in, the output) or
// failed (why).
func (v FlowView) endView() []string {
	s, w, r := v.common.Styles, v.common.Width, v.resp
	if r.Status == flow.StatusFailed {
		text, typ := "the flow failed", ""
		if r.Error != nil {
			text, typ = r.Error.Text, " ("+r.Error.Type+")"
		}
		return append([]string{s.ErrorTitle.Render("✗ Failed")}, wrapNote("", safetext.Line(text+typ), s.ErrorBody, w, 3, true)...)
	}
	lines := []string{s.Success.Render("✓ Completed")}
	if r.Session != nil {
		who := "signed in as " + safetext.Line(cmp.Or(r.Session.User.LoginID, r.Session.SessionClaims.Subject))
		if r.Session.FirstSeen {
			who += " · first sign-in, enrolment complete"
		}
		lines = append(lines, s.FormLabel.Render(wrap(who, w)))
	}
	keys := make([]string, 0, len(r.Output))
	for k := range r.Output {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lines = append(lines, ansi.Truncate(s.Muted.Render("output ")+s.FormLabel.Render(safetext.Line(k))+" "+safetext.Line(fmt.Sprint(r.Output[k])), w, "…"))
	}
	return lines
}

// Hint suggests what to do next, for the pane's hint line.
func (v FlowView) Hint() string {
	s := v.common.Styles
	switch {
	case v.busy:
		return s.Pending.Render("waiting for the backend…")
	case v.phase == flowPicking:
		return s.FormHint.Render("enter runs the flow · esc closes")
	case v.phase == flowEnded:
		return s.FormHint.Render("enter runs it again · f another flow · esc closes")
	case v.QRFocused():
		return s.FormHint.Render("e enrols it in the authenticator · tab to the code")
	}
	if _, ok := v.FillLoginID(); ok {
		return s.FormHint.Render("ctrl+f fills the code from the authenticator")
	}
	return s.FormHint.Render("enter submits · tab next · esc leaves the flow")
}

// ShortHelp implements help.KeyMap.
func (v FlowView) ShortHelp() []key.Binding {
	k := v.keys
	switch {
	case v.overlay != nil:
		return []key.Binding{k.Close}
	case v.phase == flowPicking:
		return []key.Binding{k.Start, k.Down, k.Close}
	case v.phase == flowEnded:
		return []key.Binding{k.Again, k.Pick, k.Close}
	case v.QRFocused():
		return []key.Binding{k.Enrol, k.ZoomQR, k.Fill, k.Submit, k.NextField, k.Close}
	}
	if _, ok := v.FillLoginID(); ok {
		return []key.Binding{k.Fill, k.Submit, k.NextField, k.Close}
	}
	return []key.Binding{k.Submit, k.NextField, k.Close}
}

// FullHelp implements help.KeyMap.
func (v FlowView) FullHelp() [][]key.Binding {
	k := v.keys
	return [][]key.Binding{v.ShortHelp(), {k.Enrol, k.ZoomQR, k.Fill, k.PrevField}}
}

// traceEntry is the timeline's line for one answer: the hops its trace took (the
// branch each step went down), every error variable an action set, and where the
// execution is now. Its API code is that of the last error. An error shown on the
// screen again (automatic), a failure branch and a failed end are failures; an error a
// flow routes to a branch of its own type (sign-up-or-in's UserExists) is not.
func (v FlowView) traceEntry(r *flow.Response) entry {
	e := entry{op: opFlow, loginID: v.flow.ID, ok: true}
	var path strings.Builder
	var vars []string
	var lastErr *flow.StepError
	to := ""
	for i, t := range r.Trace {
		if t.Outcome == "abort" && i > 0 && r.Trace[i-1].Step == t.Step {
			continue // fail() repeats the action's own abort entry
		}
		// One path: a step is named again only where the trace does not go on from
		// where the last hop went.
		switch {
		case path.Len() == 0:
			path.WriteString(t.Step)
		case t.Step != to:
			path.WriteString(" · " + t.Step)
		}
		path.WriteString(" ─" + t.Outcome)
		if to = t.To; to != "" {
			path.WriteString("→ " + to)
		}
		if t.Err == nil {
			continue
		}
		e.code, lastErr = t.Err.Code, t.Err
		switch name := v.errorVar(t); {
		case name != "":
			vars = append(vars, fmt.Sprintf("%s = {type: %s, text: %q}", name, t.Err.Type, t.Err.Text))
		case t.Kind == flow.KindScreen:
			// A server's answer: the error its screen shows (its variables are its own).
			vars = append(vars, fmt.Sprintf("shows %q (%s)", t.Err.Text, t.Err.Type))
		}
		if v.failure(t) {
			e.ok = false
		}
	}
	parts := []string{"started"}
	if path.Len() > 0 {
		parts[0] = path.String()
	}
	parts = append(parts, vars...)
	switch r.Status {
	case flow.StatusWaiting:
		if r.Screen != nil {
			parts = append(parts, "waits on "+r.Screen.ID)
		}
	case flow.StatusCompleted:
		parts = append(parts, "completed")
		if r.Session != nil {
			parts[len(parts)-1] += ": signed in as " + cmp.Or(r.Session.User.LoginID, r.Session.SessionClaims.Subject)
		}
	case flow.StatusFailed:
		e.ok = false
		switch {
		case r.Error == nil:
			parts = append(parts, "failed")
		case len(vars) > 0 && lastErr != nil && *lastErr == *r.Error:
			e.code = r.Error.Code
			parts = append(parts, "failed ("+r.Error.Type+")") // the error variable has said it
		default:
			e.code = r.Error.Code
			parts = append(parts, "failed: "+r.Error.Text+" ("+r.Error.Type+")")
		}
	}
	e.summary = strings.Join(parts, " · ")
	return e
}

// errorVar is the error variable of the action a trace entry ran, if it has one.
func (v FlowView) errorVar(t flow.TraceEntry) string {
	f, err := v.engine.Flows().Get(cmp.Or(t.Flow, v.flow.ID))
	if err != nil {
		return ""
	}
	if st := f.Steps[t.Step]; st != nil && st.Action != nil {
		return st.Action.ErrorVar
	}
	return ""
}

// failure reports whether an action's error is a failure: shown on the screen again,
// sent down the failure branch, or ending the execution. An error the flow routes to
// a branch named for its type, or ignores, is a path the flow expects.
func (v FlowView) failure(t flow.TraceEntry) bool {
	switch {
	case strings.HasPrefix(t.Outcome, "ignored "):
		return false
	case strings.HasPrefix(t.Outcome, "branch "):
		f, err := v.engine.Flows().Get(cmp.Or(t.Flow, v.flow.ID))
		if err != nil {
			return true
		}
		st := f.Steps[t.Step]
		return st == nil || st.Next[t.Err.Type] != t.To
	}
	return true
}

// sessionOf is a flow's session as the verifier pane keeps it.
func sessionOf(s verifier.Session) Session {
	return Session{SessionJWT: s.SessionJWT, RefreshJWT: s.RefreshJWT, Subject: s.SessionClaims.Subject,
		LoginID: s.User.LoginID, AMR: s.SessionClaims.AMR, Expires: s.SessionClaims.Expires, FirstSeen: s.FirstSeen}
}
