package provisioning

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// wireAccount is one OtpParameters message written field by field with protowire,
// independently of the generated code, as research §3.4 lays the schema out. Zero
// fields are left out, as proto3 writers do.
type wireAccount struct {
	secret                 []byte
	name, issuer           string
	algorithm, digits, typ uint64
	counter                int64
	rawCounter             bool // write counter even when 0
	extraFieldPresent      bool // an unknown field 9, which readers must skip
}

func (a wireAccount) bytes() []byte {
	var b []byte
	if a.secret != nil {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, a.secret)
	}
	if a.name != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, a.name)
	}
	if a.issuer != "" {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, a.issuer)
	}
	for _, f := range []struct {
		num protowire.Number
		v   uint64
	}{{4, a.algorithm}, {5, a.digits}, {6, a.typ}} {
		if f.v != 0 {
			b = protowire.AppendTag(b, f.num, protowire.VarintType)
			b = protowire.AppendVarint(b, f.v)
		}
	}
	if a.counter != 0 || a.rawCounter {
		b = protowire.AppendTag(b, 7, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.counter))
	}
	if a.extraFieldPresent {
		b = protowire.AppendTag(b, 9, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	return b
}

// wirePayload is a MigrationPayload: accounts, version, batch size, index and id.
func wirePayload(accounts []wireAccount, version, size, index, id uint64) []byte {
	var b []byte
	for _, a := range accounts {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, a.bytes())
	}
	for _, f := range []struct {
		num protowire.Number
		v   uint64
	}{{2, version}, {3, size}, {4, index}, {5, id}} {
		if f.v != 0 {
			b = protowire.AppendTag(b, f.num, protowire.VarintType)
			b = protowire.AppendVarint(b, f.v)
		}
	}
	return b
}

// migrationURI is how Google Authenticator writes a page: standard padded base64,
// query-escaped.
func migrationURI(payload []byte) string {
	return "otpauth-migration://offline?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(payload))
}

var helloSecret = []byte("Hello!\xde\xad\xbe\xef") // JBSWY3DPEHPK3PXP

// TestDecodeMigrationSample: the dim13/otpauth README sample (research §3.4): fields 1,
// 2, 3 and 6 only, a name repeating the issuer prefix.
func TestDecodeMigrationSample(t *testing.T) {
	page := wirePayload([]wireAccount{{secret: helloSecret, name: "Example:alice@google.com", issuer: "Example", typ: 2}}, 1, 1, 0, 0)
	m, err := DecodeMigration(migrationURI(page))
	if err != nil {
		t.Fatal(err)
	}
	want := totpKey("Example", "alice@google.com", helloSecret)
	if len(m.Keys) != 1 || !m.Keys[0].Equal(want) {
		t.Fatalf("keys = %v (label issuer %q), want %v", m.Keys, m.Keys[0].LabelIssuer, want)
	}
	if m.Version != 1 || m.BatchSize != 1 || m.BatchIndex != 0 || m.BatchID != 0 {
		t.Errorf("batch = %+v", m)
	}
	// The key gives the RFC 6238 code of its secret, through the URI it writes too.
	k, err := ParseURI(m.Keys[0].URI())
	if err != nil || !k.Equal(want) {
		t.Fatalf("URI of the decoded key: %v, %v", k, err)
	}
}

