package verifier

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProfileLimits (issue 11, item 6): every profile field and the login id have a
// size limit that sign-up and user creation enforce with an error naming the field
// and the limit (ErrTooLong, E011001), before anything is stored; control characters
// in a profile are refused (a NUL cannot even be stored in PostgreSQL).
func TestProfileLimits(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	ctx := context.Background()
	big := strings.Repeat("n", 20<<10)
	for _, c := range []struct {
		info        UserInfo
		field       string
		limit       int
		errContains string
	}{
		{UserInfo{Name: big}, "name", MaxNameBytes, "name is longer than 256 bytes"},
		{UserInfo{Email: strings.Repeat("e", 255)}, "email", MaxEmailBytes, "email is longer than 254 bytes"},
		{UserInfo{Phone: "+" + strings.Repeat("1", 32)}, "phone", MaxPhoneBytes, "phone is longer than 32 bytes"},
	} {
		for name, call := range map[string]func() error{
			"SignUp":     func() error { _, err := e.l.SignUp(ctx, "limits", c.info); return err },
			"CreateUser": func() error { _, err := e.l.CreateUser(ctx, "limits", c.info); return err },
		} {
			err := call()
			var tl *FieldTooLongError
			if !errors.As(err, &tl) || !errors.Is(err, ErrTooLong) || !errors.Is(err, ErrBadRequest) ||
				tl.Field != c.field || tl.Limit != c.limit || !strings.Contains(err.Error(), c.errContains) {
				t.Errorf("%s with an oversized %s = %v; want a *FieldTooLongError saying %q", name, c.field, err, c.errContains)
			}
		}
	}
	if _, err := e.l.SignUp(ctx, strings.Repeat("x", MaxLoginIDBytes+1), UserInfo{}); !errors.Is(err, ErrTooLong) {
		t.Errorf("SignUp with an oversized login id = %v, want ErrTooLong", err)
	}
	for _, info := range []UserInfo{{Name: "a\x00b"}, {Email: "a\nb@example.com"}, {Phone: "+1\u0085"}} {
		if _, err := e.l.SignUp(ctx, "controls", info); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("SignUp with %+q = %v, want ErrInvalidArgument", info, err)
		}
	}
	// At the limits, accepted.
	at := UserInfo{Name: strings.Repeat("n", MaxNameBytes), Email: strings.Repeat("e", MaxEmailBytes), Phone: strings.Repeat("1", MaxPhoneBytes)}
	if _, err := e.l.SignUp(ctx, strings.Repeat("x", MaxLoginIDBytes), at); err != nil {
		t.Fatalf("SignUp at every limit: %v", err)
	}
	if users, err := e.l.Users(ctx); err != nil || len(users) != 1 {
		t.Fatalf("the refused calls stored something: %d users, %v", len(users), err)
	}
}

// TestRefusedSignUpsDoNotGrowTheDatabase (issue 11, item 6): 300 sign-ups with 20 kB
// names are all refused at the field limit and the database file does not grow.
func TestRefusedSignUpsDoNotGrowTheDatabase(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	ctx := context.Background()
	ltSignUp(t, e, "first") // the schema and the first pages are written
	before := dbBytes(t, e.path)
	name := strings.Repeat("N", 20<<10)
	for i := range 300 {
		_, err := e.l.SignUp(ctx, "flood"+strconv.Itoa(i), UserInfo{Name: name, Email: "f@example.com"})
		if !errors.Is(err, ErrTooLong) {
			t.Fatalf("sign-up %d with a 20 kB name = %v, want ErrTooLong", i, err)
		}
	}
	if after := dbBytes(t, e.path); after != before {
		t.Fatalf("the database grew from %d to %d bytes on refused sign-ups", before, after)
	}
	if users, err := e.l.Users(ctx); err != nil || len(users) != 1 {
		t.Fatalf("%d users after the flood, %v; want 1", len(users), err)
	}
}

