package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the global bindings the root model checks before routing a key to the
// focused pane. Pane bindings live with their panes.
type KeyMap struct {
	Quit      key.Binding // plain q: disabled while a text input has focus
	ForceQuit key.Binding // ctrl+c: always quits
	Switch    key.Binding
	Help      key.Binding
	Advance   key.Binding // demo: next step
	ShowError key.Binding // the last error in full
}

// DefaultKeyMap returns the global bindings.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Switch:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "pane")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more")),
		Advance:   key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "next step")),
		ShowError: key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "whole error")),
	}
}
