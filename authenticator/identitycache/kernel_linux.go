//go:build linux

package identitycache

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Kernel is the calling process's session keyring in the Linux kernel
// (KEY_SPEC_SESSION_KEYRING; for a process without one, the user's default session
// keyring): every process started from the same login or terminal shares it, and
// the kernel forgets an entry when its timeout passes, revokes it when asked, and
// never writes it to disk. Entries are "user" keys that only their
// possessors (processes holding the session keyring) may see or read; other processes
// of the same user outside the session cannot.
//
// Credentials, and with them the session keyring, belong to each OS thread on Linux:
// every call runs on one locked thread.
type Kernel struct {
	// Now is when Put counts the expiry from (nil: time.Now).
	Now func() time.Time
}

var _ Cache = Kernel{}

// keyPerm: the possessor may do everything (view, read, write, search, link,
// setattr); nobody else anything, not even the same user outside the session, who
// cannot so much as see that a vault is unlocked. (linux/keyctl.h's KEY_POS_ALL.)
const keyPerm = 0x3f000000

// Put implements Cache. The key is made in the process keyring, where it dies with
// the process, given its timeout and permissions, and only then linked into the
// session keyring (displacing an entry of the same name, which is then revoked): a
// crash half-way never leaves a key without a timeout in the session.
func (k Kernel) Put(name string, secret []byte, ttl time.Duration) (time.Time, error) {
	secs, err := seconds(ttl)
	if err != nil {
		return time.Time{}, err
	}
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	expires := now().Add(time.Duration(secs) * time.Second).Truncate(time.Second)
	payload := encodePayload(secret, expires)
	defer clear(payload)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ring, err := sessionKeyring()
	if err != nil {
		return time.Time{}, err
	}
	old, _ := search(name)
	id, err := unix.AddKey("user", name, payload, unix.KEY_SPEC_PROCESS_KEYRING)
	if err != nil {
		return time.Time{}, refused("add a key", err)
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"set the key's permissions", func() error { return unix.KeyctlSetperm(id, keyPerm) }},
		{"set the key's timeout", func() error {
			_, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, secs, 0, 0)
			return err
		}},
		{"link the key into the session keyring", func() error {
			_, err := unix.KeyctlInt(unix.KEYCTL_LINK, id, ring, 0, 0)
			return err
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			unix.KeyctlInt(unix.KEYCTL_REVOKE, id, 0, 0, 0)
			unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_PROCESS_KEYRING, 0, 0)
			return time.Time{}, refused(s.what, err)
		}
	}
	unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_PROCESS_KEYRING, 0, 0)
	if old > 0 && old != id {
		unix.KeyctlInt(unix.KEYCTL_REVOKE, old, 0, 0, 0)
	}
	return expires, nil
}

// Get implements Cache.
func (k Kernel) Get(name string) ([]byte, time.Time, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := search(name)
	if err != nil {
		return nil, time.Time{}, err
	}
	// A user key holds at most 32 KiB; ask for the size first, then read it whole.
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, nil, 0)
	if err != nil {
		return nil, time.Time{}, gone("read the key", err)
	}
	buf := make([]byte, n)
	defer clear(buf)
	m, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	if err != nil {
		return nil, time.Time{}, gone("read the key", err)
	}
	if m != n {
		return nil, time.Time{}, fmt.Errorf("%w: the key changed while it was read", ErrNotCached)
	}
	secret, expires, err := decodePayload(buf)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read the key %q: %w", name, err)
	}
	return secret, expires, nil
}

// Expiry implements Cache. It reads the payload (the kernel reports a timeout only
// roughly, in /proc/keys) and clears the secret at once.
func (k Kernel) Expiry(name string) (time.Time, error) {
	secret, expires, err := k.Get(name)
	clear(secret)
	return expires, err
}

// Forget implements Cache: the key is revoked, so its payload is freed and no process
// can read it any more, then unlinked from the session keyring.
func (k Kernel) Forget(name string) (bool, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	found := false
	for {
		id, err := search(name)
		if errors.Is(err, ErrNotCached) {
			return found, nil
		}
		if err != nil {
			return found, err
		}
		found = true
		if _, err := unix.KeyctlInt(unix.KEYCTL_REVOKE, id, 0, 0, 0); err != nil && !errors.Is(err, unix.EKEYREVOKED) {
			return found, refused("revoke the key", err)
		}
		if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_SESSION_KEYRING, 0, 0); err != nil {
			// A revoked key that cannot be unlinked is still unreadable; the kernel's
			// garbage collector removes it.
			return found, nil
		}
	}
}

// search finds the key called name in the session keyring (and keyrings linked from
// it), or ErrNotCached.
func search(name string) (int, error) {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_SESSION_KEYRING, "user", name, 0)
	if err != nil {
		return 0, gone("look up the key", err)
	}
	return id, nil
}

// gone maps the errors of a key that is not there (or no longer usable) onto
// ErrNotCached, and the rest onto ErrUnavailable.
func gone(what string, err error) error {
	switch {
	case errors.Is(err, unix.ENOKEY), errors.Is(err, unix.EKEYEXPIRED), errors.Is(err, unix.EKEYREVOKED):
		return ErrNotCached
	}
	return refused(what, err)
}

func refused(what string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, what, err)
}

// sessionKeyring is the id of the session keyring, found without creating one. Linking
// to KEY_SPEC_SESSION_KEYRING would make a process that has no session keyring join a
// new, empty one of its own, which dies with it: the key would be lost at once. Looked
// up without creating, the kernel gives such a process the user's default session
// keyring, where search (which never creates) finds the key again.
func sessionKeyring() (int, error) {
	ring, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		return 0, refused("find the session keyring", err)
	}
	return ring, nil
}

// Available reports whether the kernel lets this process use its session keyring: nil,
// or ErrUnavailable (keyctl refused, as a container's seccomp filter may).
func Available() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, err := sessionKeyring()
	return err
}
