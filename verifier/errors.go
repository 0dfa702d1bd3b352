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
	return fmt.Sprintf("%v (%s)", ErrWrongCode, attemptsLeft(e.Left, e.LockedUntil))
}

// Unwrap makes errors.Is(err, ErrWrongCode) true.
func (e *WrongCodeError) Unwrap() error { return ErrWrongCode }

// ReuseRule is the replay rule that refused a code.
type ReuseRule int

// The replay rules. A code is one use of one seed in one step: each seed's accepted
// steps only move forward.
const (
	// ReuseSameStep: this seed's code for this step was accepted already.
	ReuseSameStep ReuseRule = iota
	// ReuseEarlierStep: a later step of this seed was accepted already, so its older
	// codes no longer work.
	ReuseEarlierStep
	// ReuseRace: another sign-in used this code, or a later one of the same seed, at
	// the same moment, or replaced the seed.
	ReuseRace
)

// String is the rule in words.
func (r ReuseRule) String() string {
	switch r {
	case ReuseSameStep:
		return "this seed's code for this time step was accepted already"
	case ReuseEarlierStep:
		return "a later code of this seed was accepted already, and older ones no longer work"
	default:
		return "another sign-in used this code, or a later one, first"
	}
}

// ReusedCodeError is a right code the replay guard refused, with the rule that refused
// it and, since the attempt was charged before the code was checked, what that cost.
// It wraps ErrCodeReused.
type ReusedCodeError struct {
	Rule        ReuseRule
	Left        int       // attempts left before the lock
	LockedUntil time.Time // non-zero when this attempt started a lock
}

func (e *ReusedCodeError) Error() string {
	return fmt.Sprintf("%v: %v (%s)", ErrCodeReused, e.Rule, attemptsLeft(e.Left, e.LockedUntil))
}

// Unwrap makes errors.Is(err, ErrCodeReused) true.
func (e *ReusedCodeError) Unwrap() error { return ErrCodeReused }

// attemptsLeft is what a charged attempt left: "3 attempts left", or the lock it
// started.
func attemptsLeft(left int, lockedUntil time.Time) string {
	switch {
	case !lockedUntil.IsZero():
		return "locked until " + lockedUntil.UTC().Format(time.RFC3339)
	case left == 1:
		return "1 attempt left"
	default:
		return fmt.Sprintf("%d attempts left", left)
	}
}

// Finer kinds of ErrBadRequest: errors.Is(err, ErrBadRequest) holds for both, and each
// maps to its own API code.
var (
	ErrMissingArgument = fmt.Errorf("%w: missing argument", ErrBadRequest) // E011002
	ErrInvalidArgument = fmt.Errorf("%w: invalid argument", ErrBadRequest) // E011003
)
