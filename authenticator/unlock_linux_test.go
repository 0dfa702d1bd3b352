//go:build linux

package authenticator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/otpair/otpair/authenticator/identitycache"
	"github.com/otpair/otpair/internal/external"
)

// These tests use the real kernel keyring, each in a fresh session keyring of its own
// (external.SessionKeyring), so they never see or touch the developer's keys.

// unlockedVault makes a passphrase vault in dir with one account, opens it with the
// passphrase and keeps its identity in cache for ttl.
func unlockedVault(t *testing.T, dir string, cache identitycache.Cache, ttl time.Duration) {
	t.Helper()
	v := mustOpen(t, memOpts(dir, downKeyring(), "pass phrase"))
	if _, err := v.Add(context.Background(), testKey(t, "Cached", dir)); err != nil {
		t.Fatal(err)
	}
	v = mustOpen(t, memOpts(dir, downKeyring(), "pass phrase"))
	if _, err := v.CacheIdentity(cache, ttl); err != nil {
		t.Fatalf("CacheIdentity: %v", err)
	}
}

// noPassOpts open dir with the cache and no passphrase at all: only the cache can open it.
func noPassOpts(dir string, cache identitycache.Cache) Options {
	o := memOpts(dir, downKeyring(), "")
	o.IdentityCache = cache
	return o
}

func TestUnlockedVaultSkipsScrypt(t *testing.T) {
	external.SessionKeyring(t)
	dir := t.TempDir()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cache := identitycache.Kernel{Now: func() time.Time { return now }}
	unlockedVault(t, dir, cache, 15*time.Minute)

	runs := scryptRuns.Load()
	v, err := Open(context.Background(), noPassOpts(dir, cache))
	if err != nil {
		t.Fatalf("Open of an unlocked vault without a passphrase: %v", err)
	}
	if as := mustAccounts(t, v); len(as) != 1 || as[0].Key.Issuer != "Cached" {
		t.Errorf("accounts %v", labels(as))
	}
	if n := scryptRuns.Load() - runs; n != 0 {
		t.Errorf("Open of an unlocked vault ran scrypt %d times, want 0", n)
	}
	// Writes work with the cached key too, and keep it valid.
	if _, err := v.Add(context.Background(), testKey(t, "Second", "b")); err != nil {
		t.Fatal(err)
	}
	until, err := CachedUntil(dir, cache)
	if err != nil || !until.Equal(now.Add(15*time.Minute)) {
		t.Errorf("CachedUntil = %v, %v; want %v", until, err, now.Add(15*time.Minute))
	}

	found, err := ForgetIdentity(dir, cache)
	if err != nil || !found {
		t.Fatalf("ForgetIdentity = %v, %v", found, err)
	}
	if _, err := Open(context.Background(), noPassOpts(dir, cache)); !errors.Is(err, ErrPassphraseNeeded) {
		t.Errorf("Open after ForgetIdentity: %v, want ErrPassphraseNeeded", err)
	}
	if _, err := CachedUntil(dir, cache); !errors.Is(err, identitycache.ErrNotCached) {
		t.Errorf("CachedUntil after ForgetIdentity: %v", err)
	}
	if found, err := ForgetIdentity(dir, cache); err != nil || found {
		t.Errorf("a second ForgetIdentity = %v, %v", found, err)
	}
}

// TestUnlockIsPerVault: the identity of one vault never opens another, not even a
// byte-for-byte copy of it in another folder.
func TestUnlockIsPerVault(t *testing.T) {
	external.SessionKeyring(t)
	cache := identitycache.Kernel{}
	a, b := t.TempDir(), t.TempDir()
	unlockedVault(t, a, cache, time.Minute)
	v := mustOpen(t, memOpts(b, downKeyring(), "pass phrase"))
	if _, err := v.Add(context.Background(), testKey(t, "Other", "b")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), noPassOpts(b, cache)); !errors.Is(err, ErrPassphraseNeeded) {
		t.Errorf("another vault opened with the first one's unlock: %v", err)
	}
	c := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(c, os.DirFS(a)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(c, IdentityFileName), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), noPassOpts(c, cache)); !errors.Is(err, ErrPassphraseNeeded) {
		t.Errorf("a copy of the vault in another folder opened with its unlock: %v", err)
	}
	if _, err := Open(context.Background(), noPassOpts(a, cache)); err != nil {
		t.Errorf("the unlocked vault itself: %v", err)
	}
}

