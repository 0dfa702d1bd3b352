package authenticator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix names the temporary files of writeAtomic, so leftovers of a crash can be
// recognised and removed.
const tempSuffix = ".tmp-"

// writeAtomic replaces path with data: a new file in the same folder, written, synced,
// renamed over path, then the folder synced. A crash at any point leaves the old file or
// the new one, never a mix. The file is created with mode 0600.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := path + tempSuffix + hex.EncodeToString(rnd[:])
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
	return syncDir(dir)
}

// removeStaleTemps deletes temporary files that a crashed writer left next to path.
// Called only under the vault lock, when no other writer can own one.
func removeStaleTemps(path string) {
	matches, _ := filepath.Glob(path + tempSuffix + "*")
	for _, m := range matches {
		if strings.HasPrefix(m, path+tempSuffix) {
			os.Remove(m)
		}
	}
}
