package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// Account is one authenticator entry as the pane sees it: an id the store knows it by
// and the key that produces its codes, whether it is pinned to the top and when its
// code was last used. The secret stays in memory only.
type Account struct {
	ID       string
	Key      provisioning.Key
	Pinned   bool
	LastUsed time.Time
}

// AccountStore is the part of the vault the authenticator pane uses. cmd wires the real
// authenticator.Vault into it; tests use FakeStore. Every method runs inside a command,
// never in Update or View, because it may touch the disk and the keyring.
type AccountStore interface {
	// Accounts lists every account in display order.
	Accounts(ctx context.Context) ([]Account, error)
	// Import adds what source holds: an otpauth:// or otpauth-migration:// URI, or the
	// path of an image with QR codes or of another app's backup file. password opens an
	// encrypted backup; without one (empty) such a file gives a *BackupPasswordError, as
	// does a wrong one. The error is for a source that gave nothing or a vault that could
	// not be written; a partial import says what failed in the result.
	Import(ctx context.Context, source, password string) (ImportResult, error)
	// Rename changes an account's issuer and account name.
	Rename(ctx context.Context, id, issuer, account string) error
	// Delete removes an account.
	Delete(ctx context.Context, id string) error
	// NextHOTP returns the code for an HOTP account's next counter and advances the
	// stored counter, so the same code is never shown twice.
	NextHOTP(ctx context.Context, id string) (code string, counter uint64, err error)
	// Enrol stores a provisioning URI handed over by the verifier pane as the account
	// it names: an account of the same issuer and name with another secret holds the
	// previous seed (an update) and is replaced in place, keeping its id.
	Enrol(ctx context.Context, uri string) (EnrolResult, error)
	// SetPinned pins an account to the top of the list, or unpins it.
	SetPinned(ctx context.Context, id string, pinned bool) error
	// MarkUsed records that an account's code was used (copied, or filled into a
	// sign-in) at t, for the recently-used order.
	MarkUsed(ctx context.Context, id string, t time.Time) error
}

// EnrolResult is what an Enrol did: the account that holds the key now, and whether it
// replaced an older seed of that account or was there already.
type EnrolResult struct {
	Account   Account
	Replaced  bool
	Duplicate bool
}

// ImportResult is what one import did: the accounts added, the keys the vault already
// held (as the existing accounts) and, when part of the source failed (one QR code of
// several, a bad line), why.
type ImportResult struct {
	Added      []Account
	Duplicates []Account
	Err        error
	Summary    string // a backup file's one-line summary, when the source was one
}

// BackupPasswordError is what Import returns for an encrypted backup file opened
// without its password, or with a wrong one: the TUI then asks for it.
type BackupPasswordError struct {
	Format string // how the file is named: "Aegis backup"
	Wrong  bool   // a password was given and did not open the file
}

// Error implements error.
func (e *BackupPasswordError) Error() string {
	if e.Wrong {
		return "wrong password for the " + e.Format + " (or the file was changed)"
	}
	return "the " + e.Format + " is encrypted: type its password"
}

// VaultOpener opens the vault. passphrase is empty unless the user typed one after the
// opener returned ErrPassphraseNeeded.
type VaultOpener func(ctx context.Context, passphrase string) (AccountStore, VaultInfo, error)

// VaultInfo is how an opened vault is protected, for the status bar and the auto-lock.
type VaultInfo struct {
	Mode       string // "OS keyring", "passphrase mode": shown in the status bar
	Passphrase bool   // a passphrase protects it: the pane locks it after AuthDeps.AutoLock idle
	// KeyringAsked says the opener asked the OS keyring, whose unlock prompt runs in
	// other processes that may have written over the screen: the TUI repaints it
	// whole. It is set whether or not the vault opened.
	KeyringAsked bool
}

// ErrPassphraseNeeded is returned by a VaultOpener when the vault is protected by a
// passphrase and none was given: the TUI then asks for one.
var ErrPassphraseNeeded = errors.New("vault passphrase needed")

// PassphraseError is ErrPassphraseNeeded with what the prompt should say: whether the
// passphrase will protect a new vault (the TUI then asks for it twice) and why the
// vault uses a passphrase rather than the OS keyring. KeyringLocked says the OS
// keyring is there but locked (or its prompt was dismissed), so unlocking it and
// trying again would use it instead, and Remedy says how.
type PassphraseError struct {
	New           bool
	Reason        string
	KeyringLocked bool
	Remedy        string
}

// Error implements error.
func (e *PassphraseError) Error() string {
	if e.Reason == "" {
		return ErrPassphraseNeeded.Error()
	}
	return ErrPassphraseNeeded.Error() + ": " + e.Reason
}

// Is makes errors.Is(err, ErrPassphraseNeeded) true.
func (e *PassphraseError) Is(target error) bool { return target == ErrPassphraseNeeded }

// RemedyError is an error with what the user can do about it, shown under the error
// (the OS keyring is locked: unlock it, then retry).
type RemedyError struct {
	Err    error
	Remedy string
}

// Error implements error.
func (e *RemedyError) Error() string { return e.Err.Error() }

// Unwrap returns the error.
func (e *RemedyError) Unwrap() error { return e.Err }

// QRRenderer draws text as a QR code in terminal characters.
type QRRenderer func(text string) (string, error)

