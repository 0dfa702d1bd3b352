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
	file        string
	password    string
	format      string
	from        bool // the format cannot be recognised by content: it is forced
	encrypted   bool
	want        []provisioning.Key
	skipped     []string // Skipped.String() of each account left out
	ignoreExtra bool     // the app's own URI parameters (Ente's codeDisplay) are not compared
	slow        bool     // a KDF of seconds (Ente's 256 MiB export): skipped in -short
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

func tkey(issuer, account, secret string, alg provisioning.Algorithm, digits, period int) provisioning.Key {
	return key(provisioning.TOTP, issuer, account, secret, alg, digits, period, 0)
}

func hkey(issuer, account, secret string, alg provisioning.Algorithm, digits int, counter uint64) provisioning.Key {
	return key(provisioning.HOTP, issuer, account, secret, alg, digits, 0, counter)
}

func skey(issuer, account, secret string, period int) provisioning.Key {
	return key(provisioning.Steam, issuer, account, secret, provisioning.SHA1, 5, period, 0)
}

// pick is some of the vectors, by index.
func pick(idx ...int) []provisioning.Key {
	out := make([]provisioning.Key, len(idx))
	for i, j := range idx {
		out[i] = vectors[j]
	}
	return out
}

// asTOTP is what apps without HOTP or other parameters make of the vectors: TOTP with
// the algorithm, digits and period given (0 keeps the vector's).
func asTOTP(k provisioning.Key, alg provisioning.Algorithm, digits, period int) provisioning.Key {
	k.Type, k.Counter = provisioning.TOTP, 0
	if alg != "" {
		k.Algorithm = alg
	}
	if digits != 0 {
		k.Digits = digits
	}
	if period != 0 {
		k.Period = period
	}
	return k
}

const (
	algSHA1   = provisioning.SHA1
	algSHA256 = provisioning.SHA256
	algSHA512 = provisioning.SHA512
)

var (
	protonAegis = []provisioning.Key{
		tkey("myissuer", "mylabel815256", "MYSECRET", algSHA256, 8, 15),
		totp("myissuer", "mylabeldefault", "MYSECRET"),
		skey("Steam", "Steam", "STEAMKEY", 30),
	}
	proton2FAS    = []provisioning.Key{totp("myissuer", "mylabeldefault", "MYSECRET"), skey("Steam", "", "STEAMKEY", 30)}
	twoFASSchema2 = []provisioning.Key{vectors[0], vectors[2], asTOTP(vectors[3], "", 0, 30), asTOTP(vectors[5], "", 0, 30)}
	decryptor2FAS = []provisioning.Key{
		vectors[0], with(vectors[1], func(k *provisioning.Key) { k.Period = 30 }), with(vectors[2], func(k *provisioning.Key) { k.Period = 60 }),
		skey("Boeing", "Sophia", "JRZCL47CMXVOQMNPZR2F7J4RGI", 10), hkey("Air Canada", "Benjamin", "KUVJJOM753IHTNDSZVCNKL7GII", algSHA256, 8, 10),
	}
	bitwardenVectors = []provisioning.Key{vectors[0], vectors[1], vectors[2]}
	protonBitwarden  = []provisioning.Key{
		tkey("ISSUER", "LABEL_256_8_15", "SECRETDATA", algSHA256, 8, 15), totp("ISSUER_DEFAULT", "LABEL_DEFAULT", "SOMESECRET"),
		skey("SteamName", "", "STEAMKEY", 30), tkey("SevenDigits", "Seven digit username", "SEVENDIGITSECRET", algSHA1, 7, 30),
	}
	enteAccounts = []provisioning.Key{
		hkey("HOTPISSUER", "HOTPACCOUNT", "ASECRET", algSHA1, 6, 1), totp("MYISSUER", "MYLABEL", "MYSECRET"),
		skey("Steam", "STEAMACCOUNT", "STEAMSECRET", 30),
	}
	protonEnte = []provisioning.Key{
		totp(".env", "example@ente.io", "MI4GCOJSGIZTKLJSGMZWKLJUGEZDQLJYG5STILJSMUYDIYTCMQ3TSOJRGI"),
		totp("/e/", "cool@ente.com", "554VBDOGJRLDG2JV"), totp("ente", "simple@ente.sh", "PIBTGMBYQYVSLN5PVZYQUTKYHOBRYYT7"),
		totp("reddit", "r@ente.com", "J4YFC3TZKVYWCVCNIVBWIV2GHFAXUNDF"),
	}
	steamSophia = []provisioning.Key{skey("Steam", "Sophia", "JRZCL47CMXVOQMNPZR2F7J4RGI", 30)}
)

