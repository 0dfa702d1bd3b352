package authenticator

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// testNow is the fixed clock of these tests.
var testNow = time.Date(2026, 11, 25, 1, 2, 3, 0, time.UTC)

// testKey is a TOTP key with a fresh random secret.
func testKey(t testing.TB, issuer, account string) provisioning.Key {
	t.Helper()
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return provisioning.Key{Type: provisioning.TOTP, Issuer: issuer, Account: account, Secret: secret,
		Algorithm: provisioning.SHA1, Digits: 6, Period: 30}
}

// fixedPass is a PassphraseFunc that always gives pass and counts how often it is asked.
func fixedPass(pass string, asked *int) PassphraseFunc {
	return func(context.Context, PassphraseRequest) (string, error) {
		if asked != nil {
			*asked++
		}
		return pass, nil
	}
}

// memOpts are options for a vault in dir over the in-memory keyring kr, with a cheap
// scrypt so passphrase tests stay fast.
func memOpts(dir string, kr Keyring, pass string) Options {
	o := Options{Dir: dir, Keyring: kr, Now: func() time.Time { return testNow }, ScryptWorkFactor: 4}
	if pass != "" {
		o.Passphrase = fixedPass(pass, nil)
	}
	return o
}

func mustOpen(t testing.TB, o Options) *Vault {
	t.Helper()
	v, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return v
}

func mustAccounts(t testing.TB, v *Vault) []Account {
	t.Helper()
	as, err := v.Accounts(context.Background())
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	return as
}

// snapshot reads every file in dir, to show later that nothing changed.
func snapshot(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sameFiles(t testing.TB, dir string, before map[string][]byte) {
	t.Helper()
	after := snapshot(t, dir)
	for name, b := range before {
		if name == LockFileName {
			continue
		}
		if !bytes.Equal(after[name], b) {
			t.Errorf("%s changed", name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok && name != LockFileName {
			t.Errorf("new file %s appeared", name)
		}
	}
}

func labels(as []Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Label()
	}
	return out
}

// uriOf writes a key as a URI for import tests.
func uriOf(k provisioning.Key) string {
	u := k.URI()
	if u == "" {
		panic(fmt.Sprintf("Key.URI empty for %v", k))
	}
	return u
}
