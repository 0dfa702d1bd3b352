package provisioning

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/hostile"
)

// hostileMigration is the 91-character page of issue 11: one account, and a batch of
// 2^31-1 pages, which made `otpair import` run out of memory listing the missing ones.
const hostileMigration = "otpauth-migration://offline?data=ChoKCgEBAQEBAQEBAQESA2E6YhoBYSABKAEwAhABGP////8HIAAouWA%3D"

// TestDecodeMigrationBatchLimit: a page claiming more than MaxMigrationBatch pages, a
// negative batch, or an index outside its batch is refused at once, saying the number
// and the limit, and costs next to no memory. Before the limit the 91-character page
// decoded, and the importer then listed 2^31-1 missing pages.
func TestDecodeMigrationBatchLimit(t *testing.T) {
	if len(hostileMigration) != 91 {
		t.Fatalf("the issue's URI is %d characters, want 91", len(hostileMigration))
	}
	var err error
	if n := hostile.AllocCap(t, 1<<30, func() { _, err = DecodeMigration(hostileMigration) }); n > 64<<10 {
		t.Errorf("refusing the page allocated %d bytes; want a few KiB", n)
	}
	if !errors.Is(err, ErrInvalidMigration) || !strings.Contains(err.Error(), "2147483647 pages") ||
		!strings.Contains(err.Error(), fmt.Sprint(MaxMigrationBatch)) {
		t.Fatalf("DecodeMigration(issue 11's page) = %v; want ErrInvalidMigration naming 2147483647 pages and the limit", err)
	}
	acct := []wireAccount{{secret: helloSecret, name: "a", typ: 2}}
	for _, c := range []struct {
		size, index uint64
		says        string
	}{
		{MaxMigrationBatch + 1, 0, "1001 pages, more than the 1000"},
		{uint64(1<<64 - 5), 0, "-5 pages"}, // int32 -5 on the wire
		{3, 3, "page index 3 is outside a batch of 3"},
		{3, uint64(1<<64 - 1), "page index -1"},
	} {
		_, err := DecodeMigration(migrationURI(wirePayload(acct, 1, c.size, c.index, 7)))
		if !errors.Is(err, ErrInvalidMigration) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("batch size %d index %d: %v; want ErrInvalidMigration saying %q", int32(c.size), int32(c.index), err, c.says)
		}
	}
	m, err := DecodeMigration(migrationURI(wirePayload(acct, 1, MaxMigrationBatch, MaxMigrationBatch-1, 7)))
	if err != nil || m.BatchSize != MaxMigrationBatch {
		t.Errorf("the last page of a %d-page export: %+v, %v", MaxMigrationBatch, m, err)
	}
}

