package tui

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/verifier/flow"
)

// requestTimeout bounds every store, keyring and backend call made from a command, so a
// hung keyring or server shows an error instead of freezing a pane.
const requestTimeout = 15 * time.Second

// tickMsg drives the authenticator's one-second loop. id names the pane and tag the
// loop generation: a pane drops ticks from a loop it has replaced, so restarting the
// loop never doubles its speed.
type tickMsg struct {
	id, tag int
	t       time.Time
}

// tickCmd waits for the next wall-clock second and reports its time.
func tickCmd(id, tag int) tea.Cmd {
	return tea.Every(time.Second, func(t time.Time) tea.Msg { return tickMsg{id: id, tag: tag, t: t} })
}

// vaultOpenedMsg reports the vault opening; err may be ErrPassphraseNeeded.
type vaultOpenedMsg struct {
	store AccountStore
	info  VaultInfo
	err   error
}

func openVaultCmd(open VaultOpener, passphrase string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		store, info, err := open(ctx, passphrase)
		return vaultOpenedMsg{store: store, info: info, err: err}
	}
}

// accountsLoadedMsg carries the account list after a load or a change.
type accountsLoadedMsg struct {
	accounts []Account
	selectID string // account to select after the reload, if any
	note     string // what changed, for the pane's message line
	warn     error  // what part of the change failed
	err      error
}

func loadAccountsCmd(store AccountStore, selectID, note string, warn error) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		accts, err := store.Accounts(ctx)
		return accountsLoadedMsg{accounts: accts, selectID: selectID, note: note, warn: warn, err: err}
	}
}

// storeDoneMsg reports a change to the store (import, rename, delete); the pane then
// reloads the list.
type storeDoneMsg struct {
	op       string
	selectID string
	note     string
	warn     error // part of an import failed; the rest is stored
	err      error
}

// importCmd imports source (with the password of a backup file, if one was asked for)
// under ctx, which the pane cancels when the user presses esc (an image decode stops
// at its next check) and which ends after importTimeout; cancel releases it when the
// import is done.
func importCmd(ctx context.Context, cancel context.CancelFunc, store AccountStore, source, password string) tea.Cmd {
	return func() tea.Msg {
		defer cancel()
		res, err := store.Import(ctx, expandHome(source), password)
		if err != nil {
			return storeDoneMsg{op: "import", err: err}
		}
		return storeDoneMsg{op: "import", selectID: importSelect(res), note: importNote(res), warn: res.Err}
	}
}

// importTimeout bounds one import, backup key derivation included.
const importTimeout = 2 * time.Minute

// importSelect is the account to select after an import: the last one added, else the
// last one that was already there.
func importSelect(res ImportResult) string {
	switch {
	case len(res.Added) > 0:
		return res.Added[len(res.Added)-1].ID
	case len(res.Duplicates) > 0:
		return res.Duplicates[len(res.Duplicates)-1].ID
	}
	return ""
}

// importNote says what an import did, in one line.
func importNote(res ImportResult) string {
	labels := func(accts []Account) string {
		names := make([]string, len(accts))
		for i, a := range accts {
			names[i] = a.Key.Label()
		}
		return strings.Join(names, ", ")
	}
	if res.Summary != "" {
		return res.Summary
	}
	var parts []string
	if len(res.Added) > 0 {
		parts = append(parts, "added "+labels(res.Added))
	}
	if len(res.Duplicates) > 0 {
		parts = append(parts, "already here: "+labels(res.Duplicates))
	}
	if len(parts) == 0 {
		return "nothing new to add"
	}
	return strings.Join(parts, "; ")
}

func renameCmd(store AccountStore, id, issuer, account string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		err := store.Rename(ctx, id, issuer, account)
		return storeDoneMsg{op: "rename", selectID: id, note: "renamed", err: err}
	}
}

func deleteCmd(store AccountStore, id, label string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		err := store.Delete(ctx, id)
		return storeDoneMsg{op: "delete", note: "deleted " + label, err: err}
	}
}

// enrolDoneMsg reports an enrolment handed over by the verifier pane.
type enrolDoneMsg struct {
	uri string // the provisioning URI, so the verifier pane knows which result it was
	res EnrolResult
	err error
}

func enrolCmd(store AccountStore, uri string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		res, err := store.Enrol(ctx, uri)
		return enrolDoneMsg{uri: uri, res: res, err: err}
	}
}

// enrolNote says what an enrolment did, in one line.
func enrolNote(res EnrolResult) string {
	label := res.Account.Key.Label()
	switch {
	case res.Replaced:
		return "replaced " + label + " with the new seed (the old one is gone)"
	case res.Duplicate:
		return label + " is already here with this seed"
	}
	return "added " + label
}

// pinnedMsg reports a pin or unpin.
type pinnedMsg struct {
	id     string
	pinned bool
	err    error
}

func pinCmd(store AccountStore, id string, pinned bool) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		return pinnedMsg{id: id, pinned: pinned, err: store.SetPinned(ctx, id, pinned)}
	}
}

// usedMsg reports that an account's use was recorded; the list is not re-sorted under
// the cursor, only the item's time changes.
type usedMsg struct {
	id  string
	at  time.Time
	err error
}

func markUsedCmd(store AccountStore, id string, at time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		return usedMsg{id: id, at: at, err: store.MarkUsed(ctx, id, at)}
	}
}

// hotpDoneMsg carries the code for an HOTP account's next counter.
type hotpDoneMsg struct {
	id      string
	code    string
	counter uint64
	err     error
}