// twenty are Proton's 20 Ente test accounts.
func twenty() []provisioning.Key {
	var out []provisioning.Key
	for i := 1; i <= 20; i++ {
		out = append(out, totp("Proton", "Account "+itoa(i), "SECRETO"))
	}
	return out
}

func itoa(i int) string { return strings.TrimLeft(string(rune('0'+i/10))+string(rune('0'+i%10)), "0") }

const (
	af = "aegis-fixtures/"
	pp = "proton-pass-common/authenticator/"
)

// interopCases is every file of ../shared/interop that otpair reads as a backup.
var interopCases = []interopCase{
	// Aegis
	{file: af + "aegis_plain.json", format: "aegis", want: vectors},
	{file: af + "aegis_plain_grouped_v2.json", format: "aegis", want: vectors},
	{file: af + "aegis_encrypted.json", password: "test", format: "aegis", encrypted: true, want: vectors},
	{file: pp + "aegis/aegis-json-encrypted-test.json", password: "test", format: "aegis", encrypted: true, want: protonAegis},
	{file: pp + "aegis/aegis-json-unencrypted.json", format: "aegis", want: protonAegis},
	{file: pp + "aegis/aegis-json-unencrypted-hotp.json", format: "aegis", want: []provisioning.Key{
		totp("", "Test", "ABCDEFA"), hkey("", "HotpOne", "KNCUGUSF", algSHA1, 6, 10)}},
	{file: pp + "aegis/aegis-json-unencrypted-with-bad-period-digits.json", format: "aegis", skipped: []string{
		"myissuer: bad-digits (digits: must be 6 to 8, got 0)",
		"myissuer: bad-period (period: must be a positive number of seconds, got 0)"}},
	{file: pp + "aegis/aegis-json-unencrypted-with-missing-fields.json", format: "aegis", want: []provisioning.Key{
		totp("Proton", "some@test.email", "AQI55ICZEMJW2W67PAUVQ3BFN7LJBOQD"),
		totp("Amazon", "some@account.test", "IUIUCFKMTXQZUV5U7LE664BVXQ4K7PDSDKHZ4QTZAC5GVIBMMZ6A"),
		tkey("", "Somename", "CHJDDHDHXE", algSHA256, 7, 30)}},

	// 2FAS (schema 1 has no type or parameters; schema 2's HOTP entries were TOTP to 2FAS)
	{file: af + "2fas_authenticator.json", format: "2fas", want: []provisioning.Key{
		asTOTP(vectors[0], algSHA1, 6, 30), asTOTP(vectors[1], algSHA1, 6, 30), asTOTP(vectors[2], algSHA1, 6, 30),
		asTOTP(vectors[3], algSHA1, 6, 30), asTOTP(vectors[4], algSHA1, 6, 30), asTOTP(vectors[5], algSHA1, 6, 30)}},
	{file: af + "2fas_authenticator_plain.2fas", format: "2fas", want: twoFASSchema2},
	{file: af + "2fas_authenticator_encrypted.2fas", password: "test", format: "2fas", encrypted: true, want: twoFASSchema2},
	{file: af + "2fas_authenticator_plain_v3.2fas", format: "2fas", want: vectors[:6]},
	{file: af + "2fas_authenticator_encrypted_v3.2fas", password: "test", format: "2fas", encrypted: true, want: vectors[:6]},
	{file: af + "2fas_authenticator_plain_v4.2fas", format: "2fas", want: pick(0, 3, 4, 5, 6)},
	{file: af + "2fas_authenticator_encrypted_v4.2fas", password: "test", format: "2fas", encrypted: true, want: pick(0, 3, 4, 5, 6)},
	{file: "2fas-backup-decryptor/encrypted_test.2fas", password: "example.com", format: "2fas", encrypted: true, want: decryptor2FAS},
	{file: "2fas-backup-decryptor/plaintext_test.json", format: "2fas", want: decryptor2FAS},
	{file: pp + "2fas/decrypted.2fas", format: "2fas", want: proton2FAS},
	{file: pp + "2fas/encrypted.2fas", password: "test", format: "2fas", encrypted: true, want: proton2FAS},
	{file: pp + "2fas/decrypted_ios.2fas", format: "2fas", want: []provisioning.Key{
		totp("Code1 2FAS", "", "JDJDBDBDDBDBBXBX"), totp("Code2 2FAS", "", "JDJDUZBXHSHDBXBXHA")}},
	{file: pp + "2fas/decrypted_with_hotp.2fas", format: "2fas", want: []provisioning.Key{
		totp("Proton", "den den", "IAKDNDND"), hkey("Hotp", "", "JEKEKRQ", algSHA1, 6, 0)}},
	{file: pp + "2fas/decrypted_with_hotp_and_unsupported_algorithms.2fas", format: "2fas",
		want:    []provisioning.Key{hkey("cncnncncn", "", "JFFJJDBDHXBDBNNN", algSHA1, 6, 4)},
		skipped: []string{`Itemname: Optional info (algorithm: unsupported algorithm "SHA384")`}},
	{file: pp + "2fas/decrypted_with_hotp_missing_period.2fas", format: "2fas", want: []provisioning.Key{
		hkey("cncnncncn", "", "JFFJJDBDHXBDBNNN", algSHA1, 6, 5), tkey("Item1", "Additional item", "GFJDHDJDJDJDNJDJ", algSHA1, 6, 60),
		tkey("Item256", "Bdjdbfjr", "HDIDVDJDBDJA", algSHA256, 8, 90), tkey("Item512", "Additional info", "HXOXHDJDBDJFJFJH", algSHA512, 7, 30)}},
	{file: pp + "2fas/decrypted_with_manual_entries.2fas", format: "2fas", want: []provisioning.Key{
		totp("Amazon", "some@test.email", "IUIUCFKMTXQZUV5U7LE664BVXQ4K7PDSDKHZ4QTZAC5GVIBMMZ6A"), totp("GitHub", "", "KOCK222AHLNV4TW6"),
		totp("Facebook", "", "IYLZ3FWEJRCCQZS7NYP3PLZDDX3I3C4M"), totp("Google", "some@test.email", "V4YX7JV5YNQADQGR2UO753CQC5RWKRN7"),
		totp("LinkedIn", "some@test.email", "2YR5IOOODODSXKW725H54V7MXIKZATD7"), totp("Binance", "some@test.email", "NFRVOZJ6FFZQXX6G"),
		totp("Kick", "some@test.email", "JYUAHOREVBAX3XEB"), totp("Proton", "sometestaccount@proton.me", "XEMYPVZTB6AMR6O3S7XZZ37VPH32YICW"),
		hkey("Service name hotp", "", "HDJDBDKXBSHDI", algSHA1, 6, 1), totp("Reddit", "Some-Account1234", "OAL6R5T5CBSYUZSLO356EBGSJWZ7JLO2"),
		totp("20", "", "DHJDXHCHHCHCG"), totp("Manual", "", "HSSJDHHXHU")}},
	{file: pp + "2fas/decrypted_with_missing_fields.2fas", format: "2fas", want: []provisioning.Key{
		totp("Amazon", "atest@email.com", "IUIUCFKMTXQZUV5U7LE664BVXQ4K7PDSDKHZ4QTZAC5GVIBMMZ6A")}},

	// andOTP (the old format has no marker: it is read with --from andotp)
	{file: af + "andotp_plain.json", format: "andotp", want: vectors},
	{file: af + "andotp_encrypted.bin", password: "test", format: "andotp", encrypted: true, want: vectors},
	{file: af + "andotp_encrypted_old.bin", password: "test", format: "andotp", from: true, encrypted: true, want: vectors[:6]},

	// Bitwarden (steam:// and bare secrets take the item's name as issuer)
	{file: af + "bitwarden.json", format: "bitwarden", want: append(bitwardenVectors, skey("Test Steam", "", "JRZCL47CMXVOQMNPZR2F7J4RGI", 30))},
	{file: af + "bitwarden.csv", format: "bitwarden", want: append(bitwardenVectors, skey("Test 4", "", "JRZCL47CMXVOQMNPZR2F7J4RGI", 30))},
	{file: pp + "bitwarden/bitwarden.json", format: "bitwarden", want: protonBitwarden},
	{file: pp + "bitwarden/bitwarden.csv", format: "bitwarden", want: protonBitwarden},
	{file: pp + "bitwarden/bitwarden_app.json", format: "bitwarden", want: []provisioning.Key{totp("ItemWithTOTP", "myusername", "KNKVARKSKNCUGUSFKRFUKWJR")}},
	{file: pp + "bitwarden/bitwarden_sample.csv", format: "bitwarden", want: []provisioning.Key{
		totp("Code 2", "", "NDSKXJHDJNDBDBBB"), totp("Code 3", "", "JSJZJFBBDK"), totp("Code1", "", "JDKSNDJJDNDJJDBXB")}},
	{file: "keepassxc/bitwarden_export.json", format: "bitwarden", want: []provisioning.Key{totp("Google", "myusername@gmail.com", "DFDFDEF=")}},
	{file: "keepassxc/bitwarden_encrypted_export.json", password: "a", format: "bitwarden", encrypted: true, want: []provisioning.Key{totp("KeePassXC", "keepassxc", "fsfsfsfsefefef")}},
	{file: "keepassxc/bitwarden_encrypted_argon2id_export.json", password: "a", format: "bitwarden", encrypted: true, want: []provisioning.Key{totp("KeePassXC", "keepassxc", "fsfsfsfsefefef")}},

	// Ente (one trashed entry is left out)
	{file: af + "ente_auth.txt", format: "ente", ignoreExtra: true, want: pick(4, 2, 6, 0, 3, 1, 5)},
	{file: pp + "ente/plain.txt", format: "ente", ignoreExtra: true, want: []provisioning.Key{
		tkey("MyIssuer", "MyLabel256_8_15", "JVMVGRKDKJCVI===", algSHA256, 8, 15), totp("MyIssuer", "MyLabelDefault", "JVMVGRKDKJCVI===")}},
	{file: pp + "ente/plain_20_entries.txt", format: "ente", ignoreExtra: true, want: twenty()},
	{file: pp + "ente/plain_with_hotp.txt", format: "ente", ignoreExtra: true, want: []provisioning.Key{
		totp("", "account", "xbjzbxbxbcbcbb"), totp("", "title no issuer", "irnshxhxbxbxbbxbb"),
		hkey("hotpitem", "account1", "ndjdfbdnfjdjdjfjhfh", algSHA1, 6, 0), totp("issuer", "account", "jdjdbfhfjdhdhxnb"),
		totp("issuer", "amazon", "CBKANXSKXBJSJDNBDBDNXBXNNXBA")},
		skipped: []string{"code1 ente: jdjdbfbdbdbdb (deleted: in Ente's trash)"}},
	{file: pp + "ente/plain_with_missing_fields.txt", format: "ente", ignoreExtra: true, want: []provisioning.Key{totp("", "accountname", "jcxjjxjxjcjxnnn")}},
	{file: pp + "ente/plain_with_steam_and_hotp.txt", format: "ente", ignoreExtra: true, want: []provisioning.Key{
		skey("Item1happysteam", "additional info", "DJDJDJHDJDHFHHFHF", 30), hkey("Item2hotp", "additional info", "CBJXCBCBCBCB", algSHA1, 6, 0),
		tkey("Item3-90sec", "additional info", "NDJDJFNXNNCNCNC", algSHA1, 6, 90)}},
	{file: pp + "ente/encrypted_decrypted.txt", format: "ente", ignoreExtra: true, want: enteAccounts},
	{file: pp + "ente/encrypted.lowcomplexity.txt", password: "password", format: "ente", encrypted: true, ignoreExtra: true, want: []provisioning.Key{
		hkey("dfdf", "adfasdf", "ASDFADA", algSHA1, 6, 1), tkey("issuertest", "accountest", "SECRETDATA", algSHA256, 6, 30), skey("steam", "steam", "AAAAAAAA", 30)}},
	{file: pp + "ente/encrypted.nominalcomplexity.txt", password: "password", format: "ente", encrypted: true, ignoreExtra: true, want: enteAccounts, slow: true},

	// Proton Authenticator
	{file: af + "proton_authenticator.json", format: "proton", want: vectors[:3]},
	{file: "ente/proton_authenticator_backup.json", format: "proton", want: protonEnte},
	{file: "ente/proton_authenticator_backup_encrypted_1231246.json", password: "1231246", format: "proton", encrypted: true, want: protonEnte},

	// LastPass Authenticator
	{file: pp + "lastpass/lastpass.json", format: "lastpass", want: []provisioning.Key{
		totp("issuer", "account name default", "BDKSIEHWBDBBDBDZBZJ"), tkey("other", "", "JDJSKDKDKDKDKDKDK", algSHA256, 8, 20),
		tkey("", "sha512 name", "JDJDDJDJUEJEBDBFNF", algSHA512, 6, 30)}},
	{file: pp + "lastpass/lastpass_ios_export.json", format: "lastpass", want: []provisioning.Key{
		totp("code 1 lastpass", "snjxxndjbdbdb", "MDLAXBJJZBXBXZJZBBZBB"), totp("code2 lastpass", "ndjdbxxnbcb", "KSJFBDJDBXJBXJXBXJ")}},
	{file: pp + "lastpass/lastpass_missing_fields.json", format: "lastpass", want: []provisioning.Key{totp("", "sometest", "CDJDHHDHXHXBXBHNDDNNDN")}},

	// FreeOTP+ (its stored counter is the last one used: the next is one more)
	{file: af + "freeotp_plus.json", format: "freeotp-plus", want: pick(5, 4, 3, 2, 1, 0)},
	{file: "cotp/freeotp_plus_example1.json", format: "freeotp-plus", want: []provisioning.Key{
		totp("Example2", "Label2", "AAAAAAAAAAAAAAAA"), tkey("Example1", "Label1", "AAAAAAAA", algSHA256, 6, 30)}},
	{file: "cotp/freeotp_plus.json", format: "freeotp-plus", want: []provisioning.Key{
		tkey("", "{token.label}", "3ZUNXX2SU6RZP4QFMS32YAILJFS2I2T2UZXYSHSX7IIMPAQZAC753NG2", algSHA512, 6, 30),
		tkey("", "{token.label}", "KHLV5C3XSZ5PTB465P3QIGL54NV4AJI65UWUQ4AVT2PA3FEGUWQ7YL2M", algSHA256, 6, 30),
		totp("", "{token.label}", "LRANDI4PC24GKTWNBPGM4SZS2EFR6I5T7HM4XGQT33CXHXBVX7PPPWA5"),
		hkey("", "{token.label}", "3I3OXZS3A26GL5GGMSOUJTRZQYZHAVFOAEBDGLVH4PSBTWSVTAPUUYVO", algSHA512, 6, 5),
		hkey("", "{token.label}", "3C2ZSEZ4TCSMVESWTIMHHT4ZLAXZRJAC2PJ2SK4UEJQFWHJJY7XR6WYD", algSHA256, 6, 5),
		hkey("", "{token.label}", "Y4HEGAH3TWDIYZUSSEVQI7XXKUPXU2KOFGJ4FNE4GP6V67A44JMA4D7I", algSHA1, 6, 6)}},

	// cotp
	{file: "cotp/cotp_input.json", format: "cotp", want: []provisioning.Key{
		totp("", "label1", "A7MES7UQ44SRYSGZOMZICLSKOXMHZEZ25U3CG5MIS3MNTDDLQV7W7I5ZAZOIYHYEM7CUXFRZG36WQZ7GY453WYXQTJNVSYS2TTVSYHEX2NOIAUQ65GL6EWYRZUMPTQ2L3KGIM2SPEVJMFA7C4V2HIUWJJBLSSD7H4VAQNGBR42IQU"),
		hkey("ciccio", "label2", "EO2Q2L76QCOOKQENXAHLFBSYH3QDSJMRLK5MN4MPN6RFXJS2UU67P2JWATQ2H6HXDN66W4FQ4JAC4CQ", algSHA256, 6, 3)}},
	{file: "cotp/input_otp_uri.json", format: "cotp", ignoreExtra: true, want: []provisioning.Key{totp("", "test", "AA")}},

	// Steam Desktop Authenticator (not the uri field's 6-digit TOTP)
	{file: af + "steam.json", format: "steam", want: steamSophia},
	{file: af + "steam_old.json", format: "steam", want: steamSophia},

	// Google Authenticator's database (SHA1, 6 digits, 30 s are all it holds)
	{file: af + "google_authenticator.sqlite", format: "google-authenticator-db", want: []provisioning.Key{
		asTOTP(vectors[0], algSHA1, 6, 30), asTOTP(vectors[1], algSHA1, 6, 30), asTOTP(vectors[2], algSHA1, 6, 30),
		with(vectors[3], func(k *provisioning.Key) {}), with(vectors[4], func(k *provisioning.Key) { k.Algorithm, k.Digits = algSHA1, 6 }),
		with(vectors[5], func(k *provisioning.Key) { k.Algorithm, k.Digits = algSHA1, 6 })}},
	{file: "cotp/gauth.sqlite3", format: "google-authenticator-db", want: []provisioning.Key{
		totp("", "SHA512 10", "V24KSXF7TXJFGCKG35ZHQVQB4XZK26XPD7UCXU5GXU3POBTXAFLD47SA"),
		totp("", "SHA512", "V24KSXF7TXJFGCKG35ZHQVQB4XZK26XPD7UCXU5GXU3POBTXAFLD47SA")}},
}

