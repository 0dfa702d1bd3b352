package provisioning

import (
	"errors"
	"testing"
)

// FuzzParseURI feeds arbitrary text to ParseURI. It must never panic; a failure must be
// a *FieldError (ErrInvalidKey); a key it accepts must be valid for code generation,
// and its URI must parse back to an equal key and write the same URI again. Seeds in
// testdata/fuzz/FuzzParseURI are URIs in the quirks of many apps, and broken ones.
func FuzzParseURI(f *testing.F) {
	f.Add("otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30")
	f.Add("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=7")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseURI(s)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("accepted a key that does not validate: %v", err)
		}
		uri := k.URI()
		again, err := ParseURI(uri)
		if err != nil {
			t.Fatalf("URI of %v does not parse: %v", k, err)
		}
		if !again.Equal(k) {
			t.Fatalf("round trip changed %v (label issuer %q, extra %q) into %v (label issuer %q, extra %q)",
				k, k.LabelIssuer, k.Extra, again, again.LabelIssuer, again.Extra)
		}
		if again.URI() != uri {
			t.Fatalf("URI is not stable across a round trip")
		}
	})
}
