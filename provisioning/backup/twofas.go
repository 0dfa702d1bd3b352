package backup

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// twoFASFormat is 2FAS Authenticator's .2fas backup (schemas 1 to 4): a services array,
// or servicesEncrypted ("ciphertext:salt:iv", base64) under PBKDF2-HMAC-SHA256 (10,000
// iterations) and AES-256-GCM, with a reference string under the same key that tells a
// wrong password from a damaged file. A bare services array (what 2FAS decryptors
// print) reads too.
var twoFASFormat = Format{
	Name:   "2fas",
	Title:  "2FAS backup",
	Shapes: "2FAS .2fas backup (schemas 1-4), plain or encrypted with a password (PBKDF2-SHA256 + AES-256-GCM); also a decrypted services array",
	detect: func(s *sniff) bool {
		if s.has("services", "schemaVersion") || s.has("servicesEncrypted", "schemaVersion") {
			return true
		}
		return arrayOf(s, "secret", "otp")
	},
	decode: decodeTwoFAS,
}

// twoFASIterations is 2FAS's fixed PBKDF2 iteration count (it is not in the file).
const twoFASIterations = 10_000

// twoFASSchemaMax is the newest schema otpair reads.
const twoFASSchemaMax = 4

// twoFASService is one account.
type twoFASService struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
	OTP    struct {
		Account   string  `json:"account"`
		Issuer    string  `json:"issuer"`
		Digits    jsonInt `json:"digits"`
		Period    jsonInt `json:"period"`
		Counter   jsonInt `json:"counter"`
		Algorithm string  `json:"algorithm"`
		TokenType *string `json:"tokenType"`
	} `json:"otp"`
}

// arrayOf reports whether the JSON is an array whose first item is an object with
// every member named.
func arrayOf(s *sniff, names ...string) bool {
	if len(s.arr) == 0 {
		return false
	}
	var first map[string]json.RawMessage
	if json.Unmarshal(s.arr[0], &first) != nil {
		return false
	}
	for _, n := range names {
		if _, ok := first[n]; !ok {
			return false
		}
	}
	return true
}

func decodeTwoFAS(d *decoder) error {
	if d.arr != nil {
		d.twoFASServices(d.arr)
		return nil
	}
	if d.obj == nil {
		return invalid("not a JSON object")
	}
	var schema jsonInt
	if err := d.member("schemaVersion", &schema); err != nil {
		return err
	}
	if v := schema.or(0); v > twoFASSchemaMax {
		return invalid("schema version %d is newer than otpair reads (1 to %d)", v, twoFASSchemaMax)
	}
	var encrypted string
	if err := d.member("servicesEncrypted", &encrypted); err != nil {
		return err
	}
	var services []json.RawMessage
	if encrypted == "" {
		if err := d.member("services", &services); err != nil {
			return err
		}
		d.twoFASServices(services)
		return nil
	}
	var reference string
	if err := d.member("reference", &reference); err != nil {
		return err
	}
	plain, err := d.twoFASDecrypt(encrypted, reference)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, &services); err != nil {
		return invalid("the decrypted services: %s", jsonProblem(err))
	}
	d.twoFASServices(services)
	return nil
}

// twoFASParts splits "ciphertext:salt:iv" and decodes each part.
func twoFASParts(s string) (ct, salt, iv []byte, err error) {
	parts := strings.Split(s, ":")
	if len(parts) < 3 {
		return nil, nil, nil, invalid("the encrypted data has %d part(s), not ciphertext:salt:iv", len(parts))
	}
	dec := make([][]byte, 3)
	for i := range dec {
		if dec[i], err = base64.StdEncoding.DecodeString(parts[i]); err != nil {
			return nil, nil, nil, invalid("part %d of the encrypted data is not base64", i+1)
		}
	}
	if len(dec[2]) != 12 || len(dec[0]) < 16 {
		return nil, nil, nil, invalid("the encrypted data is truncated or its nonce is not 12 bytes")
	}
	return dec[0], dec[1], dec[2], nil
}

// twoFASDecrypt derives the key, checks it on the reference (when there is one, with
// the same salt) and opens the services.
func (d *decoder) twoFASDecrypt(encrypted, reference string) ([]byte, error) {
	ct, salt, iv, err := twoFASParts(encrypted)
	if err != nil {
		return nil, err
	}
	kdf := pbkdf2Params{Hash: sha256.New, Iterations: twoFASIterations, Salt: salt}
	if err := kdf.check(d.limits); err != nil {
		return nil, err
	}
	password, err := d.askPassword()
	if err != nil {
		return nil, err
	}
	key, err := kdf.key(password, 32)
	if err != nil {
		return nil, invalid("PBKDF2: %v", err)
	}
	if reference != "" {
		rct, rsalt, riv, err := twoFASParts(reference)
		if err == nil && string(rsalt) == string(salt) {
			if _, err := gcmOpen(key, riv, rct); err != nil {
				return nil, ErrWrongPassword
			}
			plain, err := gcmOpen(key, iv, ct)
			if err != nil {
				return nil, invalid("the services do not open with the password that opens the reference: they were changed or truncated")
			}
			return plain, nil
		}
	}
	plain, err := gcmOpen(key, iv, ct)
	if err != nil {
		return nil, ErrWrongPassword
	}
	return plain, nil
}

// twoFASServices reads the accounts.
func (d *decoder) twoFASServices(services []json.RawMessage) {
	for i, raw := range services {
		place := fmt.Sprintf("service %d", i+1)
		var s twoFASService
		if err := json.Unmarshal(raw, &s); err != nil {
			d.skip(place, "", jsonProblem(err))
			continue
		}
		issuer := s.Name
		if strings.TrimSpace(issuer) == "" {
			issuer = s.OTP.Issuer
		}
		kind := "TOTP"
		if s.OTP.TokenType != nil {
			kind = *s.OTP.TokenType
		}
		d.addAccount(account{place: place, kind: kind, issuer: issuer, name: s.OTP.Account, algo: s.OTP.Algorithm,
			digits: s.OTP.Digits, period: s.OTP.Period, count: s.OTP.Counter, secret: s.Secret})
	}
}
