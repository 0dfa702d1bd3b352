package authenticator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/otpair/otpair/authenticator/identitycache"
)

// ErrNothingToUnlock: CacheIdentity was asked to keep the key of a vault that has no
// passphrase to skip (a keyring vault, no vault yet, a legacy one).
var ErrNothingToUnlock = errors.New("nothing to unlock")

// cacheName names the cache entry of the passphrase vault in dir: a hash of the
// folder's absolute path, the vault's id (vault.json) and identity.age as it is on
// disk. Two vaults never share an entry, and a rekey (a new identity.age) or a reset
// (none) leaves the old entry unreachable even before it is forgotten. The name says
// nothing about the vault but that it is otpair's.
func cacheName(dir string, m *meta, wrapped []byte) string {
	abs, err := filepath.Abs(dir)
	if err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
	} else {
		abs = dir
	}
	id := ""
	if m != nil {
		id = m.ID
	}
	sum := sha256.Sum256(wrapped)
	h := sha256.New()
	fmt.Fprintf(h, "otpair identity cache v1\x00%s\x00%s\x00%x", abs, id, sum)
	return "otpair:vault:" + hex.EncodeToString(h.Sum(nil)[:20])
}

// cachedKey is the identity cache holds under name if it opens cipher (the vault file
// as read), or nil: nothing cached, no cache, or one that does not answer (then the
// passphrase is asked as usual). An entry that does not open the vault, or is not an
// identity, is removed.
func cachedKey(cache identitycache.Cache, name string, cipher []byte) (*age.X25519Identity, time.Time) {
	if cache == nil {
		return nil, time.Time{}
	}
	secret, expires, err := cache.Get(name)
	if err != nil {
		return nil, time.Time{}
	}
	id, err := age.ParseX25519Identity(string(bytes.TrimSpace(secret)))
	clear(secret)
	if err != nil || !opensHeader(cipher, id) {
		cache.Forget(name)
		return nil, time.Time{}
	}
	return id, expires
}

// opensHeader reports whether id unwraps the file key of the age file cipher: the
// recipient check, without reading the contents. A damaged file counts as opened, so
// that the error reading it says damaged rather than asking for a passphrase.
func opensHeader(cipher []byte, id age.Identity) bool {
	_, err := age.Decrypt(bytes.NewReader(cipher), id)
	var noMatch *age.NoIdentityMatchError
	return !errors.As(err, &noMatch) && !errors.Is(err, age.ErrIncorrectIdentity)
}

// diskCacheName is the cache name of the passphrase vault in dir as its files are now,
// or "" when it has no identity.age (a keyring vault, no vault) or it cannot be read.
func diskCacheName(dir string) string {
	m, err := readMeta(dir)
	if err != nil {
		return ""
	}
	b, err := readIdentityFile(dir)
	if err != nil || b == nil {
		return ""
	}
	return cacheName(dir, m, b)
}

// CacheIdentity keeps the vault's identity, as Open unwrapped it with the passphrase,
// in cache for ttl, so that later opens with Options.IdentityCache skip scrypt. It
// returns when the entry expires. Only an existing passphrase vault has anything to
// keep (ErrNothingToUnlock otherwise).
func (v *Vault) CacheIdentity(cache identitycache.Cache, ttl time.Duration) (time.Time, error) {
	v.hold()
	defer v.release()
	switch {
	case v.cipher == nil:
		return time.Time{}, fmt.Errorf("vault %s: %w: there is no vault yet", v.path, ErrNothingToUnlock)
	case v.prot != ProtectionPassphrase:
		return time.Time{}, fmt.Errorf("vault %s: %w: it is protected by the OS keyring, which already keeps its key", v.path, ErrNothingToUnlock)
	case v.legacy:
		return time.Time{}, fmt.Errorf("vault %s: %w: an older otpair sealed it with the passphrase itself; its next change moves its key into %s, and then it can be unlocked", v.path, ErrNothingToUnlock, IdentityFileName)
	case v.x25519 == nil || v.cachedAs == "":
		return time.Time{}, fmt.Errorf("vault %s: %w: its key was not unwrapped from %s", v.path, ErrNothingToUnlock, IdentityFileName)
	}
	// age gives the identity only as a string, which cannot be cleared; the copy can.
	secret := []byte(v.x25519.String())
	defer clear(secret)
	expires, err := cache.Put(v.cachedAs, secret, ttl)
	if err != nil {
		return time.Time{}, fmt.Errorf("unlock vault %s: %w", v.path, err)
	}
	return expires, nil
}

// ForgetIdentity removes the cached identity of the vault in dir (otpair lock), saying
// whether there was one. It needs no passphrase.
func ForgetIdentity(dir string, cache identitycache.Cache) (bool, error) {
	name := diskCacheName(dir)
	if name == "" {
		return false, nil
	}
	found, err := cache.Forget(name)
	if err != nil {
		return found, fmt.Errorf("lock vault %s: %w", filepath.Join(dir, VaultFileName), err)
	}
	return found, nil
}

// CachedUntil says until when cache holds an identity that opens the vault in dir
// (identitycache.ErrNotCached: none, or no passphrase vault). An entry that does not
// open the vault is removed and reported as none.
func CachedUntil(dir string, cache identitycache.Cache) (time.Time, error) {
	name := diskCacheName(dir)
	if name == "" {
		return time.Time{}, identitycache.ErrNotCached
	}
	if _, err := cache.Expiry(name); err != nil {
		return time.Time{}, err
	}
	cipher, err := readVaultFile(filepath.Join(dir, VaultFileName), maxVaultBytes)
	if err != nil || cipher == nil {
		return time.Time{}, identitycache.ErrNotCached
	}
	id, expires := cachedKey(cache, name, cipher)
	if id == nil {
		return time.Time{}, identitycache.ErrNotCached
	}
	return expires, nil
}

// forgetCached removes the entry name from the vault's cache (a rekey or reset made
// it stale); a cache that does not answer has nothing the vault could use either.
func forgetCached(cache identitycache.Cache, name string) {
	if cache != nil && name != "" {
		cache.Forget(name)
	}
}
