package tui

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/provisioning"
)

// shiftStep is how far [ and ] move the displayed clock: one default period.
const shiftStep = provisioning.DefaultPeriod * time.Second

// authState is what the authenticator pane is doing.
type authState int

const (
	authLoading authState = iota
	authLocked            // asking for the vault passphrase
	authFailed            // the vault did not open
	authReady
	authAdding
	authRenaming
	authConfirmDelete
	authBackupPassword // asking for the password of an encrypted backup file
)

// String implements fmt.Stringer.
func (s authState) String() string {
	return [...]string{"loading", "locked", "failed", "ready", "adding", "renaming", "confirm-delete", "backup-password"}[s]
}

// AuthDeps are what the authenticator pane works with.
type AuthDeps struct {
	Open      VaultOpener
	Clipboard Clipboard
	QR        QRRenderer
}

// AuthPane is the authenticator: the accounts and their rolling codes.
type AuthPane struct {
	common  Common
	keys    AuthKeyMap
	deps    AuthDeps
	id, tag int
	focused bool

	state   authState
	store   AccountStore
	mode    string
	loadErr error

	spinner spinner.Model
	list    list.Model
	items   []*accountItem

	input  textinput.Model // import source, or the passphrase
	issuer textinput.Model // rename fields
	name   textinput.Model
	field  int // focused rename field

	shift time.Duration
	now   time.Time // time of the last tick, unshifted

	note    string
	noteErr error
	busy    bool
	overlay *overlay

	// stopImport cancels the import in flight (esc); nil when there is none.
	stopImport context.CancelFunc

	// The passphrase prompt: whether it protects a new vault (asked twice; first holds
	// the first entry until the second matches) and why there is no keyring.
	passNew    bool
	passReason string
	passFirst  string

	// The backup password prompt: the file being imported and how to name it.
	backupSource string
	backupFormat string
}

// paneIDs numbers panes so each tick loop is told apart from another pane's.
var paneIDs atomic.Int64

// NewAuthPane builds the pane; Init opens the vault in a command.
func NewAuthPane(c Common, deps AuthDeps) AuthPane {
	m := AuthPane{common: c, keys: DefaultAuthKeyMap(), deps: deps, id: int(paneIDs.Add(1))}
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Pending))

	l := list.New(nil, newAccountDelegate(c.Styles, 40), 40, 10)
	l.SetShowTitle(false)
	l.SetShowStatusBar(false)
	l.SetShowHelp(false)
	l.DisableQuitKeybindings()
	l.KeyMap.NextPage.SetKeys("right", "l", "pgdown")
	l.KeyMap.PrevPage.SetKeys("left", "h", "pgup")
	l.Styles.NoItems = c.Styles.Muted
	l.Styles.FilterPrompt = c.Styles.FormLabel
	l.FilterInput.Prompt = "/ "
	l.FilterInput.Cursor.SetMode(cursor.CursorStatic)
	l.Styles.PaginationStyle = c.Styles.Muted
	l.SetStatusBarItemName("account", "accounts")
	m.list = l

	m.input = newInput("")
	m.issuer = newInput("issuer")
	m.name = newInput("account")
	return m
}

// newInput is a text input that does not blink, so frames stay still.
func newInput(placeholder string) textinput.Model {
	ti := textinput.New()
	ti.Placeholder = placeholder
	ti.Prompt = "› "
	ti.Cursor.SetMode(cursor.CursorStatic)
	return ti
}

// Init opens the vault and starts the tick loop.
func (m AuthPane) Init() tea.Cmd {
	return tea.Batch(m.spinner.Tick, openVaultCmd(m.deps.Open, ""), tickCmd(m.id, m.tag))
}

// SetSize implements the pane contract: w and h are the pane's inner size.
func (m *AuthPane) SetSize(w, h int) {
	m.common.Width, m.common.Height = w, h
	m.list.SetDelegate(newAccountDelegate(m.common.Styles, w))
	m.list.SetSize(w, max(1, h-2)) // title line and message line
	for _, ti := range []*textinput.Model{&m.input, &m.issuer, &m.name} {
		ti.Width = max(4, w-4)
	}
}

// Focus gives the pane the keyboard.
func (m *AuthPane) Focus() { m.focused = true; m.focusInputs() }

// Blur takes the keyboard away.
func (m *AuthPane) Blur() {
	m.focused = false
	m.input.Blur()
	m.issuer.Blur()
	m.name.Blur()
}

// Focused reports whether the pane has the keyboard.
func (m AuthPane) Focused() bool { return m.focused }

// Typing reports whether keys go to a text field, so the root leaves q and tab alone.
func (m AuthPane) Typing() bool {
	switch m.state {
	case authLocked, authAdding, authRenaming, authBackupPassword:
		return true
	case authReady:
		return m.list.SettingFilter()
	}
	return false
}

