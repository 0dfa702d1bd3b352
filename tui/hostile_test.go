package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/internal/safetext/safetexttest"
	"github.com/otpair/otpair/provisioning"
)

// Text that a terminal acts on, as issue 11 found it in issuer names: OSC 52 writes the
// clipboard (on every redraw), OSC 0 renames the window, U+009B is a one-byte CSI, and
// hostileBidi and zero-width characters disguise a name.
const (
	hostileOSC52 = "\x1b]52;c;cHduZWQ=\x07"
	hostileOSC0  = "\x1b]0;pwned\x07"
	hostileCSI   = "\u009b2J"
	hostileBidi  = "adm\u202enimda\u2066"
	hostileZW    = "bo\u200bb\ufeff"
)

// hostileWorld is a store and a verifier that hand h back in every field that comes
// from outside: account names, import notes and errors, the vault's mode, a sign-up's
// URI and key, a session's login id and subject, me, users, and API error messages.
func hostileWorld(h string) (*fakeStore, *fakeVerifier) {
	hotp := testKey("", h)
	hotp.Type, hotp.Period = provisioning.HOTP, 0
	store := newFakeStore(testKey(h, h), hotp)
	calls := 0
	store.ImportFn = func(context.Context, string, string) (ImportResult, error) {
		calls++
		if calls%2 == 0 {
			return ImportResult{}, fmt.Errorf("read %s: not an image", h)
		}
		return ImportResult{Added: []Account{{ID: "x1", Key: testKey(h, "x")}}, Duplicates: []Account{{ID: "x2", Key: testKey("x", h)}},
			Err: fmt.Errorf("%s (QR 2): not an otpauth URI", h)}, nil
	}
	v := &fakeVerifier{
		SignUpFn: func(context.Context, string, string, string) (SignUpResult, error) {
			return SignUpResult{URI: "otpauth://totp/" + h + "?secret=" + h, Key: h}, nil
		},
		SignInFn: func(context.Context, string, string) (Session, error) {
			return Session{LoginID: h, Subject: h, AMR: []string{h}, Expires: fixedNow.Add(time.Hour), RefreshJWT: "r"}, nil
		},
		MeFn: func(context.Context, string) (string, error) { return "name " + h + "\nemail " + h, nil },
		UsersFn: func(context.Context) ([]UserState, error) {
			return []UserState{{LoginID: h, Enrolled: true}, {LoginID: "ok@example.com", Pending: true}}, nil
		},
		DeleteSeedFn: func(context.Context, string) error {
			return &RequestError{Reason: ReasonBadRequest, Code: h, Message: h}
		},
		RefreshFn: func(context.Context, string) (Session, error) { return Session{}, errors.New("refresh: " + h) },
		LogoutFn:  func(context.Context, string) error { return &RequestError{Reason: ReasonWrongCode, Message: h} },
	}
	return store, v
}

// tour visits every screen where outside text shows, calling check with each View:
// the account rows, rename and delete dialogs, the notes after copy, QR, HOTP and
// import, the sign-up result and its QR overlay, the session line, the timeline (me,
// API errors, a plain error), the users list, the status line, the app stacked and
// squeezed, the vault and backend failing, and the passphrase prompt.
func tour(t testing.TB, h string, check func(what, view string)) {
	store, v := hostileWorld(h)
	a := openApp(t, Options{
		Auth: AuthDeps{
			Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
				return store, VaultInfo{Mode: "OS keyring"}, nil
			},
			Clipboard: fakeClipboard(),
			QR:        fakeQR,
		},
		Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return v, nil }, QR: fakeQR},
	})
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow})
	check("account rows", a.View())
	a = press(t, a, "r")
	check("rename dialog", a.View())
	a = press(t, a, "esc", "d")
	check("delete question", a.View())
	a = press(t, a, "n")
	check("kept note", a.View())
	a = press(t, a, "c")
	check("copy note", a.View())
	a = press(t, a, "x")
	check("QR overlay", a.View())
	a = press(t, a, "esc", "down", "enter")
	check("HOTP note", a.View())
	a = press(t, a, "a")
	a = typeText(t, a, "shot.png")
	a = press(t, a, "enter")
	check("import note", a.View())
	a = press(t, a, "a")
	a = typeText(t, a, "shot.png")
	a = press(t, a, "enter")
	check("import error", a.View())
	a = press(t, a, "esc")

	a.focusOn(focusVerify)
	a = settle(t, a, a.verify.SignUp(h, h, h), appUpdate)
	check("sign-up result", a.View())
	a = press(t, a, "z")
	check("sign-up QR overlay", a.View())
	a = press(t, a, "esc", "esc", "l")
	check("users", a.View())
	a = settle(t, a, a.verify.SignIn(h, "123456"), appUpdate)
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow.Add(time.Second)})
	check("session", a.View())
	a = press(t, a, "m")
	check("me", a.View())
	a = settle(t, a, a.verify.DeleteSeed(h), appUpdate)
	check("API error", a.View())
	a = press(t, a, "r")
	check("plain error", a.View())
	a = press(t, a, "o")
	check("wrong-code message", a.View())
	a.auth.info.Mode = h // as the vault opener names it
	check("status line", a.View())
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 60, Height: 30})
	check("stacked", a.View())
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 12})
	check("squeezed timeline", a.View())
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 16, Height: 6})
	check("too small", a.View())

	// Failures: the vault and the backend do not open, with h in their errors and in
	// the backend's address; then a passphrase prompt whose reason holds h.
	failed := openApp(t, Options{
		Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
			return nil, VaultInfo{}, fmt.Errorf("open %s/vault.age: permission denied", h)
		}},
		Verify: VerifyDeps{Config: BackendConfig{Remote: true, BaseURL: "http://" + h}, Open: func(context.Context, BackendConfig) (Verifier, error) {
			return nil, fmt.Errorf("dial %s: refused", h)
		}},
	})
	check("vault and backend failed", failed.View())
	for _, isNew := range []bool{false, true} {
		locked := openApp(t, Options{
			Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
				return nil, VaultInfo{}, &PassphraseError{New: isNew, Reason: h}
			}},
			Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return v, nil }},
		})
		check(fmt.Sprintf("passphrase prompt (new %v)", isNew), locked.View())
	}
}

