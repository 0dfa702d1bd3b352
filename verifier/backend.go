// Package verifier is the service side of a TOTP enrolment: sign-up, sign-in (verify),
// update and seed deletion, plus the session calls that follow a sign-in. It is the
// domain: the Backend interface and Local, its in-process implementation; the policy
// (window, replay guard, lockout), session tokens and the rotation of their keys, seed
// sealing and the sign-in cache; and the Store interface Local keeps its state in.
//
// It knows no HTTP and no database driver. verifier/httpapi serves any Backend with
// the Descope-compatible API of shared/API.md and is a Backend over it (Remote);
// verifier/sqlite and verifier/postgres implement Store; cmd/otpair picks and wires
// them. Those packages import this one, never the reverse (deps_test.go holds to it).
package verifier

import (
	"context"
	"fmt"
	"time"
)

// Clock is where every verifier takes the time from; tests pass a fixed one.
type Clock func() time.Time

// Backend is the TOTP lifecycle as the TUI, the CLI and the HTTP server use it. Every
// failure a caller branches on is, or wraps, one of the sentinel errors below.
type Backend interface {
	// SignUp starts the enrolment of a new login id: it creates a pending seed and
	// returns how to provision it. The user exists once a code from it verifies.
	SignUp(ctx context.Context, loginID string, info UserInfo) (Enrollment, error)
	// SignIn verifies a code for loginID and, when it is right, opens a session.
	SignIn(ctx context.Context, loginID, code string) (Session, error)
	// Update creates a pending seed for the signed-in user that refreshJWT names; the
	// old seed keeps working until a code from the new one verifies.
	Update(ctx context.Context, loginID, refreshJWT string) (Enrollment, error)
	// DeleteSeed removes a user's seed (a management call).
	DeleteSeed(ctx context.Context, loginID string) error
	// Refresh issues a new session token from a refresh token.
	Refresh(ctx context.Context, refreshJWT string) (Session, error)
	// Me returns the user a refresh token belongs to.
	Me(ctx context.Context, refreshJWT string) (User, error)
	// Logout revokes a refresh token.
	Logout(ctx context.Context, refreshJWT string) error
	// LoadUser, CreateUser and DeleteUser are the management user calls.
	LoadUser(ctx context.Context, loginID string) (User, error)
	CreateUser(ctx context.Context, loginID string, info UserInfo) (User, error)
	DeleteUser(ctx context.Context, loginID string) error
	// Keys is the public half of the token signing keys, as served at /v2/keys/<pid>.
	Keys(ctx context.Context) (JWKS, error)
	// ProjectID is the project the backend issues tokens for (the tokens' iss).
	ProjectID() string
}

// LogoutAller is a Backend that can revoke every refresh token of a user at once
// (Descope's logoutall). The server answers /v1/auth/logoutall with it, and with
// Logout (only the presented token) for a backend without it.
type LogoutAller interface {
	LogoutAll(ctx context.Context, refreshJWT string) error
}

// UserLister is implemented by backends that can list every user: Local, and
// httpapi.Remote through the management API's user search (with a management key).
type UserLister interface {
	Users(ctx context.Context) ([]User, error)
}

// UserInfo is the optional profile given at sign-up or user creation.
type UserInfo struct {
	Name  string
	Email string
	Phone string
}

// User is a user as the verifier knows it. It carries no secret.
type User struct {
	ID      string // the stable user id, the tokens' sub
	LoginID string
	Name    string
	Email   string
	Phone   string
	Created time.Time
	TOTP    bool // has an active (verified) seed
	Pending bool // has a seed waiting for its first code
	// SigningUp is a user that is only a sign-up so far, waiting for its first code:
	// not a user for the API yet (LoadUser says ErrUnknownUser). Only Users lists them.
	SigningUp   bool
	LockedUntil time.Time // zero when not locked
	// LastStep is the TOTP step of the last accepted code and StepDrift how many steps
	// from the verifier's clock it was, so clock drift is visible. Zero when unknown.
	LastStep  uint64
	StepDrift int
}

// Enrollment is what sign-up and update return: the otpauth:// provisioning URL, the
// secret in base32 and a PNG of the QR code. It is shown once, to the user who asked.
type Enrollment struct {
	ProvisioningURL string
	Key             string // base32 secret, as Descope's "key"
	Image           []byte // PNG of the QR code of ProvisioningURL
}

// String never prints the secret, so an Enrollment can be logged or wrapped safely.
func (e Enrollment) String() string { return "verifier.Enrollment{REDACTED}" }

// GoString is String for %#v.
func (e Enrollment) GoString() string { return e.String() }

// Claims are the parts of a session token that callers show or check.
type Claims struct {
	Issuer   string
	Subject  string
	AMR      []string
	IssuedAt time.Time
	Expires  time.Time
	StepUp   bool           // the su claim of a stepped-up session
	Custom   map[string]any // a sign-in's customClaims
}

// Session is a signed-in session: the tokens (secrets, never logged) and what they say.
type Session struct {
	SessionJWT     string
	RefreshJWT     string
	SessionClaims  Claims
	RefreshExpires time.Time
	User           User
	FirstSeen      bool // the first successful sign-in, which finished the enrolment
}

// String never prints the tokens.
func (s Session) String() string {
	return fmt.Sprintf("verifier.Session{sub=%q exp=%s}", s.SessionClaims.Subject, s.SessionClaims.Expires.UTC().Format(time.RFC3339))
}

// GoString is String for %#v.
func (s Session) GoString() string { return s.String() }

// JWKS is the JSON Web Key Set served at /v2/keys/<projectId>.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWK is one public signing key. Descope's SDKs need kid, alg and use "sig".
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n,omitempty"`   // RSA modulus
	E   string `json:"e,omitempty"`   // RSA exponent
	Crv string `json:"crv,omitempty"` // EC curve
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}
