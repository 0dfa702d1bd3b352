package backup

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/otpair/otpair/provisioning"
)

// steamFormat is Steam Desktop Authenticator's maFile (or Steam's own Steamguard file):
// shared_secret (base64) is the Steam Guard key. Its uri field claims a 6-digit TOTP,
// which would give wrong codes, so it is not read. Several accounts may sit under
// "accounts".
var steamFormat = Format{
	Name:   "steam",
	Title:  "Steam Guard file",
	Shapes: "Steam Desktop Authenticator maFile / Steamguard file (shared_secret; its misleading uri is ignored)",
	detect: func(s *sniff) bool {
		if s.has("shared_secret", "account_name") {
			return true
		}
		var accounts map[string]map[string]json.RawMessage
		if !s.has("accounts") || s.member("accounts", &accounts) != nil {
			return false
		}
		for _, a := range accounts {
			_, ok := a["shared_secret"]
			return ok
		}
		return false
	},
	decode: decodeSteam,
}

// steamAccount is one account of the file.
type steamAccount struct {
	SharedSecret string `json:"shared_secret"`
	AccountName  string `json:"account_name"`
}

func decodeSteam(d *decoder) error {
	var raws []json.RawMessage
	if d.has("shared_secret") {
		raws = []json.RawMessage{d.body}
	} else {
		var accounts map[string]json.RawMessage
		if err := d.member("accounts", &accounts); err != nil {
			return err
		}
		for _, id := range mapKeys(accounts) {
			raws = append(raws, accounts[id])
		}
	}
	for i, raw := range raws {
		place := fmt.Sprintf("account %d", i+1)
		var a steamAccount
		if err := json.Unmarshal(raw, &a); err != nil {
			d.skip(place, "", jsonProblem(err))
			continue
		}
		name := nameOr(label("Steam", a.AccountName), place)
		secret, err := base64.StdEncoding.DecodeString(a.SharedSecret)
		if err != nil || len(secret) == 0 {
			d.skip(name, "", "shared_secret: is missing or not base64")
			continue
		}
		d.add(name, provisioning.Key{Type: provisioning.Steam, Issuer: "Steam", Account: a.AccountName, Secret: secret,
			Algorithm: provisioning.SHA1, Digits: provisioning.SteamDigits, Period: provisioning.DefaultPeriod})
	}
	return nil
}
