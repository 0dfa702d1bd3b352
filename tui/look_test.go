package tui

import (
	"fmt"
	"os"
	"testing"

	"github.com/otpair/otpair/provisioning"
)

func TestLook(t *testing.T) {
	if os.Getenv("LOOK") == "" {
		t.Skip()
	}
	store := newFakeStore(testKey("GitHub", "alice@example.com"), testKey("", "bob"), testKey("A very long issuer name indeed", "someone.with.a.long.address@example.org"))
	h := testKey("Yubico", "hotp")
	h.Type = provisioning.HOTP
	store.add(h)
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {60, 30}} {
		a := testApp(t, store, &fakeVerifier{}, sz[0], sz[1])
		fmt.Println(a.View())
		fmt.Println("-----")
	}
}
