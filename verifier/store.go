package verifier

import (
	"context"
	"errors"
	"time"
)

// Store is the persistence under the Local backend: users, their sealed seeds, the
// attempt counters and replay guard, revoked refresh tokens and a few named values
// (project id, signing key, seal check). Every method that decides something under
// concurrency (ChargeAttempt, ConsumeStep, PromotePending) is one atomic statement or
// one transaction in the database, so several processes on one database agree.
//
// Implementations return ErrUnknownUser for a user that is not there, ErrUserExists for
// a login id (or user id) already taken, and ErrNotFound for a missing named value; any
// other error is a storage failure.
//
// Login ids are matched by their LoginKey, which the store computes: a user signed up
// as "Bob@Example.com" is found as "bob@example.com", and no second user can take
// that key; UserRecord.LoginID keeps the spelling the user was created with. (A row
// written before login keys existed whose key another user already holds keeps no key
// and is found by its exact spelling only, before any other user with that key.) A Store holds no plaintext secret: seeds and the
// signing key arrive already sealed. verifier/sqlite and verifier/postgres implement
// it; storetest.Run checks an implementation.
//
// Store holds what Local needs and no more. A part of the verifier with state of its
// own (the flow engine's executions) declares a store interface of its own beside this
// one, which the same database types implement on their one schema.
type Store interface {
	// Meta returns the value stored under name, or ErrNotFound.
	Meta(ctx context.Context, name string) ([]byte, error)
	// InitMeta stores value under name unless a value is already there, and returns the
	// value stored now, so that concurrent first starts agree on one value.
	InitMeta(ctx context.Context, name string, value []byte) ([]byte, error)
	// SetMeta stores value under name, replacing any.
	SetMeta(ctx context.Context, name string, value []byte) error

	// CreateUser adds a user; ErrUserExists when its id or its login id's key is taken.
	// HasActiveSeed, HasPendingSeed, FailedAttempts and LockedUntil of u are ignored.
	CreateUser(ctx context.Context, u UserRecord) error
	// UserByLoginID and UserByID load a user, pending or active; ErrUnknownUser.
	// UserByLoginID matches by LoginKey (above).
	UserByLoginID(ctx context.Context, loginID string) (UserRecord, error)
	UserByID(ctx context.Context, id string) (UserRecord, error)
	// ListUsers returns every user, pending ones included, ordered by login id.
	ListUsers(ctx context.Context) ([]UserRecord, error)
	// DeleteUser removes a user and its seeds; ErrUnknownUser.
	DeleteUser(ctx context.Context, id string) error

	// PutPendingSeed makes seed the user's pending seed, replacing any pending one; the
	// active seed is untouched. It also marks the user's row as changed at
	// seed.Created, which a PurgeExpired running at the same time re-checks.
	// ErrUnknownUser.
	PutPendingSeed(ctx context.Context, userID string, seed SealedSeed) error
	// Seeds returns the user's active and pending seeds, nil where there is none.
	// A user without seeds gives (nil, nil, nil); ErrUnknownUser.
	Seeds(ctx context.Context, userID string) (active, pending *SealedSeed, err error)
	// DeleteSeeds removes both seeds of the user. ErrUnknownUser.
	DeleteSeeds(ctx context.Context, userID string) error

	// ChargeAttempt counts one sign-in attempt before the code is checked, in one
	// statement: when the user is locked at now it returns Allowed false and the lock's
	// end; otherwise it increments the counter (restarting from 1 when an earlier lock
	// has expired), locks until now+lock once the count reaches max, and returns Allowed
	// true with the new count. So at most max attempts pass per lock period, however
	// many run at once. An allowed Attempt also carries the ids of the user's seeds as
	// the statement saw them, so a caller holding seeds from an earlier read knows
	// whether they are still current without reading them again. ErrUnknownUser.
	ChargeAttempt(ctx context.Context, userID string, now time.Time, max int, lock time.Duration) (Attempt, error)
	// ConsumeStep is the replay guard: one statement that records step (and drift) as
	// the last accepted step of seed seedID only if no step of that seed at or after it
	// was accepted and seedID is still the active seed; it then also clears the failed
	// attempts and any lock. It reports whether this call won. The guard is per seed: a
	// code is one use of one seed in one step, so a new seed's first code is not refused
	// for the step its predecessor used. One step per user holds it, because a seed
	// that has been accepted once is the active one until another replaces it for good
	// (UserRecord.LastSeedID names it).
	ConsumeStep(ctx context.Context, userID, seedID string, step uint64, drift int, now time.Time) (bool, error)
	// PromotePending is ConsumeStep for the pending seed seedID: in one transaction it
	// applies the replay guard (a pending seed has never been accepted, so only a
	// concurrent promotion of the same seed refuses it), makes the pending seed the active one (replacing the
	// old), marks the user active, and reports whether it won and whether the user was
	// pending before (the first sign-in that finished an enrolment).
	PromotePending(ctx context.Context, userID, seedID string, step uint64, drift int, now time.Time) (promoted, firstSeen bool, err error)

	// RevokeToken records a refresh token id as revoked until expires (after which the
	// token is dead anyway); entries expired at now may be purged. Revoking twice is
	// not an error.
	RevokeToken(ctx context.Context, jti string, expires, now time.Time) error
	// RevokeUserTokens revokes every refresh token of the user issued before the
	// instant given ("log out everywhere"): UserRecord.TokensNotBefore becomes it,
	// unless it is already later. ErrUnknownUser.
	RevokeUserTokens(ctx context.Context, userID string, before time.Time) error
	// TokenRevoked reports whether the token id was revoked.
	TokenRevoked(ctx context.Context, jti string) (bool, error)

	// PurgeExpired deletes, in one bounded pass, what abandoned enrolments leave behind:
	// at most limit pending seeds created at or before cutoff, then at most limit users
	// that never finished a sign-up (not Active), have no seed left and whose row was
	// created and last changed at or before cutoff. Each delete re-checks its condition
	// on the row as it is when deleted, in the same statement, so a pending seed that
	// was replaced or confirmed meanwhile, or a user that signed up again, stays; and
	// several processes may purge one database at once without deleting a row twice or
	// waiting on each other's rows. It reports how many seeds and users it deleted.
	PurgeExpired(ctx context.Context, cutoff time.Time, limit int) (seeds, users int, err error)

	// Close releases the database.
	Close() error
}

