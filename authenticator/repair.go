package authenticator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/otpair/otpair/internal/atomicfile"
)

// tooLargeHint ends the error of a vault file over limit: what gets the user's
// accounts back.
func tooLargeHint(limit int64) string {
	if limit > maxVaultBytes {
		return "a repair with a higher limit reads it ('otpair vault repair --max-size')"
	}
	return "'otpair vault repair' removes the accounts too large to keep (it asks first)"
}

// sizeText writes a size for a message: "70 MB", or "16 KiB" below a megabyte.
func sizeText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", (n+1023)>>10)
	}
	return fmt.Sprintf("%d MB", (n+1<<20-1)>>20)
}

// DefaultRepairBytes is how large a vault file Repair reads unless told otherwise: far
// above maxVaultBytes, for a vault that an import of a huge key took over the limit
// (an import source was at most 200 MB). Reading one takes a few times its size in
// memory.
const DefaultRepairBytes = 256 << 20

// ErrRepairDeclined: the confirmation said no; nothing was changed.
var ErrRepairDeclined = errors.New("repair declined; nothing was changed")

// Dropped is an account Repair removes, and why: the field over its limit (a
// *provisioning.FieldError, which never quotes a secret).
type Dropped struct {
	Account Account
	Reason  error
}

// RepairResult says what Repair did.
type RepairResult struct {
	Dropped []Dropped // the accounts removed (none: nothing to repair)
	Kept    int       // the accounts the vault holds now
	Backup  string    // the vault file as it was, still encrypted; "" when nothing changed
}

// Repair gets back a vault that no longer opens because it holds accounts larger than
// otpair accepts (older versions imported a key with a 70 MB secret, and every command
// then failed). It reads the vault file with the higher limit maxBytes (0 means
// DefaultRepairBytes), unlocked as Open would, and finds the accounts whose fields are
// over the limits of provisioning's Key.CheckLimits. confirm is shown them and says
// whether to go on; if so, the vault is written without them, through the usual
// checked, atomic write. The vault file as it was stays beside it, still encrypted to
// the same key, as vault.age.before-repair-TIME: nothing is lost, and no secret is ever
// written in plain text. A vault with no such account is left as it is.
//
// confirm runs outside the vault lock; if the vault changed meanwhile, Repair stops
// without writing and says so.
func Repair(ctx context.Context, opts Options, maxBytes int64, confirm func(drop []Dropped, keep int) (bool, error)) (RepairResult, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultRepairBytes
	}
	v, err := open(ctx, opts, max(maxBytes, maxVaultBytes))
	if err != nil {
		return RepairResult{}, fmt.Errorf("repair: %w", err)
	}
	v.hold()
	accounts := slices.Clone(v.accounts) // as open just read them
	v.release()
	keep, drop := splitOversized(accounts)
	res := RepairResult{Dropped: drop, Kept: len(accounts)}
	if len(drop) == 0 {
		return res, nil
	}
	ok, err := confirm(drop, len(keep))
	if err != nil {
		return RepairResult{}, fmt.Errorf("repair: %w", err)
	}
	if !ok {
		return RepairResult{}, ErrRepairDeclined
	}
	backup := fmt.Sprintf("%s.before-repair-%s", v.path, v.now().UTC().Format("20060102T150405Z"))
	err = v.update(ctx, func(now []Account) ([]Account, bool, error) {
		k, d := splitOversized(now)
		if !sameIDs(d, drop) || len(k) != len(keep) {
			return nil, false, errors.New("the vault changed while the repair was being confirmed; nothing was changed: run it again")
		}
		if err := keepCopy(v.path, backup); err != nil {
			return nil, false, fmt.Errorf("keep the vault as it was in %s: %w (nothing was changed)", backup, err)
		}
		return k, true, nil
	})
	if err != nil {
		return RepairResult{}, fmt.Errorf("repair: %w", err)
	}
	res.Kept, res.Backup = len(keep), backup
	return res, nil
}

// splitOversized separates the accounts within provisioning's key limits from those
// over them.
func splitOversized(accounts []Account) (keep []Account, drop []Dropped) {
	for _, a := range accounts {
		if err := a.Key.CheckLimits(); err != nil {
			drop = append(drop, Dropped{Account: a, Reason: err})
			continue
		}
		keep = append(keep, a)
	}
	return keep, drop
}

func sameIDs(a, b []Dropped) bool {
	return slices.EqualFunc(a, b, func(x, y Dropped) bool { return x.Account.ID == y.Account.ID })
}

// keepCopy makes backup a copy of path: a hard link where the file system allows one
// (the vault is replaced by rename, so the link keeps the old contents), else a copy
// written and synced. It refuses to overwrite an existing file.
func keepCopy(path, backup string) error {
	if err := os.Link(path, backup); err == nil {
		return atomicfile.SyncDir(filepath.Dir(path))
	} else if errors.Is(err, os.ErrExist) {
		return err
	}
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(backup, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(backup)
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(backup)
		return err
	}
	if err := dst.Close(); err != nil {
		os.Remove(backup)
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}
