// Package execstoretest is the conformance suite of execstore.Store: Run checks an
// implementation, the same for memory, SQLite and PostgreSQL, including the claim of
// one step by many concurrent callers.
package execstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier/flow/execstore"
)

// Run runs every test against stores from open, which returns a fresh, empty store
// for each subtest.
func Run(t *testing.T, open func(t *testing.T) execstore.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s execstore.Store)
	}{
		{"Lifecycle", testLifecycle},
		{"Expiry", testExpiry},
		{"Purge", testPurge},
		{"ConcurrentClaim", testConcurrentClaim},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func testLifecycle(t *testing.T, s execstore.Store) {
	ctx := context.Background()
	exp := t0.Add(time.Hour)
	if err := s.CreateExecution(ctx, "EX1", []byte("state-1"), exp, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimExecution(ctx, "EX1", 2, t0); !errors.Is(err, execstore.ErrStepTaken) {
		t.Fatalf("claim of a step not yet current = %v, want ErrStepTaken", err)
	}
	got, err := s.ClaimExecution(ctx, "EX1", 1, t0)
	if err != nil || string(got) != "state-1" {
		t.Fatalf("claim = %q, %v", got, err)
	}
	if _, err := s.ClaimExecution(ctx, "EX1", 1, t0); !errors.Is(err, execstore.ErrStepTaken) {
		t.Fatalf("second claim = %v, want ErrStepTaken", err)
	}
	if err := s.SaveExecution(ctx, "EX1", 2, []byte("x"), exp, t0); !errors.Is(err, execstore.ErrStepTaken) {
		t.Fatalf("save of an unclaimed step = %v, want ErrStepTaken", err)
	}
	if err := s.SaveExecution(ctx, "EX1", 1, []byte("state-2"), exp, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimExecution(ctx, "EX1", 1, t0); !errors.Is(err, execstore.ErrStepTaken) {
		t.Fatalf("claim of the old step = %v, want ErrStepTaken", err)
	}
	if got, err := s.ClaimExecution(ctx, "EX1", 2, t0); err != nil || string(got) != "state-2" {
		t.Fatalf("claim of step 2 = %q, %v", got, err)
	}
	// Finished: claimed and never saved, so no step is current any more.
	if _, err := s.ClaimExecution(ctx, "EX1", 3, t0); !errors.Is(err, execstore.ErrStepTaken) {
		t.Fatalf("claim after the end = %v, want ErrStepTaken", err)
	}
	if _, err := s.ClaimExecution(ctx, "EX-nope", 1, t0); !errors.Is(err, execstore.ErrNotFound) {
		t.Fatalf("claim of an unknown execution = %v, want ErrNotFound", err)
	}
	big := bytes.Repeat([]byte{0, 1, 2, 0xff}, 4096)
	if err := s.CreateExecution(ctx, "EX2", big, exp, t0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimExecution(ctx, "EX2", 1, t0); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("a binary state does not come back as stored: %v", err)
	}
}

func testExpiry(t *testing.T, s execstore.Store) {
	ctx := context.Background()
	exp := t0.Add(time.Minute)
	if err := s.CreateExecution(ctx, "EX1", []byte("s"), exp, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimExecution(ctx, "EX1", 1, exp); !errors.Is(err, execstore.ErrExpired) {
		t.Fatalf("claim at the expiry = %v, want ErrExpired", err)
	}
	if _, err := s.ClaimExecution(ctx, "EX1", 1, exp.Add(-time.Millisecond)); err != nil {
		t.Fatalf("claim just before the expiry: %v", err)
	}
	// Saving moves the expiry.
	if err := s.SaveExecution(ctx, "EX1", 1, []byte("s2"), exp.Add(time.Hour), exp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimExecution(ctx, "EX1", 2, exp.Add(time.Minute)); err != nil {
		t.Fatalf("claim within the new expiry: %v", err)
	}
}

func testPurge(t *testing.T, s execstore.Store) {
	ctx := context.Background()
	for i := range 5 {
		if err := s.CreateExecution(ctx, fmt.Sprintf("EX%d", i), []byte("s"), t0.Add(time.Duration(i)*time.Minute), t0); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PurgeExecutions(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 3 {
		t.Fatalf("purge = %d, %v; want 3 (expiries 0, 1 and 2 minutes)", n, err)
	}
	if _, err := s.ClaimExecution(ctx, "EX1", 1, t0); !errors.Is(err, execstore.ErrNotFound) {
		t.Fatalf("claim of a purged execution = %v, want ErrNotFound", err)
	}
	if _, err := s.ClaimExecution(ctx, "EX4", 1, t0); err != nil {
		t.Fatalf("claim of one not expired: %v", err)
	}
}

// testConcurrentClaim is the exactly-once advance: 100 claims of one step at once,
// one wins.
func testConcurrentClaim(t *testing.T, s execstore.Store) {
	ctx := context.Background()
	if err := s.CreateExecution(ctx, "EX1", []byte("s"), t0.Add(time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	const n = 100
	var won, taken atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.ClaimExecution(ctx, "EX1", 1, t0)
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, execstore.ErrStepTaken):
				taken.Add(1)
			default:
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if won.Load() != 1 || taken.Load() != n-1 {
		t.Fatalf("%d claims won and %d were refused, want 1 and %d", won.Load(), taken.Load(), n-1)
	}
}
