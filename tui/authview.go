package tui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/paginator"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
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
	count := fmt.Sprintf("%d accounts", len(m.items))
	if len(m.items) == 1 {
		count = "1 account"
	}
	if m.sort != sortAdded {
		count += " · " + m.sort.String()
	}
	right := s.Muted.Render(count)
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
		right = s.Banner.Render(fmt.Sprintf("⏱ %+d %s (%+ds) · 0 to reset", n, unit, int(m.shift.Seconds())))
		if lipgloss.Width(right)+len("Authenticator")+1 > w {
			right = s.Banner.Render(fmt.Sprintf("⏱ %+ds · 0 to reset", int(m.shift.Seconds())))
		}
	}
	title := fit(spread(titleStyle.Render("Authenticator"), right, w), w, 1)

	var body string
	switch m.state {
	case authLoading:
		body = m.spinner.View() + " opening the vault…\n\n" + s.FormHint.Render(wrap("If the OS keyring is locked it may ask you to unlock it now.", w))
	case authLocked:
		body = m.passphraseView()
	case authFailed:
		body = s.ErrorTitle.Render("The vault did not open") + "\n" + s.ErrorBody.Render(wrap(errBlock(m.loadErr), w))
		var re *RemedyError
		if errors.As(m.loadErr, &re) && re.Remedy != "" {
			body += "\n" + s.FormHint.Render(wrap("What to do: "+safetext.Block(re.Remedy), w))
		}
		body += "\n\n" + s.FormHint.Render("r retry · ctrl+c quit")
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
			s.FormHint.Render("tab field · enter save · esc cancel"),
		}, "\n")
	default:
		body = m.listPage()
		if len(m.items) == 0 {
			body = "\n" + s.Muted.Render(wrap("No accounts yet. Press a to paste an otpauth:// URI or an image path, or enrol one from the verifier pane (e).", w))
		}
	}
	notes := m.noteView()
	n := max(1, len(notes))
	return title + "\n" + fit(body, w, max(0, h-1-n)) + "\n" + fit(strings.Join(notes, "\n"), w, n)
}

// passphraseView is the passphrase prompt: for a vault that is locked (or was locked
// for being left alone), or for a new vault, saying why there is no keyring, or that
// the keyring is only locked and can be used once unlocked.
func (m AuthPane) passphraseView() string {
	s, w := m.common.Styles, m.common.Width
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
		intro := "No OS keyring here, so the new vault will be protected by a passphrase (passphrase mode). Type it twice; OTPAIR_PASSPHRASE skips this prompt."
		if m.passLocked {
			title = "New vault: the OS keyring is locked"
			intro = "The OS keyring is here but locked. Unlock it and press ctrl+r to keep the new vault's key there, or type a passphrase twice to protect the vault with it instead (passphrase mode)."
			action = "ctrl+r use the keyring · enter next · ctrl+c quit"
		}
		lines = []string{s.FormHint.Render(wrap(intro, w))}
		if m.passReason != "" {
			lines = append(lines, s.Muted.Render(wrap("Why: "+safetext.Block(m.passReason), w)))
		}
		if m.passRemedy != "" {
			lines = append(lines, s.Muted.Render(wrap("What to do: "+safetext.Block(m.passRemedy), w)))
		}
	}
	return strings.Join(append(append([]string{s.FormTitle.Render(title)}, lines...), "", m.input.View(), "", s.FormHint.Render(action)), "\n")
}

// noteMaxLines is how many lines the pane's message may take; a longer error ends
// with a pointer to the key that shows it whole.
const noteMaxLines = 3

// noteView is the pane's message, wrapped to the pane: the delete question, the last
// result or the last error. Notes and errors name accounts and files, so they go
// through safetext.
func (m AuthPane) noteView() []string {
	s, w := m.common.Styles, max(8, m.common.Width)
	var mark, text string
	style := s.Muted
	switch {
	case m.state == authConfirmDelete:
		mark, text, style = "", "Delete "+labelOf(m.selected())+"? y deletes · any other key keeps it", s.Failure
	case m.noteErr != nil:
		mark, text, style = s.ErrorTitle.Render("✗ "), errLine(m.noteErr), s.ErrorBody
	case m.busy:
		return []string{m.spinner.View() + " " + s.Muted.Render(ansi.Truncate(safetext.Line(m.note), w-2, "…"))}
	case m.note != "":
		mark, text = s.Success.Render("✓ "), safetext.Line(m.note)
	default:
		return nil
	}
	return wrapNote(mark, text, style, w, noteMaxLines, m.noteErr != nil)
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
		if m.passLocked {
			return []key.Binding{k.Submit, k.RetryKeyring}
		}
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
		if it := m.selected(); it != nil && it.acct.Key.Type == provisioning.HOTP {
			return []key.Binding{k.Copy, k.NextHOTP, k.Filter, k.Add, k.Pin, k.Sort}
		}
		return []key.Binding{k.Copy, k.Filter, k.Add, k.QR, k.Pin, k.Sort, k.ShiftHelp}
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
		{k.Copy, k.CopyAlt, k.NextHOTP, k.Filter, k.Up, k.Down},
		{k.Add, k.Rename, k.Delete, k.QR, k.Pin, k.Sort},
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

// wrapNote wraps a message after its mark to width w in at most n lines; a longer
// error's last line ends by saying that ! shows it whole.
func wrapNote(mark, text string, style lipgloss.Style, w, n int, isErr bool) []string {
	indent := strings.Repeat(" ", lipgloss.Width(mark))
	lines := strings.Split(wrap(text, max(4, w-lipgloss.Width(mark))), "\n")
	if len(lines) > n {
		more := " …"
		if isErr {
			more = " … (! shows all)"
		}
		lines = lines[:n]
		last := lines[n-1]
		lines[n-1] = strings.TrimRight(ansi.Truncate(last, max(1, w-lipgloss.Width(mark)-lipgloss.Width(more)), ""), " ") + more
	}
	for i, l := range lines {
		lead := indent
		if i == 0 {
			lead = mark
		}
		lines[i] = lead + style.Render(l)
	}
	return lines
}

// listPage draws the list as list.View does while no filter is being typed: its empty
// title line, one page of accounts and the page dots, but without list.View's last
// pass, which measures every line of the page again to pad it to its height (with
// colours on, a fifth of a frame); View's fit pads it anyway. TestListPageMatchesView
// holds it to list.View.
func (m AuthPane) listPage() string {
	l := m.list
	items := l.VisibleItems()
	if l.SettingFilter() || len(items) == 0 {
		return l.View()
	}
	avail := l.Height() - 2 // the title line above, the page dots below
	var b strings.Builder
	start, end := l.Paginator.GetSliceBounds(len(items))
	lines := 1
	for i := start; i < end; i++ {
		b.WriteByte('\n')
		if i > start {
			b.WriteByte('\n') // the delegate's spacing
			lines++
		}
		m.delegate.Render(&b, l, i, items[i])
		lines += m.delegate.Height()
	}
	for ; lines < avail+1; lines++ {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if l.Paginator.TotalPages >= 2 {
		p := l.Paginator
		dots := p.View()
		if ansi.StringWidth(dots) > l.Width() {
			p.Type = paginator.Arabic
			dots = l.Styles.ArabicPagination.Render(p.View())
		}
		b.WriteString(l.Styles.PaginationStyle.Render(dots))
	}
	return b.String()
}
