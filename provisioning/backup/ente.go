package backup

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/otpair/otpair/provisioning/backup/internal/secretstream"
)

// enteFormat is Ente Auth's export: plain text, one otpauth URI a line with Ente's
// codeDisplay parameter (secrets may end on a partial byte, which Ente accepts), or
// that text encrypted: Argon2id (libsodium's crypto_pwhash: memLimit bytes, opsLimit
// passes, one thread) and XChaCha20-Poly1305 secretstream.
var enteFormat = Format{
	Name:   "ente",
	Title:  "Ente Auth export",
	Shapes: "Ente Auth export: plain text (otpauth URIs with codeDisplay), or encrypted (Argon2id + XChaCha20-Poly1305 secretstream)",
	detect: func(s *sniff) bool {
		if s.has("kdfParams", "encryptedData") {
			return true
		}
		return s.obj == nil && s.arr == nil && s.text && isEnteText(s)
	},
	decode: decodeEnte,
}

// isEnteText reports whether every line is an otpauth URI and one has codeDisplay.
func isEnteText(s *sniff) bool {
	lines, ente := s.lines(), false
	for _, l := range lines {
		if !strings.HasPrefix(strings.ToLower(l), "otpauth://") {
			return false
		}
		ente = ente || strings.Contains(l, "codeDisplay=")
	}
	return ente
}

// enteEncrypted is the encrypted export.
type enteEncrypted struct {
	Version   jsonInt `json:"version"`
	KDFParams struct {
		MemLimit jsonInt `json:"memLimit"`
		OpsLimit jsonInt `json:"opsLimit"`
		Salt     string  `json:"salt"`
	} `json:"kdfParams"`
	EncryptedData   string `json:"encryptedData"`
	EncryptionNonce string `json:"encryptionNonce"`
}

func decodeEnte(d *decoder) error {
	text := d.body
	if d.obj != nil {
		plain, err := d.enteDecrypt()
		if err != nil {
			return err
		}
		text = plain
	}
	for i, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d.uriLine(fmt.Sprintf("line %d", i+1), line)
	}
	return nil
}

// uriLine reads one otpauth URI of an app's export, leniently about its secret; an
// entry in Ente's trash (codeDisplay's "trashed") is left out, named.
func (d *decoder) uriLine(place, uri string) {
	k, err := parseURI(uri)
	if err != nil {
		d.skip(place, "", strings.TrimPrefix(err.Error(), "parse otpauth uri: "))
		return
	}
	name := nameOr(k.Label(), place)
	if cd := k.Extra.Get("codeDisplay"); cd != "" {
		var display struct {
			Trashed bool `json:"trashed"`
		}
		if json.Unmarshal([]byte(cd), &display) == nil && display.Trashed {
			d.skip(name, "deleted", "in Ente's trash")
			return
		}
	}
	d.add(name, k)
}

func (d *decoder) enteDecrypt() ([]byte, error) {
	var e enteEncrypted
	if err := json.Unmarshal(d.body, &e); err != nil {
		return nil, invalid("%s", jsonProblem(err))
	}
	if v := e.Version.or(0); v != 1 {
		return nil, invalid("encrypted export version %d is not one otpair reads (1)", v)
	}
	salt, err := base64.StdEncoding.DecodeString(e.KDFParams.Salt)
	if err != nil || len(salt) != 16 {
		return nil, invalid("the salt is not 16 bytes of base64")
	}
	header, err := base64.StdEncoding.DecodeString(e.EncryptionNonce)
	if err != nil || len(header) != secretstream.HeaderSize {
		return nil, invalid("the nonce is not %d bytes of base64", secretstream.HeaderSize)
	}
	ct, err := base64.StdEncoding.DecodeString(e.EncryptedData)
	if err != nil {
		return nil, invalid("the encrypted data is not base64")
	}
	mem := e.KDFParams.MemLimit.or(0)
	// crypto_pwhash takes memory in bytes and runs one lane.
	kdf := argon2Params{MemoryKiB: mem / 1024, Passes: e.KDFParams.OpsLimit.or(0), Threads: 1, Salt: salt}
	if mem < 0 {
		kdf.MemoryKiB = -1
	}
	if err := kdf.check(d.limits); err != nil {
		return nil, err
	}
	password, err := d.askPassword()
	if err != nil {
		return nil, err
	}
	st, err := secretstream.NewPull(kdf.key(password, secretstream.KeySize), header)
	if err != nil {
		return nil, invalid("%v", err)
	}
	// The whole export is one message (its tag is FINAL from some Ente apps, MESSAGE
	// from others, and Ente reads either), so a truncated file fails authentication.
	plain, _, err := st.Pull(ct, nil)
	if err != nil {
		// Ente derives the key straight from the password, so a changed file and a
		// wrong password look alike.
		return nil, ErrWrongPassword
	}
	return plain, nil
}
