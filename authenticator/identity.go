package authenticator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/otpair/otpair/internal/keyfile"
)

// IdentityFileName is the file that holds a passphrase vault's X25519 identity,
// encrypted with the passphrase (age scrypt). A keyring vault has none.
const IdentityFileName = "identity.age"

// wrapIdentity seals id with the passphrase: an age file (scrypt recipient) whose
// plaintext is an age identity file, so that `age -d identity.age` gives what
// `age -d -i` takes. It runs scrypt once.
func wrapIdentity(id *age.X25519Identity, pass string, workFactor int) ([]byte, error) {
	r, err := newScryptRecipient(pass, workFactor)
	if err != nil {
		return nil, err
	}
	plain := []byte(fmt.Sprintf("# otpair vault identity; public key: %s\n%s\n", id.Recipient(), id))
	defer clear(plain)
	b, err := encrypt(plain, r)
	if err != nil {
		return nil, fmt.Errorf("seal the vault key with the passphrase: %w", err)
	}
	return b, nil
}

// readIdentityFile returns identity.age in dir, or nil if there is none. Like ssh with
// a private key, it refuses one that other users can read: sealed with a passphrase or
// not, a key file open to everyone invites an offline guess at the passphrase.
func readIdentityFile(dir string) ([]byte, error) {
	path := filepath.Join(dir, IdentityFileName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := keyfile.Check(path, fi); err != nil {
		return nil, fmt.Errorf("read the vault key: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxIdentityBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxIdentityBytes {
		return nil, fmt.Errorf("read %s: %w: too large for an otpair identity", path, ErrCorrupt)
	}
	return b, nil
}

// identityFileExists reports whether dir holds identity.age.
func identityFileExists(dir string) (bool, error) {
	_, err := os.Stat(filepath.Join(dir, IdentityFileName))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("look for %s: %w", IdentityFileName, err)
	}
}

// unwrapIdentity opens identity.age (its bytes in b) with the passphrase: one scrypt.
// A passphrase that does not fit is ErrWrongPassphrase; anything else that is not one
// X25519 identity is ErrCorrupt. The error never holds the identity.
func unwrapIdentity(b []byte, pass string) (*age.X25519Identity, error) {
	sid, err := newScryptIdentity(pass)
	if err != nil {
		return nil, err
	}
	if s, err := headerSealing(b); err != nil {
		return nil, err
	} else if s != sealedScrypt {
		return nil, fmt.Errorf("%w: not sealed with a passphrase", ErrCorrupt)
	}
	plain, err := decrypt(b, sid, maxIdentityBytes)
	if errors.Is(err, errNoMatch) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	ids, err := age.ParseIdentities(bytes.NewReader(plain))
	if err != nil || len(ids) != 1 {
		return nil, fmt.Errorf("%w: it does not hold one age identity", ErrCorrupt)
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, fmt.Errorf("%w: it holds an age identity of another kind than X25519", ErrCorrupt)
	}
	return id, nil
}
