package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
)

// testLoginKeys: login ids are matched by verifier.LoginKey (case, width and NFC),
// each user keeps its spelling, and no second user takes a key.
func testLoginKeys(t *testing.T, s verifier.Store) {
	mustCreate(t, s, user("U1", "Bob@Example.com", true))
	mustCreate(t, s, user("U2", "jos\u00e9", false)) // NFC
	for _, spelling := range []string{"Bob@Example.com", "bob@example.com", "BOB@EXAMPLE.COM", "\uff22\uff4f\uff42@example.com"} {
		u, err := s.UserByLoginID(ctx(t), spelling)
		if err != nil || u.ID != "U1" || u.LoginID != "Bob@Example.com" {
			t.Fatalf("UserByLoginID(%q) = %s %q, %v; want U1 spelled Bob@Example.com", spelling, u.ID, u.LoginID, err)
		}
		if ld, ok := s.(verifier.SignInLoader); ok {
			if u, _, _, err := ld.UserWithSeeds(ctx(t), spelling); err != nil || u.ID != "U1" {
				t.Fatalf("UserWithSeeds(%q) = %s, %v; want U1", spelling, u.ID, err)
			}
		}
	}
	for _, spelling := range []string{"jos\u00e9", "jose\u0301", "JOS\u00c9", "JOSE\u0301"} { // NFC, NFD, upper case
		if u, err := s.UserByLoginID(ctx(t), spelling); err != nil || u.ID != "U2" || u.LoginID != "jos\u00e9" {
			t.Fatalf("UserByLoginID(%+q) = %s %+q, %v; want U2", spelling, u.ID, u.LoginID, err)
		}
	}
	for _, taken := range []string{"bob@example.com", "BOB@example.COM", "jose\u0301"} {
		if err := s.CreateUser(ctx(t), user("U9", taken, false)); !errors.Is(err, verifier.ErrUserExists) {
			t.Fatalf("CreateUser(%+q) beside a user with the same key = %v, want ErrUserExists", taken, err)
		}
	}
	if _, err := s.UserByLoginID(ctx(t), "bob@example.org"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("UserByLoginID of another id = %v, want ErrUnknownUser", err)
	}
	list, err := s.ListUsers(ctx(t))
	if err != nil || len(list) != 2 || list[0].LoginID != "Bob@Example.com" {
		t.Fatalf("ListUsers = %+v, %v; want the spellings as created", list, err)
	}
	if err := s.DeleteUser(ctx(t), "U1"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, user("U3", "bob@example.com", true)) // the key is free again
}

// purgeCutoff is the cutoff the purge tests pass: rows from before it are abandoned.
var purgeCutoff = t0.Add(-16 * time.Minute)

func seedAt(id string, created time.Time) verifier.SealedSeed {
	sd := seed(id)
	sd.Created = created
	return sd
}

func userAt(id, login string, active bool, created time.Time) verifier.UserRecord {
	u := user(id, login, active)
	u.Created = created
	return u
}

