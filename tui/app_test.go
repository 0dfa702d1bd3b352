package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/otpair/otpair/provisioning"
)

// keyMsg turns a key name into the message Bubble Tea would deliver.
func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "ctrl+f":
		return tea.KeyMsg{Type: tea.KeyCtrlF}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune(" ")}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "ctrl+r":
		return tea.KeyMsg{Type: tea.KeyCtrlR}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press sends keys one by one, settling the commands each one starts.
func press(t testing.TB, a App, keys ...string) App {
	t.Helper()
	for _, k := range keys {
		var cmd tea.Cmd
		a, cmd = appUpdate(a, keyMsg(k))
		a = settle(t, a, cmd, appUpdate)
	}
	return a
}

// typeText types s into whatever has focus.
func typeText(t testing.TB, a App, s string) App {
	t.Helper()
	for _, r := range s {
		var cmd tea.Cmd
		a, cmd = appUpdate(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		a = settle(t, a, cmd, appUpdate)
	}
	return a
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestTickComputesCodesFromTheTickTime(t *testing.T) {
	k := testKey("GitHub", "alice")
	a := testApp(t, newFakeStore(k), &fakeVerifier{}, 120, 40)
	for _, at := range []time.Time{fixedNow, fixedNow.Add(10 * time.Second), fixedNow.Add(40 * time.Second), fixedNow.Add(95 * time.Second)} {
		var cmd tea.Cmd
		a, cmd = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: at})
		if cmd == nil {
			t.Fatal("a tick must re-arm the loop")
		}
		want, _ := k.Code(at)
		it := a.auth.items[0]
		if it.code != want {
			t.Errorf("at %v code = %s, want %s", at, it.code, want)
		}
		if wantRem := int(k.Remaining(at).Seconds()); it.remaining != wantRem {
			t.Errorf("at %v remaining = %d, want %d", at, it.remaining, wantRem)
		}
	}
}

func TestStaleTickIsDropped(t *testing.T) {
	k := testKey("GitHub", "alice")
	a := testApp(t, newFakeStore(k), &fakeVerifier{}, 120, 40)
	before := a.auth.items[0].code
	later := fixedNow.Add(time.Hour)
	a, cmd := appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag + 1, t: later})
	if cmd != nil || a.auth.items[0].code != before {
		t.Fatal("a tick from another loop changed the codes or re-armed a second loop")
	}
	a, cmd = appUpdate(a, tickMsg{id: a.auth.id + 100, tag: a.auth.tag, t: later})
	if cmd != nil || a.auth.items[0].code != before {
		t.Fatal("a tick for another pane was taken")
	}
}

func TestHMACRunsOnlyWhenTheStepChanges(t *testing.T) {
	it := &accountItem{acct: Account{Key: testKey("x", "y")}}
	it.update(fixedNow, true)
	it.code = "sentinel" // survives while the step is the same
	it.update(fixedNow.Add(5*time.Second), true)
	if it.code != "sentinel" {
		t.Fatal("the code was recomputed within the same step")
	}
	it.update(fixedNow.Add(30*time.Second), true)
	if want, _ := it.acct.Key.Code(fixedNow.Add(30 * time.Second)); it.code != want {
		t.Fatalf("code %q for the new step, want %q", it.code, want)
	}
}

