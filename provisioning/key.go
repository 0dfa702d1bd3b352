// Package provisioning holds everything about TOTP and HOTP keys that both sides of an
// enrolment share: otpauth:// URIs, secrets, code generation, QR images and the Google
// Authenticator export format. It is pure: no I/O beyond what it is handed, no clock of
// its own.
package provisioning

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Type is the kind of one-time password a key produces.
type Type string

// The key types otpair generates codes for.
const (
	TOTP  Type = "totp"  // time-based, RFC 6238
	HOTP  Type = "hotp"  // counter-based, RFC 4226
	Steam Type = "steam" // Steam Guard: TOTP written with 5 letters and digits (see SteamAlphabet)
)

// Algorithm is the HMAC hash a key uses. Only the three that RFC 6238 names are valid:
// an unknown one is an error, never a silent SHA1.
type Algorithm string

// The supported HMAC algorithms.
const (
	SHA1   Algorithm = "SHA1"
	SHA256 Algorithm = "SHA256"
	SHA512 Algorithm = "SHA512"
)

// Defaults applied when a URI leaves a parameter out.
const (
	DefaultDigits = 6
	DefaultPeriod = 30
	MinDigits     = 6
	MaxDigits     = 8
	SteamDigits   = 5 // the length of every Steam Guard code
)

// Key is a parsed provisioning key: everything needed to produce codes and to write the
// key back as a URI. Its String, GoString and Format methods never print the secret, so a
// Key can be logged or wrapped into an error safely.
type Key struct {
	Type      Type
	Issuer    string // the issuer (the parameter, else the label prefix)
	Account   string // the account name, trimmed
	Secret    []byte // the raw shared secret (not base32)
	Algorithm Algorithm
	Digits    int
	Period    int    // seconds per step, TOTP only
	Counter   uint64 // next counter, HOTP only

	// LabelIssuer is the issuer prefix of the label when it differs from Issuer (Apple's
	// guidance makes the parameter a domain and the prefix a name). It is kept so that
	// URI() writes back what it read; empty when the two agree or there is no prefix.
	LabelIssuer string

	// Extra holds query parameters otpair does not interpret (FreeOTP's image, Ente's
	// codeDisplay, …); they are written back by URI().
	Extra url.Values
}

// ErrInvalidKey is wrapped by every error about a key's fields, so callers can tell bad
// input from other failures with errors.Is.
var ErrInvalidKey = errors.New("invalid key")

// FieldError names the key field that was wrong. It never carries the secret itself.
type FieldError struct {
	Field  string // the URI parameter or label part: "secret", "digits", "algorithm", …
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap lets errors.Is(err, ErrInvalidKey) match every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalidKey }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Label is the human name of the key: "Issuer: account", or just the account.
func (k Key) Label() string {
	switch {
	case k.Issuer == "":
		return k.Account
	case k.Account == "":
		return k.Issuer
	default:
		return k.Issuer + ": " + k.Account
	}
}

// String describes the key without its secret.
func (k Key) String() string {
	s := fmt.Sprintf("%s %q %s/%d", k.Type, k.Label(), k.Algorithm, k.Digits)
	if k.Type == HOTP {
		return s + fmt.Sprintf(" counter=%d", k.Counter)
	}
	return s + fmt.Sprintf(" period=%ds", k.Period)
}

// GoString is String for %#v, so the secret cannot leak through debug printing.
func (k Key) GoString() string { return "provisioning.Key{" + k.String() + "}" }

// Format makes every fmt verb (%v, %+v, %x, %s, …) print the secret-free String.
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, k.GoString())
		return
	}
	fmt.Fprint(f, k.String())
}

// SecretBase32 is the secret in unpadded upper-case base32, as URIs and oathtool take it.
func (k Key) SecretBase32() string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(k.Secret)
}

// Equal reports whether two keys produce the same codes and write the same URI.
func (k Key) Equal(o Key) bool {
	if k.Type != o.Type || k.Issuer != o.Issuer || k.Account != o.Account ||
		k.Algorithm != o.Algorithm || k.Digits != o.Digits || k.Period != o.Period ||
		k.Counter != o.Counter || k.LabelIssuer != o.LabelIssuer ||
		string(k.Secret) != string(o.Secret) || len(k.Extra) != len(o.Extra) {
		return false
	}
	for name, vs := range k.Extra {
		ws, ok := o.Extra[name]
		if !ok || strings.Join(vs, "\x00") != strings.Join(ws, "\x00") {
			return false
		}
	}
	return true
}

// Validate checks the fields that code generation depends on and names the first one
// that is wrong.
func (k Key) Validate() error {
	switch k.Type {
	case TOTP:
		if k.Period <= 0 {
			return fieldErr("period", "must be a positive number of seconds, got %d", k.Period)
		}
	case HOTP:
	case Steam:
		if k.Period <= 0 {
			return fieldErr("period", "must be a positive number of seconds, got %d", k.Period)
		}
		if k.Digits != SteamDigits {
			return fieldErr("digits", "steam codes have %d characters, got %d", SteamDigits, k.Digits)
		}
	default:
		return fieldErr("type", "unsupported type %q (want totp, hotp or steam)", string(k.Type))
	}
	switch k.Algorithm {
	case SHA1, SHA256, SHA512:
	default:
		return fieldErr("algorithm", "unsupported algorithm %q (want SHA1, SHA256 or SHA512)", string(k.Algorithm))
	}
	if k.Type != Steam && (k.Digits < MinDigits || k.Digits > MaxDigits) {
		return fieldErr("digits", "must be %d to %d, got %d", MinDigits, MaxDigits, k.Digits)
	}
	if len(k.Secret) == 0 {
		return fieldErr("secret", "is empty")
	}
	return nil
}
