package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Issue 14's lifecycle papercuts, each at the layer that catches it.

// Item 1: after a sign-up, s opens an empty form (typing does not extend the last
// login id), and a prefilled login id in the sign-in form is selected: typing
// replaces it, backspace clears it, a cursor key keeps it for editing.
func TestFormsDoNotAppendToThePrefilledLoginID(t *testing.T) {
	store, v, _ := pairedFakes()
	a := typeText(t, press(t, testApp(t, store, v, 120, 40), "tab", "s"), "bob@example.com")
	a = press(t, a, "enter", "esc", "s")
	a = typeText(t, a, "carol")
	if got := a.verify.form.value(0); got != "carol" {
		t.Fatalf("the sign-up form's login id is %q after typing carol, want carol", got)
	}
	a = press(t, a, "esc", "i")
	if got := a.verify.form.value(0); got != "bob@example.com" {
		t.Fatalf("the sign-in form starts with %q, want the last login id", got)
	}
	a = press(t, a, "tab") // to the login id: selected
	if !a.verify.form.selected[0] || !strings.Contains(a.View(), "Login ID · typing replaces it") {
		t.Fatalf("the prefilled login id is not shown selected:\n%s", a.View())
	}
	a = typeText(t, a, "carol")
	if got := a.verify.form.value(0); got != "carol" {
		t.Fatalf("typing over the selected login id gave %q, want carol", got)
	}
	a = press(t, a, "tab", "tab")
	a = press(t, a, "backspace")
	if got := a.verify.form.value(0); got != "" {
		t.Fatalf("backspace on the selection left %q", got)
	}
	a = typeText(t, a, "dave")
	a = press(t, a, "tab", "tab", "left")
	a = typeText(t, a, "x")
	if got := a.verify.form.value(0); got != "davxe" {
		t.Fatalf("a cursor key then typing gave %q, want davxe (the selection ended)", got)
	}
}

// Items 2, 3 and 12: sign in, update, e, sign in again in the same period. The update
// replaces the account instead of adding a second row, ctrl+f says which account
// it took the code from, the hint moves on after e, and the new seed's code signs in.
func TestUpdateReplacesTheAccountAndSignsIn(t *testing.T) {
	store := newFakeStore()
	p := newPolicyFake(store, func() time.Time { return fixedNow })
	a := testApp(t, store, p.verifier(), 120, 40)
	a = typeText(t, press(t, a, "tab", "s"), "erin@example.com")
	a = press(t, a, "enter")
	if !strings.Contains(a.View(), "next: e puts it in the authenticator") {
		t.Fatalf("no hint to enrol:\n%s", a.View())
	}
	a = press(t, a, "e")
	if !strings.Contains(a.View(), "next: i signs in with its first code") {
		t.Fatalf("after e the pane still suggests e:\n%s", a.View())
	}
	a = press(t, a, "i", "ctrl+f")
	if !strings.Contains(a.verify.form.hint, "Code from otpair: erin@example.com") {
		t.Fatalf("ctrl+f does not say which account the code is from: %q", a.verify.form.hint)
	}
	a = press(t, a, "enter")
	a = press(t, a, "u")
	first := store.accounts[0].ID
	a = press(t, a, "e")
	if len(store.accounts) != 1 || len(a.auth.items) != 1 || store.accounts[0].ID != first {
		t.Fatalf("after the update's e the vault holds %d accounts (%d rows), want the one replaced", len(store.accounts), len(a.auth.items))
	}
	if !strings.Contains(a.auth.note, "replaced otpair: erin@example.com with the new seed") {
		t.Fatalf("note %q does not say the account was replaced", a.auth.note)
	}
	a = press(t, a, "i", "ctrl+f", "enter")
	e, _ := a.verify.lastEntry()
	if !e.ok || !strings.Contains(e.summary, "the new seed is confirmed") {
		t.Fatalf("the update's confirming sign-in: ok=%v %q", e.ok, e.summary)
	}
}

