package authenticator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/otpair/otpair/authenticator/identitycache"
	"github.com/otpair/otpair/internal/atomicfile"
)

// meta is vault.json: the vault's id, the keyring item it names and where the vault's
// key lives. It holds nothing secret: the item's name is not its value.
type meta struct {
	Format         string `json:"format"`
	ID             string `json:"id"`
	KeyringService string `json:"keyring_service"`
	KeyringUser    string `json:"keyring_user"`
	// Protection is "keyring" or "passphrase" (identity.age); "" in vaults written
	// before it was recorded, which are keyring vaults unless the vault file itself is
	// sealed with a passphrase.
	Protection string `json:"protection,omitempty"`
	// Creating is true from the moment vault.json is first written until vault.age is:
	// a folder in that state is a creation a crash interrupted, which the next write
	// finishes (with the key already made). Without it, vault.json beside no vault.age
	// means vault.age is missing, and otpair refuses to start a new vault over its key.
	Creating bool `json:"creating,omitempty"`
	// Rekeyed is true once 'vault rekey' has changed the protection the vault was
	// created with, so that the reason Status gives stays true.
	Rekeyed bool `json:"rekeyed,omitempty"`
}

const metaFormat = "otpair-vault-meta/1"

// Values of meta.Protection.
const (
	metaKeyring    = "keyring"
	metaPassphrase = "passphrase"
)

func metaProtection(p Protection) string {
	if p == ProtectionPassphrase {
		return metaPassphrase
	}
	return metaKeyring
}

