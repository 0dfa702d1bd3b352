package tui

import (
	"errors"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// The vault's lock: opening it (asking for the passphrase when it has one, saying why
// when the keyring is missing or only locked) and locking it again after AuthDeps.AutoLock
// without a key or a click.

// Touch records a key or a click: the auto-lock counts from the last one.
func (m *AuthPane) Touch() {
	m.lastActive = m.now
	if m.lastActive.IsZero() {
		m.lastActive = m.common.Now()
	}
}

// LocksIn is how long until the auto-lock, while it is armed.
func (m AuthPane) LocksIn() (time.Duration, bool) {
	if !m.info.Passphrase || m.store == nil || m.deps.AutoLock < 0 || m.lastActive.IsZero() || m.now.IsZero() {
		return 0, false
	}
	return max(0, m.deps.AutoLock-m.now.Sub(m.lastActive)), true
}

func (m AuthPane) vaultOpened(msg vaultOpenedMsg) (AuthPane, tea.Cmd) {
	switch {
	case errors.Is(msg.err, ErrPassphraseNeeded):
		m.state = authLocked
		m.passNew, m.passReason, m.passLocked, m.passRemedy = false, "", false, ""
		var pe *PassphraseError
		if errors.As(msg.err, &pe) {
			m.passNew, m.passReason, m.passLocked, m.passRemedy = pe.New, pe.Reason, pe.KeyringLocked, pe.Remedy
		}
		m.askPassphrase()
		return m, nil
	case msg.err != nil && m.state == authLoading && m.input.EchoMode == textinput.EchoPassword:
		// A wrong passphrase: ask again, saying why.
		m.state, m.passFirst = authLocked, ""
		m.input.Placeholder = "vault passphrase"
		m.setNote("", msg.err)
		m.focusInputs()
		return m, nil
	case msg.err != nil:
		m.state, m.loadErr = authFailed, msg.err
		return m, nil
	}
	m.store, m.info, m.state = msg.store, msg.info, authReady
	m.passFirst = ""
	m.input.Reset()
	m.input.EchoMode = textinput.EchoNormal
	m.input.Blur()
	m.busy = true
	m.Touch()
	m.setNote("", nil)
	return m, loadAccountsCmd(m.store, "", "", nil)
}

// askPassphrase turns the input into the passphrase field.
func (m *AuthPane) askPassphrase() {
	m.passFirst = ""
	m.input.Reset()
	m.input.EchoMode = textinput.EchoPassword
	m.input.EchoCharacter = '•'
	m.input.Placeholder = "vault passphrase"
	if m.passNew {
		m.input.Placeholder = "new vault passphrase"
	}
	m.focusInputs()
}

// lock forgets the store and every code and asks for the passphrase again: the
// auto-lock of a passphrase vault left alone.
func (m *AuthPane) lock() {
	m.store, m.items, m.overlay, m.busy = nil, nil, nil, false
	m.list.SetItems(nil)
	m.state = authLocked
	m.passNew, m.passLocked, m.passRemedy = false, false, ""
	m.passReason = fmt.Sprintf("Locked after %v without a key or a click.", m.deps.AutoLock)
	m.lastActive = time.Time{}
	m.askPassphrase()
	m.setNote("", nil)
}