// TestDecodeMigrationEncodings: the data parameter as exporters and scanners mangle
// it: padded or not, percent-encoded or not, URL-safe, "+" turned into spaces, wrapped
// lines, upper-case scheme and parameter name, other parameters around it.
func TestDecodeMigrationEncodings(t *testing.T) {
	// A secret that makes the page's base64 hold "+", "/" and padding, so the quirks matter.
	rng := rand.New(rand.NewPCG(1, 1))
	var acct wireAccount
	var page []byte
	var std string
	for range 1000 {
		secret := make([]byte, 10)
		for i := range secret {
			secret[i] = byte(rng.Uint32())
		}
		acct = wireAccount{secret: secret, name: "Acme:jo", issuer: "Acme", typ: 2, digits: 2, algorithm: 2}
		page = wirePayload([]wireAccount{acct}, 1, 2, 1, 77)
		if std = base64.StdEncoding.EncodeToString(page); strings.Contains(std, "+") && strings.Contains(std, "/") && strings.HasSuffix(std, "=") {
			break
		}
	}
	if !strings.Contains(std, "+") || !strings.Contains(std, "/") || !strings.HasSuffix(std, "=") {
		t.Fatalf("test payload %q lacks + / or padding", std)
	}
	raw := base64.RawStdEncoding.EncodeToString(page)
	urlsafe := base64.URLEncoding.EncodeToString(page)
	for name, uri := range map[string]string{
		"google":            "otpauth-migration://offline?data=" + url.QueryEscape(std),
		"unescaped":         "otpauth-migration://offline?data=" + std,
		"unpadded":          "otpauth-migration://offline?data=" + raw,
		"plus as space":     "otpauth-migration://offline?data=" + strings.ReplaceAll(std, "+", " "),
		"plus as %20":       "otpauth-migration://offline?data=" + strings.ReplaceAll(std, "+", "%20"),
		"url-safe":          "otpauth-migration://offline?data=" + urlsafe,
		"url-safe unpadded": "otpauth-migration://offline?data=" + strings.TrimRight(urlsafe, "="),
		"wrapped":           "otpauth-migration://offline?data=" + std[:10] + "\n" + std[10:],
		"upper case":        "OTPAUTH-MIGRATION://OFFLINE?DATA=" + url.QueryEscape(std),
		"other params":      " otpauth-migration://offline?v=2&data=" + url.QueryEscape(std) + "&x=1\n",
		"lower-case escape": "otpauth-migration://offline?data=" + strings.NewReplacer("+", "%2b", "/", "%2f", "=", "%3d").Replace(std),
	} {
		m, err := DecodeMigration(uri)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := Key{Type: TOTP, Issuer: "Acme", Account: "jo", Secret: acct.secret, Algorithm: SHA256, Digits: 8, Period: 30}
		if len(m.Keys) != 1 || !m.Keys[0].Equal(want) {
			t.Errorf("%s: keys %v, want %v", name, m.Keys, want)
		}
		if m.BatchSize != 2 || m.BatchIndex != 1 || m.BatchID != 77 {
			t.Errorf("%s: batch %d/%d id %d, want 1/2 id 77", name, m.BatchIndex, m.BatchSize, m.BatchID)
		}
	}
}

// TestDecodeMigrationFields: every enum value and the name/issuer rule.
func TestDecodeMigrationFields(t *testing.T) {
	s := helloSecret
	for _, c := range []struct {
		name string
		in   wireAccount
		want Key
	}{
		{"all unspecified", wireAccount{secret: s, name: "bare"},
			totpKey("", "bare", s)},
		{"sha1 six totp", wireAccount{secret: s, name: "a", algorithm: 1, digits: 1, typ: 2},
			totpKey("", "a", s)},
		{"sha512 eight", wireAccount{secret: s, name: "a", algorithm: 3, digits: 2},
			Key{Type: TOTP, Account: "a", Secret: s, Algorithm: SHA512, Digits: 8, Period: 30}},
		{"hotp counter", wireAccount{secret: s, name: "a", typ: 1, counter: 1 << 40},
			Key{Type: HOTP, Account: "a", Secret: s, Algorithm: SHA1, Digits: 6, Counter: 1 << 40}},
		{"hotp counter 0", wireAccount{secret: s, name: "a", typ: 1, rawCounter: true},
			Key{Type: HOTP, Account: "a", Secret: s, Algorithm: SHA1, Digits: 6}},
		{"issuer only in name", wireAccount{secret: s, name: "GitHub:octo"},
			totpKey("GitHub", "octo", s)},
		{"issuer only in field", wireAccount{secret: s, name: "octo", issuer: "GitHub"},
			totpKey("GitHub", "octo", s)},
		{"prefix repeats issuer, spaces", wireAccount{secret: s, name: "GitHub: octo ", issuer: " GitHub"},
			totpKey("GitHub", "octo", s)},
		{"prefix differs", wireAccount{secret: s, name: "Example Inc:alice", issuer: "example.com"},
			Key{Type: TOTP, Issuer: "example.com", LabelIssuer: "Example Inc", Account: "alice", Secret: s, Algorithm: SHA1, Digits: 6, Period: 30}},
		{"unknown field skipped", wireAccount{secret: s, name: "a", extraFieldPresent: true},
			totpKey("", "a", s)},
	} {
		m, err := DecodeMigration(migrationURI(wirePayload([]wireAccount{c.in}, 1, 1, 0, 5)))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(m.Keys) != 1 || !m.Keys[0].Equal(c.want) {
			t.Errorf("%s: got %v (label issuer %q), want %v", c.name, m.Keys, m.Keys[0].LabelIssuer, c.want)
		}
	}
}

