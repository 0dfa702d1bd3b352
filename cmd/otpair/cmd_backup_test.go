package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/provisioning/backup"
	"github.com/otpair/otpair/tui"
)

// aegisWithMOTP writes keys as an Aegis vault file with an mOTP entry added.
func aegisWithMOTP(t *testing.T, keys []provisioning.Key) []byte {
	t.Helper()
	data, _, err := backup.WriteAegis(keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	json.Unmarshal(data, &f)
	db := f["db"].(map[string]any)
	db["entries"] = append(db["entries"].([]any), map[string]any{"type": "motp", "name": "pin", "issuer": "MOTP",
		"info": map[string]any{"secret": "JBSWY3DP", "algo": "MD5", "digits": 6, "period": 10, "pin": "1234"}})
	out, _ := json.Marshal(f)
	return out
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// vaultKeys are the keys of the vault in home, via export --format aegis.
func vaultKeys(t *testing.T, home string) []provisioning.Key {
	t.Helper()
	b, err := backup.Read([]byte(mustRun(t, home, "", nil, "export", "--format", "aegis")), backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return b.Keys
}

// TestImportBackupCommand: an Aegis backup imports with one summary line on stderr; an
// mOTP account is skipped by name and makes the exit status 1 after the rest is stored.
func TestImportBackupCommand(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	k1, k2 := randKey(t, "GitHub", "alice", 0), randKey(t, "Bank", "bob", 1)
	mustRun(t, home, "", nil, "import", k2.URI())
	file := writeTemp(t, "aegis.json", aegisWithMOTP(t, []provisioning.Key{k1, k2}))
	code, out, errOut := vrun(t, home, "", nil, "import", file)
	if code != 1 {
		t.Fatalf("import = %d; want 1 (an account was skipped)\n%s", code, errOut)
	}
	if !strings.Contains(out, "added   GitHub: alice") || !strings.Contains(out, "skipped Bank: bob: already in the vault") {
		t.Errorf("stdout:\n%s", out)
	}
	for _, want := range []string{
		"aegis.json: skipped MOTP: pin (mOTP: not supported)",
		"aegis.json: imported 1 of 3 accounts from an Aegis backup; skipped 1 (mOTP: not supported), 1 already in the vault",
		"1 account(s) of the backup could not be imported (the rest were)",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if got := vaultKeys(t, home); len(got) != 2 || !got[1].Equal(k1) {
		t.Errorf("vault holds %v", got)
	}
}

// TestImportEncryptedBackupCommand: the password comes from --password-file, else
// OTPAIR_IMPORT_PASSWORD; with neither and no terminal the import fails at once saying
// how to give one; a wrong password is exit 1 and stores nothing.
func TestImportEncryptedBackupCommand(t *testing.T) {
	useMemKeyring(t)
	keys := []provisioning.Key{randKey(t, "GitHub", "alice", 0), randKey(t, "Bank", "bob", 2)}
	data, _, err := backup.WriteAegis(keys, []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeTemp(t, "vault.json", data)
	other := randKey(t, "Other", "carol", 1).URI()

	home := filepath.Join(t.TempDir(), "home")
	for _, c := range []struct {
		name string
		vars map[string]string
		args []string
		says string
	}{
		{"no password", nil, nil, "give it with --password-file FILE or OTPAIR_IMPORT_PASSWORD"},
		{"wrong password", map[string]string{"OTPAIR_IMPORT_PASSWORD": "hunter3"}, nil, "wrong password"},
		{"wrong password file", nil, []string{"--password-file", writeTemp(t, "pw", []byte("nope\n"))}, "wrong password"},
	} {
		code, _, errOut := vrun(t, home, "", c.vars, append(append([]string{"import"}, c.args...), other, file)...)
		if code != 1 || !strings.Contains(errOut, "nothing was stored") || !strings.Contains(errOut, c.says) || !strings.Contains(errOut, "vault.json") {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 1 saying %q", c.name, code, errOut, c.says)
		}
		if _, err := os.Stat(filepath.Join(home, "vault.age")); !os.IsNotExist(err) {
			t.Fatalf("%s: a vault was written: %v", c.name, err)
		}
	}
	mustRun(t, home, "", nil, "import", "--password-file", writeTemp(t, "pw", []byte("hunter2\r\n")), file)
	home2 := filepath.Join(t.TempDir(), "home")
	_, _, errOut := vrun(t, home2, "", map[string]string{"OTPAIR_IMPORT_PASSWORD": "hunter2"}, "import", file)
	if !strings.Contains(errOut, "imported 2 of 2 accounts from an Aegis backup (encrypted)") {
		t.Errorf("stderr:\n%s", errOut)
	}
	for _, h := range []string{home, home2} {
		got := vaultKeys(t, h)
		if len(got) != 2 || !got[0].Equal(keys[0]) || !got[1].Equal(keys[1]) {
			t.Errorf("vault %s holds %v", h, got)
		}
	}
}

// TestImportUnknownFileCommand: an app file otpair does not read is one error line
// saying what it looked like, and a hint at --list-formats; --list-formats lists aegis;
// --from with an unknown name is a usage error.
func TestImportUnknownFileCommand(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	lines := make([]string, 100)
	for i := range lines {
		lines[i] = `  "k` + strings.Repeat("x", i%7) + `": 1,`
	}
	file := writeTemp(t, "app.json", []byte("{\n"+strings.Join(lines, "\n")+"\n  \"end\": 0\n}\n"))
	code, _, errOut := vrun(t, home, "", nil, "import", file)
	if code != 1 || strings.Count(errOut, "app.json") != 1 || !strings.Contains(errOut, "JSON with top-level keys") ||
		!strings.Contains(errOut, "--list-formats") {
		t.Errorf("exit %d, stderr:\n%s\nwant one line about app.json", code, errOut)
	}
	out := mustRun(t, home, "", nil, "import", "--list-formats")
	if !strings.Contains(out, "aegis ") || !strings.Contains(out, "--from FORMAT") {
		t.Errorf("--list-formats:\n%s", out)
	}
	if code, _, _ := vrun(t, home, "", nil, "import", "--from", "palm", file); code != 2 {
		t.Errorf("--from palm = %d; want 2", code)
	}
}

// TestExportAegisCommand: export --format aegis writes a vault that reads back to the
// same keys (warning on stderr that it is in clear without a password), or an encrypted
// one with --password-file; importing it into another vault gives the same accounts.
func TestExportAegisCommand(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	steam := provisioning.Key{Type: provisioning.Steam, Issuer: "Steam", Account: "gabe", Secret: []byte("0123456789abcdef"),
		Algorithm: provisioning.SHA1, Digits: 5, Period: 30}
	hotp := provisioning.Key{Type: provisioning.HOTP, Issuer: "Bank", Account: "bob", Secret: []byte("0123456789"),
		Algorithm: provisioning.SHA512, Digits: 8, Counter: 41}
	keys := []provisioning.Key{randKey(t, "GitHub", "alice", 2), steam, hotp}
	for _, k := range keys {
		mustRun(t, home, "", nil, "import", k.URI())
	}
	code, out, errOut := vrun(t, home, "", nil, "export", "--format", "aegis")
	if code != 0 || !strings.Contains(errOut, "holds every secret in clear") {
		t.Fatalf("export = %d, stderr:\n%s", code, errOut)
	}
	b, err := backup.Read([]byte(out), backup.Options{})
	if err != nil || len(b.Keys) != 3 {
		t.Fatalf("the export reads as %v, %v", b, err)
	}
	for i := range keys {
		if !b.Keys[i].Equal(keys[i]) {
			t.Errorf("account %d reads back as %v; want %v", i, b.Keys[i], keys[i])
		}
	}
	pwFile := writeTemp(t, "pw", []byte("s3cret\n"))
	code, out, errOut = vrun(t, home, "", nil, "export", "--format", "aegis", "--password-file", pwFile)
	if code != 0 || strings.Contains(errOut, "in clear") || strings.Contains(out, keys[0].SecretBase32()) {
		t.Fatalf("encrypted export = %d, stderr %s", code, errOut)
	}
	file := writeTemp(t, "export.json", []byte(out))
	home2 := filepath.Join(t.TempDir(), "home")
	mustRun(t, home2, "", nil, "import", "--password-file", pwFile, file)
	got := vaultKeys(t, home2)
	for i := range keys {
		if i >= len(got) || !got[i].Equal(keys[i]) {
			t.Errorf("after export and import, account %d is %v; want %v", i, got, keys[i])
		}
	}
	if code, _, _ := vrun(t, home, "", nil, "export", "--format", "uri", "--password-file", pwFile); code != 2 {
		t.Errorf("--password-file with --format uri = %d; want 2", code)
	}
}

// TestExportMigrationLeavesOutWhatDoesNotFit: accounts Google's format cannot hold are
// named on stderr and the rest exported, where the whole export used to fail.
func TestExportMigrationLeavesOutWhatDoesNotFit(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	fits := randKey(t, "GitHub", "alice", 0)
	slow := randKey(t, "Slow", "sixty", 2) // a 60 s period
	steam := provisioning.Key{Type: provisioning.Steam, Issuer: "Steam", Account: "gabe", Secret: []byte("0123456789"),
		Algorithm: provisioning.SHA1, Digits: 5, Period: 30}
	for _, k := range []provisioning.Key{fits, slow, steam} {
		mustRun(t, home, "", nil, "import", k.URI())
	}
	code, out, errOut := vrun(t, home, "", nil, "export", "--format", "migration")
	if code != 0 || !strings.Contains(errOut, "left out Slow: sixty: period") || !strings.Contains(errOut, "left out Steam: gabe: type") {
		t.Fatalf("export = %d, stderr:\n%s", code, errOut)
	}
	m, err := provisioning.DecodeMigration(strings.TrimSpace(out))
	if err != nil || len(m.Keys) != 1 || !m.Keys[0].Equal(fits) {
		t.Errorf("the page holds %v, %v; want only %v", m.Keys, err, fits)
	}
}

// TestTUIStoreAsksForBackupPasswords: the TUI's store turns an encrypted backup opened
// without its password, or with a wrong one, into a *tui.BackupPasswordError naming the
// format, and with the right one imports it and gives the file's summary.
func TestTUIStoreAsksForBackupPasswords(t *testing.T) {
	ctx := context.Background()
	store, _, err := vaultOpener(authenticator.Options{Dir: t.TempDir(), ScryptWorkFactor: 4}, "long enough pass")(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	k := randKey(t, "GitHub", "alice", 0)
	data, _, _ := backup.WriteAegis([]provisioning.Key{k}, []byte("hunter2"))
	file := writeTemp(t, "aegis.json", data)
	for password, wrong := range map[string]bool{"": false, "hunter3": true} {
		_, err := store.Import(ctx, file, password)
		var bpe *tui.BackupPasswordError
		if !errors.As(err, &bpe) || bpe.Wrong != wrong || bpe.Format != "Aegis backup" {
			t.Errorf("password %q: %v; want a BackupPasswordError (wrong %v)", password, err, wrong)
		}
	}
	res, err := store.Import(ctx, file, "hunter2")
	if err != nil || len(res.Added) != 1 || !res.Added[0].Key.Equal(k) || res.Summary != "imported 1 of 1 account from an Aegis backup (encrypted)" {
		t.Fatalf("Import = %+v, %v", res, err)
	}
}
