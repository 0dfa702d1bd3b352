package backup

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// keysFor are random keys within what a format holds.
func keysFor(rng *rand.Rand, n int, fit func(*provisioning.Key) bool) []provisioning.Key {
	var out []provisioning.Key
	for len(out) < n {
		for _, k := range randomKeys(rng, 3*n) {
			k.LabelIssuer, k.Extra = "", nil
			if k.Type == provisioning.Steam { // Steam Guard as it is: SHA1, 30 s
				k.Algorithm, k.Period = provisioning.SHA1, 30
			}
			if len(out) < n && fit(&k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// TestOwnFixtures: each format, written by the test in the app's shape from random
// keys that format can hold, reads back to the same keys (and, encrypted, only with its
// password), with no need for ../shared/interop.
func TestOwnFixtures(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	any := func(*provisioning.Key) bool { return true }
	named := func(k *provisioning.Key) bool { return k.Issuer != "" && k.Account != "" }
	totpOnly := func(k *provisioning.Key) bool { return k.Type == provisioning.TOTP && named(k) }
	steamOnly := func(k *provisioning.Key) bool {
		k.Type, k.Digits, k.Period, k.Counter, k.Algorithm, k.Issuer = provisioning.Steam, 5, 30, 0, provisioning.SHA1, "Steam"
		return k.Account != ""
	}
	gauth := func(k *provisioning.Key) bool {
		if k.Type == provisioning.Steam || !named(k) || containsColon(k.Account) || containsColon(k.Issuer) {
			return false
		}
		k.Algorithm, k.Digits = provisioning.SHA1, 6
		if k.Type == provisioning.TOTP {
			k.Period = 30
		}
		return true
	}
	noColonIssuer := func(k *provisioning.Key) bool { return named(k) && !containsColon(k.Issuer) }
	for _, c := range []struct {
		name      string
		format    string
		password  string
		fit       func(*provisioning.Key) bool
		write     func([]provisioning.Key, string) []byte
		encrypted bool
	}{
		{"2fas plain", "2fas", "", named, write2FAS, false},
		{"2fas encrypted", "2fas", "pässword", named, write2FAS, true},
		{"andotp plain", "andotp", "", named, func(k []provisioning.Key, p string) []byte { return writeAndOTP(k, p, 0) }, false},
		{"andotp encrypted", "andotp", "pässword", named, func(k []provisioning.Key, p string) []byte { return writeAndOTP(k, p, 1500) }, true},
		{"bitwarden json", "bitwarden", "", noColonIssuer, func(k []provisioning.Key, p string) []byte { return writeBitwarden(k, p, 0) }, false},
		{"bitwarden pbkdf2", "bitwarden", "pässword", noColonIssuer, func(k []provisioning.Key, p string) []byte { return writeBitwarden(k, p, 0) }, true},
		{"bitwarden argon2id", "bitwarden", "pässword", noColonIssuer, func(k []provisioning.Key, p string) []byte { return writeBitwarden(k, p, 1) }, true},
		{"bitwarden csv", "bitwarden", "", noColonIssuer, func(k []provisioning.Key, _ string) []byte { return writeBitwardenCSV(k) }, false},
		{"ente encrypted", "ente", "pässword", any, func(k []provisioning.Key, p string) []byte { return writeEnte(k, []byte(p), 64<<10, 2) }, true},
		{"proton plain", "proton", "", any, writeProton, false},
		{"proton encrypted", "proton", "pässword", any, writeProton, true},
		{"lastpass", "lastpass", "", totpOnly, func(k []provisioning.Key, _ string) []byte { return writeLastPass(k) }, false},
		{"freeotp+", "freeotp-plus", "", func(k *provisioning.Key) bool { return named(k) && k.Type != provisioning.Steam && k.Issuer != "Steam" },
			func(k []provisioning.Key, _ string) []byte { return writeFreeOTPPlus(k) }, false},
		{"cotp", "cotp", "", named, func(k []provisioning.Key, _ string) []byte { return writeCotp(k) }, false},
		{"steam", "steam", "", steamOnly, func(k []provisioning.Key, _ string) []byte { return writeSteam(k[0]) }, false},
		{"google authenticator db", "google-authenticator-db", "", gauth, func(k []provisioning.Key, _ string) []byte { return writeGoogleAuthDB(t, k) }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := 12
			if c.format == "steam" {
				n = 1
			}
			keys := keysFor(rng, n, c.fit)
			data := c.write(keys, c.password)
			f, ok := Detect(data)
			if !ok || f.Name != c.format {
				t.Fatalf("detected as %q (%v); want %q", f.Name, ok, c.format)
			}
			b, err := Read(data, pw(c.password, nil))
			if err != nil {
				t.Fatalf("seed %d: Read: %v", seed, err)
			}
			if b.Encrypted != c.encrypted || len(b.Skipped) > 0 {
				t.Errorf("encrypted %v, skipped %v", b.Encrypted, b.Skipped)
			}
			sameKeys(t, b.Keys, keys)
			if c.encrypted {
				_, err := Read(data, pw(c.password+"!", nil))
				wantErr(t, err, ErrWrongPassword)
			}
			if t.Failed() {
				t.Logf("seed %d", seed)
			}
		})
	}
}

func containsColon(s string) bool {
	for _, r := range s {
		if r == ':' {
			return true
		}
	}
	return false
}
