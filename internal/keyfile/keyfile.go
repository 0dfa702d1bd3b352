// Package keyfile reads files that hold keys (the verifier's seed.key and
// management.key, a passphrase vault's identity.age, a --management-key-file) and,
// as ssh does with private keys, refuses one that other users could read or change:
// a key that every local user can read protects nothing.
package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrExposed is wrapped by the error for a key file whose mode lets its group or
// others read or write it.
var ErrExposed = errors.New("key file is open to other users")

// Read returns the contents of the key file at path, at most limit bytes, after
// checking the mode of the file it opened (a symlink is followed, and the file it
// leads to is what is checked). A missing file is an error wrapping fs.ErrNotExist.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := Check(path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than the %d bytes a key file holds", path, limit)
	}
	return b, nil
}

// Check refuses a key file (fi describes path) whose group or others may read or
// write it, with the fix in the message. On systems without Unix modes it accepts
// every file.
func Check(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); exposed(perm) {
		return fmt.Errorf("%w: %s has mode %04o, so other users can read or change it; otpair refuses such key files, as ssh does: run chmod 600 %s", ErrExposed, path, perm, path)
	}
	return nil
}
