package backup

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

// andOTPFormat is andOTP's backup: a JSON array of entries, or that array encrypted
// with AES-256-GCM. The encrypted file has no marker: it is a big-endian int32 PBKDF2
// (HMAC-SHA1) iteration count, a 12-byte salt, a 12-byte nonce, then ciphertext and
// tag; andOTP's older format was the nonce, ciphertext and tag under SHA-256 of the
// password. Only the current format can be recognised by content (its iteration count
// is plausible); --from andotp reads the old one too.
var andOTPFormat = Format{
	Name:   "andotp",
	Title:  "andOTP backup",
	Shapes: "andOTP JSON backup, plain or encrypted (.json.aes: PBKDF2-SHA1 + AES-256-GCM, and the old SHA-256(password) format with --from andotp)",
	detect: func(s *sniff) bool {
		if arrayOf(s, "secret", "type", "label") && !arrayOf(s, "otp") {
			return true
		}
		iter, ok := andOTPIterations(s.data)
		return ok && !s.text && iter >= 1000 && iter <= 10_000_000
	},
	decode: decodeAndOTP,
}

const (
	andOTPSaltLen  = 12
	andOTPNonceLen = 12
	andOTPTagLen   = 16
)

// andOTPIterations reads the iteration count of the current encrypted format.
func andOTPIterations(data []byte) (int64, bool) {
	if len(data) < 4+andOTPSaltLen+andOTPNonceLen+andOTPTagLen {
		return 0, false
	}
	return int64(int32(binary.BigEndian.Uint32(data))), true
}

func decodeAndOTP(d *decoder) error {
	if d.arr != nil {
		d.andOTPEntries(d.arr)
		return nil
	}
	if d.text {
		return invalid("neither an andOTP JSON array nor an encrypted andOTP file")
	}
	plain, err := d.andOTPDecrypt()
	if err != nil {
		return err
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(plain, &entries); err != nil {
		return invalid("the decrypted backup: %s", jsonProblem(err))
	}
	d.andOTPEntries(entries)
	return nil
}

// andOTPDecrypt opens an encrypted backup: the current format when its iteration count
// is within the limits, else (or when that fails) the old one.
func (d *decoder) andOTPDecrypt() ([]byte, error) {
	iter, ok := andOTPIterations(d.data)
	if !ok {
		return nil, invalid("%d bytes is too short for an encrypted andOTP backup", len(d.data))
	}
	kdf := pbkdf2Params{Hash: sha1.New, Iterations: iter, Salt: d.data[4 : 4+andOTPSaltLen]}
	checkErr := kdf.check(d.limits)
	// An iteration count over the limits is refused when the file was recognised by it;
	// under --from it may be an old-format file's nonce, which the old format reads.
	detected := iter >= 1000 && iter <= 10_000_000
	if checkErr != nil && detected {
		return nil, checkErr
	}
	password, err := d.askPassword()
	if err != nil {
		return nil, err
	}
	if checkErr == nil {
		key, err := kdf.key(password, 32)
		if err != nil {
			return nil, invalid("PBKDF2: %v", err)
		}
		body := d.data[4+andOTPSaltLen:]
		if plain, err := gcmOpen(key, body[:andOTPNonceLen], body[andOTPNonceLen:]); err == nil {
			return plain, nil
		}
	}
	// The old format: key = SHA-256(password), no salt (andOTP before 0.6.3).
	key := sha256.Sum256(password)
	if plain, err := gcmOpen(key[:], d.data[:andOTPNonceLen], d.data[andOTPNonceLen:]); err == nil {
		return plain, nil
	}
	return nil, ErrWrongPassword
}

// andOTPEntries reads the accounts.
func (d *decoder) andOTPEntries(entries []json.RawMessage) {
	for i, raw := range entries {
		place := fmt.Sprintf("entry %d", i+1)
		var e flatEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			d.skip(place, "", jsonProblem(err))
			continue
		}
		k := provisioning.Key{Account: e.Label}
		if e.Issuer != nil {
			k.Issuer = *e.Issuer
		} else if issuer, account, ok := strings.Cut(e.Label, " - "); ok {
			// andOTP before issuers had a field wrote "Issuer - account".
			k.Issuer, k.Account = issuer, account
		}
		// Old andOTP versions repeat the issuer in the label ("Deno - Deno:Mason").
		if rest, ok := strings.CutPrefix(k.Account, k.Issuer+":"); ok && k.Issuer != "" {
			k.Account = rest
		}
		d.addAccount(account{place: place, kind: e.Type, issuer: k.Issuer, name: k.Account, algo: e.Algorithm,
			digits: e.Digits, period: e.Period, count: e.Counter, secret: e.Secret})
	}
}
