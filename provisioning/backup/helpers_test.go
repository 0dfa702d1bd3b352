package backup

import (
	"encoding/base32"
	"errors"
	"math"
	"math/rand/v2"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
)

// vectors are the 7 accounts most Aegis and 2FAS fixtures hold (Aegis's
// vectors/VaultEntries.java; ../shared/interop/INDEX.md).
var vectors = []provisioning.Key{
	vector(provisioning.TOTP, "Deno", "Mason", "4SJHB4GSD43FZBAI7C2HLRJGPQ", provisioning.SHA1, 6, 30, 0),
	vector(provisioning.TOTP, "SPDX", "James", "5OM4WOOGPLQEF6UGN3CPEOOLWU", provisioning.SHA256, 7, 20, 0),
	vector(provisioning.TOTP, "Airbnb", "Elijah", "7ELGJSGXNCCTV3O6LKJWYFV2RA", provisioning.SHA512, 8, 50, 0),
	vector(provisioning.HOTP, "Issuu", "James", "YOOMIXWS5GN6RTBPUFFWKTW5M4", provisioning.SHA1, 6, 0, 1),
	vector(provisioning.HOTP, "Air Canada", "Benjamin", "KUVJJOM753IHTNDSZVCNKL7GII", provisioning.SHA256, 7, 0, 50),
	vector(provisioning.HOTP, "WWE", "Mason", "5VAML3X35THCEBVRLV24CGBKOY", provisioning.SHA512, 8, 0, 10300),
	vector(provisioning.Steam, "Boeing", "Sophia", "JRZCL47CMXVOQMNPZR2F7J4RGI", provisioning.SHA1, 5, 30, 0),
}

func vector(typ provisioning.Type, issuer, account, secret string, alg provisioning.Algorithm, digits, period int, counter uint64) provisioning.Key {
	s, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		panic(err)
	}
	return provisioning.Key{Type: typ, Issuer: issuer, Account: account, Secret: s, Algorithm: alg, Digits: digits, Period: period, Counter: counter}
}

// with returns k changed by f.
func with(k provisioning.Key, f func(*provisioning.Key)) provisioning.Key { f(&k); return k }

// pw is an Options whose Password callback gives password and counts its calls.
func pw(password string, calls *int) Options {
	return Options{Password: func(Format) ([]byte, error) {
		if calls != nil {
			*calls++
		}
		return []byte(password), nil
	}}
}

// mustRead reads data (detecting its format) and fails the test on an error.
func mustRead(t *testing.T, data []byte, opts Options) *Backup {
	t.Helper()
	b, err := Read(data, opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return b
}

// sameKeys fails unless got equals want, key by key (in order).
func sameKeys(t *testing.T, got, want []provisioning.Key) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("key %d = %v (secret %s, label issuer %q, extra %q)\n      want %v (secret %s, label issuer %q, extra %q)", i,
				got[i], got[i].SecretBase32(), got[i].LabelIssuer, got[i].Extra,
				want[i], want[i].SecretBase32(), want[i].LabelIssuer, want[i].Extra)
		}
	}
}

// wantErr fails unless err wraps target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v; want one wrapping %q", err, target)
	}
}

// oathtoolAt is the unix time TOTP codes are checked at.
const oathtoolAt = 1700000000

// checkCodes compares each key's code with oathtool's: TOTP at oathtoolAt, HOTP at the
// key's counter (as oathtool's TOTP with a 1 s step at time = counter, since its --hotp
// is SHA1 only). Steam keys have no outside oracle here: provisioning's Steam codes are
// held to the Steam app's (TestSteamCodesMatchSteamApp), so they are skipped.
func checkCodes(t *testing.T, keys []provisioning.Key) {
	t.Helper()
	tool := external.Tool(t, "oathtool", "oathtool")
	for _, k := range keys {
		var ours string
		var err error
		at := int64(oathtoolAt)
		step := strconv.Itoa(k.Period) + "s"
		switch k.Type {
		case provisioning.Steam:
			continue
		case provisioning.HOTP:
			if k.Counter > math.MaxInt32 {
				continue // oathtool's -N takes a date it can represent
			}
			ours, err = k.CounterCode(k.Counter)
			at, step = int64(k.Counter), "1s"
		default:
			ours, err = k.Code(time.Unix(at, 0))
		}
		if err != nil {
			t.Errorf("%v: %v", k, err)
			continue
		}
		out, oerr := exec.Command(tool, "--totp="+strings.ToLower(string(k.Algorithm)), "-d", strconv.Itoa(k.Digits),
			"-s", step, "-N", "@"+strconv.FormatInt(at, 10), "-b", k.SecretBase32()).Output()
		if oerr != nil {
			t.Errorf("%v: oathtool: %v", k, oerr) // the arguments hold the secret: not printed
			continue
		}
		if want := strings.TrimSpace(string(out)); ours != want {
			t.Errorf("%v: otpair's code %s, oathtool's %s", k, ours, want)
		}
	}
}

// randomText is a label part: letters, digits, spaces inside, punctuation, colons,
// non-ASCII; never space at either end (otpair trims names).
func randomText(rng *rand.Rand) string {
	const pieces = "aZ9 :@.+-_/%#?&=ßé日本😀\"\\"
	runes := []rune(pieces)
	var b strings.Builder
	for range rng.IntN(14) {
		b.WriteRune(runes[rng.IntN(len(runes))])
	}
	return strings.TrimSpace(b.String())
}

// randomKeys are n valid keys of every kind otpair holds, each field varied.
func randomKeys(rng *rand.Rand, n int) []provisioning.Key {
	keys := make([]provisioning.Key, n)
	for i := range keys {
		k := provisioning.Key{Algorithm: []provisioning.Algorithm{provisioning.SHA1, provisioning.SHA256, provisioning.SHA512}[rng.IntN(3)]}
		k.Secret = make([]byte, 1+rng.IntN(64))
		for j := range k.Secret {
			k.Secret[j] = byte(rng.Uint32())
		}
		switch rng.IntN(3) {
		case 0:
			k.Type, k.Digits, k.Period = provisioning.TOTP, 6+rng.IntN(3), 1+rng.IntN(300)
		case 1:
			k.Type, k.Digits, k.Counter = provisioning.HOTP, 6+rng.IntN(3), rng.Uint64N(math.MaxInt64)>>rng.IntN(63)
		default:
			k.Type, k.Digits, k.Period = provisioning.Steam, provisioning.SteamDigits, 1+rng.IntN(90)
		}
		k.Account = randomText(rng)
		if rng.IntN(4) > 0 {
			k.Issuer = randomText(rng)
		}
		if k.Issuer != "" && rng.IntN(4) == 0 {
			if li := randomText(rng); li != k.Issuer {
				k.LabelIssuer = li
			}
		}
		if rng.IntN(3) == 0 {
			k.Extra = url.Values{"x" + randomText(rng): {randomText(rng)}}
		}
		keys[i] = k
	}
	return keys
}
