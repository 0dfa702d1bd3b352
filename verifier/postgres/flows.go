package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otpair/otpair/verifier/flow/execstore"
	"github.com/otpair/otpair/verifier/internal/storesql"
)

// DB keeps the flow engine's executions too (migration 3), beside verifier.Store, so
// that any instance continues any execution.
var _ execstore.Store = (*DB)(nil)

// CreateExecution implements execstore.Store.
func (s *DB) CreateExecution(ctx context.Context, id string, state []byte, expires, now time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO flow_executions (id, seq, claimed, state, expires_at, updated_at) VALUES ($1, 1, 0, $2, $3, $4)`,
		id, state, storesql.Millis(expires), storesql.Millis(now))
	if err != nil {
		return fmt.Errorf("create flow execution: %w", err)
	}
	return nil
}

// ClaimExecution implements execstore.Store: one conditional UPDATE that returns the
// state. PostgreSQL re-checks the WHERE clause on the row it locked, so of concurrent
// claims of one step (on any instance) exactly one returns a row.
func (s *DB) ClaimExecution(ctx context.Context, id string, seq int64, now time.Time) ([]byte, error) {
	var state []byte
	err := s.pool.QueryRow(ctx, `UPDATE flow_executions SET claimed = 1, updated_at = $3
		WHERE id = $1 AND seq = $2 AND claimed = 0 AND expires_at > $3 RETURNING state`, id, seq, storesql.Millis(now)).Scan(&state)
	if err == nil {
		return state, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("claim flow execution: %w", err)
	}
	var exp int64
	err = s.pool.QueryRow(ctx, `SELECT expires_at FROM flow_executions WHERE id = $1`, id).Scan(&exp)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, execstore.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("claim flow execution: %w", err)
	}
	return nil, execstore.Why(true, storesql.FromMillis(exp), now)
}

// SaveExecution implements execstore.Store.
func (s *DB) SaveExecution(ctx context.Context, id string, seq int64, state []byte, expires, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE flow_executions SET seq = seq + 1, claimed = 0, state = $3, expires_at = $4, updated_at = $5
		WHERE id = $1 AND seq = $2 AND claimed = 1`, id, seq, state, storesql.Millis(expires), storesql.Millis(now))
	if err != nil {
		return fmt.Errorf("save flow execution: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return execstore.ErrStepTaken
	}
	return nil
}

// PurgeExecutions implements execstore.Store.
func (s *DB) PurgeExecutions(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM flow_executions WHERE expires_at <= $1`, storesql.Millis(now))
	if err != nil {
		return 0, fmt.Errorf("purge flow executions: %w", err)
	}
	return tag.RowsAffected(), nil
}
