package tui

import "github.com/charmbracelet/bubbles/key"

// FlowKeyMap is the flow view's bindings. Enrol and Fill pair the panes, as the
// verifier pane's e and ctrl+f do: the root handles them by calling the authenticator
// pane. Enrol and ZoomQR are plain letters, so they act only while the screen's QR
// code has the focus (no text field takes the letter then).
type FlowKeyMap struct {
	Up        key.Binding
	Down      key.Binding
	Start     key.Binding
	Submit    key.Binding
	NextField key.Binding
	PrevField key.Binding
	Enrol     key.Binding
	ZoomQR    key.Binding
	Fill      key.Binding
	Again     key.Binding
	Pick      key.Binding
	Close     key.Binding
}

// DefaultFlowKeyMap returns the flow view's bindings.
func DefaultFlowKeyMap() FlowKeyMap {
	return FlowKeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Start:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run")),
		Submit:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
		NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next")),
		PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "prev")),
		Enrol:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "enrol")),
		ZoomQR:    key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "full-screen QR")),
		Fill:      key.NewBinding(key.WithKeys("ctrl+f"), key.WithHelp("ctrl+f", "fill code")),
		Again:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run again")),
		Pick:      key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "other flow")),
		Close:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "leave the flow")),
	}
}
