package authenticator

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/atomicfile"
	"github.com/otpair/otpair/provisioning"
)

// lowerVaultLimit makes the vault size limit limit bytes for the rest of the test, so
// that a vault over it takes kilobytes rather than 64 MB.
func lowerVaultLimit(t *testing.T, limit int64) {
	t.Helper()
	old := maxVaultBytes
	maxVaultBytes = limit
	t.Cleanup(func() { maxVaultBytes = old })
}

// TestImportRefusesOversizedKey: a URI with a secret far over the limit is refused at
// import, naming the field and the limit, and the vault still opens. Before, it was
// "1 added" (with 70 MB, every later command then failed).
func TestImportRefusesOversizedKey(t *testing.T) {
	dir := t.TempDir()
	v := mustOpen(t, memOpts(dir, &MemKeyring{}, ""))
	if _, err := v.Add(context.Background(), testKey(t, "Good", "one")); err != nil {
		t.Fatal(err)
	}
	secret := func(n int) string { return base32.StdEncoding.EncodeToString(make([]byte, n)) }
	file := filepath.Join(dir, "huge.txt")
	lines := "otpauth://totp/Big:x?secret=" + secret(4096) + "\notpauth://totp/Huge:x?secret=" + secret(1<<20) + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := v.Import(context.Background(), []string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 0 || len(res.Failed) != 2 {
		t.Fatalf("Import = %d added, failures %v; want both refused", len(res.Added), res.Err())
	}
	for i, want := range []string{"secret: is 4096 bytes, more than the 256", "uri: is 1638 KiB, more than the 128 KiB"} {
		if !errors.Is(res.Failed[i].Err, provisioning.ErrInvalidKey) || !strings.Contains(res.Failed[i].Error(), want) {
			t.Errorf("failure %d = %v; want %q", i, res.Failed[i].Err, want)
		}
	}
	if got := mustAccounts(t, mustOpen(t, memOpts(dir, v.opts.Keyring, ""))); len(got) != 1 {
		t.Errorf("the vault holds %d accounts, want the one it had", len(got))
	}
}

// TestAddAppliesKeyLimits: keys that reach the vault by any other road (a form, a
// backup importer) meet the same limits, and so does a rename.
func TestAddAppliesKeyLimits(t *testing.T) {
	v := mustOpen(t, memOpts(t.TempDir(), &MemKeyring{}, ""))
	long := testKey(t, "Issuer", "alice")
	long.Secret = make([]byte, provisioning.MaxSecretBytes+1)
	manyParams := testKey(t, "Issuer", "bob")
	manyParams.Extra = url.Values{"image": {strings.Repeat("x", provisioning.MaxParamValueBytes+1)}}
	for field, k := range map[string]provisioning.Key{"secret": long, "image": manyParams} {
		_, err := v.Add(context.Background(), k)
		var fe *provisioning.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("Add with %s over its limit: %v", field, err)
		}
	}
	res, err := v.Add(context.Background(), testKey(t, "Issuer", "carol"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Rename(context.Background(), res.Added[0].ID, strings.Repeat("i", provisioning.MaxNameBytes+1), "carol"); err == nil ||
		!strings.Contains(err.Error(), "issuer: is 513 bytes, more than the 512") {
		t.Errorf("Rename to a 513-byte issuer: %v", err)
	}
	if len(mustAccounts(t, v)) != 1 {
		t.Error("a refused key was stored")
	}
}

// TestWriterRefusesVaultReaderRefuses: a change that would make the vault file larger
// than the reader accepts is refused with ErrVaultTooLarge and nothing is written; the
// vault keeps opening. One limit, maxVaultBytes, serves both (lowered here to 16 KB).
func TestWriterRefusesVaultReaderRefuses(t *testing.T) {
	lowerVaultLimit(t, 16<<10)
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	var stored int
	for i := range 100 {
		k := testKey(t, "Issuer", strings.Repeat("a", 400)+string(rune('A'+i%26))+string(rune('a'+i/26)))
		k.Extra = url.Values{"note": {strings.Repeat("n", provisioning.MaxParamValueBytes)}}
		before := snapshot(t, dir)
		_, err := v.Add(context.Background(), k)
		if err == nil {
			stored++
			continue
		}
		if !errors.Is(err, ErrVaultTooLarge) || !strings.Contains(err.Error(), "more than the 16 KiB otpair reads; nothing was written") {
			t.Fatalf("Add #%d: %v; want ErrVaultTooLarge", i, err)
		}
		sameFiles(t, dir, before)
		break
	}
	if stored == 0 || stored == 100 {
		t.Fatalf("%d accounts stored before the limit; the test does not reach it", stored)
	}
	st, err := os.Stat(filepath.Join(dir, VaultFileName))
	if err != nil || st.Size() > maxVaultBytes {
		t.Fatalf("vault file: %v, %v", st, err)
	}
	if got := mustAccounts(t, mustOpen(t, memOpts(dir, kr, ""))); len(got) != stored {
		t.Errorf("the vault reopens with %d accounts, want %d", len(got), stored)
	}
}

// oversizedVault writes, as otpair before the limits did, a vault of good accounts plus
// one whose secret makes the file larger than maxVaultBytes. It returns the good
// accounts and the big one.
func oversizedVault(t *testing.T, dir string, kr Keyring) (good []Account, big Account) {
	t.Helper()
	v := mustOpen(t, memOpts(dir, kr, ""))
	res, err := v.Add(context.Background(), testKey(t, "Good", "one"), testKey(t, "Good", "two"))
	if err != nil {
		t.Fatal(err)
	}
	good = res.Added
	bigKey := testKey(t, "Huge", "secret")
	bigKey.Secret = bytes.Repeat([]byte{0x5a}, int(maxVaultBytes)) // base32 makes it 1.6 times larger
	big = Account{ID: "0123456789abcdef", Key: bigKey, Created: testNow}
	plain, err := marshalAccounts(append(append([]Account(nil), good...), big))
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := encrypt(plain, v.recipient)
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(v.path, cipher); err != nil {
		t.Fatal(err)
	}
	return good, big
}

// TestRepairOversizedVault: a vault made too large by an account over the limits
// (every command failed, "rm" included) opens no more, with an error that names
// 'otpair vault repair'; Repair shows the account to drop and why, and after a yes
// writes the vault without it. The good accounts are all back, the old file is kept
// encrypted beside it, and no secret reaches the disk in plain text.
func TestRepairOversizedVault(t *testing.T) {
	lowerVaultLimit(t, 64<<10)
	dir := t.TempDir()
	kr := &MemKeyring{}
	good, big := oversizedVault(t, dir, kr)
	oldFile, err := os.ReadFile(filepath.Join(dir, VaultFileName))
	if err != nil {
		t.Fatal(err)
	}

	_, err = Open(context.Background(), memOpts(dir, kr, ""))
	if !errors.Is(err, ErrVaultTooLarge) || !strings.Contains(err.Error(), "otpair vault repair") {
		t.Fatalf("Open of the oversized vault: %v; want ErrVaultTooLarge naming the repair", err)
	}

	// No: nothing changes.
	before := snapshot(t, dir)
	_, err = Repair(context.Background(), memOpts(dir, kr, ""), 0, func([]Dropped, int) (bool, error) { return false, nil })
	if !errors.Is(err, ErrRepairDeclined) {
		t.Fatalf("declined repair: %v", err)
	}
	sameFiles(t, dir, before)

	// Yes.
	var shown []Dropped
	res, err := Repair(context.Background(), memOpts(dir, kr, ""), 0, func(drop []Dropped, keep int) (bool, error) {
		if keep != len(good) {
			t.Errorf("confirm was told %d accounts stay, want %d", keep, len(good))
		}
		shown = drop
		return true, nil
	})
	if err != nil {
		t.Fatalf("Repair: %v", err)
	}
	var fe *provisioning.FieldError
	if len(shown) != 1 || shown[0].Account.ID != big.ID || !errors.As(shown[0].Reason, &fe) || fe.Field != "secret" {
		t.Fatalf("confirm was shown %v; want the big account and its secret", shown)
	}
	if len(res.Dropped) != 1 || res.Kept != len(good) || res.Backup == "" {
		t.Errorf("result = %+v", res)
	}
	got := mustAccounts(t, mustOpen(t, memOpts(dir, kr, "")))
	if len(got) != len(good) {
		t.Fatalf("after the repair: %v; want %v", labels(got), labels(good))
	}
	for i := range good {
		if got[i].ID != good[i].ID || !got[i].Key.Equal(good[i].Key) {
			t.Errorf("account %d came back as %v, want %v", i, got[i], good[i])
		}
	}
	backup, err := os.ReadFile(res.Backup)
	if err != nil || !bytes.Equal(backup, oldFile) {
		t.Errorf("backup %s: %v; want the old vault file as it was", res.Backup, err)
	}
	// No secret in plain text anywhere in the folder, base32 or raw.
	for name, b := range snapshot(t, dir) {
		for _, a := range append(good, big) {
			for _, leak := range [][]byte{a.Key.Secret[:16], []byte(a.Key.SecretBase32()[:16])} {
				if bytes.Contains(b, leak) {
					t.Errorf("%s holds a secret of %s in plain text", name, a.ID)
				}
			}
		}
	}

	// A healthy vault: nothing to do, confirm not asked, no backup.
	res, err = Repair(context.Background(), memOpts(dir, kr, ""), 0, func([]Dropped, int) (bool, error) {
		t.Error("confirm asked with nothing to drop")
		return true, nil
	})
	if err != nil || len(res.Dropped) != 0 || res.Backup != "" || res.Kept != len(good) {
		t.Errorf("Repair of a healthy vault = %+v, %v", res, err)
	}
}

// TestRepairLimit: a vault file larger than the repair's own limit is refused too,
// naming it.
func TestRepairLimit(t *testing.T) {
	lowerVaultLimit(t, 64<<10)
	dir := t.TempDir()
	kr := &MemKeyring{}
	oversizedVault(t, dir, kr)
	_, err := Repair(context.Background(), memOpts(dir, kr, ""), 96<<10, func([]Dropped, int) (bool, error) { return true, nil })
	if !errors.Is(err, ErrVaultTooLarge) {
		t.Errorf("Repair under a limit below the file: %v", err)
	}
}

// TestNextHOTPAtMaximum: a counter at 2^64-1 is refused with ErrCounterExhausted and
// stays where it is; it used to wrap to 0 and repeat every code. The one below it is
// still handed out, and the counter saved before the code, as always.
func TestNextHOTPAtMaximum(t *testing.T) {
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	k := testKey(t, "Bank", "hotp")
	k.Type, k.Period, k.Counter = provisioning.HOTP, 0, math.MaxUint64-1
	res, err := v.Add(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Added[0].ID
	code, counter, err := v.NextHOTP(context.Background(), id)
	want, _ := k.CounterCode(math.MaxUint64 - 1)
	if err != nil || counter != math.MaxUint64-1 || code != want {
		t.Fatalf("NextHOTP at 2^64-2 = %q, %d, %v; want %q", code, counter, err, want)
	}
	before := snapshot(t, dir)
	code, _, err = v.NextHOTP(context.Background(), id)
	if !errors.Is(err, ErrCounterExhausted) || code != "" {
		t.Fatalf("NextHOTP at 2^64-1 = %q, %v; want ErrCounterExhausted and no code", code, err)
	}
	sameFiles(t, dir, before)
	if got := mustAccounts(t, mustOpen(t, memOpts(dir, kr, ""))); got[0].Key.Counter != math.MaxUint64 {
		t.Errorf("stored counter = %d, want 2^64-1", got[0].Key.Counter)
	}
}
