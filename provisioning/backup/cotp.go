package backup

import (
	"encoding/json"
	"fmt"
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
		var e flatEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			d.skip(place, "", jsonProblem(err))
			continue
		}
		issuer := ""
		if e.Issuer != nil {
			issuer = *e.Issuer
		}
		d.addAccount(account{place: place, kind: e.Type, issuer: issuer, name: e.Label, algo: e.Algorithm,
			digits: e.Digits, period: e.Period, count: e.Counter, secret: e.Secret})
	}
	return nil
}
