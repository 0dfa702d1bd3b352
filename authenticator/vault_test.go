package authenticator

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"github.com/otpair/otpair/provisioning"
	"github.com/zalando/go-keyring"
)

// withBus makes SystemKeyring's D-Bus precheck pass, for go-keyring's mock.
func withBus(k string) string {
	if k == "DBUS_SESSION_BUS_ADDRESS" {
		return "unix:path=/nonexistent"
	}
	return ""
}

// TestKeyringVaultRoundTrip: under go-keyring's mock, a new vault takes the keyring,
// stores accounts, and a second Open reads them back with every field.
func TestKeyringVaultRoundTrip(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	kr := SystemKeyring{Getenv: withBus}
	v := mustOpen(t, memOpts(dir, kr, ""))
	if st := v.Status(); st.Protection != ProtectionKeyring || st.Exists {
		t.Fatalf("new vault status = %+v, want keyring, not existing", st)
	}
	k1 := testKey(t, "GitHub", "alice")
	k2 := testKey(t, "", "bob@example.com")
	k2.Algorithm, k2.Digits, k2.Period = provisioning.SHA512, 8, 60
	k3 := testKey(t, "Bank", "carol")
	k3.Type, k3.Counter, k3.Period = provisioning.HOTP, 7, 0
	k3.Extra = map[string][]string{"image": {"https://example.com/i.png"}}
	res, err := v.Add(context.Background(), k1, k2, k3)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 3 || len(res.Duplicates) != 0 {
		t.Fatalf("Add = %d added, %d dups", len(res.Added), len(res.Duplicates))
	}
	v2 := mustOpen(t, memOpts(dir, kr, ""))
	got := mustAccounts(t, v2)
	if len(got) != 3 {
		t.Fatalf("reopened vault has %d accounts, want 3", len(got))
	}
	for i, want := range []provisioning.Key{k1, k2, k3} {
		if !got[i].Key.Equal(want) {
			t.Errorf("account %d = %v, want %v", i, got[i].Key, want)
		}
		if got[i].ID != res.Added[i].ID || !got[i].Created.Equal(testNow) {
			t.Errorf("account %d id/created = %s %v", i, got[i].ID, got[i].Created)
		}
	}
	st := v2.Status()
	if st.Protection != ProtectionKeyring || !st.Exists || st.Accounts != 3 || st.KeyringUser == "" {
		t.Errorf("status = %+v", st)
	}
	// The identity is in the keyring under the name vault.json gives, and it opens the
	// file with plain age.
	idText, err := keyring.Get(KeyringService, st.KeyringUser)
	if err != nil {
		t.Fatalf("keyring item %s: %v", st.KeyringUser, err)
	}
	id, err := age.ParseX25519Identity(idText)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(st.Path)
	defer f.Close()
	if _, err := age.Decrypt(f, id); err != nil {
		t.Errorf("age cannot decrypt the vault with the keyring identity: %v", err)
	}
}

