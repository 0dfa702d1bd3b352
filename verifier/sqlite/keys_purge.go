package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/otpair/otpair/verifier/internal/storesql"
)

// userIDByLogin is the id of the user a login id names, ?1 its verifier.LoginKey and
// ?2 the id itself: an unkeyed row (see fillLoginKeys) spelled exactly so first, else
// the row holding the key. Two index lookups, one statement.
const userIDByLogin = `COALESCE(
		(SELECT id FROM users WHERE login_id = ?2 AND login_key IS NULL),
		(SELECT id FROM users WHERE login_key = ?1))`

// fillLoginKeys gives each row without a login key its key (storesql.BackfillLoginKeys).
// Rows get keys when they are created, so this finds work only on the first start
// after migration 4, or after an older otpair wrote to the file.
func (s *DB) fillLoginKeys(ctx context.Context) error {
	_, err := storesql.BackfillLoginKeys(func() ([]storesql.UnkeyedUser, error) {
		rows, err := s.db.QueryContext(ctx, `SELECT id, login_id FROM users WHERE login_key IS NULL ORDER BY created_at, id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var us []storesql.UnkeyedUser
		for rows.Next() {
			var u storesql.UnkeyedUser
			if err := rows.Scan(&u.ID, &u.LoginID); err != nil {
				return nil, err
			}
			us = append(us, u)
		}
		return us, rows.Err()
	}, func(id, key string) (bool, error) {
		res, err := s.db.ExecContext(ctx, `UPDATE users SET login_key = ?1 WHERE id = ?2 AND login_key IS NULL
			AND NOT EXISTS (SELECT 1 FROM users WHERE login_key = ?1)`, key, id)
		if isConstraint(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		return n == 1, err
	})
	return err
}

// purgeSeedsSQL deletes at most ?2 pending seeds created at or before ?1, oldest
// first; the outer WHERE re-checks the expiry on the row it deletes.
const purgeSeedsSQL = `DELETE FROM seeds WHERE rowid IN (
		SELECT rowid FROM seeds WHERE kind = 'pending' AND created_at <= ?1 ORDER BY created_at LIMIT ?2)
	AND kind = 'pending' AND created_at <= ?1`

// purgeUsersSQL deletes at most ?2 users that never confirmed a sign-up, have no
// seed, and were created and last changed at or before ?1; the outer WHERE re-checks
// all of it on the row it deletes.
const purgeUsersSQL = `DELETE FROM users WHERE id IN (
		SELECT id FROM users WHERE active = 0 AND created_at <= ?1 AND updated_at <= ?1
			AND NOT EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = users.id)
		ORDER BY created_at LIMIT ?2)
	AND active = 0 AND updated_at <= ?1 AND NOT EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = users.id)`

// PurgeExpired implements verifier.Store: two DELETE statements, each atomic (SQLite
// runs one writer at a time, and each statement re-checks its condition on the rows
// it deletes).
func (s *DB) PurgeExpired(ctx context.Context, cutoff time.Time, limit int) (seeds, users int, err error) {
	if limit <= 0 {
		return 0, 0, nil
	}
	c := storesql.Millis(cutoff)
	count := func(res sql.Result, err error) (int, error) {
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	}
	if seeds, err = count(s.db.ExecContext(ctx, purgeSeedsSQL, c, limit)); err != nil {
		return 0, 0, fmt.Errorf("purge expired seeds: %w", err)
	}
	if users, err = count(s.db.ExecContext(ctx, purgeUsersSQL, c, limit)); err != nil {
		return seeds, 0, fmt.Errorf("purge unconfirmed users: %w", err)
	}
	return seeds, users, nil
}