func TestNextCodesAreSpreadOverTicks(t *testing.T) {
	keys := make([]provisioning.Key, 3*nextPerTick)
	for i := range keys {
		keys[i] = testKey(fmt.Sprintf("I%d", i), "a")
	}
	// fixedNow is 20 s into its step: 10 s left, when next codes are shown, so all are
	// needed at once; 15 s earlier only nextPerTick of them may be worked out per tick.
	start := fixedNow.Add(-15 * time.Second)
	c := testCommon()
	c.Now = func() time.Time { return start }
	a := New(c, Options{
		Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
			return newFakeStore(keys...), VaultInfo{Mode: "test"}, nil
		}},
		Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }},
	})
	a = settle(t, a, a.Init(), appUpdate)
	count := func() (n int) {
		for _, it := range a.auth.items {
			if it.next != "" {
				n++
			}
		}
		return n
	}
	for tick := 1; tick <= 3; tick++ {
		a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: start.Add(time.Duration(tick) * time.Second)})
		if got := count(); got > (tick+1)*nextPerTick {
			t.Fatalf("after %d ticks %d next codes, want at most %d", tick, got, (tick+1)*nextPerTick)
		}
	}
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow})
	if got := count(); got != len(keys) {
		t.Fatalf("%d of %d next codes with 10 s left", got, len(keys))
	}
	for _, it := range a.auth.items {
		if want, _ := it.acct.Key.Code(fixedNow.Add(30 * time.Second)); it.next != want {
			t.Fatalf("next code %q, want %q", it.next, want)
		}
	}
	// The boundary takes the next codes as they are.
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow.Add(10 * time.Second)})
	for _, it := range a.auth.items {
		if want, _ := it.acct.Key.Code(fixedNow.Add(10 * time.Second)); it.code != want {
			t.Fatalf("code %q after the boundary, want %q", it.code, want)
		}
	}
}

func TestTimeShiftMovesTheDisplayedClock(t *testing.T) {
	k := testKey("GitHub", "alice")
	a := testApp(t, newFakeStore(k), &fakeVerifier{}, 120, 40)
	a = press(t, a, "]", "]")
	want, _ := k.Code(fixedNow.Add(60 * time.Second))
	if got := a.auth.items[0].code; got != want {
		t.Fatalf("after ] ] code = %s, want the code 60 s ahead %s", got, want)
	}
	if !strings.Contains(a.View(), "clock +60s") {
		t.Fatal("no banner while the clock is shifted")
	}
	a = press(t, a, "[", "[", "[", "0")
	want, _ = k.Code(fixedNow)
	if got := a.auth.items[0].code; got != want || strings.Contains(a.View(), "clock +") || strings.Contains(a.View(), "clock -") {
		t.Fatalf("after 0 code = %s, want %s and no banner", got, want)
	}
}

func TestCopySaysWhichClipboardWorked(t *testing.T) {
	k := testKey("GitHub", "alice")
	var copied []string
	var mu sync.Mutex
	store := newFakeStore(k)
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	report := CopyReport{Native: "xclip", OSC52: true}
	a.auth.deps.Clipboard = ClipboardFuncs{CopyFn: func(_ context.Context, s string) (CopyReport, error) {
		mu.Lock()
		defer mu.Unlock()
		copied = append(copied, s)
		return report, nil
	}}
	a = press(t, a, "c")
	want, _ := k.Code(fixedNow)
	if len(copied) != 1 || copied[0] != want {
		t.Fatalf("copied %q, want [%s]", copied, want)
	}
	if !strings.Contains(a.auth.note, "copied via xclip (and sent via OSC 52)") {
		t.Fatalf("note = %q, want it to say how the code was copied", a.auth.note)
	}
	// OSC 52 alone is write-only: the note must not claim the code arrived.
	report = CopyReport{OSC52: true}
	a = press(t, a, "c")
	if strings.Contains(a.auth.note, "copied") || !strings.Contains(a.auth.note, "sent via OSC 52; your terminal may ignore it") {
		t.Fatalf("note = %q after an OSC 52 copy, want it to say the terminal may ignore it", a.auth.note)
	}
	a.auth.deps.Clipboard = ClipboardFuncs{CopyFn: func(context.Context, string) (CopyReport, error) {
		return CopyReport{}, errors.New("nothing reached the clipboard: no clipboard tool")
	}}
	a = press(t, a, "enter")
	if a.auth.noteErr == nil || !strings.Contains(a.View(), "no clipboard tool") {
		t.Fatal("a failed copy is not shown")
	}
}

