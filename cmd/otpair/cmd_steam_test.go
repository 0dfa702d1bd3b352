package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/provisioning"
)

// TestSteamAccountCommands: a Steam Guard account imports from its URI, lists as
// steam, gives the Steam app's code with code --at (KeePassXC's published vectors, taken
// from the Steam app), and exports back to a URI that reads to the same key.
func TestSteamAccountCommands(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	uri := "otpauth://steam/Steam:gabe?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&issuer=Steam"
	mustRun(t, home, "", nil, "import", uri)
	accounts := listJSON(t, home, nil)
	if len(accounts) != 1 || accounts[0].Type != "steam" || accounts[0].Digits != 5 || accounts[0].Period != 30 {
		t.Fatalf("list --json = %+v; want one steam account, 5 characters, 30 s", accounts)
	}
	for at, want := range map[string]string{"1511200518": "FR8RV", "1511200714": "9P3VP"} {
		if got := strings.TrimSpace(mustRun(t, home, "", nil, "code", "gabe", "--at", at)); got != want {
			t.Errorf("code --at %s = %q; want %q", at, got, want)
		}
	}
	var c codeJSON
	if err := json.Unmarshal([]byte(mustRun(t, home, "", nil, "code", "gabe", "--at", "1511200518", "--json")), &c); err != nil {
		t.Fatal(err)
	}
	if c.Type != "steam" || c.Code != "FR8RV" || c.Period != 30 || len(c.NextCode) != 5 {
		t.Errorf("code --json = %+v", c)
	}
	exported := strings.TrimSpace(mustRun(t, home, "", nil, "export", "gabe"))
	got, err := provisioning.ParseURI(exported)
	want, _ := provisioning.ParseURI(uri)
	if err != nil || !got.Equal(want) || !strings.HasPrefix(exported, "otpauth://steam/") {
		t.Errorf("export gave a URI that reads as %v, %v; want %v", got, err, want)
	}
}
