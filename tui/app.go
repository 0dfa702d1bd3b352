// Package tui is otpair's terminal UI: an authenticator pane that shows rolling codes
// and a verifier pane that runs sign-up, sign-in, update and seed deletion, paired so a
// whole enrolment takes a few keystrokes. It consumes small interfaces (AccountStore,
// Verifier, Clipboard) that cmd/otpair wires to the real packages; every I/O call runs
// in a tea.Cmd, and every time shown comes from a tick or the injected clock.
package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/otpair/otpair/internal/safetext"
)

// stackBelow is the terminal width under which the panes stack instead of sitting side
// by side: two panes narrower than 40 columns cannot show a code and its countdown.
const stackBelow = 80

// wideFrom is the width from which the verifier pane is made wider than the
// authenticator pane.
const wideFrom = 100

// focus names the pane that has the keyboard.
type focus int

const (
	focusAuth focus = iota
	focusVerify
)

// String implements fmt.Stringer.
func (f focus) String() string { return [...]string{"authenticator", "verifier"}[f] }

// Options are the dependencies of the app.
type Options struct {
	Auth   AuthDeps
	Verify VerifyDeps
	Demo   *DemoOptions // non-nil plays the scripted lifecycle
}

// App is the root model: it owns layout, focus, the global keys, help and the pairing
// between the two panes.
type App struct {
	common  Common
	auth    AuthPane
	verify  VerifyPane
	focus   focus
	help    help.Model
	full    bool
	stacked bool
	now     time.Time
	demo    *demo
	ready   bool     // a size has arrived
	errView *overlay // the last error in full (!)
}

// New builds the app. Nothing is opened until Init's commands run.
func New(c Common, opts Options) App {
	if c.Styles == nil {
		c.Styles = DefaultStyles(lipgloss.DefaultRenderer())
	}
	if c.KeyMap == nil {
		c.KeyMap = DefaultKeyMap()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	a := App{common: c, auth: NewAuthPane(c, opts.Auth), verify: NewVerifyPane(c, opts.Verify)}
	a.help = help.New()
	a.help.Styles.ShortKey = c.Styles.HelpKey
	a.help.Styles.ShortDesc = c.Styles.HelpDesc
	a.help.Styles.ShortSeparator = c.Styles.HelpSeparator
	a.help.Styles.FullKey = c.Styles.HelpKey
	a.help.Styles.FullDesc = c.Styles.HelpDesc
	a.help.Styles.FullSeparator = c.Styles.HelpSeparator
	a.help.Styles.Ellipsis = c.Styles.HelpSeparator
	if opts.Demo != nil {
		a.demo = newDemo(*opts.Demo)
	}
	a.auth.Focus()
	a.common.KeyMap.Advance.SetEnabled(a.demo != nil)
	a.setSize(80, 24)
	return a
}

// Init starts both panes: the vault and the backend open in commands while the first
// frame shows spinners.
func (a App) Init() tea.Cmd {
	cmds := []tea.Cmd{a.auth.Init(), a.verify.Init()}
	if a.demo != nil {
		cmds = append(cmds, a.demo.init())
	}
	return tea.Batch(cmds...)
}

// Update routes messages: keys to the focused pane after the global keys, everything
// else to its owner (both panes ignore what is not theirs).
func (a App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.ready = true
		a.setSize(msg.Width, msg.Height)
		return a, nil
	case tea.KeyMsg:
		a.auth.Touch()
		return a.handleKey(msg)
	case tea.MouseMsg:
		a.auth.Touch()
		return a.mouse(msg)
	case tickMsg:
		var cmd tea.Cmd
		a.auth, cmd = a.auth.Update(msg)
		if msg.id == a.auth.id && msg.tag == a.auth.tag {
			a.now = msg.t
			a.verify.SetNow(msg.t)
		}
		a.syncKeys()
		return a, cmd
	case demoMsg:
		return a.demoStep(msg)
	case enrolDoneMsg:
		if msg.err == nil {
			a.verify.MarkEnrolled(msg.uri)
		}
	}
	var c1, c2, c3 tea.Cmd
	a.auth, c1 = a.auth.Update(msg)
	a.verify, c2 = a.verify.Update(msg)
	if a.demo != nil {
		c3 = a.demoObserve()
	}
	a.relayout()
	a.syncKeys()
	return a, tea.Batch(c1, c2, c3)
}