// openApp is New at 120x40 with the vault and the backend opened as Init opens them,
// but without the tick loop, which would hold settle up for its timeout on every call.
func openApp(t testing.TB, opts Options) App {
	a := New(testCommon(), opts)
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	return settle(t, a, tea.Batch(openVaultCmd(opts.Auth.Open, ""), openBackendCmd(opts.Verify.Open, opts.Verify.Config, a.verify.reqID)), appUpdate)
}

// TestHostileTextNeverReachesTheTerminal is issue 11's terminal injection, through the
// TUI: every screen that shows outside text shows the OSC 52 clipboard write, the OSC
// 0 title, a C1 CSI, hostileBidi and zero-width characters escaped (tests pin lipgloss to the
// Ascii profile, so any ESC in a View was injected).
func TestHostileTextNeverReachesTheTerminal(t *testing.T) {
	for _, c := range []struct{ name, h, shown string }{
		{"OSC 52", hostileOSC52 + "Bank", `\x1b]52;c;cHduZWQ=\aBank`},
		{"OSC 0", hostileOSC0, `\x1b]0;pwned\a`},
		{"C1 CSI", hostileCSI, `\u009b2J`},
		{"bidi", hostileBidi, `adm\u202enimda\u2066`},
		{"zero width", hostileZW, `bo\u200bb\ufeff`},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen := 0
			tour(t, c.h, func(what, view string) {
				if bad := safetexttest.Find(withoutQRInk(view)); bad != "" {
					t.Errorf("%s: the screen holds %s:\n%s", what, bad, view)
				}
				if strings.Contains(view, c.shown) {
					seen++
				}
			})
			// The text is shown, escaped, not dropped (a squeezed or failed screen may
			// cut it, so most screens, not all).
			if seen < 20 {
				t.Errorf("the escaped text %q shows on only %d screens", c.shown, seen)
			}
		})
	}
}

// FuzzViewShowsNoControls renders arbitrary text as every outside field of both panes
// and the app (names, notes, errors, server replies, the status line, dialogs), and
// fails if any character a terminal acts on reaches a View.
func FuzzViewShowsNoControls(f *testing.F) {
	for _, s := range []string{"GitHub", hostileOSC52, hostileOSC0, hostileCSI, hostileBidi, hostileZW, "a\r\nb\tc\x00", "\xff\xfe", "日本語🙂\u200d🙂", "\U000e0041", strings.Repeat("w", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tour(t, h, func(what, view string) {
			if bad := safetexttest.Find(withoutQRInk(view)); bad != "" {
				t.Fatalf("%s: text %q puts %s on the screen:\n%s", what, h, bad, view)
			}
		})
	})
}

// withoutQRInk removes the one escape sequence the TUI draws whatever the colour
// profile: the black-on-white ink of a QR code (Styles.QRInk). Any other ESC on an
// Ascii-profile screen was injected.
func withoutQRInk(view string) string {
	return strings.NewReplacer(qrInk.pre, "", qrInk.post, "").Replace(view)
}

// TestCompletionSkipsHostileFileNames: the import field's completion draws a file name
// as it is, so names a terminal would act on are not offered.
func TestCompletionSkipsHostileFileNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"qr.png", "qr\x1b]0;pwned\x07.png", "qr\u202egnp.exe"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Skipf("this file system refuses the name %q: %v", name, err)
		}
	}
	got := completePath(dir + "/qr")
	if len(got) != 1 || got[0] != dir+"/qr.png" {
		t.Fatalf("completions %q, want only qr.png", got)
	}
}
