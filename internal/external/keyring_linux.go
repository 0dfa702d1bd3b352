//go:build linux

package external

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strings"
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

// SessionKeys is the kernel's own account of the keys linked in the calling thread's
// session keyring: their lines in /proc/keys, split into fields (id in 8 hex digits,
// flags, usage, timeout such as "15m" or "expd", perm in hex, uid, gid, type,
// description). Keys of other sessions, which the thread may also see, are left out.
func SessionKeys(t testing.TB) [][]string {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, unix.KEY_SPEC_SESSION_KEYRING, buf, 0)
	if err != nil {
		t.Fatalf("read the session keyring: %v", err)
	}
	linked := map[string]bool{}
	for i := 0; i+4 <= min(n, len(buf)); i += 4 {
		linked[fmt.Sprintf("%08x", binary.NativeEndian.Uint32(buf[i:]))] = true
	}
	data, err := os.ReadFile("/proc/keys")
	if err != nil {
		Missing(t, "/proc/keys", err.Error())
	}
	var keys [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) > 8 && linked[fields[0]] {
			keys = append(keys, fields)
		}
	}
	return keys
}
