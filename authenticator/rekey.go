package authenticator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
// A crash at any point leaves a vault that opens with the old key or the new one: the
// vault is first sealed to both keys, then vault.json switches to the new protection,
// then the vault is sealed to the new key alone and the old key is removed.
//
// note is something the caller should tell the user (a keyring item that could not be
// deleted), or "".
func (v *Vault) Rekey(ctx context.Context, to Protection) (note string, err error) {
	err = v.locked(ctx, func() error {
		prev := v.snapshotKeys()
		var err error
		switch to {
		case ProtectionKeyring:
			note, err = v.rekeyToKeyring(ctx)
		case ProtectionPassphrase:
			note, err = v.rekeyToPassphrase(ctx)
		default:
			return fmt.Errorf("rekey: unknown protection %d", to)
		}
		if err != nil {
			v.restoreKeys(prev)
			v.stale = true
		}
		return err
	})
	return note, err
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
// the new protection, then the vault is sealed to the new key alone.
func (v *Vault) switchTo(metaProt string, id *age.X25519Identity) error {
	if err := v.setMetaProtection(metaProt); err != nil {
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
	if err := v.ensureMeta(); err != nil {
		return "", err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", fmt.Errorf("rekey: generate key: %w", err)
	}
	if err := v.opts.Keyring.Set(ctx, KeyringService, v.meta.KeyringUser, id.String()); err != nil {
		return "", fmt.Errorf("rekey: store the key in the OS keyring: %w (the vault is unchanged)", err)
	}
	if err := step("keyring"); err != nil {
		return "", err
	}
	if err := v.bothKeys(id); err != nil {
		return "", err
	}
	if err := v.switchTo(metaKeyring, id); err != nil {
		return "", err
	}
	v.setKey(ProtectionKeyring, id)
	v.why = "rekeyed to the OS keyring"
	note := ""
	if err := os.Remove(filepath.Join(v.dir, IdentityFileName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		note = fmt.Sprintf("the old %s could not be deleted (%v); it no longer opens the vault and can be removed by hand", IdentityFileName, err)
	}
	return note, nil
}

func (v *Vault) rekeyToPassphrase(ctx context.Context) (string, error) {
	pass, err := v.askPassphrase(ctx, true)
	if err != nil {
		return "", err
	}
	if err := v.ensureMeta(); err != nil {
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
	if err := v.switchTo(metaPassphrase, id); err != nil {
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
}

func (v *Vault) snapshotKeys() keyState {
	return keyState{v.prot, v.x25519, v.identity, v.recipient, v.legacy, v.pass, v.wrapped}
}

func (v *Vault) restoreKeys(s keyState) {
	v.prot, v.x25519, v.identity, v.recipient = s.prot, s.x25519, s.identity, s.recipient
	v.legacy, v.pass, v.wrapped = s.legacy, s.pass, s.wrapped
}
