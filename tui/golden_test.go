package tui

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/otpair/otpair/provisioning"
)

// goldenSizes are the terminal sizes every state is drawn at: the classic terminal,
// a roomy one, and a narrow one where the panes stack.
var goldenSizes = [][2]int{{80, 24}, {120, 40}, {60, 30}}

func goldenAccounts() *fakeStore {
	h := testKey("Yubico", "hotp-token")
	h.Type = provisioning.HOTP
	long := testKey("A very long issuer name that will not fit", "someone.with.a.long.address@example.org")
	eight := testKey("AWS", "root")
	eight.Digits = 8
	return newFakeStore(testKey("GitHub", "alice@example.com"), testKey("", "bob"), long, eight, h)
}

// goldenStates builds the app in each state worth drawing.
var goldenStates = map[string]func(t *testing.T, w, h int) App{
	"loading": func(t *testing.T, w, h int) App {
		a := New(testCommon(), Options{
			Auth:   AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) { select {} }},
			Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { select {} }},
		})
		a, _ = appUpdate(a, tea.WindowSizeMsg{Width: w, Height: h})
		return a
	},
	"accounts": func(t *testing.T, w, h int) App { return testApp(t, goldenAccounts(), &fakeVerifier{}, w, h) },
	"expiring": func(t *testing.T, w, h int) App {
		a := testApp(t, goldenAccounts(), &fakeVerifier{}, w, h)
		a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow.Add(7 * time.Second)})
		return a
	},
	"early-in-period": func(t *testing.T, w, h int) App {
		a := testApp(t, goldenAccounts(), &fakeVerifier{}, w, h)
		a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow.Add(-18 * time.Second)})
		return a
	},
	"shifted": func(t *testing.T, w, h int) App {
		return press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "]")
	},
	"empty": func(t *testing.T, w, h int) App { return testApp(t, newFakeStore(), &fakeVerifier{}, w, h) },
	"filtering": func(t *testing.T, w, h int) App {
		a := press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "/")
		return typeText(t, a, "git")
	},
	"adding": func(t *testing.T, w, h int) App {
		return typeText(t, press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "a"), "otpauth://totp/x")
	},
	"renaming": func(t *testing.T, w, h int) App {
		return press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "r")
	},
	"confirm-delete": func(t *testing.T, w, h int) App {
		return press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "d")
	},
	"copied": func(t *testing.T, w, h int) App {
		return press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "c")
	},
	"hotp-code": func(t *testing.T, w, h int) App {
		a := testApp(t, goldenAccounts(), &fakeVerifier{}, w, h)
		return press(t, a, "G", "n")
	},
	"qr-overlay": func(t *testing.T, w, h int) App {
		return press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "x")
	},
	"locked": func(t *testing.T, w, h int) App {
		a := New(testCommon(), Options{
			Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
				return nil, VaultInfo{}, ErrPassphraseNeeded
			}},
			Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }},
		})
		a, _ = appUpdate(a, tea.WindowSizeMsg{Width: w, Height: h})
		a = settle(t, a, a.Init(), appUpdate)
		return typeText(t, a, "secret")
	},
	"new-passphrase": func(t *testing.T, w, h int) App {
		a := New(testCommon(), Options{
			Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
				return nil, VaultInfo{}, &PassphraseError{New: true, Reason: "OS keyring unavailable: no D-Bus session"}
			}},
			Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }},
		})
		a, _ = appUpdate(a, tea.WindowSizeMsg{Width: w, Height: h})
		a = settle(t, a, a.Init(), appUpdate)
		a = typeText(t, a, "secret")
		return press(t, a, "enter") // asks for it again
	},
	"vault-failed": func(t *testing.T, w, h int) App {
		a := New(testCommon(), Options{
			Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
				return nil, VaultInfo{}, errors.New("open vault: keyring: the Secret Service did not answer within 5s")
			}},
			Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) {
				return nil, errors.New("open database: permission denied")
			}},
		})
		a, _ = appUpdate(a, tea.WindowSizeMsg{Width: w, Height: h})
		return settle(t, a, a.Init(), appUpdate)
	},
	"signup-form": func(t *testing.T, w, h int) App {
		_, v, _ := pairedFakes()
		return typeText(t, press(t, testApp(t, goldenAccounts(), v, w, h), "tab", "s"), "alice@example.com")
	},
	"signup-result": func(t *testing.T, w, h int) App {
		store, v, _ := pairedFakes()
		a := typeText(t, press(t, testApp(t, store, v, w, h), "tab", "s"), "alice@example.com")
		return press(t, a, "enter")
	},
	"signin-filled": func(t *testing.T, w, h int) App {
		store, v, _ := pairedFakes()
		a := typeText(t, press(t, testApp(t, store, v, w, h), "tab", "s"), "alice@example.com")
		return press(t, a, "enter", "e", "i", "ctrl+f")
	},
	"signed-in": func(t *testing.T, w, h int) App {
		store, v, _ := pairedFakes()
		a := typeText(t, press(t, testApp(t, store, v, w, h), "tab", "s"), "alice@example.com")
		a = press(t, a, "enter", "e", "i", "ctrl+f", "enter")
		a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow.Add(75 * time.Second)})
		return a
	},
	"failures": func(t *testing.T, w, h int) App {
		errs := []error{
			&RequestError{Reason: ReasonCodeUsed, Code: "E061102"},
			&RequestError{Reason: ReasonWrongCode, Code: "E061102"},
			&RequestError{Reason: ReasonLocked, Code: "E061103", LockedUntil: fixedNow.Add(5 * time.Minute)},
			&RequestError{Reason: ReasonUnknownUser, Code: "E062108", Message: "no user with this login id"},
		}
		n := 0
		v := &fakeVerifier{SignInFn: func(context.Context, string, string) (Session, error) {
			err := errs[n%len(errs)]
			n++
			return Session{}, err
		}}
		a := press(t, testApp(t, goldenAccounts(), v, w, h), "tab", "i")
		a = typeText(t, a, "alice@example.com")
		a = press(t, a, "tab")
		for range errs {
			// A refused code is cleared from the form: type it again each time.
			a = typeText(t, a, "123456")
			a = press(t, a, "enter")
		}
		return press(t, a, "esc")
	},
	"users": func(t *testing.T, w, h int) App {
		v := &fakeVerifier{UsersFn: func(context.Context) ([]UserState, error) {
			return []UserState{
				{LoginID: "alice@example.com", Enrolled: true},
				{LoginID: "bob@example.com", Pending: true},
				{LoginID: "carol@example.com", Enrolled: true, LockedUntil: fixedNow.Add(4 * time.Minute)},
				{LoginID: "dave@example.com"},
			}, nil
		}}
		return press(t, testApp(t, goldenAccounts(), v, w, h), "tab", "l")
	},
	"backend-form": func(t *testing.T, w, h int) App {
		a := press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "tab", "b")
		a = typeText(t, a, "https://verifier.example.com")
		a = press(t, a, "tab", "tab")
		return typeText(t, a, "management-key-never-shown")
	},
	"keyring-locked": func(t *testing.T, w, h int) App {
		a := New(testCommon(), Options{
			Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
				return nil, VaultInfo{}, &PassphraseError{New: true, KeyringLocked: true,
					Reason: "the keyring is locked, and no unlock prompt can be shown here (no display)",
					Remedy: "unlock the keyring first (log in to the desktop, or run gnome-keyring-daemon --replace --unlock and type its password), then try again"}
			}},
			Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }},
		})
		a, _ = appUpdate(a, tea.WindowSizeMsg{Width: w, Height: h})
		return settle(t, a, a.Init(), appUpdate)
	},
	"last-error": func(t *testing.T, w, h int) App {
		store := goldenAccounts()
		store.ImportFn = func(context.Context, string, string) (ImportResult, error) {
			return ImportResult{}, errors.New("read /home/someone/Downloads/exports/2026/november/nonexist.png: open: no such file or directory")
		}
		a := typeText(t, press(t, testApp(t, store, &fakeVerifier{}, w, h), "a"), "~/Downloads/exports/2026/november/nonexist.png")
		a = press(t, a, "enter", "esc")
		if w == 120 {
			return press(t, a, "!")
		}
		return a
	},
	"too-small": func(t *testing.T, w, h int) App {
		a := testApp(t, goldenAccounts(), &fakeVerifier{}, w, h)
		a, _ = appUpdate(a, tea.WindowSizeMsg{Width: w / 2, Height: h / 2})
		return a
	},
	"confirm-delete-seed": func(t *testing.T, w, h int) App {
		a := press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "tab", "x")
		a = typeText(t, a, "alice@example.com")
		return press(t, a, "enter")
	},
	"sorted-pinned": func(t *testing.T, w, h int) App {
		return press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "down", "down", "p", "o")
	},
	"full-help": func(t *testing.T, w, h int) App {
		return press(t, testApp(t, goldenAccounts(), &fakeVerifier{}, w, h), "?")
	},
	"demo-caption": func(t *testing.T, w, h int) App {
		store, v, _ := pairedFakes()
		a := New(testCommon(), Options{
			Auth: AuthDeps{Open: func(context.Context, string) (AccountStore, VaultInfo, error) {
				return store, VaultInfo{Mode: "throwaway vault"}, nil
			}, QR: fakeQR},
			Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return v, nil }, QR: fakeQR},
			Demo:   &DemoOptions{},
		})
		a, _ = appUpdate(a, tea.WindowSizeMsg{Width: w, Height: h})
		a = settle(t, a, a.Init(), appUpdate)
		a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow})
		return press(t, a, "space", "space")
	},
}

func TestViewGolden(t *testing.T) {
	for name, build := range goldenStates {
		for _, sz := range goldenSizes {
			t.Run(fmt.Sprintf("%s-%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				t.Parallel() // each state waits out its timers; run them side by side
				a := build(t, sz[0], sz[1])
				golden.RequireEqual(t, []byte(a.View()))
			})
		}
	}
}