func TestQuitKeys(t *testing.T) {
	a := testApp(t, newFakeStore(testKey("GitHub", "alice")), &fakeVerifier{}, 120, 40)
	if _, cmd := appUpdate(a, keyMsg("q")); !isQuit(cmd) {
		t.Fatal("q does not quit from the list")
	}
	a = press(t, a, "a") // the add field has focus now
	a2, cmd := appUpdate(a, keyMsg("q"))
	if isQuit(cmd) {
		t.Fatal("q quit while typing a URI")
	}
	if got := a2.auth.input.Value(); got != "q" {
		t.Fatalf("typed q went nowhere: input = %q", got)
	}
	if _, cmd := appUpdate(a2, keyMsg("ctrl+c")); !isQuit(cmd) {
		t.Fatal("ctrl+c does not quit while typing")
	}
}

func TestTabSwitchesFocusExceptInForms(t *testing.T) {
	a := testApp(t, newFakeStore(), &fakeVerifier{}, 120, 40)
	a = press(t, a, "tab")
	if a.focus != focusVerify || !a.verify.Focused() || a.auth.Focused() {
		t.Fatal("tab did not move focus to the verifier")
	}
	a = press(t, a, "s")
	a = press(t, a, "tab")
	if a.focus != focusVerify || a.verify.form.focus != 1 {
		t.Fatalf("tab in a form should move to the next field, focus=%v field=%d", a.focus, a.verify.form.focus)
	}
}

