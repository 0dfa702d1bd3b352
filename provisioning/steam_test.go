package provisioning

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// steamVectors are codes the Steam mobile app showed for a throw-away account, with the
// secret extracted from the app's data: published in KeePassXC's tests
// (tests/TestTotp.cpp, testSteamTotp). Aegis's own tests hold no Steam code vectors;
// steamCode follows Aegis's OTP.toSteamString, and these codes hold it to Steam's.
var steamVectors = []struct {
	at   int64
	code string
}{
	{1511200518, "FR8RV"},
	{1511200714, "9P3VP"},
}

const steamVectorSecret = "63BEDWCQZKTQWPESARIERL5DTTQFCJTK"

// TestSteamCodesMatchSteamApp: Steam Guard codes equal the Steam app's, through a Key
// read from each URI form that apps write.
func TestSteamCodesMatchSteamApp(t *testing.T) {
	for _, uri := range []string{
		"otpauth://steam/Steam:test?secret=" + steamVectorSecret + "&issuer=Steam",
		"otpauth://totp/test:test@example.com?secret=" + steamVectorSecret + "&issuer=Valve&algorithm=SHA1&digits=5&period=30&encoder=steam",
	} {
		k, err := ParseURI(uri)
		if err != nil {
			t.Fatalf("ParseURI(%s): %v", redactForLog(uri), err)
		}
		if k.Type != Steam || k.Digits != SteamDigits || k.Period != 30 || k.Algorithm != SHA1 {
			t.Fatalf("ParseURI(%s) = %v; want a steam key, 5 characters, 30 s, SHA1", redactForLog(uri), k)
		}
		for _, v := range steamVectors {
			got, err := k.Code(time.Unix(v.at, 0))
			if err != nil || got != v.code {
				t.Errorf("%s: Code(%d) = %q, %v; want %q", redactForLog(uri), v.at, got, err, v.code)
			}
			if got, _ := k.StepCode(uint64(v.at / 30)); got != v.code {
				t.Errorf("StepCode(%d) = %q; want %q", v.at/30, got, v.code)
			}
		}
	}
}

// TestSteamCodeShape: every code has 5 characters from SteamAlphabet.
func TestSteamCodeShape(t *testing.T) {
	k := Key{Type: Steam, Secret: b32(t, "JRZCL47CMXVOQMNPZR2F7J4RGI"), Algorithm: SHA1, Digits: SteamDigits, Period: 30}
	for step := range uint64(2000) {
		code, err := k.StepCode(step)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != SteamDigits || strings.Trim(code, SteamAlphabet) != "" {
			t.Fatalf("step %d: code %q is not 5 characters of %s", step, code, SteamAlphabet)
		}
	}
}

// TestSteamURI: the URI otpair writes names the type in both interoperable forms and
// reads back to the same key; what would give wrong codes is refused.
func TestSteamURI(t *testing.T) {
	k, err := ParseURI("otpauth://steam/Boeing:Sophia?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Boeing&algorithm=SHA1&digits=5&period=30")
	if err != nil {
		t.Fatal(err)
	}
	want := Key{Type: Steam, Issuer: "Boeing", Account: "Sophia", Secret: b32(t, "JRZCL47CMXVOQMNPZR2F7J4RGI"), Algorithm: SHA1, Digits: 5, Period: 30}
	if !k.Equal(want) {
		t.Fatalf("Aegis's Steam URI gave %v; want %v", k, want)
	}
	uri := k.URI()
	if !strings.HasPrefix(uri, "otpauth://steam/Boeing:Sophia?") || !strings.Contains(uri, "&digits=5&period=30&encoder=steam") {
		t.Errorf("URI() = %s; want otpauth://steam/ with digits=5, period=30 and encoder=steam", redactForLog(uri))
	}
	if back, err := ParseURI(uri); err != nil || !back.Equal(k) {
		t.Errorf("ParseURI(URI()) = %v, %v; want %v", back, err, k)
	}
	for _, c := range []struct{ uri, field string }{
		{"otpauth://steam/me?secret=JBSWY3DPEHPK3PXP&digits=6", "digits"},
		{"otpauth://totp/me?secret=JBSWY3DPEHPK3PXP&digits=6&encoder=steam", "digits"},
		{"otpauth://hotp/me?secret=JBSWY3DPEHPK3PXP&encoder=steam", "encoder"},
		{"otpauth://totp/me?secret=JBSWY3DPEHPK3PXP&encoder=yandex", "encoder"},
		{"otpauth://steam/me?secret=JBSWY3DPEHPK3PXP&period=0", "period"},
	} {
		_, err := ParseURI(c.uri)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("ParseURI(%s) = %v; want a %s error", redactForLog(c.uri), err, c.field)
		}
	}
	bad := want
	bad.Digits = 6
	if _, err := bad.Code(time.Unix(0, 0)); err == nil {
		t.Error("a steam key with 6 digits gave a code; want a digits error")
	}
}

// randomAnyKey is randomKey, or a Steam key made from one.
func randomAnyKey(rng *rand.Rand) Key {
	k := randomKey(rng)
	if rng.IntN(4) == 0 {
		k.Type, k.Digits, k.Counter, k.Period = Steam, SteamDigits, 0, 1+rng.IntN(300)
	}
	return k
}
