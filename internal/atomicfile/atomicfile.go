// Package atomicfile replaces files the way a crash cannot tear: a new private file in
// the same folder, written and synced, then renamed over the old one. The vault, its
// key files and any secret otpair writes (a QR code's PNG) go through it, so none is
// ever half written, left with an old file's mode, or written through a symlink.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TempSuffix sits between the target's name and a random tail in the name of a
// temporary file, so leftovers of a crash can be recognised (RemoveStale).
const TempSuffix = ".tmp-"

// Write replaces path with data: a new file (mode 0600, created with O_EXCL, so never
// an existing file or a symlink's target) in the same folder, written, synced, renamed
// over path, then the folder synced. A crash at any point leaves the old file or the new
// one, never a mix. A symlink at path is replaced by the file, not followed, and the old
// file's mode is not kept.
func Write(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := path + TempSuffix + hex.EncodeToString(rnd[:])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return SyncDir(dir)
}

// RemoveStale deletes temporary files that a crashed Write left next to path. Call it
// only where no other writer can own one (under the lock that guards path).
func RemoveStale(path string) {
	matches, _ := filepath.Glob(path + TempSuffix + "*")
	for _, m := range matches {
		if strings.HasPrefix(m, path+TempSuffix) {
			os.Remove(m)
		}
	}
}
