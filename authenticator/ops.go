package authenticator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// Duplicate is a key that was not added because the vault already holds an account
// with the same issuer, account name and secret.
type Duplicate struct {
	Key      provisioning.Key
	Existing Account
}

// AddResult says what Add did with each key.
type AddResult struct {
	Added      []Account
	Duplicates []Duplicate
}

// Add stores keys as new accounts in one write. A key equal in issuer, account name and
// secret to an account already stored (or earlier in keys) is reported as a Duplicate
// and skipped. An invalid key, or one over the limits of provisioning's
// Key.CheckLimits, fails the whole call before anything is written; so does a change
// that would make the vault file larger than otpair reads (ErrVaultTooLarge).
func (v *Vault) Add(ctx context.Context, keys ...provisioning.Key) (AddResult, error) {
	outcomes, err := v.add(ctx, keys)
	if err != nil {
		return AddResult{}, err
	}
	var res AddResult
	for i, o := range outcomes {
		if o.dup {
			res.Duplicates = append(res.Duplicates, Duplicate{Key: keys[i], Existing: o.account})
		} else {
			res.Added = append(res.Added, o.account)
		}
	}
	return res, nil
}

// addOutcome is what became of one key: the account added, or the one it duplicates.
type addOutcome struct {
	account Account
	dup     bool
}

