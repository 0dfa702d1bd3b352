// Package storetest is the conformance suite of verifier.Store: Run checks an
// implementation, unchanged for SQLite (file or memory) and PostgreSQL, including the
// atomic statements under concurrency.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
)

// Run runs every conformance test against stores from open, which returns a fresh,
// empty, migrated Store for each subtest (and arranges its cleanup with t.Cleanup).
// RunShared and RunLegacyKeys are the tests that need more than one Store.
func Run(t *testing.T, open func(t *testing.T) verifier.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s verifier.Store)
	}{
		{"Meta", testMeta},
		{"Users", testUsers},
		{"Seeds", testSeeds},
		{"ChargeAttempt", testChargeAttempt},
		{"ConsumeStep", testConsumeStep},
		{"PromotePending", testPromotePending},
		{"DeleteCascades", testDeleteCascades},
		{"SignInLoader", testSignInLoader},
		{"Revocation", testRevocation},
		{"ConcurrentConsume", testConcurrentConsume},
		{"ConcurrentCharge", testConcurrentCharge},
		{"ConcurrentPromote", testConcurrentPromote},
		{"LoginKeys", testLoginKeys},
		{"Purge", testPurge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// t0 is a fixed instant with a whole millisecond, the precision stores keep.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

func user(id, login string, active bool) verifier.UserRecord {
	return verifier.UserRecord{ID: id, LoginID: login, Name: "Name " + login, Email: login + "@example.com",
		Phone: "+1555", Created: t0, Active: active, LastStep: -1}
}

func seed(id string) verifier.SealedSeed {
	return verifier.SealedSeed{ID: id, Ciphertext: []byte("ct-" + id), Nonce: []byte("nonce-" + id), KeyID: "k1",
		Algorithm: "SHA1", Digits: 6, Period: 30, Created: t0}
}

func mustCreate(t *testing.T, s verifier.Store, u verifier.UserRecord) {
	t.Helper()
	if err := s.CreateUser(ctx(t), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", u.LoginID, err)
	}
}

func mustUser(t *testing.T, s verifier.Store, id string) verifier.UserRecord {
	t.Helper()
	u, err := s.UserByID(ctx(t), id)
	if err != nil {
		t.Fatalf("UserByID(%s): %v", id, err)
	}
	return u
}

func testMeta(t *testing.T, s verifier.Store) {
	if _, err := s.Meta(ctx(t), "absent"); !errors.Is(err, verifier.ErrNotFound) {
		t.Fatalf("Meta(absent) = %v, want ErrNotFound", err)
	}
	got, err := s.InitMeta(ctx(t), "pid", []byte("first"))
	if err != nil || string(got) != "first" {
		t.Fatalf("InitMeta first = %q, %v", got, err)
	}
	got, err = s.InitMeta(ctx(t), "pid", []byte("second"))
	if err != nil || string(got) != "first" {
		t.Fatalf("InitMeta again = %q, %v; want the first value kept", got, err)
	}
	if err := s.SetMeta(ctx(t), "pid", []byte("third")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Meta(ctx(t), "pid"); err != nil || string(got) != "third" {
		t.Fatalf("Meta after SetMeta = %q, %v", got, err)
	}
	bin := []byte{0, 1, 2, 0xff, 0}
	if err := s.SetMeta(ctx(t), "bin", bin); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Meta(ctx(t), "bin"); err != nil || !bytes.Equal(got, bin) {
		t.Fatalf("binary Meta = %x, %v", got, err)
	}
}

func testUsers(t *testing.T, s verifier.Store) {
	if _, err := s.UserByLoginID(ctx(t), "nobody"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("UserByLoginID(nobody) = %v, want ErrUnknownUser", err)
	}
	if _, err := s.UserByID(ctx(t), "U0"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("UserByID(U0) = %v, want ErrUnknownUser", err)
	}
	bob := user("U2", "bob", false)
	alice := user("U1", "alice", true)
	alice.LastStep, alice.StepDrift = 1234, -1
	mustCreate(t, s, bob)
	mustCreate(t, s, alice)
	if err := s.CreateUser(ctx(t), user("U3", "alice", true)); !errors.Is(err, verifier.ErrUserExists) {
		t.Fatalf("CreateUser with a taken login id = %v, want ErrUserExists", err)
	}
	if err := s.CreateUser(ctx(t), user("U1", "carol", true)); !errors.Is(err, verifier.ErrUserExists) {
		t.Fatalf("CreateUser with a taken id = %v, want ErrUserExists", err)
	}
	got, err := s.UserByLoginID(ctx(t), "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := alice
	if got != want {
		t.Fatalf("UserByLoginID(alice) = %+v\nwant %+v", got, want)
	}
	if got := mustUser(t, s, "U2"); got != bob {
		t.Fatalf("UserByID(U2) = %+v\nwant %+v", got, bob)
	}
	list, err := s.ListUsers(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].LoginID != "alice" || list[1].LoginID != "bob" {
		t.Fatalf("ListUsers = %+v, want alice then bob", list)
	}
	if err := s.DeleteUser(ctx(t), "U1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx(t), "U1"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("DeleteUser twice = %v, want ErrUnknownUser", err)
	}
	if _, err := s.UserByLoginID(ctx(t), "alice"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("deleted user still loads: %v", err)
	}
	// The login id is free again.
	mustCreate(t, s, user("U4", "alice", true))
}

func testSeeds(t *testing.T, s verifier.Store) {
	if err := s.PutPendingSeed(ctx(t), "U404", seed("s0")); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("PutPendingSeed(no user) = %v, want ErrUnknownUser", err)
	}
	if _, _, err := s.Seeds(ctx(t), "U404"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("Seeds(no user) = %v, want ErrUnknownUser", err)
	}
	if err := s.DeleteSeeds(ctx(t), "U404"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("DeleteSeeds(no user) = %v, want ErrUnknownUser", err)
	}
	mustCreate(t, s, user("U1", "alice", false))
	if a, p, err := s.Seeds(ctx(t), "U1"); err != nil || a != nil || p != nil {
		t.Fatalf("Seeds of a user without seeds = %v, %v, %v", a, p, err)
	}
	for _, id := range []string{"s1", "s2"} { // the second replaces the first
		if err := s.PutPendingSeed(ctx(t), "U1", seed(id)); err != nil {
			t.Fatal(err)
		}
	}
	a, p, err := s.Seeds(ctx(t), "U1")
	if err != nil || a != nil || p == nil {
		t.Fatalf("Seeds = %v, %v, %v; want only a pending seed", a, p, err)
	}
	if want := seed("s2"); !seedEqual(*p, want) {
		t.Fatalf("pending seed = %+v, want %+v", *p, want)
	}
	u := mustUser(t, s, "U1")
	if u.HasActiveSeed || !u.HasPendingSeed {
		t.Fatalf("flags = active %v pending %v, want false true", u.HasActiveSeed, u.HasPendingSeed)
	}
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s2", 100, 0, t0); err != nil || !ok {
		t.Fatalf("PromotePending = %v, %v", ok, err)
	}
	// An update: a new pending seed next to the active one.
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s3")); err != nil {
		t.Fatal(err)
	}
	a, p, err = s.Seeds(ctx(t), "U1")
	if err != nil || a == nil || p == nil || a.ID != "s2" || p.ID != "s3" {
		t.Fatalf("Seeds after update = %v, %v, %v; want active s2, pending s3", a, p, err)
	}
	u = mustUser(t, s, "U1")
	if !u.HasActiveSeed || !u.HasPendingSeed {
		t.Fatalf("flags = active %v pending %v, want true true", u.HasActiveSeed, u.HasPendingSeed)
	}
	if err := s.DeleteSeeds(ctx(t), "U1"); err != nil {
		t.Fatal(err)
	}
	if a, p, err := s.Seeds(ctx(t), "U1"); err != nil || a != nil || p != nil {
		t.Fatalf("Seeds after DeleteSeeds = %v, %v, %v", a, p, err)
	}
	if err := s.DeleteSeeds(ctx(t), "U1"); err != nil {
		t.Fatalf("DeleteSeeds of a user without seeds = %v, want nil", err)
	}
}

func seedEqual(a, b verifier.SealedSeed) bool {
	return a.ID == b.ID && bytes.Equal(a.Ciphertext, b.Ciphertext) && bytes.Equal(a.Nonce, b.Nonce) &&
		a.KeyID == b.KeyID && a.Algorithm == b.Algorithm && a.Digits == b.Digits && a.Period == b.Period &&
		a.Created.Equal(b.Created)
}

func testChargeAttempt(t *testing.T, s verifier.Store) {
	const max, lock = 3, 5 * time.Minute
	if _, err := s.ChargeAttempt(ctx(t), "U404", t0, max, lock); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("ChargeAttempt(no user) = %v, want ErrUnknownUser", err)
	}
	mustCreate(t, s, user("U1", "alice", true))
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s1")); err != nil {
		t.Fatal(err)
	}
	now := t0
	for i := 1; i <= max; i++ {
		a, err := s.ChargeAttempt(ctx(t), "U1", now, max, lock)
		if err != nil || !a.Allowed || a.Count != i {
			t.Fatalf("attempt %d = %+v, %v; want allowed with count %d", i, a, err, i)
		}
		if a.ActiveSeedID != "" || a.PendingSeedID != "s1" {
			t.Fatalf("attempt %d saw seeds %q (active) and %q (pending), want none and s1", i, a.ActiveSeedID, a.PendingSeedID)
		}
		wantLock := time.Time{}
		if i == max {
			wantLock = now.Add(lock)
		}
		if !a.LockedUntil.Equal(wantLock) {
			t.Fatalf("attempt %d locked until %v, want %v", i, a.LockedUntil, wantLock)
		}
		now = now.Add(time.Second)
	}
	lockedUntil := now.Add(-time.Second).Add(lock)
	if u := mustUser(t, s, "U1"); u.FailedAttempts != max || !u.LockedUntil.Equal(lockedUntil) {
		t.Fatalf("user after %d attempts: count %d locked until %v", max, u.FailedAttempts, u.LockedUntil)
	}
	for _, at := range []time.Time{now, lockedUntil.Add(-time.Millisecond)} {
		a, err := s.ChargeAttempt(ctx(t), "U1", at, max, lock)
		if err != nil || a.Allowed || !a.LockedUntil.Equal(lockedUntil) {
			t.Fatalf("attempt while locked at %v = %+v, %v; want refused until %v", at, a, err, lockedUntil)
		}
	}
	if u := mustUser(t, s, "U1"); u.FailedAttempts != max {
		t.Fatalf("refused attempts were counted: %d", u.FailedAttempts)
	}
	// The lock expires: counting starts over.
	a, err := s.ChargeAttempt(ctx(t), "U1", lockedUntil, max, lock)
	if err != nil || !a.Allowed || a.Count != 1 || !a.LockedUntil.IsZero() {
		t.Fatalf("attempt after the lock = %+v, %v; want allowed, count 1, no lock", a, err)
	}
	// A success clears the count.
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s1", 10, 0, lockedUntil); err != nil || !ok {
		t.Fatalf("PromotePending = %v, %v", ok, err)
	}
	if u := mustUser(t, s, "U1"); u.FailedAttempts != 0 || !u.LockedUntil.IsZero() {
		t.Fatalf("after a success: count %d locked until %v, want 0 and none", u.FailedAttempts, u.LockedUntil)
	}
	// A success on the attempt that set the lock lifts it.
	for i := 1; i <= max; i++ {
		if a, err := s.ChargeAttempt(ctx(t), "U1", lockedUntil, max, lock); err != nil || !a.Allowed {
			t.Fatalf("attempt %d = %+v, %v", i, a, err)
		} else if a.ActiveSeedID != "s1" || a.PendingSeedID != "" {
			t.Fatalf("attempt %d after the promotion saw seeds %q (active) and %q (pending), want s1 and none", i, a.ActiveSeedID, a.PendingSeedID)
		}
	}
	if ok, err := s.ConsumeStep(ctx(t), "U1", "s1", 11, 0, lockedUntil); err != nil || !ok {
		t.Fatalf("ConsumeStep = %v, %v", ok, err)
	}
	if a, err := s.ChargeAttempt(ctx(t), "U1", lockedUntil, max, lock); err != nil || !a.Allowed || a.Count != 1 {
		t.Fatalf("attempt after a success = %+v, %v; want allowed with count 1", a, err)
	}
	// The seeds the charge reports follow every change, so a caller can trust seeds it
	// read earlier only while they match.
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s2")); err != nil {
		t.Fatal(err)
	}
	if a, err := s.ChargeAttempt(ctx(t), "U1", lockedUntil, max, lock); err != nil || a.ActiveSeedID != "s1" || a.PendingSeedID != "s2" {
		t.Fatalf("attempt with a new pending seed = %+v, %v; want seeds s1 and s2", a, err)
	}
	if err := s.DeleteSeeds(ctx(t), "U1"); err != nil {
		t.Fatal(err)
	}
	if a, err := s.ChargeAttempt(ctx(t), "U1", lockedUntil, max, lock); err != nil || a.ActiveSeedID != "" || a.PendingSeedID != "" {
		t.Fatalf("attempt after DeleteSeeds = %+v, %v; want no seeds", a, err)
	}
}

