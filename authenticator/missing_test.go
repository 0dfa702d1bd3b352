package authenticator

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// moveAside renames the vault file away, as the "damaged vault" message suggests, and
// returns where it went (the user's backup).
func moveAside(t *testing.T, dir string) string {
	t.Helper()
	backup := filepath.Join(t.TempDir(), "vault.age.bak")
	if err := os.Rename(filepath.Join(dir, VaultFileName), backup); err != nil {
		t.Fatal(err)
	}
	return backup
}

// wantMissing checks an ErrVaultMissing error: it names what is missing, what is still
// there and both ways out.
func wantMissing(t *testing.T, what string, err error, present ...string) {
	t.Helper()
	if !errors.Is(err, ErrVaultMissing) {
		t.Fatalf("%s: %v, want ErrVaultMissing", what, err)
	}
	for _, want := range append([]string{VaultFileName, "from a backup", ResetCommand}, present...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q does not say %q", what, err, want)
		}
	}
}

// TestMissingVaultKeepsItsKey is issue 11's item 5: with vault.age moved aside but
// vault.json and the key still there, no command starts a new vault (which would
// replace identity.age, or bury the keyring item under a new vault): Open, a Vault
// opened before, Inspect all say what is missing and how to restore it; nothing on
// disk or in the keyring changes; the backup, put back, opens; Reset sets the old
// files aside (deleting nothing) and a new vault starts with a new key.
func TestMissingVaultKeepsItsKey(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"passphrase", "keyring"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			kr := &MemKeyring{}
			opts := memOpts(dir, kr, "")
			present := []string{MetaFileName, "keyring item"}
			if mode == "passphrase" {
				kr.Err = errors.New("down")
				opts = memOpts(dir, kr, "pass phrase")
				present = []string{MetaFileName, IdentityFileName}
			}
			// A Vault opened before the vault existed: it must not create one later.
			early := mustOpen(t, opts)
			v := mustOpen(t, opts)
			k := testKey(t, "Kept", "k")
			if _, err := v.Add(ctx, k); err != nil {
				t.Fatal(err)
			}
			var item string
			if mode == "keyring" {
				item, _ = kr.Get(ctx, KeyringService, v.Status().KeyringUser)
			}
			backup := moveAside(t, dir)
			before := snapshot(t, dir)

			_, err := Open(ctx, opts)
			wantMissing(t, "Open", err, present...)
			_, err = early.Add(ctx, testKey(t, "New", "n"))
			wantMissing(t, "a Vault opened before the vault existed", err, present...)
			if _, err := v.Add(ctx, testKey(t, "New", "n")); err == nil || !strings.Contains(err.Error(), "removed since") {
				t.Errorf("the Vault that wrote it: %v", err)
			}
			st, err := Inspect(dir)
			wantMissing(t, "Inspect", err, present...)
			if st.Exists || st.Accounts != -1 || len(st.Missing) != 1 || st.Missing[0] != VaultFileName || st.Protection.String() != map[string]string{"keyring": "OS keyring", "passphrase": "passphrase"}[mode] {
				t.Errorf("Inspect = %+v", st)
			}
			sameFiles(t, dir, before)
			if mode == "keyring" {
				if now, _ := kr.Get(ctx, KeyringService, st.KeyringUser); now != item || kr.Len() != 1 {
					t.Errorf("the keyring item changed (%d items)", kr.Len())
				}
			}

			// The backup, put back, opens with the key that was kept.
			b, _ := os.ReadFile(backup)
			os.WriteFile(filepath.Join(dir, VaultFileName), b, 0o600)
			if got := mustAccounts(t, mustOpen(t, opts)); len(got) != 1 || got[0].Key.Issuer != "Kept" {
				t.Fatalf("the restored backup: %v", labels(got))
			}

			// Starting over deliberately: Reset refuses while vault.age is there, then
			// sets the old files aside and deletes nothing.
			if _, err := Reset(ctx, dir, testNow); err == nil {
				t.Error("Reset with vault.age present succeeded")
			}
			os.Remove(filepath.Join(dir, VaultFileName))
			res, err := Reset(ctx, dir, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{"keyring": 1, "passphrase": 2}[mode]; len(res.Moved) != want {
				t.Errorf("Reset moved %v (want %d files)", res.Moved, want)
			}
			for _, m := range res.Moved {
				if !bytes.Equal(mustRead(t, m[1]), before[filepath.Base(m[0])]) {
					t.Errorf("%s is not the old %s", m[1], m[0])
				}
			}
			if (mode == "keyring") != (res.KeyringUser != "") {
				t.Errorf("Reset names keyring item %q", res.KeyringUser)
			}
			nv := mustOpen(t, opts)
			if _, err := nv.Add(ctx, testKey(t, "Fresh", "f")); err != nil {
				t.Fatalf("a new vault after Reset: %v", err)
			}
			if mode == "keyring" {
				if now, _ := kr.Get(ctx, KeyringService, st.KeyringUser); now != item || kr.Len() != 2 {
					t.Errorf("after Reset and a new vault: old item kept %v, %d items (want 2)", now == item, kr.Len())
				}
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIdentityFileAloneIsNotANewVault: identity.age with neither vault.json nor
// vault.age (vault.json lost too) is still a key: refused, not replaced.
func TestIdentityFileAloneIsNotANewVault(t *testing.T) {
	dir := t.TempDir()
	opts := memOpts(dir, downKeyring(), "pass phrase")
	if _, err := mustOpen(t, opts).Add(context.Background(), testKey(t, "A", "a")); err != nil {
		t.Fatal(err)
	}
	moveAside(t, dir)
	os.Remove(filepath.Join(dir, MetaFileName))
	before := snapshot(t, dir)
	_, err := Open(context.Background(), opts)
	wantMissing(t, "Open", err, IdentityFileName)
	sameFiles(t, dir, before)
}

// TestInterruptedCreationKeepsItsKey: a creation stopped after identity.age (or after
// the keyring item) is finished by the next write with that same key, asked for as an
// existing passphrase; a wrong passphrase changes nothing.
func TestInterruptedCreationKeepsItsKey(t *testing.T) {
	ctx := context.Background()
	defer func() { testHookStep = nil }()
	dir := t.TempDir()
	testHookStep = func(s string) error {
		if s == "identity" {
			return errors.New("crash")
		}
		return nil
	}
	_, err := mustOpen(t, memOpts(dir, downKeyring(), "first passphrase")).Add(ctx, testKey(t, "A", "a"))
	testHookStep = nil
	if err == nil {
		t.Fatal("no crash")
	}
	id := mustRead(t, filepath.Join(dir, IdentityFileName))
	before := snapshot(t, dir)
	var asked []PassphraseRequest
	o := memOpts(dir, downKeyring(), "")
	o.Passphrase = func(_ context.Context, req PassphraseRequest) (string, error) {
		asked = append(asked, req)
		return "another passphrase", nil
	}
	if _, err := mustOpen(t, o).Add(ctx, testKey(t, "B", "b")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("another passphrase: %v", err)
	}
	if len(asked) != 1 || asked[0].New {
		t.Errorf("asked %+v, want the existing passphrase", asked)
	}
	sameFiles(t, dir, before)
	v := mustOpen(t, memOpts(dir, downKeyring(), "first passphrase"))
	if _, err := v.Add(ctx, testKey(t, "B", "b")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, filepath.Join(dir, IdentityFileName)), id) {
		t.Error("identity.age was replaced")
	}
	if m, _ := readMeta(dir); m == nil || m.Creating || m.Protection != metaPassphrase {
		t.Errorf("vault.json after the creation finished: %+v", m)
	}

	// The keyring: vault.json says a creation is under way and the item exists.
	dir = t.TempDir()
	kr := &MemKeyring{}
	writeMeta(dir, &meta{Format: metaFormat, ID: "0123456789abcdef", KeyringService: KeyringService,
		KeyringUser: "vault-0123456789abcdef", Protection: metaKeyring, Creating: true})
	kr.Set(ctx, KeyringService, "vault-0123456789abcdef", "AGE-SECRET-KEY-1GQ9778VQXMMJVE8SK7J6VT8UJ4HDQAJUVSFCWCM02D8GEWQ72PVQ2Y5J33")
	if _, err := mustOpen(t, memOpts(dir, kr, "")).Add(ctx, testKey(t, "C", "c")); err != nil {
		t.Fatal(err)
	}
	if s, _ := kr.Get(ctx, KeyringService, "vault-0123456789abcdef"); kr.Len() != 1 || !strings.HasPrefix(s, "AGE-SECRET-KEY-1GQ9778") {
		t.Errorf("the keyring item was replaced (%d items)", kr.Len())
	}
}

// TestRekeyNeverOverwritesAKeyringItem: a keyring item already stored under the
// vault's name (an earlier key, kept when deleting it failed) survives a rekey to the
// keyring; the new key gets an item of its own, named in vault.json and in the note.
func TestRekeyNeverOverwritesAKeyringItem(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	if _, err := v.Add(ctx, testKey(t, "A", "a")); err != nil {
		t.Fatal(err)
	}
	old := v.Status().KeyringUser
	oldItem, _ := kr.Get(ctx, KeyringService, old)
	v.opts.Passphrase = fixedPass("pass phrase", nil)
	if _, err := v.Rekey(ctx, ProtectionPassphrase); err != nil {
		t.Fatal(err)
	}
	kr.Set(ctx, KeyringService, old, oldItem) // as if the delete had failed
	note, err := v.Rekey(ctx, ProtectionKeyring)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := kr.Get(ctx, KeyringService, old); s != oldItem {
		t.Error("the earlier keyring item was overwritten")
	}
	st := v.Status()
	if st.KeyringUser == old || kr.Len() != 2 || !strings.Contains(note, old) || !strings.Contains(note, st.KeyringUser) {
		t.Errorf("new item %q, %d items, note %q", st.KeyringUser, kr.Len(), note)
	}
	if got := mustAccounts(t, mustOpen(t, memOpts(dir, kr, ""))); len(got) != 1 {
		t.Errorf("reopened: %d accounts", len(got))
	}
}

// TestRekeyPromptMayCallStatus is issue 11's item 8: Rekey asked for the new
// passphrase while holding the Vault's mutex, so a prompt that called Status (as the
// CLI's did) hung for good. The prompt now runs before any lock, and Status never
// waits; Rekey must finish well within the deadline.
func TestRekeyPromptMayCallStatus(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	if _, err := v.Add(ctx, testKey(t, "A", "a")); err != nil {
		t.Fatal(err)
	}
	var seen []Status
	var reqs []PassphraseRequest
	v.opts.Passphrase = func(_ context.Context, req PassphraseRequest) (string, error) {
		seen, reqs = append(seen, v.Status()), append(reqs, req)
		return "pass phrase", nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := v.Rekey(ctx, ProtectionPassphrase)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Rekey did not return: the prompt's Status call deadlocked")
	}
	if len(seen) != 1 || seen[0].Protection != ProtectionKeyring || !reqs[0].New || reqs[0].Current != ProtectionKeyring {
		t.Errorf("the prompt saw %+v, asked %+v", seen, reqs)
	}
	if st := v.Status(); st.Protection != ProtectionPassphrase {
		t.Errorf("after rekey: %+v", st)
	}
}

// TestNewPassphraseMinimumLength: a new passphrase under MinPassphraseLen characters
// is refused for a new vault and for a rekey, before anything is written; an existing
// vault sealed with a shorter one (older otpair) still opens and moves to identity.age.
func TestNewPassphraseMinimumLength(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, short := range []string{"1234567", "pässwör", "       "[:7]} {
		_, err := mustOpen(t, memOpts(dir, downKeyring(), short)).Add(ctx, testKey(t, "A", "a"))
		if !errors.Is(err, ErrPassphraseTooShort) || strings.Contains(err.Error(), short) {
			t.Errorf("new vault with %q: %v", short, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 1 {
			t.Errorf("files written for a refused passphrase: %v", entries)
		}
	}
	if err := CheckNewPassphrase("pässwörd"); err != nil {
		t.Errorf("8 characters (10 bytes): %v", err)
	}
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	if _, err := v.Add(ctx, testKey(t, "A", "a")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	v.opts.Passphrase = fixedPass("short", nil)
	if _, err := v.Rekey(ctx, ProtectionPassphrase); !errors.Is(err, ErrPassphraseTooShort) {
		t.Errorf("rekey to a short passphrase: %v", err)
	}
	sameFiles(t, dir, before)

	old := t.TempDir()
	legacyVault(t, old, "short", testKey(t, "Old", "o"))
	lv := mustOpen(t, memOpts(old, kr, "short"))
	if _, err := lv.Add(ctx, testKey(t, "New", "n")); err != nil {
		t.Errorf("an old vault with a short passphrase: %v", err)
	}
}

// TestIdentityFileOpenToOthers: identity.age readable by group or others is refused,
// as ssh refuses such a private key, with the chmod that fixes it; nothing changes.
func TestIdentityFileOpenToOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	dir := t.TempDir()
	opts := memOpts(dir, downKeyring(), "pass phrase")
	if _, err := mustOpen(t, opts).Add(context.Background(), testKey(t, "A", "a")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, IdentityFileName)
	os.Chmod(path, 0o644)
	before := snapshot(t, dir)
	_, err := Open(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Fatalf("a 0644 identity.age: %v", err)
	}
	sameFiles(t, dir, before)
	os.Chmod(path, 0o600)
	mustOpen(t, opts)
}
