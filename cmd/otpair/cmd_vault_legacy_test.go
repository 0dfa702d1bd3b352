package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/otpair/otpair/authenticator"
)

// TestVaultLegacyPassphrase: a passphrase vault as older otpair wrote it (vault.age
// sealed with the passphrase directly, no identity.age) works with every command;
// `vault rekey --passphrase` moves it to identity.age with the new passphrase, after
// which the old passphrase no longer opens it.
func TestVaultLegacyPassphrase(t *testing.T) {
	kr := useMemKeyring(t)
	kr.Err = fmt.Errorf("The name org.freedesktop.secrets was not provided by any .service files")
	home := filepath.Join(t.TempDir(), "home")
	pw := map[string]string{"OTPAIR_PASSPHRASE": "old horse"}
	mustRun(t, home, "", pw, "import", randKey(t, "Legacy", "one", 0).URI(), randKey(t, "Legacy", "two", 1).URI())

	// Turn it into the old format: the plaintext sealed with the passphrase, no
	// identity.age, no protection in vault.json.
	idPath := filepath.Join(home, authenticator.IdentityFileName)
	vaultPath := filepath.Join(home, authenticator.VaultFileName)
	sid, _ := age.NewScryptIdentity("old horse")
	idBytes, _ := os.ReadFile(idPath)
	r, err := age.Decrypt(bytes.NewReader(idBytes), sid)
	if err != nil {
		t.Fatalf("identity.age: %v", err)
	}
	idText, _ := io.ReadAll(r)
	ids, err := age.ParseIdentities(bytes.NewReader(idText))
	if err != nil {
		t.Fatal(err)
	}
	cipher, _ := os.ReadFile(vaultPath)
	r, err = age.Decrypt(bytes.NewReader(cipher), ids...)
	if err != nil {
		t.Fatalf("vault.age with identity.age's key: %v", err)
	}
	plain, _ := io.ReadAll(r)
	sr, _ := age.NewScryptRecipient("old horse")
	sr.SetWorkFactor(4)
	var legacy bytes.Buffer
	w, _ := age.Encrypt(&legacy, sr)
	w.Write(plain)
	w.Close()
	if !bytes.Contains(legacy.Bytes(), []byte("-> scrypt")) {
		t.Fatal("the legacy vault has no scrypt stanza")
	}
	os.WriteFile(vaultPath, legacy.Bytes(), 0o600)
	os.Remove(idPath)
	metaPath := filepath.Join(home, authenticator.MetaFileName)
	var m map[string]any
	b, _ := os.ReadFile(metaPath)
	json.Unmarshal(b, &m)
	delete(m, "protection")
	b, _ = json.Marshal(m)
	os.WriteFile(metaPath, b, 0o600)

	if got := listJSON(t, home, pw); len(got) != 2 {
		t.Fatalf("legacy vault: %d accounts", len(got))
	}
	var info vaultInfoJSON
	json.Unmarshal([]byte(mustRun(t, home, "", pw, "vault", "info", "--json")), &info)
	if info.Protection != "passphrase" || info.Accounts != 2 {
		t.Errorf("vault info of a legacy vault: %+v", info)
	}
	if code, _, errOut := vrun(t, home, "", map[string]string{"OTPAIR_PASSPHRASE": "wrong"}, "list"); code != 1 || !strings.Contains(errOut, "wrong passphrase") {
		t.Errorf("legacy vault, wrong passphrase = %d %q", code, errOut)
	}
	if _, err := os.Stat(idPath); err == nil {
		t.Fatal("reading a legacy vault wrote identity.age")
	}

	mustRun(t, home, "", map[string]string{"OTPAIR_PASSPHRASE": "old horse", "OTPAIR_NEW_PASSPHRASE": "new staple"}, "vault", "rekey", "--passphrase")
	if _, err := os.Stat(idPath); err != nil {
		t.Fatalf("after rekey --passphrase: %v", err)
	}
	after, _ := os.ReadFile(vaultPath)
	if bytes.Contains(after, []byte("-> scrypt")) {
		t.Error("after rekey the vault is still sealed with a passphrase directly")
	}
	if got := listJSON(t, home, map[string]string{"OTPAIR_PASSPHRASE": "new staple"}); len(got) != 2 {
		t.Errorf("after rekey: %d accounts", len(got))
	}
	if code, _, errOut := vrun(t, home, "", pw, "list"); code != 1 || !strings.Contains(errOut, "wrong passphrase") {
		t.Errorf("the old passphrase after rekey = %d %q", code, errOut)
	}
	if kr.Len() != 0 {
		t.Errorf("%d keyring items", kr.Len())
	}
}
