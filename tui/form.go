package tui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/internal/safetext"
)

// formKind names the verifier pane's forms.
type formKind int

const (
	formNone formKind = iota
	formBackend
	formSignUp
	formSignIn
	formDeleteSeed
)

// String implements fmt.Stringer.
func (k formKind) String() string {
	return [...]string{"none", "backend", "sign up", "sign in", "delete seed"}[k]
}

// form is a titled stack of text inputs with tab/shift-tab focus cycling, in the
// shape of the bubbletea textinputs example.
type form struct {
	kind   formKind
	title  string
	hint   string
	labels []string
	inputs []textinput.Model
	// selected marks a field whose whole value is selected, as a browser selects a
	// field's text when it gets focus: typing replaces it rather than appending to a
	// prefilled login id, and a cursor key keeps it for editing.
	selected []bool
	focus    int
	err      error
}

// field describes one input of a form.
type field struct {
	label, placeholder, value string
	secret                    bool
	limit                     int // most characters the field takes; 0 is no limit
	validate                  textinput.ValidateFunc
}

func newForm(kind formKind, title, hint string, fields ...field) *form {
	f := &form{kind: kind, title: title, hint: hint}
	for _, fd := range fields {
		ti := newInput(fd.placeholder)
		ti.SetValue(fd.value)
		ti.CursorEnd()
		if fd.secret {
			ti.EchoMode = textinput.EchoPassword
			ti.EchoCharacter = '•'
		}
		ti.Validate = fd.validate
		if fd.limit > 0 {
			ti.CharLimit = fd.limit
		}
		f.labels = append(f.labels, fd.label)
		f.inputs = append(f.inputs, ti)
		f.selected = append(f.selected, false)
	}
	return f
}

func (f *form) setWidth(w int) {
	for i := range f.inputs {
		f.inputs[i].Width = max(4, w-4)
	}
}

func (f *form) focusOn(i int) tea.Cmd {
	f.focus = (i + len(f.inputs)) % len(f.inputs)
	for j := range f.inputs {
		f.inputs[j].Blur()
		f.selected[j] = false
	}
	f.selected[f.focus] = f.inputs[f.focus].Value() != ""
	f.inputs[f.focus].CursorEnd()
	return f.inputs[f.focus].Focus()
}

func (f *form) blur() {
	for j := range f.inputs {
		f.inputs[j].Blur()
	}
}

func (f *form) value(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }

// setValue replaces a field's text (ctrl+f fills the code this way).
func (f *form) setValue(i int, v string) {
	f.inputs[i].SetValue(v)
	f.inputs[i].CursorEnd()
	f.selected[i] = false
	f.err = nil
}

// update moves focus on tab/shift+tab and otherwise types into the focused input. A
// selected value is replaced by what is typed (or pasted), and deleted whole by
// backspace or delete; any other key ends the selection and edits as usual.
func (f *form) update(msg tea.KeyMsg, next, prev key.Binding) tea.Cmd {
	switch {
	case key.Matches(msg, next):
		return f.focusOn(f.focus + 1)
	case key.Matches(msg, prev):
		return f.focusOn(f.focus - 1)
	}
	if f.selected[f.focus] {
		f.selected[f.focus] = false
		switch msg.Type {
		case tea.KeyRunes, tea.KeySpace:
			f.inputs[f.focus].SetValue("")
		case tea.KeyBackspace, tea.KeyDelete, tea.KeyCtrlH:
			f.inputs[f.focus].SetValue("")
			f.err = nil
			return nil
		}
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	f.err = nil
	return cmd
}

// validate runs every input's check and returns the first error.
func (f *form) validate() error {
	for i := range f.inputs {
		if v := f.inputs[i].Validate; v != nil {
			if err := v(f.inputs[i].Value()); err != nil {
				f.focusOn(i)
				return err
			}
		}
	}
	return nil
}

func (f *form) view(s *Styles, w int) string {
	lines := []string{s.FormTitle.Render(f.title)}
	if f.hint != "" {
		lines = append(lines, s.FormHint.Render(wrap(f.hint, w)))
	}
	for i := range f.inputs {
		label, ti := s.FormLabel.Render(f.labels[i]), f.inputs[i]
		if f.selected[i] && ti.Focused() {
			// Shown selected, and said in words too, which NO_COLOR keeps.
			label += s.Muted.Render(" · typing replaces it")
			ti.TextStyle = s.FormSelected
		}
		lines = append(lines, label, ti.View())
	}
	if f.err != nil {
		lines = append(lines, wrapNote(s.ErrorTitle.Render("✗ "), errLine(f.err), s.ErrorBody, w, 3, true)...)
	}
	return strings.Join(lines, "\n")
}

func requireLoginID(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("login id is required")
	}
	return nil
}

func requireCode(s string) error {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if len(s) < 6 || len(s) > 8 {
		return errors.New("code must be 6 to 8 digits")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return errors.New("code must be digits only")
		}
	}
	return nil
}

func optionalURL(s string) error {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return nil
	}
	return errors.New("base URL must start with http:// or https:// (empty = local)")
}

// parseSeedPolicy reads the backend form's seed policy: "SHA256 8 60", "SHA256/8/60"
// or empty for the defaults (SHA1, 6 digits, 30 s).
func parseSeedPolicy(s string) (SeedPolicy, error) {
	fields := strings.FieldsFunc(strings.ToUpper(strings.TrimSpace(s)), func(r rune) bool { return r == ' ' || r == '/' || r == ',' })
	var p SeedPolicy
	if len(fields) == 0 {
		return p, nil
	}
	if len(fields) != 3 {
		return p, errors.New("seed policy: give algorithm, digits and period, such as SHA256 8 60")
	}
	p.Algorithm = strings.ReplaceAll(fields[0], "-", "")
	switch p.Algorithm {
	case "SHA1", "SHA256", "SHA512":
	default:
		return p, fmt.Errorf("seed policy: algorithm %s: want SHA1, SHA256 or SHA512", safetext.Line(fields[0]))
	}
	var err error
	if p.Digits, err = strconv.Atoi(fields[1]); err != nil || p.Digits < 6 || p.Digits > 8 {
		return p, errors.New("seed policy: digits must be 6, 7 or 8")
	}
	if p.Period, err = strconv.Atoi(strings.TrimSuffix(fields[2], "S")); err != nil || p.Period < 10 || p.Period > 300 {
		return p, errors.New("seed policy: period must be 10 to 300 seconds")
	}
	return p, nil
}

func validSeedPolicy(s string) error {
	_, err := parseSeedPolicy(s)
	return err
}