// TestUnlockMismatchRemoved: an entry under the vault's name that does not open it
// (planted, or left from a vault.age since restored from a backup made with another
// key) is not used, and is removed.
func TestUnlockMismatchRemoved(t *testing.T) {
	external.SessionKeyring(t)
	cache := identitycache.Kernel{}
	dir := t.TempDir()
	unlockedVault(t, dir, cache, time.Minute)
	name := diskCacheName(dir)
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Put(name, []byte(other.String()), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := CachedUntil(dir, cache); !errors.Is(err, identitycache.ErrNotCached) {
		t.Errorf("CachedUntil with another key cached: %v, want ErrNotCached", err)
	}
	if _, err := cache.Put(name, []byte("not an identity"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), noPassOpts(dir, cache)); !errors.Is(err, ErrPassphraseNeeded) {
		t.Errorf("Open with garbage cached: %v, want ErrPassphraseNeeded", err)
	}
	if _, _, err := cache.Get(name); !errors.Is(err, identitycache.ErrNotCached) {
		t.Errorf("the entry that does not open the vault is still cached: %v", err)
	}
}

// TestRekeyAndResetForget: a rekey (to a new passphrase or to the keyring) and a reset
// drop the cached identity.
func TestRekeyAndResetForget(t *testing.T) {
	external.SessionKeyring(t)
	cache := identitycache.Kernel{}
	ctx := context.Background()
	for _, to := range []Protection{ProtectionPassphrase, ProtectionKeyring} {
		dir := t.TempDir()
		unlockedVault(t, dir, cache, time.Minute)
		name := diskCacheName(dir)
		o := noPassOpts(dir, cache)
		o.Keyring = &MemKeyring{}
		o.Passphrase = func(context.Context, PassphraseRequest) (string, error) { return "new pass phrase", nil }
		v := mustOpen(t, o)
		if _, err := v.Rekey(ctx, to); err != nil {
			t.Fatalf("rekey to %v: %v", to, err)
		}
		if _, _, err := cache.Get(name); !errors.Is(err, identitycache.ErrNotCached) {
			t.Errorf("rekey to %v left the old identity cached: %v", to, err)
		}
		if to == ProtectionPassphrase {
			if _, err := Open(ctx, noPassOpts(dir, cache)); !errors.Is(err, ErrPassphraseNeeded) {
				t.Errorf("Open after a rekey without a new unlock: %v", err)
			}
		}
	}

	dir := t.TempDir()
	unlockedVault(t, dir, cache, time.Minute)
	name := diskCacheName(dir)
	if err := os.Rename(filepath.Join(dir, VaultFileName), filepath.Join(dir, "elsewhere.age")); err != nil {
		t.Fatal(err)
	}
	if _, err := ResetWith(ctx, dir, testNow, cache); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cache.Get(name); !errors.Is(err, identitycache.ErrNotCached) {
		t.Errorf("reset left the old identity cached: %v", err)
	}
}

func TestCacheIdentityRefuses(t *testing.T) {
	external.SessionKeyring(t)
	cache := identitycache.Kernel{}
	ctx := context.Background()
	// No vault yet.
	v := mustOpen(t, memOpts(t.TempDir(), downKeyring(), "pass phrase"))
	if _, err := v.CacheIdentity(cache, time.Minute); !errors.Is(err, ErrNothingToUnlock) {
		t.Errorf("no vault: %v", err)
	}
	// A keyring vault.
	dir := t.TempDir()
	v = mustOpen(t, memOpts(dir, &MemKeyring{}, ""))
	if _, err := v.Add(ctx, testKey(t, "K", "k")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.CacheIdentity(cache, time.Minute); !errors.Is(err, ErrNothingToUnlock) {
		t.Errorf("keyring vault: %v", err)
	}
	// A legacy vault (sealed with the passphrase itself).
	dir = t.TempDir()
	legacyVault(t, dir, "pass phrase", testKey(t, "L", "l"))
	v = mustOpen(t, memOpts(dir, downKeyring(), "pass phrase"))
	if _, err := v.CacheIdentity(cache, time.Minute); !errors.Is(err, ErrNothingToUnlock) {
		t.Errorf("legacy vault: %v", err)
	}
}
