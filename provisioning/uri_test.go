package provisioning

import (
	"encoding/base32"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

// b32 decodes a canonical base32 secret for expected values.
func b32(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		t.Fatalf("bad test secret %q: %v", s, err)
	}
	return b
}

// totpKey is a TOTP key with the defaults, for table expectations.
func totpKey(issuer, account string, secret []byte) Key {
	return Key{Type: TOTP, Issuer: issuer, Account: account, Secret: secret, Algorithm: SHA1, Digits: 6, Period: 30}
}

// TestParseURIApps: URIs shaped as authenticator apps and services write them
// (research/authenticator.md §3.2), each to the key a careful app would enrol.
func TestParseURIApps(t *testing.T) {
	hello := b32(t, "JBSWY3DPEHPK3PXP") // "Hello!\xde\xad\xbe\xef"
	acme := b32(t, "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ")
	aws := b32(t, "W3LJ5JQ4X7D3JDRCWV4TQRNYS6OMX3YUPTAMKXK3ZQYBEQ2D7BRZDWNPXKX6GAXC")
	with := func(k Key, f func(*Key)) Key { f(&k); return k }
	for _, c := range []struct {
		name, uri string
		want      Key
	}{
		{"google wiki", "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
			totpKey("Example", "alice@google.com", hello)},
		{"google wiki full", "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
			totpKey("ACME Co", "john.doe@email.com", acme)},
		{"microsoft lower-case secret", "otpauth://totp/Microsoft:user%40outlook.com?secret=jbswy3dpehpk3pxp&issuer=Microsoft",
			totpKey("Microsoft", "user@outlook.com", hello)},
		{"aegis sha256 7 digits period 50", "otpauth://totp/Deno:Mason?period=50&digits=7&algorithm=SHA256&secret=JBSWY3DPEHPK3PXP&issuer=Deno",
			with(totpKey("Deno", "Mason", hello), func(k *Key) { k.Algorithm, k.Digits, k.Period = SHA256, 7, 50 })},
		{"aegis hotp", "otpauth://hotp/Issuu:James?digits=6&counter=10&algorithm=SHA1&secret=JBSWY3DPEHPK3PXP&issuer=Issuu",
			Key{Type: HOTP, Issuer: "Issuu", Account: "James", Secret: hello, Algorithm: SHA1, Digits: 6, Counter: 10}},
		{"freeotp image", "otpauth://totp/FreeOTP:joe?secret=JBSWY3DPEHPK3PXP&issuer=FreeOTP&image=https%3A%2F%2Fexample.com%2Flogo.png%3Fs%3D1",
			with(totpKey("FreeOTP", "joe", hello), func(k *Key) { k.Extra = url.Values{"image": {"https://example.com/logo.png?s=1"}} })},
		{"ente codeDisplay", `otpauth://totp/Ente:me@ente.io?secret=JBSWY3DPEHPK3PXP&issuer=Ente&algorithm=sha512&digits=8&period=30&codeDisplay=%7B%22pinned%22%3Afalse%2C%22tags%22%3A%5B%5D%7D`,
			with(totpKey("Ente", "me@ente.io", hello), func(k *Key) {
				k.Algorithm, k.Digits = SHA512, 8
				k.Extra = url.Values{"codeDisplay": {`{"pinned":false,"tags":[]}`}}
			})},
		{"authy-ish prefix differs, literal space", "otpauth://totp/Cloudflare: user@example.com?secret=JBSWY3DPEHPK3PXP&issuer=cloudflare.com",
			with(totpKey("cloudflare.com", "user@example.com", hello), func(k *Key) { k.LabelIssuer = "Cloudflare" })},
		{"aws long secret", "otpauth://totp/Amazon%20Web%20Services:root-account-mfa-device@123456789012?secret=W3LJ5JQ4X7D3JDRCWV4TQRNYS6OMX3YUPTAMKXK3ZQYBEQ2D7BRZDWNPXKX6GAXC&issuer=Amazon%20Web%20Services",
			totpKey("Amazon Web Services", "root-account-mfa-device@123456789012", aws)},
		{"github", "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
			totpKey("GitHub", "octocat", hello)},
		{"apple domain issuer", "otpauth://totp/Example%20Inc:alice?secret=JBSWY3DPEHPK3PXP&issuer=example.com",
			with(totpKey("example.com", "alice", hello), func(k *Key) { k.LabelIssuer = "Example Inc" })},
		{"slack workspace prefix", "otpauth://totp/Slack%20(Acme):guest?secret=JBSWY3DPEHPK3PXP&issuer=Slack",
			with(totpKey("Slack", "guest", hello), func(k *Key) { k.LabelIssuer = "Slack (Acme)" })},
		{"2fas plus in issuer", "otpauth://totp/Air%20Canada:pax?secret=JBSWY3DPEHPK3PXP&issuer=Air+Canada",
			totpKey("Air Canada", "pax", hello)},
		{"hash in label", "otpauth://totp/Work:alice#work?secret=JBSWY3DPEHPK3PXP&issuer=Work",
			totpKey("Work", "alice#work", hello)},
		{"two colons", "otpauth://totp/A:b:c?secret=JBSWY3DPEHPK3PXP",
			totpKey("A", "b:c", hello)},
		{"encoded colon", "otpauth://totp/ACME%3Ajohn?secret=JBSWY3DPEHPK3PXP",
			totpKey("ACME", "john", hello)},
		{"percent-encoded unicode", "otpauth://totp/%E2%82%AC%20Bank:j%C3%B6rg?secret=JBSWY3DPEHPK3PXP&issuer=%E2%82%AC%20Bank",
			totpKey("€ Bank", "jörg", hello)},
		{"raw unicode and spaces", "otpauth://totp/Банк Онлайн:иван ?secret=JBSWY3DPEHPK3PXP",
			totpKey("Банк Онлайн", "иван", hello)},
		{"no issuer", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP",
			totpKey("", "alice", hello)},
		{"issuer only from parameter", "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Example",
			totpKey("Example", "alice", hello)},
		{"plus in label is a plus", "otpauth://totp/Google:alice+otp@gmail.com?secret=JBSWY3DPEHPK3PXP&issuer=Google",
			totpKey("Google", "alice+otp@gmail.com", hello)},
		{"andotp padding", "otpauth://totp/andOTP:pad?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ======",
			totpKey("andOTP", "pad", b32(t, "4SJHB4GSD43FZBAI7C2HLRJGPQ"))},
		{"spaces in secret", "otpauth://totp/gauth:spaces?secret=hret%203ij7%20kaj4%202jzg",
			totpKey("gauth", "spaces", b32(t, "HRET3IJ7KAJ42JZG"))},
		{"plus-spaces and dashes in secret", "otpauth://totp/x?secret=JBSW+Y3DP-EHPK+3PXP",
			totpKey("", "x", hello)},
		{"upper-case everything", "OTPAUTH://TOTP/ACME:JOHN?SECRET=JBSWY3DPEHPK3PXP&ISSUER=ACME&ALGORITHM=SHA256&DIGITS=8&PERIOD=60",
			with(totpKey("ACME", "JOHN", hello), func(k *Key) { k.Algorithm, k.Digits, k.Period = SHA256, 8, 60 })},
		{"hotp without counter", "otpauth://hotp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example",
			Key{Type: HOTP, Issuer: "Example", Account: "alice", Secret: hello, Algorithm: SHA1, Digits: 6}},
		{"hotp period kept as extra", "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551615&period=60",
			Key{Type: HOTP, Account: "x", Secret: hello, Algorithm: SHA1, Digits: 6, Counter: 1<<64 - 1, Extra: url.Values{"period": {"60"}}}},
		{"totp counter kept as extra", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&counter=3",
			with(totpKey("", "x", hello), func(k *Key) { k.Extra = url.Values{"counter": {"3"}} })},
		{"rsc 2fa 7 digits", "otpauth://totp/rsc?secret=nzxxiidbebvwk6jb&digits=7",
			with(totpKey("", "rsc", b32(t, "NZXXIIDBEBVWK6JB")), func(k *Key) { k.Digits = 7 })},
		{"spid 60s sha512 dashed", "otpauth://totp/Aruba:CF123?secret=JBSWY3DPEHPK3PXP&algorithm=SHA-512&period=60&digits=8",
			with(totpKey("Aruba", "CF123", hello), func(k *Key) { k.Algorithm, k.Period, k.Digits = SHA512, 60, 8 })},
		{"yandex pin, empty and repeated params", "otpauth://totp/Yandex:me?&secret=JBSWY3DPEHPK3PXP&&pin=1&pin=2&issuer=Yandex&issuer=Yandex&digits=&",
			with(totpKey("Yandex", "me", hello), func(k *Key) { k.Extra = url.Values{"pin": {"1", "2"}} })},
		{"period 90 and 15", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=90",
			with(totpKey("", "x", hello), func(k *Key) { k.Period = 90 })},
		{"surrounding whitespace", "  otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=15\n",
			with(totpKey("", "x", hello), func(k *Key) { k.Period = 15 })},
		{"no label", "otpauth://totp?secret=JBSWY3DPEHPK3PXP&issuer=Bare",
			totpKey("Bare", "", hello)},
		{"stray percent in label", "otpauth://totp/50%off:me?secret=JBSWY3DPEHPK3PXP",
			totpKey("50%off", "me", hello)},
		{"stray percent kept", "otpauth://totp/100%25%20sure:me?secret=JBSWY3DPEHPK3PXP&note=50%off",
			with(totpKey("100% sure", "me", hello), func(k *Key) { k.Extra = url.Values{"note": {"50%off"}} })},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseURI(c.uri)
			if err != nil {
				t.Fatalf("ParseURI: %v", err)
			}
			if !got.Equal(c.want) {
				t.Fatalf("ParseURI =\n %v %q %q %v\nwant\n %v %q %q %v", got, got.LabelIssuer, got.Secret, got.Extra,
					c.want, c.want.LabelIssuer, c.want.Secret, c.want.Extra)
			}
			again, err := ParseURI(got.URI())
			if err != nil || !again.Equal(got) {
				t.Fatalf("round trip through %s: %v, %v", redactForLog(got.URI()), again, err)
			}
		})
	}
}

