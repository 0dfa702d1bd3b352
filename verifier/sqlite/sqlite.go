// Package sqlite is the verifier's embedded database: DB implements verifier.Store on
// one SQLite file (or in memory) through the pure-Go modernc.org/sqlite driver, with a
// write batch that gives the writes of concurrent sign-ins one commit. Every store
// interface of the verifier is implemented on DB, over one schema whose migrations
// are append only.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	modernc "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/internal/storesql"
)

// MemoryDB is the database path that keeps everything in memory, for demos and tests:
// nothing is written to disk and everything is gone when the DB is closed.
const MemoryDB = ":memory:"

// DB is the embedded verifier.Store: one SQLite file (WAL, busy timeout in the DSN so
// every pooled connection waits for the writer instead of failing), through the pure-Go
// modernc.org/sqlite driver.
//
// Writes go through a pool of one connection and reads through a pool of several. SQLite
// allows one writer at a time anyway; queueing writers in database/sql's pool (a FIFO)
// instead of letting them collide in SQLite keeps them off SQLite's busy handler,
// which sleeps and retries, and which on a busy machine turned a 0.3 ms write into
// waits of 100 ms. Other processes on the same file still meet the busy timeout.
type DB struct {
	db  *sql.DB // writes: one connection
	rdb *sql.DB // reads; the same pool as db in memory mode
	// Statements of the sign-in path, prepared once: parsing SQL cost more than running it.
	userByLogin, userByID, signIn, seeds, revoked *sql.Stmt
	// writes batches the attempt charges and replay guards of concurrent sign-ins
	// into shared transactions (group commit).
	writes *writeBatcher
}

var (
	_ verifier.Store        = (*DB)(nil)
	_ verifier.SignInLoader = (*DB)(nil)
)

