//go:build linux

package external

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// SessionKeyring moves the calling test onto an OS thread of its own that has joined
// a fresh anonymous session keyring, so that the test (and the processes it starts from
// this goroutine) can use the kernel keyring without touching the developer's own
// keys. The thread is never given back: it ends with the test's goroutine, and its
// keyring with it. Subtests and other goroutines run on other threads, outside it. It
// skips (fails in CI) when the kernel refuses keyctl, as a container's seccomp filter
// may. It returns the keyring's id.
func SessionKeyring(t testing.TB) int {
	t.Helper()
	runtime.LockOSThread()
	// A NULL name: an anonymous keyring no other process can join by name.
	id, _, errno := unix.RawSyscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0)
	if errno != 0 {
		Missing(t, "the Linux kernel keyring", "keyctl(KEYCTL_JOIN_SESSION_KEYRING) failed: "+errno.Error())
	}
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false); err != nil {
		Missing(t, "the Linux kernel keyring", "keyctl(KEYCTL_GET_KEYRING_ID) failed: "+err.Error())
	}
	return int(id)
}
