package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otpair/otpair/verifier/internal/storesql"
)

// userIDByLogin is the id of the user a login id names, $1 its verifier.LoginKey and
// $2 the id itself: an unkeyed row spelled exactly so first, else the row holding the
// key (as in SQLite).
const userIDByLogin = `COALESCE(
		(SELECT id FROM users WHERE login_id = $2 AND login_key IS NULL),
		(SELECT id FROM users WHERE login_key = $1))`

// fillLoginKeys gives each row without a login key its key (storesql.BackfillLoginKeys),
// one autocommit statement per row: an instance starting beside this one, or an older
// otpair still writing, may insert at the same time, and a key it took first leaves
// the row unkeyed rather than failing the start.
func (s *DB) fillLoginKeys(ctx context.Context) error {
	_, err := storesql.BackfillLoginKeys(func() ([]storesql.UnkeyedUser, error) {
		rows, err := s.pool.Query(ctx, `SELECT id, login_id FROM users WHERE login_key IS NULL ORDER BY created_at, id`)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storesql.UnkeyedUser, error) {
			var u storesql.UnkeyedUser
			err := r.Scan(&u.ID, &u.LoginID)
			return u, err
		})
	}, func(id, key string) (bool, error) {
		tag, err := s.pool.Exec(ctx, `UPDATE users SET login_key = $1 WHERE id = $2 AND login_key IS NULL
			AND NOT EXISTS (SELECT 1 FROM users WHERE login_key = $1)`, key, id)
		if pgCode(err) == pgUniqueViolation {
			return false, nil
		}
		return tag.RowsAffected() == 1, err
	})
	return err
}

// purgeSeedsSQL deletes at most $2 pending seeds created at or before $1, oldest
// first. The rows are chosen FOR UPDATE SKIP LOCKED: a row another instance's purge,
// a re-sign-up or a confirmation holds is left to it, and a row changed since the
// statement began is re-checked on its new version when locked (a replaced seed is
// newer, a confirmed one is no longer pending); the DELETE's WHERE re-checks it again.
// The choice is a MATERIALIZED CTE, run once: as an IN (subquery) the planner may run
// it again per row, and LIMIT then bounds nothing.
const purgeSeedsSQL = `WITH doomed AS MATERIALIZED (
		SELECT user_id, kind FROM seeds WHERE kind = 'pending' AND created_at <= $1
		ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
	DELETE FROM seeds USING doomed
	WHERE seeds.user_id = doomed.user_id AND seeds.kind = doomed.kind
		AND seeds.kind = 'pending' AND seeds.created_at <= $1`

// purgeUsersSQL deletes at most $2 users that never confirmed a sign-up, have no seed,
// and were created and last changed at or before $1, chosen as above. A sign-up
// again or a confirmation changes the user row (PutPendingSeed sets updated_at,
// PromotePending sets active), so the re-check on the locked row keeps it. Users with
// no seed have nothing for the cascade to lock, so deleting the user row first keeps
// the seeds-then-users lock order.
const purgeUsersSQL = `WITH doomed AS MATERIALIZED (
		SELECT id FROM users WHERE active = 0 AND created_at <= $1 AND updated_at <= $1
			AND NOT EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = users.id)
		ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
	DELETE FROM users USING doomed
	WHERE users.id = doomed.id AND users.active = 0 AND users.updated_at <= $1
		AND NOT EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = users.id)`

// PurgeExpired implements verifier.Store: two DELETE statements, each atomic.
func (s *DB) PurgeExpired(ctx context.Context, cutoff time.Time, limit int) (seeds, users int, err error) {
	if limit <= 0 {
		return 0, 0, nil
	}
	c := storesql.Millis(cutoff)
	tag, err := s.pool.Exec(ctx, purgeSeedsSQL, c, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("purge expired seeds: %w", err)
	}
	seeds = int(tag.RowsAffected())
	if tag, err = s.pool.Exec(ctx, purgeUsersSQL, c, limit); err != nil {
		return seeds, 0, fmt.Errorf("purge unconfirmed users: %w", err)
	}
	return seeds, int(tag.RowsAffected()), nil
}