func readMeta(dir string) (*meta, error) {
	path := filepath.Join(dir, MetaFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil || m.Format != metaFormat || m.KeyringUser == "" || m.KeyringService == "" {
		return nil, fmt.Errorf("read %s: not an otpair vault description; it names the keyring item that opens the vault, restore it from a backup", path)
	}
	return &m, nil
}

func writeMeta(dir string, m *meta) error {
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := atomicfile.Write(filepath.Join(dir, MetaFileName), append(b, '\n')); err != nil {
		return fmt.Errorf("write vault description: %w", err)
	}
	return nil
}

// ensureMeta writes vault.json if it does not exist yet, recording protection p (as
// meta.Protection). A vault.json written before vault.age exists says Creating until
// the vault is first written. It runs under the lock.
func (v *Vault) ensureMeta(p string) error {
	if v.meta != nil {
		return nil
	}
	m, err := readMeta(v.dir)
	if err != nil {
		return err
	}
	if m == nil {
		user := v.keyringUser()
		m = &meta{Format: metaFormat, ID: v.newID, KeyringService: KeyringService, KeyringUser: user,
			Protection: p, Creating: v.cipher == nil}
		if err := writeMeta(v.dir, m); err != nil {
			return err
		}
	}
	v.meta = m
	return nil
}

// setMeta records in vault.json where the vault's key lives: protection p and, for
// the keyring, the item's username (user; "" keeps the one recorded). It runs under
// the lock.
func (v *Vault) setMeta(p, user string) error {
	return v.writeProtection(p, user, false)
}

// writeProtection is setMeta that, for a rekey, also records that the protection is no
// longer the one the vault was created with.
func (v *Vault) writeProtection(p, user string, rekey bool) error {
	if err := v.ensureMeta(p); err != nil {
		return err
	}
	if user == "" {
		user = v.meta.KeyringUser
	}
	rekeyed := v.meta.Rekeyed || (rekey && v.meta.Protection != p)
	if v.meta.Protection == p && v.meta.KeyringUser == user && v.meta.Rekeyed == rekeyed {
		return nil
	}
	m := *v.meta
	m.Protection, m.KeyringUser, m.Rekeyed = p, user, rekeyed
	if err := writeMeta(v.dir, &m); err != nil {
		return err
	}
	v.meta = &m
	return nil
}

// created clears vault.json's Creating once vault.age exists. It runs under the lock.
func (v *Vault) created() error {
	if v.meta == nil || !v.meta.Creating {
		return nil
	}
	m := *v.meta
	m.Creating = false
	if err := writeMeta(v.dir, &m); err != nil {
		return err
	}
	v.meta = &m
	return nil
}

// ErrVaultMissing: vault.age is gone but the files that hold or name its key
// (vault.json, identity.age) are still there. otpair refuses to start a new vault in
// its place: that would replace the key that opens every backup of vault.age.
var ErrVaultMissing = errors.New("the vault file is missing")

// ResetCommand is the command that sets aside the files of a vault whose vault.age is
// missing (Reset), named in ErrVaultMissing's message.
const ResetCommand = "otpair vault reset"

// absentVault checks a folder with no vault.age (m is its vault.json, nil if none):
// nothing there, or a creation a crash interrupted, is a new vault; vault.json or
// identity.age left over from an existing vault is ErrVaultMissing, with what to do.
func absentVault(dir string, m *meta) error {
	hasID, err := identityFileExists(dir)
	if err != nil {
		return err
	}
	switch {
	case m == nil && !hasID:
		return nil
	case m != nil && m.Creating && !(hasID && m.Protection == metaKeyring):
		return nil
	}
	left := MetaFileName + " and " + IdentityFileName + " beside it are"
	key := "it opens with " + IdentityFileName + " and the same passphrase"
	switch {
	case m == nil:
		left = IdentityFileName + " beside it is"
	case !hasID:
		left = MetaFileName + " beside it is"
		if m.Protection != metaPassphrase {
			key = fmt.Sprintf("it opens with the keyring item service=%s username=%s, which otpair leaves untouched", m.KeyringService, m.KeyringUser)
		}
	}
	return fmt.Errorf("vault %s: %w, but %s still there: otpair will not start a new, empty vault over the key of the old one. "+
		"Restore %s from a backup (%s), or to start over deliberately, run '%s' (it sets the old files aside; nothing is deleted)",
		filepath.Join(dir, VaultFileName), ErrVaultMissing, left, VaultFileName, key, ResetCommand)
}

// Inspect describes the vault in dir without unlocking it: where it is, whether it
// exists, which protection vault.json and the vault's header name, and which of the
// files that belong together are missing. Accounts is -1 (unknown) for an existing
// vault. It works when the keyring is unreachable or no passphrase is at hand. A
// missing vault.age beside the other files is ErrVaultMissing, with Status filled in.
func Inspect(dir string) (Status, error) {
	st := Status{Path: filepath.Join(dir, VaultFileName)}
	m, err := readMeta(dir)
	if err != nil {
		return st, err
	}
	if m != nil && m.Protection == metaKeyring {
		st.KeyringService, st.KeyringUser = m.KeyringService, m.KeyringUser
	}
	cipher, err := readVaultFile(st.Path, maxVaultBytes)
	if err != nil {
		return st, err
	}
	if cipher == nil {
		if err := absentVault(dir, m); err != nil {
			st.Accounts, st.Missing = -1, []string{VaultFileName}
			st.Protection = ProtectionKeyring
			if m == nil || m.Protection == metaPassphrase {
				st.Protection = ProtectionPassphrase
			}
			return st, err
		}
		st.KeyringService, st.KeyringUser = "", ""
		return st, nil
	}
	st.Exists, st.Accounts = true, -1
	p, legacy, err := detectProtection(dir, m, cipher)
	if err != nil {
		return st, fmt.Errorf("vault %s: %w", st.Path, err)
	}
	st.Protection = p
	if p == ProtectionKeyring && m != nil {
		st.KeyringService, st.KeyringUser = m.KeyringService, m.KeyringUser
	}
	switch has, err := identityFileExists(dir); {
	case err != nil:
		return st, err
	case p == ProtectionPassphrase && !legacy && !has:
		st.Missing = append(st.Missing, IdentityFileName)
	case p == ProtectionKeyring && m == nil:
		st.Missing = append(st.Missing, MetaFileName)
	}
	return st, nil
}

// ResetResult says what Reset set aside.
type ResetResult struct {
	// Moved pairs each file set aside with its new name (full paths).
	Moved [][2]string
	// KeyringService and KeyringUser name the old vault's keyring item, left in place
	// ("" when it had none): it opens backups of the old vault.age.
	KeyringService, KeyringUser string
}

// Reset lets a folder whose vault.age is missing (ErrVaultMissing) start a new vault:
// it renames vault.json and identity.age to NAME.old-TIME (now, UTC) and deletes
// nothing, not even the old keyring item, so a backup of the old vault.age still opens
// with them. It refuses while vault.age exists: that vault must be moved aside first.
func Reset(ctx context.Context, dir string, now time.Time) (ResetResult, error) {
	return ResetWith(ctx, dir, now, nil)
}

// ResetWith is Reset that also removes the old vault's identity from cache (otpair
// unlock kept it there), so that nothing of the old key outlives the reset.
func ResetWith(ctx context.Context, dir string, now time.Time, cache identitycache.Cache) (ResetResult, error) {
	var res ResetResult
	unlock, err := lockFile(ctx, filepath.Join(dir, LockFileName), nil)
	if err != nil {
		return res, err
	}
	defer unlock()
	path := filepath.Join(dir, VaultFileName)
	switch _, err := os.Lstat(path); {
	case err == nil:
		return res, fmt.Errorf("reset: %s exists; reset only sets aside what a vault whose %s is missing left behind. To start over, move %s aside first", path, VaultFileName, VaultFileName)
	case !errors.Is(err, fs.ErrNotExist):
		return res, fmt.Errorf("reset: %w", err)
	}
	m, err := readMeta(dir)
	if err != nil {
		return res, fmt.Errorf("reset: %w (move it aside by hand)", err)
	}
	if m != nil && m.Protection != metaPassphrase {
		res.KeyringService, res.KeyringUser = m.KeyringService, m.KeyringUser
	}
	defer forgetCached(cache, diskCacheName(dir))
	for _, name := range []string{IdentityFileName, MetaFileName} {
		from := filepath.Join(dir, name)
		if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := setAside(from, now); err != nil {
			return res, fmt.Errorf("reset: %w", err)
		}
		res.Moved = append(res.Moved, [2]string{from, oldName(from, now)})
	}
	return res, nil
}

// oldName is where setAside moves path.
func oldName(path string, now time.Time) string {
	return path + ".old-" + now.UTC().Format("20060102T150405Z")
}

// setAside renames path to PATH.old-TIME, refusing to replace a file already there.
func setAside(path string, now time.Time) error {
	to := oldName(path, now)
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("%s already exists; nothing was moved over it", to)
	}
	if err := os.Rename(path, to); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}