// TestOneKeyringItem: however many writes, the keyring holds one item for the vault.
func TestOneKeyringItem(t *testing.T) {
	kr := &MemKeyring{}
	dir := t.TempDir()
	for i := range 5 {
		v := mustOpen(t, memOpts(dir, kr, ""))
		if _, err := v.Add(context.Background(), testKey(t, "I", string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if kr.Len() != 1 {
		t.Errorf("keyring holds %d items, want 1", kr.Len())
	}
	if n := len(mustAccounts(t, mustOpen(t, memOpts(dir, kr, "")))); n != 5 {
		t.Errorf("%d accounts, want 5", n)
	}
}

// TestPassphraseFallback: with the keyring unavailable a new vault takes a passphrase
// and says why; the passphrase opens it later, a wrong one is a clear error and
// changes nothing, and a working keyring later does not silently take it over.
func TestPassphraseFallback(t *testing.T) {
	dir := t.TempDir()
	down := &MemKeyring{Err: errors.New("The name org.freedesktop.secrets was not provided by any .service files")}
	var asked int
	o := memOpts(dir, down, "")
	o.Passphrase = fixedPass("correct horse", &asked)
	v := mustOpen(t, o)
	st := v.Status()
	if st.Protection != ProtectionPassphrase || !strings.Contains(st.Reason, "org.freedesktop.secrets") {
		t.Fatalf("status = %+v, want passphrase with the keyring's reason", st)
	}
	if asked != 0 {
		t.Errorf("passphrase asked %d times before any write", asked)
	}
	if _, err := v.Add(context.Background(), testKey(t, "A", "a")); err != nil {
		t.Fatal(err)
	}
	if asked != 1 {
		t.Errorf("passphrase asked %d times for the first write, want 1", asked)
	}
	if _, err := os.Stat(filepath.Join(dir, VaultFileName)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)

	// A working keyring now: the vault stays a passphrase vault.
	up := &MemKeyring{}
	v2 := mustOpen(t, memOpts(dir, up, "correct horse"))
	if v2.Status().Protection != ProtectionPassphrase || up.Len() != 0 {
		t.Errorf("passphrase vault opened as %v with %d keyring items", v2.Status().Protection, up.Len())
	}
	_, err := Open(context.Background(), memOpts(dir, up, "wrong"))
	if !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	_, err = Open(context.Background(), memOpts(dir, up, ""))
	if !errors.Is(err, ErrPassphraseNeeded) {
		t.Errorf("no passphrase: %v, want ErrPassphraseNeeded", err)
	}
	sameFiles(t, dir, before)
}

// TestKeyringVaultNeverDowngrades: a keyring vault whose keyring is unreachable fails
// to open with a message naming the keyring, even with a passphrase at hand, and the
// files are untouched.
func TestKeyringVaultNeverDowngrades(t *testing.T) {
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	if _, err := v.Add(context.Background(), testKey(t, "A", "a")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	kr.Err = errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
	_, err := Open(context.Background(), memOpts(dir, kr, "some passphrase"))
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "never switches") {
		t.Errorf("Open = %v, want ErrKeyringUnavailable saying it never switches", err)
	}
	kr.Err = nil
	// The item gone: a clear error, not a new key.
	kr.Delete(context.Background(), KeyringService, v.Status().KeyringUser)
	_, err = Open(context.Background(), memOpts(dir, kr, "some passphrase"))
	if !errors.Is(err, ErrIdentityMissing) {
		t.Errorf("Open without the item = %v, want ErrIdentityMissing", err)
	}
	sameFiles(t, dir, before)
}

// TestBadVaults: a truncated vault, garbage, an empty file and a vault encrypted to
// another key give clear errors; no write goes through, and the bytes stay as they were.
func TestBadVaults(t *testing.T) {
	kr := &MemKeyring{}
	good := t.TempDir()
	v := mustOpen(t, memOpts(good, kr, ""))
	if _, err := v.Add(context.Background(), testKey(t, "A", "a"), testKey(t, "B", "b")); err != nil {
		t.Fatal(err)
	}
	goodBytes, _ := os.ReadFile(filepath.Join(good, VaultFileName))
	metaBytes, _ := os.ReadFile(filepath.Join(good, MetaFileName))
	other, _ := age.GenerateX25519Identity()
	otherCipher, err := encrypt([]byte(`{"format":"otpair-vault","version":1,"accounts":[]}`), other.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		bytes []byte
		want  error
	}{
		{"truncated body", goodBytes[:len(goodBytes)-20], ErrCorrupt},
		{"truncated header", goodBytes[:40], ErrCorrupt},
		{"garbage", []byte("this is not an age file\x00\x01"), ErrCorrupt},
		{"empty", []byte{}, ErrCorrupt},
		{"other key", otherCipher, ErrWrongKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, VaultFileName), c.bytes, 0o600)
			os.WriteFile(filepath.Join(dir, MetaFileName), metaBytes, 0o600)
			before := snapshot(t, dir)
			_, err := Open(context.Background(), memOpts(dir, kr, ""))
			if !errors.Is(err, c.want) {
				t.Errorf("Open = %v, want %v", err, c.want)
			}
			sameFiles(t, dir, before)
		})
	}
	// A vault damaged after Open: the next write refuses and leaves the damage as is.
	v = mustOpen(t, memOpts(good, kr, ""))
	damaged := goodBytes[:len(goodBytes)-5]
	os.WriteFile(filepath.Join(good, VaultFileName), damaged, 0o600)
	if _, err := v.Add(context.Background(), testKey(t, "C", "c")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Add over a damaged vault = %v, want ErrCorrupt", err)
	}
	if b, _ := os.ReadFile(filepath.Join(good, VaultFileName)); string(b) != string(damaged) {
		t.Error("a damaged vault was overwritten")
	}
}

