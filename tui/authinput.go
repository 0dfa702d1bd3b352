package tui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
)

// The authenticator pane's key handling, one function per state: the list, the
// passphrase prompt, the add field, the rename fields and the delete question.

func (m AuthPane) listKey(msg tea.KeyMsg) (AuthPane, tea.Cmd) {
	if m.list.SettingFilter() {
		var cmd tea.Cmd
		m.list, cmd = m.list.Update(msg)
		return m, cmd
	}
	it := m.selected()
	switch {
	case key.Matches(msg, m.keys.Cancel) && m.list.FilterState() == list.Unfiltered:
		m.setNote("", nil)
		return m, nil
	case key.Matches(msg, m.keys.NextHOTP) && it != nil:
		// Advancing an HOTP counter spends a code: it has a key of its own, never
		// the one that copies.
		if it.acct.Key.Type != provisioning.HOTP {
			m.setNote("", fmt.Errorf("%s is a TOTP account: its code changes by itself", it.label))
			return m, nil
		}
		if m.busy {
			return m, nil
		}
		m.busy = true
		return m, tea.Batch(m.spinner.Tick, hotpCmd(m.store, it.acct.ID))
	case (key.Matches(msg, m.keys.Copy) || key.Matches(msg, m.keys.CopyAlt)) && it != nil:
		return m, m.copySelected()
	case key.Matches(msg, m.keys.Pin) && it != nil:
		return m, m.togglePin()
	case key.Matches(msg, m.keys.Sort):
		m.cycleSort()
		return m, nil
	case key.Matches(msg, m.keys.Add):
		m.state = authAdding
		m.input.Reset()
		m.input.Placeholder = "otpauth://… or ~/path/to/qr.png or a backup file"
		m.input.ShowSuggestions = true
		m.focusInputs()
		return m, nil
	case key.Matches(msg, m.keys.Rename) && it != nil:
		m.state, m.field = authRenaming, 0
		// The fields start from the names as the list shows them: a name with
		// characters a terminal acts on shows them escaped here too, and saving it
		// unchanged keeps the visible, harmless spelling.
		m.issuer.SetValue(safetext.Line(it.acct.Key.Issuer))
		m.name.SetValue(safetext.Line(it.acct.Key.Account))
		m.focusInputs()
		return m, nil
	case key.Matches(msg, m.keys.Delete) && it != nil:
		m.state = authConfirmDelete
		return m, nil
	case key.Matches(msg, m.keys.QR) && it != nil:
		if m.deps.QR == nil {
			m.setNote("", errors.New("this build cannot draw QR codes"))
			return m, nil
		}
		return m, qrCmd(m.deps.QR, it.label, it.acct.Key.URI())
	case key.Matches(msg, m.keys.Back):
		m.SetShift(m.shift - shiftStep)
		return m, nil
	case key.Matches(msg, m.keys.Ahead):
		m.SetShift(m.shift + shiftStep)
		return m, nil
	case key.Matches(msg, m.keys.ResetShift):
		m.SetShift(0)
		return m, nil
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, cmd
}

func (m AuthPane) passphraseKey(msg tea.KeyMsg) (AuthPane, tea.Cmd) {
	if key.Matches(msg, m.keys.RetryKeyring) && m.passLocked {
		m.state = authLoading
		m.input.Reset()
		m.setNote("", nil)
		return m, tea.Batch(m.spinner.Tick, openVaultCmd(m.deps.Open, ""))
	}
	if key.Matches(msg, m.keys.Submit) {
		pass := m.input.Value()
		if pass == "" {
			m.setNote("", errors.New("type the vault passphrase"))
			return m, nil
		}
		m.input.Reset()
		if m.passNew && m.passFirst == "" {
			// A new passphrase is typed twice: a typo would lock the vault for good.
			m.passFirst = pass
			m.input.Placeholder = "the same passphrase again"
			m.setNote("", nil)
			return m, nil
		}
		if m.passNew && pass != m.passFirst {
			m.passFirst = ""
			m.input.Placeholder = "new vault passphrase"
			m.setNote("", errors.New("the two passphrases differ: choose one again"))
			return m, nil
		}
		m.state = authLoading
		m.setNote("", nil)
		return m, tea.Batch(m.spinner.Tick, openVaultCmd(m.deps.Open, pass))
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

func (m AuthPane) addKey(msg tea.KeyMsg) (AuthPane, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.cancelImport()
		m.state = authReady
		m.input.Blur()
		return m, nil
	case key.Matches(msg, m.keys.Submit):
		src := strings.TrimSpace(m.input.Value())
		if src == "" {
			m.setNote("", errors.New("paste a URI or type an image path"))
			return m, nil
		}
		if m.busy {
			return m, nil
		}
		m.busy = true
		m.setNote("importing… (esc cancels)", nil)
		return m, tea.Batch(m.spinner.Tick, m.startImport(src, ""))
	}
	before := m.input.Value()
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if v := m.input.Value(); v != before && looksLikePath(v) {
		return m, tea.Batch(cmd, completePathCmd(v))
	}
	return m, cmd
}

func (m AuthPane) renameKey(msg tea.KeyMsg) (AuthPane, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.state = authReady
		m.Blur()
		m.focused = true
		return m, nil
	case key.Matches(msg, m.keys.NextField):
		m.field = 1 - m.field
		m.focusInputs()
		return m, nil
	case key.Matches(msg, m.keys.Submit):
		it := m.selected()
		acct := strings.TrimSpace(m.name.Value())
		if it == nil || acct == "" && strings.TrimSpace(m.issuer.Value()) == "" {
			m.setNote("", errors.New("give the account an issuer or a name"))
			return m, nil
		}
		return m, renameCmd(m.store, it.acct.ID, strings.TrimSpace(m.issuer.Value()), acct)
	}
	var cmd tea.Cmd
	if m.field == 0 {
		m.issuer, cmd = m.issuer.Update(msg)
	} else {
		m.name, cmd = m.name.Update(msg)
	}
	return m, cmd
}

func (m AuthPane) deleteKey(msg tea.KeyMsg) (AuthPane, tea.Cmd) {
	it := m.selected()
	if key.Matches(msg, m.keys.Confirm) && it != nil {
		return m, deleteCmd(m.store, it.acct.ID, it.label)
	}
	m.state = authReady
	m.setNote("kept "+labelOf(it), nil)
	return m, nil
}

// labelOf is the label of the row as the screen shows it.
func labelOf(it *accountItem) string {
	if it == nil {
		return ""
	}
	return it.label
}

func looksLikePath(s string) bool {
	return s != "" && !strings.Contains(s, "://") && !strings.HasPrefix(s, "otpauth")
}

// askBackupPassword turns the add field into a password prompt for the backup file
// being imported (again, saying so, after a wrong password).
func (m AuthPane) askBackupPassword(e *BackupPasswordError) AuthPane {
	if m.state == authAdding {
		m.backupSource = strings.TrimSpace(m.input.Value())
	}
	m.state, m.backupFormat = authBackupPassword, e.Format
	m.input.Reset()
	m.input.EchoMode = textinput.EchoPassword
	m.input.EchoCharacter = '•'
	m.input.ShowSuggestions = false
	m.input.Placeholder = "password of the " + e.Format
	if e.Wrong {
		m.setNote("", e)
	} else {
		m.setNote("", nil)
	}
	m.focusInputs()
	return m
}

// endBackupPassword leaves the backup password prompt, forgetting what was typed.
func (m *AuthPane) endBackupPassword() {
	m.state, m.backupSource, m.backupFormat = authReady, "", ""
	m.input.Reset()
	m.input.EchoMode = textinput.EchoNormal
	m.input.Blur()
}

func (m AuthPane) backupPasswordKey(msg tea.KeyMsg) (AuthPane, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.endBackupPassword()
		m.setNote("not imported", nil)
		m.cancelImport()
		return m, nil
	case key.Matches(msg, m.keys.Submit):
		pass := m.input.Value()
		if pass == "" {
			m.setNote("", errors.New("type the password of the "+m.backupFormat))
			return m, nil
		}
		if m.busy {
			return m, nil
		}
		m.busy = true
		m.setNote("opening the "+m.backupFormat+"…", nil)
		return m, tea.Batch(m.spinner.Tick, m.startImport(m.backupSource, pass))
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}
