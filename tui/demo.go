package tui

import (
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// DemoOptions configure `otpair demo`.
type DemoOptions struct {
	Auto    bool          // advance by itself
	Delay   time.Duration // pause between steps when Auto
	LoginID string        // the demo user
	// SkipTime moves the demo backend's clock ahead, so the last step can show a
	// sign-in after the lockout has expired. Nil leaves the clock alone.
	SkipTime func(d time.Duration)
}

// demoMsg advances an --auto demo; tag drops timers from steps already passed.
type demoMsg struct{ tag int }

// demoSkip is how far the last step moves both clocks: past the default lockout.
const demoSkip = 6 * time.Minute

// demo plays the lifecycle one step at a time through the panes' own methods, so what
// it shows is exactly what the keys do.
type demo struct {
	opts     DemoOptions
	steps    []demoStep
	step     int  // index of the step on screen
	running  bool // its requests are still in flight
	tag      int
	lastCode string
	attempts int
}

// demoStep is one caption and what it does. more runs whenever the step's requests
// settle and may send another one (the lockout loop); it returns nil when done.
type demoStep struct {
	caption string
	run     func(a *App, d *demo) tea.Cmd
	more    func(a *App, d *demo) tea.Cmd
}

func newDemo(o DemoOptions) *demo {
	if o.LoginID == "" {
		o.LoginID = "alice@example.com"
	}
	if o.Delay <= 0 {
		o.Delay = 3 * time.Second
	}
	d := &demo{opts: o}
	d.steps = demoSteps(o.LoginID)
	return d
}

func (d *demo) init() tea.Cmd {
	if !d.opts.Auto {
		return nil
	}
	return d.timer()
}

func (d *demo) timer() tea.Cmd {
	tag := d.tag
	return tea.Tick(d.opts.Delay, func(time.Time) tea.Msg { return demoMsg{tag: tag} })
}

func demoSteps(login string) []demoStep {
	return []demoStep{
		{caption: "otpair demo: a whole TOTP lifecycle on an in-memory verifier (right) and a throwaway vault (left). Press space for each step."},
		{caption: "Sign up: the verifier creates a secret for " + login + " and shows it as a URI, a key and a QR code a phone can scan.",
			run: func(a *App, d *demo) tea.Cmd {
				a.focusOn(focusVerify)
				return a.verify.SignUp(login, "Alice Example", login)
			}},
		{caption: "Enrol: the authenticator imports the provisioning URI, as a phone does when it scans the QR.",
			run: func(a *App, d *demo) tea.Cmd {
				uri, _, ok := a.verify.EnrolURI()
				if !ok {
					return nil
				}
				a.focusOn(focusAuth)
				return a.auth.Enrol(uri)
			}},
		{caption: "Sign in with the authenticator's current code: accepted, the first code completes the enrolment and a session starts.",
			run: func(a *App, d *demo) tea.Cmd {
				a.focusOn(focusVerify)
				d.lastCode, _, _, _ = a.auth.CodeFor(login)
				return a.verify.SignIn(login, d.lastCode)
			}},
		{caption: "Replay the same code: rejected. A code is accepted at most once, so a stolen code cannot be reused.",
			run: func(a *App, d *demo) tea.Cmd { return a.verify.SignIn(login, d.lastCode) }},
		{caption: "Update: the session asks for a new seed, the authenticator enrols it in place of the old one, and its first code, in the same period, confirms it.",
			run: func(a *App, d *demo) tea.Cmd {
				d.attempts = 0
				return a.verify.UpdateSeed()
			},
			more: func(a *App, d *demo) tea.Cmd {
				d.attempts++
				switch d.attempts {
				case 1:
					if uri, _, ok := a.verify.EnrolURI(); ok {
						return a.auth.Enrol(uri)
					}
				case 2:
					d.lastCode, _, _, _ = a.auth.CodeFor(login)
					return a.verify.SignIn(login, d.lastCode)
				}
				return nil
			}},
		{caption: "A wrong code: rejected, and counted as a failed attempt.",
			run: func(a *App, d *demo) tea.Cmd { return a.verify.SignIn(login, wrongCode(d.lastCode)) }},
		{caption: "Lockout: more wrong codes until the verifier locks " + login + " out for a while.",
			run: func(a *App, d *demo) tea.Cmd {
				d.attempts = 1
				return a.verify.SignIn(login, wrongCode(d.lastCode))
			},
			more: func(a *App, d *demo) tea.Cmd {
				if e, ok := a.verify.lastEntry(); ok && e.code == "E061103" || d.attempts >= 10 {
					return nil
				}
				d.attempts++
				return a.verify.SignIn(login, wrongCode(d.lastCode))
			}},
		{caption: "Delete seed: a management call removes " + login + "'s TOTP seed.",
			run: func(a *App, d *demo) tea.Cmd {
				a.focusOn(focusVerify)
				return a.verify.DeleteSeed(login)
			}},
		{caption: "Six minutes later (both clocks jump, see the banner and the status bar) the lock is over, but sign-in is rejected: there is no seed any more.",
			run: func(a *App, d *demo) tea.Cmd {
				if d.opts.SkipTime != nil {
					d.opts.SkipTime(demoSkip)
					a.auth.SetShift(demoSkip)
					a.verify.SetClockOffset(demoSkip)
				}
				code, _, _, _ := a.auth.CodeFor(login)
				if code == "" {
					code = wrongCode(d.lastCode)
				}
				return a.verify.SignIn(login, code)
			}},
		{caption: "That is the whole lifecycle. Explore with the keys below, or press q to quit."},
	}
}

// over reports whether the demo has shown its last step.
func (d *demo) over() bool { return d.step >= len(d.steps)-1 }

// wrongCode returns a code of the same length that differs in every digit.
func wrongCode(code string) string {
	if code == "" {
		return "000000"
	}
	b := []byte(code)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+5)%10
	}
	return string(b)
}

