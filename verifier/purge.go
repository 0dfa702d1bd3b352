package verifier

import (
	"context"
	"fmt"
	"time"
)

// DefaultPurgeBatch is how many rows of each kind one purge pass deletes at most unless
// LocalOptions.PurgeBatch says otherwise: small enough that a pass holds its rows for
// milliseconds, large enough to keep up with the sign-up rate limit many times over.
const DefaultPurgeBatch = 500

// DefaultPurgeEvery is how often otpair serve purges abandoned enrolments.
const DefaultPurgeEvery = time.Minute

// PurgeGrace is how long past its expiry an abandoned enrolment waits for the purge,
// so that instances sharing a database whose clocks disagree by less never see a
// pending seed they still accept disappear.
const PurgeGrace = time.Minute

// maxPassesPerTick bounds the passes of one RunPurge tick: a backlog (after an outage,
// or a flood the rate limit let through) drains over several ticks rather than in one
// long burst of writes.
const maxPassesPerTick = 20

// Purged counts what a purge deleted.
type Purged struct {
	Seeds int // pending seeds that expired unconfirmed
	Users int // users whose sign-up was never confirmed
}

// PurgeExpired runs one bounded pass of Store.PurgeExpired: pending seeds that expired
// (PendingTTL) more than PurgeGrace ago, then the users left with nothing of a sign-up
// they never confirmed. A pending seed already ignores its codes once expired, so the
// purge changes no answer; it only keeps sign-ups that anyone with the public project
// id can start from filling the database.
func (l *Local) PurgeExpired(ctx context.Context) (Purged, error) {
	cutoff := l.now().Add(-l.opts.PendingTTL - PurgeGrace)
	seeds, users, err := l.st.PurgeExpired(ctx, cutoff, l.opts.PurgeBatch)
	if err != nil {
		return Purged{Seeds: seeds, Users: users}, fmt.Errorf("purge: %w", err)
	}
	return Purged{Seeds: seeds, Users: users}, nil
}

// RunPurge purges on every value from ticks until ctx ends or ticks closes (otpair
// serve passes a time.Ticker's channel; tests send the ticks themselves and move the
// clock the purge reads). Each tick runs passes until one deletes less than a full
// batch of either kind, at most maxPassesPerTick. report, when not nil, receives each
// tick's totals and its error, if any.
func (l *Local) RunPurge(ctx context.Context, ticks <-chan time.Time, report func(Purged, error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-ticks:
			if !ok {
				return
			}
		}
		var total Purged
		var err error
		for range maxPassesPerTick {
			var p Purged
			p, err = l.PurgeExpired(ctx)
			total.Seeds += p.Seeds
			total.Users += p.Users
			if err != nil || p.Seeds < l.opts.PurgeBatch && p.Users < l.opts.PurgeBatch {
				break
			}
		}
		if report != nil {
			report(total, err)
		}
	}
}
