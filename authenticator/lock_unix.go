//go:build unix

package authenticator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive flock on path (created if missing), waiting until it is
// free or ctx ends (Ctrl-C, SIGTERM: the error then says what it gave up on, and
// why). waiting, if not nil, is called once when the wait begins, so a person can be
// told why nothing happens. The lock dies with the process, so a crash never leaves
// the vault locked. unlock releases it.
func lockFile(ctx context.Context, path string, waiting func()) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	// Poll with a non-blocking flock rather than block in the kernel, so a cancelled
	// context (Ctrl-C) is honoured while another otpair holds the lock.
	wait := time.Millisecond
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if waiting != nil {
			waiting()
			waiting = nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, lockGaveUp(ctx, path)
		case <-t.C:
		}
		if wait < 20*time.Millisecond {
			wait *= 2
		}
	}
	return func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
