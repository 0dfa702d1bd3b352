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

// TestListPageMatchesView: the authenticator draws its list page itself (listPage) for
// speed; every line must read as list.View's, on the first page, a later one, filtered
// and at a size where the page dots do not fit.
func TestListPageMatchesView(t *testing.T) {
	keys := make([]provisioning.Key, 23)
	for i := range keys {
		keys[i] = testKey(fmt.Sprintf("Issuer %02d", i), "someone")
	}
	for _, sz := range [][2]int{{120, 40}, {80, 24}, {60, 30}, {44, 16}} {
		a := testApp(t, newFakeStore(keys...), &fakeVerifier{}, sz[0], sz[1])
		for _, step := range []string{"", "right", "right", "/", "enter"} {
			switch step {
			case "/":
				a = typeText(t, press(t, a, "/"), "Issuer 1")
				continue
			case "":
			default:
				a = press(t, a, step)
			}
			got, want := fit(a.auth.listPage(), sz[0], a.auth.list.Height()), fit(a.auth.list.View(), sz[0], a.auth.list.Height())
			if got != want {
				t.Fatalf("%dx%d after %q: listPage\n%s\nlist.View\n%s", sz[0], sz[1], step, got, want)
			}
		}
	}
}