// Item 3: ctrl+f takes the selected account's code when it is the login id's, not the
// newest account of that name.
func TestFillPrefersTheSelectedAccount(t *testing.T) {
	older, newer := testKey("Work", "alice"), testKey("Home", "alice")
	newer.Secret = []byte("abcdefghijabcdefghij")
	a := testApp(t, newFakeStore(older, newer), &fakeVerifier{}, 120, 40)
	code, label, _, ok := a.auth.CodeFor("alice")
	want, _ := older.Code(fixedNow)
	if !ok || code != want || label != "Work: alice" {
		t.Fatalf("CodeFor with the older account selected = %s %q, want %s from Work: alice", code, label, want)
	}
	a = press(t, a, "down")
	if _, label, _, _ := a.auth.CodeFor("alice"); label != "Home: alice" {
		t.Fatalf("CodeFor with the newer account selected came from %q", label)
	}
}

// Item 4 and Aegis's clipboard clearing: a copy that reached a native clipboard is
// taken off it when its timer fires, unless a later copy replaced it.
func TestCopiedCodeIsClearedFromTheClipboard(t *testing.T) {
	k := testKey("GitHub", "alice")
	a := testApp(t, newFakeStore(k), &fakeVerifier{}, 120, 40)
	var mu sync.Mutex
	var cleared []string
	a.auth.deps.Clipboard = ClipboardFuncs{
		CopyFn: func(context.Context, string) (CopyReport, error) {
			return CopyReport{Native: "wl-copy", OSC52: true}, nil
		},
		ClearFn: func(_ context.Context, text string) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			cleared = append(cleared, text)
			return true, nil
		},
	}
	a = press(t, a, "c")
	if !strings.Contains(a.auth.note, "cleared in 30s unless you copy something else") {
		t.Fatalf("note %q does not say the code will be cleared", a.auth.note)
	}
	code, _ := k.Code(fixedNow)
	// A timer of an earlier copy does nothing.
	a = settle(t, a, func() tea.Msg { return clipboardExpiredMsg{seq: a.auth.clipSeq - 1, code: code} }, appUpdate)
	if len(cleared) != 0 {
		t.Fatal("a stale timer cleared the clipboard")
	}
	a = settle(t, a, func() tea.Msg { return clipboardExpiredMsg{seq: a.auth.clipSeq, code: code} }, appUpdate)
	if len(cleared) != 1 || cleared[0] != code || !strings.Contains(a.auth.note, "took the copied code off the clipboard") {
		t.Fatalf("cleared %q, note %q", cleared, a.auth.note)
	}
	// The timer itself is armed with the configured delay.
	a.auth.deps.ClipboardClear = 10 * time.Millisecond
	a = press(t, a, "c")
	if len(cleared) != 2 {
		t.Fatalf("the 10 ms timer did not clear the second copy: %q", cleared)
	}
}

// Item 5: a long error wraps in the pane instead of being cut, and ! shows it whole.
func TestLongErrorsWrapAndOpenInFull(t *testing.T) {
	long := "import /home/someone/Downloads/a-rather-long-folder-name/another-level/nonexist.png: open: no such file or directory (and the clipboard had nothing usable either, so there was nothing to import)"
	store := newFakeStore()
	store.ImportFn = func(context.Context, string, string) (ImportResult, error) { return ImportResult{}, errors.New(long) }
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	a = typeText(t, press(t, a, "a"), "/nonexist.png")
	a = press(t, a, "enter", "esc")
	v := a.View()
	if !strings.Contains(v, "nonexist.png:") || !strings.Contains(v, "open: no such file") || !strings.Contains(v, "(! shows all)") {
		t.Fatalf("the error is not wrapped in the pane with a pointer to !:\n%s", v)
	}
	a = press(t, a, "!")
	v = a.View()
	if !strings.Contains(v, "The last error in full") || !strings.Contains(v, "nothing usable either") {
		t.Fatalf("! does not show the whole error:\n%s", v)
	}
	a = press(t, a, "esc")
	if a.errView != nil || strings.Contains(a.View(), "The last error in full") {
		t.Fatal("esc does not close the error view")
	}
}

// Item 7: the QR's modules are painted black on white explicitly, also when colour is
// off (the Ascii profile that NO_COLOR selects): never left to the terminal's theme.
func TestQRIsPaintedWithoutColourToo(t *testing.T) {
	store, v, _ := pairedFakes()
	a := typeText(t, press(t, testApp(t, store, v, 120, 40), "tab", "s"), "alice@example.com")
	a = press(t, a, "enter")
	for _, view := range []string{a.View(), press(t, a, "z").View()} {
		qrLines := 0
		for _, l := range strings.Split(view, "\n") {
			if strings.Contains(l, "█▀") {
				qrLines++
				if !strings.Contains(l, qrInk.pre+"█▀") || !strings.Contains(l, qrInk.post) {
					t.Fatalf("a QR line is not painted black on white: %q", l)
				}
			}
		}
		if qrLines == 0 {
			t.Fatalf("no QR on screen:\n%s", view)
		}
	}
}