// TestDecodeMigrationSkips: accounts otpair cannot import are left out and named, the
// rest are returned, and the error says which field and never the secret.
func TestDecodeMigrationSkips(t *testing.T) {
	good := wireAccount{secret: helloSecret, name: "Good:one", typ: 2}
	secret := []byte("very secret bytes!!")
	bad := []struct {
		acct  wireAccount
		field string
	}{
		{wireAccount{secret: secret, name: "Md5:x", algorithm: 4}, "algorithm"},
		{wireAccount{secret: secret, name: "Alg:x", algorithm: 9}, "algorithm"},
		{wireAccount{secret: secret, name: "Dig:x", digits: 3}, "digits"},
		{wireAccount{secret: secret, name: "Typ:x", typ: 7}, "type"},
		{wireAccount{secret: secret, name: "Neg:x", typ: 1, counter: -5}, "counter"},
		{wireAccount{name: "NoSecret:x"}, "secret"},
	}
	accounts := []wireAccount{good}
	for _, b := range bad {
		accounts = append(accounts, b.acct, good)
	}
	m, err := DecodeMigration(migrationURI(wirePayload(accounts, 1, 1, 0, 1)))
	if !errors.Is(err, ErrSkippedKeys) || errors.Is(err, ErrInvalidMigration) {
		t.Fatalf("err = %v, want ErrSkippedKeys", err)
	}
	if len(m.Keys) != len(bad)+1 {
		t.Errorf("kept %d keys, want %d", len(m.Keys), len(bad)+1)
	}
	msg := err.Error()
	for _, b := range bad {
		if !strings.Contains(msg, b.acct.name) || !strings.Contains(msg, b.field+":") {
			t.Errorf("error %q does not name %s and its %s", msg, b.acct.name, b.field)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidKey) {
		t.Errorf("error %v does not wrap the accounts' FieldErrors", err)
	}
	for _, leak := range []string{string(secret), base64.StdEncoding.EncodeToString(secret)[:12], fmt.Sprintf("%x", secret[:6])} {
		if strings.Contains(msg, leak) {
			t.Errorf("error %q leaks the secret", msg)
		}
	}
	if !strings.HasPrefix(msg, fmt.Sprintf("decode migration: %d of %d accounts skipped: account 2 (", len(bad), len(accounts))) {
		t.Errorf("error %q does not start with the count and the first account", msg)
	}
}

// TestDecodeMigrationBadInput: pages that cannot be read give ErrInvalidMigration and a
// message saying what is wrong; every truncation of a real page gives an error or a
// smaller page, never a panic.
func TestDecodeMigrationBadInput(t *testing.T) {
	valid := wirePayload([]wireAccount{{secret: helloSecret, name: "Example:alice", issuer: "Example", typ: 2}}, 1, 1, 0, 9)
	for uri, says := range map[string]string{
		"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP":                                    "not an otpauth-migration",
		"otpauth-migration://offline":                                                 "no data",
		"otpauth-migration://offline?dat=abc":                                         "no data",
		"otpauth-migration://offline?data=":                                           "empty",
		"otpauth-migration://offline?data=%3D%3D":                                     "empty",
		"otpauth-migration://offline?data=abc%zz":                                     "percent",
		"otpauth-migration://offline?data=ab*d":                                       "base64",
		"otpauth-migration://offline?data=a":                                          "base64",
		"otpauth-migration://offline?data=" + migrationURI(valid)[33:] + "&data=AAAA": "twice",
		migrationURI([]byte{0x0a, 0x05, 0x01}):                                        "not an export payload",
		migrationURI([]byte{0xff, 0xff, 0xff}):                                        "not an export payload",
		migrationURI(wirePayload(nil, 1, 1, 0, 3)):                                    "no accounts",
		migrationURI([]byte{0x10, 0x01}):                                              "no accounts",
	} {
		_, err := DecodeMigration(uri)
		if !errors.Is(err, ErrInvalidMigration) || !strings.Contains(err.Error(), says) {
			t.Errorf("DecodeMigration(%.60q) = %v; want ErrInvalidMigration saying %q", uri, err, says)
		}
	}
	for n := range len(valid) {
		m, err := DecodeMigration(migrationURI(valid[:n]))
		if err == nil && len(m.Keys) == 0 {
			t.Errorf("truncated to %d bytes: no error and no keys", n)
		}
	}
}

// randomExportKey is a random key that the export format can hold.
func randomExportKey(rng *rand.Rand) Key {
	k := randomKey(rng)
	k.Extra = nil
	if k.Type == TOTP {
		k.Period = 30
	}
	k.Counter &= math.MaxInt64
	if k.Digits == 7 {
		k.Digits = 8
	}
	return k
}

// randomExportKeys is n random keys that the export format can hold.
func randomExportKeys(rng *rand.Rand, n int) []Key {
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = randomExportKey(rng)
	}
	return keys
}