func testConsumeStep(t *testing.T, s verifier.Store) {
	mustCreate(t, s, user("U1", "alice", true))
	if ok, err := s.ConsumeStep(ctx(t), "U1", "s1", 100, 0, t0); err != nil || ok {
		t.Fatalf("ConsumeStep without an active seed = %v, %v; want false", ok, err)
	}
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s1")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ConsumeStep(ctx(t), "U1", "s1", 100, 0, t0); err != nil || ok {
		t.Fatalf("ConsumeStep with a pending seed only = %v, %v; want false", ok, err)
	}
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s1", 100, 0, t0); err != nil || !ok {
		t.Fatalf("PromotePending = %v, %v", ok, err)
	}
	steps := []struct {
		step  uint64
		seed  string
		drift int
		want  bool
	}{
		{100, "s1", 0, false}, // the step that promoted it
		{99, "s1", 0, false},  // older
		{101, "other", 1, false},
		{101, "s1", 1, true},
		{101, "s1", 1, false}, // replay
		{103, "s1", -1, true},
		{102, "s1", 0, false},
		{1 << 40, "s1", 0, true}, // past 2038: 64-bit steps
	}
	for _, c := range steps {
		ok, err := s.ConsumeStep(ctx(t), "U1", c.seed, c.step, c.drift, t0)
		if err != nil || ok != c.want {
			t.Fatalf("ConsumeStep(step %d, seed %s) = %v, %v; want %v", c.step, c.seed, ok, err, c.want)
		}
	}
	if u := mustUser(t, s, "U1"); u.LastStep != 1<<40 || u.StepDrift != 0 {
		t.Fatalf("last step %d drift %d, want %d 0", u.LastStep, u.StepDrift, int64(1)<<40)
	}
	if ok, err := s.ConsumeStep(ctx(t), "U404", "s1", 1<<41, 0, t0); err != nil || ok {
		t.Fatalf("ConsumeStep(no user) = %v, %v; want false", ok, err)
	}
}