// redactForLog hides the secret of a URI in a test message.
func redactForLog(uri string) string {
	base, q, _ := strings.Cut(uri, "?")
	var out []string
	for _, p := range strings.Split(q, "&") {
		if strings.HasPrefix(strings.ToLower(p), "secret=") {
			p = "secret=…"
		}
		out = append(out, p)
	}
	return base + "?" + strings.Join(out, "&")
}

// TestParseURIRejects: each way a URI would give wrong codes, or none, is refused with a
// *FieldError naming the field, and no error message holds the secret.
func TestParseURIRejects(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	for _, c := range []struct {
		uri, field, says string
	}{
		{"otpauth://totp/x?issuer=Example", "secret", "missing"},
		{"otpauth://totp/x?secret=&issuer=Example", "secret", "missing"},
		{"otpauth://totp/x?secret=%20=%20", "secret", "missing"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PX1", "secret", "base32"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PX%C3%A9", "secret", "base32"},
		{"otpauth://totp/x?secret=JBS", "secret", "base32"},
		{"otpauth://totp/x?secret=JBSWY3DP%zzEHPK3PXP", "secret", "percent"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXQ", "secret", "twice"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "algorithm", `"MD5"`},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=SHA3-256", "algorithm", `"SHA3-256"`},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=SHA-3", "algorithm", `"SHA-3"`},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=" + strings.Repeat("Ж", 100), "algorithm", `"` + strings.Repeat("Ж", 40) + `"…`},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&algorithm=SHA256", "algorithm", "twice"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=5", "digits", "got 5"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9", "digits", "got 9"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six", "digits", "not a number"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0", "period", "positive"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=-30", "period", "positive"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=-99999999999999999999", "period", "positive"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=thirty", "period", "not a whole number"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=30.5", "period", "not a whole number"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=4294967296", "period", "too long"},
		{"otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=-1", "counter", "whole number"},
		{"otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551616", "counter", "whole number"},
		{"otpauth://yandex/me?secret=JBSWY3DPEHPK3PXP", "type", `"yandex"`},
		{"otpauth:///me?secret=JBSWY3DPEHPK3PXP", "type", "missing"},
		{"otpauth://totp/me?secret=JBSWY3DPEHPK3PXP&encoder=motp", "encoder", "motp"},
		{"https://example.com/?secret=JBSWY3DPEHPK3PXP", "scheme", "otpauth://"},
		{"otpauth-migration://offline?data=AAAA", "scheme", "otpauth://"},
		{"", "scheme", "otpauth://"},
	} {
		_, err := ParseURI(c.uri)
		var fe *FieldError
		switch {
		case err == nil:
			t.Errorf("ParseURI(%q) accepted it; want a %s error", c.uri, c.field)
			continue
		case !errors.As(err, &fe) || !errors.Is(err, ErrInvalidKey):
			t.Errorf("ParseURI(%q) = %v (%T); want a *FieldError wrapping ErrInvalidKey", c.uri, err, err)
			continue
		}
		if fe.Field != c.field || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ParseURI(%q) = %q (field %q); want field %q saying %q", c.uri, err, fe.Field, c.field, c.says)
		}
		for _, leak := range []string{secret, secret[:8], strings.ToLower(secret[:8]), "JBSWY3DP"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("ParseURI(%q) error %q contains the secret", c.uri, err)
			}
		}
	}
}

