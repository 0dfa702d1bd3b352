package authenticator

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// Account is one entry of the vault: a key, the stable id otpair knows it by and when it
// was added. For an HOTP key, Key.Counter is the next counter to use. Pinned and
// LastUsed are how the user orders the list (favourites first, or recently used).
type Account struct {
	ID       string
	Key      provisioning.Key
	Created  time.Time
	Pinned   bool
	LastUsed time.Time // when a code was last copied or used; zero for never
}

// Label is the display name: "Issuer: account", or whichever of the two is set.
func (a Account) Label() string { return a.Key.Label() }

// String describes the account without its secret.
func (a Account) String() string { return a.ID + " " + a.Key.String() }

// sameKey reports whether two keys are the same account for duplicate detection: same
// issuer, account name and secret (the fields a user would call "the same account").
func sameKey(a, b provisioning.Key) bool {
	return a.Issuer == b.Issuer && a.Account == b.Account && string(a.Secret) == string(b.Secret)
}

// newID returns a fresh random account id (64 bits, hex).
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new account id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// vaultData is the plaintext inside the age file. It is JSON so that a user who
// decrypts the vault with the age CLI can read it.
type vaultData struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Accounts []accountRecord `json:"accounts"`
}

const (
	dataFormat  = "otpair-vault"
	dataVersion = 1
)

// accountRecord is an Account as stored. Every field of the key is explicit, so reading
// the vault does not depend on the URI parser.
type accountRecord struct {
	ID          string              `json:"id"`
	Type        string              `json:"type"`
	Issuer      string              `json:"issuer,omitempty"`
	Account     string              `json:"account"`
	Secret      string              `json:"secret"` // base32, unpadded
	Algorithm   string              `json:"algorithm"`
	Digits      int                 `json:"digits"`
	Period      int                 `json:"period,omitempty"`
	Counter     uint64              `json:"counter,omitempty"`
	LabelIssuer string              `json:"label_issuer,omitempty"`
	Extra       map[string][]string `json:"extra,omitempty"`
	Created     time.Time           `json:"created"`
	// Added in place, without a version change: an older otpair reads the vault and
	// ignores them (it also drops them on its next write; nothing else is lost).
	Pinned   bool      `json:"pinned,omitempty"`
	LastUsed time.Time `json:"last_used,omitzero"`
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func toRecord(a Account) accountRecord {
	return accountRecord{
		ID: a.ID, Type: string(a.Key.Type), Issuer: a.Key.Issuer, Account: a.Key.Account,
		Secret: b32.EncodeToString(a.Key.Secret), Algorithm: string(a.Key.Algorithm),
		Digits: a.Key.Digits, Period: a.Key.Period, Counter: a.Key.Counter,
		LabelIssuer: a.Key.LabelIssuer, Extra: a.Key.Extra, Created: a.Created.UTC(),
		Pinned: a.Pinned, LastUsed: a.LastUsed.UTC(),
	}
}

func (r accountRecord) account() (Account, error) {
	secret, err := b32.DecodeString(strings.TrimRight(r.Secret, "="))
	if err != nil {
		return Account{}, fmt.Errorf("account %s: secret is not base32", r.ID)
	}
	k := provisioning.Key{
		Type: provisioning.Type(r.Type), Issuer: r.Issuer, Account: r.Account, Secret: secret,
		Algorithm: provisioning.Algorithm(r.Algorithm), Digits: r.Digits, Period: r.Period,
		Counter: r.Counter, LabelIssuer: r.LabelIssuer,
	}
	if len(r.Extra) > 0 {
		k.Extra = url.Values(r.Extra)
	}
	if r.ID == "" {
		return Account{}, fmt.Errorf("account %q has no id", k.Label())
	}
	if err := k.Validate(); err != nil {
		return Account{}, fmt.Errorf("account %s: %w", r.ID, err)
	}
	return Account{ID: r.ID, Key: k, Created: r.Created, Pinned: r.Pinned, LastUsed: r.LastUsed}, nil
}

// marshalAccounts is the vault plaintext for accounts.
func marshalAccounts(accounts []Account) ([]byte, error) {
	d := vaultData{Format: dataFormat, Version: dataVersion, Accounts: make([]accountRecord, len(accounts))}
	for i, a := range accounts {
		d.Accounts[i] = toRecord(a)
	}
	return json.Marshal(d)
}

// unmarshalAccounts parses the vault plaintext. Its errors never quote the plaintext.
func unmarshalAccounts(b []byte) ([]Account, error) {
	var d vaultData
	if err := json.Unmarshal(b, &d); err != nil {
		// json errors quote at most a token of the input: name only the offset.
		if se, ok := err.(*json.SyntaxError); ok {
			return nil, fmt.Errorf("contents are not valid JSON (at byte %d)", se.Offset)
		}
		return nil, fmt.Errorf("contents are not an otpair vault (%T)", err)
	}
	if d.Format != dataFormat {
		return nil, fmt.Errorf("contents are not an otpair vault (format %q)", d.Format)
	}
	if d.Version != dataVersion {
		return nil, fmt.Errorf("vault format version %d is not supported by this otpair (want %d): upgrade otpair", d.Version, dataVersion)
	}
	out := make([]Account, 0, len(d.Accounts))
	seen := make(map[string]bool, len(d.Accounts))
	for _, r := range d.Accounts {
		a, err := r.account()
		if err != nil {
			return nil, err
		}
		if seen[a.ID] {
			return nil, fmt.Errorf("account id %s appears twice", a.ID)
		}
		seen[a.ID] = true
		out = append(out, a)
	}
	return out, nil
}