// testPurge: one pass deletes expired pending seeds and the users that never
// confirmed and have nothing left; everything else stays, and each pass is bounded.
func testPurge(t *testing.T, s verifier.Store) {
	old := purgeCutoff.Add(-5 * time.Minute)
	put := func(id string, sd verifier.SealedSeed) {
		t.Helper()
		if err := s.PutPendingSeed(ctx(t), id, sd); err != nil {
			t.Fatal(err)
		}
	}
	// Abandoned sign-ups: a pending seed that expired, and the user with it.
	mustCreate(t, s, userAt("Uabandoned", "abandoned", false, old))
	put("Uabandoned", seedAt("sA", old))
	mustCreate(t, s, userAt("Uedge", "edge", false, old))
	put("Uedge", seedAt("sE", purgeCutoff)) // created at the cutoff: expired
	// A sign-up without a seed (its seed was deleted), created long ago.
	mustCreate(t, s, userAt("Unoseed", "noseed", false, old))
	// A sign-up in progress: seed 1 ms after the cutoff.
	mustCreate(t, s, userAt("Ufresh", "fresh", false, old))
	put("Ufresh", seedAt("sF", purgeCutoff.Add(time.Millisecond)))
	// A user created long ago that signed up again just now (a new pending seed).
	mustCreate(t, s, userAt("Uagain", "again", false, old))
	put("Uagain", seedAt("sG0", old))
	put("Uagain", seedAt("sG1", t0))
	// A confirmed user with an abandoned update: the pending seed goes, the rest stays.
	mustCreate(t, s, userAt("Uupdate", "update", false, old))
	put("Uupdate", seedAt("sU0", old))
	if ok, _, err := s.PromotePending(ctx(t), "Uupdate", "sU0", 10, 0, old); err != nil || !ok {
		t.Fatalf("PromotePending = %v, %v", ok, err)
	}
	put("Uupdate", seedAt("sU1", old))
	// A user created by the management API: active, no seed, never purged.
	mustCreate(t, s, userAt("Umgmt", "mgmt", true, old))
	// A sign-up created just now, before its seed is stored.
	mustCreate(t, s, userAt("Unew", "new", false, t0))

	seeds, users, err := s.PurgeExpired(ctx(t), purgeCutoff, 100)
	if err != nil || seeds != 3 || users != 3 {
		t.Fatalf("PurgeExpired = %d seeds, %d users, %v; want 3 and 3", seeds, users, err)
	}
	for _, id := range []string{"Uabandoned", "Uedge", "Unoseed"} {
		if _, err := s.UserByID(ctx(t), id); !errors.Is(err, verifier.ErrUnknownUser) {
			t.Errorf("%s survived the purge: %v", id, err)
		}
	}
	wantSeeds := map[string][2]string{"Ufresh": {"", "sF"}, "Uagain": {"", "sG1"}, "Uupdate": {"sU0", ""}, "Umgmt": {}, "Unew": {}}
	for id, want := range wantSeeds {
		a, p, err := s.Seeds(ctx(t), id)
		if err != nil {
			t.Fatalf("%s was purged: %v", id, err)
		}
		if got := [2]string{seedIDOf(a), seedIDOf(p)}; got != want {
			t.Errorf("%s's seeds after the purge = %v, want %v", id, got, want)
		}
	}
	if seeds, users, err := s.PurgeExpired(ctx(t), purgeCutoff, 100); err != nil || seeds != 0 || users != 0 {
		t.Fatalf("a second pass = %d, %d, %v; want nothing left", seeds, users, err)
	}

	// Bounded: at most limit rows of each kind per pass, oldest first.
	for i := range 5 {
		id := fmt.Sprintf("Ubulk%d", i)
		mustCreate(t, s, userAt(id, "bulk"+id, false, old.Add(time.Duration(i)*time.Second)))
		put(id, seedAt("s"+id, old.Add(time.Duration(i)*time.Second)))
	}
	total := [2]int{}
	for pass := 0; ; pass++ {
		seeds, users, err := s.PurgeExpired(ctx(t), purgeCutoff, 2)
		if err != nil || seeds > 2 || users > 2 {
			t.Fatalf("pass %d = %d, %d, %v; want at most 2 of each", pass, seeds, users, err)
		}
		total[0] += seeds
		total[1] += users
		if seeds == 0 && users == 0 {
			break
		}
		if pass > 10 {
			t.Fatal("the purge does not finish")
		}
	}
	if total != [2]int{5, 5} {
		t.Fatalf("bounded passes deleted %v seeds and users, want 5 and 5", total)
	}
	if _, err := s.UserByID(ctx(t), "Ufresh"); err != nil {
		t.Fatalf("the sign-up in progress was purged: %v", err)
	}
}

func seedIDOf(s *verifier.SealedSeed) string {
	if s == nil {
		return ""
	}
	return s.ID
}