// Ready reports whether the vault is open.
func (m AuthPane) Ready() bool { return m.store != nil }

// Mode is how the vault is protected, for the status bar.
func (m AuthPane) Mode() string { return m.mode }

// Shift is how far the displayed clock is moved.
func (m AuthPane) Shift() time.Duration { return m.shift }

// Overlay returns a full-screen view the pane asked for (a QR code), if any.
func (m AuthPane) Overlay() *overlay { return m.overlay }

// CloseOverlay dismisses the overlay.
func (m *AuthPane) CloseOverlay() { m.overlay = nil }

// Enrol imports a provisioning URI handed over by the verifier pane.
func (m *AuthPane) Enrol(uri string) tea.Cmd {
	if m.store == nil {
		m.setNote("", errors.New("the vault is not open yet"))
		return nil
	}
	m.busy = true
	m.note, m.noteErr = "enrolling from the verifier…", nil
	return m.startImport(uri, "")
}

// startImport imports source (with a backup file's password, if any) in a command
// whose context esc cancels. A backup's key derivation takes seconds by design (Argon2
// and scrypt): importTimeout allows it.
func (m *AuthPane) startImport(source, password string) tea.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), importTimeout)
	m.stopImport = cancel
	return importCmd(ctx, cancel, m.store, source, password)
}

// cancelImport stops the import in flight, if there is one: the decode stops at its
// next check, and the result, context.Canceled, says the import was cancelled.
func (m *AuthPane) cancelImport() {
	if m.busy && m.stopImport != nil {
		m.stopImport()
		m.setNote("cancelling the import…", nil)
	}
}

// CodeFor returns the current code of the account that best matches loginID: the one
// named loginID (most recently added first), else the selected account.
func (m AuthPane) CodeFor(loginID string) (code, label string, ok bool) {
	for i := len(m.items) - 1; i >= 0; i-- {
		it := m.items[i]
		if it.acct.Key.Account == loginID && it.acct.Key.Type == provisioning.TOTP {
			if c := it.currentCode(); c != "" {
				return c, it.acct.Key.Label(), true
			}
		}
	}
	if it := m.selected(); it != nil && it.currentCode() != "" {
		return it.currentCode(), it.acct.Key.Label(), true
	}
	return "", "", false
}

// SetShift moves the displayed clock (the demo and the [ ] keys use it).
func (m *AuthPane) SetShift(d time.Duration) {
	m.shift = d
	m.refresh()
}

func (m *AuthPane) selected() *accountItem {
	it, _ := m.list.SelectedItem().(*accountItem)
	return it
}

func (m *AuthPane) setNote(note string, err error) { m.note, m.noteErr = note, err }

// refresh recomputes every code for the last tick's time plus the shift, working out
// at most nextPerTick next codes ahead.
func (m *AuthPane) refresh() {
	if m.now.IsZero() {
		m.now = m.common.Now()
	}
	t := m.now.Add(m.shift)
	budget := nextPerTick
	for _, it := range m.items {
		if it.update(t, budget > 0) {
			budget--
		}
	}
}

func (m *AuthPane) focusInputs() {
	if !m.focused {
		return
	}
	switch m.state {
	case authLocked, authAdding, authBackupPassword:
		m.input.Focus()
	case authRenaming:
		if m.field == 0 {
			m.issuer.Focus()
			m.name.Blur()
		} else {
			m.name.Focus()
			m.issuer.Blur()
		}
	}
}

// setAccounts replaces the list, keeping HOTP codes already shown and selecting sel.
func (m *AuthPane) setAccounts(accts []Account, sel string) {
	old := map[string]*accountItem{}
	for _, it := range m.items {
		old[it.acct.ID] = it
	}
	m.items = make([]*accountItem, len(accts))
	items := make([]list.Item, len(accts))
	selIdx := -1
	for i, a := range accts {
		it := newAccountItem(a)
		if o, ok := old[a.ID]; ok && o.acct.Key.Type == provisioning.HOTP {
			it.hotpCode, it.hotpCounter = o.hotpCode, o.hotpCounter
		}
		m.items[i], items[i] = it, it
		if a.ID == sel {
			selIdx = i
		}
	}
	m.refresh()
	m.list.SetItems(items)
	if selIdx >= 0 {
		m.list.ResetFilter()
		m.list.Select(selIdx)
	}
}

