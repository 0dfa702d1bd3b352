package flow_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/postgres/pgtest"
)

// TestTwoInstancesOnePostgres: two engines (two Locals, two pools) on one database, as
// two otpair serve instances behind a load balancer: an execution started on one goes
// on on the other, and 100 calls for one step spread over both advance it once.
func TestTwoInstancesOnePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	seedKey, stateKey := verifier.NewSeedKey(), verifier.NewSeedKey()
	clock := testclock.New(t0)
	var engines [2]*flow.Engine
	for i := range engines {
		db, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		l, err := verifier.NewLocal(context.Background(), db, verifier.LocalOptions{Clock: clock.Now, SeedKey: seedKey, ProjectID: "Pmulti", SigningAlg: verifier.ES256})
		if err != nil {
			t.Fatal(err)
		}
		if engines[i], err = flow.New(flow.Options{Backend: l, Store: db, StateKey: stateKey, Clock: clock.Now}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := engines[0], engines[1]
	ctx := context.Background()
	r, err := a.Start(ctx, flow.StartRequest{FlowID: "sign-up-or-in-totp", Input: map[string]any{"loginId": "multi@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	k := keyOf(t, r)
	done, err := b.Next(ctx, flow.NextRequest{ExecutionID: r.ExecutionID, StepID: r.StepID, InteractionID: "oneTimeCodeId", Input: map[string]any{"code": code(t, k, t0)}})
	if err != nil || done.Status != flow.StatusCompleted || !done.Session.FirstSeen {
		t.Fatalf("next on the other instance: %+v %v", done, err)
	}

	r2, err := b.Start(ctx, flow.StartRequest{FlowID: "sign-in-totp"})
	if err != nil {
		t.Fatal(err)
	}
	var won, stale atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := engines[i%2].Next(ctx, flow.NextRequest{ExecutionID: r2.ExecutionID, StepID: r2.StepID, InteractionID: "continue", Input: map[string]any{"loginId": "multi@example.com"}})
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, flow.ErrStaleStep):
				stale.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || stale.Load() != 99 {
		t.Fatalf("%d advanced, %d refused; want 1 and 99", won.Load(), stale.Load())
	}
}