// Item 8: a full-screen QR of a typical sign-up (41x21 cells) fits 80x24 with its
// title and hint; below the smallest usable size the TUI says what it needs.
func TestQRFitsEightyByTwentyFourAndSmallTerminalsSaySo(t *testing.T) {
	row := strings.Repeat("█", 41)
	qr41 := strings.TrimSuffix(strings.Repeat(row+"\n", 21), "\n")
	store, v, _ := pairedFakes()
	a := testApp(t, store, v, 80, 24)
	a.verify.deps.QR = func(string) (string, error) { return qr41, nil }
	a = typeText(t, press(t, a, "tab", "s"), "alice@example.com")
	a = press(t, a, "enter", "z")
	view := a.View()
	if strings.Contains(view, "needs a bigger terminal") || strings.Count(view, row) != 21 || !strings.Contains(view, "Scan to enrol alice@example.com") {
		t.Fatalf("the 41x21 QR does not fit 80x24 full screen:\n%s", view)
	}
	if lipgloss.Height(view) != 24 || lipgloss.Width(view) != 80 {
		t.Fatalf("the full-screen view is %dx%d", lipgloss.Width(view), lipgloss.Height(view))
	}
	for _, sz := range [][2]int{{30, 8}, {40, 12}, {43, 30}, {100, 15}} {
		a, _ = appUpdate(press(t, a, "esc"), tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		view := a.View()
		if !strings.Contains(view, "terminal too small") || !strings.Contains(view, fmt.Sprintf("need %d×%d", minWidth, minHeight)) ||
			strings.Contains(view, "╭") || lipgloss.Height(view) != sz[1] {
			t.Errorf("%dx%d:\n%s", sz[0], sz[1], view)
		}
	}
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: minWidth, Height: minHeight})
	if view := a.View(); strings.Contains(view, "too small") || !strings.Contains(view, "Authenticator") || !strings.Contains(view, "Verifier") {
		t.Fatalf("at the minimum size:\n%s", view)
	}
}

// Item 9: a code ctrl+f took from an authenticator shifted past the verifier's window
// is explained; a successful sign-in says the step and drift accepted.
func TestSkewIsExplained(t *testing.T) {
	store, v, _ := pairedFakes()
	v.Back, v.Ahead = 1, 1
	a := typeText(t, press(t, testApp(t, store, v, 120, 40), "tab", "s"), "alice@example.com")
	a = press(t, a, "enter", "e", "tab", "]", "]", "tab", "i", "ctrl+f", "enter")
	e, _ := a.verify.lastEntry()
	if e.ok || !strings.Contains(e.summary, "the authenticator's clock is shifted +2 periods (+60s), outside the verifier's window of 1 back and 1 ahead") ||
		!strings.Contains(e.summary, "0 in the authenticator resets its clock") {
		t.Fatalf("a shifted code's refusal: %q", e.summary)
	}
	// A typed code: the shift is no explanation.
	a = typeText(t, a, "000000")
	a = press(t, a, "enter")
	if e, _ := a.verify.lastEntry(); strings.Contains(e.summary, "shifted") {
		t.Fatalf("a typed code's refusal blames the shift: %q", e.summary)
	}
	// A remote backend does not say its window.
	v.NoWindow = true
	a = press(t, a, "ctrl+f", "enter")
	if e, _ := a.verify.lastEntry(); !strings.Contains(e.summary, "does not say its window") {
		t.Fatalf("refusal by a backend without a window: %q", e.summary)
	}
	// Success shows the step and the drift.
	v.SignInFn = func(context.Context, string, string) (Session, error) {
		return Session{Subject: "alice", AMR: []string{"totp"}, Step: 59034720, Drift: 1, RefreshJWT: "r"}, nil
	}
	a = press(t, a, "tab", "0", "tab", "ctrl+f", "enter")
	if e, _ := a.verify.lastEntry(); !e.ok || !strings.Contains(e.summary, "accepted step 59034720, 1 period ahead of the verifier's clock (drift +1)") {
		t.Fatalf("a sign-in's step and drift: %q", e.summary)
	}
}

