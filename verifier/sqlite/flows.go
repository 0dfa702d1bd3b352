package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/otpair/otpair/verifier/flow/execstore"
	"github.com/otpair/otpair/verifier/internal/storesql"
)

// DB keeps the flow engine's executions too (migration 3), beside verifier.Store.
var _ execstore.Store = (*DB)(nil)

// The statements of the flow executions: ?1 the id, then as named. Each runs in the
// write batch of concurrent calls (writeBatcher), so a claim costs one statement of a
// shared transaction.
const (
	createExecSQL = `INSERT INTO flow_executions (id, seq, claimed, state, expires_at, updated_at) VALUES (?1, 1, 0, ?2, ?3, ?4)`
	// claimExecSQL takes step ?2 at ?3: one conditional UPDATE, so of concurrent
	// claims of one step exactly one changes the row.
	claimExecSQL  = `UPDATE flow_executions SET claimed = 1, updated_at = ?3 WHERE id = ?1 AND seq = ?2 AND claimed = 0 AND expires_at > ?3`
	claimedSQL    = `SELECT state FROM flow_executions WHERE id = ?1`
	saveExecSQL   = `UPDATE flow_executions SET seq = seq + 1, claimed = 0, state = ?3, expires_at = ?4, updated_at = ?5 WHERE id = ?1 AND seq = ?2 AND claimed = 1`
	execExpirySQL = `SELECT expires_at FROM flow_executions WHERE id = ?`
)

// CreateExecution implements execstore.Store.
func (s *DB) CreateExecution(ctx context.Context, id string, state []byte, expires, now time.Time) error {
	err := s.writes.do(ctx, func(ctx context.Context, c *batchConn) error {
		_, err := c.exec(ctx, createExecSQL, id, state, storesql.Millis(expires), storesql.Millis(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("create flow execution: %w", err)
	}
	return nil
}

// ClaimExecution implements execstore.Store.
func (s *DB) ClaimExecution(ctx context.Context, id string, seq int64, now time.Time) ([]byte, error) {
	var state []byte
	var won bool
	err := s.writes.do(ctx, func(ctx context.Context, c *batchConn) error {
		state, won = nil, false
		n, err := c.exec(ctx, claimExecSQL, id, seq, storesql.Millis(now))
		if err != nil || n != 1 {
			return err
		}
		var row [1]driver.Value
		found, err := c.queryRow(ctx, claimedSQL, row[:], id)
		if err != nil || !found {
			return err
		}
		b, _ := row[0].([]byte)
		state, won = append([]byte(nil), b...), true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim flow execution: %w", err)
	}
	if won {
		return state, nil
	}
	var exp int64
	err = s.rdb.QueryRowContext(ctx, execExpirySQL, id).Scan(&exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, execstore.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("claim flow execution: %w", err)
	}
	return nil, execstore.Why(true, storesql.FromMillis(exp), now)
}

// SaveExecution implements execstore.Store.
func (s *DB) SaveExecution(ctx context.Context, id string, seq int64, state []byte, expires, now time.Time) error {
	var n int64
	err := s.writes.do(ctx, func(ctx context.Context, c *batchConn) error {
		var err error
		n, err = c.exec(ctx, saveExecSQL, id, seq, state, storesql.Millis(expires), storesql.Millis(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("save flow execution: %w", err)
	}
	if n != 1 {
		return execstore.ErrStepTaken
	}
	return nil
}

// PurgeExecutions implements execstore.Store.
func (s *DB) PurgeExecutions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM flow_executions WHERE expires_at <= ?`, storesql.Millis(now))
	if err != nil {
		return 0, fmt.Errorf("purge flow executions: %w", err)
	}
	return res.RowsAffected()
}