// TestDuplicates: the same issuer, account and secret is skipped and reported, within
// one call and across calls; a different secret is a new account.
func TestDuplicates(t *testing.T) {
	v := mustOpen(t, memOpts(t.TempDir(), &MemKeyring{}, ""))
	k := testKey(t, "GitHub", "alice")
	res, err := v.Add(context.Background(), k, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1 || len(res.Duplicates) != 1 || res.Duplicates[0].Existing.ID != res.Added[0].ID {
		t.Fatalf("Add(k, k) = %+v", res)
	}
	other := testKey(t, "GitHub", "alice")
	res, err = v.Add(context.Background(), k, other)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1 || len(res.Duplicates) != 1 || !res.Added[0].Key.Equal(other) {
		t.Fatalf("Add(k, other) = %+v", res)
	}
	if n := len(mustAccounts(t, v)); n != 2 {
		t.Errorf("%d accounts, want 2", n)
	}
}

// TestNextHOTP: codes follow RFC 4226's vectors, the counter is stored before each
// code is returned (a fresh Open sees it), and TOTP accounts are refused.
func TestNextHOTP(t *testing.T) {
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	k := provisioning.Key{Type: provisioning.HOTP, Account: "rfc4226", Secret: []byte("12345678901234567890"),
		Algorithm: provisioning.SHA1, Digits: 6}
	res, err := v.Add(context.Background(), k, testKey(t, "T", "totp"))
	if err != nil {
		t.Fatal(err)
	}
	id := res.Added[0].ID
	want := []string{"755224", "287082", "359152", "969429", "338314"}
	for i, w := range want {
		code, counter, err := v.NextHOTP(context.Background(), id)
		if err != nil || code != w || counter != uint64(i) {
			t.Fatalf("NextHOTP #%d = %q, %d, %v; want %q, %d", i, code, counter, err, w, i)
		}
		fresh := mustAccounts(t, mustOpen(t, memOpts(dir, kr, "")))
		if fresh[0].Key.Counter != uint64(i+1) {
			t.Fatalf("after code %d the stored counter is %d, want %d", i, fresh[0].Key.Counter, i+1)
		}
	}
	if _, _, err := v.NextHOTP(context.Background(), res.Added[1].ID); err == nil {
		t.Error("NextHOTP on a TOTP account succeeded")
	}
	// A vault that cannot be written gives no code.
	path := filepath.Join(dir, VaultFileName)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-3], 0o600)
	if code, _, err := v.NextHOTP(context.Background(), id); err == nil || code != "" {
		t.Errorf("NextHOTP over a damaged vault = %q, %v", code, err)
	}
}

// TestRenameDelete: changes are stored; unknown ids are ErrNotFound.
func TestRenameDelete(t *testing.T) {
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	res, _ := v.Add(context.Background(), testKey(t, "A", "a"), testKey(t, "B", "b"))
	if _, err := v.Rename(context.Background(), res.Added[0].ID, "Acme", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(context.Background(), res.Added[1].ID); err != nil {
		t.Fatal(err)
	}
	got := labels(mustAccounts(t, mustOpen(t, memOpts(dir, kr, ""))))
	if len(got) != 1 || got[0] != "Acme: alice" {
		t.Errorf("accounts = %q, want [Acme: alice]", got)
	}
	if err := v.Delete(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete(nope) = %v", err)
	}
	if _, err := v.Rename(context.Background(), "nope", "x", "y"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rename(nope) = %v", err)
	}
}

// TestFind: exact matches win over substrings, case does not matter, ambiguity lists
// the candidates.
func TestFind(t *testing.T) {
	mk := func(id, iss, acc string) Account {
		return Account{ID: id, Key: provisioning.Key{Issuer: iss, Account: acc}}
	}
	accounts := []Account{
		mk("1", "GitHub", "alice"), mk("2", "GitHub", "bob"), mk("3", "GitLab", "alice"),
		mk("4", "Git", "carol"), mk("5", "", "dave@example.com"),
	}
	for q, want := range map[string]string{
		"github:alice": "1", "GitHub: bob": "2", "git": "4", "dave": "5", "CAROL": "4", "3": "3",
		"lab": "3", "DAVE@EXAMPLE.COM": "5",
	} {
		a, err := Find(accounts, q)
		if err != nil || a.ID != want {
			t.Errorf("Find(%q) = %s, %v; want %s", q, a.ID, err, want)
		}
	}
	_, err := Find(accounts, "alice")
	var amb *AmbiguousError
	if !errors.As(err, &amb) || len(amb.Candidates) != 2 || !strings.Contains(err.Error(), "GitLab: alice") {
		t.Errorf("Find(alice) = %v, want ambiguous between two", err)
	}
	if _, err := Find(accounts, "zzz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(zzz) = %v", err)
	}
	if n := len(Filter(accounts, "hub")); n != 2 {
		t.Errorf("Filter(hub) = %d, want 2", n)
	}
}

