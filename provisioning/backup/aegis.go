package backup

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// aegisFormat is Aegis's vault file (docs/vault.md in the Aegis repository): plain, or
// its content encrypted with AES-256-GCM under a master key that each password slot
// holds wrapped with a scrypt-derived key (AES-256-GCM again).
var aegisFormat = Format{
	Name:   "aegis",
	Title:  "Aegis backup",
	Shapes: "Aegis vault JSON (content versions 1-3, with groups), plain or encrypted with a password (scrypt + AES-256-GCM); totp, hotp and steam entries",
	detect: func(s *sniff) bool { return s.has("version", "header", "db") },
	decode: decodeAegis,
}

// aegisFile is the outer vault file.
type aegisFile struct {
	Version jsonInt `json:"version"`
	Header  struct {
		Slots  []aegisSlot  `json:"slots"`
		Params *aegisParams `json:"params"`
	} `json:"header"`
	DB json.RawMessage `json:"db"`
}

// aegisSlot is one credential that holds the master key.
type aegisSlot struct {
	Type      jsonInt     `json:"type"`
	Key       hexBytes    `json:"key"`
	KeyParams aegisParams `json:"key_params"`
	N         jsonInt     `json:"n"`
	R         jsonInt     `json:"r"`
	P         jsonInt     `json:"p"`
	Salt      hexBytes    `json:"salt"`
}

// aegisParams are an AES-GCM nonce and tag.
type aegisParams struct {
	Nonce hexBytes `json:"nonce"`
	Tag   hexBytes `json:"tag"`
}

// aegisSlotPassword is the slot type of a password (scrypt) slot; 0 is raw, 2 biometric.
const aegisSlotPassword = 1

// aegisContent is the vault content, plain or decrypted.
type aegisContent struct {
	Version jsonInt           `json:"version"`
	Entries []json.RawMessage `json:"entries"`
}

// aegisEntry is one account.
type aegisEntry struct {
	Type   string          `json:"type"`
	Name   string          `json:"name"`
	Issuer string          `json:"issuer"`
	Info   json.RawMessage `json:"info"`
	Otpair *otpairFields   `json:"otpair,omitempty"`
}

// aegisInfo is an entry's OTP parameters.
type aegisInfo struct {
	Secret  string  `json:"secret"`
	Algo    string  `json:"algo"`
	Digits  jsonInt `json:"digits"`
	Period  jsonInt `json:"period"`
	Counter jsonInt `json:"counter"`
}

// otpairFields keep what an otpair key has beyond Aegis's fields, so a vault written by
// WriteAegis reads back to the same keys. Aegis ignores them.
type otpairFields struct {
	LabelIssuer string              `json:"label_issuer,omitempty"`
	Extra       map[string][]string `json:"extra,omitempty"`
}

// hexBytes is a hex-encoded byte string.
type hexBytes []byte

// UnmarshalJSON decodes a hex string (null reads as empty).
func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil {
		*h = nil
		return nil
	}
	v, err := hex.DecodeString(*s)
	if err != nil {
		return errors.New("not hex")
	}
	*h = v
	return nil
}

// The Aegis versions otpair reads.
const (
	aegisFileVersion    = 1
	aegisContentVersion = 3
)

func decodeAegis(d *decoder) error {
	var f aegisFile
	if err := json.Unmarshal(d.body, &f); err != nil {
		return invalid("%s", jsonProblem(err))
	}
	if v := f.Version.or(0); v != aegisFileVersion {
		return invalid("vault file version %d is not one otpair reads (%d)", v, aegisFileVersion)
	}
	content := []byte(f.DB)
	var ciphertext string
	if json.Unmarshal(f.DB, &ciphertext) == nil {
		plain, err := d.aegisDecrypt(f, ciphertext)
		if err != nil {
			return err
		}
		content = plain
	} else if f.Header.Slots != nil || f.Header.Params != nil {
		return invalid("the header has encryption slots but the content is not encrypted")
	}
	var c aegisContent
	if err := json.Unmarshal(content, &c); err != nil {
		return invalid("vault content: %s", jsonProblem(err))
	}
	if v := c.Version.or(0); v < 1 || v > aegisContentVersion {
		return invalid("vault content version %d is not one otpair reads (1 to %d)", v, aegisContentVersion)
	}
	for i, raw := range c.Entries {
		d.aegisEntry(i, raw)
	}
	return nil
}

