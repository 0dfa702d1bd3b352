package authenticator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
)

// Protection is how a vault is encrypted.
type Protection int

// The two protections. Their String values are what the TUI status bar and `vault info`
// show.
const (
	ProtectionKeyring    Protection = iota + 1 // X25519 identity in the OS keyring
	ProtectionPassphrase                       // age scrypt passphrase
)

// String implements fmt.Stringer.
func (p Protection) String() string {
	switch p {
	case ProtectionKeyring:
		return "OS keyring"
	case ProtectionPassphrase:
		return "passphrase"
	default:
		return "unknown"
	}
}

// maxVaultBytes bounds what is read as a vault; thousands of accounts are a few MB.
const maxVaultBytes = 64 << 20

// headerProtection reads the age header of a vault (no key needed) and says which
// protection it uses: a scrypt stanza is a passphrase, an X25519 stanza the keyring.
func headerProtection(cipher []byte) (Protection, error) {
	hdr, err := age.ExtractHeader(bytes.NewReader(cipher))
	if err != nil {
		return 0, fmt.Errorf("%w: not an age file or the header is cut short", ErrCorrupt)
	}
	var types []string
	sc := bufio.NewScanner(bytes.NewReader(hdr))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "-> "); ok {
			typ, _, _ := strings.Cut(rest, " ")
			types = append(types, typ)
		}
	}
	for _, t := range types {
		if t == "scrypt" {
			return ProtectionPassphrase, nil
		}
	}
	for _, t := range types {
		if t == "X25519" {
			return ProtectionKeyring, nil
		}
	}
	return 0, fmt.Errorf("%w: encrypted to recipients otpair does not use (%s)", ErrCorrupt, strings.Join(types, ", "))
}

// encrypt seals plaintext to one recipient.
func encrypt(plain []byte, r age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, fmt.Errorf("encrypt vault: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("encrypt vault: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypt vault: %w", err)
	}
	return buf.Bytes(), nil
}

// decrypt opens a vault with id. A key that does not fit is ErrWrongPassphrase for a
// passphrase and ErrWrongKey for the keyring identity; a damaged file is ErrCorrupt.
func decrypt(cipher []byte, id age.Identity, p Protection) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(cipher), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) || errors.Is(err, age.ErrIncorrectIdentity) {
			if p == ProtectionPassphrase {
				return nil, ErrWrongPassphrase
			}
			return nil, ErrWrongKey
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxVaultBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return plain, nil
}
