package authenticator

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	// NoPrompt makes every call fail as unavailable, instead of asking the user, when
	// the keyring would first have to show an unlock prompt (a locked Secret Service
	// collection): for callers no person is waiting on, such as shell completion.
	NoPrompt bool
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
		return &KeyringError{Problem: KeyringNoBus, Op: what, Detail: err.Error()}
	}
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		if k.NoPrompt {
			if err := wouldPrompt(); err != nil {
				done <- err // unavailable, as classifyKeyringErr says
				return
			}
		}
		done <- fn()
	}()
	select {
	case err := <-done:
		return classifyKeyringErr(what, err, k.getenv())
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &KeyringError{Problem: KeyringNoAnswer, Op: what, Detail: fmt.Sprintf("no answer within %v", timeout)}
		}
		return fmt.Errorf("keyring %s: %w", what, ctx.Err())
	}
}

func (k SystemKeyring) getenv() func(string) string {
	if k.Getenv != nil {
		return k.Getenv
	}
	return os.Getenv
}

// classifyKeyringErr maps go-keyring's errors onto ours. Only ErrNotFound is a sentinel
// there; anything else means no usable keyring, and the *KeyringError says why as far
// as the error tells: no Secret Service on the bus, or a locked collection whose
// unlock prompt was dismissed (go-keyring reports both a dismissed prompt and one that
// could not be shown as "failed to unlock correct collection"; without a display no
// prompt can be shown, so that is a locked keyring).
func classifyKeyringErr(what string, err error, getenv func(string) string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrKeyringItemNotFound
	}
	ke := &KeyringError{Problem: KeyringOther, Op: what, Detail: strings.TrimSpace(err.Error())}
	switch {
	case strings.Contains(err.Error(), "failed to unlock correct collection"):
		ke.Problem = KeyringDismissed
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			ke.Problem = KeyringLocked
		}
	default:
		if p, ok := busProblem(err); ok {
			ke.Problem = p
		}
	}
	return ke
}

// KeyringProblem is why the OS keyring could not be used. Each has its own remedy.
type KeyringProblem int

// The keyring problems otpair tells apart.
const (
	// KeyringOther is any other failure (an unsupported platform, an odd error).
	KeyringOther KeyringProblem = iota
	// KeyringNoBus: no D-Bus session bus, or none that answers.
	KeyringNoBus
	// KeyringNoService: the session bus has no Secret Service (no gnome-keyring or
	// KWallet installed or running).
	KeyringNoService
	// KeyringLocked: the keyring is locked and no unlock prompt can be shown here
	// (no display: an SSH session, a container).
	KeyringLocked
	// KeyringDismissed: the keyring is locked and its unlock prompt was dismissed.
	KeyringDismissed
	// KeyringNoAnswer: the keyring did not answer in time, most likely a locked
	// keyring whose unlock prompt is waiting for someone.
	KeyringNoAnswer
)

// String is the problem in words.
func (p KeyringProblem) String() string {
	switch p {
	case KeyringNoBus:
		return "no D-Bus session bus to reach a Secret Service"
	case KeyringNoService:
		return "no Secret Service (such as GNOME Keyring or KWallet) on the session bus"
	case KeyringLocked:
		return "the keyring is locked, and no unlock prompt can be shown here (no display)"
	case KeyringDismissed:
		return "the keyring is locked, and its unlock prompt was dismissed"
	case KeyringNoAnswer:
		return "the keyring did not answer; it may be locked, its unlock prompt waiting"
	}
	return "the keyring failed"
}

// Remedy is what the user can do about the problem.
func (p KeyringProblem) Remedy() string {
	switch p {
	case KeyringNoBus, KeyringNoService:
		return "run otpair in a desktop session with GNOME Keyring or KWallet, or keep the vault in passphrase mode"
	case KeyringLocked:
		return "unlock the keyring first (log in to the desktop, or run gnome-keyring-daemon --replace --unlock and type its password), then try again"
	case KeyringDismissed:
		return "try again and unlock the keyring in its prompt"
	case KeyringNoAnswer:
		return "answer the keyring's unlock prompt, or unlock the keyring, then try again"
	}
	return "check that the OS keyring works (secret-tool search service otpair), then try again"
}

// Retryable reports whether the keyring exists and trying again after the user acts
// can succeed (it is locked), as opposed to there being no keyring here at all.
func (p KeyringProblem) Retryable() bool {
	return p == KeyringLocked || p == KeyringDismissed || p == KeyringNoAnswer
}

// KeyringError is an OS keyring that could not be used: the problem, the operation and
// the keyring's own words. It wraps ErrKeyringUnavailable.
type KeyringError struct {
	Problem KeyringProblem
	Op      string // read, write or delete
	Detail  string
}

func (e *KeyringError) Error() string {
	return fmt.Sprintf("%v: keyring %s: %v (%s)", ErrKeyringUnavailable, e.Op, e.Problem, e.Detail)
}

// Unwrap makes errors.Is(err, ErrKeyringUnavailable) true.
func (e *KeyringError) Unwrap() error { return ErrKeyringUnavailable }

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