// TestMigrationRoundTrip: 0 < n ≤ 35 random keys encode to ceil(n/10) pages that share
// a batch id, are numbered in order, and decode back to the same keys.
func TestMigrationRoundTrip(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	for _, n := range []int{1, 9, 10, 11, 20, 35} {
		keys := randomExportKeys(rng, n)
		uris, err := EncodeMigration(keys)
		if err != nil {
			t.Fatalf("seed %d, %d keys: %v", seed, n, err)
		}
		if want := (n + 9) / 10; len(uris) != want {
			t.Fatalf("%d keys: %d pages, want %d", n, len(uris), want)
		}
		var got []Key
		id := 0
		for i, uri := range uris {
			if !strings.HasPrefix(uri, "otpauth-migration://offline?data=") || strings.ContainsAny(uri[33:], "+/= ") {
				t.Errorf("page %d is not written as Google writes it: %.60s…", i, uri)
			}
			m, err := DecodeMigration(uri)
			if err != nil {
				t.Fatalf("seed %d, page %d: %v", seed, i, err)
			}
			if m.Version != 1 || m.BatchSize != len(uris) || m.BatchIndex != i || m.BatchID <= 0 ||
				(i > 0 && m.BatchID != id) || len(m.Keys) > MigrationPageSize {
				t.Errorf("page %d: version %d, batch %d/%d, id %d (first page's %d), %d keys",
					i, m.Version, m.BatchIndex, m.BatchSize, m.BatchID, id, len(m.Keys))
			}
			id = m.BatchID
			got = append(got, m.Keys...)
		}
		if len(got) != n {
			t.Fatalf("seed %d: decoded %d keys, want %d", seed, len(got), n)
		}
		for i := range keys {
			if !got[i].Equal(keys[i]) {
				t.Errorf("seed %d: key %d: got %v (label issuer %q), want %v (label issuer %q)",
					seed, i, got[i], got[i].LabelIssuer, keys[i], keys[i].LabelIssuer)
			}
		}
	}
}

// TestEncodeMigrationWire: the page as the schema lays it out, read with protowire
// rather than the generated code (which shares the .proto with the decoder).
func TestEncodeMigrationWire(t *testing.T) {
	k := Key{Type: HOTP, Issuer: "Example", Account: "alice", Secret: helloSecret, Algorithm: SHA512, Digits: 8, Counter: 300}
	uris, err := EncodeMigration([]Key{k})
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(mustUnescape(t, strings.TrimPrefix(uris[0], "otpauth-migration://offline?data=")))
	if err != nil {
		t.Fatal(err)
	}
	fields := map[protowire.Number][]any{}
	readFields(t, data, fields)
	acct := map[protowire.Number][]any{}
	readFields(t, fields[1][0].([]byte), acct)
	for num, want := range map[protowire.Number]any{2: uint64(1), 3: uint64(1), 4: uint64(0)} {
		if len(fields[num]) != 1 || fields[num][0] != want {
			t.Errorf("payload field %d = %v, want %v", num, fields[num], want)
		}
	}
	if len(fields[5]) != 1 || fields[5][0].(uint64) == 0 {
		t.Errorf("batch id = %v, want one non-zero value", fields[5])
	}
	for num, want := range map[protowire.Number]any{2: "alice", 3: "Example", 4: uint64(3), 5: uint64(2), 6: uint64(1), 7: uint64(300)} {
		got := acct[num]
		if len(got) == 1 {
			if b, ok := got[0].([]byte); ok {
				got[0] = string(b)
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("account field %d = %v, want %v", num, got, want)
		}
	}
	if len(acct[1]) != 1 || !bytes.Equal(acct[1][0].([]byte), helloSecret) {
		t.Errorf("account secret field wrong")
	}
}

func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.QueryUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// readFields collects a message's varint and bytes fields by number.
func readFields(t *testing.T, b []byte, into map[protowire.Number][]any) {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatal(protowire.ParseError(n))
			}
			into[num] = append(into[num], v)
			b = b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatal(protowire.ParseError(n))
			}
			into[num] = append(into[num], v)
			b = b[n:]
		default:
			t.Fatalf("field %d has wire type %d", num, typ)
		}
	}
}