func TestFilterAsYouType(t *testing.T) {
	a := testApp(t, newFakeStore(testKey("GitHub", "alice"), testKey("GitLab", "bob"), testKey("AWS", "root")), &fakeVerifier{}, 120, 40)
	a = press(t, a, "/")
	a = typeText(t, a, "aws")
	if n := len(a.auth.list.VisibleItems()); n != 1 {
		t.Fatalf("filter 'aws' shows %d accounts, want 1", n)
	}
	if _, cmd := appUpdate(a, keyMsg("q")); isQuit(cmd) {
		t.Fatal("q quit while filtering")
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	store := newFakeStore(testKey("GitHub", "alice"), testKey("GitLab", "bob"))
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	a = press(t, a, "d", "n")
	if len(store.accounts) != 2 || !strings.Contains(a.auth.note, "kept") {
		t.Fatal("d then n deleted something or said nothing")
	}
	a = press(t, a, "d", "y")
	if len(store.accounts) != 1 || len(a.auth.items) != 1 || store.accounts[0].Key.Issuer != "GitLab" {
		t.Fatalf("d then y: store %v, list %d", store.accounts, len(a.auth.items))
	}
}

func TestRename(t *testing.T) {
	store := newFakeStore(testKey("GitHub", "alice"))
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	a = press(t, a, "r")
	a.auth.issuer.SetValue("Work GitHub")
	a = press(t, a, "enter")
	if store.accounts[0].Key.Issuer != "Work GitHub" || a.auth.items[0].acct.Key.Issuer != "Work GitHub" || a.auth.state != authReady {
		t.Fatal("rename did not reach the store and the list")
	}
}

func TestHOTPCodeOnRequest(t *testing.T) {
	k := testKey("Yubi", "h")
	k.Type, k.Counter = provisioning.HOTP, 1
	store := newFakeStore(k)
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	if a.auth.items[0].currentCode() != "" {
		t.Fatal("an HOTP code was shown before it was asked for")
	}
	// enter copies, and there is nothing to copy yet: it must not spend a counter.
	a = press(t, a, "enter")
	if store.accounts[0].Key.Counter != 1 || a.auth.noteErr == nil || !strings.Contains(a.View(), "n shows the next HOTP code") {
		t.Fatalf("enter on an HOTP row without a code: counter %d, note %v", store.accounts[0].Key.Counter, a.auth.noteErr)
	}
	if !strings.Contains(a.helpView(), "n next HOTP code") {
		t.Fatalf("the footer does not offer n on an HOTP row:\n%s", a.helpView())
	}
	a = press(t, a, "n")
	want, _ := k.CounterCode(1)
	if got := a.auth.items[0].currentCode(); got != want {
		t.Fatalf("HOTP code = %q, want %s", got, want)
	}
	if store.accounts[0].Key.Counter != 2 {
		t.Fatal("the stored counter did not advance")
	}
	// enter now copies that code and leaves the counter alone.
	a = press(t, a, "enter")
	if store.accounts[0].Key.Counter != 2 || !strings.Contains(a.auth.note, "sent via OSC 52") {
		t.Fatalf("enter after n: counter %d, note %q", store.accounts[0].Key.Counter, a.auth.note)
	}
}

func TestImportErrorsStayInThePane(t *testing.T) {
	a := testApp(t, newFakeStore(), &fakeVerifier{}, 120, 40)
	a = press(t, a, "a")
	a = typeText(t, a, "otpauth://totp/nope")
	a = press(t, a, "enter")
	if a.auth.noteErr == nil || !strings.Contains(a.View(), "not a provisioning uri") {
		t.Fatal("an import error is not shown")
	}
	if a.auth.state != authAdding || a.auth.input.Value() != "otpauth://totp/nope" {
		t.Fatal("a failed import lost what was typed")
	}
}

func TestPassphraseIsAskedInTheTUI(t *testing.T) {
	store := newFakeStore(testKey("GitHub", "alice"))
	var got []string
	var mu sync.Mutex
	open := func(_ context.Context, pass string) (AccountStore, VaultInfo, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, pass)
		switch pass {
		case "":
			return nil, VaultInfo{}, ErrPassphraseNeeded
		case "right":
			return store, VaultInfo{Mode: "passphrase"}, nil
		}
		return nil, VaultInfo{}, errors.New("wrong passphrase")
	}
	a := New(testCommon(), Options{Auth: AuthDeps{Open: open}, Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }}})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a = settle(t, a, a.Init(), appUpdate)
	if a.auth.state != authLocked || !a.typing() {
		t.Fatalf("state = %v, want locked and typing", a.auth.state)
	}
	a = typeText(t, a, "wrong")
	if strings.Contains(a.View(), "wrong") {
		t.Fatal("the passphrase was echoed")
	}
	a = press(t, a, "enter")
	if a.auth.state != authLocked || !strings.Contains(a.View(), "wrong passphrase") {
		t.Fatal("a wrong passphrase is not explained with a new prompt")
	}
	a = typeText(t, a, "right")
	a = press(t, a, "enter")
	if a.auth.state != authReady || a.auth.Mode() != "passphrase" || len(a.auth.items) != 1 {
		t.Fatalf("state=%v mode=%q items=%d after the right passphrase", a.auth.state, a.auth.Mode(), len(a.auth.items))
	}
	if strings.Join(got, ",") != ",wrong,right" {
		t.Fatalf("opener saw %q", got)
	}
}

func TestVaultErrorIsShownNotFatal(t *testing.T) {
	open := func(context.Context, string) (AccountStore, VaultInfo, error) {
		return nil, VaultInfo{}, errors.New("keyring: dbus timed out")
	}
	a := New(testCommon(), Options{Auth: AuthDeps{Open: open}, Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return nil, errors.New("no db") }}})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a = settle(t, a, a.Init(), appUpdate)
	v := a.View()
	for _, want := range []string{"The vault did not open", "keyring: dbus timed out", "no db"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
}

