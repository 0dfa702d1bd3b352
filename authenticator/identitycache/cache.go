// Package identitycache keeps a passphrase vault's unwrapped identity for a while
// outside any one process, so that the commands that follow `otpair unlock` skip
// scrypt. On Linux it is the kernel keyring (Kernel: a user key in the session
// keyring, with the kernel's own timeout); other systems have no such store and every
// call says so (ErrUnsupported).
//
// The package knows nothing of vaults: callers name entries (authenticator derives the
// name from the vault's path and files) and check what they get back.
package identitycache

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Cache holds secrets under names for a limited time.
type Cache interface {
	// Put stores secret under name for ttl (rounded up to whole seconds), replacing
	// what was there, and returns when it expires.
	Put(name string, secret []byte, ttl time.Duration) (time.Time, error)
	// Get returns the secret stored under name and when it expires, or ErrNotCached.
	// The caller owns the returned slice and should clear it once used.
	Get(name string) ([]byte, time.Time, error)
	// Expiry says when the entry under name expires, or ErrNotCached.
	Expiry(name string) (time.Time, error)
	// Forget removes the entry under name at once; found says whether there was one.
	Forget(name string) (found bool, err error)
}

// Errors callers branch on. None carries a secret.
var (
	// ErrNotCached: nothing is stored under the name (never stored, expired, forgotten).
	ErrNotCached = errors.New("not cached")
	// ErrUnsupported: the system has no kernel keyring (anything but Linux).
	ErrUnsupported = errors.New("the Linux kernel keyring is not available")
	// ErrUnavailable: the kernel keyring is there but refused the call (a seccomp
	// filter in a container, a quota, no session keyring).
	ErrUnavailable = errors.New("the kernel keyring refused")
)

// MaxTTL is the longest an entry may live: the kernel takes any number of seconds, but
// an unlock that outlives a working day is a vault left open.
const MaxTTL = 24 * time.Hour

// seconds is ttl in whole seconds, rounded up, as the kernel's timeout takes it.
func seconds(ttl time.Duration) (int, error) {
	if ttl <= 0 || ttl > MaxTTL {
		return 0, fmt.Errorf("a cache time of %v: want more than 0 and at most %v", ttl, MaxTTL)
	}
	return int((ttl + time.Second - 1) / time.Second), nil
}

// The payload is a header line with the expiry (the kernel keeps the timeout but does
// not report it to the second), then the secret.
const payloadMagic = "otpair-identity-cache/1 "

func encodePayload(secret []byte, expires time.Time) []byte {
	p := make([]byte, 0, len(payloadMagic)+24+len(secret))
	p = append(p, payloadMagic...)
	p = strconv.AppendInt(p, expires.Unix(), 10)
	p = append(p, '\n')
	return append(p, secret...)
}

// decodePayload splits a payload into a copy of the secret and the expiry.
func decodePayload(p []byte) ([]byte, time.Time, error) {
	rest, ok := bytes.CutPrefix(p, []byte(payloadMagic))
	if !ok {
		return nil, time.Time{}, errors.New("the cached entry is not otpair's")
	}
	line, secret, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, time.Time{}, errors.New("the cached entry is cut short")
	}
	sec, err := strconv.ParseInt(string(line), 10, 64)
	if err != nil {
		return nil, time.Time{}, errors.New("the cached entry has no expiry")
	}
	return bytes.Clone(secret), time.Unix(sec, 0), nil
}