// TestURIWrites: URI writes every parameter, spaces as %20, the label prefix that was
// read, and extras in name order.
func TestURIWrites(t *testing.T) {
	k := Key{Type: TOTP, Issuer: "ACME Co", LabelIssuer: "ACME+Co Ltd", Account: "jo@x.io", Secret: []byte("Hello!\xde\xad\xbe\xef"),
		Algorithm: SHA256, Digits: 8, Period: 60, Extra: url.Values{"z": {"1"}, "image": {"https://a/b c.png"}}}
	want := "otpauth://totp/ACME+Co%20Ltd:jo@x.io?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60&image=https%3A%2F%2Fa%2Fb%20c.png&z=1"
	if got := k.URI(); got != want {
		t.Errorf("URI =\n %s\nwant\n %s", got, want)
	}
	h := Key{Type: HOTP, Account: "a:b", Secret: []byte{1}, Algorithm: SHA1, Digits: 6, Counter: 42}
	if got, want := h.URI(), "otpauth://hotp/:a:b?secret=AE&algorithm=SHA1&digits=6&counter=42"; got != want {
		t.Errorf("URI = %s, want %s", got, want)
	}
	colon := Key{Type: TOTP, Issuer: "A: B", Account: "c", Secret: []byte{1}, Algorithm: SHA1, Digits: 6, Period: 30}
	if got, want := colon.URI(), "otpauth://totp/:c?secret=AE&issuer=A%3A%20B&algorithm=SHA1&digits=6&period=30"; got != want {
		t.Errorf("URI = %s, want %s", got, want)
	}
	// CompactURI leaves out exactly the parameters that hold their defaults.
	for _, c := range []struct {
		k    Key
		want string
	}{
		{colon, "otpauth://totp/:c?secret=AE&issuer=A%3A%20B"},
		{h, "otpauth://hotp/:a:b?secret=AE&counter=42"},
		{k, "otpauth://totp/ACME+Co%20Ltd:jo@x.io?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60&image=https%3A%2F%2Fa%2Fb%20c.png&z=1"},
	} {
		if got := c.k.CompactURI(); got != c.want {
			t.Errorf("CompactURI =\n %s\nwant\n %s", got, c.want)
		}
	}
	seven := colon
	seven.Digits, seven.Period = 7, 31
	if got, want := seven.CompactURI(), "otpauth://totp/:c?secret=AE&issuer=A%3A%20B&digits=7&period=31"; got != want {
		t.Errorf("CompactURI = %s, want %s", got, want)
	}
}

