package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/verifier/flow"
)

// controlKind is what a focusable part of a flow screen is.
type controlKind int

const (
	ctlQR     controlKind = iota // an enrolment's QR code: e enrols it, z zooms it
	ctlInput                     // a text input node
	ctlSubmit                    // a submit node: an interaction of the screen
)

// String implements fmt.Stringer.
func (k controlKind) String() string { return [...]string{"qr", "input", "submit"}[k] }

// control is one focusable part of a flow screen, in the screen's node order.
type control struct {
	kind  controlKind
	node  int // index into the screen's nodes
	input int // index into flowForm.inputs (ctlInput)
}

// flowForm is a flow screen as a form: a text input per input node and a button per
// submit node, tab cycling through them (and through the QR code of an enrolment,
// which takes e and z while it has the focus).
type flowForm struct {
	screen   *flow.ScreenView
	inputs   []textinput.Model
	controls []control
	focus    int
	err      error  // a local check that failed (required, code format), or a fill that could not
	fill     string // which account ctrl+f took the code from
}

// newFlowForm builds the form of screen sv. An input starts with what the execution
// kept of it (screen.state.form: the login id after an error, never a code); the
// focus starts on the QR code of an enrolment, else on the first input.
func newFlowForm(sv *flow.ScreenView) *flowForm {
	f := &flowForm{screen: sv}
	kept, _ := sv.State["form"].(map[string]any)
	first := -1
	for i, n := range sv.Nodes {
		switch n.Type {
		case flow.NodeTOTP:
			if n.TOTP != nil && n.TOTP.ProvisionURL != "" {
				f.controls = append(f.controls, control{kind: ctlQR, node: i})
			}
		case flow.NodeInput:
			ti := newInput(placeholderFor(n))
			// A value the server kept goes back into an input, where it is drawn as it
			// is and sent back as it is: one a terminal would act on is not kept.
			if v, ok := kept[n.Name].(string); ok && n.Format != "otp" && safetext.Line(v) == v {
				ti.SetValue(v)
				ti.CursorEnd()
			}
			if n.Format == "otp" {
				ti.CharLimit = 9
			}
			if first < 0 {
				first = len(f.controls)
			}
			f.controls = append(f.controls, control{kind: ctlInput, node: i, input: len(f.inputs)})
			f.inputs = append(f.inputs, ti)
		case flow.NodeSubmit:
			f.controls = append(f.controls, control{kind: ctlSubmit, node: i})
		}
	}
	if len(f.controls) > 0 && f.controls[0].kind != ctlQR && first >= 0 {
		f.focus = first
	}
	return f
}

func placeholderFor(n flow.NodeView) string {
	switch n.Format {
	case "otp":
		return "6 to 8 digits"
	case "email":
		return "alice@example.com"
	}
	return safetext.Line(n.Name)
}

func (f *flowForm) setWidth(w int) {
	for i := range f.inputs {
		f.inputs[i].Width = max(4, w-4)
	}
}

// focused is the control with the focus (ok false on a screen without controls).
func (f *flowForm) focused() (control, bool) {
	if len(f.controls) == 0 {
		return control{}, false
	}
	return f.controls[f.focus], true
}

// focusOn moves the focus to control i (cycling) and gives its text input the cursor.
func (f *flowForm) focusOn(i int) tea.Cmd {
	if len(f.controls) == 0 {
		return nil
	}
	f.focus = (i + len(f.controls)) % len(f.controls)
	f.blur()
	if c := f.controls[f.focus]; c.kind == ctlInput {
		return f.inputs[c.input].Focus()
	}
	return nil
}

func (f *flowForm) blur() {
	for i := range f.inputs {
		f.inputs[i].Blur()
	}
}

