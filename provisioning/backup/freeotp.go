package backup

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

// freeOTPPlusFormat is FreeOTP+'s JSON backup (freeotp-backup.json): tokens[] with the
// secret as an array of signed bytes, and tokenOrder.
var freeOTPPlusFormat = Format{
	Name:   "freeotp-plus",
	Title:  "FreeOTP+ backup",
	Shapes: "FreeOTP+ JSON backup (tokens with signed-byte secrets)",
	detect: func(s *sniff) bool { return s.has("tokens") && (s.has("tokenOrder") || !s.has("version")) },
	decode: decodeFreeOTPPlus,
}

// freeOTPToken is one token.
type freeOTPToken struct {
	Algo      string  `json:"algo"`
	Counter   jsonInt `json:"counter"`
	Digits    jsonInt `json:"digits"`
	IssuerExt string  `json:"issuerExt"`
	Label     string  `json:"label"`
	Period    jsonInt `json:"period"`
	Secret    []int   `json:"secret"`
	Type      string  `json:"type"`
}

func decodeFreeOTPPlus(d *decoder) error {
	var tokens []json.RawMessage
	if err := d.member("tokens", &tokens); err != nil {
		return err
	}
	for i, raw := range tokens {
		place := fmt.Sprintf("token %d", i+1)
		var t freeOTPToken
		if err := json.Unmarshal(raw, &t); err != nil {
			d.skip(place, "", jsonProblem(err))
			continue
		}
		name := nameOr(label(t.IssuerExt, t.Label), place)
		k := provisioning.Key{Issuer: t.IssuerExt, Account: t.Label}
		switch strings.ToUpper(t.Type) {
		case "TOTP":
			k.Type, k.Digits, k.Period = provisioning.TOTP, t.Digits.int(provisioning.DefaultDigits), t.Period.int(provisioning.DefaultPeriod)
			if t.IssuerExt == "Steam" {
				// FreeOTP+ marks Steam Guard by the issuer alone.
				k.Type, k.Digits = provisioning.Steam, provisioning.SteamDigits
			}
		case "HOTP":
			// FreeOTP stores the counter of the last code shown (it adds one before each
			// code), so the next counter is one more.
			c := t.Counter.or(0) + 1
			if c < 0 {
				d.skip(name, "", fmt.Sprintf("counter: is negative (%d)", c-1))
				continue
			}
			k.Type, k.Digits, k.Counter = provisioning.HOTP, t.Digits.int(provisioning.DefaultDigits), uint64(c)
		default:
			d.skip(name, "", "type: unknown type "+quoteName(t.Type))
			continue
		}
		alg, ok := algorithm(t.Algo)
		if !ok {
			d.skip(name, "", "algorithm: unsupported algorithm "+quoteName(t.Algo))
			continue
		}
		k.Algorithm = alg
		k.Secret = make([]byte, len(t.Secret))
		for j, b := range t.Secret {
			if b < -128 || b > 255 {
				k.Secret = nil
				break
			}
			k.Secret[j] = byte(b)
		}
		if k.Secret == nil {
			d.skip(name, "", "secret: holds a number that is not a byte")
			continue
		}
		d.add(name, k)
	}
	return nil
}