// SignInLoader is an optional Store method: a Store that has it saves a sign-in one
// database read (Local checks with a type assertion and falls back to UserByLoginID
// and Seeds).
type SignInLoader interface {
	// UserWithSeeds is UserByLoginID and Seeds in one read; ErrUnknownUser.
	UserWithSeeds(ctx context.Context, loginID string) (u UserRecord, active, pending *SealedSeed, err error)
}

// ErrNotFound is what Store.Meta returns for a name that has no value.
var ErrNotFound = errors.New("not found")

// UserRecord is a user as a Store keeps it.
type UserRecord struct {
	ID      string
	LoginID string
	Name    string
	Email   string
	Phone   string
	Created time.Time
	// Active is false while the user exists only as a sign-up waiting for its first
	// code; such a user does not exist for the API yet.
	Active         bool
	HasActiveSeed  bool
	HasPendingSeed bool
	FailedAttempts int
	LockedUntil    time.Time // zero when never locked
	// LastStep is the last accepted TOTP step, or -1 when none was accepted yet, and
	// LastSeedID the seed it was a step of: the replay guard refuses that seed's steps
	// up to LastStep, and nothing of any other seed.
	LastStep   int64
	LastSeedID string
	StepDrift  int
	// TokensNotBefore is when the user last logged out everywhere: refresh tokens
	// issued before it are revoked. Zero when never.
	TokensNotBefore time.Time
}

// SealedSeed is a TOTP seed as stored: encrypted (AES-256-GCM, the AAD binding user
// and key id) with the parameters needed to compute codes.
type SealedSeed struct {
	ID         string // changes with every new seed, so a replaced seed is told apart
	Ciphertext []byte
	Nonce      []byte
	KeyID      string // which seed key sealed it
	Algorithm  string // SHA1, SHA256 or SHA512
	Digits     int
	Period     int // seconds
	Created    time.Time
}

// Attempt is the outcome of Store.ChargeAttempt.
type Attempt struct {
	Allowed     bool      // the code may be checked
	Count       int       // failed attempts counted so far, this one included
	LockedUntil time.Time // when locked (now, or by this attempt); zero otherwise
	// ActiveSeedID and PendingSeedID are the ids of the user's seeds when an allowed
	// attempt was charged ("" where there is none; both "" when not Allowed).
	ActiveSeedID, PendingSeedID string
}
