package hostile

import (
	"context"
	"sync/atomic"
)

// CancelAfter is a context that reports itself cancelled (context.Canceled) from its
// n-th Err call on, and counts the calls. It stands for a Ctrl-C or SIGTERM arriving at
// a point fixed by the count rather than by timing, so a test can show that code checks
// its context inside long work, and stops at any of those checks. Done is never closed:
// it suits code that polls Err.
type CancelAfter struct {
	context.Context
	n     int64
	calls atomic.Int64
}

// NewCancelAfter is a CancelAfter that reports cancelled from its n-th Err call.
func NewCancelAfter(n int64) *CancelAfter {
	return &CancelAfter{Context: context.Background(), n: n}
}

// Err is context.Canceled from the n-th call on, nil before.
func (c *CancelAfter) Err() error {
	if c.calls.Add(1) >= c.n {
		return context.Canceled
	}
	return nil
}

// Calls is how many times Err was called.
func (c *CancelAfter) Calls() int64 { return c.calls.Load() }
