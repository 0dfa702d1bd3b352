package verifier

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
)

// loadCountingStore counts the reads a sign-in makes of a user and its seeds.
type loadCountingStore struct {
	Store
	loads atomic.Int32
}

func (s *loadCountingStore) UserWithSeeds(ctx context.Context, loginID string) (UserRecord, *SealedSeed, *SealedSeed, error) {
	s.loads.Add(1)
	return s.Store.(SignInLoader).UserWithSeeds(ctx, loginID)
}

// TestSignInCacheFollowsTheDatabase: a Local that keeps users between sign-ins still
// answers as the database says when another process (here a second Local with its
// own connections on the same file) replaces, deletes or re-creates the user's seeds,
// re-creates the user, or locks it out; and it saves the read only where nothing
// changed.
func TestSignInCacheFollowsTheDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	clock := testclock.New(ltStart)
	key := NewSeedKey()
	open := func() (*Local, *loadCountingStore) {
		st, err := OpenSQLiteForTest(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		counted := &loadCountingStore{Store: st}
		l, err := NewLocal(ctx, counted, LocalOptions{Clock: clock.Now, SeedKey: key, SigningAlg: ES256, MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		return l, counted
	}
	a, aStore := open()
	b, _ := open()
	next := func() { clock.Add(30 * time.Second) }

	enr, err := a.SignUp(ctx, "una", UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	k1 := ltKey(t, enr)
	s, err := a.SignIn(ctx, "una", ltCode(t, k1, clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	next()
	loads := aStore.loads.Load()
	_, err = a.SignIn(ctx, "una", ltWrongCode(ltCode(t, k1, clock.Now())))
	ltWantErr(t, "wrong code", err, ErrWrongCode)
	if _, err := a.SignIn(ctx, "una", ltCode(t, k1, clock.Now())); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if got := aStore.loads.Load() - loads; got != 0 {
		t.Fatalf("two sign-ins of an unchanged user read it %d times, want 0 (the cache)", got)
	}

	// Another process adds a new seed and confirms it: the old seed is gone.
	enr, err = b.Update(ctx, "una", s.RefreshJWT)
	if err != nil {
		t.Fatal(err)
	}
	k2 := ltKey(t, enr)
	next()
	if _, err := b.SignIn(ctx, "una", ltCode(t, k2, clock.Now())); err != nil {
		t.Fatalf("confirming the new seed elsewhere: %v", err)
	}
	next()
	_, err = a.SignIn(ctx, "una", ltCode(t, k1, clock.Now()))
	ltWantErr(t, "a code of the replaced seed", err, ErrWrongCode)
	if _, err := a.SignIn(ctx, "una", ltCode(t, k2, clock.Now())); err != nil {
		t.Fatalf("a code of the seed confirmed elsewhere: %v", err)
	}

	// Another process locks the user out.
	next()
	for range 3 {
		_, err := b.SignIn(ctx, "una", ltWrongCode(ltCode(t, k2, clock.Now())))
		ltWantErr(t, "wrong code elsewhere", err, ErrWrongCode)
	}
	_, err = a.SignIn(ctx, "una", ltCode(t, k2, clock.Now()))
	ltWantErr(t, "the right code while locked elsewhere", err, ErrLocked)
	clock.Add(DefaultLockDuration)

	// Another process deletes the seed.
	if err := b.DeleteSeed(ctx, "una"); err != nil {
		t.Fatal(err)
	}
	_, err = a.SignIn(ctx, "una", ltCode(t, k2, clock.Now()))
	ltWantErr(t, "after the seed was deleted elsewhere", err, ErrNoSeed)

	// Another process deletes the user and signs it up again: a new user id.
	if err := b.DeleteUser(ctx, "una"); err != nil {
		t.Fatal(err)
	}
	enr, err = b.SignUp(ctx, "una", UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	k3 := ltKey(t, enr)
	s3, err := a.SignIn(ctx, "una", ltCode(t, k3, clock.Now()))
	if err != nil || !s3.FirstSeen || s3.User.ID == s.User.ID {
		t.Fatalf("first sign-in of the re-created user: %+v, %v; want a new user, first seen", s3.User, err)
	}
	next()
	_, err = a.SignIn(ctx, "una", ltCode(t, k2, clock.Now()))
	ltWantErr(t, "a code of the deleted user's seed", err, ErrWrongCode)
}

// TestSignInCacheSwappedUnderACachedEntry: the user is deleted and re-created between
// this process caching it and its next sign-in, by the other process only; the charge
// on the old id finds no user and the sign-in reads again.
func TestSignInCacheSwappedUnderACachedEntry(t *testing.T) {
	ctx := context.Background()
	e := newLTEnv(t, LocalOptions{})
	other, err := NewLocal(ctx, e.st, LocalOptions{Clock: e.clock.Now, SeedKey: e.key, SigningAlg: ES256})
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := ltEnrol(t, e, "vera")
	if err := other.DeleteUser(ctx, "vera"); err != nil {
		t.Fatal(err)
	}
	enr, err := other.SignUp(ctx, "vera", UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	k2 := ltKey(t, enr)
	e.clock.Add(30 * time.Second)
	_, err = e.l.SignIn(ctx, "vera", ltCode(t, k1, e.clock.Now()))
	ltWantErr(t, "the old user's code", err, ErrWrongCode)
	if _, err := e.l.SignIn(ctx, "vera", ltCode(t, k2, e.clock.Now())); err != nil {
		t.Fatalf("the new user's code: %v", err)
	}
}

// TestSignInCacheBounded: the cache never holds more users than it is allowed, and
// with none allowed every sign-in reads.
func TestSignInCacheBounded(t *testing.T) {
	c := newSignInCache(3)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		c.put(id, signInEntry{rec: UserRecord{ID: id}})
	}
	if len(c.m) != 3 {
		t.Fatalf("cache of 3 holds %d entries", len(c.m))
	}
	if e, ok := c.get("e"); !ok || e.rec.ID != "e" {
		t.Fatal("the newest entry was dropped")
	}

	ctx := context.Background()
	e := newLTEnv(t, LocalOptions{})
	counted := &loadCountingStore{Store: e.st}
	l, err := NewLocal(ctx, counted, LocalOptions{Clock: e.clock.Now, SeedKey: e.key, SigningAlg: ES256, SignInCache: -1})
	if err != nil {
		t.Fatal(err)
	}
	enr, err := l.SignUp(ctx, "wim", UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	k := ltKey(t, enr)
	for range 3 {
		_, err := l.SignIn(ctx, "wim", ltWrongCode(ltCode(t, k, e.clock.Now())))
		if !errors.Is(err, ErrWrongCode) {
			t.Fatal(err)
		}
	}
	if n := counted.loads.Load(); n != 3 {
		t.Fatalf("without a cache 3 sign-ins read the user %d times, want 3", n)
	}
}
