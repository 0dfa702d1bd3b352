// Package testclock is the settable clock tests share: one time that a server, its
// backend and the test's own goroutines all read while the test moves it, so TOTP steps,
// lockouts and token expiry are tested without waiting on the wall clock.
package testclock

import (
	"sync"
	"time"
)

// Clock is a time that only moves when the test moves it. It is safe for concurrent use;
// pass its Now method wherever a package takes a func() time.Time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock stopped at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d (backwards when d is negative).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