// TestRekey: keyring to passphrase deletes the keyring item, passphrase to keyring
// creates one; the accounts survive each move and the header says the new protection.
func TestRekey(t *testing.T) {
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, "pass phrase one"))
	if _, err := v.Add(context.Background(), testKey(t, "A", "a")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Rekey(context.Background(), ProtectionKeyring); err == nil {
		t.Error("rekey keyring -> keyring succeeded")
	}
	if _, err := v.Rekey(context.Background(), ProtectionPassphrase); err != nil {
		t.Fatal(err)
	}
	if kr.Len() != 0 {
		t.Errorf("keyring holds %d items after rekey to a passphrase", kr.Len())
	}
	// On disk: the vault sealed to an X25519 key, that key sealed with the passphrase
	// in identity.age, and vault.json saying so.
	b, _ := os.ReadFile(filepath.Join(dir, VaultFileName))
	if s, _ := headerSealing(b); s != sealedX25519 {
		t.Errorf("vault header says %v, want X25519", s)
	}
	idb, _ := os.ReadFile(filepath.Join(dir, IdentityFileName))
	if s, _ := headerSealing(idb); s != sealedScrypt {
		t.Errorf("%s header says %v, want scrypt", IdentityFileName, s)
	}
	if st, err := Inspect(dir); err != nil || st.Protection != ProtectionPassphrase {
		t.Errorf("Inspect = %+v, %v; want passphrase", st, err)
	}
	if _, err := Open(context.Background(), memOpts(dir, kr, "wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("open with a wrong passphrase: %v", err)
	}
	v = mustOpen(t, memOpts(dir, kr, "pass phrase one"))
	if _, err := v.Rekey(context.Background(), ProtectionKeyring); err != nil {
		t.Fatal(err)
	}
	if kr.Len() != 1 {
		t.Errorf("keyring holds %d items after rekey to the keyring", kr.Len())
	}
	if _, err := os.Stat(filepath.Join(dir, IdentityFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there after rekey to the keyring: %v", IdentityFileName, err)
	}
	v = mustOpen(t, memOpts(dir, kr, ""))
	if st := v.Status(); st.Protection != ProtectionKeyring || st.Accounts != 1 {
		t.Errorf("after rekeys: %+v", st)
	}
	// Rekey to the keyring fails cleanly when the keyring is down.
	v = mustOpen(t, memOpts(dir, kr, "pass phrase two"))
	v.Rekey(context.Background(), ProtectionPassphrase)
	kr.Err = errors.New("down")
	before := snapshot(t, dir)
	if _, err := v.Rekey(context.Background(), ProtectionKeyring); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("rekey with the keyring down = %v", err)
	}
	sameFiles(t, dir, before)
}

// TestConcurrentWriters: two Vault values on one folder adding at once lose nothing
// (the lock and the re-read inside it; processes are tested in cmd/otpair).
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	kr := &MemKeyring{}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := Open(context.Background(), memOpts(dir, kr, ""))
			if err != nil {
				errs <- err
				return
			}
			for i := range 25 {
				if _, err := v.Add(context.Background(), testKey(t, "W", string(rune('a'+w))+string(rune('a'+i)))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(mustAccounts(t, mustOpen(t, memOpts(dir, kr, "")))); n != 50 {
		t.Errorf("%d accounts, want 50", n)
	}
	if kr.Len() != 1 {
		t.Errorf("%d keyring items, want 1", kr.Len())
	}
}

// TestSystemKeyringDeadline: a keyring call that does not answer is abandoned at the
// deadline and reported as unavailable.
func TestSystemKeyringDeadline(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	k := SystemKeyring{Timeout: 1, Getenv: withBus}
	err := k.call(context.Background(), "read", func() error { <-block; return nil })
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("call = %v", err)
	}
}

// TestSystemKeyringNoBus: without a session bus the keyring is unavailable at once
// (no dbus-launch autostart).
func TestSystemKeyringNoBus(t *testing.T) {
	k := SystemKeyring{Getenv: func(string) string { return "" }}
	_, err := k.Get(context.Background(), KeyringService, "x")
	if !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("Get without a bus = %v", err)
	}
	// The problem is said once, then how it was found.
	if msg := err.Error(); strings.Count(msg, "session bus") != 1 || !strings.Contains(msg, "DBUS_SESSION_BUS_ADDRESS is unset") {
		t.Errorf("Get without a bus says %q", msg)
	}
}

