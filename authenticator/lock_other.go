//go:build !unix

package authenticator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lockFile on systems without flock (Windows) holds the lock by creating path with
// O_EXCL and removing it on unlock. Unlike flock it survives a crash: a lock file left
// behind by a killed otpair must be deleted by hand, and the error says so.
// TODO: LockFileEx through golang.org/x/sys/windows would die with the process.
func lockFile(ctx context.Context, path string, waiting func()) (unlock func(), err error) {
	wait := time.Millisecond
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
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
			return nil, lockGaveUp(ctx, path)
		case <-deadline.C:
			t.Stop()
			return nil, fmt.Errorf("the vault lock %s has been held for 30s: if no otpair is running, delete it", path)
		case <-t.C:
		}
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}
