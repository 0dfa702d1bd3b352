package backup

import (
	"encoding/base32"
	"errors"
	"net/url"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// errNoSecret and errBadSecret are the skip reasons of a secret that cannot be read;
// they never quote it.
var (
	errNoSecret  = errors.New("secret: is missing")
	errBadSecret = errors.New("secret: is not valid base32 (letters A-Z and digits 2-7)")
)

// decodeSecret reads a base32 secret as the apps that export it read it: any case,
// with spaces, dashes or "=" padding, and, like Ente, Proton, Bitwarden and LastPass,
// a length that does not end on a whole byte (the last character's spare bits are
// dropped, which is what their decoders do, so the codes are the ones the app showed).
func decodeSecret(s string) ([]byte, error) {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		clean = append(clean, c)
	}
	for len(clean) > 0 && clean[len(clean)-1] == '=' {
		clean = clean[:len(clean)-1]
	}
	switch len(clean) % 8 {
	case 1, 3, 6:
		clean = clean[:len(clean)-1]
	}
	if len(clean) == 0 {
		return nil, errNoSecret
	}
	out := make([]byte, b32.DecodedLen(len(clean)))
	n, err := b32.Decode(out, clean)
	if err != nil || n == 0 {
		return nil, errBadSecret
	}
	return out[:n], nil
}

// parseURI is provisioning.ParseURI that also takes a secret whose length does not end
// on a whole byte, read as decodeSecret reads it (Ente and Proton write such URIs).
func parseURI(uri string) (provisioning.Key, error) {
	k, err := provisioning.ParseURI(uri)
	var fe *provisioning.FieldError
	if err == nil || !errors.As(err, &fe) || fe.Field != "secret" || !strings.Contains(fe.Reason, "whole bytes") {
		return k, err
	}
	fixed, ok := canonicalSecret(uri)
	if !ok {
		return k, err
	}
	return provisioning.ParseURI(fixed)
}

// canonicalSecret rewrites a URI's secret parameter to canonical base32 of what
// decodeSecret reads from it.
func canonicalSecret(uri string) (string, bool) {
	base, query, ok := strings.Cut(uri, "?")
	if !ok {
		return "", false
	}
	params := strings.Split(query, "&")
	done := false
	for i, p := range params {
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(name, "secret") {
			continue
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return "", false
		}
		secret, err := decodeSecret(v)
		if err != nil {
			return "", false
		}
		params[i], done = name+"="+b32.EncodeToString(secret), true
	}
	return base + "?" + strings.Join(params, "&"), done
}

// algorithm reads an algorithm name as apps write it ("SHA1", "sha256", "SHA-512",
// "HmacSHA1"); empty means SHA1.
func algorithm(s string) (provisioning.Algorithm, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "HMAC")
	s = strings.ReplaceAll(s, "-", "")
	switch s {
	case "", "SHA1":
		return provisioning.SHA1, true
	case "SHA256":
		return provisioning.SHA256, true
	case "SHA512":
		return provisioning.SHA512, true
	}
	return "", false
}