func testPromotePending(t *testing.T, s verifier.Store) {
	mustCreate(t, s, user("U1", "alice", false))
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s1", 100, 0, t0); err != nil || ok {
		t.Fatalf("PromotePending without a pending seed = %v, %v", ok, err)
	}
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s1")); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s0", 100, 0, t0); err != nil || ok {
		t.Fatalf("PromotePending of a replaced seed id = %v, %v", ok, err)
	}
	ok, first, err := s.PromotePending(ctx(t), "U1", "s1", 100, -1, t0)
	if err != nil || !ok || !first {
		t.Fatalf("first PromotePending = %v, %v, %v; want promoted and first seen", ok, first, err)
	}
	u := mustUser(t, s, "U1")
	if !u.Active || !u.HasActiveSeed || u.HasPendingSeed || u.LastStep != 100 || u.LastSeedID != "s1" || u.StepDrift != -1 {
		t.Fatalf("user after promotion = %+v", u)
	}
	// Update: the new seed replaces the active one once its code verifies, also in the
	// step the old seed's code was accepted in: a code is one use of one seed in one
	// step, and this is the new seed's first.
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s2")); err != nil {
		t.Fatal(err)
	}
	ok, first, err = s.PromotePending(ctx(t), "U1", "s2", 100, 0, t0)
	if err != nil || !ok || first {
		t.Fatalf("update PromotePending in the old seed's step = %v, %v, %v; want promoted, not first seen", ok, first, err)
	}
	a, p, err := s.Seeds(ctx(t), "U1")
	if err != nil || a == nil || a.ID != "s2" || p != nil {
		t.Fatalf("Seeds after update = %v, %v, %v; want active s2 only", a, p, err)
	}
	if u := mustUser(t, s, "U1"); u.LastStep != 100 || u.LastSeedID != "s2" {
		t.Fatalf("after the update the last step is %d of seed %q, want 100 of s2", u.LastStep, u.LastSeedID)
	}
	// The new seed's step 100 is now used: the guard holds for it as for any seed.
	for _, st := range []uint64{100, 99} {
		if ok, err := s.ConsumeStep(ctx(t), "U1", "s2", st, 0, t0); err != nil || ok {
			t.Fatalf("ConsumeStep(s2, step %d) after its promotion = %v, %v; want false", st, ok, err)
		}
	}
	if ok, err := s.ConsumeStep(ctx(t), "U1", "s2", 101, 0, t0); err != nil || !ok {
		t.Fatalf("ConsumeStep(s2, step 101) = %v, %v; want true", ok, err)
	}
	// A pending seed whose promotion lost to nothing else still cannot take a step of
	// its own twice: once promoted, its step is spent.
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s3")); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s3", 90, 0, t0); err != nil || !ok {
		t.Fatalf("PromotePending(s3, an earlier step than s2's last) = %v, %v; want promoted", ok, err)
	}
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s3", 90, 0, t0); err != nil || ok {
		t.Fatalf("PromotePending(s3) again = %v, %v; want false", ok, err)
	}
	if ok, _, err := s.PromotePending(ctx(t), "U404", "s2", 200, 0, t0); err != nil || ok {
		t.Fatalf("PromotePending(no user) = %v, %v", ok, err)
	}
}