func (a App) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := a.common.KeyMap
	if key.Matches(msg, k.ForceQuit) {
		return a, tea.Quit
	}
	a.syncKeys()
	if a.errView != nil {
		if msg.Type == tea.KeyEsc || key.Matches(msg, k.ShowError) {
			a.errView = nil
		}
		return a, nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return a, tea.Quit
	case key.Matches(msg, k.ShowError) && a.overlay() == nil:
		if err := a.lastError(); err != nil {
			a.errView = &overlay{title: "The last error in full", body: errBlock(err), hint: "esc closes"}
		}
		return a, nil
	case key.Matches(msg, k.Switch) && a.overlay() == nil:
		a.toggleFocus()
		return a, nil
	case key.Matches(msg, k.Help):
		a.full = !a.full
		if a.full {
			k.Help.SetHelp("?", "less")
		} else {
			k.Help.SetHelp("?", "more")
		}
		a.relayout()
		return a, nil
	case key.Matches(msg, k.Advance):
		return a.demoAdvance()
	}
	var cmd tea.Cmd
	if a.focus == focusAuth {
		a.auth, cmd = a.auth.Update(msg)
	} else {
		if handled, pcmd := a.pair(msg); handled {
			return a, pcmd
		}
		a.verify, cmd = a.verify.Update(msg)
	}
	a.relayout()
	a.syncKeys()
	return a, cmd
}

// pair handles the verifier keys that reach into the authenticator: e hands the
// sign-up URI over, ctrl+f takes a code back. The root calls pane methods directly.
func (a *App) pair(msg tea.KeyMsg) (bool, tea.Cmd) {
	if a.verify.flow != nil {
		return a.pairFlow(msg)
	}
	vk := a.verify.keys
	switch {
	case key.Matches(msg, vk.Enrol) && !a.verify.Typing() && a.verify.Overlay() == nil:
		uri, _, ok := a.verify.EnrolURI()
		if !ok {
			a.verify.addEntry(entry{op: opSignUp, summary: "nothing to enrol: sign up (s) or update (u) first"})
			return true, nil
		}
		return true, a.auth.Enrol(uri)
	case key.Matches(msg, vk.Fill):
		login, ok := a.verify.FillLoginID()
		if !ok {
			return false, nil
		}
		code, label, id, ok := a.auth.CodeFor(login)
		if !ok {
			a.verify.form.err = fmt.Errorf("the authenticator has no code for %q yet: enrol first (e)", login)
			return true, nil
		}
		a.verify.FillCode(code, label, a.auth.Shift(), a.auth.PeriodOf(id))
		return true, a.auth.MarkUsed(id)
	}
	return false, nil
}

// lastError is the focused pane's last error, else the other's.
func (a App) lastError() error {
	first, second := a.auth.LastError(), a.verify.LastError()
	if a.focus == focusVerify {
		first, second = second, first
	}
	if first != nil {
		return first
	}
	return second
}

// syncKeys turns the global keys off while a text field has the keyboard (plain q
// types a q there) and back on after. It runs before every key and after every other
// message, since a result (the vault opening) can end the typing too.
func (a App) syncKeys() {
	k, typing := a.common.KeyMap, a.typing()
	k.Quit.SetEnabled(!typing)
	k.Switch.SetEnabled(!typing)
	k.Help.SetEnabled(!typing)
	k.Advance.SetEnabled(a.demo != nil && !typing && !a.demo.over())
	k.ShowError.SetEnabled(!typing && a.lastError() != nil)
}

func (a *App) toggleFocus() {
	if a.focus == focusAuth {
		a.focus = focusVerify
		a.auth.Blur()
		a.verify.Focus()
	} else {
		a.focus = focusAuth
		a.verify.Blur()
		a.auth.Focus()
	}
}

// focusOn moves the keyboard to pane f (the demo uses it to follow the action).
func (a *App) focusOn(f focus) {
	if a.focus != f {
		a.toggleFocus()
	}
}

func (a App) typing() bool {
	if a.focus == focusAuth {
		return a.auth.Typing()
	}
	return a.verify.Typing()
}

func (a App) overlay() *overlay {
	if o := a.auth.Overlay(); o != nil {
		return o
	}
	return a.verify.Overlay()
}

// setSize records the terminal size and lays the panes out in it.
func (a *App) setSize(w, h int) {
	a.common.Width, a.common.Height = w, h
	a.help.Width = w
	a.relayout()
}