func hotpCmd(store AccountStore, id string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		code, counter, err := store.NextHOTP(ctx, id)
		return hotpDoneMsg{id: id, code: code, counter: counter, err: err}
	}
}

// copyDoneMsg reports which clipboard path took the code. The code comes back too: a
// copy that reached a native clipboard is taken off it again after a while, unless
// something else was copied since.
type copyDoneMsg struct {
	id, label string
	code      string
	report    CopyReport
	err       error
}

func copyCmd(cb Clipboard, id, label, code string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rep, err := cb.Copy(ctx, code)
		return copyDoneMsg{id: id, label: label, code: code, report: rep, err: err}
	}
}

// clipboardExpiredMsg says a copied code has been on the clipboard long enough; seq
// drops the timers of copies that a later copy replaced.
type clipboardExpiredMsg struct {
	seq  int
	code string
}

func clipboardTimerCmd(after time.Duration, seq int, code string) tea.Cmd {
	return tea.Tick(after, func(time.Time) tea.Msg { return clipboardExpiredMsg{seq: seq, code: code} })
}

// clipboardClearedMsg reports whether the expired code was taken off the clipboard.
type clipboardClearedMsg struct {
	cleared bool
	err     error
}

func clearClipboardCmd(cb Clipboard, code string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ok, err := cb.ClearIf(ctx, code)
		return clipboardClearedMsg{cleared: ok, err: err}
	}
}

// qrMsg carries a rendered QR code for an overlay.
type qrMsg struct {
	title string
	qr    string
	err   error
}

func qrCmd(render QRRenderer, title, text string) tea.Cmd {
	return func() tea.Msg {
		qr, err := render(text)
		return qrMsg{title: title, qr: qr, err: err}
	}
}

// completionMsg carries file-name completions for the import field.
type completionMsg struct {
	prefix  string
	matches []string
}

// completePathCmd lists the entries that complete prefix as a path, reading the
// directory inside a command.
func completePathCmd(prefix string) tea.Cmd {
	return func() tea.Msg {
		return completionMsg{prefix: prefix, matches: completePath(prefix)}
	}
}

func completePath(prefix string) []string {
	if prefix == "" || strings.Contains(prefix, "://") {
		return nil
	}
	expanded := prefix
	if strings.HasPrefix(prefix, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			expanded = filepath.Join(home, prefix[2:])
			if strings.HasSuffix(prefix, "/") {
				expanded += "/"
			}
		}
	}
	dir, base := filepath.Split(expanded)
	readDir := dir
	if readDir == "" {
		readDir = "."
	}
	entries, err := os.ReadDir(readDir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if safetext.Line(name) != name {
			// A file name a terminal would act on is not offered: the completion is
			// drawn in the field as it is, and it could only be typed by hand anyway.
			continue
		}
		if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		// Keep what the user typed (including "~/") and append the rest of the name.
		s := prefix + name[len(base):]
		if e.IsDir() {
			s += "/"
		}
		out = append(out, s)
		if len(out) == 200 {
			break
		}
	}
	sort.Strings(out)
	return out
}

// backendOpenedMsg reports a connection to a verifier backend.
type backendOpenedMsg struct {
	reqID   int
	cfg     BackendConfig
	backend Verifier
	err     error
}

func openBackendCmd(open BackendOpener, cfg BackendConfig, reqID int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		b, err := open(ctx, cfg)
		return backendOpenedMsg{reqID: reqID, cfg: cfg, backend: b, err: err}
	}
}

// verifyDoneMsg is the result of one verifier request; reqID lets the pane drop
// results that a newer request has overtaken.
type verifyDoneMsg struct {
	reqID   int
	op      verifyOp
	loginID string
	signUp  SignUpResult
	session Session
	me      string
	qr      string // the sign-up QR, drawn in the command
	qrErr   error
	err     error
}

// verifyCmd runs one verifier call with a timeout.
func verifyCmd(reqID int, op verifyOp, loginID string, call func(ctx context.Context, msg *verifyDoneMsg) error) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		msg := verifyDoneMsg{reqID: reqID, op: op, loginID: loginID}
		msg.err = call(ctx, &msg)
		return msg
	}
}

// usersMsg carries the backend's users for the users list.
type usersMsg struct {
	users []UserState
	err   error
}

func usersCmd(v Verifier) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		users, err := v.Users(ctx)
		return usersMsg{users: users, err: err}
	}
}

// flowStepMsg is the answer to one flow engine call (a start or a next): the
// response, the QR code of the enrolment on its screen (drawn in the command), or why
// the engine refused the call. reqID lets the flow view drop an answer a newer call
// has overtaken.
type flowStepMsg struct {
	reqID int
	resp  *flow.Response
	qr    string
	qrErr error
	err   error
}

// flowCmd runs one engine call with a timeout and draws the QR code of the
// enrolment on the screen it answers with.
func flowCmd(reqID int, qr QRRenderer, call func(ctx context.Context) (*flow.Response, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		resp, err := call(ctx)
		msg := flowStepMsg{reqID: reqID, resp: resp, err: err}
		if err == nil && resp.Screen != nil && qr != nil {
			for _, n := range resp.Screen.Nodes {
				if n.Type == flow.NodeTOTP && n.TOTP != nil && n.TOTP.ProvisionURL != "" {
					msg.qr, msg.qrErr = qr(n.TOTP.ProvisionURL)
					break
				}
			}
		}
		return msg
	}
}
