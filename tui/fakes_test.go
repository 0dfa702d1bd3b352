package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// fakeStore is an in-memory AccountStore. Import understands the URIs that fakeVerifier
// hands out (and any registered with addURI), so tests do not depend on a URI parser.
type fakeStore struct {
	mu       sync.Mutex
	accounts []Account
	uris     map[string]provisioning.Key
	nextID   int

	ImportFn func(ctx context.Context, source, password string) (ImportResult, error) // overrides Import
}

var _ AccountStore = (*fakeStore)(nil)

func newFakeStore(keys ...provisioning.Key) *fakeStore {
	s := &fakeStore{uris: map[string]provisioning.Key{}}
	for _, k := range keys {
		s.add(k)
	}
	return s
}

func (s *fakeStore) add(k provisioning.Key) Account {
	s.nextID++
	a := Account{ID: fmt.Sprintf("a%d", s.nextID), Key: k}
	s.accounts = append(s.accounts, a)
	return a
}

func (s *fakeStore) addURI(uri string, k provisioning.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uris[uri] = k
}

func (s *fakeStore) Accounts(context.Context) ([]Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Account(nil), s.accounts...), nil
}

func (s *fakeStore) Import(ctx context.Context, source, password string) (ImportResult, error) {
	if s.ImportFn != nil {
		return s.ImportFn(ctx, source, password)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.uris[source]
	if !ok {
		return ImportResult{}, errors.New("not a provisioning uri")
	}
	for _, a := range s.accounts {
		if a.Key.Issuer == k.Issuer && a.Key.Account == k.Account && string(a.Key.Secret) == string(k.Secret) {
			return ImportResult{Duplicates: []Account{a}}, nil
		}
	}
	return ImportResult{Added: []Account{s.add(k)}}, nil
}

// Enrol is Import with Vault.Enrol's replacement: a key of the same issuer and name
// with another secret replaces that account, keeping its id.
func (s *fakeStore) Enrol(ctx context.Context, uri string) (EnrolResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.uris[uri]
	if !ok {
		return EnrolResult{}, errors.New("not a provisioning uri")
	}
	for _, a := range s.accounts {
		if a.Key.Issuer == k.Issuer && a.Key.Account == k.Account && string(a.Key.Secret) == string(k.Secret) {
			return EnrolResult{Account: a, Duplicate: true}, nil
		}
	}
	for i := len(s.accounts) - 1; i >= 0; i-- {
		if a := &s.accounts[i]; a.Key.Issuer == k.Issuer && a.Key.Account == k.Account {
			a.Key = k
			return EnrolResult{Account: *a, Replaced: true}, nil
		}
	}
	return EnrolResult{Account: s.add(k)}, nil
}

func (s *fakeStore) SetPinned(_ context.Context, id string, pinned bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.accounts {
		if s.accounts[i].ID == id {
			s.accounts[i].Pinned = pinned
			return nil
		}
	}
	return errors.New("no such account")
}

func (s *fakeStore) MarkUsed(_ context.Context, id string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.accounts {
		if s.accounts[i].ID == id {
			s.accounts[i].LastUsed = t
			return nil
		}
	}
	return errors.New("no such account")
}

func (s *fakeStore) Rename(_ context.Context, id, issuer, account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.accounts {
		if s.accounts[i].ID == id {
			s.accounts[i].Key.Issuer, s.accounts[i].Key.Account = issuer, account
			return nil
		}
	}
	return errors.New("no such account")
}

func (s *fakeStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.accounts {
		if s.accounts[i].ID == id {
			s.accounts = append(s.accounts[:i], s.accounts[i+1:]...)
			return nil
		}
	}
	return errors.New("no such account")
}

func (s *fakeStore) NextHOTP(_ context.Context, id string) (string, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.accounts {
		if s.accounts[i].ID == id {
			k := &s.accounts[i].Key
			code, err := k.CounterCode(k.Counter)
			n := k.Counter
			k.Counter++
			return code, n, err
		}
	}
	return "", 0, errors.New("no such account")
}

// fakeVerifier is a Verifier made of …Fn fields (STYLE §12); nil fields fail.
type fakeVerifier struct {
	SignUpFn     func(ctx context.Context, loginID, name, email string) (SignUpResult, error)
	SignInFn     func(ctx context.Context, loginID, code string) (Session, error)
	UpdateFn     func(ctx context.Context, loginID, refresh string) (SignUpResult, error)
	DeleteSeedFn func(ctx context.Context, loginID string) error
	RefreshFn    func(ctx context.Context, refresh string) (Session, error)
	MeFn         func(ctx context.Context, refresh string) (string, error)
	LogoutFn     func(ctx context.Context, refresh string) error
	UsersFn      func(ctx context.Context) ([]UserState, error)
	// Back and Ahead are the window Window reports; NoWindow makes it say nothing.
	Back, Ahead int
	NoWindow    bool
}

var _ Verifier = (*fakeVerifier)(nil)

var errNotFaked = errors.New("not faked")

func (f *fakeVerifier) SignUp(ctx context.Context, l, n, e string) (SignUpResult, error) {
	if f.SignUpFn == nil {
		return SignUpResult{}, errNotFaked
	}
	return f.SignUpFn(ctx, l, n, e)
}
func (f *fakeVerifier) SignIn(ctx context.Context, l, c string) (Session, error) {
	if f.SignInFn == nil {
		return Session{}, errNotFaked
	}
	return f.SignInFn(ctx, l, c)
}
func (f *fakeVerifier) Update(ctx context.Context, l, r string) (SignUpResult, error) {
	if f.UpdateFn == nil {
		return SignUpResult{}, errNotFaked
	}
	return f.UpdateFn(ctx, l, r)
}
func (f *fakeVerifier) DeleteSeed(ctx context.Context, l string) error {
	if f.DeleteSeedFn == nil {
		return errNotFaked
	}
	return f.DeleteSeedFn(ctx, l)
}
func (f *fakeVerifier) Refresh(ctx context.Context, r string) (Session, error) {
	if f.RefreshFn == nil {
		return Session{}, errNotFaked
	}
	return f.RefreshFn(ctx, r)
}
func (f *fakeVerifier) Me(ctx context.Context, r string) (string, error) {
	if f.MeFn == nil {
		return "", errNotFaked
	}
	return f.MeFn(ctx, r)
}
func (f *fakeVerifier) Logout(ctx context.Context, r string) error {
	if f.LogoutFn == nil {
		return errNotFaked
	}
	return f.LogoutFn(ctx, r)
}
func (f *fakeVerifier) Users(ctx context.Context) ([]UserState, error) {
	if f.UsersFn == nil {
		return nil, ErrNoUserList
	}
	return f.UsersFn(ctx)
}

func (f *fakeVerifier) Window() (int, int, bool) { return f.Back, f.Ahead, !f.NoWindow }

// testKey is a fixed TOTP key (the RFC 6238 SHA1 secret).
func testKey(issuer, account string) provisioning.Key {
	return provisioning.Key{Type: provisioning.TOTP, Issuer: issuer, Account: account,
		Secret: []byte("12345678901234567890"), Algorithm: provisioning.SHA1, Digits: 6, Period: 30}
}

// fixedNow is the clock of every Update and View test: 20 s into a 30 s step.
var fixedNow = time.Date(2026, 11, 24, 12, 0, 20, 0, time.UTC)

func fakeQR(text string) (string, error) {
	// A stand-in drawing with the size of a small QR code, never the text itself.
	row := strings.Repeat("█▀", 10)
	return strings.Repeat(row+"\n", 9) + row, nil
}