// relayout gives each pane its box: side by side when wide, stacked when narrow, under
// the caption and above the status bar and help. Frame sizes come from the styles.
func (a *App) relayout() {
	w, h := a.common.Width, a.common.Height
	a.stacked = w < stackBelow
	free := h - 1 - lipgloss.Height(a.helpView())
	if c := a.captionView(); c != "" {
		free -= lipgloss.Height(c)
	}
	st := a.common.Styles.PaneBlurred
	fw, fh := st.GetHorizontalFrameSize(), st.GetVerticalFrameSize()
	if a.stacked {
		top := free / 2
		a.auth.SetSize(max(1, w-fw), max(1, top-fh))
		a.verify.SetSize(max(1, w-fw), max(1, free-top-fh))
		return
	}
	// The verifier pane gets the larger share when there is room: its sign-up QR code
	// is about 57 columns wide, while an account row reads well in 50.
	left := w / 2
	if w >= wideFrom {
		left = w * 9 / 20
	}
	a.auth.SetSize(max(1, left-fw), max(1, free-fh))
	a.verify.SetSize(max(1, w-left-fw), max(1, free-fh))
}

// Minimum terminal size: below it the panes cannot show an account row and a form
// line, and the TUI says so instead of breaking its borders or hiding the list.
const (
	minWidth  = 44
	minHeight = 16
)

// View draws the whole screen.
func (a App) View() string {
	s := a.common.Styles
	w, h := a.common.Width, a.common.Height
	if w < minWidth || h < minHeight {
		msg := s.ErrorTitle.Render("terminal too small") + "\n" +
			s.Muted.Render(fmt.Sprintf("need %d×%d, have %d×%d", minWidth, minHeight, w, h)) + "\n" + s.Muted.Render("ctrl+c quits")
		return fit(lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, msg), w, h)
	}
	if o := a.fullScreen(); o != nil {
		// A full-screen view takes the whole screen: a sign-up's QR code then fits
		// an 80x24 terminal with its title and hint.
		return fit(a.overlayView(o, w, h), w, h)
	}
	box := func(f focus, content string) string {
		if a.focus == f {
			return frame(s.PaneFocused, s.PaneEdgeOn, content)
		}
		return frame(s.PaneBlurred, s.PaneEdge, content)
	}
	authBox := box(focusAuth, a.auth.View())
	verifyBox := box(focusVerify, a.verify.View())
	var panes string
	if a.stacked {
		panes = authBox + "\n" + verifyBox // same width: both span the screen
	} else {
		panes = joinSide(authBox, verifyBox)
	}
	parts := []string{}
	if c := a.captionView(); c != "" {
		parts = append(parts, c)
	}
	parts = append(parts, panes, a.statusView(), a.helpView())
	return fitHeight(strings.Join(parts, "\n"), h)
}

// fullScreen is the view that takes the whole screen, if any: the last error in full,
// or a pane's QR code.
func (a App) fullScreen() *overlay {
	if a.errView != nil {
		return a.errView
	}
	return a.overlay()
}

// overlayView centres a full-screen view (a QR code, an error) in w×h: its title,
// body and hint, with blank lines between them when there is room. A QR code that
// does not fit says what size it needs; text is wrapped to the screen.
func (a App) overlayView(o *overlay, w, h int) string {
	s := a.common.Styles
	title, hint := s.FormTitle.Render(ansi.Truncate(safetext.Line(o.title), w, "…")), s.FormHint.Render(ansi.Truncate(o.hint, w, "…"))
	body := o.body
	if o == a.errView {
		body = s.ErrorBody.Render(wrap(o.body, max(10, min(w-4, 100))))
	} else {
		qw, qh := lipgloss.Width(body), lipgloss.Height(body)
		if qw > w || qh+2 > h {
			msg := s.ErrorTitle.Render("The QR code needs a bigger terminal") + "\n" +
				s.Muted.Render(wrap(fmt.Sprintf("It is %dx%d with its title and hint; this window has %dx%d. Enlarge it or zoom out, then look again. esc closes.",
					qw, qh+2, w, h), max(10, w-2)))
			return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, msg)
		}
		body = s.paintQR(body)
	}
	box := lipgloss.JoinVertical(lipgloss.Center, title, body, hint)
	if lipgloss.Height(box)+2 <= h {
		box = lipgloss.JoinVertical(lipgloss.Center, title, "", body, "", hint)
	}
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}

