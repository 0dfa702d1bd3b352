package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/external"
)

// TestVaultMissingFile is issue 11's item 5 on the command line: with vault.age moved
// aside, import refuses to start a new vault (which used to write a new identity.age,
// losing the only key to the backup), saying what is missing and how to restore it;
// vault info shows the state; the backup, put back, opens; vault reset sets the old
// files aside and the next import starts afresh.
func TestVaultMissingFile(t *testing.T) {
	for _, mode := range []string{"passphrase", "keyring"} {
		t.Run(mode, func(t *testing.T) {
			kr := useMemKeyring(t)
			home := filepath.Join(t.TempDir(), "home")
			vars := map[string]string{}
			if mode == "passphrase" {
				kr.Err = errors.New("The name org.freedesktop.secrets was not provided by any .service files")
				vars["OTPAIR_PASSPHRASE"] = "correct horse"
			}
			mustRun(t, home, "", vars, "import", randKey(t, "Kept", "k", 0).URI())
			backup := filepath.Join(t.TempDir(), "vault.age")
			os.Rename(filepath.Join(home, authenticator.VaultFileName), backup)
			before := map[string][]byte{}
			for _, name := range []string{authenticator.MetaFileName, authenticator.IdentityFileName} {
				if b, err := os.ReadFile(filepath.Join(home, name)); err == nil {
					before[name] = b
				}
			}

			code, _, errOut := vrun(t, home, "", vars, "import", randKey(t, "New", "n", 0).URI())
			for _, want := range []string{"vault.age", "missing", "from a backup", "otpair vault reset"} {
				if code != 1 || !strings.Contains(errOut, want) {
					t.Errorf("import with vault.age missing = %d, stderr lacks %q:\n%s", code, want, errOut)
				}
			}
			for name, b := range before {
				if now, _ := os.ReadFile(filepath.Join(home, name)); !bytes.Equal(now, b) {
					t.Errorf("%s changed", name)
				}
			}
			if _, err := os.Stat(filepath.Join(home, authenticator.VaultFileName)); err == nil {
				t.Error("a new vault.age was written")
			}
			if kr.Len() != map[string]int{"passphrase": 0, "keyring": 1}[mode] {
				t.Errorf("%d keyring items", kr.Len())
			}
			code, out, _ := vrun(t, home, "", vars, "vault", "info")
			if code != 1 || !strings.Contains(out, "missing:    vault.age") || !strings.Contains(out, "otpair vault reset") {
				t.Errorf("vault info = %d:\n%s", code, out)
			}
			var info vaultInfoJSON
			_, out, _ = vrun(t, home, "", vars, "vault", "info", "--json")
			if err := json.Unmarshal([]byte(out), &info); err != nil || len(info.Missing) != 1 || info.Missing[0] != "vault.age" ||
				info.Protection != mode || info.Accounts != -1 || !strings.Contains(info.Error, "missing") {
				t.Errorf("vault info --json = %+v (%v)", info, err)
			}

			// Put back, the backup opens with the key that was kept.
			b, _ := os.ReadFile(backup)
			os.WriteFile(filepath.Join(home, authenticator.VaultFileName), b, 0o600)
			if got := listJSON(t, home, vars); len(got) != 1 || got[0].Issuer != "Kept" {
				t.Fatalf("the restored backup: %+v", got)
			}
			if code, _, errOut := vrun(t, home, "", vars, "vault", "reset"); code != 1 || !strings.Contains(errOut, "exists") {
				t.Errorf("vault reset beside vault.age = %d %q", code, errOut)
			}
			os.Rename(filepath.Join(home, authenticator.VaultFileName), backup)
			out = mustRun(t, home, "", vars, "vault", "reset")
			if !strings.Contains(out, "moved "+filepath.Join(home, authenticator.MetaFileName)) || (mode == "keyring") != strings.Contains(out, "kept the keyring item") {
				t.Errorf("vault reset:\n%s", out)
			}
			mustRun(t, home, "", vars, "import", randKey(t, "Fresh", "f", 0).URI())
			if got := listJSON(t, home, vars); len(got) != 1 || got[0].Issuer != "Fresh" {
				t.Errorf("after reset: %+v", got)
			}
			old, _ := filepath.Glob(filepath.Join(home, "*.old-*"))
			if len(old) != len(before) {
				t.Errorf("set aside %v, want %d files", old, len(before))
			}
		})
	}
}

// TestVaultHelpNamesTheVariables: vault -h documents the passphrase variables and
// reset.
func TestVaultHelpNamesTheVariables(t *testing.T) {
	code, _, errOut := vrun(t, t.TempDir(), "", nil, "vault", "-h")
	for _, want := range []string{"OTPAIR_PASSPHRASE", "OTPAIR_NEW_PASSPHRASE", "vault reset", "at least 8 characters"} {
		if code != 0 || !strings.Contains(errOut, want) {
			t.Errorf("vault -h = %d, lacks %q:\n%s", code, want, errOut)
		}
	}
}

// withDeadline runs f and fails the test if it has not returned by the deadline: the
// bugs these tests catch are hangs.
func withDeadline[T any](t *testing.T, what string, d time.Duration, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("%s did not return within %v: it hangs", what, d)
		panic("unreachable")
	}
}

