//go:build otpair_testhooks

package main

import (
	tea "github.com/charmbracelet/bubbletea"
)

// Only in test builds (go build -tags otpair_testhooks), for
// TestTUIPanicRestoresTheTerminal: with OTPAIR_TEST_PANIC set to update, view or
// command, the TUI panics there once F12 is pressed; with OTPAIR_TEST_SKIP_TTY_CHECK
// set it starts without a terminal, where Bubble Tea's start fails half way.
func init() {
	skipTerminalCheck = func(e *env) bool { return e.getenv("OTPAIR_TEST_SKIP_TTY_CHECK") != "" }
	tuiTestHook = func(e *env, m tea.Model) tea.Model {
		if where := e.getenv("OTPAIR_TEST_PANIC"); where != "" {
			return panicker{Model: m, where: where}
		}
		return m
	}
}

// panicker is a model that panics where it is told after F12.
type panicker struct {
	tea.Model
	where string
	armed bool
}

func (p panicker) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyF12 {
		switch p.where {
		case "update":
			panic("test panic in Update")
		case "view":
			p.armed = true
			return p, nil
		case "command":
			return p, func() tea.Msg { panic("test panic in a command") }
		}
	}
	m, cmd := p.Model.Update(msg)
	p.Model = m
	return p, cmd
}

func (p panicker) View() string {
	if p.armed {
		panic("test panic in View")
	}
	return p.Model.View()
}
