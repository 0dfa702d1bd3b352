package verifier

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors callers branch on with errors.Is. Each maps to one API error code
// (httpapi.StatusAndCode); messages never contain codes, secrets or tokens.
var (
	ErrWrongCode   = errors.New("wrong code")                               // E061102, 401
	ErrCodeReused  = errors.New("code already used")                        // E061102, 401
	ErrLocked      = errors.New("too many failed attempts")                 // E061103, 429; see *LockedError
	ErrUnknownUser = errors.New("unknown user")                             // E062108 (auth), E112102 (management), 400
	ErrUserExists  = errors.New("user already exists")                      // E062107, 400
	ErrNoSeed      = errors.New("user has no TOTP seed")                    // E061102, 401
	ErrBadToken    = errors.New("missing, invalid or expired token or key") // E011004, 401
	ErrBadRequest  = errors.New("bad request")                              // E011001/E011002/E011003, 400
)

// LockedError says until when sign-in is locked. It wraps ErrLocked.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v: locked until %s", ErrLocked, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// WrongCodeError is a refused code with what it cost: how many attempts are left and,
// for the attempt that used the last one, until when sign-in is now locked. It wraps
// ErrWrongCode (not ErrLocked: this attempt was checked, and answers E061102).
type WrongCodeError struct {
	Left        int       // attempts left before the lock
	LockedUntil time.Time // non-zero when this attempt started a lock
}

func (e *WrongCodeError) Error() string {
	switch {
	case !e.LockedUntil.IsZero():
		return fmt.Sprintf("%v (locked until %s)", ErrWrongCode, e.LockedUntil.UTC().Format(time.RFC3339))
	case e.Left == 1:
		return fmt.Sprintf("%v (1 attempt left)", ErrWrongCode)
	default:
		return fmt.Sprintf("%v (%d attempts left)", ErrWrongCode, e.Left)
	}
}

// Unwrap makes errors.Is(err, ErrWrongCode) true.
func (e *WrongCodeError) Unwrap() error { return ErrWrongCode }

// Finer kinds of ErrBadRequest: errors.Is(err, ErrBadRequest) holds for both, and each
// maps to its own API code.
var (
	ErrMissingArgument = fmt.Errorf("%w: missing argument", ErrBadRequest) // E011002
	ErrInvalidArgument = fmt.Errorf("%w: invalid argument", ErrBadRequest) // E011003
)
