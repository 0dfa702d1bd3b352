package tui

import (
	"context"
	"errors"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// Account is one authenticator entry as the pane sees it: an id the store knows it by
// and the key that produces its codes. The secret stays in memory only.
type Account struct {
	ID  string
	Key provisioning.Key
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
// opener returned ErrPassphraseNeeded. mode says how the vault is protected ("OS
// keyring", "passphrase"), and is shown in the status bar.
type VaultOpener func(ctx context.Context, passphrase string) (store AccountStore, mode string, err error)

// ErrPassphraseNeeded is returned by a VaultOpener when the vault is protected by a
// passphrase and none was given: the TUI then asks for one.
var ErrPassphraseNeeded = errors.New("vault passphrase needed")

// PassphraseError is ErrPassphraseNeeded with what the prompt should say: whether the
// passphrase will protect a new vault (the TUI then asks for it twice) and why the
// vault uses a passphrase rather than the OS keyring.
type PassphraseError struct {
	New    bool
	Reason string
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

// QRRenderer draws text as a QR code in terminal characters.
type QRRenderer func(text string) (string, error)

// BackendConfig chooses the verifier backend: local (in-process, over the default
// database) or a remote server.
type BackendConfig struct {
	Remote        bool
	BaseURL       string
	ProjectID     string
	ManagementKey string //nolint:gosec // held in memory only, never rendered
}

// Label is how the backend is named on screen; it never includes the management key.
func (c BackendConfig) Label() string {
	if !c.Remote {
		return "local"
	}
	return c.BaseURL
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
}

// login is who the session belongs to, in the words the user knows: the login id,
// else the token's subject.
func (s Session) login() string {
	if s.LoginID != "" {
		return s.LoginID
	}
	return s.Subject
}

// UserState is one user as the local backend knows it.
type UserState struct {
	LoginID     string
	Enrolled    bool // has a verified seed
	Pending     bool // has a seed waiting for its first code
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
