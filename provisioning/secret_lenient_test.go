package provisioning

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestDecodeSecretLenient: a secret whose length ends inside a byte is refused from a
// URI and read by DecodeSecretLenient with the spare bits dropped (the bytes of the
// secret one character shorter); everything else is read as a URI's secret is.
func TestDecodeSecretLenient(t *testing.T) {
	strict, err := decodeSecret("JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"JBSWY3DPEHPK3PXPA", "jbsw y3dp-ehpk 3pxp a==="} { // 17 characters: 1 spare
		if _, err := decodeSecret(in); err == nil || !strings.Contains(err.Error(), "whole bytes") {
			t.Errorf("decodeSecret(%q) = %v, want the whole-bytes refusal", in, err)
		}
		got, err := DecodeSecretLenient(in)
		if err != nil || !bytes.Equal(got, strict) {
			t.Errorf("DecodeSecretLenient(%q) = %x, %v; want %x", in, got, err, strict)
		}
	}
	if got, err := DecodeSecretLenient("JBSWY3DPEHPK3PXP"); err != nil || !bytes.Equal(got, strict) {
		t.Errorf("a whole-byte secret: %x, %v", got, err)
	}
	for in, want := range map[string]string{"": "secret: is missing", "A": "secret: is missing", "=": "secret: is missing",
		"JBSWY3D!": "secret: is not valid base32"} {
		_, err := DecodeSecretLenient(in)
		var fe *FieldError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("DecodeSecretLenient(%q) = %v, want %q", in, err, want)
		}
	}
	long := strings.Repeat("A", (MaxSecretBytes+1)*8/5+8)
	if _, err := DecodeSecretLenient(long); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("an oversized secret: %v, want the size refusal before decoding", err)
	}
}

// TestParseURILenient: a URI whose secret ends inside a byte is refused by ParseURI
// and read by ParseURILenient as DecodeSecretLenient reads the secret, the rest of the
// URI as ParseURI reads it.
func TestParseURILenient(t *testing.T) {
	const uri = "otpauth://totp/Ex:alice?secret=JBSWY3DPEHPK3PXPA&issuer=Ex&digits=8"
	if _, err := ParseURI(uri); err == nil || !strings.Contains(err.Error(), "whole bytes") {
		t.Fatalf("ParseURI = %v, want the whole-bytes refusal", err)
	}
	k, err := ParseURILenient(uri)
	want, _ := ParseURI("otpauth://totp/Ex:alice?secret=JBSWY3DPEHPK3PXP&issuer=Ex&digits=8")
	if err != nil || !bytes.Equal(k.Secret, want.Secret) || k.Issuer != "Ex" || k.Account != "alice" || k.Digits != 8 {
		t.Fatalf("ParseURILenient = %+v, %v", k, err)
	}
	if _, err := ParseURILenient("otpauth://totp/x?secret=JBSWY3D!"); err == nil || strings.Contains(err.Error(), "JBSWY3D") {
		t.Errorf("a bad secret: %v, want an error that does not quote it", err)
	}
}
