package authenticator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/otpair/otpair/internal/atomicfile"
	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
)

// downKeyring is a keyring that does not answer, so new vaults take a passphrase.
func downKeyring() *MemKeyring {
	return &MemKeyring{Err: errors.New("The name org.freedesktop.secrets was not provided by any .service files")}
}

// TestPassphraseScryptOncePerOpen: a passphrase vault runs scrypt once to seal its new
// key, once per Open to unseal it, and never for a write or a re-read.
func TestPassphraseScryptOncePerOpen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	runs := scryptRuns.Load()
	since := func() int64 { n := scryptRuns.Load() - runs; runs = scryptRuns.Load(); return n }

	v := mustOpen(t, memOpts(dir, downKeyring(), "pass phrase"))
	if n := since(); n != 0 {
		t.Errorf("Open of a new vault ran scrypt %d times, want 0", n)
	}
	if _, err := v.Add(ctx, testKey(t, "First", "a")); err != nil {
		t.Fatal(err)
	}
	if n := since(); n != 1 {
		t.Errorf("creating the vault ran scrypt %d times, want 1 (sealing its key)", n)
	}
	if fi, err := os.Stat(filepath.Join(dir, IdentityFileName)); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Errorf("%s: %v, mode %v; want 0600", IdentityFileName, err, fi.Mode())
	}
	// A temporary file a crashed writer left is removed by the next writer.
	stale := filepath.Join(dir, IdentityFileName+atomicfile.TempSuffix+"0123")
	os.WriteFile(stale, []byte("left by a crash"), 0o600)
	hotp := testKey(t, "Counter", "h")
	hotp.Type, hotp.Period = provisioning.HOTP, 0
	if _, err := v.Add(ctx, hotp); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale %s is still there: %v", stale, err)
	}
	v2 := mustOpen(t, memOpts(dir, downKeyring(), "pass phrase"))
	if n := since(); n != 1 {
		t.Errorf("Open of an existing vault ran scrypt %d times, want 1", n)
	}
	const writes = 20
	for i := range writes {
		if _, err := v2.Add(ctx, testKey(t, "W", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	as := mustAccounts(t, v2)
	if _, _, err := v2.NextHOTP(ctx, as[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Rename(ctx, as[0].ID, "Renamed", "a"); err != nil {
		t.Fatal(err)
	}
	if err := v2.Delete(ctx, as[2].ID); err != nil {
		t.Fatal(err)
	}
	// The first Vault re-reads what the second wrote, with the key it holds.
	if got := mustAccounts(t, v); len(got) != writes+1 {
		t.Errorf("%d accounts, want %d", len(got), writes+1)
	}
	if n := since(); n != 0 {
		t.Errorf("%d writes and re-reads after Open ran scrypt %d times, want 0", writes+3, n)
	}
}

// legacyVault writes a vault as older otpair versions did: vault.json without a
// protection, vault.age sealed with the passphrase directly.
func legacyVault(t *testing.T, dir, pass string, keys ...provisioning.Key) []byte {
	t.Helper()
	var as []Account
	for _, k := range keys {
		id, err := newID()
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, Account{ID: id, Key: k, Created: testNow})
	}
	plain, err := marshalAccounts(as)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := age.NewScryptRecipient(pass)
	r.SetWorkFactor(4)
	cipher, err := encrypt(plain, r)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, 0o700)
	if err := writeMeta(dir, &meta{Format: metaFormat, ID: "0123456789abcdef", KeyringService: KeyringService, KeyringUser: "vault-0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, VaultFileName), cipher, 0o600); err != nil {
		t.Fatal(err)
	}
	return cipher
}

// TestLegacyPassphraseVault: a vault sealed with the passphrase directly still opens
// (and a wrong passphrase changes nothing); its next write moves the key into
// identity.age, after which writes run no scrypt.
func TestLegacyPassphraseVault(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	k := testKey(t, "Old", "format")
	legacyVault(t, dir, "old passphrase", k)
	before := snapshot(t, dir)
	if st, err := Inspect(dir); err != nil || st.Protection != ProtectionPassphrase {
		t.Errorf("Inspect = %+v, %v", st, err)
	}
	up := &MemKeyring{}
	if _, err := Open(ctx, memOpts(dir, up, "wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if _, err := Open(ctx, memOpts(dir, up, "")); !errors.Is(err, ErrPassphraseNeeded) {
		t.Errorf("no passphrase: %v", err)
	}
	v := mustOpen(t, memOpts(dir, up, "old passphrase"))
	if as := mustAccounts(t, v); len(as) != 1 || !bytes.Equal(as[0].Key.Secret, k.Secret) {
		t.Fatalf("legacy vault: %d accounts", len(as))
	}
	if st := v.Status(); st.Protection != ProtectionPassphrase || up.Len() != 0 {
		t.Errorf("legacy vault opened as %v with %d keyring items", st.Protection, up.Len())
	}
	sameFiles(t, dir, before)

	runs := scryptRuns.Load()
	if _, err := v.Add(ctx, testKey(t, "New", "one")); err != nil {
		t.Fatal(err)
	}
	if n := scryptRuns.Load() - runs; n != 1 {
		t.Errorf("the move to identity.age ran scrypt %d times, want 1", n)
	}
	runs = scryptRuns.Load()
	for i := range 5 {
		if _, err := v.Add(ctx, testKey(t, "More", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := scryptRuns.Load() - runs; n != 0 {
		t.Errorf("writes after the move ran scrypt %d times", n)
	}
	b, _ := os.ReadFile(filepath.Join(dir, VaultFileName))
	if s, _ := headerSealing(b); s != sealedX25519 {
		t.Errorf("after the move the vault is sealed %v", s)
	}
	m, _ := readMeta(dir)
	if m == nil || m.Protection != metaPassphrase || m.KeyringUser != "vault-0123456789abcdef" {
		t.Errorf("vault.json after the move: %+v", m)
	}
	v2 := mustOpen(t, memOpts(dir, up, "old passphrase"))
	if n := len(mustAccounts(t, v2)); n != 7 || up.Len() != 0 {
		t.Errorf("after the move: %d accounts, %d keyring items", n, up.Len())
	}
	// The moved vault holds the new key: it re-reads another writer's change without
	// scrypt.
	if _, err := v2.Add(ctx, testKey(t, "Other", "writer")); err != nil {
		t.Fatal(err)
	}
	runs = scryptRuns.Load()
	if n := len(mustAccounts(t, v)); n != 8 {
		t.Errorf("re-read after another writer: %d accounts, want 8", n)
	}
	if n := scryptRuns.Load() - runs; n != 0 {
		t.Errorf("re-reading after the move ran scrypt %d times", n)
	}
	if _, err := Open(ctx, memOpts(dir, up, "wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase after the move: %v", err)
	}
}

// TestNoFallbackBetweenProtections: a passphrase vault without identity.age is a clear
// error even with a working keyring holding an item of that name, and a keyring vault
// without its item is an error even with an identity.age and a passphrase at hand;
// neither asks for or touches the other, and no file changes.
func TestNoFallbackBetweenProtections(t *testing.T) {
	ctx := context.Background()
	t.Run("passphrase vault, identity.age gone", func(t *testing.T) {
		dir := t.TempDir()
		v := mustOpen(t, memOpts(dir, downKeyring(), "pass phrase"))
		if _, err := v.Add(ctx, testKey(t, "A", "a")); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(dir, IdentityFileName))
		up := &MemKeyring{}
		id, _ := age.GenerateX25519Identity()
		m, _ := readMeta(dir)
		up.Set(ctx, KeyringService, m.KeyringUser, id.String())
		before := snapshot(t, dir)
		_, err := Open(ctx, memOpts(dir, up, "pass phrase"))
		if !errors.Is(err, ErrIdentityMissing) || !strings.Contains(err.Error(), IdentityFileName) || !strings.Contains(err.Error(), "never falls back") {
			t.Errorf("Open = %v, want ErrIdentityMissing naming %s", err, IdentityFileName)
		}
		if st, err := Inspect(dir); err != nil || st.Protection != ProtectionPassphrase {
			t.Errorf("Inspect = %+v, %v", st, err)
		}
		sameFiles(t, dir, before)
		if up.Len() != 1 {
			t.Errorf("keyring has %d items", up.Len())
		}
	})
	t.Run("keyring vault, item gone, identity.age present", func(t *testing.T) {
		dir := t.TempDir()
		kr := &MemKeyring{}
		v := mustOpen(t, memOpts(dir, kr, ""))
		if _, err := v.Add(ctx, testKey(t, "A", "a")); err != nil {
			t.Fatal(err)
		}
		id, _ := age.GenerateX25519Identity()
		b, _ := wrapIdentity(id, "pass phrase", 4)
		os.WriteFile(filepath.Join(dir, IdentityFileName), b, 0o600)
		kr.Delete(ctx, KeyringService, v.Status().KeyringUser)
		before := snapshot(t, dir)
		var asked int
		o := memOpts(dir, kr, "")
		o.Passphrase = fixedPass("pass phrase", &asked)
		if _, err := Open(ctx, o); !errors.Is(err, ErrIdentityMissing) || asked != 0 {
			t.Errorf("Open = %v (passphrase asked %d times), want ErrIdentityMissing and no passphrase", err, asked)
		}
		sameFiles(t, dir, before)
	})
	t.Run("identity.age damaged or another vault's", func(t *testing.T) {
		dir := t.TempDir()
		v := mustOpen(t, memOpts(dir, downKeyring(), "pass phrase"))
		if _, err := v.Add(ctx, testKey(t, "A", "a")); err != nil {
			t.Fatal(err)
		}
		idPath := filepath.Join(dir, IdentityFileName)
		good, _ := os.ReadFile(idPath)
		os.WriteFile(idPath, good[:len(good)-20], 0o600)
		before := snapshot(t, dir)
		if _, err := Open(ctx, memOpts(dir, downKeyring(), "pass phrase")); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), idPath) {
			t.Errorf("truncated identity.age: %v", err)
		}
		sameFiles(t, dir, before)
		other, _ := age.GenerateX25519Identity()
		b, _ := wrapIdentity(other, "pass phrase", 4)
		os.WriteFile(idPath, b, 0o600)
		before = snapshot(t, dir)
		if _, err := Open(ctx, memOpts(dir, downKeyring(), "pass phrase")); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), IdentityFileName) {
			t.Errorf("another vault's identity.age: %v", err)
		}
		sameFiles(t, dir, before)
	})
}

// TestCrashAtEveryStep: each change that writes more than vault.age (creating a
// passphrase vault, moving a legacy one, a rekey in every direction) is stopped after
// each of its durable steps, as a crash would stop it. The folder then opens, with the
// old key or the new one, holding every account, and the next write works.
func TestCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	type scenario struct {
		name    string
		setup   func(t *testing.T, dir string, kr *MemKeyring) // the state before
		change  func(t *testing.T, dir string, kr *MemKeyring) error
		opens   []string // passphrases that may open the result ("" for the keyring)
		minAccs int
	}
	add := func(o Options) error {
		v, err := Open(ctx, o)
		if err != nil {
			return err
		}
		_, err = v.Add(ctx, testKey(t, "Step", "x"))
		return err
	}
	rekey := func(pass string, to Protection) func(t *testing.T, dir string, kr *MemKeyring) error {
		return func(t *testing.T, dir string, kr *MemKeyring) error {
			v, err := Open(ctx, memOpts(dir, kr, pass))
			if err != nil {
				return err
			}
			if to == ProtectionPassphrase {
				v.opts.Passphrase = func(_ context.Context, req PassphraseRequest) (string, error) {
					if req.New {
						return "new passphrase", nil
					}
					return pass, nil
				}
			}
			_, err = v.Rekey(ctx, to)
			return err
		}
	}
	keyringVault := func(t *testing.T, dir string, kr *MemKeyring) {
		if err := add(memOpts(dir, kr, "")); err != nil {
			t.Fatal(err)
		}
	}
	passVault := func(t *testing.T, dir string, kr *MemKeyring) {
		kr.Err = errors.New("down")
		defer func() { kr.Err = nil }()
		if err := add(memOpts(dir, kr, "old passphrase")); err != nil {
			t.Fatal(err)
		}
	}
	legacy := func(t *testing.T, dir string, kr *MemKeyring) {
		legacyVault(t, dir, "old passphrase", testKey(t, "Old", "o"))
	}
	scenarios := []scenario{
		{"new passphrase vault", func(*testing.T, string, *MemKeyring) {},
			func(t *testing.T, dir string, kr *MemKeyring) error {
				return add(memOpts(dir, downKeyring(), "old passphrase"))
			}, []string{"old passphrase"}, 0},
		{"legacy move", legacy,
			func(t *testing.T, dir string, kr *MemKeyring) error { return add(memOpts(dir, kr, "old passphrase")) }, []string{"old passphrase"}, 1},
		{"keyring to passphrase", keyringVault, rekey("", ProtectionPassphrase), []string{"", "new passphrase"}, 1},
		{"passphrase to keyring", passVault, rekey("old passphrase", ProtectionKeyring), []string{"old passphrase", ""}, 1},
		{"passphrase to passphrase", passVault, rekey("old passphrase", ProtectionPassphrase), []string{"old passphrase", "new passphrase"}, 1},
		{"legacy to keyring", legacy, rekey("old passphrase", ProtectionKeyring), []string{"old passphrase", ""}, 1},
		{"legacy to passphrase", legacy, rekey("old passphrase", ProtectionPassphrase), []string{"old passphrase", "new passphrase"}, 1},
	}
	defer func() { testHookStep = nil }()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// A clean run names the steps.
			var steps []string
			kr := &MemKeyring{}
			dir := t.TempDir()
			sc.setup(t, dir, kr)
			testHookStep = func(s string) error { steps = append(steps, s); return nil }
			if err := sc.change(t, dir, kr); err != nil {
				t.Fatal(err)
			}
			testHookStep = nil
			if len(steps) < 2 {
				t.Fatalf("only steps %v", steps)
			}
			for i, s := range steps {
				kr := &MemKeyring{}
				dir := t.TempDir()
				sc.setup(t, dir, kr)
				n := 0
				testHookStep = func(string) error {
					if n++; n == i+1 {
						return errors.New("crash")
					}
					return nil
				}
				err := sc.change(t, dir, kr)
				testHookStep = nil
				if err == nil || err.Error() != "crash" {
					t.Fatalf("crash after %s: change = %v", s, err)
				}
				atomicfile.RemoveStale(filepath.Join(dir, VaultFileName))
				var v *Vault
				var errs []string
				for _, pass := range sc.opens {
					v, err = Open(ctx, memOpts(dir, kr, pass))
					if err == nil {
						break
					}
					errs = append(errs, err.Error())
				}
				if v == nil {
					t.Fatalf("crash after %s (step %d): the vault opens with neither key: %s", s, i+1, strings.Join(errs, "; "))
				}
				if n := len(mustAccounts(t, v)); n < sc.minAccs {
					t.Errorf("crash after %s: %d accounts, want at least %d", s, n, sc.minAccs)
				}
				if _, err := v.Add(ctx, testKey(t, "After", "crash")); err != nil {
					t.Errorf("crash after %s: the next write: %v", s, err)
				}
				reopened := false
				for _, pass := range sc.opens {
					if v2, err := Open(ctx, memOpts(dir, kr, pass)); err == nil && len(mustAccounts(t, v2)) == sc.minAccs+1 {
						reopened = true
						break
					}
				}
				if !reopened {
					t.Errorf("crash after %s: the vault does not open after the next write", s)
				}
			}
		})
	}
}