// TestDecodeMigrationPageLimits: too many accounts in one page, or a URI longer than
// MaxURIBytes, is refused; accounts over the field limits are skipped and named, the
// skipped list names the first ten and counts the rest.
func TestDecodeMigrationPageLimits(t *testing.T) {
	many := make([]wireAccount, MaxMigrationAccounts+1)
	for i := range many {
		many[i] = wireAccount{secret: helloSecret, typ: 2}
	}
	if _, err := DecodeMigration(migrationURI(wirePayload(many, 1, 1, 0, 1))); !errors.Is(err, ErrInvalidMigration) ||
		!strings.Contains(err.Error(), "1001 accounts") {
		t.Errorf("a page of %d accounts: %v", len(many), err)
	}
	long := "otpauth-migration://offline?data=" + strings.Repeat("A", MaxURIBytes)
	if _, err := DecodeMigration(long); !errors.Is(err, ErrInvalidMigration) || !strings.Contains(err.Error(), "128 KiB") {
		t.Errorf("a %d-byte URI: %v", len(long), err)
	}

	big := make([]byte, MaxSecretBytes+1)
	accounts := []wireAccount{
		{secret: helloSecret, name: "Good:one", typ: 2},
		{secret: big, name: "Big:secret", typ: 2},
		{secret: helloSecret, name: "Long:" + strings.Repeat("n", MaxNameBytes+1), typ: 2},
		{secret: helloSecret, name: "x", issuer: strings.Repeat("i", MaxNameBytes+1), typ: 2},
	}
	for range 12 {
		accounts = append(accounts, wireAccount{name: "NoSecret"})
	}
	m, err := DecodeMigration(migrationURI(wirePayload(accounts, 1, 1, 0, 1)))
	if !errors.Is(err, ErrSkippedKeys) || len(m.Keys) != 1 {
		t.Fatalf("page with oversized accounts: %d keys, %v; want 1 key and ErrSkippedKeys", len(m.Keys), err)
	}
	msg := err.Error()
	for _, want := range []string{
		`"Big:secret"): secret: is 257 bytes, more than the 256`,
		`account: is 513 bytes, more than the 512`,
		`issuer: is 513 bytes, more than the 512`,
		"; and 5 more",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
}

// TestParseURILimits: a secret, name or parameter over its limit is refused naming the
// field and the limit, and a key exactly at every limit is accepted and round-trips.
// Before the limits, a URI with a 70 MB secret was added to the vault, which then no
// longer opened.
func TestParseURILimits(t *testing.T) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	secretOf := func(n int) string { return enc.EncodeToString(make([]byte, n)) }
	extras := func(n, size int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "&x%d=%s", i, strings.Repeat("v", size))
		}
		return b.String()
	}
	name := func(n int) string { return url.PathEscape(strings.Repeat("é", n/2)) }
	for _, c := range []struct {
		uri, field, says string
	}{
		{"otpauth://totp/x?secret=" + secretOf(MaxSecretBytes+1), "secret", "257 bytes, more than the 256"},
		{"otpauth://totp/x?secret=" + secretOf(1<<20), "uri", "more than the 128 KiB"},
		{"otpauth://totp/x?secret=" + secretOf(60<<10), "secret", "61440 bytes, more than the 256"},
		{"otpauth://totp/" + name(MaxNameBytes+2) + "?secret=JBSWY3DPEHPK3PXP", "account", "514 bytes, more than the 512"},
		{"otpauth://totp/" + name(MaxNameBytes+2) + ":a?secret=JBSWY3DPEHPK3PXP", "issuer", "514 bytes, more than the 512"},
		{"otpauth://totp/" + name(MaxNameBytes+2) + ":a?secret=JBSWY3DPEHPK3PXP&issuer=I", "label issuer", "514 bytes"},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&issuer=" + name(MaxNameBytes+2), "issuer", "514 bytes"},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP" + extras(MaxExtraParams+1, 1), "parameters", "21 parameters otpair does not use, more than the 20"},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP" + extras(1, MaxParamValueBytes+1), "x0", "1025 bytes, more than the 1024"},
		{"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&" + strings.Repeat("n", MaxParamNameBytes+1) + "=1", `parameter "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"…`, "65 bytes"},
	} {
		_, err := ParseURI(c.uri)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ParseURI(%.50q…) = %v; want field %q saying %q", c.uri, err, c.field, c.says)
		}
	}

	// A 70 MB secret (issue 11) is refused before it is decoded.
	huge := "otpauth://totp/x?secret=" + strings.Repeat("A", 112<<20)
	var err error
	if n := hostile.AllocCap(t, 1<<30, func() { _, err = ParseURI(huge) }); n > 64<<10 {
		t.Errorf("refusing a 70 MB secret allocated %d bytes", n)
	}
	if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), "112 MB") {
		t.Errorf("ParseURI(70 MB secret) = %v", err)
	}

	atLimit := "otpauth://totp/" + name(MaxNameBytes) + ":" + name(MaxNameBytes) + "?secret=" + secretOf(MaxSecretBytes) +
		"&issuer=" + name(MaxNameBytes-2) + extras(MaxExtraParams-1, MaxParamValueBytes) + "&" + strings.Repeat("n", MaxParamNameBytes) + "=1"
	k, err := ParseURI(atLimit)
	if err != nil {
		t.Fatalf("a key at every limit: %v", err)
	}
	again, err := ParseURI(k.URI())
	if err != nil || !again.Equal(k) {
		t.Fatalf("a key at every limit does not round-trip: %v", err)
	}
}

// TestCheckLimits: the check the vault applies to every key it adds, whatever its
// source.
func TestCheckLimits(t *testing.T) {
	ok := totpKey("Issuer", "alice", helloSecret)
	if err := ok.CheckLimits(); err != nil {
		t.Fatalf("an ordinary key: %v", err)
	}
	for field, k := range map[string]Key{
		"secret":       {Secret: make([]byte, MaxSecretBytes+1)},
		"issuer":       {Issuer: strings.Repeat("i", MaxNameBytes+1)},
		"account":      {Account: strings.Repeat("a", MaxNameBytes+1)},
		"label issuer": {LabelIssuer: strings.Repeat("l", MaxNameBytes+1)},
		"image":        {Extra: url.Values{"image": {strings.Repeat("u", MaxParamValueBytes+1)}}},
	} {
		var fe *FieldError
		if err := k.CheckLimits(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s over its limit: %v", field, err)
		}
	}
}

// TestDescribeMissingPages: missing pages as ranges of page numbers from 1, in text
// whose length does not grow with the batch.
func TestDescribeMissingPages(t *testing.T) {
	in := func(idx ...int) func(int) bool {
		return func(i int) bool {
			for _, j := range idx {
				if i == j {
					return true
				}
			}
			return false
		}
	}
	for _, c := range []struct {
		size int
		seen func(int) bool
		want string
	}{
		{12, in(0, 1, 7, 9, 10, 11), "pages 3-7, 9 of 12 missing"},
		{2, in(0), "page 2 of 2 missing"},
		{3, in(1), "pages 1, 3 of 3 missing"},
		{3, in(0, 1, 2), ""},
		{1000, in(0), "pages 2-1000 of 1000 missing"},
		{1000, func(i int) bool { return i%2 == 0 }, "pages 2, 4, 6, 8, 10, 12, 14, 16 and 492 more of 1000 missing"},
	} {
		if got := DescribeMissingPages(c.size, c.seen); got != c.want {
			t.Errorf("DescribeMissingPages(%d) = %q, want %q", c.size, got, c.want)
		}
	}
	if got := DescribeMissingPages(1<<20, func(i int) bool { return i%3 == 0 }); len(got) > 120 {
		t.Errorf("a huge batch gives %d characters: %q", len(got), got)
	}
}
