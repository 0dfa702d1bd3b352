// Package postgres is the verifier's shared database: DB implements verifier.Store on
// PostgreSQL through pgx, so that several otpair serve instances agree on codes,
// attempts, revoked tokens and signing keys. Its schema and statements follow
// verifier/sqlite's, and every store interface of the verifier is implemented on DB.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/internal/storesql"
)

// DB is the verifier.Store for several verifier instances sharing one PostgreSQL
// database, through a pgx connection pool. It keeps the SQLite schema and statements;
// where SQLite relies on running one writer at a time, it takes row locks in a fixed
// order (seed rows, then the user row) so that concurrent instances agree and never
// deadlock each other. The pool replaces connections lost when the server restarts:
// requests fail with a storage error while it is away and succeed again once it is back.
type DB struct {
	pool *pgxpool.Pool
}

var (
	_ verifier.Store        = (*DB)(nil)
	_ verifier.SignInLoader = (*DB)(nil)
)

// IsDSN reports whether dsn names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a SQLite file.
func IsDSN(dsn string) bool {
	lower := strings.ToLower(dsn)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// RedactDSN is dsn fit for logs and messages: a PostgreSQL URL without its password
// (and without any password option in its query); anything else (a SQLite path)
// unchanged.
func RedactDSN(dsn string) string {
	if !IsDSN(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable connection string)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	for name := range q {
		if strings.Contains(strings.ToLower(name), "password") || strings.HasPrefix(strings.ToLower(name), "sslkey") {
			q.Set(name, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// defaultPostgresConns is the pool size when the DSN sets no pool_max_conns: enough
// for a busy instance without crowding PostgreSQL's default 100 connections when a few
// instances share it.
const defaultPostgresConns = 16

// Open connects to the PostgreSQL database named by dsn (a postgres:// URL; pgx
// pool parameters such as pool_max_conns are honoured) and brings its schema up to
// date. Several instances may open the same database at once: the migrations run under
// an advisory lock, so each runs exactly once.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts passwords from its parse errors only on a best-effort basis, so
		// none of the connection string goes into ours.
		return nil, fmt.Errorf("open postgres: %w: cannot parse the connection string (want postgres://user[:password]@host[:port]/database[?options])", verifier.ErrInvalidArgument)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultPostgresConns
	}
	where := cfg.ConnConfig.Host + "/" + cfg.ConnConfig.Database
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", where, err)
	}
	s := &DB{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", where, err)
	}
	if err := s.fillLoginKeys(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", where, err)
	}
	return s, nil
}

// postgresMigrations are the schema versions in order, the same as sqliteMigrations
// with PostgreSQL's types (BYTEA for BLOB). Append only.
var postgresMigrations = []string{
	// 1: the whole first schema.
	`CREATE TABLE meta (
		name  TEXT PRIMARY KEY,
		value BYTEA NOT NULL
	);
	CREATE TABLE users (
		id            TEXT PRIMARY KEY,
		login_id      TEXT NOT NULL UNIQUE,
		name          TEXT NOT NULL DEFAULT '',
		email         TEXT NOT NULL DEFAULT '',
		phone         TEXT NOT NULL DEFAULT '',
		active        INTEGER NOT NULL DEFAULT 0,
		created_at    BIGINT NOT NULL,
		failed_count  INTEGER NOT NULL DEFAULT 0,
		locked_until  BIGINT,
		last_step     BIGINT,
		step_drift    INTEGER NOT NULL DEFAULT 0,
		updated_at    BIGINT NOT NULL
	);
	CREATE TABLE seeds (
		user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		kind        TEXT NOT NULL CHECK (kind IN ('active', 'pending')),
		seed_id     TEXT NOT NULL,
		ciphertext  BYTEA NOT NULL,
		nonce       BYTEA NOT NULL,
		key_id      TEXT NOT NULL,
		algorithm   TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
		digits      INTEGER NOT NULL CHECK (digits BETWEEN 6 AND 8),
		period      INTEGER NOT NULL CHECK (period > 0),
		created_at  BIGINT NOT NULL,
		PRIMARY KEY (user_id, kind)
	);
	CREATE TABLE revoked_tokens (
		jti         TEXT PRIMARY KEY,
		expires_at  BIGINT NOT NULL
	);
	CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);`,
	// 2: "log out everywhere", as in SQLite.
	`ALTER TABLE users ADD COLUMN tokens_not_before BIGINT NOT NULL DEFAULT 0;`,
	// 3: the flow engine's executions, as in SQLite.
	`CREATE TABLE flow_executions (
		id          TEXT PRIMARY KEY,
		seq         BIGINT NOT NULL,
		claimed     INTEGER NOT NULL DEFAULT 0,
		state       BYTEA NOT NULL,
		expires_at  BIGINT NOT NULL,
		updated_at  BIGINT NOT NULL
	);
	CREATE INDEX flow_executions_expires ON flow_executions (expires_at);`,
	// 4: login keys and the purge's indexes, as in SQLite.
	storesql.MigrationLoginKeysAndPurge,
	// 5: the replay guard per seed (last_seed_id).
	storesql.MigrationReplayGuardPerSeed,
}

// migrateLock is the advisory lock key that serialises migrations of one database
// ("otpairm" in ASCII, a number no other application is likely to pick).
const migrateLock int64 = 0x6f7470616972_6d

// migrate brings the schema up to date in one transaction that first takes a
// transaction-scoped advisory lock: an instance starting at the same time waits, then
// finds the schema current. The lock ends with the transaction, also when the
// connection is lost.
func (s *DB) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var version int
		err := tx.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&version)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
		case err != nil:
			return fmt.Errorf("migrate: read schema version: %w", err)
		}
		if version > len(postgresMigrations) {
			return fmt.Errorf("migrate: database schema version %d is newer than this otpair knows (%d)", version, len(postgresMigrations))
		}
		for i := version; i < len(postgresMigrations); i++ {
			if _, err := tx.Exec(ctx, postgresMigrations[i]); err != nil {
				return fmt.Errorf("migrate to version %d: %w", i+1, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE schema_version SET version = $1`, len(postgresMigrations)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	})
}

// SchemaVersion is the number of migrations the database has run.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// Close implements verifier.Store.
func (s *DB) Close() error {
	s.pool.Close()
	return nil
}

// Meta implements verifier.Store.
func (s *DB) Meta(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("meta %q: %w", name, verifier.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("meta %q: %w", name, err)
	}
	return v, nil
}

// InitMeta implements verifier.Store. The insert that loses a race does nothing and the
// read that follows returns the winner's value (read committed: a new snapshot per
// statement, and ON CONFLICT waits for the competing insert to commit).
func (s *DB) InitMeta(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, fmt.Errorf("init meta %q: %w", name, err)
	}
	return s.Meta(ctx, name)
}

// SetMeta implements verifier.Store.
func (s *DB) SetMeta(ctx context.Context, name string, value []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("set meta %q: %w", name, err)
	}
	return nil
}

// CreateUser implements verifier.Store.
func (s *DB) CreateUser(ctx context.Context, u verifier.UserRecord) error {
	created := storesql.Millis(u.Created)
	_, err := s.pool.Exec(ctx, `INSERT INTO users (id, login_id, login_key, name, email, phone, active, created_at, last_step, step_drift, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		u.ID, u.LoginID, verifier.LoginKey(u.LoginID), u.Name, u.Email, u.Phone, storesql.BoolInt(u.Active), created,
		storesql.NullStep(u.LastStep), u.StepDrift, created)
	if pgCode(err) == pgUniqueViolation {
		return fmt.Errorf("create user: %w", verifier.ErrUserExists)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

func (s *DB) userWhere(ctx context.Context, where string, args ...any) (verifier.UserRecord, error) {
	u, err := scanPgUser(s.pool.QueryRow(ctx, `SELECT `+storesql.UserColumns+` FROM users WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return verifier.UserRecord{}, verifier.ErrUnknownUser
	}
	return u, err
}

// scanPgUser reads the columns of storesql.UserColumns, then into more. pgx scans SQL
// NULL into pointers and booleans only as booleans, so it differs from scanUser in its
// destinations.
func scanPgUser(r storesql.Scanner, more ...any) (verifier.UserRecord, error) {
	var (
		u                     verifier.UserRecord
		active                int
		hasA, hasP            bool
		created, notBefore    int64
		lockedUntil, lastStep *int64
		lastSeed              *string
	)
	dest := []any{&u.ID, &u.LoginID, &u.Name, &u.Email, &u.Phone, &active, &created, &u.FailedAttempts,
		&lockedUntil, &lastStep, &lastSeed, &u.StepDrift, &notBefore, &hasA, &hasP}
	if err := r.Scan(append(dest, more...)...); err != nil {
		return verifier.UserRecord{}, err
	}
	u.Active, u.HasActiveSeed, u.HasPendingSeed = active != 0, hasA, hasP
	u.Created, u.TokensNotBefore = storesql.FromMillis(created), storesql.FromMillis(notBefore)
	if lockedUntil != nil {
		u.LockedUntil = storesql.FromMillis(*lockedUntil)
	}
	u.LastStep = -1
	if lastStep != nil {
		u.LastStep = *lastStep
	}
	if lastSeed != nil {
		u.LastSeedID = *lastSeed
	}
	return u, nil
}

// UserByLoginID implements verifier.Store.
func (s *DB) UserByLoginID(ctx context.Context, loginID string) (verifier.UserRecord, error) {
	u, err := s.userWhere(ctx, `users.id = `+userIDByLogin, verifier.LoginKey(loginID), loginID)
	if err != nil {
		return verifier.UserRecord{}, fmt.Errorf("load user by login id: %w", err)
	}
	return u, nil
}

// UserByID implements verifier.Store.
func (s *DB) UserByID(ctx context.Context, id string) (verifier.UserRecord, error) {
	u, err := s.userWhere(ctx, `id = $1`, id)
	if err != nil {
		return verifier.UserRecord{}, fmt.Errorf("load user by id: %w", err)
	}
	return u, nil
}

// UserWithSeeds implements verifier.SignInLoader: the user and its seeds in one
// statement (one row per seed, or one row with NULL seed columns), the same as SQLite's
// signInSQL with PostgreSQL's placeholders.
func (s *DB) UserWithSeeds(ctx context.Context, loginID string) (u verifier.UserRecord, active, pending *verifier.SealedSeed, err error) {
	rows, err := s.pool.Query(ctx, `SELECT `+storesql.UserColumns+`, seeds.kind, seeds.seed_id, seeds.ciphertext, seeds.nonce,
		seeds.key_id, seeds.algorithm, seeds.digits, seeds.period, seeds.created_at
		FROM users LEFT JOIN seeds ON seeds.user_id = users.id WHERE users.id = `+userIDByLogin, verifier.LoginKey(loginID), loginID)
	if err != nil {
		return verifier.UserRecord{}, nil, nil, fmt.Errorf("load user with seeds: %w", err)
	}
	defer rows.Close()
	u, active, pending, err = storesql.ScanUserWithSeeds(rows, scanPgUser)
	if err != nil {
		return verifier.UserRecord{}, nil, nil, fmt.Errorf("load user with seeds: %w", err)
	}
	return u, active, pending, nil
}

// ListUsers implements verifier.Store. Login ids sort by byte value (COLLATE "C"), as
// SQLite sorts them, whatever the database's collation.
func (s *DB) ListUsers(ctx context.Context) ([]verifier.UserRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+storesql.UserColumns+` FROM users ORDER BY login_id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users, err := storesql.ScanUsers(rows, scanPgUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// DeleteUser implements verifier.Store. It deletes the seed rows before the user row,
// the lock order every other statement here follows.
func (s *DB) DeleteUser(ctx context.Context, id string) error {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM seeds WHERE user_id = $1`, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("delete user: %w", verifier.ErrUnknownUser)
	}
	return nil
}

// PutPendingSeed implements verifier.Store: the seed, then the user's updated_at, in
// one transaction. The order (seed row, then user row) is the lock order of every
// statement here, and the user row's new version is what a concurrent PurgeExpired
// re-checks before it deletes the user.
func (s *DB) PutPendingSeed(ctx context.Context, userID string, seed verifier.SealedSeed) error {
	created := storesql.Millis(seed.Created)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO seeds (user_id, kind, seed_id, ciphertext, nonce, key_id, algorithm, digits, period, created_at)
			VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (user_id, kind) DO UPDATE SET seed_id = excluded.seed_id, ciphertext = excluded.ciphertext,
				nonce = excluded.nonce, key_id = excluded.key_id, algorithm = excluded.algorithm,
				digits = excluded.digits, period = excluded.period, created_at = excluded.created_at`,
			userID, seed.ID, seed.Ciphertext, seed.Nonce, seed.KeyID, seed.Algorithm, seed.Digits, seed.Period, created); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE users SET updated_at = GREATEST(updated_at, $1) WHERE id = $2`, created, userID)
		return err
	})
	if pgCode(err) == pgForeignKeyViolation {
		return fmt.Errorf("put pending seed: %w", verifier.ErrUnknownUser)
	}
	if err != nil {
		return fmt.Errorf("put pending seed: %w", err)
	}
	return nil
}

// Seeds implements verifier.Store.
func (s *DB) Seeds(ctx context.Context, userID string) (active, pending *verifier.SealedSeed, err error) {
	rows, err := s.pool.Query(ctx, `SELECT kind, seed_id, ciphertext, nonce, key_id, algorithm, digits, period, created_at
		FROM seeds WHERE user_id = $1`, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("load seeds: %w", err)
	}
	defer rows.Close()
	if active, pending, err = storesql.ReadSeeds(ctx, rows, s, userID); err != nil {
		return nil, nil, fmt.Errorf("load seeds: %w", err)
	}
	return active, pending, nil
}

// DeleteSeeds implements verifier.Store.
func (s *DB) DeleteSeeds(ctx context.Context, userID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM seeds WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("delete seeds: %w", err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.UserByID(ctx, userID); err != nil {
			return fmt.Errorf("delete seeds: %w", err)
		}
	}
	return nil
}

// ChargeAttempt implements verifier.Store. The single UPDATE is the whole decision:
// under read committed a concurrent attempt waits for the row lock, then re-checks the
// WHERE clause and recomputes the SET expressions on the row the winner left, so no two
// attempts read the same count.
func (s *DB) ChargeAttempt(ctx context.Context, userID string, now time.Time, max int, lock time.Duration) (verifier.Attempt, error) {
	n := storesql.Millis(now)
	var (
		a                 = verifier.Attempt{Allowed: true}
		lockedUntil       *int64
		activeID, pending *string
	)
	err := s.pool.QueryRow(ctx, `UPDATE users SET
			failed_count = CASE WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN 1 ELSE failed_count + 1 END,
			locked_until = CASE
				WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN 1 ELSE failed_count + 1 END) >= $2 THEN $3
				WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN NULL
				ELSE locked_until END,
			updated_at = $1
		WHERE id = $4 AND (locked_until IS NULL OR locked_until <= $1)
		RETURNING failed_count, locked_until,
			(SELECT seed_id FROM seeds WHERE seeds.user_id = $4 AND kind = 'active'),
			(SELECT seed_id FROM seeds WHERE seeds.user_id = $4 AND kind = 'pending')`,
		n, max, n+lock.Milliseconds(), userID).Scan(&a.Count, &lockedUntil, &activeID, &pending)
	if err == nil {
		if lockedUntil != nil {
			a.LockedUntil = storesql.FromMillis(*lockedUntil)
		}
		if activeID != nil {
			a.ActiveSeedID = *activeID
		}
		if pending != nil {
			a.PendingSeedID = *pending
		}
		return a, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return verifier.Attempt{}, fmt.Errorf("charge attempt: %w", err)
	}
	// No row: locked, or no such user.
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return verifier.Attempt{}, fmt.Errorf("charge attempt: %w", err)
	}
	return verifier.Attempt{Allowed: false, Count: u.FailedAttempts, LockedUntil: u.LockedUntil}, nil
}

// ConsumeStep implements verifier.Store: the replay guard is this one UPDATE, accepted
// when it changed a row. last_step < step is re-checked on the latest row version after
// any wait, so of concurrent calls with one step exactly one wins. The active seed row
// is read FOR SHARE before the user row is locked: a PromotePending in progress (which
// locks the seed rows FOR UPDATE first) makes this wait, and once it has replaced the
// active seed the old seed id no longer matches, so a code of the replaced seed cannot
// slip in beside the promotion.
func (s *DB) ConsumeStep(ctx context.Context, userID, seedID string, step uint64, drift int, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `WITH active AS MATERIALIZED (
			SELECT seed_id FROM seeds WHERE user_id = $4 AND kind = 'active' FOR SHARE
		)
		UPDATE users SET last_step = $1, last_seed_id = $5, step_drift = $2, failed_count = 0, locked_until = NULL, updated_at = $3
		WHERE id = $4 AND (last_step IS NULL OR last_seed_id IS DISTINCT FROM $5 OR last_step < $1)
		AND EXISTS (SELECT 1 FROM active WHERE seed_id = $5)`,
		int64(step), drift, storesql.Millis(now), userID, seedID)
	if err != nil {
		return false, fmt.Errorf("consume step: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// PromotePending implements verifier.Store in one transaction that locks the user's
// seed rows, then the user row, before deciding; each later statement (read committed)
// sees what competing transactions committed while this one waited, so of concurrent
// promotions one wins and the others find no pending seed or a step already used.
func (s *DB) PromotePending(ctx context.Context, userID, seedID string, step uint64, drift int, now time.Time) (promoted, firstSeen bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM seeds WHERE user_id = $1 FOR UPDATE`, userID); err != nil {
			return err
		}
		var active int
		err := tx.QueryRow(ctx, `SELECT active FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID).Scan(&active)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // deleted meanwhile: nothing to promote
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET last_step = $1, last_seed_id = $5, step_drift = $2, failed_count = 0, locked_until = NULL, active = 1, updated_at = $3
			WHERE id = $4 AND (last_step IS NULL OR last_seed_id IS DISTINCT FROM $5 OR last_step < $1)
			AND EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = $4 AND kind = 'pending' AND seed_id = $5)`,
			int64(step), drift, storesql.Millis(now), userID, seedID)
		if err != nil || tag.RowsAffected() != 1 {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM seeds WHERE user_id = $1 AND kind = 'active'`, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE seeds SET kind = 'active' WHERE user_id = $1 AND kind = 'pending'`, userID); err != nil {
			return err
		}
		promoted, firstSeen = true, active == 0
		return nil
	})
	if err != nil {
		return false, false, fmt.Errorf("promote pending seed: %w", err)
	}
	return promoted, firstSeen, nil
}

// RevokeToken implements verifier.Store.
func (s *DB) RevokeToken(ctx context.Context, jti string, expires, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`, jti, storesql.Millis(expires)); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM revoked_tokens WHERE expires_at <= $1`, storesql.Millis(now)); err != nil {
		return fmt.Errorf("revoke token: purge expired: %w", err)
	}
	return nil
}

// RevokeUserTokens implements verifier.Store.
func (s *DB) RevokeUserTokens(ctx context.Context, userID string, before time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET tokens_not_before = GREATEST(tokens_not_before, $1) WHERE id = $2`,
		storesql.Millis(before), userID)
	if err != nil {
		return fmt.Errorf("revoke user tokens: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke user tokens: %w", verifier.ErrUnknownUser)
	}
	return nil
}

// TokenRevoked implements verifier.Store.
func (s *DB) TokenRevoked(ctx context.Context, jti string) (bool, error) {
	var revoked bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)`, jti).Scan(&revoked)
	if err != nil {
		return false, fmt.Errorf("token revoked: %w", err)
	}
	return revoked, nil
}

// SQLSTATE codes the store branches on.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
