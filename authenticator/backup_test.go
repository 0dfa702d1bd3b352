package authenticator

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/provisioning/backup"
)

// aegisFile writes keys as an Aegis vault with one mOTP entry added after them.
func aegisFile(t *testing.T, keys []provisioning.Key, password string) []byte {
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
	plain, _ := json.Marshal(f)
	if password == "" {
		return plain
	}
	// Re-read and re-write with a password: WriteAegis does not write mOTP entries.
	var content map[string]any
	json.Unmarshal(plain, &content)
	b, err := backup.Read(plain, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	enc, _, err := backup.WriteAegis(b.Keys, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestImportAegisBackup: an Aegis backup is imported in one write, its accounts
// summarised in one line: added, skipped by kind, already in the vault. Before backups
// were read, this file gave one error per line and nothing.
func TestImportAegisBackup(t *testing.T) {
	dir := t.TempDir()
	v := mustOpen(t, memOpts(filepath.Join(dir, "home"), &MemKeyring{}, ""))
	keys := []provisioning.Key{testKey(t, "A", "one"), testKey(t, "B", "two"), testKey(t, "C", "three")}
	keys = append(keys, provisioning.Key{Type: provisioning.Steam, Issuer: "Steam", Account: "gabe", Secret: []byte("0123456789"),
		Algorithm: provisioning.SHA1, Digits: 5, Period: 30})
	if _, err := v.Add(context.Background(), keys[1]); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "aegis.json", aegisFile(t, keys, ""))
	res, err := v.ImportWith(context.Background(), []string{file}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 0 || len(res.Backups) != 1 {
		t.Fatalf("failed %v, backups %+v", res.Failed, res.Backups)
	}
	want := "imported 3 of 5 accounts from an Aegis backup; skipped 1 (mOTP: not supported), 1 already in the vault"
	if got := res.Backups[0].Summary(); got != want {
		t.Errorf("summary %q\nwant    %q", got, want)
	}
	if s := res.Backups[0].Skipped; len(s) != 1 || s[0].Name != "MOTP: pin" {
		t.Errorf("skipped %v", s)
	}
	got := labels(mustAccounts(t, v))
	if strings.Join(got, "; ") != "B: two; A: one; C: three; Steam: gabe" {
		t.Errorf("vault holds %v", got)
	}
}

// TestImportEncryptedBackup: the password callback is asked once, with the file and its
// format; a wrong or missing password stores nothing from any source and says why.
func TestImportEncryptedBackup(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	v := mustOpen(t, memOpts(home, &MemKeyring{}, ""))
	keys := []provisioning.Key{testKey(t, "A", "one"), testKey(t, "B", "two")}
	file := writeFile(t, dir, "aegis.json", aegisFile(t, keys, "hunter2"))
	other := uriOf(testKey(t, "C", "three"))
	for _, c := range []struct {
		name     string
		password func(string, backup.Format) ([]byte, error)
		sentinel error
	}{
		{"wrong password", func(string, backup.Format) ([]byte, error) { return []byte("hunter3"), nil }, backup.ErrWrongPassword},
		{"no password", nil, backup.ErrPasswordNeeded},
	} {
		res, err := v.ImportWith(context.Background(), []string{other, file}, ImportOptions{Password: c.password})
		if !errors.Is(err, c.sentinel) || !errors.Is(err, ErrBackupUnreadable) || !strings.Contains(err.Error(), "aegis.json") {
			t.Errorf("%s: %v; want an error naming the file and wrapping %q", c.name, err, c.sentinel)
		}
		if len(res.Added) != 0 || len(mustAccounts(t, v)) != 0 {
			t.Errorf("%s: something was stored", c.name)
		}
	}
	asked := 0
	res, err := v.ImportWith(context.Background(), []string{other, file}, ImportOptions{Password: func(src string, f backup.Format) ([]byte, error) {
		asked++
		if src != file || f.Name != "aegis" {
			t.Errorf("password asked for %q (%s)", src, f.Name)
		}
		return []byte("hunter2"), nil
	}})
	if err != nil || asked != 1 || len(res.Added) != 3 || !res.Backups[0].Encrypted {
		t.Fatalf("ImportWith = %+v, %v (asked %d)", res, err, asked)
	}
	if got := res.Backups[0].Summary(); got != "imported 2 of 2 accounts from an Aegis backup (encrypted)" {
		t.Errorf("summary %q", got)
	}
}

// TestImportUnknownFileIsOneLine: a file that is no backup, URI list or image gives
// one failure saying what it looks like, not one per line.
func TestImportUnknownFileIsOneLine(t *testing.T) {
	dir := t.TempDir()
	v := mustOpen(t, memOpts(filepath.Join(dir, "home"), &MemKeyring{}, ""))
	for name, c := range map[string]struct {
		data string
		says string
	}{
		"app.json":  {"{\n \"tokens2\": [\n  1,\n  2\n ],\n \"secretz\": \"JBSWY3DPEHPK3PXP\"\n}\n", `JSON with top-level keys "secretz", "tokens2"`},
		"notes.txt": {"my codes\nJBSWY3DPEHPK3PXP\nmore\n", "text of 3 line(s), none of them an otpauth"},
		"data.bin":  {"\x00\x01\x02\x03binary", "binary data (10 bytes)"},
	} {
		file := writeFile(t, dir, name, []byte(c.data))
		res, err := v.ImportWith(context.Background(), []string{file}, ImportOptions{})
		if err != nil || len(res.Failed) != 1 {
			t.Fatalf("%s: %d failures, %v; want exactly one", name, len(res.Failed), err)
		}
		msg := res.Failed[0].Error()
		if !strings.Contains(msg, c.says) || !errors.Is(res.Failed[0].Err, backup.ErrUnknownFormat) || strings.Contains(msg, "JBSWY3DP") {
			t.Errorf("%s: %q; want it to say %q, without content", name, msg, c.says)
		}
	}
}

// TestImportForcedFormat: --from reads a file as the named format, and an unknown name
// is an error before anything is read.
func TestImportForcedFormat(t *testing.T) {
	dir := t.TempDir()
	v := mustOpen(t, memOpts(filepath.Join(dir, "home"), &MemKeyring{}, ""))
	txt := writeFile(t, dir, "l.txt", []byte(uriOf(testKey(t, "A", "one"))+"\n"))
	_, err := v.ImportWith(context.Background(), []string{txt}, ImportOptions{From: "aegis"})
	if !errors.Is(err, backup.ErrInvalid) {
		t.Errorf("a URI list read as Aegis: %v; want ErrInvalid", err)
	}
	_, err = v.ImportWith(context.Background(), []string{txt}, ImportOptions{From: "palm-pilot"})
	if !errors.Is(err, backup.ErrUnknownFormat) {
		t.Errorf("--from palm-pilot: %v", err)
	}
	if len(mustAccounts(t, v)) != 0 {
		t.Error("something was stored")
	}
}
