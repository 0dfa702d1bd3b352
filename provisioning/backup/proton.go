package backup

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// protonFormat is Proton Authenticator's export: {version, entries[]} whose entries
// hold an otpauth URI, or, encrypted, {version, salt, content}: Argon2id (2 passes,
// 19 MiB, one thread, fixed by the app) and AES-256-GCM with the associated data
// "proton.authenticator.export.v1", content being nonce, ciphertext and tag.
var protonFormat = Format{
	Name:   "proton",
	Title:  "Proton Authenticator export",
	Shapes: "Proton Authenticator JSON export, plain or encrypted with a password (Argon2id + AES-256-GCM)",
	detect: func(s *sniff) bool {
		return s.has("version", "entries") || (s.has("version", "salt", "content") && len(s.obj) == 3)
	},
	decode: decodeProton,
}

// protonAAD is the associated data of an encrypted export.
const protonAAD = "proton.authenticator.export.v1"

// protonKDF is the app's fixed Argon2id cost.
var protonKDF = argon2Params{MemoryKiB: 19 << 10, Passes: 2, Threads: 1}

func decodeProton(d *decoder) error {
	obj := d.obj
	if !d.has("entries") {
		plain, err := d.protonDecrypt()
		if err != nil {
			return err
		}
		obj = nil
		if err := json.Unmarshal(plain, &obj); err != nil || obj == nil {
			return invalid("the decrypted export is not a JSON object")
		}
	}
	var entries []json.RawMessage
	if raw, ok := obj["entries"]; ok {
		if err := json.Unmarshal(raw, &entries); err != nil {
			return invalid("entries: %s", jsonProblem(err))
		}
	}
	for i, raw := range entries {
		place := fmt.Sprintf("entry %d", i+1)
		var e struct {
			Content struct {
				URI  string `json:"uri"`
				Name string `json:"name"`
			} `json:"content"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			d.skip(place, "", jsonProblem(err))
			continue
		}
		k, err := parseURI(e.Content.URI)
		if err != nil {
			d.skip(nameOr(e.Content.Name, place), "", strings.TrimPrefix(err.Error(), "parse otpauth uri: "))
			continue
		}
		d.add(nameOr(k.Label(), place), k)
	}
	return nil
}

func (d *decoder) protonDecrypt() ([]byte, error) {
	var version jsonInt
	var salt, content string
	for name, v := range map[string]any{"version": &version, "salt": &salt, "content": &content} {
		if err := d.member(name, v); err != nil {
			return nil, err
		}
	}
	if v := version.or(0); v != 1 {
		return nil, invalid("encrypted export version %d is not one otpair reads (1)", v)
	}
	s, err := base64.StdEncoding.DecodeString(salt)
	if err != nil || len(s) == 0 {
		return nil, invalid("the salt is not base64")
	}
	sealed, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		return nil, invalid("the content is not base64")
	}
	if len(sealed) < 12+16 {
		return nil, invalid("the content is truncated (%d bytes)", len(sealed))
	}
	kdf := protonKDF
	kdf.Salt = s
	if err := kdf.check(d.limits); err != nil {
		return nil, err
	}
	password, err := d.askPassword()
	if err != nil {
		return nil, err
	}
	plain, err := gcmOpenAD(kdf.key(password, 32), sealed[:12], sealed[12:], []byte(protonAAD))
	if err != nil {
		return nil, ErrWrongPassword
	}
	return plain, nil
}
