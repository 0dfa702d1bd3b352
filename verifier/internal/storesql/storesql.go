// Package storesql is what the SQLite and PostgreSQL stores share: the user columns
// both select, the readers of their rows, and times kept as unix milliseconds. The SQL
// text of each statement stays with its store, since the placeholders differ.
package storesql

import (
	"context"
	"fmt"
	"time"

	"github.com/otpair/otpair/verifier"
)

// *sql.Rows and pgx.Rows both satisfy Rows, and *sql.Row, *sql.Rows, pgx.Row and
// pgx.Rows all satisfy Scanner.

// Scanner is one result row.
type Scanner interface{ Scan(dest ...any) error }

// Rows is a result set read row by row.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanUserFunc reads the columns of UserColumns from a row, then into more. Each store
// has its own, since its driver scans NULLs and booleans its own way.
type ScanUserFunc func(r Scanner, more ...any) (verifier.UserRecord, error)

// ReadSeeds reads the rows of a user's seeds query (kind, seed_id, ciphertext, nonce,
// key_id, algorithm, digits, period, created_at) into the active and the pending seed.
// No seed at all asks st for the user, so that an unknown user is ErrUnknownUser.
func ReadSeeds(ctx context.Context, rows Rows, st verifier.Store, userID string) (active, pending *verifier.SealedSeed, err error) {
	for rows.Next() {
		var (
			kind    string
			seed    verifier.SealedSeed
			created int64
		)
		if err := rows.Scan(&kind, &seed.ID, &seed.Ciphertext, &seed.Nonce, &seed.KeyID, &seed.Algorithm, &seed.Digits, &seed.Period, &created); err != nil {
			return nil, nil, err
		}
		seed.Created = FromMillis(created)
		if kind == "active" {
			active = &seed
		} else {
			pending = &seed
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if active == nil && pending == nil {
		if _, err := st.UserByID(ctx, userID); err != nil {
			return nil, nil, err
		}
	}
	return active, pending, nil
}

// ScanUsers reads every row of a query of UserColumns.
func ScanUsers(rows Rows, scan ScanUserFunc) ([]verifier.UserRecord, error) {
	var users []verifier.UserRecord
	for rows.Next() {
		u, err := scan(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return users, nil
}

// ScanUserWithSeeds reads the rows of the sign-in query: UserColumns, then the seed
// columns of a LEFT JOIN on seeds (one row per seed, or one row with NULL seed columns
// for a user without seeds). No row at all is ErrUnknownUser.
func ScanUserWithSeeds(rows Rows, scan ScanUserFunc) (u verifier.UserRecord, active, pending *verifier.SealedSeed, err error) {
	found := false
	for rows.Next() {
		var (
			kind, seedID, keyID, alg *string
			ct, nonce                []byte
			digits, period           *int
			created                  *int64
		)
		u, err = scan(rows, &kind, &seedID, &ct, &nonce, &keyID, &alg, &digits, &period, &created)
		if err != nil {
			return verifier.UserRecord{}, nil, nil, err
		}
		found = true
		if kind == nil || seedID == nil || keyID == nil || alg == nil || digits == nil || period == nil || created == nil {
			continue // the LEFT JOIN's row of a user without seeds
		}
		seed := &verifier.SealedSeed{ID: *seedID, Ciphertext: ct, Nonce: nonce, KeyID: *keyID, Algorithm: *alg,
			Digits: *digits, Period: *period, Created: FromMillis(*created)}
		if *kind == "active" {
			active = seed
		} else {
			pending = seed
		}
	}
	if err := rows.Err(); err != nil {
		return verifier.UserRecord{}, nil, nil, err
	}
	if !found {
		return verifier.UserRecord{}, nil, nil, verifier.ErrUnknownUser
	}
	return u, active, pending, nil
}

// UserColumns are the columns of a users row that every user query selects, in the
// order a ScanUserFunc reads them: the row, then whether the user has an active and a
// pending seed.
const UserColumns = `users.id, users.login_id, users.name, users.email, users.phone, users.active, users.created_at,
	users.failed_count, users.locked_until, users.last_step, users.last_seed_id, users.step_drift, users.tokens_not_before,
	EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = users.id AND kind = 'active'),
	EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = users.id AND kind = 'pending')`

// Millis is t in unix milliseconds, the zero time as 0.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis is Millis undone: 0 is the zero time, anything else a UTC time.
func FromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// BoolInt is b as the 0 or 1 of an INTEGER column.
func BoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NullStep is a last accepted step as stored: NULL (nil) for none (-1).
func NullStep(step int64) any {
	if step < 0 {
		return nil
	}
	return step
}

// MigrationLoginKeysAndPurge is migration 4 of both stores, the same SQL for SQLite and
// PostgreSQL: the login key column (verifier.LoginKey, computed in Go: see
// BackfillLoginKeys) with its unique index, and the partial indexes the purge of
// abandoned enrolments reads. No index holds a column the sign-in path writes
// (updated_at, failed_count, locked_until, last_step), so those updates touch no index
// (and stay HOT in PostgreSQL). Self-contained, so it can take another number.
const MigrationLoginKeysAndPurge = `ALTER TABLE users ADD COLUMN login_key TEXT;
	CREATE UNIQUE INDEX users_login_key ON users (login_key);
	CREATE INDEX users_unconfirmed ON users (created_at) WHERE active = 0;
	CREATE INDEX seeds_pending_created ON seeds (created_at) WHERE kind = 'pending';`

// MigrationReplayGuardPerSeed is migration 5 of both stores, the same SQL for SQLite and
// PostgreSQL: last_step becomes a step of the seed last_seed_id, so a new seed's first
// code is no longer refused for the step its predecessor used. A step accepted before
// this migration was the active seed's (an accepted pending seed becomes the active
// one).
const MigrationReplayGuardPerSeed = `ALTER TABLE users ADD COLUMN last_seed_id TEXT;
	UPDATE users SET last_seed_id = (SELECT seed_id FROM seeds WHERE seeds.user_id = users.id AND kind = 'active')
		WHERE last_step IS NOT NULL;`

// UnkeyedUser is a users row without a login key: written before login keys existed
// (or by an older otpair sharing the database), or one whose key another user holds.
type UnkeyedUser struct{ ID, LoginID string }

// BackfillLoginKeys gives every unkeyed user its verifier.LoginKey, oldest first: list
// returns the rows whose login_key is NULL ordered by created_at, then id, and
// setKey sets one row's key unless it already has one or another row holds the key,
// reporting whether it did (a unique violation from a concurrent writer counts as
// "held"). Rows whose key is held stay unkeyed, found by their exact spelling only;
// their ids are returned. Several processes may run it at once: each row gets its key
// once, and the oldest row of a group that shares a key is the one that gets it.
func BackfillLoginKeys(list func() ([]UnkeyedUser, error), setKey func(id, key string) (bool, error)) (held []string, err error) {
	rows, err := list()
	if err != nil {
		return nil, fmt.Errorf("fill login keys: %w", err)
	}
	for _, r := range rows {
		ok, err := setKey(r.ID, verifier.LoginKey(r.LoginID))
		if err != nil {
			return nil, fmt.Errorf("fill login keys: %w", err)
		}
		if !ok {
			held = append(held, r.ID)
		}
	}
	return held, nil
}
