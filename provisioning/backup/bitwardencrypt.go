package backup

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Bitwarden's password-protected export: a key from the password (PBKDF2-SHA256 over
// the salt string's bytes, or Argon2id over SHA-256 of it), stretched with HKDF-Expand
// into an AES-256-CBC key and an HMAC-SHA256 key; encKeyValidation_DO_NOT_EDIT is an
// encrypted string that only the right password opens, and data the vault's JSON.

// bitwardenKDF is the export's key-derivation header.
type bitwardenKDF struct {
	Salt        string  `json:"salt"`
	Type        jsonInt `json:"kdfType"`
	Iterations  jsonInt `json:"kdfIterations"`
	Memory      jsonInt `json:"kdfMemory"` // MiB, Argon2id
	Parallelism jsonInt `json:"kdfParallelism"`
}

// The kdfType values.
const (
	bitwardenPBKDF2   = 0
	bitwardenArgon2id = 1
)

func (d *decoder) bitwardenDecrypt() ([]byte, error) {
	var h bitwardenKDF
	var validation, data string
	for name, v := range map[string]any{"salt": &h.Salt, "kdfType": &h.Type, "kdfIterations": &h.Iterations,
		"kdfMemory": &h.Memory, "kdfParallelism": &h.Parallelism, "encKeyValidation_DO_NOT_EDIT": &validation, "data": &data} {
		if err := d.member(name, v); err != nil {
			return nil, err
		}
	}
	if h.Salt == "" || data == "" {
		return nil, invalid("the export has no salt or no data")
	}
	var derive func([]byte) ([]byte, error)
	switch h.Type.or(-1) {
	case bitwardenPBKDF2:
		kdf := pbkdf2Params{Hash: sha256.New, Iterations: h.Iterations.or(0), Salt: []byte(h.Salt)}
		if err := kdf.check(d.limits); err != nil {
			return nil, err
		}
		derive = func(pw []byte) ([]byte, error) { return kdf.key(pw, 32) }
	case bitwardenArgon2id:
		salt := sha256.Sum256([]byte(h.Salt))
		mem := h.Memory.or(0)
		if mem < 0 || mem > 1<<30 {
			return nil, invalid("Argon2id memory of %d MiB is not valid", mem)
		}
		kdf := argon2Params{MemoryKiB: mem << 10, Passes: h.Iterations.or(0), Threads: h.Parallelism.or(0), Salt: salt[:]}
		if err := kdf.check(d.limits); err != nil {
			return nil, err
		}
		derive = func(pw []byte) ([]byte, error) { return kdf.key(pw, 32), nil }
	default:
		return nil, invalid("kdfType %d is not one otpair knows (0 PBKDF2, 1 Argon2id)", h.Type.or(-1))
	}
	valid, err := parseEncString(validation)
	if validation != "" && err != nil {
		return nil, err
	}
	payload, err := parseEncString(data)
	if err != nil {
		return nil, err
	}
	password, err := d.askPassword()
	if err != nil {
		return nil, err
	}
	master, err := derive(password)
	if err != nil {
		return nil, invalid("key derivation: %v", err)
	}
	encKey, err := hkdf.Expand(sha256.New, master, "enc", 32)
	if err != nil {
		return nil, invalid("HKDF: %v", err)
	}
	macKey, err := hkdf.Expand(sha256.New, master, "mac", 32)
	if err != nil {
		return nil, invalid("HKDF: %v", err)
	}
	if validation != "" {
		if _, err := valid.open(encKey, macKey); err != nil {
			return nil, ErrWrongPassword
		}
	}
	plain, err := payload.open(encKey, macKey)
	if err != nil {
		if validation == "" {
			return nil, ErrWrongPassword
		}
		return nil, invalid("the data does not open with the password that opens the validation string: it was changed or truncated")
	}
	return plain, nil
}

// encString is a Bitwarden EncString of type 2: AES-256-CBC with HMAC-SHA256.
type encString struct{ iv, ct, mac []byte }

// parseEncString reads "2.iv|ct|mac" (each part base64).
func parseEncString(s string) (encString, error) {
	typ, rest, ok := strings.Cut(s, ".")
	if !ok || typ != "2" {
		return encString{}, invalid("an encrypted string is not of type 2 (AES-256-CBC + HMAC-SHA256)")
	}
	parts := strings.Split(rest, "|")
	if len(parts) != 3 {
		return encString{}, invalid("an encrypted string does not have its iv, ciphertext and mac")
	}
	var e encString
	for i, p := range []*[]byte{&e.iv, &e.ct, &e.mac} {
		b, err := base64.StdEncoding.DecodeString(parts[i])
		if err != nil {
			return encString{}, invalid("part %d of an encrypted string is not base64", i+1)
		}
		*p = b
	}
	if len(e.iv) != aes.BlockSize || len(e.mac) != sha256.Size || len(e.ct) == 0 || len(e.ct)%aes.BlockSize != 0 {
		return encString{}, invalid("an encrypted string is truncated (its iv, mac or ciphertext has the wrong size)")
	}
	return e, nil
}

// errBadMAC is an EncString whose MAC does not match: a wrong key, or a changed string.
var errBadMAC = invalid("the MAC does not match")

// open checks the MAC (in constant time) and only then decrypts and unpads.
func (e encString) open(encKey, macKey []byte) ([]byte, error) {
	m := hmac.New(sha256.New, macKey)
	m.Write(e.iv)
	m.Write(e.ct)
	if !hmac.Equal(m.Sum(nil), e.mac) {
		return nil, errBadMAC
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(e.ct))
	cipher.NewCBCDecrypter(block, e.iv).CryptBlocks(plain, e.ct)
	n := int(plain[len(plain)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, invalid("bad padding")
	}
	for _, b := range plain[len(plain)-n:] {
		if int(b) != n {
			return nil, invalid("bad padding")
		}
	}
	return plain[:len(plain)-n], nil
}
