package authenticator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/otpair/otpair/internal/atomicfile"
)

// Rekey moves the vault to another protection with a new key: the OS keyring (a new
// X25519 identity, stored in the keyring before the vault is rewritten) or a passphrase
// (asked for as a new one; a new X25519 identity sealed with it in identity.age; the
// keyring item is deleted after the vault is rewritten). A passphrase vault may be
// rekeyed to a new passphrase; a keyring vault is refused a second keyring key, since
// replacing the item before the vault would lock the vault out if the write failed.
// Rekeying a vault that does not exist yet creates it, empty, with that protection.
//
// The new passphrase is asked for before any lock is taken, so neither the Vault nor
// vault.lock is held while someone types. A keyring item already stored under the
// vault's name (an earlier key of this vault, which may open old backups) is never
// overwritten: the new key gets an item of its own, and note says so.
//
// A crash at any point leaves a vault that opens with the old key or the new one: the
// vault is first sealed to both keys, then vault.json switches to the new protection,
// then the vault is sealed to the new key alone and the old key is removed.
//
// note is something the caller should tell the user (a keyring item that could not be
// deleted, or one left in place), or "".
func (v *Vault) Rekey(ctx context.Context, to Protection) (note string, err error) {
	var pass string
	switch to {
	case ProtectionKeyring:
	case ProtectionPassphrase:
		st := v.Status()
		cur := st.Protection
		if !st.Exists {
			cur = 0
		}
		if pass, err = v.askPassphrase(ctx, PassphraseRequest{New: true, Current: cur}); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("rekey: unknown protection %d", to)
	}
	err = v.locked(ctx, func() error {
		// The old key leaves any identity cache, whether or not the rekey gets through:
		// whoever rekeys wants it gone, and unlock is one command away.
		defer forgetCached(v.opts.IdentityCache, diskCacheName(v.dir))
		prev := v.snapshotKeys()
		var err error
		if to == ProtectionKeyring {
			note, err = v.rekeyToKeyring(ctx)
		} else {
			note, err = v.rekeyToPassphrase(ctx, pass)
		}
		if err != nil {
			v.restoreKeys(prev)
			v.stale = true
		}
		return err
	})
	return note, err
}

// ensureRekeyMeta makes sure vault.json exists before a rekey: naming the protection
// the vault has now, or for a vault that does not exist yet, the one it is created with.
func (v *Vault) ensureRekeyMeta(to string) error {
	if v.cipher != nil {
		to = metaProtection(v.prot)
	}
	return v.ensureMeta(to)
}

// bothKeys seals the vault to its current key and next, if it has an X25519 key and
// exists: the first step of a rekey, after which either key opens it.
func (v *Vault) bothKeys(next *age.X25519Identity) error {
	if v.cipher == nil || v.x25519 == nil || v.legacy {
		return nil
	}
	if err := v.writeVault(v.accounts, v.x25519.Recipient(), next.Recipient()); err != nil {
		return err
	}
	return step("both")
}

// switchTo is the second and third steps of a rekey, after bothKeys: vault.json records
// the new protection (and for the keyring, the item's username; "" keeps it), then the
// vault is sealed to the new key alone.
func (v *Vault) switchTo(metaProt, user string, id *age.X25519Identity) error {
	if err := v.writeProtection(metaProt, user, true); err != nil {
		return err
	}
	if err := step("meta"); err != nil {
		return err
	}
	if err := v.writeVault(v.accounts, id.Recipient()); err != nil {
		return err
	}
	return step("vault")
}

