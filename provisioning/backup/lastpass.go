package backup

import (
	"encoding/json"
	"fmt"

	"github.com/otpair/otpair/provisioning"
)

// lastPassFormat is LastPass Authenticator's JSON export (version 1 from iOS, 3 from
// Android): accounts[] with issuerName, userName, secret, timeStep, digits, algorithm.
var lastPassFormat = Format{
	Name:   "lastpass",
	Title:  "LastPass Authenticator export",
	Shapes: "LastPass Authenticator JSON export (versions 1 and 3)",
	detect: func(s *sniff) bool {
		if !s.has("accounts") || s.has("version", "header") {
			return false
		}
		var accounts []map[string]json.RawMessage
		if s.member("accounts", &accounts) != nil || len(accounts) == 0 {
			return s.has("deviceName") || s.has("localDeviceId")
		}
		_, a := accounts[0]["issuerName"]
		_, b := accounts[0]["timeStep"]
		return a || b
	},
	decode: decodeLastPass,
}

// lastPassAccount is one account.
type lastPassAccount struct {
	IssuerName string  `json:"issuerName"`
	UserName   string  `json:"userName"`
	Secret     string  `json:"secret"`
	TimeStep   jsonInt `json:"timeStep"`
	Digits     jsonInt `json:"digits"`
	Algorithm  string  `json:"algorithm"`
}

func decodeLastPass(d *decoder) error {
	var accounts []json.RawMessage
	if err := d.member("accounts", &accounts); err != nil {
		return err
	}
	for i, raw := range accounts {
		place := fmt.Sprintf("account %d", i+1)
		var a lastPassAccount
		if err := json.Unmarshal(raw, &a); err != nil {
			d.skip(place, "", jsonProblem(err))
			continue
		}
		name := nameOr(label(a.IssuerName, a.UserName), place)
		alg, ok := algorithm(a.Algorithm)
		if !ok {
			d.skip(name, "", "algorithm: unsupported algorithm "+quoteName(a.Algorithm))
			continue
		}
		secret, err := decodeSecret(a.Secret)
		if err != nil {
			d.skipErr(name, err)
			continue
		}
		d.add(name, provisioning.Key{Type: provisioning.TOTP, Issuer: a.IssuerName, Account: a.UserName, Secret: secret,
			Algorithm: alg, Digits: a.Digits.int(provisioning.DefaultDigits), Period: a.TimeStep.int(provisioning.DefaultPeriod)})
	}
	return nil
}
