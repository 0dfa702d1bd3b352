package authenticator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"filippo.io/age"
)

// Protection is where the key that opens a vault lives.
type Protection int

// The two protections. Their String values are what the TUI status bar and `vault info`
// show.
const (
	ProtectionKeyring    Protection = iota + 1 // X25519 identity in the OS keyring
	ProtectionPassphrase                       // X25519 identity in identity.age, sealed by an age scrypt passphrase
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

// maxVaultBytes bounds the vault file, read and written alike: the reader refuses a
// larger file and the writer refuses to write one, so no change can leave a vault that
// no longer opens (an import of a 70 MB secret once did). Thousands of accounts are a
// few MB. It is a variable only so that tests can lower it.
var maxVaultBytes int64 = 64 << 20

// ErrVaultTooLarge: the vault file, or a write of it, is larger than otpair reads.
// 'otpair vault repair' reads such a vault with a higher limit (Repair).
var ErrVaultTooLarge = errors.New("vault too large")

// errTooLong: decrypt found more plaintext than its limit.
var errTooLong = errors.New("the contents are longer than the limit")

// maxIdentityBytes bounds what is read as identity.age (a few hundred bytes).
const maxIdentityBytes = 64 << 10

// sealing is what the age header of a file says it is encrypted to.
type sealing int

const (
	sealedX25519 sealing = iota + 1 // one or more X25519 recipients
	sealedScrypt                    // a passphrase (scrypt) directly
)

// headerSealing reads the age header of a file (no key needed): a scrypt stanza is a
// passphrase, an X25519 stanza a recipient key.
func headerSealing(cipher []byte) (sealing, error) {
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
			return sealedScrypt, nil
		}
	}
	for _, t := range types {
		if t == "X25519" {
			return sealedX25519, nil
		}
	}
	return 0, fmt.Errorf("%w: encrypted to recipients otpair does not use (%s)", ErrCorrupt, strings.Join(types, ", "))
}

// scryptRuns counts the scrypt key derivations otpair has started (sealing or opening
// with a passphrase). Tests read it to show that writes after Open run none.
var scryptRuns atomic.Int64

// countedScryptRecipient is age's scrypt recipient, counting each derivation.
type countedScryptRecipient struct{ r *age.ScryptRecipient }

func (c countedScryptRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	scryptRuns.Add(1)
	return c.r.Wrap(fileKey)
}

func (c countedScryptRecipient) WrapWithLabels(fileKey []byte) ([]*age.Stanza, []string, error) {
	scryptRuns.Add(1)
	return c.r.WrapWithLabels(fileKey)
}

// countedScryptIdentity is age's scrypt identity, counting each derivation (a file
// with no scrypt stanza is refused without one).
type countedScryptIdentity struct{ id *age.ScryptIdentity }

func (c countedScryptIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type == "scrypt" {
			scryptRuns.Add(1)
			break
		}
	}
	return c.id.Unwrap(stanzas)
}

func newScryptRecipient(pass string, workFactor int) (age.Recipient, error) {
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	if workFactor > 0 {
		r.SetWorkFactor(workFactor)
	}
	return countedScryptRecipient{r}, nil
}

func newScryptIdentity(pass string) (age.Identity, error) {
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	return countedScryptIdentity{id}, nil
}

// encrypt seals plaintext to the recipients.
func encrypt(plain []byte, rs ...age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	return buf.Bytes(), nil
}

// errNoMatch: the identity does not open the file (a wrong passphrase, another key).
var errNoMatch = errors.New("the key does not open the file")

// decrypt opens an age file with id, reading at most limit bytes of plaintext (more is
// errTooLong, never a silent cut). A key that does not fit is errNoMatch; a damaged
// file is ErrCorrupt.
func decrypt(cipher []byte, id age.Identity, limit int64) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(cipher), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) || errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, errNoMatch
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	// The plaintext is a little shorter than the ciphertext: one allocation holds it,
	// where io.ReadAll's doubling would hold up to twice a large vault.
	buf := bytes.NewBuffer(make([]byte, 0, min(int64(len(cipher)), limit)+bytes.MinRead))
	_, err = buf.ReadFrom(io.LimitReader(r, limit+1))
	plain := buf.Bytes()
	if err != nil {
		clear(plain)
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if int64(len(plain)) > limit {
		clear(plain)
		return nil, errTooLong
	}
	return plain, nil
}
