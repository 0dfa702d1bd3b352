// Package execstore is where the flow engine keeps its executions: the Store interface
// that verifier/sqlite and verifier/postgres implement beside verifier.Store (on the
// same database, an appended migration), and MemoryStore for one process (the CLI and
// the TUI). It is its own small package so that the databases implement it without
// linking the engine. execstoretest checks an implementation.
package execstore

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Store keeps flow executions: an id, the step they wait on (a sequence number that
// grows by one with every advance), the engine's state (sealed by the engine: opaque
// here) and when they expire. An execution advances in two writes: Claim takes the
// step (one conditional UPDATE: of concurrent claims of one step exactly one
// succeeds), then Save writes the next step's state, or nothing when the execution
// finished (a claimed execution is never waiting again).
type Store interface {
	// CreateExecution adds an execution waiting on step 1.
	CreateExecution(ctx context.Context, id string, state []byte, expires, now time.Time) error
	// ClaimExecution takes step seq of execution id if it waits on it and has not
	// expired at now, and returns its state. Otherwise it takes nothing and returns
	// ErrNotFound (no such execution, or purged), ErrExpired, or ErrStepTaken (another
	// step is current, another call claimed this one, or the execution finished).
	ClaimExecution(ctx context.Context, id string, seq int64, now time.Time) ([]byte, error)
	// SaveExecution stores the state of the claimed step seq's successor and makes the
	// execution wait on seq+1 until expires. ErrStepTaken when id is not claimed at seq.
	SaveExecution(ctx context.Context, id string, seq int64, state []byte, expires, now time.Time) error
	// PurgeExecutions deletes every execution expired at now and says how many.
	PurgeExecutions(ctx context.Context, now time.Time) (int64, error)
}

// The errors of Store.ClaimExecution.
var (
	ErrNotFound  = errors.New("no such flow execution")
	ErrExpired   = errors.New("the flow execution expired")
	ErrStepTaken = errors.New("not the current step of the flow execution")
)

// Why tells a failed claim's error from the execution's row as it is now: none (found
// false), expired at now, or some other step (or status) current.
func Why(found bool, expires, now time.Time) error {
	switch {
	case !found:
		return ErrNotFound
	case !now.Before(expires):
		return ErrExpired
	default:
		return ErrStepTaken
	}
}

// MemoryStore is a Store in memory, for one process.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]*memExec
}

type memExec struct {
	seq     int64
	claimed bool
	state   []byte
	expires time.Time
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]*memExec{}} }

// CreateExecution implements Store.
func (s *MemoryStore) CreateExecution(_ context.Context, id string, state []byte, expires, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.m[id]; dup {
		return errors.New("create flow execution: duplicate id")
	}
	s.m[id] = &memExec{seq: 1, state: append([]byte(nil), state...), expires: expires}
	return nil
}

// ClaimExecution implements Store.
func (s *MemoryStore) ClaimExecution(_ context.Context, id string, seq int64, now time.Time) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok {
		return nil, ErrNotFound
	}
	if x.seq != seq || x.claimed || !now.Before(x.expires) {
		return nil, Why(true, x.expires, now)
	}
	x.claimed = true
	return append([]byte(nil), x.state...), nil
}

// SaveExecution implements Store.
func (s *MemoryStore) SaveExecution(_ context.Context, id string, seq int64, state []byte, expires, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok || x.seq != seq || !x.claimed {
		return ErrStepTaken
	}
	x.seq, x.claimed, x.state, x.expires = seq+1, false, append([]byte(nil), state...), expires
	return nil
}

// PurgeExecutions implements Store.
func (s *MemoryStore) PurgeExecutions(_ context.Context, now time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for id, x := range s.m {
		if !now.Before(x.expires) {
			delete(s.m, id)
			n++
		}
	}
	return n, nil
}