// TestSystemKeyringErrors: go-keyring's errors map onto ours.
func TestSystemKeyringErrors(t *testing.T) {
	keyring.MockInit()
	k := SystemKeyring{Getenv: withBus}
	if _, err := k.Get(context.Background(), KeyringService, "missing"); !errors.Is(err, ErrKeyringItemNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}
	keyring.MockInitWithError(errors.New("failed to unlock correct collection"))
	defer keyring.MockInit()
	if err := k.Set(context.Background(), KeyringService, "x", "y"); !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("Set on a failing keyring = %v", err)
	}
}

// TestNoPlaintextOnDisk: no file in the data folder holds a secret (raw or base32) or
// the age identity: the keyring item's, or the one identity.age seals with the
// passphrase.
func TestNoPlaintextOnDisk(t *testing.T) {
	for _, mode := range []string{"keyring", "passphrase"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			kr := &MemKeyring{}
			if mode == "passphrase" {
				kr.Err = errors.New("down")
			}
			v := mustOpen(t, memOpts(dir, kr, "pass phrase"))
			var keys []provisioning.Key
			for i := range 20 {
				keys = append(keys, testKey(t, "Issuer", string(rune('a'+i))))
			}
			if _, err := v.Add(context.Background(), keys...); err != nil {
				t.Fatal(err)
			}
			var idText string
			if mode == "passphrase" {
				if v.Status().Protection != ProtectionPassphrase || v.x25519 == nil {
					t.Fatalf("not a passphrase vault with a key: %+v", v.Status())
				}
				idText = v.x25519.String()
			} else {
				idText, _ = kr.Get(context.Background(), KeyringService, v.Status().KeyringUser)
			}
			if !strings.HasPrefix(idText, "AGE-SECRET-KEY-") {
				t.Fatalf("the identity is not an age identity")
			}
			needles := [][]byte{[]byte(idText), []byte(strings.ToLower(idText))}
			for _, k := range keys {
				needles = append(needles, k.Secret, []byte(k.SecretBase32()), []byte(strings.ToLower(k.SecretBase32())))
			}
			files := 0
			filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				files++
				b, _ := os.ReadFile(path)
				for _, n := range needles {
					if strings.Contains(string(b), string(n)) {
						t.Errorf("%s contains a secret", path)
					}
				}
				if bytes.Contains(b, []byte("AGE-SECRET-KEY-")) {
					t.Errorf("%s contains an age identity", path)
				}
				return nil
			})
			want := 2
			if mode == "passphrase" {
				want = 3 // identity.age too
			}
			if files < want {
				t.Errorf("only %d files checked", files)
			}
		})
	}
}

// TestEmptyFileAppears: an empty vault file that appears after Open is damage, not
// "no vault": the next write refuses rather than replace it.
func TestEmptyFileAppears(t *testing.T) {
	dir := t.TempDir()
	v := mustOpen(t, memOpts(dir, &MemKeyring{}, ""))
	os.WriteFile(filepath.Join(dir, VaultFileName), nil, 0o600)
	if _, err := v.Add(context.Background(), testKey(t, "A", "a")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Add over an empty vault file = %v, want ErrCorrupt", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, VaultFileName)); len(b) != 0 {
		t.Error("the empty file was overwritten")
	}
}