func TestResizeStacksWhenNarrow(t *testing.T) {
	a := testApp(t, newFakeStore(testKey("GitHub", "alice")), &fakeVerifier{}, 120, 40)
	if a.stacked {
		t.Fatal("stacked at 120 columns")
	}
	for _, sz := range [][2]int{{60, 30}, {20, 8}, {200, 60}, {1, 1}} {
		a, _ = appUpdate(a, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		v := a.View()
		lines := strings.Split(v, "\n")
		if len(lines) != sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		if sz[0] == 60 && !a.stacked {
			t.Error("not stacked at 60 columns")
		}
	}
}

func TestNewVaultPassphraseIsTypedTwice(t *testing.T) {
	store := newFakeStore()
	var got []string
	var mu sync.Mutex
	open := func(_ context.Context, pass string) (AccountStore, VaultInfo, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, pass)
		if pass == "" {
			return nil, VaultInfo{}, &PassphraseError{New: true, Reason: "OS keyring unavailable: no D-Bus session"}
		}
		return store, VaultInfo{Mode: "passphrase mode"}, nil
	}
	a := New(testCommon(), Options{Auth: AuthDeps{Open: open}, Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }}})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a = settle(t, a, a.Init(), appUpdate)
	view := a.View()
	for _, want := range []string{"New vault: choose a passphrase", "passphrase mode", "Why: OS keyring unavailable"} {
		if !strings.Contains(view, want) {
			t.Fatalf("the new-vault prompt lacks %q:\n%s", want, view)
		}
	}
	a = press(t, typeText(t, a, "one"), "enter")
	a = press(t, typeText(t, a, "two"), "enter")
	if a.auth.state != authLocked || !strings.Contains(a.View(), "the two passphrases differ") {
		t.Fatalf("two different passphrases were not refused: state %v", a.auth.state)
	}
	a = press(t, typeText(t, a, "same"), "enter")
	if a.auth.state != authLocked || !strings.Contains(a.View(), "the same passphrase again") {
		t.Fatal("the passphrase was not asked a second time")
	}
	a = press(t, typeText(t, a, "same"), "enter")
	if a.auth.state != authReady || a.auth.Mode() != "passphrase mode" {
		t.Fatalf("state=%v mode=%q after the passphrase was confirmed", a.auth.state, a.auth.Mode())
	}
	if strings.Join(got, ",") != ",same" {
		t.Fatalf("opener saw %q; want the empty first try then only the confirmed passphrase", got)
	}
}

func TestGlobalKeysComeBackWhenTypingEndsByAMessage(t *testing.T) {
	store := newFakeStore()
	open := func(_ context.Context, pass string) (AccountStore, VaultInfo, error) {
		if pass == "" {
			return nil, VaultInfo{}, ErrPassphraseNeeded
		}
		return store, VaultInfo{Mode: "passphrase mode"}, nil
	}
	a := New(testCommon(), Options{Auth: AuthDeps{Open: open}, Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }}})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a = settle(t, a, a.Init(), appUpdate)
	a = typeText(t, a, "pw")
	// enter ends the typing, but only the vaultOpenedMsg it leads to makes the pane ready.
	a = press(t, a, "enter")
	if a.auth.state != authReady {
		t.Fatalf("state %v", a.auth.state)
	}
	if help := a.helpView(); !strings.Contains(help, "q quit") || !strings.Contains(help, "tab pane") {
		t.Fatalf("the help lacks the global keys once the vault is open: %q", help)
	}
	if _, cmd := appUpdate(a, keyMsg("q")); !isQuit(cmd) {
		t.Fatal("q does not quit once the vault is open")
	}
}

func TestHelpFitsTheWidthKeepingTheGlobalKeys(t *testing.T) {
	for _, w := range []int{60, 80, 120} {
		a := testApp(t, goldenAccounts(), &fakeVerifier{}, w, 30)
		a = press(t, a, "tab")
		help := a.helpView()
		if got := lipgloss.Width(help); got > w {
			t.Errorf("%d columns: help is %d wide: %q", w, got, help)
		}
		if !strings.HasSuffix(help, "q quit") {
			t.Errorf("%d columns: help does not end with q quit: %q", w, help)
		}
	}
}

