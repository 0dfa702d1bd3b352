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

// Defaults of AuthDeps.
const (
	// DefaultAutoLock is how long a passphrase vault stays open without a key pressed
	// (Aegis locks after a few minutes too).
	DefaultAutoLock = 5 * time.Minute
	// DefaultClipboardClear is how long a copied code stays on the native clipboard.
	DefaultClipboardClear = 30 * time.Second
)

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
	// AutoLock is how long a passphrase vault stays open without a key or a click:
	// then the pane forgets the accounts and asks for the passphrase again. Zero means
	// DefaultAutoLock, negative never.
	AutoLock time.Duration
	// ClipboardClear is how long a code copied to the native clipboard stays there
	// unless something else is copied since. Zero means DefaultClipboardClear,
	// negative never.
	ClipboardClear time.Duration
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
	info    VaultInfo
	loadErr error

	spinner  spinner.Model
	list     list.Model
	delegate accountDelegate // the list's, kept to draw its page (listPage)
	items    []*accountItem  // in the store's order; the list shows them sorted
	sort     sortMode

	input  textinput.Model // import source, or the passphrase
	issuer textinput.Model // rename fields
	name   textinput.Model
	field  int // focused rename field

	shift time.Duration
	now   time.Time // time of the last tick, unshifted

	note      string
	noteErr   error
	noteLines int // lines the note takes under the list
	busy      bool
	overlay   *overlay

	lastActive time.Time // the last key or click, for the auto-lock
	clipSeq    int       // the newest copy, whose clear timer counts

	// stopImport cancels the import in flight (esc); nil when there is none.
	stopImport context.CancelFunc

	// The passphrase prompt: whether it protects a new vault (asked twice; first holds
	// the first entry until the second matches), why there is no keyring and, when the
	// keyring is only locked, what would let it be used instead.
	passNew    bool
	passReason string
	passFirst  string
	passLocked bool
	passRemedy string

	// The backup password prompt: the file being imported and how to name it.
	backupSource string
	backupFormat string
}

// paneIDs numbers panes so each tick loop is told apart from another pane's.
var paneIDs atomic.Int64

// NewAuthPane builds the pane; Init opens the vault in a command.
func NewAuthPane(c Common, deps AuthDeps) AuthPane {
	if deps.AutoLock == 0 {
		deps.AutoLock = DefaultAutoLock
	}
	if deps.ClipboardClear == 0 {
		deps.ClipboardClear = DefaultClipboardClear
	}
	m := AuthPane{common: c, keys: DefaultAuthKeyMap(), deps: deps, id: int(paneIDs.Add(1)), noteLines: 1}
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Pending))

	m.delegate = newAccountDelegate(c.Styles, 40)
	l := list.New(nil, m.delegate, 40, 10)
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
	m.delegate = newAccountDelegate(m.common.Styles, w)
	m.list.SetDelegate(m.delegate)
	for _, ti := range []*textinput.Model{&m.input, &m.issuer, &m.name} {
		ti.Width = max(4, w-4)
	}
	m.layoutList()
}

// layoutList gives the list what the title line and the message lines leave.
func (m *AuthPane) layoutList() {
	m.noteLines = max(1, len(m.noteView()))
	m.list.SetSize(m.common.Width, max(1, m.common.Height-1-m.noteLines))
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
func (m AuthPane) Mode() string { return m.info.Mode }

// Shift is how far the displayed clock is moved.
func (m AuthPane) Shift() time.Duration { return m.shift }

// Overlay returns a full-screen view the pane asked for (a QR code), if any.
func (m AuthPane) Overlay() *overlay { return m.overlay }

// CloseOverlay dismisses the overlay.
func (m *AuthPane) CloseOverlay() { m.overlay = nil }

// LastError is the pane's last error, for the root's full view of it.
func (m AuthPane) LastError() error {
	if m.state == authFailed {
		return m.loadErr
	}
	return m.noteErr
}

// Enrol stores a provisioning URI handed over by the verifier pane: a new seed of an
// account already here (an update) replaces it.
func (m *AuthPane) Enrol(uri string) tea.Cmd {
	if m.store == nil {
		m.setNote("", errors.New("the vault is still opening: press e again once it shows its accounts"))
		return nil
	}
	m.busy = true
	m.setNote("enrolling from the verifier…", nil)
	return tea.Batch(m.spinner.Tick, enrolCmd(m.store, uri))
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

// SetShift moves the displayed clock (the demo and the [ ] keys use it).
func (m *AuthPane) SetShift(d time.Duration) {
	m.shift = d
	m.refresh()
}

func (m *AuthPane) selected() *accountItem {
	it, _ := m.list.SelectedItem().(*accountItem)
	return it
}

func (m *AuthPane) setNote(note string, err error) {
	m.note, m.noteErr = note, err
	m.layoutList()
}

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

// Update handles the pane's own messages and, when focused, keys.
func (m AuthPane) Update(msg tea.Msg) (AuthPane, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if msg.id != m.id || msg.tag != m.tag {
			return m, nil
		}
		m.now = msg.t
		if left, ok := m.LocksIn(); ok && left == 0 {
			m.lock()
		}
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
		m, cmd := m.vaultOpened(msg)
		if msg.info.KeyringAsked {
			// The keyring's unlock prompter (gcr-prompter and its GTK warnings) runs
			// under the session bus, which may share this terminal: draw it all again.
			cmd = tea.Batch(cmd, tea.ClearScreen)
		}
		return m, cmd
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
	case enrolDoneMsg:
		m.busy = false
		switch {
		case msg.err != nil:
			m.setNote("", fmt.Errorf("enrol: %w", msg.err))
			return m, nil
		case m.store == nil:
			return m, nil // locked meanwhile; the account is stored
		}
		m.busy = true
		return m, loadAccountsCmd(m.store, msg.res.Account.ID, enrolNote(msg.res), nil)
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
				m.setNote(fmt.Sprintf("%s: code for counter %d (enter copies it)", it.label, msg.counter), nil)
			}
		}
		return m, nil
	case pinnedMsg:
		return m.pinned(msg), nil
	case usedMsg:
		if msg.err != nil {
			m.setNote("", fmt.Errorf("record use: %w", msg.err))
			return m, nil
		}
		for _, it := range m.items {
			if it.acct.ID == msg.id && msg.at.After(it.acct.LastUsed) {
				it.acct.LastUsed = msg.at
			}
		}
		return m, nil
	case copyDoneMsg:
		return m.copied(msg)
	case clipboardExpiredMsg:
		if msg.seq != m.clipSeq || m.deps.Clipboard == nil {
			return m, nil // a later copy took the clipboard and has its own timer
		}
		return m, clearClipboardCmd(m.deps.Clipboard, msg.code)
	case clipboardClearedMsg:
		switch {
		case msg.err != nil:
			m.setNote("", msg.err)
		case msg.cleared:
			m.setNote(fmt.Sprintf("took the copied code off the clipboard after %v", m.deps.ClipboardClear), nil)
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
