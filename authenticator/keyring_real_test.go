package authenticator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
)

// realKeyringItems counts the Secret Service items of service otpair with the given
// username, through secret-tool (libsecret), an independent client.
func realKeyringItems(t *testing.T, user string) int {
	t.Helper()
	tool := external.Tool(t, "secret-tool", "libsecret-tools")
	out, err := exec.Command(tool, "search", "--all", "service", KeyringService, "username", user).CombinedOutput()
	if err != nil && len(out) > 0 && !bytes.Contains(out, []byte("No matching")) {
		// secret-tool exits 1 with no output when nothing matches.
		t.Logf("secret-tool search: %v: %s", err, out)
	}
	return strings.Count(string(out), "attribute.username = "+user)
}

// TestRealKeyring: against a real gnome-keyring, a new vault keeps its identity in
// exactly one item; the data folder holds no secret; and the documented recipe
// (secret-tool lookup piped to age -d -i -) decrypts the vault with the stock age CLI.
func TestRealKeyring(t *testing.T) {
	external.Env(t, "OTPAIR_TEST_KEYRING", "a Secret Service (gnome-keyring under dbus-run-session)")
	ageTool := external.Tool(t, "age", "age")
	secretTool := external.Tool(t, "secret-tool", "libsecret-tools")
	dir := t.TempDir()
	opts := Options{Dir: dir, Keyring: SystemKeyring{}}
	v, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	st := v.Status()
	if st.Protection != ProtectionKeyring {
		t.Fatalf("a new vault under a working keyring chose %v: %s", st.Protection, st.Reason)
	}
	var keys []provisioning.Key
	for i := range 30 {
		keys = append(keys, testKey(t, "Real", string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	if _, err := v.Add(context.Background(), keys...); err != nil {
		t.Fatal(err)
	}
	user := v.Status().KeyringUser
	t.Cleanup(func() { SystemKeyring{}.Delete(context.Background(), KeyringService, user) })
	if _, err := v.Add(context.Background(), testKey(t, "Real", "later")); err != nil {
		t.Fatal(err)
	}
	if n := realKeyringItems(t, user); n != 1 {
		t.Errorf("the keyring holds %d items for the vault, want 1", n)
	}
	v2, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustAccounts(t, v2); len(got) != 31 {
		t.Errorf("reopened: %d accounts, want 31", len(got))
	}

	// The documented manual decryption.
	cmd := exec.Command("sh", "-c", `"$1" lookup service otpair username "$2" | "$3" -d -i - "$4"`, "sh",
		secretTool, user, ageTool, filepath.Join(dir, VaultFileName))
	plain, err := cmd.Output()
	if err != nil {
		t.Fatalf("secret-tool lookup | age -d -i -: %v", err)
	}
	var d vaultData
	if err := json.Unmarshal(plain, &d); err != nil || len(d.Accounts) != 31 || d.Accounts[0].Secret != keys[0].SecretBase32() {
		t.Errorf("age CLI output is not the vault (%v, %d accounts)", err, len(d.Accounts))
	}

	// Nothing secret on disk.
	id, _ := SystemKeyring{}.Get(context.Background(), KeyringService, user)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte(id)) || bytes.Contains(bytes.ToUpper(b), []byte(strings.ToUpper(id))) {
			t.Errorf("%s holds the age identity", e.Name())
		}
		for _, k := range keys {
			if bytes.Contains(b, k.Secret) || bytes.Contains(b, []byte(k.SecretBase32())) {
				t.Errorf("%s holds a secret", e.Name())
			}
		}
	}
}

// TestRealKeyringKeyNeverReplaced is issue 11's item 5 against a real gnome-keyring:
// with vault.age moved aside, Open refuses to start a new vault and the keyring item
// stays as it was (secret-tool still finds exactly one); put back, the backup opens; a
// rekey to the keyring never overwrites an item already stored under the vault's name.
func TestRealKeyringKeyNeverReplaced(t *testing.T) {
	external.Env(t, "OTPAIR_TEST_KEYRING", "a Secret Service (gnome-keyring under dbus-run-session)")
	ctx := context.Background()
	kr := SystemKeyring{}
	dir := t.TempDir()
	opts := Options{Dir: dir, Keyring: kr, ScryptWorkFactor: 4, Passphrase: fixedPass("pass phrase", nil)}
	v, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(ctx, testKey(t, "Real", "kept")); err != nil {
		t.Fatal(err)
	}
	user := v.Status().KeyringUser
	t.Cleanup(func() { kr.Delete(ctx, KeyringService, user) })
	item, err := kr.Get(ctx, KeyringService, user)
	if err != nil {
		t.Fatal(err)
	}
	backup := moveAside(t, dir)
	_, err = Open(ctx, opts)
	wantMissing(t, "Open", err, "keyring item", user)
	if now, err := kr.Get(ctx, KeyringService, user); err != nil || now != item || realKeyringItems(t, user) != 1 {
		t.Fatalf("the keyring item changed: %v", err)
	}
	b, _ := os.ReadFile(backup)
	os.WriteFile(filepath.Join(dir, VaultFileName), b, 0o600)
	v, err = Open(ctx, opts)
	if err != nil || len(mustAccounts(t, v)) != 1 {
		t.Fatalf("the restored backup: %v", err)
	}

	// Rekey to a passphrase, then put the old item back (as a failed delete would
	// leave it): a rekey to the keyring stores the new key beside it.
	if _, err := v.Rekey(ctx, ProtectionPassphrase); err != nil {
		t.Fatal(err)
	}
	if n := realKeyringItems(t, user); n != 0 {
		t.Fatalf("%d items after rekey to a passphrase", n)
	}
	if err := kr.Set(ctx, KeyringService, user, item); err != nil {
		t.Fatal(err)
	}
	note, err := v.Rekey(ctx, ProtectionKeyring)
	if err != nil {
		t.Fatal(err)
	}
	newUser := v.Status().KeyringUser
	t.Cleanup(func() { kr.Delete(ctx, KeyringService, newUser) })
	if now, _ := kr.Get(ctx, KeyringService, user); now != item || newUser == user || !strings.Contains(note, user) {
		t.Errorf("the earlier item was overwritten, or the new key went under its name (%q): %s", newUser, note)
	}
	if realKeyringItems(t, newUser) != 1 {
		t.Errorf("secret-tool does not find the new item %s", newUser)
	}
	v, err = Open(ctx, Options{Dir: dir, Keyring: kr})
	if err != nil || len(mustAccounts(t, v)) != 1 {
		t.Errorf("reopened with the new item: %v", err)
	}
}

// TestRealKeyringNoPrompt: with NoPrompt, an unlocked Secret Service collection is read
// as without it (wouldPrompt asks for its Locked property, which never prompts).
func TestRealKeyringNoPrompt(t *testing.T) {
	external.Env(t, "OTPAIR_TEST_KEYRING", "a Secret Service (gnome-keyring under dbus-run-session)")
	ctx := context.Background()
	user := "noprompt-" + t.Name()
	if err := (SystemKeyring{}).Set(ctx, KeyringService, user, "value"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SystemKeyring{}.Delete(ctx, KeyringService, user) })
	if err := wouldPrompt(); err != nil {
		t.Fatalf("wouldPrompt on the unlocked test keyring: %v", err)
	}
	got, err := SystemKeyring{NoPrompt: true}.Get(ctx, KeyringService, user)
	if err != nil || got != "value" {
		t.Errorf("NoPrompt Get = %q, %v", got, err)
	}
}