// randomKeyText is a label or issuer text with the characters URIs trip over: spaces
// (inside only: parsing trims), colons, "#", "%", "+", "&", "=", "?", "/" and non-ASCII.
func randomKeyText(rng *rand.Rand, colons bool) string {
	const alphabet = "abcXYZ019 .-_@:#%+&=?/é€😀'\""
	runes := []rune(alphabet)
	n := rng.IntN(12)
	var b strings.Builder
	for range n {
		r := runes[rng.IntN(len(runes))]
		if r == ':' && !colons {
			continue
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// randomKey is a valid key whose every field varies, within what ParseURI can produce.
func randomKey(rng *rand.Rand) Key {
	k := Key{Type: TOTP, Algorithm: []Algorithm{SHA1, SHA256, SHA512}[rng.IntN(3)], Digits: 6 + rng.IntN(3)}
	k.Secret = make([]byte, 1+rng.IntN(64))
	for i := range k.Secret {
		k.Secret[i] = byte(rng.Uint32())
	}
	if rng.IntN(2) == 0 {
		k.Type, k.Counter = HOTP, rng.Uint64()>>rng.IntN(64)
	} else {
		k.Period = 1 + rng.IntN(300)
	}
	k.Account = randomKeyText(rng, true)
	if rng.IntN(4) > 0 {
		k.Issuer = randomKeyText(rng, true)
	}
	if k.Issuer != "" && rng.IntN(3) == 0 {
		if li := randomKeyText(rng, false); li != "" && li != k.Issuer {
			k.LabelIssuer = li
		}
	}
	for range rng.IntN(3) {
		name := "x" + randomKeyText(rng, true)
		if k.Extra == nil {
			k.Extra = url.Values{}
		}
		k.Extra[name] = append(k.Extra[name], randomKeyText(rng, true))
	}
	return k
}

// TestURIRoundTripRandom: ParseURI(k.URI()) and ParseURI(k.CompactURI()) equal k for random keys (seed logged).
func TestURIRoundTripRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 3000 {
		k := randomAnyKey(rng)
		for _, uri := range []string{k.URI(), k.CompactURI()} {
			got, err := ParseURI(uri)
			if err != nil {
				t.Fatalf("seed %d: ParseURI(URI of %v) = %v", seed, k, err)
			}
			if !got.Equal(k) {
				t.Fatalf("seed %d: round trip of %v (label issuer %q, extra %q) gave %v (label issuer %q, extra %q)\nvia %s",
					seed, k, k.LabelIssuer, k.Extra, got, got.LabelIssuer, got.Extra, redactForLog(uri))
			}
		}
	}
}

// TestKeyNeverPrintsSecret: every fmt verb and a wrapped error show the label, never
// the secret in any encoding.
func TestKeyNeverPrintsSecret(t *testing.T) {
	k, err := ParseURI("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%v|%+v|%#v|%s|%x|%q|%v", k, k, k, k, k, k, fmt.Errorf("wrap: %v", k))
	if !strings.Contains(out, "Example: alice") {
		t.Errorf("output %q does not name the key", out)
	}
	for _, leak := range []string{"JBSWY3DP", "jbswy3dp", "48656c6c6f", "Hello", "SGVsbG8"} {
		if strings.Contains(out, leak) {
			t.Errorf("output %q contains the secret (%s)", out, leak)
		}
	}
}

// BenchmarkParseURI: a typical URI with an issuer prefix, escapes and every parameter;
// net-url is the floor of any parser on net/url: url.Parse and Query alone, no checks
// and no secret decoding.
func BenchmarkParseURI(b *testing.B) {
	const uri = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
	b.Run("otpair", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseURI(uri); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net-url", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			u, err := url.Parse(uri)
			if err != nil || u.Query().Get("secret") == "" {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkKeyURI: writing that key back.
func BenchmarkKeyURI(b *testing.B) {
	k, err := ParseURI("otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = k.URI()
	}
}

// TestIssuerWithColon: a Google Authenticator export whose issuer holds a colon
// (issuer "Ex:ample", name "Ex:ample:alice") is issuer "Ex:ample" and account "alice"
// (it was account "ample:alice"); ParseURI's labels follow the same rule, and both
// write back what they read.
func TestIssuerWithColon(t *testing.T) {
	want := totpKey("Ex:ample", "alice", helloSecret)
	m, err := DecodeMigration(migrationURI(wirePayload([]wireAccount{{secret: helloSecret, name: "Ex:ample:alice", issuer: "Ex:ample", typ: 2}}, 1, 1, 0, 0)))
	if err != nil || len(m.Keys) != 1 || !m.Keys[0].Equal(want) {
		t.Fatalf("export: %v (label issuer %q), %v; want %v", m.Keys, m.Keys[0].LabelIssuer, err, want)
	}
	for _, uri := range []string{
		"otpauth://totp/Ex:ample:alice?secret=JBSWY3DPEHPK3PXP&issuer=Ex:ample",
		"otpauth://totp/Ex%3Aample%3Aalice?secret=JBSWY3DPEHPK3PXP&issuer=Ex%3Aample",
		"otpauth://totp/Ex:ample:%20alice?secret=JBSWY3DPEHPK3PXP&issuer=Ex%3Aample",
	} {
		k, err := ParseURI(uri)
		if err != nil || !k.Equal(want) {
			t.Errorf("ParseURI(%q) = %v (label issuer %q), %v; want %v", uri, k, k.LabelIssuer, err, want)
		}
	}
	k, err := ParseURI(want.URI())
	if err != nil || !k.Equal(want) {
		t.Errorf("URI round trip: %v, %v", k, err)
	}
	pages, err := EncodeMigration([]Key{want})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := DecodeMigration(pages[0]); err != nil || !m.Keys[0].Equal(want) {
		t.Errorf("export round trip: %v, %v", m.Keys, err)
	}
	// The first colon still splits a label whose prefix is not the issuer.
	k, err = ParseURI("otpauth://totp/Ex:ample:alice?secret=JBSWY3DPEHPK3PXP&issuer=Other")
	if err != nil || k.Issuer != "Other" || k.LabelIssuer != "Ex" || k.Account != "ample:alice" {
		t.Errorf("another issuer: %q %q %q, %v", k.Issuer, k.LabelIssuer, k.Account, err)
	}
}
