package backup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
)

// interopCase is one real export in ../shared/interop (INDEX.md says where each comes
// from, and gives the passwords), and what reading it must give.
type interopCase struct {
	file      string
	password  string
	format    string
	encrypted bool
	want      []provisioning.Key
	skipped   []string // Skipped.String() of each account left out
}

// key is a test key from a base32 secret as the file writes it (decodeSecret's rules).
func key(typ provisioning.Type, issuer, account, secret string, alg provisioning.Algorithm, digits, period int, counter uint64) provisioning.Key {
	s, err := decodeSecret(secret)
	if err != nil {
		panic(secret + ": " + err.Error())
	}
	return provisioning.Key{Type: typ, Issuer: issuer, Account: account, Secret: s, Algorithm: alg, Digits: digits, Period: period, Counter: counter}
}

func totp(issuer, account, secret string) provisioning.Key {
	return key(provisioning.TOTP, issuer, account, secret, provisioning.SHA1, 6, 30, 0)
}

// interopCases is every file of ../shared/interop that otpair reads.
var interopCases = []interopCase{
	{file: "aegis-fixtures/aegis_plain.json", format: "aegis", want: vectors},
	{file: "aegis-fixtures/aegis_plain_grouped_v2.json", format: "aegis", want: vectors},
	{file: "aegis-fixtures/aegis_encrypted.json", password: "test", format: "aegis", encrypted: true, want: vectors},
	{file: "proton-pass-common/authenticator/aegis/aegis-json-encrypted-test.json", password: "test", format: "aegis", encrypted: true, want: protonAegis},
	{file: "proton-pass-common/authenticator/aegis/aegis-json-unencrypted.json", format: "aegis", want: protonAegis},
	{file: "proton-pass-common/authenticator/aegis/aegis-json-unencrypted-hotp.json", format: "aegis", want: []provisioning.Key{
		totp("", "Test", "ABCDEFA"),
		key(provisioning.HOTP, "", "HotpOne", "KNCUGUSF", provisioning.SHA1, 6, 0, 10),
	}},
	{file: "proton-pass-common/authenticator/aegis/aegis-json-unencrypted-with-bad-period-digits.json", format: "aegis", skipped: []string{
		"myissuer: bad-digits (digits: must be 6 to 8, got 0)",
		"myissuer: bad-period (period: must be a positive number of seconds, got 0)",
	}},
	{file: "proton-pass-common/authenticator/aegis/aegis-json-unencrypted-with-missing-fields.json", format: "aegis", want: []provisioning.Key{
		totp("Proton", "some@test.email", "AQI55ICZEMJW2W67PAUVQ3BFN7LJBOQD"),
		totp("Amazon", "some@account.test", "IUIUCFKMTXQZUV5U7LE664BVXQ4K7PDSDKHZ4QTZAC5GVIBMMZ6A"),
		key(provisioning.TOTP, "", "Somename", "CHJDDHDHXE", provisioning.SHA256, 7, 30, 0),
	}},
}

// protonAegis are the accounts of Proton's Aegis test exports.
var protonAegis = []provisioning.Key{
	key(provisioning.TOTP, "myissuer", "mylabel815256", "MYSECRET", provisioning.SHA256, 8, 15, 0),
	key(provisioning.TOTP, "myissuer", "mylabeldefault", "MYSECRET", provisioning.SHA1, 6, 30, 0),
	key(provisioning.Steam, "Steam", "Steam", "STEAMKEY", provisioning.SHA1, 5, 30, 0),
}

// TestInteropFiles: every real export otpair reads is detected as its format, opens
// with its password (and not with a wrong one), and gives the accounts INDEX.md and the
// apps' own tests list, whose codes agree with oathtool.
func TestInteropFiles(t *testing.T) {
	dir := external.Interop(t)
	for _, c := range interopCases {
		t.Run(strings.ReplaceAll(c.file, "/", "_"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			f, ok := Detect(data)
			if !ok || f.Name != c.format {
				t.Fatalf("detected as %q (%v); want %q", f.Name, ok, c.format)
			}
			calls := 0
			b, err := Read(data, pw(c.password, &calls))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if b.Encrypted != c.encrypted || calls != map[bool]int{true: 1, false: 0}[c.encrypted] {
				t.Errorf("encrypted %v, password asked %d times; want encrypted %v", b.Encrypted, calls, c.encrypted)
			}
			sameKeys(t, b.Keys, c.want)
			var skipped []string
			for _, s := range b.Skipped {
				skipped = append(skipped, s.String())
			}
			if strings.Join(skipped, "\n") != strings.Join(c.skipped, "\n") {
				t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(skipped, "\n"), strings.Join(c.skipped, "\n"))
			}
			checkCodes(t, b.Keys)
			if c.encrypted {
				_, err := Read(data, pw(c.password+"x", nil))
				wantErr(t, err, ErrWrongPassword)
			}
		})
	}
}