// RunShared runs the tests that need two handles on one database, as two verifier
// instances have: openPair returns two Stores opened separately on one fresh, empty
// database (two pools on one PostgreSQL database, or two opens of one SQLite file),
// with their cleanup arranged.
func RunShared(t *testing.T, openPair func(t *testing.T) (a, b verifier.Store)) {
	t.Run("ConcurrentPurge", func(t *testing.T) { testConcurrentPurge(t, openPair) })
	t.Run("PurgeRacesSignUp", func(t *testing.T) { testPurgeRacesSignUp(t, openPair) })
	t.Run("PurgeRacesConfirm", func(t *testing.T) { testPurgeRacesConfirm(t, openPair) })
}

// testConcurrentPurge: four purgers on two handles delete every abandoned row exactly
// once between them, without an error.
func testConcurrentPurge(t *testing.T, openPair func(t *testing.T) (a, b verifier.Store)) {
	a, b := openPair(t)
	old := purgeCutoff.Add(-time.Minute)
	const n = 120
	for i := range n {
		id := fmt.Sprintf("U%03d", i)
		mustCreate(t, a, userAt(id, "user"+id, false, old))
		if err := a.PutPendingSeed(ctx(t), id, seedAt("s"+id, old)); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu           sync.Mutex
		seeds, users int
	)
	parallel(t, 4, func(i int) (bool, error) {
		st := []verifier.Store{a, b}[i%2]
		for {
			s, u, err := st.PurgeExpired(ctx(t), purgeCutoff, 7)
			if err != nil {
				return false, err
			}
			mu.Lock()
			seeds, users = seeds+s, users+u
			mu.Unlock()
			if s == 0 && u == 0 {
				return true, nil
			}
		}
	})
	if seeds != n || users != n {
		t.Fatalf("concurrent purges deleted %d seeds and %d users, want %d and %d", seeds, users, n, n)
	}
	if list, err := b.ListUsers(ctx(t)); err != nil || len(list) != 0 {
		t.Fatalf("left after the purges: %d users, %v", len(list), err)
	}
}

// abandonedSignUps creates n users of a round whose sign-up (a pending seed named
// prefix+id) expired before purgeCutoff, and returns their ids.
func abandonedSignUps(t *testing.T, s verifier.Store, round, n int, prefix string) []string {
	t.Helper()
	old := purgeCutoff.Add(-time.Minute)
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("U%d-%02d", round, i)
		mustCreate(t, s, userAt(ids[i], "user"+ids[i], false, old))
		if err := s.PutPendingSeed(ctx(t), ids[i], seedAt(prefix+ids[i], old)); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// testPurgeRacesSignUp: abandoned sign-ups are purged on one handle while, on the
// other, half of them sign up again (a new pending seed). Each user that signed up
// again keeps its row and its new seed (or, where the purge deleted the user first,
// the new seed fails with ErrUnknownUser, which Local answers by signing up afresh);
// the others are gone.
func testPurgeRacesSignUp(t *testing.T, openPair func(t *testing.T) (a, b verifier.Store)) {
	a, b := openPair(t)
	for round := range 4 {
		const n = 30
		ids := abandonedSignUps(t, a, round, n, "old")
		unknown := make([]bool, n)
		parallel(t, n/2+2, func(i int) (bool, error) {
			if i >= n/2 { // two purgers
				for {
					s, u, err := a.PurgeExpired(ctx(t), purgeCutoff, 5)
					if err != nil || s == 0 && u == 0 {
						return false, err
					}
				}
			}
			id := ids[2*i] // even users sign up again
			err := b.PutPendingSeed(ctx(t), id, seedAt("new"+id, t0))
			if errors.Is(err, verifier.ErrUnknownUser) {
				unknown[2*i] = true
				return false, nil
			}
			return err == nil, err
		})
		for i, id := range ids {
			_, p, err := b.Seeds(ctx(t), id)
			switch {
			case i%2 == 1 || unknown[i]:
				if !errors.Is(err, verifier.ErrUnknownUser) {
					if _, _, err := a.PurgeExpired(ctx(t), purgeCutoff, 100); err != nil {
						t.Fatal(err)
					}
					if _, _, err = b.Seeds(ctx(t), id); !errors.Is(err, verifier.ErrUnknownUser) {
						t.Fatalf("round %d: abandoned %s survived a purge: %v", round, id, err)
					}
				}
			case err != nil || p == nil || p.ID != "new"+id:
				t.Fatalf("round %d: %s signed up again but lost its new seed or row: %v, %v", round, id, p, err)
			}
		}
	}
}

// testPurgeRacesConfirm: pending seeds that a purge considers expired are confirmed
// (PromotePending) on the other handle at the same moment. Whichever wins, the result
// is whole: a promoted user exists, is active and has its seed; a user whose seed the
// purge took first is not promoted.
func testPurgeRacesConfirm(t *testing.T, openPair func(t *testing.T) (a, b verifier.Store)) {
	a, b := openPair(t)
	for round := range 4 {
		const n = 30
		ids := abandonedSignUps(t, a, round, n, "s")
		promoted := make([]bool, n)
		parallel(t, n+2, func(i int) (bool, error) {
			if i >= n {
				for {
					s, u, err := a.PurgeExpired(ctx(t), purgeCutoff, 4)
					if err != nil || s == 0 && u == 0 {
						return false, err
					}
				}
			}
			ok, _, err := b.PromotePending(ctx(t), ids[i], "s"+ids[i], 7, 0, t0)
			promoted[i] = ok
			return ok, err
		})
		if _, _, err := a.PurgeExpired(ctx(t), purgeCutoff, 100); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			u, err := b.UserByID(ctx(t), id)
			switch {
			case promoted[i] && (err != nil || !u.Active || !u.HasActiveSeed):
				t.Fatalf("round %d: %s was confirmed, then lost: %+v, %v", round, id, u, err)
			case !promoted[i] && !errors.Is(err, verifier.ErrUnknownUser):
				t.Fatalf("round %d: %s was neither confirmed nor purged: %+v, %v", round, id, u, err)
			}
		}
	}
}