func (v *Vault) rekeyToKeyring(ctx context.Context) (string, error) {
	if v.prot == ProtectionKeyring && v.cipher != nil {
		return "", errors.New("rekey: the vault is already protected by the OS keyring")
	}
	if v.opts.Keyring == nil {
		return "", fmt.Errorf("rekey: %w: no keyring is configured", ErrKeyringUnavailable)
	}
	if err := v.ensureRekeyMeta(metaKeyring); err != nil {
		return "", err
	}
	user, kept, err := v.freeKeyringUser(ctx)
	if err != nil {
		return "", err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", fmt.Errorf("rekey: generate key: %w", err)
	}
	if err := v.opts.Keyring.Set(ctx, KeyringService, user, id.String()); err != nil {
		return "", fmt.Errorf("rekey: store the key in the OS keyring: %w (the vault is unchanged)", err)
	}
	if err := step("keyring"); err != nil {
		return "", err
	}
	if err := v.bothKeys(id); err != nil {
		return "", err
	}
	if err := v.switchTo(metaKeyring, user, id); err != nil {
		return "", err
	}
	v.setKey(ProtectionKeyring, id)
	v.why = "rekeyed to the OS keyring"
	var notes []string
	if kept != "" {
		notes = append(notes, fmt.Sprintf("the OS keyring already held an item service=%s username=%s (an earlier key of this vault, which may open old backups of %s); otpair left it in place and stored the new key as username=%s", KeyringService, kept, VaultFileName, user))
	}
	if err := os.Remove(filepath.Join(v.dir, IdentityFileName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		notes = append(notes, fmt.Sprintf("the old %s could not be deleted (%v); it no longer opens the vault and can be removed by hand", IdentityFileName, err))
	}
	return strings.Join(notes, "; "), nil
}

// freeKeyringUser is the keyring username a new keyring key goes to: the one vault.json
// names, unless the keyring already holds an item there. That item may be an earlier
// key of this vault, the only one that opens an old backup, so it is never overwritten:
// the key gets a fresh name, and kept names the item left in place.
func (v *Vault) freeKeyringUser(ctx context.Context) (user, kept string, err error) {
	user = v.meta.KeyringUser
	for range 5 {
		_, err := v.opts.Keyring.Get(ctx, KeyringService, user)
		switch {
		case errors.Is(err, ErrKeyringItemNotFound):
			return user, kept, nil
		case err != nil:
			return "", "", fmt.Errorf("rekey: look up the keyring item %s/%s: %w (the vault is unchanged)", KeyringService, user, err)
		}
		if kept == "" {
			kept = user
		}
		var b [4]byte
		rand.Read(b[:])
		base := "vault-" + v.meta.ID
		if v.meta.ID == "" {
			base = v.meta.KeyringUser
		}
		user = base + "-" + hex.EncodeToString(b[:])
	}
	return "", "", fmt.Errorf("rekey: the OS keyring holds items under every name tried for the vault's key (the vault is unchanged)")
}

func (v *Vault) rekeyToPassphrase(ctx context.Context, pass string) (string, error) {
	if err := v.ensureRekeyMeta(metaPassphrase); err != nil {
		return "", err
	}
	id, wrapped, err := v.newWrappedKey(pass)
	if err != nil {
		return "", err
	}
	if err := v.bothKeys(id); err != nil {
		return "", err
	}
	if err := atomicfile.Write(filepath.Join(v.dir, IdentityFileName), wrapped); err != nil {
		return "", fmt.Errorf("rekey: write %s: %w", IdentityFileName, err)
	}
	if err := step("identity"); err != nil {
		return "", err
	}
	if err := v.switchTo(metaPassphrase, "", id); err != nil {
		return "", err
	}
	wasKeyring := v.prot == ProtectionKeyring
	v.setKey(ProtectionPassphrase, id)
	v.why = "rekeyed to a passphrase"
	if wasKeyring && v.opts.Keyring != nil {
		err := v.opts.Keyring.Delete(ctx, KeyringService, v.meta.KeyringUser)
		if err != nil && !errors.Is(err, ErrKeyringItemNotFound) {
			return fmt.Sprintf("the old keyring item %s/%s could not be deleted (%v); it no longer opens anything and can be removed by hand", KeyringService, v.meta.KeyringUser, err), nil
		}
	}
	return "", nil
}

type keyState struct {
	prot      Protection
	x25519    *age.X25519Identity
	identity  age.Identity
	recipient age.Recipient
	legacy    bool
	pass      string
	wrapped   []byte
	cachedAs  string
}

func (v *Vault) snapshotKeys() keyState {
	return keyState{v.prot, v.x25519, v.identity, v.recipient, v.legacy, v.pass, v.wrapped, v.cachedAs}
}

func (v *Vault) restoreKeys(s keyState) {
	v.prot, v.x25519, v.identity, v.recipient = s.prot, s.x25519, s.identity, s.recipient
	v.legacy, v.pass, v.wrapped, v.cachedAs = s.legacy, s.pass, s.wrapped, s.cachedAs
}
