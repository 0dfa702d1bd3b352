package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning/backup"
)

// interopPasswords are the passwords of the encrypted files (../shared/interop/INDEX.md).
var interopPasswords = map[string]string{
	"aegis-fixtures/aegis_encrypted.json":                                   "test",
	"aegis-fixtures/2fas_authenticator_encrypted.2fas":                      "test",
	"aegis-fixtures/2fas_authenticator_encrypted_v3.2fas":                   "test",
	"aegis-fixtures/2fas_authenticator_encrypted_v4.2fas":                   "test",
	"aegis-fixtures/andotp_encrypted.bin":                                   "test",
	"aegis-fixtures/andotp_encrypted_old.bin":                               "test",
	"2fas-backup-decryptor/encrypted_test.2fas":                             "example.com",
	"proton-pass-common/authenticator/aegis/aegis-json-encrypted-test.json": "test",
	"proton-pass-common/authenticator/2fas/encrypted.2fas":                  "test",
	"proton-pass-common/authenticator/ente/encrypted.lowcomplexity.txt":     "password",
	"proton-pass-common/authenticator/ente/encrypted.nominalcomplexity.txt": "password",
	"ente/proton_authenticator_backup_encrypted_1231246.json":               "1231246",
	"keepassxc/bitwarden_encrypted_export.json":                             "a",
	"keepassxc/bitwarden_encrypted_argon2id_export.json":                    "a",
}

// TestImportInteropFilesCommand: `otpair import FILE` of every real backup otpair reads
// stores, in one command, every account the file holds that otpair can hold: as many
// as provisioning/backup reads from it, with one summary line and exit 0 (1 when the
// file holds accounts otpair had to skip). The URI lists of Aegis and Proton import
// whole, Steam accounts included.
func TestImportInteropFilesCommand(t *testing.T) {
	dir := external.Interop(t)
	useMemKeyring(t)
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	n := 0
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		data, _ := os.ReadFile(path)
		f, ok := backup.Detect(data)
		args := []string{"import", path}
		if rel == "aegis-fixtures/andotp_encrypted_old.bin" {
			f, ok = backup.Lookup("andotp")
			args = []string{"import", "--from", "andotp", path}
		}
		if !ok {
			continue
		}
		if strings.Contains(rel, "nominalcomplexity") && testing.Short() {
			continue
		}
		n++
		password := interopPasswords[rel]
		b, err := backup.Decode(data, f, backup.Options{Password: func(backup.Format) ([]byte, error) { return []byte(password), nil }})
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		home := filepath.Join(t.TempDir(), "home")
		code, _, errOut := vrun(t, home, "", map[string]string{"OTPAIR_IMPORT_PASSWORD": password}, args...)
		wantCode := 0
		if len(b.Skipped) > 0 {
			wantCode = 1
		}
		if code != wantCode || strings.Count(errOut, ": imported ") != 1 || strings.Count(errOut, "\n") > 4+len(b.Skipped) {
			t.Errorf("%s: exit %d (want %d), stderr:\n%s", rel, code, wantCode, errOut)
			continue
		}
		// Two accounts of a file may be the same one (same issuer, name and secret).
		if got := len(listJSON(t, home, nil)); got == 0 && len(b.Keys) > 0 || got > len(b.Keys) {
			t.Errorf("%s: %d accounts in the vault; the file holds %d", rel, got, len(b.Keys))
		}
	}
	if n < 50 {
		t.Errorf("only %d backup files found in %s", n, dir)
	}
	for _, rel := range []string{"aegis-fixtures/plain.txt", "proton-pass-common/authenticator/aegis/aegis-txt.txt"} {
		home := filepath.Join(t.TempDir(), "home")
		code, out, errOut := vrun(t, home, "", nil, "import", filepath.Join(dir, rel))
		if code != 0 || strings.Count(out, "added ") != strings.Count(out, "\n") || !strings.Contains(listJSONTypes(t, home), "steam") {
			t.Errorf("%s: exit %d\n%s\n%s", rel, code, out, errOut)
		}
	}
}

func listJSONTypes(t *testing.T, home string) string {
	var types []string
	for _, a := range listJSON(t, home, nil) {
		types = append(types, a.Type)
	}
	return strings.Join(types, " ")
}
