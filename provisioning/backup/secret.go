package backup

import (
	"encoding/base32"
	"errors"
	"net/url"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// decodeSecret reads a base32 secret as the apps that export it read it: any case,
// with spaces, dashes or "=" padding, and a length that does not end on a whole byte
// (provisioning.DecodeSecretLenient). Its errors name the field and never quote it.
func decodeSecret(s string) ([]byte, error) { return provisioning.DecodeSecretLenient(s) }

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
