package backup

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

// cotpFormat is cotp's plaintext export ({version, elements[]}), and its "OTP URI list"
// ({items: [uri, …]}).
var cotpFormat = Format{
	Name:   "cotp",
	Title:  "cotp export",
	Shapes: "cotp plaintext JSON export (elements), and its OTP URI list (items)",
	detect: func(s *sniff) bool {
		if s.has("version", "elements") {
			return true
		}
		var items []string
		return s.has("items") && len(s.obj) == 1 && s.member("items", &items) == nil
	},
	decode: decodeCotp,
}

// cotpElement is one account.
type cotpElement struct {
	Secret    string  `json:"secret"`
	Issuer    string  `json:"issuer"`
	Label     string  `json:"label"`
	Digits    jsonInt `json:"digits"`
	Type      string  `json:"type"`
	Algorithm string  `json:"algorithm"`
	Period    jsonInt `json:"period"`
	Counter   jsonInt `json:"counter"`
}

func decodeCotp(d *decoder) error {
	if !d.has("elements") {
		var items []string
		if err := d.member("items", &items); err != nil {
			return err
		}
		for i, uri := range items {
			d.uriLine(fmt.Sprintf("item %d", i+1), uri)
		}
		return nil
	}
	var elements []json.RawMessage
	if err := d.member("elements", &elements); err != nil {
		return err
	}
	for i, raw := range elements {
		place := fmt.Sprintf("element %d", i+1)
		var e cotpElement
		if err := json.Unmarshal(raw, &e); err != nil {
			d.skip(place, "", jsonProblem(err))
			continue
		}
		name := nameOr(label(e.Issuer, e.Label), place)
		k := provisioning.Key{Issuer: e.Issuer, Account: e.Label}
		switch strings.ToUpper(e.Type) {
		case "TOTP", "":
			k.Type, k.Digits, k.Period = provisioning.TOTP, e.Digits.int(provisioning.DefaultDigits), e.Period.int(provisioning.DefaultPeriod)
		case "HOTP":
			c := e.Counter.or(0)
			if c < 0 {
				d.skip(name, "", fmt.Sprintf("counter: is negative (%d)", c))
				continue
			}
			k.Type, k.Digits, k.Counter = provisioning.HOTP, e.Digits.int(provisioning.DefaultDigits), uint64(c)
		case "STEAM":
			k.Type, k.Digits, k.Period = provisioning.Steam, provisioning.SteamDigits, e.Period.int(provisioning.DefaultPeriod)
		case "MOTP":
			d.skip(name, "mOTP", unsupportedKind)
			continue
		case "YANDEX":
			d.skip(name, "Yandex", unsupportedKind)
			continue
		default:
			d.skip(name, "", "type: unknown type "+quoteName(e.Type))
			continue
		}
		alg, ok := algorithm(e.Algorithm)
		if !ok {
			d.skip(name, "", "algorithm: unsupported algorithm "+quoteName(e.Algorithm))
			continue
		}
		k.Algorithm = alg
		var err error
		if k.Secret, err = decodeSecret(e.Secret); err != nil {
			d.skipErr(name, err)
			continue
		}
		d.add(name, k)
	}
	return nil
}