// Open opens (creating it 0600 if needed) the database at path and brings its
// schema up to date. path MemoryDB opens a private in-memory database.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("open sqlite: %w: empty database path", verifier.ErrInvalidArgument)
	}
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(5000)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Set("_txlock", "immediate")
	s := &DB{}
	if path == MemoryDB {
		// Every connection to ":memory:" would get a database of its own, so one
		// connection does everything (shared cache would instead bring table-level
		// SQLITE_LOCKED errors that busy_timeout does not wait out).
		db, err := sql.Open("sqlite", ":memory:?"+params.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		s.db, s.rdb = db, db
	} else {
		if strings.ContainsAny(path, "?#") {
			return nil, fmt.Errorf("open sqlite %s: %w: the path must not contain ? or #", path, verifier.ErrInvalidArgument)
		}
		if err := createPrivate(path); err != nil {
			return nil, err
		}
		params.Add("_pragma", "journal_mode(WAL)")
		params.Add("_pragma", "synchronous(NORMAL)")
		db, err := sql.Open("sqlite", "file:"+path+"?"+params.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		params.Add("_pragma", "query_only(1)")
		rdb, err := sql.Open("sqlite", "file:"+path+"?"+params.Encode())
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		rdb.SetMaxOpenConns(8)
		rdb.SetMaxIdleConns(8)
		s.db, s.rdb = db, rdb
	}
	if err := s.migrateRetryingBusy(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := s.fillLoginKeys(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s.writes = newWriteBatcher(s.db)
	return s, nil
}

func (s *DB) prepare(ctx context.Context) error {
	for _, p := range []struct {
		db   *sql.DB
		stmt **sql.Stmt
		sql  string
	}{
		{s.rdb, &s.userByLogin, `SELECT ` + storesql.UserColumns + ` FROM users WHERE users.id = ` + userIDByLogin},
		{s.rdb, &s.userByID, `SELECT ` + storesql.UserColumns + ` FROM users WHERE id = ?`},
		{s.rdb, &s.signIn, signInSQL},
		{s.rdb, &s.seeds, seedsSQL},
		{s.rdb, &s.revoked, `SELECT 1 FROM revoked_tokens WHERE jti = ?`},
	} {
		st, err := p.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.stmt = st
	}
	return nil
}

// createPrivate creates the database file readable by its owner only, before SQLite
// opens it (SQLite gives its -wal and -shm files the same mode).
func createPrivate(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("open sqlite %s: folder: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return f.Close()
}

// sqliteMigrations are the schema versions in order; schema_version holds how many
// have run. Append only: a released migration never changes. The SQL stays close to
// what PostgreSQL accepts (BIGINT times in unix milliseconds, no SQLite-only types
// except BLOB).
var sqliteMigrations = []string{
	// 1: the whole first schema.
	`CREATE TABLE meta (
		name  TEXT PRIMARY KEY,
		value BLOB NOT NULL
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
		ciphertext  BLOB NOT NULL,
		nonce       BLOB NOT NULL,
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
	// 2: "log out everywhere": refresh tokens issued before this instant (unix ms) are
	// revoked.
	`ALTER TABLE users ADD COLUMN tokens_not_before BIGINT NOT NULL DEFAULT 0;`,
	// 3: the flow engine's executions (execstore.Store): the step they wait on, whether
	// a call claimed it, the engine's sealed state, and when they expire.
	`CREATE TABLE flow_executions (
		id          TEXT PRIMARY KEY,
		seq         BIGINT NOT NULL,
		claimed     INTEGER NOT NULL DEFAULT 0,
		state       BLOB NOT NULL,
		expires_at  BIGINT NOT NULL,
		updated_at  BIGINT NOT NULL
	);
	CREATE INDEX flow_executions_expires ON flow_executions (expires_at);`,
	// 4: login ids are matched by verifier.LoginKey, computed in Go (fillLoginKeys
	// gives existing rows theirs), and the purge of abandoned enrolments finds its
	// rows by index. Neither index holds a column the sign-in path writes.
	storesql.MigrationLoginKeysAndPurge,
	// 5: the replay guard per seed (last_seed_id).
	storesql.MigrationReplayGuardPerSeed,
}

// migrateRetryingBusy runs migrate, trying again for a few seconds while another
// process opening the same new file holds it: switching a fresh file to WAL takes an
// exclusive lock, and SQLite answers SQLITE_BUSY to the other opener at once, without
// its busy handler (seen when two otpair processes start together on one file).
func (s *DB) migrateRetryingBusy(ctx context.Context) error {
	const limit = 5 * time.Second
	wait := 5 * time.Millisecond
	for waited := time.Duration(0); ; waited += wait {
		err := s.migrate(ctx)
		if err == nil || !isBusy(err) || waited >= limit {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended form).
func isBusy(err error) bool {
	var e *modernc.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

func (s *DB) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	case err != nil:
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if version > len(sqliteMigrations) {
		return fmt.Errorf("migrate: database schema version %d is newer than this otpair knows (%d)", version, len(sqliteMigrations))
	}
	for i := version; i < len(sqliteMigrations); i++ {
		if _, err := tx.ExecContext(ctx, sqliteMigrations[i]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(sqliteMigrations)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion is the number of migrations the database has run.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.rdb.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// Close implements verifier.Store.
func (s *DB) Close() error {
	if s.writes != nil {
		s.writes.close()
	}
	if s.rdb != s.db {
		s.rdb.Close()
	}
	return s.db.Close()
}

// Meta implements verifier.Store.
func (s *DB) Meta(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("meta %q: %w", name, verifier.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("meta %q: %w", name, err)
	}
	return v, nil
}

// InitMeta implements verifier.Store.
func (s *DB) InitMeta(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, fmt.Errorf("init meta %q: %w", name, err)
	}
	return s.Meta(ctx, name)
}

// SetMeta implements verifier.Store.
func (s *DB) SetMeta(ctx context.Context, name string, value []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("set meta %q: %w", name, err)
	}
	return nil
}

// CreateUser implements verifier.Store.
func (s *DB) CreateUser(ctx context.Context, u verifier.UserRecord) error {
	created := storesql.Millis(u.Created)
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (id, login_id, login_key, name, email, phone, active, created_at, last_step, step_drift, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.LoginID, verifier.LoginKey(u.LoginID), u.Name, u.Email, u.Phone, storesql.BoolInt(u.Active), created,
		storesql.NullStep(u.LastStep), u.StepDrift, created)
	if isConstraint(err) {
		return fmt.Errorf("create user: %w", verifier.ErrUserExists)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

const seedsSQL = `SELECT kind, seed_id, ciphertext, nonce, key_id, algorithm, digits, period, created_at
	FROM seeds WHERE user_id = ?`

// signInSQL reads a user and its seeds in one statement (one row per seed, or one row
// with NULL seed columns).
const signInSQL = `SELECT ` + storesql.UserColumns + `, seeds.kind, seeds.seed_id, seeds.ciphertext, seeds.nonce, seeds.key_id,
	seeds.algorithm, seeds.digits, seeds.period, seeds.created_at
	FROM users LEFT JOIN seeds ON seeds.user_id = users.id WHERE users.id = ` + userIDByLogin

// chargeSQL is the attempt charge: ?1 now, ?2 the limit, ?3 the end of a new lock, ?4
// the user id (all times in unix milliseconds). It changes the user's row when the
// attempt is allowed and nothing when the user is locked (or absent); chargedSQL, in
// the same transaction, then reads what it left. Two statements rather than one
// UPDATE … RETURNING, which builds and drops a temporary b-tree for its rows every time
// (a quarter of the statement's cost); in the write batch, which holds the write lock
// throughout, nothing comes between the two.
const chargeSQL = `UPDATE users SET
		failed_count = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN 1 ELSE failed_count + 1 END,
		locked_until = CASE
			WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN 1 ELSE failed_count + 1 END) >= ?2 THEN ?3
			WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN NULL
			ELSE locked_until END,
		updated_at = ?1
	WHERE id = ?4 AND (locked_until IS NULL OR locked_until <= ?1)`

// chargedSQL reads the attempt counter, the lock and the seed ids of user ?1.
const chargedSQL = `SELECT failed_count, locked_until,
		(SELECT seed_id FROM seeds WHERE seeds.user_id = ?1 AND kind = 'active'),
		(SELECT seed_id FROM seeds WHERE seeds.user_id = ?1 AND kind = 'pending')
	FROM users WHERE id = ?1`

// consumeSQL is the replay guard: ?1 the step, ?2 its drift, ?3 now, ?4 the user id, ?5
// the active seed's id. A step of another seed than the last accepted one is that
// seed's first (see verifier.Store.ConsumeStep).
const consumeSQL = `UPDATE users SET last_step = ?1, last_seed_id = ?5, step_drift = ?2, failed_count = 0, locked_until = NULL, updated_at = ?3
	WHERE id = ?4 AND (last_step IS NULL OR last_seed_id IS NOT ?5 OR last_step < ?1)
	AND EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = ?4 AND kind = 'active' AND seed_id = ?5)`

func scanUser(r storesql.Scanner, more ...any) (verifier.UserRecord, error) {
	var (
		u                     verifier.UserRecord
		active, hasA, hasP    int
		created, notBefore    int64
		lockedUntil, lastStep sql.NullInt64
		lastSeed              sql.NullString
	)
	dest := []any{&u.ID, &u.LoginID, &u.Name, &u.Email, &u.Phone, &active, &created, &u.FailedAttempts,
		&lockedUntil, &lastStep, &lastSeed, &u.StepDrift, &notBefore, &hasA, &hasP}
	if err := r.Scan(append(dest, more...)...); err != nil {
		return verifier.UserRecord{}, err
	}
	u.Active, u.HasActiveSeed, u.HasPendingSeed = active != 0, hasA != 0, hasP != 0
	u.Created, u.TokensNotBefore = storesql.FromMillis(created), storesql.FromMillis(notBefore)
	if lockedUntil.Valid {
		u.LockedUntil = storesql.FromMillis(lockedUntil.Int64)
	}
	u.LastStep, u.LastSeedID = -1, lastSeed.String
	if lastStep.Valid {
		u.LastStep = lastStep.Int64
	}
	return u, nil
}

func (s *DB) userWhere(ctx context.Context, stmt *sql.Stmt, args ...any) (verifier.UserRecord, error) {
	u, err := scanUser(stmt.QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return verifier.UserRecord{}, verifier.ErrUnknownUser
	}
	return u, err
}

// UserByLoginID implements verifier.Store.
func (s *DB) UserByLoginID(ctx context.Context, loginID string) (verifier.UserRecord, error) {
	u, err := s.userWhere(ctx, s.userByLogin, verifier.LoginKey(loginID), loginID)
	if err != nil {
		return verifier.UserRecord{}, fmt.Errorf("load user by login id: %w", err)
	}
	return u, nil
}

// UserByID implements verifier.Store.
func (s *DB) UserByID(ctx context.Context, id string) (verifier.UserRecord, error) {
	u, err := s.userWhere(ctx, s.userByID, id)
	if err != nil {
		return verifier.UserRecord{}, fmt.Errorf("load user by id: %w", err)
	}
	return u, nil
}

// UserWithSeeds implements verifier.SignInLoader: the user and its seeds in one read.
func (s *DB) UserWithSeeds(ctx context.Context, loginID string) (u verifier.UserRecord, active, pending *verifier.SealedSeed, err error) {
	rows, err := s.signIn.QueryContext(ctx, verifier.LoginKey(loginID), loginID)
	if err != nil {
		return verifier.UserRecord{}, nil, nil, fmt.Errorf("load user with seeds: %w", err)
	}
	defer rows.Close()
	u, active, pending, err = storesql.ScanUserWithSeeds(rows, scanUser)
	if err != nil {
		return verifier.UserRecord{}, nil, nil, fmt.Errorf("load user with seeds: %w", err)
	}
	return u, active, pending, nil
}

// ListUsers implements verifier.Store.
func (s *DB) ListUsers(ctx context.Context) ([]verifier.UserRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+storesql.UserColumns+` FROM users ORDER BY login_id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users, err := storesql.ScanUsers(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// DeleteUser implements verifier.Store.
func (s *DB) DeleteUser(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return oneRow(res, "delete user")
}

// PutPendingSeed implements verifier.Store: the seed and the user's updated_at in one
// transaction.
func (s *DB) PutPendingSeed(ctx context.Context, userID string, seed verifier.SealedSeed) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put pending seed: %w", err)
	}
	defer tx.Rollback()
	created := storesql.Millis(seed.Created)
	_, err = tx.ExecContext(ctx, `INSERT INTO seeds (user_id, kind, seed_id, ciphertext, nonce, key_id, algorithm, digits, period, created_at)
		VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, kind) DO UPDATE SET seed_id = excluded.seed_id, ciphertext = excluded.ciphertext,
			nonce = excluded.nonce, key_id = excluded.key_id, algorithm = excluded.algorithm,
			digits = excluded.digits, period = excluded.period, created_at = excluded.created_at`,
		userID, seed.ID, seed.Ciphertext, seed.Nonce, seed.KeyID, seed.Algorithm, seed.Digits, seed.Period, created)
	if isConstraint(err) {
		// The foreign key: no such user (the CHECKs guard values the backend controls).
		// The read waits for the connection the transaction holds in memory mode.
		tx.Rollback()
		if _, uerr := s.UserByID(ctx, userID); errors.Is(uerr, verifier.ErrUnknownUser) {
			return fmt.Errorf("put pending seed: %w", verifier.ErrUnknownUser)
		}
	}
	if err != nil {
		return fmt.Errorf("put pending seed: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = MAX(updated_at, ?) WHERE id = ?`, created, userID); err != nil {
		return fmt.Errorf("put pending seed: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put pending seed: %w", err)
	}
	return nil
}

// Seeds implements verifier.Store.
func (s *DB) Seeds(ctx context.Context, userID string) (active, pending *verifier.SealedSeed, err error) {
	rows, err := s.seeds.QueryContext(ctx, userID)
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
	res, err := s.db.ExecContext(ctx, `DELETE FROM seeds WHERE user_id = ?`, userID)
	if err != nil {
		return fmt.Errorf("delete seeds: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.UserByID(ctx, userID); err != nil {
			return fmt.Errorf("delete seeds: %w", err)
		}
	}
	return nil
}

// ChargeAttempt implements verifier.Store. The single UPDATE is the whole decision:
// SQLite runs one writer at a time and PostgreSQL re-checks the WHERE clause on the
// locked row, so no two attempts read the same count. It runs in the write batch of
// concurrent sign-ins (writeBatcher), one statement after another.
func (s *DB) ChargeAttempt(ctx context.Context, userID string, now time.Time, max int, lock time.Duration) (verifier.Attempt, error) {
	n := storesql.Millis(now)
	var a verifier.Attempt
	err := s.writes.do(ctx, func(ctx context.Context, c *batchConn) error {
		a = verifier.Attempt{}
		changed, err := c.exec(ctx, chargeSQL, n, int64(max), n+lock.Milliseconds(), userID)
		if err != nil || changed == 0 {
			return err
		}
		var row [4]driver.Value
		found, err := c.queryRow(ctx, chargedSQL, row[:], userID)
		if err != nil || !found {
			return err
		}
		a = verifier.Attempt{Allowed: true, Count: int(driverInt64(row[0])), LockedUntil: storesql.FromMillis(driverInt64(row[1])),
			ActiveSeedID: driverString(row[2]), PendingSeedID: driverString(row[3])}
		return nil
	})
	if err != nil {
		return verifier.Attempt{}, fmt.Errorf("charge attempt: %w", err)
	}
	if a.Allowed {
		return a, nil
	}
	// No row: locked, or no such user.
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return verifier.Attempt{}, fmt.Errorf("charge attempt: %w", err)
	}
	return verifier.Attempt{Allowed: false, Count: u.FailedAttempts, LockedUntil: u.LockedUntil}, nil
}

// ConsumeStep implements verifier.Store: the replay guard is this one UPDATE, accepted
// when it changed a row. It runs in the write batch of concurrent sign-ins
// (writeBatcher).
func (s *DB) ConsumeStep(ctx context.Context, userID, seedID string, step uint64, drift int, now time.Time) (bool, error) {
	var won bool
	err := s.writes.do(ctx, func(ctx context.Context, c *batchConn) error {
		n, err := c.exec(ctx, consumeSQL, int64(step), int64(drift), storesql.Millis(now), userID, seedID)
		won = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("consume step: %w", err)
	}
	return won, nil
}

// PromotePending implements verifier.Store. The transaction begins IMMEDIATE (the DSN's
// _txlock), so it holds the write lock from its first statement.
func (s *DB) PromotePending(ctx context.Context, userID, seedID string, step uint64, drift int, now time.Time) (promoted, firstSeen bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, false, fmt.Errorf("promote pending seed: %w", err)
	}
	defer tx.Rollback()
	var active int
	err = tx.QueryRowContext(ctx, `SELECT active FROM users WHERE id = ?`, userID).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil // deleted meanwhile: nothing to promote
	}
	if err != nil {
		return false, false, fmt.Errorf("promote pending seed: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET last_step = ?1, last_seed_id = ?5, step_drift = ?2, failed_count = 0, locked_until = NULL, active = 1, updated_at = ?3
		WHERE id = ?4 AND (last_step IS NULL OR last_seed_id IS NOT ?5 OR last_step < ?1)
		AND EXISTS (SELECT 1 FROM seeds WHERE seeds.user_id = ?4 AND kind = 'pending' AND seed_id = ?5)`,
		int64(step), drift, storesql.Millis(now), userID, seedID)
	if err != nil {
		return false, false, fmt.Errorf("promote pending seed: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM seeds WHERE user_id = ? AND kind = 'active'`, userID); err != nil {
		return false, false, fmt.Errorf("promote pending seed: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE seeds SET kind = 'active' WHERE user_id = ? AND kind = 'pending'`, userID); err != nil {
		return false, false, fmt.Errorf("promote pending seed: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, false, fmt.Errorf("promote pending seed: %w", err)
	}
	return true, active == 0, nil
}

// RevokeToken implements verifier.Store.
func (s *DB) RevokeToken(ctx context.Context, jti string, expires, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING`, jti, storesql.Millis(expires)); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE expires_at <= ?`, storesql.Millis(now)); err != nil {
		return fmt.Errorf("revoke token: purge expired: %w", err)
	}
	return nil
}

// RevokeUserTokens implements verifier.Store.
func (s *DB) RevokeUserTokens(ctx context.Context, userID string, before time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET tokens_not_before = MAX(tokens_not_before, ?) WHERE id = ?`,
		storesql.Millis(before), userID)
	if err != nil {
		return fmt.Errorf("revoke user tokens: %w", err)
	}
	return oneRow(res, "revoke user tokens")
}

// TokenRevoked implements verifier.Store.
func (s *DB) TokenRevoked(ctx context.Context, jti string) (bool, error) {
	var one int
	err := s.revoked.QueryRowContext(ctx, jti).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("token revoked: %w", err)
	}
	return true, nil
}

func oneRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, verifier.ErrUnknownUser)
	}
	return nil
}

func isConstraint(err error) bool {
	var e *modernc.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