// Update handles the pane's own messages and, when focused, keys.
func (m AuthPane) Update(msg tea.Msg) (AuthPane, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if msg.id != m.id || msg.tag != m.tag {
			return m, nil
		}
		m.now = msg.t
		m.refresh()
		return m, tickCmd(m.id, m.tag)
	case spinner.TickMsg:
		if m.state != authLoading && !m.busy {
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case vaultOpenedMsg:
		return m.vaultOpened(msg)
	case accountsLoadedMsg:
		m.busy = false
		if msg.err != nil {
			m.setNote("", fmt.Errorf("load accounts: %w", msg.err))
			return m, nil
		}
		m.setAccounts(msg.accounts, msg.selectID)
		switch {
		case msg.warn != nil:
			m.setNote("", fmt.Errorf("%s, but %w", msg.note, msg.warn))
		case msg.note != "":
			m.setNote(msg.note, nil)
		}
		return m, nil
	case storeDoneMsg:
		if msg.op == "import" {
			m.stopImport = nil
		}
		if msg.op == "import" && errors.Is(msg.err, context.Canceled) {
			m.busy = false
			m.setNote("import cancelled: nothing was added", nil)
			return m, nil
		}
		var bpe *BackupPasswordError
		if errors.As(msg.err, &bpe) && (m.state == authAdding || m.state == authBackupPassword) {
			m.busy = false
			return m.askBackupPassword(bpe), nil
		}
		if msg.err != nil {
			m.busy = false
			m.setNote("", fmt.Errorf("%s: %w", msg.op, msg.err))
			return m, nil
		}
		if m.state == authBackupPassword {
			m.endBackupPassword()
		}
		if m.state == authAdding || m.state == authRenaming || m.state == authConfirmDelete {
			m.state = authReady
		}
		return m, loadAccountsCmd(m.store, msg.selectID, msg.note, msg.warn)
	case hotpDoneMsg:
		m.busy = false
		if msg.err != nil {
			m.setNote("", fmt.Errorf("hotp: %w", msg.err))
			return m, nil
		}
		for _, it := range m.items {
			if it.acct.ID == msg.id {
				it.hotpCode, it.hotpCounter = msg.code, msg.counter+1
				it.acct.Key.Counter = msg.counter + 1
				m.setNote(fmt.Sprintf("%s: code for counter %d (c copies)", it.label, msg.counter), nil)
			}
		}
		return m, nil
	case copyDoneMsg:
		if msg.err != nil {
			m.setNote("", msg.err)
		} else {
			m.setNote(fmt.Sprintf("copied %s via %s", msg.label, msg.via), nil)
		}
		return m, nil
	case qrMsg:
		if msg.err != nil {
			m.setNote("", fmt.Errorf("qr: %w", msg.err))
			return m, nil
		}
		m.overlay = &overlay{title: msg.title, body: msg.qr, hint: "scan with your phone · esc closes · this QR holds the secret"}
		return m, nil
	case completionMsg:
		if m.state == authAdding && msg.prefix == m.input.Value() {
			m.input.SetSuggestions(msg.matches)
		}
		return m, nil
	case tea.KeyMsg:
		if !m.focused {
			return m, nil
		}
		return m.handleKey(msg)
	}
	// Anything else (the list's filter results) belongs to the list.
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, cmd
}

func (m AuthPane) vaultOpened(msg vaultOpenedMsg) (AuthPane, tea.Cmd) {
	switch {
	case errors.Is(msg.err, ErrPassphraseNeeded):
		m.state = authLocked
		m.passNew, m.passReason = false, ""
		var pe *PassphraseError
		if errors.As(msg.err, &pe) {
			m.passNew, m.passReason = pe.New, pe.Reason
		}
		m.passFirst = ""
		m.input.Reset()
		m.input.EchoMode = textinput.EchoPassword
		m.input.EchoCharacter = '•'
		m.input.Placeholder = "vault passphrase"
		if m.passNew {
			m.input.Placeholder = "new vault passphrase"
		}
		m.focusInputs()
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
	m.store, m.mode, m.state = msg.store, msg.mode, authReady
	m.passFirst = ""
	m.input.Reset()
	m.input.EchoMode = textinput.EchoNormal
	m.input.Blur()
	m.busy = true
	return m, loadAccountsCmd(m.store, "", "", nil)
}

func (m AuthPane) handleKey(msg tea.KeyMsg) (AuthPane, tea.Cmd) {
	if m.overlay != nil {
		if key.Matches(msg, m.keys.Cancel) {
			m.overlay = nil
		}
		return m, nil
	}
	switch m.state {
	case authLocked:
		return m.passphraseKey(msg)
	case authFailed:
		if key.Matches(msg, m.keys.Retry) {
			m.state, m.loadErr = authLoading, nil
			return m, tea.Batch(m.spinner.Tick, openVaultCmd(m.deps.Open, ""))
		}
		return m, nil
	case authAdding:
		return m.addKey(msg)
	case authRenaming:
		return m.renameKey(msg)
	case authConfirmDelete:
		return m.deleteKey(msg)
	case authBackupPassword:
		return m.backupPasswordKey(msg)
	case authReady:
		return m.listKey(msg)
	}
	return m, nil
}