// TestAgeCLIPassphraseRecipe: the documented way to open a passphrase vault by hand
// with the stock age CLI. identity.age opens with age's own scrypt identity and holds
// an identity file that `age -d -i FILE` takes; and where `script` can give age the
// terminal it reads passphrases from, the one-liner
// `age -d -i <(age -d identity.age) vault.age` itself.
func TestAgeCLIPassphraseRecipe(t *testing.T) {
	ageTool := external.Tool(t, "age", "age")
	dir := t.TempDir()
	ctx := context.Background()
	o := memOpts(dir, downKeyring(), "horse battery")
	o.ScryptWorkFactor = 10
	v := mustOpen(t, o)
	var keys []provisioning.Key
	for i := range 3 {
		keys = append(keys, testKey(t, "CLI", fmt.Sprint(i)))
	}
	if _, err := v.Add(ctx, keys...); err != nil {
		t.Fatal(err)
	}
	check := func(how string, plain []byte) {
		t.Helper()
		var d vaultData
		if err := json.Unmarshal(plain, &d); err != nil || len(d.Accounts) != 3 || d.Accounts[0].Secret != keys[0].SecretBase32() {
			t.Errorf("%s: output is not the vault (%v, %d accounts)", how, err, len(d.Accounts))
		}
	}
	// identity.age with plain filippo.io/age, then vault.age with the age CLI.
	sid, _ := age.NewScryptIdentity("horse battery")
	f, _ := os.Open(filepath.Join(dir, IdentityFileName))
	r, err := age.Decrypt(f, sid)
	if err != nil {
		t.Fatalf("identity.age does not open with the passphrase: %v", err)
	}
	idFile := filepath.Join(t.TempDir(), "id.txt")
	var idText bytes.Buffer
	idText.ReadFrom(r)
	f.Close()
	os.WriteFile(idFile, idText.Bytes(), 0o600)
	out, err := exec.Command(ageTool, "-d", "-i", idFile, filepath.Join(dir, VaultFileName)).Output()
	if err != nil {
		t.Fatalf("age -d -i id.txt vault.age: %v", err)
	}
	check("age -d -i id.txt vault.age", out)
	if !bytes.Contains(idText.Bytes(), []byte("AGE-SECRET-KEY-")) {
		t.Error("identity.age does not hold an age identity")
	}

	// The one-liner, with age reading the passphrase from a terminal made by script.
	script := external.Tool(t, "script", "bsdutils")
	bash := external.Tool(t, "bash", "bash")
	outFile := filepath.Join(t.TempDir(), "out.json")
	line := fmt.Sprintf(`%s -c '%s -d -o %s -i <(%s -d %s) %s'`, bash, ageTool, outFile, ageTool,
		filepath.Join(dir, IdentityFileName), filepath.Join(dir, VaultFileName))
	cmd := exec.Command(script, "-qec", line, "/dev/null")
	cmd.Stdin = strings.NewReader("horse battery\n")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("script -c %q: %v\n%s", line, err, msg)
	}
	plain, _ := os.ReadFile(outFile)
	check("age -d -i <(age -d identity.age) vault.age", plain)
}