// TestInteropFiles: every real export otpair reads is detected as its format, opens
// with its password (and not with a wrong one), and gives the accounts INDEX.md and the
// apps' own tests list, whose codes agree with oathtool.
func TestInteropFiles(t *testing.T) {
	dir := external.Interop(t)
	for _, c := range interopCases {
		t.Run(strings.ReplaceAll(c.file, "/", "_"), func(t *testing.T) {
			if c.slow && testing.Short() {
				t.Skip("a KDF of seconds: skipped in -short mode")
			}
			data, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			f, ok := Detect(data)
			switch {
			case c.from && ok:
				t.Errorf("detected as %q; this shape has no marker, want it unrecognised", f.Name)
			case !c.from && (!ok || f.Name != c.format):
				t.Fatalf("detected as %q (%v); want %q", f.Name, ok, c.format)
			}
			format, _ := Lookup(c.format)
			calls := 0
			b, err := Decode(data, format, pw(c.password, &calls))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if b.Encrypted != c.encrypted || calls != map[bool]int{true: 1, false: 0}[c.encrypted] {
				t.Errorf("encrypted %v, password asked %d times; want encrypted %v", b.Encrypted, calls, c.encrypted)
			}
			got := b.Keys
			if c.ignoreExtra {
				got = make([]provisioning.Key, len(b.Keys))
				for i, k := range b.Keys {
					k.Extra = nil
					got[i] = k
				}
			}
			sameKeys(t, got, c.want)
			var skipped []string
			for _, s := range b.Skipped {
				skipped = append(skipped, s.String())
			}
			if strings.Join(skipped, "\n") != strings.Join(c.skipped, "\n") {
				t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(skipped, "\n"), strings.Join(c.skipped, "\n"))
			}
			checkCodes(t, b.Keys)
			if c.encrypted && !c.slow {
				_, err := Decode(data, format, pw(c.password+"x", nil))
				wantErr(t, err, ErrWrongPassword)
			}
		})
	}
}

