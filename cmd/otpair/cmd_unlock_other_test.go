//go:build !linux

package main

import (
	"runtime"
	"strings"
	"testing"
)

// TestUnlockNotAvailable: where there is no kernel keyring, unlock and lock say so
// plainly, before asking for anything.
func TestUnlockNotAvailable(t *testing.T) {
	useMemKeyring(t)
	for _, cmd := range []string{"unlock", "lock"} {
		code, _, errOut := vrun(t, t.TempDir(), "", nil, cmd)
		want := "otpair " + cmd + " needs the Linux kernel keyring; not available on " + runtime.GOOS
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d\n%s\nwant %q", cmd, code, errOut, want)
		}
	}
}
