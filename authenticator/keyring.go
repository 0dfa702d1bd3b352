package authenticator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Keyring is where a keyring-protected vault keeps its age identity. SystemKeyring is
// the OS keyring; MemKeyring is an in-memory one for tests.
//
// Get and Delete return an error wrapping ErrKeyringItemNotFound when there is no such
// item; every method returns an error wrapping ErrKeyringUnavailable when the keyring
// cannot be reached, is locked, or does not answer in time.
type Keyring interface {
	Get(ctx context.Context, service, user string) (string, error)
	Set(ctx context.Context, service, user, secret string) error
	Delete(ctx context.Context, service, user string) error
}

// Keyring errors callers branch on.
var (
	// ErrKeyringUnavailable: no keyring could be reached (no D-Bus session, no Secret
	// Service, a locked collection, a timeout, an unsupported platform).
	ErrKeyringUnavailable = errors.New("OS keyring unavailable")
	// ErrKeyringItemNotFound: the keyring answered but holds no such item.
	ErrKeyringItemNotFound = errors.New("keyring item not found")
)

// DefaultKeyringTimeout bounds every OS keyring call. go-keyring waits without limit for
// an unlock prompt; an authenticator that hangs is worse than one that says why.
const DefaultKeyringTimeout = 5 * time.Second

// SystemKeyring is the OS keyring through zalando/go-keyring (Secret Service on Linux
// and the BSDs, Keychain on macOS, Credential Manager on Windows). Every call runs in a
// goroutine under a deadline: Timeout, or the context's if sooner. A call that times out
// is abandoned (its goroutine finishes, or not, on its own) and reported as unavailable.
type SystemKeyring struct {
	Timeout time.Duration // 0 means DefaultKeyringTimeout
	// Getenv reads the environment for the D-Bus precheck (nil: os.Getenv).
	Getenv func(string) string
}

var _ Keyring = SystemKeyring{}

// Get implements Keyring.
func (k SystemKeyring) Get(ctx context.Context, service, user string) (string, error) {
	var out string
	err := k.call(ctx, "read", func() error {
		s, err := keyring.Get(service, user)
		out = s
		return err
	})
	return out, err
}

// Set implements Keyring.
func (k SystemKeyring) Set(ctx context.Context, service, user, secret string) error {
	return k.call(ctx, "write", func() error { return keyring.Set(service, user, secret) })
}

// Delete implements Keyring.
func (k SystemKeyring) Delete(ctx context.Context, service, user string) error {
	return k.call(ctx, "delete", func() error { return keyring.Delete(service, user) })
}

func (k SystemKeyring) call(ctx context.Context, what string, fn func() error) error {
	if err := busPrecheck(k.Getenv); err != nil {
		return fmt.Errorf("%w: %v", ErrKeyringUnavailable, err)
	}
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return classifyKeyringErr(what, err)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w: keyring %s did not answer within %v (is the keyring locked and waiting for a prompt?)", ErrKeyringUnavailable, what, timeout)
		}
		return fmt.Errorf("keyring %s: %w", what, ctx.Err())
	}
}

// classifyKeyringErr maps go-keyring's errors onto ours. Only ErrNotFound is a sentinel
// there; anything else (a D-Bus error, "failed to unlock correct collection", an exec
// error for dbus-launch, an unsupported platform) means no usable keyring.
func classifyKeyringErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrKeyringItemNotFound
	default:
		return fmt.Errorf("%w: keyring %s: %s", ErrKeyringUnavailable, what, strings.TrimSpace(err.Error()))
	}
}

// MemKeyring is an in-memory Keyring for tests. Its zero value is empty and ready; Err,
// when set, is returned (wrapped as unavailable) by every call.
type MemKeyring struct {
	mu    sync.Mutex
	items map[[2]string]string
	Err   error
}

var _ Keyring = (*MemKeyring)(nil)

// Get implements Keyring.
func (m *MemKeyring) Get(_ context.Context, service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return "", fmt.Errorf("%w: %v", ErrKeyringUnavailable, m.Err)
	}
	s, ok := m.items[[2]string{service, user}]
	if !ok {
		return "", ErrKeyringItemNotFound
	}
	return s, nil
}

// Set implements Keyring.
func (m *MemKeyring) Set(_ context.Context, service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return fmt.Errorf("%w: %v", ErrKeyringUnavailable, m.Err)
	}
	if m.items == nil {
		m.items = map[[2]string]string{}
	}
	m.items[[2]string{service, user}] = secret
	return nil
}

// Delete implements Keyring.
func (m *MemKeyring) Delete(_ context.Context, service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return fmt.Errorf("%w: %v", ErrKeyringUnavailable, m.Err)
	}
	if _, ok := m.items[[2]string{service, user}]; !ok {
		return ErrKeyringItemNotFound
	}
	delete(m.items, [2]string{service, user})
	return nil
}

// Len is how many items the keyring holds (tests check "exactly one").
func (m *MemKeyring) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}
