package verifier

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/otpair/otpair/internal/keyfile"
)

// SeedKeySize is the size of the seed key in bytes (AES-256).
const SeedKeySize = 32

// SeedKeyEnv is the environment variable that holds the seed key, base64 encoded; it
// wins over the key file.
const SeedKeyEnv = "OTPAIR_SEED_KEY"

// SeedKeyFile is the name of the key file in the otpair home when the environment
// variable is unset.
const SeedKeyFile = "seed.key"

// ErrSeedKey is wrapped by every error about the seed key itself: missing, malformed,
// or not the key the database was sealed with.
var ErrSeedKey = errors.New("seed key")

// NewSeedKey returns a fresh random seed key (for a demo's in-memory database).
func NewSeedKey() []byte {
	k := make([]byte, SeedKeySize)
	rand.Read(k) // crypto/rand.Read never fails (Go ≥ 1.24)
	return k
}

// LoadSeedKey returns the key that seals seeds at rest: OTPAIR_SEED_KEY (base64 of 32
// bytes) when getenv has it, else the key file home/seed.key, created with mode 0600 and
// a fresh random key on first use (and refused, as ssh refuses such a key, when its
// group or others may read it). It reports where the key came from ("env" or the
// file's path). getenv is os.Getenv outside tests.
func LoadSeedKey(home string, getenv func(string) string) (key []byte, source string, err error) {
	if v := strings.TrimSpace(getenv(SeedKeyEnv)); v != "" {
		k, err := decodeSeedKey(v)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %s: %w", ErrSeedKey, SeedKeyEnv, err)
		}
		return k, SeedKeyEnv, nil
	}
	if home == "" {
		return nil, "", fmt.Errorf("%w: %s is unset and there is no otpair home for a key file", ErrSeedKey, SeedKeyEnv)
	}
	path := filepath.Join(home, SeedKeyFile)
	data, err := keyfile.Read(path, 4096) // refused when group or others may read it
	if errors.Is(err, fs.ErrNotExist) {
		return createSeedKeyFile(path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrSeedKey, err)
	}
	k, err := decodeSeedKey(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %w", ErrSeedKey, path, err)
	}
	return k, path, nil
}

func createSeedKeyFile(path string) ([]byte, string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", fmt.Errorf("%w: create %s: %w", ErrSeedKey, path, err)
	}
	k := NewSeedKey()
	// O_EXCL: when two first starts race, one creates and the other reads its key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadSeedKey(filepath.Dir(path), func(string) string { return "" })
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: create %s: %w", ErrSeedKey, path, err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(path)
		return nil, "", fmt.Errorf("%w: write %s: %w", ErrSeedKey, path, err)
	}
	return k, path, nil
}

func decodeSeedKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if k, err2 := base64.RawURLEncoding.DecodeString(s); err2 == nil {
			return checkKeySize(k)
		}
		return nil, errors.New("not valid base64")
	}
	return checkKeySize(k)
}

func checkKeySize(k []byte) ([]byte, error) {
	if len(k) != SeedKeySize {
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(k), SeedKeySize)
	}
	return k, nil
}

// sealer encrypts seeds and the signing key with AES-256-GCM under a key derived from
// the seed key by HKDF. Its key id, derived separately, names the key without
// revealing it, so a database tells which key sealed each value.
type sealer struct {
	keyID string
	aead  cipher.AEAD
}

func newSealer(seedKey []byte) (*sealer, error) {
	if len(seedKey) != SeedKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrSeedKey, len(seedKey), SeedKeySize)
	}
	dataKey, err := hkdf.Key(sha256.New, seedKey, nil, "otpair:seal:aes-256-gcm:v1", 32)
	if err != nil {
		return nil, fmt.Errorf("%w: derive: %w", ErrSeedKey, err)
	}
	idKey, err := hkdf.Key(sha256.New, seedKey, nil, "otpair:seal:key-id:v1", 8)
	if err != nil {
		return nil, fmt.Errorf("%w: derive: %w", ErrSeedKey, err)
	}
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeedKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeedKey, err)
	}
	return &sealer{keyID: hex.EncodeToString(idKey), aead: aead}, nil
}

// seal encrypts plaintext bound to aad and the key id, with a fresh random nonce.
func (s *sealer) seal(plaintext []byte, aad string) (ciphertext, nonce []byte) {
	nonce = make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nil, nonce, plaintext, s.aad(aad, s.keyID)), nonce
}

// open decrypts what seal produced under keyID; the error says nothing about the
// content.
func (s *sealer) open(ciphertext, nonce []byte, keyID, aad string) ([]byte, error) {
	if subtle.ConstantTimeCompare([]byte(keyID), []byte(s.keyID)) != 1 {
		return nil, fmt.Errorf("%w: sealed with key %s, but the seed key given is %s", ErrSeedKey, keyID, s.keyID)
	}
	if len(nonce) != s.aead.NonceSize() {
		return nil, errors.New("open sealed value: bad nonce size")
	}
	p, err := s.aead.Open(nil, nonce, ciphertext, s.aad(aad, keyID))
	if err != nil {
		return nil, errors.New("open sealed value: authentication failed (tampered, or moved to another user)")
	}
	return p, nil
}

func (s *sealer) aad(scope, keyID string) []byte {
	return []byte("otpair:" + scope + ":" + keyID)
}

// Seed AADs: the scope names the user, so a ciphertext copied to another user's row
// does not open.
func seedAAD(userID string) string { return "seeds:" + userID }

const (
	metaSealCheck = "seal_check"
	sealCheckText = "otpair seal check v1"
)

// sealCheck is the stored check value: a known text sealed under this key.
func (s *sealer) sealCheck() []byte {
	ct, nonce := s.seal([]byte(sealCheckText), metaSealCheck)
	return encodeSealed(s.keyID, nonce, ct)
}

// verifyCheck tells whether this sealer's key is the one that wrote the check value,
// with an error that says what to do when it is not.
func (s *sealer) verifyCheck(stored []byte) error {
	keyID, nonce, ct, err := decodeSealed(stored)
	if err != nil {
		return fmt.Errorf("%w: the database's seal check value is malformed", ErrSeedKey)
	}
	if keyID != s.keyID {
		return fmt.Errorf("%w: this database was sealed with key id %s but the seed key given (%s or the key file) has key id %s; start with the original key", ErrSeedKey, keyID, SeedKeyEnv, s.keyID)
	}
	p, err := s.open(ct, nonce, keyID, metaSealCheck)
	if err != nil || string(p) != sealCheckText {
		return fmt.Errorf("%w: the database's seal check value does not open with the seed key given", ErrSeedKey)
	}
	return nil
}