func testDeleteCascades(t *testing.T, s verifier.Store) {
	mustCreate(t, s, user("U1", "alice", false))
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s1")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx(t), "U1"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, user("U1", "alice", false))
	if a, p, err := s.Seeds(ctx(t), "U1"); err != nil || a != nil || p != nil {
		t.Fatalf("a re-created user inherited seeds: %v, %v, %v", a, p, err)
	}
}

// testSignInLoader checks the optional one-read load against UserByLoginID and Seeds.
func testSignInLoader(t *testing.T, s verifier.Store) {
	ld, ok := s.(verifier.SignInLoader)
	if !ok {
		t.Skip("the store has no UserWithSeeds (optional)")
	}
	if _, _, _, err := ld.UserWithSeeds(ctx(t), "nobody"); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("UserWithSeeds(nobody) = %v, want ErrUnknownUser", err)
	}
	mustCreate(t, s, user("U1", "alice", false))
	mustCreate(t, s, user("U2", "bob", false))
	check := func(stage string) {
		t.Helper()
		u, a, p, err := ld.UserWithSeeds(ctx(t), "alice")
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		wu, _ := s.UserByLoginID(ctx(t), "alice")
		wa, wp, _ := s.Seeds(ctx(t), "U1")
		if u != wu || (a == nil) != (wa == nil) || (p == nil) != (wp == nil) ||
			a != nil && !seedEqual(*a, *wa) || p != nil && !seedEqual(*p, *wp) {
			t.Fatalf("%s: UserWithSeeds = %+v %v %v\nwant %+v %v %v", stage, u, a, p, wu, wa, wp)
		}
	}
	check("no seeds")
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s1")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPendingSeed(ctx(t), "U2", seed("other")); err != nil {
		t.Fatal(err)
	}
	check("pending")
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s1", 5, 0, t0); err != nil || !ok {
		t.Fatalf("PromotePending = %v, %v", ok, err)
	}
	check("active")
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s2")); err != nil {
		t.Fatal(err)
	}
	check("active and pending")
}