// demoAdvance runs the next step (space).
func (a App) demoAdvance() (tea.Model, tea.Cmd) {
	d := a.demo
	if d == nil || d.running || d.over() {
		return a, nil
	}
	if !a.auth.Ready() || !a.verify.Connected() {
		// The vault or the backend is still opening: a step now would only fail.
		if d.opts.Auto {
			return a, d.timer()
		}
		return a, nil
	}
	d.step++
	d.tag++
	st := d.steps[d.step]
	var cmd tea.Cmd
	if st.run != nil {
		cmd = st.run(&a, d)
	}
	d.running = cmd != nil
	a.relayout()
	a.syncKeys()
	if !d.running && d.opts.Auto {
		return a, tea.Batch(cmd, d.timer())
	}
	return a, cmd
}

// demoStep handles an --auto timer.
func (a App) demoStep(msg demoMsg) (tea.Model, tea.Cmd) {
	if a.demo == nil || msg.tag != a.demo.tag {
		return a, nil
	}
	return a.demoAdvance()
}

// demoObserve runs after every result: when the step's requests have settled it lets
// the step continue, or ends it and, with --auto, arms the next timer.
func (a *App) demoObserve() tea.Cmd {
	d := a.demo
	if !d.running || a.verify.Busy() || a.auth.busy {
		return nil
	}
	if st := d.steps[d.step]; st.more != nil {
		if cmd := st.more(a, d); cmd != nil {
			return cmd
		}
	}
	d.running = false
	if d.opts.Auto && d.step < len(d.steps)-1 {
		return d.timer()
	}
	return nil
}

// captionView is the demo's caption: two lines, always, so the panes do not move.
func (a App) captionView() string {
	d := a.demo
	if d == nil {
		return ""
	}
	s := a.common.Styles
	w := a.common.Width - s.Caption.GetHorizontalFrameSize()
	head := "Demo"
	if d.step > 0 && d.step < len(d.steps)-1 {
		head = fmt.Sprintf("Step %d of %d", d.step, len(d.steps)-2)
	}
	next := "space: next step"
	if !a.auth.Ready() || !a.verify.Connected() {
		next = "opening the vault and the backend…"
	} else if d.opts.Auto {
		next = "playing automatically"
	}
	if d.over() {
		next = "the end"
	}
	text := s.FormTitle.Render(head) + s.Muted.Render(" · "+next) + "\n" + wrap(d.steps[d.step].caption, w)
	return s.Caption.Render(fit(text, w, 3))
}
