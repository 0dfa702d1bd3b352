package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/otpair/otpair/internal/safetext"
)

// overlay is a full-screen view a pane asks the root to show, such as a QR code.
type overlay struct {
	title string
	body  string
	hint  string
}

// View draws the pane's inner area, exactly Width x Height.
func (m AuthPane) View() string {
	s := m.common.Styles
	w, h := m.common.Width, m.common.Height
	titleStyle := s.PaneTitle
	if m.focused {
		titleStyle = s.PaneTitleOn
	}
	right := s.Muted.Render(fmt.Sprintf("%d accounts", len(m.items)))
	if len(m.items) == 1 {
		right = s.Muted.Render("1 account")
	}
	switch m.state {
	case authLoading, authFailed:
		right = ""
	case authLocked:
		right = s.Pending.Render("locked")
	}
	if m.shift != 0 {
		n := int(m.shift / shiftStep)
		unit := "periods"
		if n == 1 || n == -1 {
			unit = "period"
		}
		right = s.Banner.Render(fmt.Sprintf("⏱ %+d %s (%+ds) · 0 resets", n, unit, int(m.shift.Seconds())))
	}
	title := fit(spread(titleStyle.Render("Authenticator"), right, w), w, 1)

	var body string
	switch m.state {
	case authLoading:
		body = m.spinner.View() + " opening the vault…\n\n" + s.FormHint.Render(wrap("If the OS keyring is locked it may ask you to unlock it now.", w))
	case authLocked:
		title, action := "Vault locked", "enter unlock · ctrl+c quit"
		lines := []string{s.FormHint.Render(wrap("This vault is protected by a passphrase (passphrase mode). OTPAIR_PASSPHRASE skips this prompt.", w))}
		if m.passReason != "" && !m.passNew {
			lines = append(lines, s.Muted.Render(wrap(safetext.Block(m.passReason), w)))
		}
		if m.passNew {
			title, action = "New vault: choose a passphrase", "enter next · ctrl+c quit"
			if m.passFirst != "" {
				action = "enter create the vault · ctrl+c quit"
			}
			lines = []string{s.FormHint.Render(wrap("No OS keyring here, so the new vault will be protected by a passphrase (passphrase mode). Type it twice; OTPAIR_PASSPHRASE skips this prompt.", w))}
			if m.passReason != "" {
				lines = append(lines, s.Muted.Render(wrap("Why: "+safetext.Block(m.passReason), w)))
			}
		}
		body = strings.Join(append(append([]string{s.FormTitle.Render(title)}, lines...), "", m.input.View(), "", s.FormHint.Render(action)), "\n")
	case authFailed:
		body = s.ErrorTitle.Render("The vault did not open") + "\n" + s.ErrorBody.Render(wrap(errBlock(m.loadErr), w)) +
			"\n\n" + s.FormHint.Render("r retry · ctrl+c quit")
	case authAdding:
		body = strings.Join([]string{
			s.FormTitle.Render("Add or import"),
			s.FormHint.Render(wrap("Paste an otpauth:// or otpauth-migration:// URI, or the path of an image with QR codes or of another app's backup (Aegis, 2FAS, Bitwarden, Ente, …; tab completes the path).", w)),
			"",
			m.input.View(),
			"",
			s.FormHint.Render("enter import · esc cancel"),
		}, "\n")
	case authBackupPassword:
		body = strings.Join([]string{
			s.FormTitle.Render("Encrypted " + m.backupFormat),
			s.FormHint.Render(wrap(safetext.Line(m.backupSource)+" is encrypted. Type its password; nothing is stored until it opens.", w)),
			"",
			m.input.View(),
			"",
			s.FormHint.Render("enter open · esc cancel"),
		}, "\n")
	case authRenaming:
		body = strings.Join([]string{
			s.FormTitle.Render("Rename " + labelOf(m.selected())),
			"",
			s.FormLabel.Render("Issuer"), m.issuer.View(),
			s.FormLabel.Render("Account"), m.name.View(),
			"",
			s.FormHint.Render("tab next field · enter save · esc cancel"),
		}, "\n")
	default:
		body = m.list.View()
		if len(m.items) == 0 {
			body = "\n" + s.Muted.Render(wrap("No accounts yet. Press a to paste an otpauth:// URI or an image path, or enrol one from the verifier pane (e).", w))
		}
	}
	return title + "\n" + fit(body, w, h-2) + "\n" + fit(m.noteLine(), w, 1)
}

// noteLine is the pane's one-line message: the delete question, the last result or
// the last error. Notes and errors name accounts and files, so they are shown through
// safetext.Line.
func (m AuthPane) noteLine() string {
	s := m.common.Styles
	switch {
	case m.state == authConfirmDelete:
		return s.Failure.Render("Delete "+labelOf(m.selected())+"?") + s.Muted.Render(" y deletes · any other key keeps it")
	case m.noteErr != nil:
		return s.ErrorTitle.Render("✗ ") + s.ErrorBody.Render(errLine(m.noteErr))
	case m.busy:
		return m.spinner.View() + " " + s.Muted.Render(safetext.Line(m.note))
	case m.note != "":
		return s.Success.Render("✓ ") + s.Muted.Render(safetext.Line(m.note))
	}
	return ""
}

// ShortHelp implements help.KeyMap.
func (m AuthPane) ShortHelp() []key.Binding {
	k := m.keys
	switch m.state {
	case authAdding:
		return []key.Binding{k.Submit, k.NextField, k.Cancel}
	case authRenaming:
		return []key.Binding{k.NextField, k.Submit, k.Cancel}
	case authConfirmDelete:
		return []key.Binding{k.Confirm, k.Cancel}
	case authLocked:
		return []key.Binding{k.Submit}
	case authFailed:
		return []key.Binding{k.Retry}
	case authReady:
		if m.overlay != nil {
			return []key.Binding{k.Cancel}
		}
		if m.list.SettingFilter() {
			return []key.Binding{k.Submit, k.Cancel}
		}
		return []key.Binding{k.Copy, k.Filter, k.Add, k.QR, k.ShiftHelp}
	}
	return nil
}

// FullHelp implements help.KeyMap.
func (m AuthPane) FullHelp() [][]key.Binding {
	k := m.keys
	if m.state != authReady {
		return [][]key.Binding{m.ShortHelp()}
	}
	return [][]key.Binding{
		{k.Copy, k.CopyAlt, k.Filter, k.Up, k.Down},
		{k.Add, k.Rename, k.Delete, k.QR},
		{k.Back, k.Ahead, k.ResetShift, k.Cancel},
	}
}

// expandHome turns a leading ~/ into the home folder for paths typed by hand.
func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}
