package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/provisioning/backup"
	"github.com/otpair/otpair/tui"
)

// The TUI's vault: how cmd opens it for the authenticator pane (asking through the TUI
// for a passphrase, and saying what is wrong with an OS keyring) and the adapter from
// authenticator.Vault to tui.AccountStore.

// vaultOpener opens the vault described by opts. envPass (OTPAIR_PASSPHRASE) or the
// passphrase typed into the TUI unlocks a passphrase vault; with neither the opener
// returns a *tui.PassphraseError, and the TUI asks.
func vaultOpener(opts authenticator.Options, envPass string) tui.VaultOpener {
	_, system := opts.Keyring.(authenticator.SystemKeyring)
	return func(ctx context.Context, typed string) (tui.AccountStore, tui.VaultInfo, error) {
		info := tui.VaultInfo{KeyringAsked: system}
		pass := typed
		if pass == "" {
			pass = envPass
		}
		var asked *authenticator.PassphraseRequest
		opts := opts
		opts.Passphrase = func(_ context.Context, req authenticator.PassphraseRequest) (string, error) {
			if pass == "" {
				asked = &req
				return "", authenticator.ErrPassphraseNeeded
			}
			return pass, nil
		}
		v, err := authenticator.Open(ctx, opts)
		if err == nil {
			// A new passphrase vault asks now rather than at the first change.
			err = v.Unlock(ctx)
		}
		var ke *authenticator.KeyringError
		switch {
		case errors.Is(err, authenticator.ErrPassphraseNeeded):
			pe := &tui.PassphraseError{New: asked != nil && asked.New}
			if v != nil {
				st := v.Status()
				pe.Reason = st.Reason
				if errors.As(st.KeyringErr, &ke) {
					// Say what is wrong with the keyring, and whether it is only locked.
					pe.Reason, pe.KeyringLocked, pe.Remedy = ke.Problem.String(), ke.Problem.Retryable(), ke.Problem.Remedy()
				}
			}
			return nil, info, pe
		case errors.Is(err, authenticator.ErrPassphraseTooShort):
			// Ask again for a longer one, saying why.
			return nil, info, &tui.PassphraseError{New: true, Reason: authenticator.ErrPassphraseTooShort.Error()}
		case errors.Is(err, authenticator.ErrWrongPassphrase) && typed == "" && envPass != "":
			// A stale OTPAIR_PASSPHRASE: ask on screen rather than fail for good.
			return nil, info, &tui.PassphraseError{Reason: "OTPAIR_PASSPHRASE does not open this vault"}
		case errors.As(err, &ke):
			return nil, info, &tui.RemedyError{Err: err, Remedy: ke.Problem.Remedy()}
		case err != nil:
			return nil, info, err
		}
		st := v.Status()
		info.Mode, info.Passphrase = vaultMode(st), st.Protection == authenticator.ProtectionPassphrase
		return vaultStore{v}, info, nil
	}
}

// vaultMode is the status bar's words for how the vault is protected.
func vaultMode(st authenticator.Status) string {
	if st.Protection == authenticator.ProtectionPassphrase {
		return "passphrase mode"
	}
	return st.Protection.String()
}

// vaultStore adapts authenticator.Vault to tui.AccountStore.
type vaultStore struct{ v *authenticator.Vault }

var _ tui.AccountStore = vaultStore{}

// Accounts implements tui.AccountStore.
func (s vaultStore) Accounts(ctx context.Context) ([]tui.Account, error) {
	accts, err := s.v.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]tui.Account, len(accts))
	for i, a := range accts {
		out[i] = tuiAccount(a)
	}
	return out, nil
}

func tuiAccount(a authenticator.Account) tui.Account {
	return tui.Account{ID: a.ID, Key: a.Key, Pinned: a.Pinned, LastUsed: a.LastUsed}
}

// Enrol implements tui.AccountStore with Vault.Enrol: an updated seed replaces the
// account it belongs to.
func (s vaultStore) Enrol(ctx context.Context, uri string) (tui.EnrolResult, error) {
	k, err := provisioning.ParseURI(uri)
	if err != nil {
		return tui.EnrolResult{}, err
	}
	res, err := s.v.Enrol(ctx, k)
	if err != nil {
		return tui.EnrolResult{}, err
	}
	return tui.EnrolResult{Account: tuiAccount(res.Account), Replaced: res.Replaced, Duplicate: res.Duplicate}, nil
}

// SetPinned implements tui.AccountStore.
func (s vaultStore) SetPinned(ctx context.Context, id string, pinned bool) error {
	return s.v.SetPinned(ctx, id, pinned)
}

// MarkUsed implements tui.AccountStore.
func (s vaultStore) MarkUsed(ctx context.Context, id string, t time.Time) error {
	return s.v.MarkUsed(ctx, id, t)
}

// Import implements tui.AccountStore: one source, and keys already in the vault are
// reported as such rather than as an error. An encrypted backup opened without its
// password, or with a wrong one, is a *tui.BackupPasswordError, so the TUI asks.
func (s vaultStore) Import(ctx context.Context, source, password string) (tui.ImportResult, error) {
	var format string
	res, err := s.v.ImportWith(ctx, []string{source}, authenticator.ImportOptions{
		Stdin: strings.NewReader(""),
		Password: func(_ string, f backup.Format) ([]byte, error) {
			format = f.Title
			if password == "" {
				return nil, backup.ErrPasswordNeeded
			}
			return []byte(password), nil
		},
	})
	switch {
	case errors.Is(err, backup.ErrPasswordNeeded):
		return tui.ImportResult{}, &tui.BackupPasswordError{Format: format}
	case errors.Is(err, backup.ErrWrongPassword):
		return tui.ImportResult{}, &tui.BackupPasswordError{Format: format, Wrong: true}
	case err != nil:
		return tui.ImportResult{}, err
	}
	var out tui.ImportResult
	for _, f := range res.Backups {
		out.Summary = f.Summary()
		for _, s := range f.Skipped {
			res.Failed = append(res.Failed, authenticator.SourceError{Source: f.Source, Err: fmt.Errorf("skipped %s", s)})
		}
	}
	for _, a := range res.Added {
		out.Added = append(out.Added, tuiAccount(a.Account))
	}
	for _, a := range res.Duplicates {
		out.Duplicates = append(out.Duplicates, tuiAccount(a.Account))
	}
	out.Err = res.Err()
	if len(out.Added) == 0 && len(out.Duplicates) == 0 && out.Err != nil {
		return tui.ImportResult{}, out.Err
	}
	return out, nil
}

// Rename implements tui.AccountStore.
func (s vaultStore) Rename(ctx context.Context, id, issuer, account string) error {
	_, err := s.v.Rename(ctx, id, issuer, account)
	return err
}

// Delete implements tui.AccountStore.
func (s vaultStore) Delete(ctx context.Context, id string) error { return s.v.Delete(ctx, id) }

// NextHOTP implements tui.AccountStore.
func (s vaultStore) NextHOTP(ctx context.Context, id string) (string, uint64, error) {
	return s.v.NextHOTP(ctx, id)
}