// BenchmarkPassphraseWrite: one change (a rename) to an open passphrase vault of 100
// accounts at age's default scrypt work factor, against the same change to a keyring
// vault. The scrypt of Open is outside the loop; writes run none (see
// TestPassphraseScryptOncePerOpen), so the two should be alike.
func BenchmarkPassphraseWrite(b *testing.B) {
	for _, mode := range []string{"keyring", "passphrase"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			kr := &MemKeyring{}
			if mode == "passphrase" {
				kr.Err = errors.New("down")
			}
			o := memOpts(dir, kr, "bench pw")
			o.ScryptWorkFactor = 0 // age's default: what users get
			v := mustOpen(b, o)
			var keys []provisioning.Key
			for i := range 100 {
				keys = append(keys, testKey(b, "Bench", fmt.Sprint(i)))
			}
			if _, err := v.Add(ctx, keys...); err != nil {
				b.Fatal(err)
			}
			v = mustOpen(b, o)
			id := mustAccounts(b, v)[0].ID
			runs := scryptRuns.Load()
			i := 0
			for b.Loop() {
				i++
				if _, err := v.Rename(ctx, id, "Bench", fmt.Sprint("renamed", i)); err != nil {
					b.Fatal(err)
				}
			}
			if n := scryptRuns.Load() - runs; n != 0 {
				b.Fatalf("%d writes ran scrypt %d times", i, n)
			}
		})
	}
}