// statusView is the one-line status bar: vault mode, backend, focus, clock shift and
// time. When it does not fit, its words get shorter before anything is cut: the
// focus is the only sign of it without colour (NO_COLOR).
func (a App) statusView() string {
	s := a.common.Styles
	vault, short := "vault: opening…", "opening…"
	switch {
	case a.auth.state == authLocked && (a.auth.info.Passphrase || a.auth.Mode() == ""):
		vault, short = "vault: passphrase mode, locked", "locked"
	case a.auth.Mode() != "":
		vault, short = "vault: "+safetext.Line(a.auth.Mode()), safetext.Line(a.auth.Mode())
		if left, ok := a.auth.LocksIn(); ok && left <= time.Minute {
			lock := fmt.Sprintf(", locks in 0:%02d", int(left.Seconds()))
			vault, short = vault+lock, short+lock
		}
	case a.auth.state == authFailed:
		vault, short = "vault: not open", "not open"
	}
	right := ""
	if d := a.auth.Shift(); d != 0 {
		right = s.StatusKey.Render(fmt.Sprintf("clock %+ds", int(d.Seconds())))
	}
	if !a.now.IsZero() {
		// The verifier's time: the wall clock, or the demo's after it jumped ahead.
		right += s.StatusText.Render(a.verify.now.Format("15:04:05"))
	}
	backend := safetext.Line(a.verify.Backend())
	w := a.common.Width
	// Measured as plain text (the styles add a padding cell each side), styled once.
	room := w - lipgloss.Width(right) - 1 - ansi.StringWidth("otpair") - 4
	var text string
	for _, text = range []string{
		vault + " · backend: " + backend + " · focus: " + a.focus.String(),
		short + " · " + backend + " · focus: " + a.focus.String(),
		short + " · " + backend + " · " + a.focus.String(),
	} {
		if ansi.StringWidth(text) <= room {
			break
		}
	}
	left := s.StatusKey.Render("otpair") + s.StatusText.Render(text)
	line := spread(left, right, w)
	return s.StatusBar.Render(padRight(line, w))
}

// helpView is the short or full help: the global keys and the focused pane's. When the
// short help is wider than the screen the pane's last keys give way, so tab, ? and q
// always show (help.Model would otherwise overflow a narrow screen).
func (a App) helpView() string {
	if a.full {
		return a.help.FullHelpView(a.FullHelp())
	}
	pane, global := a.shortHelp()
	h := a.help
	h.Width = 0 // measure untruncated
	for {
		v := h.ShortHelpView(append(pane[:len(pane):len(pane)], global...))
		if lipgloss.Width(v) <= a.common.Width || len(pane) == 0 {
			return ansi.Truncate(v, a.common.Width, "…")
		}
		pane = pane[:len(pane)-1]
	}
}

// ShortHelp implements help.KeyMap: the focused pane's keys, then the global ones.
func (a App) ShortHelp() []key.Binding {
	pane, global := a.shortHelp()
	return append(pane, global...)
}

// shortHelp is ShortHelp in its two parts: the focused pane's keys and the global ones.
func (a App) shortHelp() (pane, global []key.Binding) {
	k := a.common.KeyMap
	if a.focus == focusAuth {
		pane = a.auth.ShortHelp()
	} else {
		pane = a.verify.ShortHelp()
	}
	if a.overlay() != nil {
		return pane, []key.Binding{k.ForceQuit}
	}
	if !a.typing() {
		if k.ShowError.Enabled() {
			global = append(global, k.ShowError)
		}
		global = append(global, k.Switch)
		if k.Advance.Enabled() {
			global = append(global, k.Advance)
		}
		global = append(global, k.Help, k.Quit)
	}
	return pane, global
}

// FullHelp implements help.KeyMap.
func (a App) FullHelp() [][]key.Binding {
	k := a.common.KeyMap
	var b [][]key.Binding
	if a.focus == focusAuth {
		b = a.auth.FullHelp()
	} else {
		b = a.verify.FullHelp()
	}
	global := []key.Binding{k.Switch, k.ShowError, k.Help, k.Quit, k.ForceQuit}
	if k.Advance.Enabled() {
		global = append([]key.Binding{k.Advance}, global...)
	}
	return append(b, global)
}
