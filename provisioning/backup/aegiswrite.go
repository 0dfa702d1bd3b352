package backup

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"github.com/otpair/otpair/provisioning"
)

// The scrypt cost of the password slot WriteAegis writes: Aegis's own (docs/vault.md),
// which every app that imports Aegis vaults expects and a phone can afford.
const (
	aegisScryptN = 1 << 15
	aegisScryptR = 8
	aegisScryptP = 1
)

// WriteAegis writes keys as an Aegis vault file (content version 3), which Aegis, 2FAS,
// Ente, Proton Authenticator and cotp import. With a password the content is encrypted
// as Aegis does it: AES-256-GCM under a random master key, held by one password slot
// (scrypt N=2^15, r=8, p=1, AES-256-GCM key wrap). Without one the file holds every
// secret in clear.
//
// A key Aegis cannot hold (an HOTP counter above 2^63-1) is left out and returned in
// skipped; every other key reads back through Read to an equal key (otpair's label
// issuer and extra URI parameters ride in an "otpair" member Aegis ignores).
func WriteAegis(keys []provisioning.Key, password []byte) (data []byte, skipped []Skipped, err error) {
	return writeAegis(keys, password, aegisScryptN)
}

// writeAegis is WriteAegis with scrypt's N chosen (tests and fuzz seeds use a cheap one).
func writeAegis(keys []provisioning.Key, password []byte, scryptN int64) (data []byte, skipped []Skipped, err error) {
	entries := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		e, err := aegisEntryOf(k)
		if err != nil {
			skipped = append(skipped, Skipped{Name: nameOr(k.Label(), "an account"), Reason: err.Error()})
			continue
		}
		entries = append(entries, e)
	}
	content := map[string]any{"version": aegisContentVersion, "entries": entries, "groups": []any{}, "icons_optimized": true}
	plain, err := json.Marshal(content)
	if err != nil {
		return nil, nil, fmt.Errorf("write aegis: %w", err)
	}
	file := map[string]any{"version": aegisFileVersion}
	if len(password) == 0 {
		file["header"] = map[string]any{"slots": nil, "params": nil}
		file["db"] = json.RawMessage(plain)
	} else {
		header, db, err := aegisSeal(plain, password, scryptN)
		if err != nil {
			return nil, nil, fmt.Errorf("write aegis: %w", err)
		}
		file["header"], file["db"] = header, db
	}
	out, err := json.MarshalIndent(file, "", "    ")
	if err != nil {
		return nil, nil, fmt.Errorf("write aegis: %w", err)
	}
	return append(out, '\n'), skipped, nil
}

// aegisEntryOf is one key as an Aegis entry.
func aegisEntryOf(k provisioning.Key) (map[string]any, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	uuid, err := newUUID()
	if err != nil {
		return nil, err
	}
	info := map[string]any{"secret": k.SecretBase32(), "algo": string(k.Algorithm), "digits": k.Digits}
	switch k.Type {
	case provisioning.HOTP:
		if k.Counter > math.MaxInt64 {
			return nil, fmt.Errorf("counter: %d does not fit Aegis's counter (at most 2^63-1)", k.Counter)
		}
		info["counter"] = k.Counter
	default:
		info["period"] = k.Period
	}
	e := map[string]any{
		"type": string(k.Type), "uuid": uuid, "name": k.Account, "issuer": k.Issuer, "note": "",
		"favorite": false, "icon": nil, "icon_mime": nil, "icon_hash": nil, "info": info, "groups": []any{},
	}
	if k.LabelIssuer != "" || len(k.Extra) > 0 {
		e["otpair"] = otpairFields{LabelIssuer: k.LabelIssuer, Extra: k.Extra}
	}
	return e, nil
}

// aegisSeal encrypts the content under a fresh master key held by one password slot.
func aegisSeal(plain, password []byte, scryptN int64) (header map[string]any, db string, err error) {
	master, salt := make([]byte, 32), make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		return nil, "", err
	}
	if _, err := rand.Read(salt); err != nil {
		return nil, "", err
	}
	kek, err := scryptParams{N: scryptN, R: aegisScryptR, P: aegisScryptP, Salt: salt}.key(password)
	if err != nil {
		return nil, "", err
	}
	wrapped, wrapNonce, err := gcmSeal(kek, master)
	if err != nil {
		return nil, "", err
	}
	sealed, nonce, err := gcmSeal(master, plain)
	if err != nil {
		return nil, "", err
	}
	uuid, err := newUUID()
	if err != nil {
		return nil, "", err
	}
	slot := map[string]any{
		"type": aegisSlotPassword, "uuid": uuid,
		"key":        hex.EncodeToString(wrapped[:len(wrapped)-16]),
		"key_params": map[string]string{"nonce": hex.EncodeToString(wrapNonce), "tag": hex.EncodeToString(wrapped[len(wrapped)-16:])},
		"n":          scryptN, "r": aegisScryptR, "p": aegisScryptP,
		"salt": hex.EncodeToString(salt), "repaired": true, "is_backup": false,
	}
	header = map[string]any{
		"slots":  []any{slot},
		"params": map[string]string{"nonce": hex.EncodeToString(nonce), "tag": hex.EncodeToString(sealed[len(sealed)-16:])},
	}
	return header, base64.StdEncoding.EncodeToString(sealed[:len(sealed)-16]), nil
}

// gcmSeal encrypts with AES-256-GCM under a random 12-byte nonce: ciphertext||tag.
func gcmSeal(key, plain []byte) (sealed, nonce []byte, err error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	nonce = make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	return aead.Seal(nil, nonce, plain, nil), nonce, nil
}

// newUUID is a random (version 4) UUID, as Aegis gives every entry and slot.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
