package tui

import "github.com/charmbracelet/bubbles/key"

// AuthKeyMap is the authenticator pane's bindings.
type AuthKeyMap struct {
	Copy       key.Binding
	CopyAlt    key.Binding
	NextHOTP   key.Binding // an HOTP account's next code: it advances the counter
	Pin        key.Binding
	Sort       key.Binding
	Filter     key.Binding
	Add        key.Binding
	Rename     key.Binding
	Delete     key.Binding
	QR         key.Binding
	Back       key.Binding
	Ahead      key.Binding
	ResetShift key.Binding
	ShiftHelp  key.Binding // help only: [ and ] in one entry
	Up         key.Binding
	Down       key.Binding
	Submit     key.Binding
	Cancel     key.Binding
	NextField  key.Binding
	Confirm    key.Binding
	Retry      key.Binding
	// RetryKeyring asks the OS keyring again from the passphrase prompt of a new vault
	// whose keyring was locked.
	RetryKeyring key.Binding
}

// DefaultAuthKeyMap returns the authenticator pane's bindings.
func DefaultAuthKeyMap() AuthKeyMap {
	return AuthKeyMap{
		Copy:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "copy")),
		CopyAlt:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy")),
		NextHOTP:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next HOTP code")),
		Pin:        key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pin")),
		Sort:       key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Add:        key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add")),
		Rename:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rename")),
		Delete:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
		QR:         key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "QR")),
		Back:       key.NewBinding(key.WithKeys("["), key.WithHelp("[", "clock -1 period")),
		Ahead:      key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "clock +1 period")),
		ResetShift: key.NewBinding(key.WithKeys("0"), key.WithHelp("0", "reset clock")),
		ShiftHelp:  key.NewBinding(key.WithKeys("[", "]"), key.WithHelp("[ ]", "clock")),
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Submit:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
		Cancel:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		NextField:  key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next field")),
		Confirm:    key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, delete")),
		Retry:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),

		RetryKeyring: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "use the keyring")),
	}
}