// Item 10: a reused code says what the charged attempt left (the verifier's words).
func TestReuseSaysTheAttemptsLeft(t *testing.T) {
	words, code := describeFailure(&RequestError{Reason: ReasonCodeUsed, Code: "E061102",
		Message: "this seed's code for this time step was accepted already (4 attempts left)"})
	if code != "E061102" || !strings.Contains(words, "code already used: this seed's code for this time step was accepted already (4 attempts left)") {
		t.Fatalf("reuse described as %q", words)
	}
}

// Item 12: x asks before a seed is deleted; any key but y keeps it.
func TestDeleteSeedAsks(t *testing.T) {
	var deleted []string
	v := &fakeVerifier{DeleteSeedFn: func(_ context.Context, login string) error { deleted = append(deleted, login); return nil }}
	a := press(t, testApp(t, newFakeStore(), v, 120, 40), "tab", "x")
	a = typeText(t, a, "erin@example.com")
	a = press(t, a, "enter")
	if v := a.View(); len(deleted) != 0 || !strings.Contains(v, "Delete the TOTP seed of erin@example.com?") || !strings.Contains(v, "y deletes · any other key keeps it") {
		t.Fatalf("enter deleted at once (%v) or did not ask:\n%s", deleted, v)
	}
	a = press(t, a, "n")
	if e, _ := a.verify.lastEntry(); len(deleted) != 0 || !strings.Contains(e.summary, "kept") {
		t.Fatalf("n deleted %v", deleted)
	}
	a = press(t, a, "x")
	a = typeText(t, a, "erin@example.com")
	a = press(t, a, "enter", "y")
	if len(deleted) != 1 || deleted[0] != "erin@example.com" {
		t.Fatalf("y deleted %v", deleted)
	}
}

// Item 13: a keyring that is only locked is said to be locked, with what to do, and
// ctrl+r tries it again; a keyring problem that failed the vault shows the remedy; a
// keyring that was asked gets the screen drawn again.
func TestLockedKeyringIsToldApart(t *testing.T) {
	calls := 0
	store := newFakeStore()
	open := func(_ context.Context, pass string) (AccountStore, VaultInfo, error) {
		calls++
		if calls == 1 {
			return nil, VaultInfo{KeyringAsked: true}, &PassphraseError{New: true, KeyringLocked: true,
				Reason: "the keyring is locked, and no unlock prompt can be shown here (no display)", Remedy: "unlock the keyring first"}
		}
		return store, VaultInfo{Mode: "OS keyring", KeyringAsked: true}, nil
	}
	a := New(testCommon(), Options{Auth: AuthDeps{Open: open}, Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }}})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a = settle(t, a, openVaultCmd(open, ""), appUpdate)
	v := a.View()
	if strings.Contains(v, "No OS keyring here") || !strings.Contains(v, "the OS keyring is locked") || !strings.Contains(v, "unlock the keyring first") || !strings.Contains(v, "ctrl+r") {
		t.Fatalf("a locked keyring's prompt:\n%s", v)
	}
	var cmd tea.Cmd
	a, cmd = appUpdate(a, keyMsg("ctrl+r"))
	a = settle(t, a, cmd, appUpdate)
	if calls != 2 || !a.auth.Ready() || a.auth.Mode() != "OS keyring" {
		t.Fatalf("ctrl+r did not try the keyring again: %d calls, ready %v", calls, a.auth.Ready())
	}
	_, cmd = a.auth.Update(vaultOpenedMsg{store: store, info: VaultInfo{KeyringAsked: true}})
	if !cmdYields(cmd, tea.ClearScreen()) {
		t.Fatal("after asking the keyring the screen is not drawn again")
	}
	failed, _ := a.auth.Update(vaultOpenedMsg{err: &RemedyError{Err: errors.New("OS keyring unavailable: keyring read: the keyring is locked"), Remedy: "unlock it, then r"}})
	failed.SetSize(50, 20)
	if v := failed.View(); !strings.Contains(v, "What to do: unlock it, then r") {
		t.Fatalf("the failed vault does not say what to do:\n%s", v)
	}
}