func (v *Vault) add(ctx context.Context, keys []provisioning.Key) ([]addOutcome, error) {
	for i, k := range keys {
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("add key %d (%s): %w", i+1, shortLabel(k.Label()), err)
		}
	}
	var out []addOutcome
	err := v.update(ctx, func(accounts []Account) ([]Account, bool, error) {
		out = make([]addOutcome, len(keys))
		added := false
		now := v.now()
		for i, k := range keys {
			if j := indexOfKey(accounts, k); j >= 0 {
				out[i] = addOutcome{account: accounts[j], dup: true}
				continue
			}
			id, err := newID()
			if err != nil {
				return nil, false, err
			}
			a := Account{ID: id, Key: cloneKey(k), Created: now}
			accounts = append(accounts, a)
			out[i], added = addOutcome{account: a}, true
		}
		return accounts, added, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkKey is what every key must pass to be stored: valid for code generation, and
// within the limits on keys from outside, whatever the source (a URI, an export, a
// backup file, a form), so that no key can make the vault too large to read.
func checkKey(k provisioning.Key) error {
	if err := k.Validate(); err != nil {
		return err
	}
	return k.CheckLimits()
}

// shortLabel cuts a label for a message: a hostile name must not flood a terminal.
func shortLabel(s string) string {
	const limit = 60
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return s
}

func indexOfKey(accounts []Account, k provisioning.Key) int {
	for i, a := range accounts {
		if sameKey(a.Key, k) {
			return i
		}
	}
	return -1
}

// cloneKey copies the parts of a key that are shared by reference.
func cloneKey(k provisioning.Key) provisioning.Key {
	k.Secret = append([]byte(nil), k.Secret...)
	if k.Extra != nil {
		extra := make(map[string][]string, len(k.Extra))
		for n, vs := range k.Extra {
			extra[n] = append([]string(nil), vs...)
		}
		k.Extra = extra
	}
	return k
}

func indexOfID(accounts []Account, id string) int {
	for i, a := range accounts {
		if a.ID == id {
			return i
		}
	}
	return -1
}

// Rename sets an account's issuer and account name; an empty account name is refused.
func (v *Vault) Rename(ctx context.Context, id, issuer, account string) (Account, error) {
	issuer, account = strings.TrimSpace(issuer), strings.TrimSpace(account)
	if account == "" && issuer == "" {
		return Account{}, errors.New("rename: give an issuer or an account name")
	}
	if err := (provisioning.Key{Issuer: issuer, Account: account}).CheckLimits(); err != nil {
		return Account{}, fmt.Errorf("rename: %w", err)
	}
	var out Account
	err := v.update(ctx, func(accounts []Account) ([]Account, bool, error) {
		i := indexOfID(accounts, id)
		if i < 0 {
			return nil, false, fmt.Errorf("rename %s: %w", id, ErrNotFound)
		}
		a := accounts[i]
		a.Key.Issuer, a.Key.Account, a.Key.LabelIssuer = issuer, account, ""
		accounts[i], out = a, a
		return accounts, true, nil
	})
	return out, err
}

// Delete removes an account.
func (v *Vault) Delete(ctx context.Context, id string) error {
	return v.update(ctx, func(accounts []Account) ([]Account, bool, error) {
		i := indexOfID(accounts, id)
		if i < 0 {
			return nil, false, fmt.Errorf("delete %s: %w", id, ErrNotFound)
		}
		return append(accounts[:i], accounts[i+1:]...), true, nil
	})
}

// SetPinned pins an account to the top of the list (Aegis's favourites), or unpins it.
func (v *Vault) SetPinned(ctx context.Context, id string, pinned bool) error {
	return v.update(ctx, func(accounts []Account) ([]Account, bool, error) {
		i := indexOfID(accounts, id)
		if i < 0 {
			return nil, false, fmt.Errorf("pin %s: %w", id, ErrNotFound)
		}
		if accounts[i].Pinned == pinned {
			return accounts, false, nil
		}
		accounts[i].Pinned = pinned
		return accounts, true, nil
	})
}

// MarkUsed records that an account's code was used at t (copied, or filled into a
// sign-in), for the "recently used" order. An earlier t than the one recorded changes
// nothing.
func (v *Vault) MarkUsed(ctx context.Context, id string, t time.Time) error {
	return v.update(ctx, func(accounts []Account) ([]Account, bool, error) {
		i := indexOfID(accounts, id)
		if i < 0 {
			return nil, false, fmt.Errorf("mark used %s: %w", id, ErrNotFound)
		}
		if !t.After(accounts[i].LastUsed) {
			return accounts, false, nil
		}
		accounts[i].LastUsed = t
		return accounts, true, nil
	})
}

// ErrCounterExhausted: an HOTP account's counter is at 2^64-1 and cannot advance
// without wrapping to 0 and repeating every code.
var ErrCounterExhausted = errors.New("the hotp counter is at its largest value (2^64-1)")

// NextHOTP returns the code of an HOTP account's next counter and the counter it used.
// The advanced counter is written to the vault before the code is returned, so the same
// code is never handed out twice; if the write fails, no code is returned. A counter at
// 2^64-1 cannot advance: that is ErrCounterExhausted, and no code.
func (v *Vault) NextHOTP(ctx context.Context, id string) (code string, counter uint64, err error) {
	err = v.update(ctx, func(accounts []Account) ([]Account, bool, error) {
		i := indexOfID(accounts, id)
		if i < 0 {
			return nil, false, fmt.Errorf("hotp %s: %w", id, ErrNotFound)
		}
		a := accounts[i]
		if a.Key.Type != provisioning.HOTP {
			return nil, false, fmt.Errorf("hotp %s: %s is a %s account, not hotp", id, a.Label(), a.Key.Type)
		}
		if a.Key.Counter == math.MaxUint64 {
			return nil, false, fmt.Errorf("hotp %s: %s: %w; the next would wrap to 0 and repeat old codes: enrol a new key with the service",
				id, shortLabel(a.Label()), ErrCounterExhausted)
		}
		c, err := a.Key.CounterCode(a.Key.Counter)
		if err != nil {
			return nil, false, err
		}
		code, counter = c, a.Key.Counter
		a.Key.Counter++
		accounts[i] = a
		return accounts, true, nil
	})
	if err != nil {
		return "", 0, err
	}
	return code, counter, nil
}

// AmbiguousError is returned by Find when a query matches several accounts.
type AmbiguousError struct {
	Query      string
	Candidates []Account
}

// Error lists the candidates by label.
func (e *AmbiguousError) Error() string {
	labels := make([]string, len(e.Candidates))
	for i, a := range e.Candidates {
		labels[i] = a.Label()
	}
	return fmt.Sprintf("%q matches %d accounts: %s", e.Query, len(e.Candidates), strings.Join(labels, "; "))
}

// Find picks the one account query names, case-insensitively: an exact id, label
// ("Issuer: account"), "issuer:account", issuer or account name first; otherwise a
// substring of the label. No match is ErrNotFound; several are an *AmbiguousError that
// lists them.
func Find(accounts []Account, query string) (Account, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return Account{}, fmt.Errorf("empty query: %w", ErrNotFound)
	}
	for _, a := range accounts {
		if strings.ToLower(a.ID) == q {
			return a, nil
		}
	}
	tiers := []func(Account) bool{
		func(a Account) bool {
			iss, acc := strings.ToLower(a.Key.Issuer), strings.ToLower(a.Key.Account)
			return strings.ToLower(a.Label()) == q || iss+":"+acc == q
		},
		func(a Account) bool {
			return strings.ToLower(a.Key.Issuer) == q || strings.ToLower(a.Key.Account) == q
		},
		func(a Account) bool { return strings.Contains(strings.ToLower(a.Label()), q) },
	}
	for _, match := range tiers {
		var found []Account
		for _, a := range accounts {
			if match(a) {
				found = append(found, a)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		default:
			return Account{}, &AmbiguousError{Query: query, Candidates: found}
		}
	}
	return Account{}, fmt.Errorf("%q: %w", query, ErrNotFound)
}

// Filter returns the accounts query matches by the rules of Find, all of them (every
// account for an empty query): exact matches if there are any, else substrings.
func Filter(accounts []Account, query string) []Account {
	if strings.TrimSpace(query) == "" {
		return accounts
	}
	a, err := Find(accounts, query)
	var amb *AmbiguousError
	switch {
	case err == nil:
		return []Account{a}
	case errors.As(err, &amb):
		return amb.Candidates
	}
	return nil
}

// EnrolResult says what Enrol did: the account that now holds the key, and whether it
// replaced an older seed of that account or was there already.
type EnrolResult struct {
	Account   Account
	Replaced  bool // an account of the same issuer and name held another secret
	Duplicate bool // the key was there already; nothing changed
}

// Enrol stores k as a provisioning QR code means it: as the account of its issuer and
// name. The same key already stored is a duplicate. An account with the same issuer and
// account name but another secret holds that account's previous seed (the verifier
// issued a new one: an update, or a new sign-up after the old seed was deleted), and k
// replaces it in place, keeping its id; where several such accounts exist, the newest.
// Otherwise k is added. One write, so no moment holds both seeds or neither.
func (v *Vault) Enrol(ctx context.Context, k provisioning.Key) (EnrolResult, error) {
	if err := k.Validate(); err != nil {
		return EnrolResult{}, fmt.Errorf("enrol %s: %w", k.Label(), err)
	}
	var res EnrolResult
	err := v.update(ctx, func(accounts []Account) ([]Account, bool, error) {
		res = EnrolResult{}
		if j := indexOfKey(accounts, k); j >= 0 {
			res.Account, res.Duplicate = accounts[j], true
			return accounts, false, nil
		}
		for i := len(accounts) - 1; i >= 0; i-- {
			if a := accounts[i]; a.Key.Issuer == k.Issuer && a.Key.Account == k.Account {
				a.Key = cloneKey(k)
				accounts[i], res.Account, res.Replaced = a, a, true
				return accounts, true, nil
			}
		}
		id, err := newID()
		if err != nil {
			return nil, false, err
		}
		res.Account = Account{ID: id, Key: cloneKey(k), Created: v.now()}
		return append(accounts, res.Account), true, nil
	})
	if err != nil {
		return EnrolResult{}, err
	}
	return res, nil
}
