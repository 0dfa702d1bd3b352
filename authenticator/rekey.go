package authenticator

import (
	"context"
	"errors"
	"fmt"

	"filippo.io/age"
)

// Rekey moves the vault to another protection: the OS keyring (a new X25519 identity,
// stored in the keyring before the vault is rewritten) or a passphrase (asked for as a
// new one; the keyring item is deleted after the vault is rewritten). A passphrase vault
// may be rekeyed to a new passphrase; a keyring vault is refused a second keyring key,
// since replacing the item before the vault would lock the vault out if the write
// failed. A crash at any point leaves a vault that opens with the old or the new key.
// Rekeying a vault that does not exist yet creates it, empty, with that protection.
//
// note is something the caller should tell the user (a keyring item that could not be
// deleted), or "".
func (v *Vault) Rekey(ctx context.Context, to Protection) (note string, err error) {
	err = v.locked(ctx, func() error {
		switch to {
		case ProtectionKeyring:
			if v.prot == ProtectionKeyring && v.cipher != nil {
				return errors.New("rekey: the vault is already protected by the OS keyring")
			}
			if v.opts.Keyring == nil {
				return fmt.Errorf("rekey: %w: no keyring is configured", ErrKeyringUnavailable)
			}
			if err := v.ensureMeta(); err != nil {
				return err
			}
			id, err := age.GenerateX25519Identity()
			if err != nil {
				return fmt.Errorf("rekey: generate key: %w", err)
			}
			if err := v.opts.Keyring.Set(ctx, KeyringService, v.meta.KeyringUser, id.String()); err != nil {
				return fmt.Errorf("rekey: store the key in the OS keyring: %w (the vault is unchanged)", err)
			}
			prev := v.snapshotKeys()
			v.x25519, v.identity, v.recipient = id, id, id.Recipient()
			if err := v.write(v.accounts); err != nil {
				v.restoreKeys(prev)
				return err
			}
			v.prot, v.why = ProtectionKeyring, "rekeyed to the OS keyring"
			return nil
		case ProtectionPassphrase:
			pass, err := v.askPassphrase(ctx, true)
			if err != nil {
				return err
			}
			if err := v.ensureMeta(); err != nil {
				return err
			}
			prev := v.snapshotKeys()
			if err := v.usePassphrase(pass); err != nil {
				return err
			}
			if err := v.write(v.accounts); err != nil {
				v.restoreKeys(prev)
				return err
			}
			wasKeyring := prev.prot == ProtectionKeyring
			v.prot, v.why, v.x25519 = ProtectionPassphrase, "rekeyed to a passphrase", nil
			if wasKeyring && v.opts.Keyring != nil {
				err := v.opts.Keyring.Delete(ctx, KeyringService, v.meta.KeyringUser)
				if err != nil && !errors.Is(err, ErrKeyringItemNotFound) {
					note = fmt.Sprintf("the old keyring item %s/%s could not be deleted (%v); it no longer opens anything and can be removed by hand", KeyringService, v.meta.KeyringUser, err)
				}
			}
			return nil
		default:
			return fmt.Errorf("rekey: unknown protection %d", to)
		}
	})
	return note, err
}

type keyState struct {
	prot      Protection
	x25519    *age.X25519Identity
	identity  age.Identity
	recipient age.Recipient
}

func (v *Vault) snapshotKeys() keyState {
	return keyState{v.prot, v.x25519, v.identity, v.recipient}
}

func (v *Vault) restoreKeys(s keyState) {
	v.prot, v.x25519, v.identity, v.recipient = s.prot, s.x25519, s.identity, s.recipient
}