// TestRealKeyringNoPromptLocked: with the login collection locked, a NoPrompt read is
// unavailable at once and the collection stays locked (no prompt was raised). It runs
// in a gnome-keyring of its own, on a private bus, so that locking it leaves the other
// tests' keyring alone.
func TestRealKeyringNoPromptLocked(t *testing.T) {
	ctx := context.Background()
	if os.Getenv("OTPAIR_TEST_LOCKED_KEYRING") == "1" {
		if err := (SystemKeyring{}).Set(ctx, KeyringService, "locked-test", "value"); err != nil {
			t.Fatal(err)
		}
		lock := exec.Command("dbus-send", "--session", "--dest=org.freedesktop.secrets", "--print-reply", "/org/freedesktop/secrets",
			"org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login")
		if out, err := lock.CombinedOutput(); err != nil {
			t.Fatalf("lock the collection: %v\n%s", err, out)
		}
		_, err := SystemKeyring{NoPrompt: true}.Get(ctx, KeyringService, "locked-test")
		if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "locked") {
			t.Errorf("NoPrompt Get of a locked keyring = %v; want unavailable, saying it is locked", err)
		}
		if wouldPrompt() == nil {
			t.Error("the collection was unlocked: something prompted")
		}
		return
	}
	external.Tool(t, "dbus-send", "dbus")
	runSession := external.Tool(t, "dbus-run-session", "dbus")
	external.Tool(t, "gnome-keyring-daemon", "gnome-keyring")
	cmd := exec.Command(runSession, "--", "sh", "-c",
		`echo -n otpair-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$0" -test.run '^TestRealKeyringNoPromptLocked$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "OTPAIR_TEST_LOCKED_KEYRING=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestRealKeyringNoPromptLocked") {
		t.Errorf("the locked-keyring run: %v\n%s", err, out)
	}
}