// BackendConfig chooses the verifier backend: local (in-process, over the default
// database) or a remote server. Seeds is the local backend's policy for new seeds; a
// remote server has its own.
type BackendConfig struct {
	Remote        bool
	BaseURL       string
	ProjectID     string
	ManagementKey string //nolint:gosec // held in memory only, never rendered
	Seeds         SeedPolicy
}

// SeedPolicy is the algorithm, digits and period of the seeds a local backend issues;
// zero fields mean the defaults (SHA1, 6, 30 s).
type SeedPolicy struct {
	Algorithm string
	Digits    int
	Period    int
}

// IsDefault reports whether the policy is Descope's SHA1, 6 digits, 30 s.
func (p SeedPolicy) IsDefault() bool {
	return (p.Algorithm == "" || p.Algorithm == "SHA1") && (p.Digits == 0 || p.Digits == 6) && (p.Period == 0 || p.Period == 30)
}

// Label is how the backend is named on screen; it never includes the management key.
// A local backend with a non-default seed policy says so.
func (c BackendConfig) Label() string {
	if c.Remote {
		return c.BaseURL
	}
	if c.Seeds.IsDefault() {
		return "local"
	}
	p := c.Seeds
	if p.Algorithm == "" {
		p.Algorithm = "SHA1"
	}
	return fmt.Sprintf("local %s/%d/%ds", p.Algorithm, cmp.Or(p.Digits, 6), cmp.Or(p.Period, 30))
}

// BackendOpener connects to a verifier backend.
type BackendOpener func(ctx context.Context, cfg BackendConfig) (Verifier, error)

// SignUpResult is what sign-up and update return: the provisioning URI, its key and the
// QR code, which the user asked to see.
type SignUpResult struct {
	URI string
	Key string // base32 secret
}

// Session is a signed-in session. The tokens are secrets: only their claims are shown.
type Session struct {
	SessionJWT string
	RefreshJWT string
	Subject    string // the token's sub: the user id
	LoginID    string // the login id the user signed in with, when the backend says
	AMR        []string
	Expires    time.Time
	FirstSeen  bool
	// Step is the TOTP step of the code the sign-in accepted and Drift how many steps
	// it was from the verifier's clock (0 when the backend does not say).
	Step  uint64
	Drift int
}

// login is who the session belongs to, in the words the user knows: the login id,
// else the token's subject.
func (s Session) login() string {
	if s.LoginID != "" {
		return s.LoginID
	}
	return s.Subject
}

// UserState is one user as the backend knows it.
type UserState struct {
	LoginID     string
	Enrolled    bool // has a verified seed
	Pending     bool // has a seed waiting for its first code
	SigningUp   bool // only a sign-up so far: not a user until its first code
	LockedUntil time.Time
}

// Verifier is the part of the verifier backend the verifier pane uses; cmd adapts
// verifier.Local and httpapi.Remote to it. Errors should be, or wrap, *RequestError so
// the timeline can explain them.
type Verifier interface {
	SignUp(ctx context.Context, loginID, name, email string) (SignUpResult, error)
	SignIn(ctx context.Context, loginID, code string) (Session, error)
	Update(ctx context.Context, loginID, refreshJWT string) (SignUpResult, error)
	DeleteSeed(ctx context.Context, loginID string) error
	Refresh(ctx context.Context, refreshJWT string) (Session, error)
	Me(ctx context.Context, refreshJWT string) (string, error)
	Logout(ctx context.Context, refreshJWT string) error
	// Users lists users; a backend that cannot list returns ErrNoUserList.
	Users(ctx context.Context) ([]UserState, error)
	// Window is how many steps before and after its own a code may come from; ok is
	// false when the backend does not say (a remote server).
	Window() (back, ahead int, ok bool)
}

// ErrNoUserList is returned by Verifier.Users when the backend cannot list users.
var ErrNoUserList = errors.New("this backend cannot list users")

// Reason is why the verifier refused a request, in the words the timeline uses.
type Reason int

// The reasons a request fails.
const (
	ReasonOther Reason = iota
	ReasonWrongCode
	ReasonCodeUsed
	ReasonExpired
	ReasonLocked
	ReasonUnknownUser
	ReasonUserExists
	ReasonBadRequest
	ReasonUnauthorized
	ReasonNoSeed
)

// String implements fmt.Stringer with the words shown on screen.
func (r Reason) String() string {
	switch r {
	case ReasonWrongCode:
		return "wrong code"
	case ReasonCodeUsed:
		return "code already used"
	case ReasonExpired:
		return "code expired"
	case ReasonLocked:
		return "locked"
	case ReasonUnknownUser:
		return "unknown user"
	case ReasonUserExists:
		return "user already exists"
	case ReasonBadRequest:
		return "bad request"
	case ReasonUnauthorized:
		return "not authorised"
	case ReasonNoSeed:
		return "no TOTP seed"
	default:
		return "failed"
	}
}

// RequestError is a verifier failure the timeline can explain: a reason in words, the
// API error code and, for a lockout, when the lock ends. Message is safe to show.
type RequestError struct {
	Reason      Reason
	Code        string // API error code, e.g. E061102
	Message     string
	LockedUntil time.Time
	Err         error
}

// Error implements error.
func (e *RequestError) Error() string {
	if e.Message != "" {
		return e.Reason.String() + ": " + e.Message
	}
	return e.Reason.String()
}

// Unwrap returns the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }
