package backup

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/otpair/otpair/provisioning"
)

// bitwardenFormat is Bitwarden's vault export, JSON or CSV (the password manager's,
// and the Bitwarden Authenticator app's JSON, which has the same shape): each login's
// totp field holds an otpauth URI, a bare base32 secret, or steam://SECRET. A
// password-protected JSON export is read too (see bitwardencrypt.go).
var bitwardenFormat = Format{
	Name:   "bitwarden",
	Title:  "Bitwarden export",
	Shapes: "Bitwarden vault export, JSON or CSV (login.totp: otpauth URI, bare secret or steam://), and the Bitwarden Authenticator app's JSON; password-protected JSON (PBKDF2-SHA256 or Argon2id, AES-256-CBC + HMAC-SHA256)",
	detect: func(s *sniff) bool {
		if s.has("passwordProtected", "data") || s.has("encKeyValidation_DO_NOT_EDIT") {
			return true
		}
		if s.has("items") && (s.has("encrypted") || s.has("folders") || s.has("collections")) {
			return true
		}
		return s.obj == nil && s.arr == nil && s.text && bitwardenCSVHeader(s.body) != nil
	},
	decode: decodeBitwarden,
}

// bitwardenItem is one vault item; only logins hold TOTP.
type bitwardenItem struct {
	Name  string `json:"name"`
	Login *struct {
		Username *string `json:"username"`
		TOTP     *string `json:"totp"`
	} `json:"login"`
}

func decodeBitwarden(d *decoder) error {
	if d.obj == nil {
		return d.bitwardenCSV()
	}
	var encrypted, protected bool
	if err := d.member("encrypted", &encrypted); err != nil {
		return err
	}
	if err := d.member("passwordProtected", &protected); err != nil {
		return err
	}
	obj := d.obj
	if encrypted && !protected {
		return invalid("this export is encrypted with the Bitwarden account's own key, which only Bitwarden opens: export again choosing \"Password protected\" (or unencrypted JSON)")
	}
	if protected {
		plain, err := d.bitwardenDecrypt()
		if err != nil {
			return err
		}
		obj = nil
		if err := json.Unmarshal(plain, &obj); err != nil || obj == nil {
			return invalid("the decrypted export is not a JSON object")
		}
	}
	var items []json.RawMessage
	if raw, ok := obj["items"]; ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			return invalid("items: %s", jsonProblem(err))
		}
	}
	for i, raw := range items {
		var it bitwardenItem
		if err := json.Unmarshal(raw, &it); err != nil {
			d.skip(fmt.Sprintf("item %d", i+1), "", jsonProblem(err))
			continue
		}
		if it.Login == nil || it.Login.TOTP == nil || strings.TrimSpace(*it.Login.TOTP) == "" {
			continue // not a login with a second factor: not an account here
		}
		user := ""
		if it.Login.Username != nil {
			user = *it.Login.Username
		}
		d.bitwardenTOTP(nameOr(it.Name, fmt.Sprintf("item %d", i+1)), it.Name, user, *it.Login.TOTP)
	}
	return nil
}

// bitwardenTOTP reads one login's totp field: an otpauth URI (its issuer and account,
// else the item's name and user name), steam://SECRET, or a bare base32 secret (a
// 6-digit, 30 s SHA1 TOTP, as Bitwarden reads it).
func (d *decoder) bitwardenTOTP(place, itemName, user, totp string) {
	totp = strings.TrimSpace(totp)
	var k provisioning.Key
	switch {
	case strings.HasPrefix(strings.ToLower(totp), "otpauth://"):
		var err error
		if k, err = parseURI(totp); err != nil {
			d.skip(place, "", strings.TrimPrefix(err.Error(), "parse otpauth uri: "))
			return
		}
	case strings.HasPrefix(strings.ToLower(totp), "steam://"):
		secret, err := decodeSecret(totp[len("steam://"):])
		if err != nil {
			d.skipErr(place, err)
			return
		}
		k = provisioning.Key{Type: provisioning.Steam, Secret: secret, Algorithm: provisioning.SHA1,
			Digits: provisioning.SteamDigits, Period: provisioning.DefaultPeriod}
	default:
		secret, err := decodeSecret(totp)
		if err != nil {
			d.skipErr(place, err)
			return
		}
		k = provisioning.Key{Type: provisioning.TOTP, Secret: secret, Algorithm: provisioning.SHA1,
			Digits: provisioning.DefaultDigits, Period: provisioning.DefaultPeriod}
	}
	if strings.TrimSpace(k.Issuer) == "" {
		k.Issuer, k.LabelIssuer = itemName, ""
	}
	if strings.TrimSpace(k.Account) == "" {
		k.Account = user
	}
	d.add(nameOr(label(k.Issuer, k.Account), place), k)
}

// bitwardenCSVHeader returns the columns of a Bitwarden CSV export's header (it names a
// login_totp column), or nil.
func bitwardenCSVHeader(body []byte) map[string]int {
	line, _, _ := bytes.Cut(body, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(line))
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	head, err := r.Read()
	if err != nil {
		return nil
	}
	cols := map[string]int{}
	for i, h := range head {
		cols[strings.TrimSpace(h)] = i
	}
	if _, ok := cols["login_totp"]; !ok {
		return nil
	}
	return cols
}

// bitwardenCSV reads a CSV export.
func (d *decoder) bitwardenCSV() error {
	cols := bitwardenCSVHeader(d.body)
	if cols == nil {
		return invalid("not a Bitwarden export (neither its JSON nor a CSV with a login_totp column)")
	}
	r := csv.NewReader(bytes.NewReader(d.body))
	r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = -1, true, true
	if _, err := r.Read(); err != nil { // the header
		return invalid("the CSV header: %v", err)
	}
	field := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return invalid("the CSV is not valid at line %d", pe.Line)
			}
			return invalid("the CSV is not valid")
		}
		totp := field(rec, "login_totp")
		if strings.TrimSpace(totp) == "" {
			continue
		}
		name := field(rec, "name")
		d.bitwardenTOTP(nameOr(name, fmt.Sprintf("row %d", row)), name, field(rec, "login_username"), totp)
	}
}