// cmdYields reports whether cmd, or a command of its batch, returns want.
func cmdYields(cmd tea.Cmd, want tea.Msg) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			if cmdYields(c, want) {
				return true
			}
		}
	default:
		return fmt.Sprintf("%#v", msg) == fmt.Sprintf("%#v", want)
	}
	return false
}

// Sort and pins (Aegis): o cycles the order, p pins an account to the top in the store
// too, and the selection stays on its account.
func TestSortAndPins(t *testing.T) {
	store := newFakeStore(testKey("Zeta", "b"), testKey("Alpha", "c"), testKey("Mid", "a"))
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	order := func() string {
		var names []string
		for _, li := range a.auth.list.Items() {
			names = append(names, li.(*accountItem).acct.Key.Issuer)
		}
		return strings.Join(names, ",")
	}
	if got := order(); got != "Zeta,Alpha,Mid" {
		t.Fatalf("as added: %s", got)
	}
	a = press(t, a, "o")
	if got := order(); got != "Alpha,Mid,Zeta" || !strings.Contains(a.View(), "by issuer") {
		t.Fatalf("by issuer: %s", got)
	}
	a = press(t, a, "o")
	if got := order(); got != "Mid,Zeta,Alpha" {
		t.Fatalf("by name: %s", got)
	}
	a = press(t, a, "p") // Zeta, selected from the start
	if got := order(); got != "Zeta,Mid,Alpha" || !store.accounts[0].Pinned || a.auth.selected().acct.Key.Issuer != "Zeta" {
		t.Fatalf("after pinning Zeta: %s (stored %v)", got, store.accounts[0].Pinned)
	}
	if !strings.Contains(a.View(), "★ Zeta") {
		t.Fatalf("a pinned account has no star:\n%s", a.View())
	}
	// Recently used: a copy records the use; the order follows at the next sort.
	a = press(t, a, "down", "down", "c", "o") // Alpha used, then recently used order
	if got := order(); got != "Zeta,Alpha,Mid" {
		t.Fatalf("recently used: %s", got)
	}
}

// Per-issuer colours are stable: the same issuer always gets the same colour, and the
// palette tells issuers apart.
func TestIssuerColoursAreStable(t *testing.T) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	d := newAccountDelegate(DefaultStyles(r), 50)
	hues := map[int]bool{}
	for _, issuer := range []string{"GitHub", "Google", "AWS", "Microsoft", "Dropbox", "Slack", "GitLab"} {
		if issuerHue(issuer) != issuerHue(strings.ToUpper(issuer)) || issuerHue(issuer) != newAccountItem(Account{Key: testKey(issuer, "x")}).hue {
			t.Fatalf("%s's colour depends on its case or its account", issuer)
		}
		hues[issuerHue(issuer)] = true
	}
	if len(hues) < 4 {
		t.Fatalf("seven issuers share %d colours", len(hues))
	}
	if issuerHue("GitHub") != 0 && d.st.issuers[issuerHue("GitHub")].pre == d.st.issuers[0].pre {
		t.Fatal("the palette's colours render alike")
	}
}

// Auto-lock (Aegis): a passphrase vault left without a key for AutoLock forgets its
// accounts and asks for the passphrase; a key in between starts the count again.
func TestPassphraseVaultLocksWhenLeftAlone(t *testing.T) {
	store := newFakeStore(testKey("GitHub", "alice"))
	open := func(_ context.Context, pass string) (AccountStore, VaultInfo, error) {
		return store, VaultInfo{Mode: "passphrase mode", Passphrase: true}, nil
	}
	a := New(testCommon(), Options{Auth: AuthDeps{Open: open, AutoLock: 5 * time.Minute},
		Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }}})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow})
	a = settle(t, a, openVaultCmd(open, ""), appUpdate)
	tick := func(d time.Duration) {
		a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow.Add(d)})
	}
	tick(4 * time.Minute)
	a = press(t, a, "down") // activity at +4m
	tick(8*time.Minute + 30*time.Second)
	if !a.auth.Ready() || !strings.Contains(a.View(), "locks in 0:30") {
		t.Fatalf("locked early, or no countdown in the last minute:\n%s", a.View())
	}
	tick(9 * time.Minute)
	if a.auth.Ready() || a.auth.state != authLocked || len(a.auth.items) != 0 || !strings.Contains(a.View(), "Locked after 5m0s") {
		t.Fatalf("not locked after 5 minutes idle:\n%s", a.View())
	}
	a = typeText(t, a, "pass phrase")
	a = press(t, a, "enter")
	if !a.auth.Ready() || len(a.auth.items) != 1 {
		t.Fatal("the passphrase does not unlock it again")
	}
	// A keyring vault never locks.
	b := testApp(t, newFakeStore(testKey("GitHub", "alice")), &fakeVerifier{}, 120, 40)
	b, _ = appUpdate(b, tickMsg{id: b.auth.id, tag: b.auth.tag, t: fixedNow.Add(time.Hour)})
	if !b.auth.Ready() {
		t.Fatal("a keyring vault locked")
	}
}