// aegisDecrypt opens the encrypted content with the password: it finds the password
// slots, checks their scrypt cost, asks for the password and unwraps the master key.
func (d *decoder) aegisDecrypt(f aegisFile, ciphertext string) ([]byte, error) {
	p := f.Header.Params
	if p == nil || len(p.Nonce) != 12 || len(p.Tag) != 16 {
		return nil, invalid("the content is encrypted but its nonce and tag (header.params) are missing or the wrong size")
	}
	var slots []aegisSlot
	var costErr error
	for _, s := range f.Header.Slots {
		if s.Type.or(-1) != aegisSlotPassword {
			continue
		}
		sp := scryptParams{N: s.N.or(0), R: s.R.or(0), P: s.P.or(0), Salt: s.Salt}
		if err := sp.check(d.limits); err != nil {
			costErr = err
			continue
		}
		if len(s.Key) != 32 || len(s.KeyParams.Nonce) != 12 || len(s.KeyParams.Tag) != 16 {
			return nil, invalid("a password slot's key, nonce or tag is missing or the wrong size")
		}
		slots = append(slots, s)
	}
	switch {
	case len(slots) == 0 && costErr != nil:
		return nil, costErr
	case len(slots) == 0:
		return nil, invalid("no password slot (the vault opens only with a fingerprint on its phone): export it from Aegis with a password")
	}
	data, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, invalid("the encrypted content is not base64")
	}
	password, err := d.askPassword()
	if err != nil {
		return nil, err
	}
	var master []byte
	for _, s := range slots {
		kek, err := scryptParams{N: s.N.v, R: s.R.v, P: s.P.v, Salt: s.Salt}.key(password)
		if err != nil {
			return nil, invalid("scrypt: %v", err)
		}
		if master, err = gcmOpen(kek, s.KeyParams.Nonce, append(s.Key[:32:32], s.KeyParams.Tag...)); err == nil {
			break
		}
	}
	if master == nil {
		return nil, ErrWrongPassword
	}
	plain, err := gcmOpen(master, p.Nonce, append([]byte(data), p.Tag...))
	if err != nil {
		return nil, invalid("the content does not open with the key the password unlocked: it was changed or truncated")
	}
	return plain, nil
}

// gcmOpen decrypts and authenticates AES-256-GCM ciphertext||tag.
func gcmOpen(key, nonce, sealed []byte) ([]byte, error) { return gcmOpenAD(key, nonce, sealed, nil) }

// gcmOpenAD is gcmOpen with associated data.
func gcmOpenAD(key, nonce, sealed, ad []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return nil, err
	}
	return aead.Open(nil, nonce, sealed, ad)
}

// aegisEntry reads one entry; a bad one is skipped, named.
func (d *decoder) aegisEntry(i int, raw json.RawMessage) {
	place := fmt.Sprintf("entry %d", i+1)
	var e aegisEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		d.skip(place, "", jsonProblem(err))
		return
	}
	var info aegisInfo
	if err := json.Unmarshal(e.Info, &info); err != nil {
		d.skip(nameOr(label(e.Issuer, e.Name), place), "", "info: "+jsonProblem(err))
		return
	}
	if strings.EqualFold(info.Algo, "MD5") && !strings.EqualFold(e.Type, "motp") {
		// Aegis reads MD5 on a non-mOTP entry as SHA1 (a bug once let users pick it).
		info.Algo = "SHA1"
	}
	n := len(d.out.Keys)
	d.addAccount(account{place: place, kind: e.Type, issuer: e.Issuer, name: e.Name, algo: info.Algo,
		digits: info.Digits, period: info.Period, count: info.Counter, secret: info.Secret})
	if x := e.Otpair; x != nil && len(d.out.Keys) > n {
		k := &d.out.Keys[n]
		k.LabelIssuer = x.LabelIssuer
		if len(x.Extra) > 0 {
			k.Extra = url.Values(x.Extra)
		}
	}
}
