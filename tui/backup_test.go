package tui

import (
	"context"
	"strings"
	"testing"
)

// TestBackupPasswordIsAskedInTheTUI: importing an encrypted backup from the add dialog
// asks for its password without echo, asks again after a wrong one, and shows the
// file's one-line summary once it opens; esc leaves without importing.
func TestBackupPasswordIsAskedInTheTUI(t *testing.T) {
	store := newFakeStore()
	gh := Account{ID: "x1", Key: testKey("GitHub", "alice")}
	var sources []string
	store.ImportFn = func(_ context.Context, source, password string) (ImportResult, error) {
		sources = append(sources, source)
		switch password {
		case "":
			return ImportResult{}, &BackupPasswordError{Format: "Aegis backup"}
		case "hunter2":
			return ImportResult{Added: []Account{gh}, Summary: "imported 1 of 1 accounts from an Aegis backup (encrypted)"}, nil
		}
		return ImportResult{}, &BackupPasswordError{Format: "Aegis backup", Wrong: true}
	}
	a := testApp(t, store, &fakeVerifier{}, 120, 40)
	a = press(t, a, "a")
	a = typeText(t, a, "/backups/aegis.json")
	a = press(t, a, "enter")
	if a.auth.state != authBackupPassword || !strings.Contains(a.View(), "Encrypted Aegis backup") || !a.auth.Typing() {
		t.Fatalf("state %v; want the backup password prompt:\n%s", a.auth.state, a.View())
	}
	a = typeText(t, a, "hunter3")
	if strings.Contains(a.View(), "hunter3") {
		t.Fatal("the password is echoed")
	}
	a = press(t, a, "enter")
	if a.auth.state != authBackupPassword || !strings.Contains(a.View(), "wrong password for the Aegis backup") || a.auth.input.Value() != "" {
		t.Fatalf("after a wrong password, state %v:\n%s", a.auth.state, a.View())
	}
	a = typeText(t, a, "hunter2")
	a = press(t, a, "enter")
	if a.auth.state != authReady || a.auth.note != "imported 1 of 1 accounts from an Aegis backup (encrypted)" || !strings.Contains(a.View(), "✓ imported 1 of 1") {
		t.Fatalf("after the right password, state %v:\n%s", a.auth.state, a.View())
	}
	for _, s := range sources {
		if s != "/backups/aegis.json" {
			t.Errorf("imported %q; want the typed path every time", s)
		}
	}
	if a.auth.input.EchoMode != 0 || a.auth.backupSource != "" {
		t.Error("the prompt's state outlived it")
	}

	a = press(t, a, "a")
	a = typeText(t, a, "/backups/aegis.json")
	a = press(t, a, "enter")
	a = press(t, a, "esc")
	if a.auth.state != authReady || !strings.Contains(a.View(), "not imported") {
		t.Fatalf("esc: state %v:\n%s", a.auth.state, a.View())
	}
}