// update moves the focus on tab and shift+tab and types into a focused text input.
func (f *flowForm) update(msg tea.KeyMsg, next, prev key.Binding) tea.Cmd {
	c, ok := f.focused()
	switch {
	case !ok:
		return nil
	case key.Matches(msg, next):
		return f.focusOn(f.focus + 1)
	case key.Matches(msg, prev):
		return f.focusOn(f.focus - 1)
	case c.kind != ctlInput:
		return nil
	}
	var cmd tea.Cmd
	f.inputs[c.input], cmd = f.inputs[c.input].Update(msg)
	f.err = nil
	return cmd
}

// interaction is the submit that enter presses: the focused button, else the first.
func (f *flowForm) interaction() (string, bool) {
	if c, ok := f.focused(); ok && c.kind == ctlSubmit {
		return f.screen.Nodes[c.node].ID, true
	}
	for _, c := range f.controls {
		if c.kind == ctlSubmit {
			return f.screen.Nodes[c.node].ID, true
		}
	}
	return "", false
}

// values is the screen's input, by input name. Codes lose the spaces people type
// between their halves.
func (f *flowForm) values() map[string]any {
	out := map[string]any{}
	for _, c := range f.controls {
		if c.kind != ctlInput {
			continue
		}
		n := f.screen.Nodes[c.node]
		v := strings.TrimSpace(f.inputs[c.input].Value())
		if n.Format == "otp" {
			v = strings.ReplaceAll(v, " ", "")
		}
		out[n.Name] = v
	}
	return out
}

// validate checks what the engine would refuse anyway, without a round trip: a
// required input left empty, a code that is no code. The first problem gets the focus.
func (f *flowForm) validate() error {
	for i, c := range f.controls {
		if c.kind != ctlInput {
			continue
		}
		n := f.screen.Nodes[c.node]
		v := strings.TrimSpace(f.inputs[c.input].Value())
		var err error
		switch {
		case n.Required && v == "":
			err = fmt.Errorf("%s is required", nodeLabel(n))
		case n.Format == "otp" && v != "":
			err = requireCode(v)
		}
		if err != nil {
			f.focusOn(i)
			return err
		}
	}
	return nil
}

// codeControl is the control of the screen's code input: the one of format otp,
// else one named code or totp_code.
func (f *flowForm) codeControl() (int, bool) {
	best := -1
	for i, c := range f.controls {
		if c.kind != ctlInput {
			continue
		}
		n := f.screen.Nodes[c.node]
		if n.Format == "otp" {
			return i, true
		}
		if best < 0 && (n.Name == "code" || n.Name == "totp_code") {
			best = i
		}
	}
	return best, best >= 0
}

// loginID is who the screen is about, for ctrl+f: a login id or username typed on
// this screen, else the one the execution kept from an earlier screen or the start.
func (f *flowForm) loginID() string {
	for _, c := range f.controls {
		if c.kind != ctlInput {
			continue
		}
		n := f.screen.Nodes[c.node]
		if v := strings.TrimSpace(f.inputs[c.input].Value()); v != "" && (n.Name == "loginId" || n.Name == "username" || n.Format == "email") {
			return v
		}
	}
	kept, _ := f.screen.State["form"].(map[string]any)
	for _, k := range []string{"loginId", "username"} {
		if v, ok := kept[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// setCode puts a code into the code input and moves the focus there.
func (f *flowForm) setCode(code, label string) {
	i, ok := f.codeControl()
	if !ok {
		return
	}
	in := &f.inputs[f.controls[i].input]
	in.SetValue(code)
	in.CursorEnd()
	f.focusOn(i)
	f.err, f.fill = nil, label
}

// qrNode is the enrolment the screen shows, if any.
func (f *flowForm) qrNode() (*flow.TOTPView, bool) {
	for _, n := range f.screen.Nodes {
		if n.Type == flow.NodeTOTP && n.TOTP != nil && n.TOTP.ProvisionURL != "" {
			return n.TOTP, true
		}
	}
	return nil, false
}

// nodeLabel is how a node is named on screen: its label, else its name or id.
func nodeLabel(n flow.NodeView) string {
	switch {
	case n.Label != "":
		return n.Label
	case n.Name != "":
		return n.Name
	}
	return n.ID
}