// dbBytes is the size of the SQLite database with its WAL.
func dbBytes(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// TestPurgeExpired (issue 11, item 6): abandoned sign-ups and updates are purged once
// PendingTTL and PurgeGrace have passed on the injected clock; confirmed users, their
// active seeds and enrolments still in progress stay; RunPurge does it on each tick.
func TestPurgeExpired(t *testing.T) {
	const ttl = 10 * time.Minute
	e := newLTEnv(t, LocalOptions{PendingTTL: ttl, PurgeBatch: 2})
	ctx := context.Background()

	for _, id := range []string{"gone1", "gone2", "gone3"} { // never confirmed
		ltSignUp(t, e, id)
	}
	kept := ltSignUp(t, e, "kept") // confirmed, then starts an update it abandons
	s, err := e.l.SignIn(ctx, "kept", ltCode(t, kept, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.l.Update(ctx, "kept", s.RefreshJWT); err != nil {
		t.Fatal(err)
	}
	if _, err := e.l.CreateUser(ctx, "created", UserInfo{}); err != nil { // no seed, never purged
		t.Fatal(err)
	}

	// Expired, but inside the grace: nothing goes.
	e.clock.Add(ttl + PurgeGrace - time.Second)
	late := ltSignUp(t, e, "late") // an enrolment in progress when the purge runs
	if p, err := e.l.PurgeExpired(ctx); err != nil || p != (Purged{}) {
		t.Fatalf("purge inside the grace = %+v, %v; want nothing", p, err)
	}

	e.clock.Add(time.Second)
	ticks := make(chan time.Time)
	reports := make(chan Purged)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.l.RunPurge(ctx, ticks, func(p Purged, err error) {
			if err != nil {
				t.Errorf("RunPurge: %v", err)
			}
			reports <- p
		})
	}()
	ticks <- e.clock.Now()
	if p := <-reports; p != (Purged{Seeds: 4, Users: 3}) { // batches of 2: the tick runs passes until one is short
		t.Fatalf("the tick purged %+v, want 4 seeds (3 sign-ups, 1 update) and 3 users", p)
	}
	ticks <- e.clock.Now()
	if p := <-reports; p != (Purged{}) {
		t.Fatalf("the next tick purged %+v, want nothing", p)
	}
	close(ticks)
	<-done

	users, err := e.l.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.LoginID)
	}
	if strings.Join(ids, " ") != "created kept late" {
		t.Fatalf("users after the purge: %v; want created, kept and late", ids)
	}
	// The confirmed user still signs in; the late enrolment still confirms.
	if _, err := e.l.SignIn(ctx, "kept", ltCode(t, kept, e.clock.Now())); err != nil {
		t.Fatalf("the confirmed user after the purge: %v", err)
	}
	if s, err := e.l.SignIn(ctx, "late", ltCode(t, late, e.clock.Now())); err != nil || !s.FirstSeen {
		t.Fatalf("the enrolment in progress after the purge: %v", err)
	}
	// A purged login id signs up afresh.
	ltSignUp(t, e, "gone1")
}

// purgingStore deletes the user between a sign-up's read and its new pending seed, as
// a purge on another instance could.
type purgingStore struct {
	Store
	once bool
}

func (p *purgingStore) PutPendingSeed(ctx context.Context, userID string, seed SealedSeed) error {
	if !p.once {
		p.once = true
		if err := p.Store.DeleteUser(ctx, userID); err != nil {
			return err
		}
	}
	return p.Store.PutPendingSeed(ctx, userID, seed)
}

// TestSignUpAfterAConcurrentPurge: a sign-up again of an abandoned login id whose user
// a purge deletes in between still succeeds, as a fresh sign-up.
func TestSignUpAfterAConcurrentPurge(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	ltSignUp(t, e, "again")
	st := &purgingStore{Store: e.st}
	l, err := NewLocal(context.Background(), st, LocalOptions{Clock: e.clock.Now, SeedKey: e.key, SigningAlg: ES256})
	if err != nil {
		t.Fatal(err)
	}
	enr, err := l.SignUp(context.Background(), "again", UserInfo{})
	if err != nil || !st.once {
		t.Fatalf("SignUp across a purge = %v (purged: %v)", err, st.once)
	}
	if s, err := l.SignIn(context.Background(), "again", ltCode(t, ltKey(t, enr), e.clock.Now())); err != nil || !s.FirstSeen {
		t.Fatalf("confirming it: %v", err)
	}
}
