//go:build linux

package identitycache

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/otpair/otpair/internal/external"
)

// procKey is the kernel's own line for key id in /proc/keys (see
// external.SessionKeys for the fields).
func procKey(t *testing.T, id int) []string {
	t.Helper()
	want := fmt.Sprintf("%08x", id)
	for _, k := range external.SessionKeys(t) {
		if k[0] == want {
			return k
		}
	}
	t.Fatalf("key %s is not in the session keyring's lines of /proc/keys", want)
	return nil
}

func TestKernelPutGetForget(t *testing.T) {
	external.SessionKeyring(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	k := Kernel{Now: func() time.Time { return now }}
	name := "otpair-test:put-get"
	if _, _, err := k.Get(name); !errors.Is(err, ErrNotCached) {
		t.Fatalf("Get before Put: %v, want ErrNotCached", err)
	}
	secret := []byte("AGE-SECRET-KEY-1TEST")
	expires, err := k.Put(name, secret, 15*time.Minute)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if want := now.Add(15 * time.Minute); !expires.Equal(want) {
		t.Errorf("Put says it expires at %v, want %v", expires, want)
	}
	got, gotExp, err := k.Get(name)
	if err != nil || !bytes.Equal(got, secret) || !gotExp.Equal(expires) {
		t.Fatalf("Get = %q, %v, %v; want the secret, %v", got, gotExp, err, expires)
	}

	// The kernel's own view: a user key, linked in the session keyring only, readable
	// by its possessor alone, with a timeout of 15 minutes (14m once a second passes).
	id, err := search(name)
	if err != nil {
		t.Fatal(err)
	}
	line := procKey(t, id)
	if line[7] != "user" || line[4] != "3f000000" {
		t.Errorf("/proc/keys: type %s perm %s, want user 3f000000", line[7], line[4])
	}
	if line[3] != "15m" && line[3] != "14m" {
		t.Errorf("/proc/keys: timeout %q, want 15m", line[3])
	}
	desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil || !strings.HasSuffix(desc, ";"+name) {
		t.Errorf("describe = %q, %v", desc, err)
	}
	if pid, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_PROCESS_KEYRING, false); err == nil {
		if n, _ := unix.KeyctlBuffer(unix.KEYCTL_READ, pid, make([]byte, 64), 0); n != 0 {
			t.Errorf("the process keyring still holds %d bytes of links after Put", n)
		}
	}

	// A second Put replaces the entry and revokes the old key.
	if _, err := k.Put(name, []byte("AGE-SECRET-KEY-1OTHER"), time.Minute); err != nil {
		t.Fatal(err)
	}
	got, _, err = k.Get(name)
	if err != nil || string(got) != "AGE-SECRET-KEY-1OTHER" {
		t.Fatalf("Get after a second Put = %q, %v", got, err)
	}
	if _, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, make([]byte, 64), 0); err == nil {
		t.Errorf("the replaced key %d can still be read", id)
	}

	found, err := k.Forget(name)
	if err != nil || !found {
		t.Fatalf("Forget = %v, %v; want true, nil", found, err)
	}
	if _, _, err := k.Get(name); !errors.Is(err, ErrNotCached) {
		t.Errorf("Get after Forget: %v, want ErrNotCached", err)
	}
	if found, err := k.Forget(name); err != nil || found {
		t.Errorf("a second Forget = %v, %v; want false, nil", found, err)
	}
}

// TestKernelTimeout: the kernel itself forgets an entry when its timeout passes. The
// test polls the kernel's state (no fixed sleep decides the outcome).
func TestKernelTimeout(t *testing.T) {
	external.SessionKeyring(t)
	var k Kernel
	name := "otpair-test:timeout"
	if _, err := k.Put(name, []byte("secret"), 1*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	id, err := search(name)
	if err != nil {
		t.Fatalf("the entry is gone at once: %v", err)
	}
	if line := procKey(t, id); line[3] != "1s" && line[3] != "0s" {
		t.Errorf("/proc/keys: timeout %q, want 1s (1 ms rounds up to a second)", line[3])
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, err := k.Get(name)
		if errors.Is(err, ErrNotCached) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the kernel still returns the entry 10 s after its 1 s timeout")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKernelOtherSession: a process in another session keyring does not find the entry.
func TestKernelOtherSession(t *testing.T) {
	external.SessionKeyring(t)
	var k Kernel
	name := "otpair-test:other-session"
	if _, err := k.Put(name, []byte("secret"), time.Minute); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		external.SessionKeyring(t)
		_, _, err := k.Get(name)
		done <- err
	}()
	if err := <-done; !errors.Is(err, ErrNotCached) {
		t.Errorf("Get in another session: %v, want ErrNotCached", err)
	}
	if _, _, err := k.Get(name); err != nil {
		t.Errorf("Get in the session that stored it: %v", err)
	}
}

func TestKernelRefusesBadTTL(t *testing.T) {
	external.SessionKeyring(t)
	for _, ttl := range []time.Duration{0, -time.Second, MaxTTL + time.Second} {
		if _, err := (Kernel{}).Put("otpair-test:bad-ttl", []byte("s"), ttl); err == nil {
			t.Errorf("Put with ttl %v: no error", ttl)
		}
	}
	if _, _, err := (Kernel{}).Get("otpair-test:bad-ttl"); !errors.Is(err, ErrNotCached) {
		t.Errorf("a refused Put stored something: %v", err)
	}
}
