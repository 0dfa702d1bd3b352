package verifier

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// LoginOptions are the parts of Descope's loginOptions that change a sign-in's tokens.
type LoginOptions struct {
	// CustomClaims are added to the session token, top level, and kept in the refresh
	// token so that a refreshed session has them too. Claims the tokens depend on
	// (ReservedClaims) are refused.
	CustomClaims map[string]any
	// Stepup marks the new session token as stepped up (Descope's su: true claim). MFA
	// makes the new tokens' amr the methods of the current session and of this sign-in,
	// plus "mfa". Both need RefreshJWT, the current session's refresh token, which must
	// be valid and belong to the user signing in.
	Stepup, MFA bool
	RefreshJWT  string
}

// OptionsSignIner is a Backend whose sign-in takes LoginOptions (Local, and
// httpapi.Remote, which sends them as loginOptions).
type OptionsSignIner interface {
	SignInWithOptions(ctx context.Context, loginID, code string, o LoginOptions) (Session, error)
}

// Enroller is a Backend on which an administrator can issue a new enrolment for an
// existing user: the way back after Delete TOTP Seed (or a lost device) that lets no
// stranger enrol. The new seed is pending until its first code signs in; an active
// seed keeps working until then.
type Enroller interface {
	Enrol(ctx context.Context, loginID string) (Enrollment, error)
}

// ReservedClaims are the claims customClaims may not set: what the tokens and the
// SDKs' checks rely on.
var ReservedClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "drn", "amr", "su", "iat_ms", "cc",
	"rexp", "tenants", "roles", "permissions", "dct", "sid", "nsec"}

// Limits of customClaims.
const (
	maxCustomClaims     = 64
	maxCustomClaimsJSON = 4096
)

// checkCustomClaims refuses reserved, empty or too many claims.
func checkCustomClaims(cc map[string]any) error {
	if len(cc) > maxCustomClaims {
		return fmt.Errorf("%w: customClaims: more than %d claims", ErrInvalidArgument, maxCustomClaims)
	}
	for k := range cc {
		if k == "" || len(k) > 128 {
			return fmt.Errorf("%w: customClaims: a claim name is empty or longer than 128 bytes", ErrInvalidArgument)
		}
		if slices.Contains(ReservedClaims, k) {
			return fmt.Errorf("%w: customClaims: %q is a reserved claim", ErrInvalidArgument, k)
		}
	}
	b, err := json.Marshal(cc)
	if err != nil {
		return fmt.Errorf("%w: customClaims: %v", ErrInvalidArgument, err)
	}
	if len(b) > maxCustomClaimsJSON {
		return fmt.Errorf("%w: customClaims: larger than %d bytes of JSON", ErrInvalidArgument, maxCustomClaimsJSON)
	}
	return nil
}

// sessionExtra is what LoginOptions add to the tokens of one sign-in.
type sessionExtra struct {
	custom map[string]any
	stepup bool
	amr    []string
}

// loginExtra checks o for loginID and returns what it adds to the tokens.
func (l *Local) loginExtra(ctx context.Context, loginID string, o LoginOptions) (*sessionExtra, error) {
	if len(o.CustomClaims) == 0 && !o.Stepup && !o.MFA {
		return nil, nil
	}
	x := &sessionExtra{custom: o.CustomClaims, stepup: o.Stepup}
	if err := checkCustomClaims(o.CustomClaims); err != nil {
		return nil, err
	}
	if !o.Stepup && !o.MFA {
		return x, nil
	}
	if o.RefreshJWT == "" {
		return nil, fmt.Errorf("%w: stepup and mfa need the refresh token of the current session", ErrBadToken)
	}
	c, rec, err := l.refreshUser(ctx, o.RefreshJWT)
	if err != nil {
		return nil, err
	}
	if LoginKey(rec.LoginID) != LoginKey(loginID) { // ids are matched by their key
		return nil, fmt.Errorf("%w: the refresh token belongs to another user", ErrBadToken)
	}
	if o.MFA {
		x.amr = append(slices.Clone(c.AMR), "totp", "mfa")
		slices.Sort(x.amr)
		x.amr = slices.Compact(x.amr)
	}
	return x, nil
}

// SignInWithOptions implements OptionsSignIner: SignIn, and then the tokens carry what
// o asks for. The options are checked before the code, so a bad option costs no
// attempt.
func (l *Local) SignInWithOptions(ctx context.Context, loginID, code string, o LoginOptions) (Session, error) {
	x, err := l.loginExtra(ctx, loginID, o)
	if err != nil {
		return Session{}, fmt.Errorf("sign in: %w", err)
	}
	return l.signIn(ctx, loginID, code, x)
}

// Enrol implements Enroller: a new pending seed for an existing user.
func (l *Local) Enrol(ctx context.Context, loginID string) (Enrollment, error) {
	rec, loginID, err := l.activeUser(ctx, loginID)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrol: %w", err)
	}
	e, err := l.newPendingSeed(ctx, rec)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrol: %w", err)
	}
	l.cache.drop(loginID)
	return e, nil
}

var (
	_ OptionsSignIner = (*Local)(nil)
	_ Enroller        = (*Local)(nil)
)