// TestVaultRekeyPassphraseDoesNotHang is issue 11's item 8: `vault rekey --passphrase`
// asked for the new passphrase with the vault's mutex held, and the CLI's prompt
// called Status, which waited for that mutex forever. Each way of getting (or not
// getting) the new passphrase must return.
func TestVaultRekeyPassphraseDoesNotHang(t *testing.T) {
	type result struct {
		code     int
		out, err string
	}
	kr := useMemKeyring(t)
	// A keyring vault, OTPAIR_PASSPHRASE given: it becomes the new passphrase.
	home := filepath.Join(t.TempDir(), "home")
	mustRun(t, home, "", nil, "import", randKey(t, "A", "a", 0).URI())
	pw := map[string]string{"OTPAIR_PASSPHRASE": "correct horse"}
	r := withDeadline(t, "rekey --passphrase of a keyring vault", 30*time.Second, func() result {
		c, o, e := vrun(t, home, "", pw, "vault", "rekey", "--passphrase")
		return result{c, o, e}
	})
	if r.code != 0 || kr.Len() != 0 {
		t.Fatalf("rekey --passphrase = %d (%d keyring items):\n%s%s", r.code, kr.Len(), r.out, r.err)
	}
	if got := listJSON(t, home, pw); len(got) != 1 {
		t.Errorf("after rekey: %d accounts", len(got))
	}
	// A passphrase vault and no OTPAIR_NEW_PASSPHRASE: OTPAIR_PASSPHRASE is the old one,
	// stdin is no terminal, so it fails at once, naming the variable.
	r = withDeadline(t, "rekey --passphrase with no new passphrase", 30*time.Second, func() result {
		c, o, e := vrun(t, home, "", pw, "vault", "rekey", "--passphrase")
		return result{c, o, e}
	})
	if r.code != 1 || !strings.Contains(r.err, "OTPAIR_NEW_PASSPHRASE") {
		t.Errorf("rekey with no new passphrase = %d: %s", r.code, r.err)
	}
	// A new passphrase under 8 characters is refused, and changes nothing.
	before, _ := os.ReadFile(filepath.Join(home, authenticator.IdentityFileName))
	c, _, e := vrun(t, home, "", map[string]string{"OTPAIR_PASSPHRASE": "correct horse", "OTPAIR_NEW_PASSPHRASE": "short"}, "vault", "rekey", "--passphrase")
	if after, _ := os.ReadFile(filepath.Join(home, authenticator.IdentityFileName)); c != 1 || !strings.Contains(e, "at least 8 characters") || !bytes.Equal(before, after) {
		t.Errorf("rekey to a short passphrase = %d %q", c, e)
	}
	mustRun(t, home, "", map[string]string{"OTPAIR_PASSPHRASE": "correct horse", "OTPAIR_NEW_PASSPHRASE": "battery staple"}, "vault", "rekey", "--passphrase")
	if got := listJSON(t, home, map[string]string{"OTPAIR_PASSPHRASE": "battery staple"}); len(got) != 1 {
		t.Errorf("after rekey to a new passphrase: %d accounts", len(got))
	}
	// First use with a short OTPAIR_PASSPHRASE: refused, nothing written.
	kr.Err = errors.New("down")
	fresh := filepath.Join(t.TempDir(), "fresh")
	c, _, e = vrun(t, fresh, "", map[string]string{"OTPAIR_PASSPHRASE": "1234567"}, "import", randKey(t, "B", "b", 0).URI())
	if _, err := os.Stat(filepath.Join(fresh, authenticator.VaultFileName)); c != 1 || !strings.Contains(e, "at least 8 characters") || err == nil {
		t.Errorf("a new vault with a 7-character passphrase = %d %q (vault.age: %v)", c, e, err)
	}
}

// TestVaultMissingFileRealKeyring: the same refusal through the real keyring code
// and a real gnome-keyring: import with vault.age missing fails, naming the kept
// keyring item, and the keyring still holds exactly that one item.
func TestVaultMissingFileRealKeyring(t *testing.T) {
	external.Env(t, "OTPAIR_TEST_KEYRING", "a Secret Service (gnome-keyring under dbus-run-session)")
	home := t.TempDir()
	vars := map[string]string{"OTPAIR_HOME": home}
	if out, err := helperCmd(t, "run", vars, "import", randKey(t, "Real", "kept", 0).URI()).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	t.Cleanup(func() { cleanupKeyringItem(t, home) })
	var m struct {
		User string `json:"keyring_user"`
	}
	b, _ := os.ReadFile(filepath.Join(home, authenticator.MetaFileName))
	json.Unmarshal(b, &m)
	item, err := authenticator.SystemKeyring{}.Get(context.Background(), authenticator.KeyringService, m.User)
	if err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(home, authenticator.VaultFileName), filepath.Join(t.TempDir(), "backup"))
	out, err := helperCmd(t, "run", vars, "import", randKey(t, "Real", "new", 0).URI()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "vault.age") || !strings.Contains(string(out), m.User) || !strings.Contains(string(out), "otpair vault reset") {
		t.Errorf("import with vault.age missing: %v\n%s", err, out)
	}
	if now, err := (authenticator.SystemKeyring{}).Get(context.Background(), authenticator.KeyringService, m.User); err != nil || now != item {
		t.Errorf("the keyring item changed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, authenticator.VaultFileName)); err == nil {
		t.Error("a new vault.age was written")
	}
}