func testRevocation(t *testing.T, s verifier.Store) {
	if r, err := s.TokenRevoked(ctx(t), "j1"); err != nil || r {
		t.Fatalf("TokenRevoked(j1) = %v, %v before revocation", r, err)
	}
	exp := t0.Add(time.Hour)
	for range 2 {
		if err := s.RevokeToken(ctx(t), "j1", exp, t0); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
	}
	if r, err := s.TokenRevoked(ctx(t), "j1"); err != nil || !r {
		t.Fatalf("TokenRevoked(j1) = %v, %v after revocation", r, err)
	}
	if r, err := s.TokenRevoked(ctx(t), "j2"); err != nil || r {
		t.Fatalf("TokenRevoked(j2) = %v, %v; only j1 was revoked", r, err)
	}
	// Purging at a later revocation must keep entries that have not expired.
	if err := s.RevokeToken(ctx(t), "j2", exp.Add(time.Hour), exp.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, j := range []string{"j1", "j2"} {
		if r, err := s.TokenRevoked(ctx(t), j); err != nil || !r {
			t.Fatalf("TokenRevoked(%s) = %v, %v; an unexpired revocation was dropped", j, r, err)
		}
	}

	// Log out everywhere: the user's instant only moves forward.
	if err := s.RevokeUserTokens(ctx(t), "U404", t0); !errors.Is(err, verifier.ErrUnknownUser) {
		t.Fatalf("RevokeUserTokens(no user) = %v, want ErrUnknownUser", err)
	}
	mustCreate(t, s, user("U1", "alice", true))
	if u := mustUser(t, s, "U1"); !u.TokensNotBefore.IsZero() {
		t.Fatalf("a new user's tokens are revoked before %v", u.TokensNotBefore)
	}
	later := t0.Add(time.Hour)
	for _, at := range []time.Time{later, t0} {
		if err := s.RevokeUserTokens(ctx(t), "U1", at); err != nil {
			t.Fatalf("RevokeUserTokens(%v): %v", at, err)
		}
	}
	if u := mustUser(t, s, "U1"); !u.TokensNotBefore.Equal(later) {
		t.Fatalf("tokens revoked before %v, want %v (an earlier instant must not move it back)", u.TokensNotBefore, later)
	}
	if _, err := s.UserByLoginID(ctx(t), "alice"); err != nil {
		t.Fatal(err)
	}
}

// parallel runs fn n times at once and counts the true results; errors fail the test.
func parallel(t *testing.T, n int, fn func(i int) (bool, error)) int {
	t.Helper()
	var (
		wins  atomic.Int32
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make(chan error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			ok, err := fn(i)
			if err != nil {
				errs <- err
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return int(wins.Load())
}

func testConcurrentConsume(t *testing.T, s verifier.Store) {
	mustCreate(t, s, user("U1", "alice", false))
	if err := s.PutPendingSeed(ctx(t), "U1", seed("s1")); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.PromotePending(ctx(t), "U1", "s1", 1, 0, t0); err != nil || !ok {
		t.Fatalf("PromotePending = %v, %v", ok, err)
	}
	for round := uint64(2); round < 12; round++ {
		wins := parallel(t, 50, func(int) (bool, error) {
			return s.ConsumeStep(ctx(t), "U1", "s1", round, 0, t0)
		})
		if wins != 1 {
			t.Fatalf("round %d: %d of 50 concurrent ConsumeStep calls won, want exactly 1", round, wins)
		}
	}
}

func testConcurrentCharge(t *testing.T, s verifier.Store) {
	const max = 5
	mustCreate(t, s, user("U1", "alice", true))
	now := t0
	for round := range 5 {
		allowed := parallel(t, 100, func(int) (bool, error) {
			a, err := s.ChargeAttempt(ctx(t), "U1", now, max, time.Minute)
			return a.Allowed, err
		})
		if allowed != max {
			t.Fatalf("round %d: %d of 100 concurrent attempts were allowed, want exactly %d", round, allowed, max)
		}
		now = now.Add(time.Minute) // the lock expires
	}
}

func testConcurrentPromote(t *testing.T, s verifier.Store) {
	for round := range 5 {
		id := fmt.Sprintf("U%d", round)
		mustCreate(t, s, user(id, "user"+id, false))
		if err := s.PutPendingSeed(ctx(t), id, seed("s"+id)); err != nil {
			t.Fatal(err)
		}
		var firsts atomic.Int32
		wins := parallel(t, 20, func(i int) (bool, error) {
			// Half present the same step, half a later one: one promotion only.
			ok, first, err := s.PromotePending(ctx(t), id, "s"+id, uint64(100+i%2), 0, t0)
			if first {
				firsts.Add(1)
			}
			return ok, err
		})
		if wins != 1 || firsts.Load() != 1 {
			t.Fatalf("round %d: %d promotions and %d first sign-ins from 20 concurrent calls, want 1 and 1", round, wins, firsts.Load())
		}
		// An update confirmed in the step the active seed was just used in: the new
		// seed's code is its first, and of 20 concurrent confirmations one wins.
		if err := s.PutPendingSeed(ctx(t), id, seed("t"+id)); err != nil {
			t.Fatal(err)
		}
		last := mustUser(t, s, id).LastStep
		wins = parallel(t, 20, func(int) (bool, error) {
			ok, _, err := s.PromotePending(ctx(t), id, "t"+id, uint64(last), 0, t0)
			return ok, err
		})
		if wins != 1 {
			t.Fatalf("round %d: %d of 20 concurrent update confirmations in the old seed's step won, want exactly 1", round, wins)
		}
	}
}
