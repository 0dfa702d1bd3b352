package tui

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/provisioning"
)

// sortMode is the order of the account list. Pinned accounts come first in every one.
type sortMode int

const (
	sortAdded sortMode = iota
	sortIssuer
	sortName
	sortRecent
)

// String implements fmt.Stringer with the words the title shows.
func (s sortMode) String() string {
	return [...]string{"as added", "by issuer", "by name", "recently used"}[s]
}

// next is the mode the sort key moves to.
func (s sortMode) next() sortMode { return (s + 1) % 4 }

// setAccounts replaces the list, keeping HOTP codes already shown and selecting sel
// (else the account selected before).
func (m *AuthPane) setAccounts(accts []Account, sel string) {
	if sel == "" {
		if it := m.selected(); it != nil {
			sel = it.acct.ID
		}
	}
	old := map[string]*accountItem{}
	for _, it := range m.items {
		old[it.acct.ID] = it
	}
	m.items = make([]*accountItem, len(accts))
	for i, a := range accts {
		it := newAccountItem(a)
		it.order = i
		if o, ok := old[a.ID]; ok && o.acct.Key.Type == provisioning.HOTP {
			it.hotpCode, it.hotpCounter = o.hotpCode, o.hotpCounter
		}
		m.items[i] = it
	}
	m.refresh()
	m.showSorted(sel)
}

// showSorted puts the items in the list in the pane's order and selects sel.
func (m *AuthPane) showSorted(sel string) {
	sorted := slices.Clone(m.items)
	slices.SortStableFunc(sorted, m.compare)
	items := make([]list.Item, len(sorted))
	selIdx := -1
	for i, it := range sorted {
		items[i] = it
		if it.acct.ID == sel {
			selIdx = i
		}
	}
	filter := m.list.FilterValue()
	m.list.SetItems(items)
	if selIdx >= 0 {
		if filter != "" && !strings.Contains(strings.ToLower(sorted[selIdx].FilterValue()), strings.ToLower(filter)) {
			m.list.ResetFilter()
		}
		m.list.Select(m.visibleIndex(sel, selIdx))
	}
}

// visibleIndex is where account id is among the items the list shows (its filter
// applied), or fallback.
func (m *AuthPane) visibleIndex(id string, fallback int) int {
	for i, li := range m.list.VisibleItems() {
		if it, ok := li.(*accountItem); ok && it.acct.ID == id {
			return i
		}
	}
	return fallback
}

// compare orders two accounts: pinned first, then by the sort mode, then as added.
func (m *AuthPane) compare(a, b *accountItem) int {
	if a.acct.Pinned != b.acct.Pinned {
		if a.acct.Pinned {
			return -1
		}
		return 1
	}
	var c int
	switch m.sort {
	case sortIssuer:
		c = cmp.Or(cmp.Compare(a.issuerKey, b.issuerKey), cmp.Compare(a.accountKey, b.accountKey))
	case sortName:
		c = cmp.Or(cmp.Compare(a.accountKey, b.accountKey), cmp.Compare(a.issuerKey, b.issuerKey))
	case sortRecent:
		c = b.acct.LastUsed.Compare(a.acct.LastUsed) // newest first, never used last
	}
	return cmp.Or(c, cmp.Compare(a.order, b.order))
}

// cycleSort moves to the next order, keeping the selection.
func (m *AuthPane) cycleSort() {
	m.sort = m.sort.next()
	sel := ""
	if it := m.selected(); it != nil {
		sel = it.acct.ID
	}
	m.showSorted(sel)
	m.setNote("sorted "+m.sort.String()+", pinned accounts first", nil)
}

// togglePin pins or unpins the selected account in the store.
func (m *AuthPane) togglePin() tea.Cmd {
	it := m.selected()
	if it == nil || m.store == nil {
		return nil
	}
	return pinCmd(m.store, it.acct.ID, !it.acct.Pinned)
}

// pinned applies a stored pin to the list.
func (m AuthPane) pinned(msg pinnedMsg) AuthPane {
	if msg.err != nil {
		m.setNote("", fmt.Errorf("pin: %w", msg.err))
		return m
	}
	for _, it := range m.items {
		if it.acct.ID == msg.id {
			it.acct.Pinned = msg.pinned
			verb := "unpinned "
			if msg.pinned {
				verb = "pinned to the top: "
			}
			m.setNote(verb+it.label, nil)
		}
	}
	m.showSorted(msg.id)
	return m
}

