//go:build !linux

package identitycache

import (
	"fmt"
	"runtime"
	"time"
)

// Kernel is the Linux kernel keyring; on this system every call is ErrUnsupported.
type Kernel struct {
	// Now is unused here; it keeps the type the same on every system.
	Now func() time.Time
}

var _ Cache = Kernel{}

func unsupported() error {
	return fmt.Errorf("%w on %s", ErrUnsupported, runtime.GOOS)
}

// Put implements Cache.
func (Kernel) Put(string, []byte, time.Duration) (time.Time, error) {
	return time.Time{}, unsupported()
}

// Get implements Cache.
func (Kernel) Get(string) ([]byte, time.Time, error) { return nil, time.Time{}, unsupported() }

// Expiry implements Cache.
func (Kernel) Expiry(string) (time.Time, error) { return time.Time{}, unsupported() }

// Forget implements Cache.
func (Kernel) Forget(string) (bool, error) { return false, unsupported() }

// Available is ErrUnsupported: only Linux has the kernel keyring.
func Available() error { return unsupported() }