// Mouse: a click on an account selects it, a click on its code copies it, and a click
// on the verifier pane gives it the keyboard.
func TestClicksSelectAndCopy(t *testing.T) {
	k2 := testKey("Second", "bob")
	k2.Secret = []byte("another secret, 20 b")
	a := testApp(t, newFakeStore(testKey("First", "alice"), k2), &fakeVerifier{}, 120, 40)
	x, y := cellOf(t, a.View(), "Second")
	a = click(t, a, x, y)
	if it := a.auth.selected(); it == nil || it.acct.Key.Issuer != "Second" || a.auth.note != "" {
		t.Fatalf("a click on Second selected %v (note %q)", it, a.auth.note)
	}
	code, _ := k2.Code(fixedNow)
	x, y = cellOf(t, a.View(), groupDigits(code))
	line := strings.Split(a.View(), "\n")[y]
	if !strings.Contains(line, "Second") {
		t.Fatalf("the code found is not Second's: %q", line)
	}
	a = click(t, a, x+1, y)
	if !strings.Contains(a.auth.note, "Second: bob: sent via OSC 52") {
		t.Fatalf("a click on the code did not copy it: note %q", a.auth.note)
	}
	x, y = cellOf(t, a.View(), "Verifier")
	a = click(t, a, x, y+3)
	if a.focus != focusVerify {
		t.Fatal("a click on the verifier pane did not focus it")
	}
}

func click(t *testing.T, a App, x, y int) App {
	t.Helper()
	m, cmd := a.Update(tea.MouseMsg{X: x, Y: y, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	return settle(t, m.(App), cmd, appUpdate)
}

// cellOf is the screen cell where text first shows.
func cellOf(t *testing.T, screen, text string) (x, y int) {
	t.Helper()
	for i, line := range strings.Split(screen, "\n") {
		if j := strings.Index(line, text); j >= 0 {
			return lipgloss.Width(line[:j]), i
		}
	}
	t.Fatalf("%q is not on the screen:\n%s", text, screen)
	return 0, 0
}

// The backend form sets the local backend's seed policy, and refuses a bad one.
func TestBackendFormSetsTheSeedPolicy(t *testing.T) {
	var got []BackendConfig
	var mu sync.Mutex
	a := New(testCommon(), Options{
		Auth: AuthDeps{Open: openAs(newFakeStore(), "OS keyring")},
		Verify: VerifyDeps{Open: func(_ context.Context, cfg BackendConfig) (Verifier, error) {
			mu.Lock()
			got = append(got, cfg)
			mu.Unlock()
			return &fakeVerifier{}, nil
		}},
	})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a = settle(t, a, a.Init(), appUpdate)
	a = press(t, a, "tab", "b", "tab", "tab", "tab")
	a = typeText(t, a, "MD5 8 60")
	a = press(t, a, "enter")
	if a.verify.form == nil || a.verify.form.err == nil || !strings.Contains(a.View(), "algorithm MD5") {
		t.Fatalf("a bad seed policy was accepted:\n%s", a.View())
	}
	a = press(t, a, "backspace")
	a = typeText(t, a, "sha256/8/60")
	a = press(t, a, "enter")
	last := got[len(got)-1]
	if last.Remote || last.Seeds != (SeedPolicy{Algorithm: "SHA256", Digits: 8, Period: 60}) || !strings.Contains(a.View(), "local SHA256/8/60s") {
		t.Fatalf("backend opened with %+v:\n%s", last, a.View())
	}
}