func TestImportSaysWhatWasAddedAndWhatFailed(t *testing.T) {
	store := newFakeStore()
	gh := Account{ID: "x1", Key: testKey("GitHub", "alice")}
	results := []ImportResult{
		{Duplicates: []Account{gh}},
		{Added: []Account{gh}, Err: errors.New("shot.png (QR 2): not an otpauth URI")},
	}
	n := 0
	store.ImportFn = func(context.Context, string, string) (ImportResult, error) {
		r := results[n]
		n++
		return r, nil
	}
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	a = press(t, a, "a")
	a = typeText(t, a, "shot.png")
	a = press(t, a, "enter")
	if !strings.Contains(a.View(), "already here: GitHub: alice") {
		t.Fatalf("a duplicate is not reported:\n%s", a.View())
	}
	a = press(t, a, "a")
	a = typeText(t, a, "shot.png")
	a = press(t, a, "enter")
	if view := a.View(); !strings.Contains(view, "added GitHub: alice, but shot.png (QR 2)") {
		t.Fatalf("a partial import does not say both:\n%s", view)
	}
}

// TestInlineMatchesRender: the account rows' pre-computed escape codes give exactly
// what lipgloss's Render gives, in colour on dark and light backgrounds and without.
func TestInlineMatchesRender(t *testing.T) {
	texts := []string{"GitHub", "123 456", "› 7032 0025", "alice@example.com", " 9s", "▌ ", "enter: code", ""}
	for _, profile := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
		for _, dark := range []bool{true, false} {
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(profile)
			r.SetHasDarkBackground(dark)
			s := DefaultStyles(r)
			for name, st := range map[string]lipgloss.Style{"Selected": s.Selected, "Failure": s.Failure, "Muted": s.Muted,
				"Code": s.Code, "CodeExpiring": s.CodeExpiring, "CodeNext": s.CodeNext, "Countdown": s.Countdown,
				"CountdownLow": s.CountdownLow, "Issuer": s.Issuer, "Account": s.Account} {
				in := newInline(st)
				if profile != termenv.Ascii && in.pre == "" {
					t.Errorf("%s in profile %v: no escape codes captured", name, profile)
				}
				for _, text := range texts {
					if got, want := in.render(text), st.Render(text); got != want {
						t.Errorf("%s %q (profile %v, dark %v): inline %q, Render %q", name, text, profile, dark, got, want)
					}
				}
			}
		}
	}
}

// TestEscCancelsAnImport: esc while an import runs cancels its context, so an image
// decode stops at its next check (a hostile image once ran on for minutes), and the
// pane says nothing was added. Before, esc only closed the field and the import ran on
// until its timeout (two minutes).
func TestEscCancelsAnImport(t *testing.T) {
	store := newFakeStore()
	started, stopped := make(chan struct{}), make(chan error, 1)
	store.ImportFn = func(ctx context.Context, _, _ string) (ImportResult, error) {
		close(started)
		<-ctx.Done()
		stopped <- ctx.Err()
		return ImportResult{}, fmt.Errorf("import stopped: %w", ctx.Err())
	}
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	a = press(t, a, "a")
	a = typeText(t, a, "slow.png")
	a, cmd := appUpdate(a, keyMsg("enter"))
	done := make(chan tea.Msg, 1)
	batch, _ := cmd().(tea.BatchMsg)
	for _, c := range batch {
		go func() {
			if msg, ok := c().(storeDoneMsg); ok {
				done <- msg
			}
		}()
	}
	<-started
	a, _ = appUpdate(a, keyMsg("esc"))
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("the import's context ended with %v, want context.Canceled", err)
	}
	a, _ = appUpdate(a, <-done)
	if a.auth.busy || !strings.Contains(a.View(), "import cancelled: nothing was added") {
		t.Errorf("after esc: busy %v, view:\n%s", a.auth.busy, a.View())
	}
}
