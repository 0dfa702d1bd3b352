package tui

import "github.com/charmbracelet/bubbles/key"

// VerifyKeyMap is the verifier pane's bindings. Enrol and Fill pair the panes: the
// root handles them by calling the authenticator pane.
type VerifyKeyMap struct {
	Backend    key.Binding
	SignUp     key.Binding
	Enrol      key.Binding
	SignIn     key.Binding
	Fill       key.Binding
	Update     key.Binding
	DeleteSeed key.Binding
	Refresh    key.Binding
	Me         key.Binding
	Logout     key.Binding
	Users      key.Binding
	Flows      key.Binding
	ZoomQR     key.Binding
	Submit     key.Binding
	Cancel     key.Binding
	NextField  key.Binding
	PrevField  key.Binding
	ScrollUp   key.Binding
	ScrollDown key.Binding
	Confirm    key.Binding
}

// DefaultVerifyKeyMap returns the verifier pane's bindings.
func DefaultVerifyKeyMap() VerifyKeyMap {
	return VerifyKeyMap{
		Backend:    key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "backend")),
		SignUp:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sign up")),
		Enrol:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "enrol")),
		SignIn:     key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "sign in")),
		Fill:       key.NewBinding(key.WithKeys("ctrl+f"), key.WithHelp("ctrl+f", "fill code")),
		Update:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "update")),
		DeleteSeed: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "del seed")),
		Refresh:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Me:         key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "me")),
		Logout:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "logout")),
		Users:      key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "users")),
		Flows:      key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "flows")),
		ZoomQR:     key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "full-screen QR")),
		Submit:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
		Cancel:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		NextField:  key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		PrevField:  key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "prev field")),
		ScrollUp:   key.NewBinding(key.WithKeys("up", "k", "pgup"), key.WithHelp("↑/k", "scroll")),
		ScrollDown: key.NewBinding(key.WithKeys("down", "j", "pgdown"), key.WithHelp("↓/j", "scroll")),
		Confirm:    key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, delete")),
	}
}