// TestEncodeMigrationRefuses: what the format cannot hold is an error naming the account
// and the field, not a silently different key.
func TestEncodeMigrationRefuses(t *testing.T) {
	ok := totpKey("Example", "alice", helloSecret)
	for field, mutate := range map[string]func(*Key){
		"period":       func(k *Key) { k.Period = 60 },
		"digits":       func(k *Key) { k.Digits = 7 },
		"counter":      func(k *Key) { k.Type, k.Period, k.Counter = HOTP, 0, math.MaxInt64+1 },
		"algorithm":    func(k *Key) { k.Algorithm = "MD5" },
		"secret":       func(k *Key) { k.Secret = nil },
		"label issuer": func(k *Key) { k.LabelIssuer = "a:b" },
	} {
		k := ok
		mutate(&k)
		_, err := EncodeMigration([]Key{ok, k})
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field || !strings.Contains(err.Error(), `account 2 ("Example: alice")`) {
			t.Errorf("bad %s: %v; want a FieldError for %s naming account 2", field, err, field)
		}
	}
	if _, err := EncodeMigration(nil); err == nil {
		t.Error("EncodeMigration(nil) gave no error")
	}
}

// TestMigrationThroughQrencodeAndZbarimg: a two-page export drawn by qrencode and read by
// zbarimg (two tools someone else wrote) decodes to the keys that went in.
func TestMigrationThroughQrencodeAndZbarimg(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	keys := randomExportKeys(rng, 13)
	uris, err := EncodeMigration(keys)
	if err != nil {
		t.Fatal(err)
	}
	var got []Key
	for i, uri := range uris {
		path := writeTemp(t, fmt.Sprintf("page%d.png", i), encodePNG(t, qrencodeImage(t, uri, 3)))
		texts, ok := zbarimg(t, path)
		if !ok || len(texts) != 1 || texts[0] != uri {
			t.Fatalf("page %d: zbarimg read %d texts (ok %v), want the URI", i, len(texts), ok)
		}
		m, err := DecodeMigration(texts[0])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Keys...)
	}
	if len(got) != len(keys) {
		t.Fatalf("got %d keys, want %d", len(got), len(keys))
	}
	for i := range keys {
		if !got[i].Equal(keys[i]) {
			t.Errorf("key %d: got %v, want %v", i, got[i], keys[i])
		}
	}
}

// TestMergeMigration: pages in any order, one twice, give the accounts in batch order;
// a missing page is named; pages of two exports are refused.
func TestMergeMigration(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	keys := randomExportKeys(rng, 25)
	uris, err := EncodeMigration(keys)
	if err != nil {
		t.Fatal(err)
	}
	pages := make([]Migration, len(uris))
	for i, uri := range uris {
		if pages[i], err = DecodeMigration(uri); err != nil {
			t.Fatal(err)
		}
	}
	got, missing, err := MergeMigration([]Migration{pages[2], pages[0], pages[2], pages[1]})
	if err != nil || len(missing) != 0 || len(got) != len(keys) {
		t.Fatalf("merge of all pages: %d keys, missing %v, %v", len(got), missing, err)
	}
	for i := range keys {
		if !got[i].Equal(keys[i]) {
			t.Fatalf("key %d out of order or changed: %v, want %v", i, got[i], keys[i])
		}
	}
	got, missing, err = MergeMigration([]Migration{pages[2], pages[0]})
	if err != nil || len(got) != 15 || len(missing) != 1 || missing[0] != 1 {
		t.Errorf("merge without page 1: %d keys, missing %v, %v; want 15 and [1]", len(got), missing, err)
	}
	other, err := EncodeMigration(keys[:11])
	if err != nil {
		t.Fatal(err)
	}
	o, err := DecodeMigration(other[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := MergeMigration([]Migration{pages[0], o}); !errors.Is(err, ErrInvalidMigration) {
		t.Errorf("merge of two exports: %v, want ErrInvalidMigration", err)
	}
	bad := pages[0]
	bad.BatchIndex = 7
	if _, _, err := MergeMigration([]Migration{bad}); !errors.Is(err, ErrInvalidMigration) {
		t.Errorf("merge of a page outside its batch: %v", err)
	}
	loose := Migration{Keys: keys[:2]}
	if got, missing, err := MergeMigration([]Migration{loose, loose}); err != nil || len(got) != 4 || missing != nil {
		t.Errorf("merge of pages without batch info: %d keys, missing %v, %v", len(got), missing, err)
	}
}