// TestInteropOthersAreOneLine: exports of apps otpair does not read (Authy, FreeOTP's
// internal files, Duo, Stratum, 1Password, Proton Pass, …) are not taken for a backup
// otpair reads, and are described in one line by what they are.
func TestInteropOthersAreOneLine(t *testing.T) {
	dir := external.Interop(t)
	for file, says := range map[string]string{
		af + "authy_plain.xml":                "XML of an Android app's preferences",
		af + "freeotp.xml":                    "XML of an Android app's preferences",
		af + "duo.json":                       `a JSON array of 2 item(s), the first an object with keys "accountType"`,
		af + "stratum_plain.json":             `JSON with top-level keys "AuthenticatorCategories"`,
		af + "authenticator_plus.zip":         `a zip archive of 1 file(s): "Accounts.txt"`,
		af + "microsoft_authenticator.sqlite": `a SQLite database with tables "accounts"`,
		af + "freeotp_v2_api34.xml":           "binary data (3542 bytes)",
		af + "andotp_encrypted_old.bin":       "binary data (1190 bytes)",
		"keepassxc/1PasswordExport.1pux":      "a zip archive of 5 file(s)",
		pp + "pass/PassExport.zip":            `a zip archive of 2 file(s): "Proton Pass/", "Proton Pass/data.json"`,
		"proton-pass-common/qr/example.png":   "a PNG image",
		af + "plain.txt":                      "text of 7 line(s), 7 of them otpauth URIs",
	} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := Detect(data); ok {
			t.Errorf("%s detected as %s", file, f.Name)
		}
		_, err = Read(data, Options{})
		wantErr(t, err, ErrUnknownFormat)
		if d := Describe(data); !strings.Contains(d, says) || strings.Contains(d, "\n") {
			t.Errorf("%s described as %q; want one line saying %q", file, d, says)
		}
	}
}