// RunLegacyKeys checks rows written before login keys existed: insertUnkeyed writes a
// users row with no login key (as migration 4 leaves existing rows, or an older
// otpair writing to the same database), and reopen opens the database again, which
// gives those rows their keys. The oldest row of a group whose ids share a key gets
// the key; the others are found by their exact spelling only.
func RunLegacyKeys(t *testing.T, open func(t *testing.T) (insertUnkeyed func(id, login string, created time.Time), reopen func() verifier.Store)) {
	insert, reopen := open(t)
	insert("U1", "Carol@Example.com", t0)
	insert("U2", "carol@example.com", t0.Add(time.Second)) // the same key, younger
	insert("U3", "jose\u0301", t0)                         // NFD, from before normalisation
	insert("U4", "dave", t0)
	s := reopen()
	for _, c := range []struct{ spelling, want string }{
		{"Carol@Example.com", "U1"}, {"CAROL@EXAMPLE.COM", "U1"}, {"carol@example.com", "U2"},
		{"jos\u00e9", "U3"}, {"jose\u0301", "U3"}, {"Dave", "U4"},
	} {
		u, err := s.UserByLoginID(ctx(t), c.spelling)
		if err != nil || u.ID != c.want {
			t.Errorf("UserByLoginID(%+q) = %s, %v; want %s", c.spelling, u.ID, err, c.want)
		}
		if ld, ok := s.(verifier.SignInLoader); ok {
			if u, _, _, err := ld.UserWithSeeds(ctx(t), c.spelling); err != nil || u.ID != c.want {
				t.Errorf("UserWithSeeds(%+q) = %s, %v; want %s", c.spelling, u.ID, err, c.want)
			}
		}
	}
	if err := s.CreateUser(ctx(t), user("U5", "DAVE", false)); !errors.Is(err, verifier.ErrUserExists) {
		t.Fatalf("CreateUser(DAVE) beside a backfilled dave = %v, want ErrUserExists", err)
	}
	// The younger twin goes; its spelling then finds the key's holder.
	if err := s.DeleteUser(ctx(t), "U2"); err != nil {
		t.Fatal(err)
	}
	if u, err := s.UserByLoginID(ctx(t), "carol@example.com"); err != nil || u.ID != "U1" {
		t.Fatalf("after the twin's deletion, carol@example.com = %s, %v; want U1", u.ID, err)
	}
}
