package backup

import (
	"fmt"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

// account is one account as most formats give it, field by field, before it is a key.
type account struct {
	place  string // "entry 3": names the account when it has no label
	kind   string // totp (also when empty), hotp, steam, motp, yandex; any case
	issuer string
	name   string
	algo   string  // SHA1 when empty
	digits jsonInt // the kind's default when unset
	period jsonInt // 30 s when unset
	count  jsonInt // HOTP: the next counter, 0 when unset
	secret string  // base32 as the app writes it (decodeSecret's rules)
	raw    []byte  // or the secret's bytes, when the app writes those
}

// addAccount makes the account a key, or skips it by name and reason: kinds otpair
// cannot compute, unknown kinds and algorithms, negative counters, unreadable secrets,
// and (through add) whatever Validate refuses.
func (d *decoder) addAccount(a account) {
	name := nameOr(label(a.issuer, a.name), a.place)
	k := provisioning.Key{Issuer: a.issuer, Account: a.name}
	switch strings.ToLower(a.kind) {
	case "totp", "":
		k.Type, k.Digits, k.Period = provisioning.TOTP, a.digits.int(provisioning.DefaultDigits), a.period.int(provisioning.DefaultPeriod)
	case "hotp":
		c := a.count.or(0)
		if c < 0 {
			d.skip(name, "", fmt.Sprintf("counter: is negative (%d)", c))
			return
		}
		k.Type, k.Digits, k.Counter = provisioning.HOTP, a.digits.int(provisioning.DefaultDigits), uint64(c)
	case "steam":
		k.Type, k.Digits, k.Period = provisioning.Steam, a.digits.int(provisioning.SteamDigits), a.period.int(provisioning.DefaultPeriod)
	case "motp":
		d.skip(name, "mOTP", unsupportedKind)
		return
	case "yandex":
		d.skip(name, "Yandex", unsupportedKind)
		return
	default:
		d.skip(name, "", "type: unknown type "+quoteName(a.kind))
		return
	}
	alg, ok := algorithm(a.algo)
	if !ok {
		d.skip(name, "", "algorithm: unsupported algorithm "+quoteName(a.algo))
		return
	}
	k.Algorithm = alg
	k.Secret = a.raw
	if a.raw == nil {
		var err error
		if k.Secret, err = decodeSecret(a.secret); err != nil {
			d.skipErr(name, err)
			return
		}
	}
	d.add(name, k)
}

// flatEntry is the JSON shape andOTP and cotp share: an account's fields side by side.
type flatEntry struct {
	Secret    string  `json:"secret"`
	Issuer    *string `json:"issuer"`
	Label     string  `json:"label"`
	Digits    jsonInt `json:"digits"`
	Type      string  `json:"type"`
	Algorithm string  `json:"algorithm"`
	Period    jsonInt `json:"period"`
	Counter   jsonInt `json:"counter"`
}
