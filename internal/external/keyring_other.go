//go:build !linux

package external

import (
	"runtime"
	"testing"
)

// SessionKeyring skips: only Linux has the kernel keyring.
func SessionKeyring(t testing.TB) int {
	t.Helper()
	t.Skipf("skipping: the kernel keyring is Linux's, not %s's", runtime.GOOS)
	return 0
}
