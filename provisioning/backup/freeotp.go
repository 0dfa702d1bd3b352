package backup

import (
	"encoding/json"
	"fmt"
	"strings"
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
		kind := t.Type
		if strings.EqualFold(kind, "TOTP") && t.IssuerExt == "Steam" {
			// FreeOTP+ marks Steam Guard by the issuer alone, and its codes have 5 characters.
			kind, t.Digits = "steam", jsonInt{}
		}
		if strings.EqualFold(kind, "HOTP") {
			// FreeOTP stores the counter of the last code shown (it adds one before each
			// code), so the next counter is one more.
			t.Counter = jsonInt{v: t.Counter.or(0) + 1, set: true}
		}
		raw := make([]byte, len(t.Secret))
		for j, b := range t.Secret {
			if b < -128 || b > 255 {
				raw = nil
				break
			}
			raw[j] = byte(b)
		}
		if raw == nil {
			d.skip(nameOr(label(t.IssuerExt, t.Label), place), "", "secret: holds a number that is not a byte")
			continue
		}
		d.addAccount(account{place: place, kind: kind, issuer: t.IssuerExt, name: t.Label, algo: t.Algo,
			digits: t.Digits, period: t.Period, count: t.Counter, raw: raw})
	}
	return nil
}