// itemRows is the height of one account in the list: its two lines and the blank one
// the delegate puts between accounts.
const itemRows = 3

// Click handles a left click at (x, y) in the pane's inner area: on an account it
// selects it, and on its code it copies the code too.
func (m *AuthPane) Click(x, y int) tea.Cmd {
	if m.state != authReady || m.overlay != nil || m.list.SettingFilter() {
		return nil
	}
	// The pane's title line, then the list's own title line (empty unless filtering).
	row := y - 2
	if row < 0 || row%itemRows == itemRows-1 {
		return nil
	}
	start, end := m.list.Paginator.GetSliceBounds(len(m.list.VisibleItems()))
	i := start + row/itemRows
	if i >= end {
		return nil
	}
	m.list.Select(i)
	it := m.selected()
	if it == nil || row%itemRows != 0 {
		return nil
	}
	code := it.currentCode()
	if code == "" || x < m.common.Width-len(groupDigits(code))-1 {
		return nil
	}
	return m.copySelected()
}

// copySelected copies the selected account's code.
func (m *AuthPane) copySelected() tea.Cmd {
	it := m.selected()
	if it == nil {
		return nil
	}
	code := it.currentCode()
	switch {
	case code == "" && it.acct.Key.Type == provisioning.HOTP:
		m.setNote("", fmt.Errorf("no code to copy yet: %s shows the next HOTP code", m.keys.NextHOTP.Help().Key))
		return nil
	case code == "":
		m.setNote("", fmt.Errorf("%s has no code: its key is invalid", it.label))
		return nil
	case m.deps.Clipboard == nil:
		m.setNote("", errors.New("no clipboard in this build"))
		return nil
	}
	return copyCmd(m.deps.Clipboard, it.acct.ID, it.label, code)
}

// copied reports a copy and, when it reached a native clipboard, arms the timer that
// takes it off again; the account's use is recorded for the recently-used order.
func (m AuthPane) copied(msg copyDoneMsg) (AuthPane, tea.Cmd) {
	if msg.err != nil {
		m.setNote("", fmt.Errorf("copy %s: %w", msg.label, msg.err))
		return m, nil
	}
	note := msg.label + ": " + msg.report.String()
	var cmds []tea.Cmd
	if msg.report.Native != "" && m.deps.ClipboardClear > 0 {
		m.clipSeq++
		cmds = append(cmds, clipboardTimerCmd(m.deps.ClipboardClear, m.clipSeq, msg.code))
		note += fmt.Sprintf(" · cleared in %v unless you copy something else", m.deps.ClipboardClear)
	}
	if m.store != nil {
		cmds = append(cmds, markUsedCmd(m.store, msg.id, m.common.Now()))
	}
	m.setNote(note, nil)
	return m, tea.Batch(cmds...)
}

// CodeFor returns the current code for loginID and which account it came from: the
// selected account if it is loginID's, else the newest account named loginID, else
// the selected account (which the sign-in form then names, so a mismatch shows).
func (m AuthPane) CodeFor(loginID string) (code, label, id string, ok bool) {
	sel := m.selected()
	if sel != nil && sel.acct.Key.Account == loginID && sel.currentCode() != "" {
		return sel.currentCode(), sel.label, sel.acct.ID, true
	}
	for i := len(m.items) - 1; i >= 0; i-- {
		it := m.items[i]
		if it.acct.Key.Account == loginID && it.acct.Key.Type == provisioning.TOTP && it.currentCode() != "" {
			return it.currentCode(), it.label, it.acct.ID, true
		}
	}
	if sel != nil && sel.currentCode() != "" {
		return sel.currentCode(), sel.label, sel.acct.ID, true
	}
	return "", "", "", false
}

// MarkUsed records that account id's code was used now (ctrl+f filled it).
func (m *AuthPane) MarkUsed(id string) tea.Cmd {
	if m.store == nil {
		return nil
	}
	return markUsedCmd(m.store, id, m.common.Now())
}

// PeriodOf is the period of account id's codes, or the default.
func (m AuthPane) PeriodOf(id string) time.Duration {
	for _, it := range m.items {
		if it.acct.ID == id && it.acct.Key.Period > 0 {
			return time.Duration(it.acct.Key.Period) * time.Second
		}
	}
	return shiftStep
}
