package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
)

// TestWriteBatcherIsolatesAFailedWrite: when one write of a batch fails, the
// transaction is rolled back and every write runs again alone, so the others still
// commit and only the failed one reports an error and leaves nothing behind.
func TestWriteBatcherIsolatesAFailedWrite(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "batch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names := []string{"a", "b", "fails", "c", "d"}
	batch := make([]*batchedWrite, len(names))
	for i, name := range names {
		batch[i] = &batchedWrite{done: make(chan error, 1), run: func(ctx context.Context, c *batchConn) error {
			if _, err := c.exec(ctx, `INSERT INTO meta (name, value) VALUES (?, x'01')`, name); err != nil {
				return err
			}
			if name == "fails" {
				return errors.New("this write fails after its statement")
			}
			return nil
		}}
	}
	// The loop is idle (nothing was sent to it), so running the batch here is what the
	// loop would do with these five writes.
	st.writes.runBatch(batch)
	for i, name := range names {
		werr := <-batch[i].done
		_, err := st.Meta(ctx, name)
		if name == "fails" {
			if werr == nil || !errors.Is(err, verifier.ErrNotFound) {
				t.Fatalf("failed write: outcome %v, stored: %v; want an error and nothing stored", werr, err)
			}
			continue
		}
		if werr != nil || err != nil {
			t.Fatalf("write %s beside a failed one: outcome %v, stored: %v", name, werr, err)
		}
	}
}

// TestWriteBatcherBatches: writes sent while a batch runs are committed together.
func TestWriteBatcherBatches(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "batch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := st.writes
	var wg sync.WaitGroup
	const n = 200
	for i := range n {
		wg.Go(func() {
			if err := b.do(ctx, func(ctx context.Context, c *batchConn) error {
				_, err := c.exec(ctx, `INSERT INTO meta (name, value) VALUES (?, x'01')`, strconv.Itoa(i))
				return err
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var stored int
	if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE value = x'01'`).Scan(&stored); err != nil || stored != n {
		t.Fatalf("%d concurrent writes stored %d (%v)", n, stored, err)
	}
	if commits := b.commits.Load(); commits >= n {
		t.Fatalf("%d concurrent writes took %d commits: nothing was batched", n, commits)
	}
}

// TestWriteBatcherClosed: a write after Close fails at once, naming why.
func TestWriteBatcherClosed(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "closed.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	_, err = st.ChargeAttempt(ctx, "U1", time.Now(), 5, time.Minute)
	if !errors.Is(err, errStoreClosed) {
		t.Fatalf("ChargeAttempt after Close = %v, want %v", err, errStoreClosed)
	}
}
