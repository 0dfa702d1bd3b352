package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// TestSteamAccountShowsItsCode: a Steam Guard account rolls and shows its 5-character
// code like any TOTP account, and copying takes that code.
func TestSteamAccountShowsItsCode(t *testing.T) {
	k := provisioning.Key{Type: provisioning.Steam, Issuer: "Steam", Account: "gabe",
		Secret: []byte("12345678901234567890"), Algorithm: provisioning.SHA1, Digits: provisioning.SteamDigits, Period: 30}
	a := testApp(t, newFakeStore(k), &fakeVerifier{}, 120, 40)
	at := fixedNow.Add(45 * time.Second)
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: at})
	want, err := k.Code(at)
	if err != nil || len(want) != 5 || strings.Trim(want, provisioning.SteamAlphabet) != "" {
		t.Fatalf("Steam code %q, %v", want, err)
	}
	it := a.auth.items[0]
	if it.code != want || it.currentCode() != want || it.err != nil {
		t.Fatalf("row code %q (copy %q, err %v); want %q", it.code, it.currentCode(), it.err, want)
	}
	if view := a.View(); !strings.Contains(view, want) || !strings.Contains(view, "Steam") {
		t.Errorf("the pane does not show the Steam code %s:\n%s", want, view)
	}
}
