package backup

import (
	"strings"

	"github.com/otpair/otpair/provisioning"
)

// decodeSecret reads a base32 secret as the apps that export it read it: any case,
// with spaces, dashes or "=" padding, and a length that does not end on a whole byte
// (provisioning.DecodeSecretLenient). Its errors name the field and never quote it.
func decodeSecret(s string) ([]byte, error) { return provisioning.DecodeSecretLenient(s) }

// parseURI reads an otpauth URI as the apps that export it write it: a secret whose
// length ends inside a byte included (provisioning.ParseURILenient).
func parseURI(uri string) (provisioning.Key, error) { return provisioning.ParseURILenient(uri) }

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
