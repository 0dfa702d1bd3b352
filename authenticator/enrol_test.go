package authenticator

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestEnrolReplacesThePreviousSeed: enrolling a new seed of an account (same issuer
// and name, another secret) replaces the old one in place, keeping its id, in one
// write that a fresh Open reads back; the same key again is a duplicate; another
// account is added.
func TestEnrolReplacesThePreviousSeed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	old := testKey(t, "otpair", "erin@example.com")
	other := testKey(t, "otpair", "frank@example.com")
	if _, err := v.Add(ctx, testKey(t, "GitHub", "erin"), old, other); err != nil {
		t.Fatal(err)
	}
	before, _ := v.Accounts(ctx)
	next := testKey(t, "otpair", "erin@example.com")
	if bytes.Equal(next.Secret, old.Secret) {
		t.Fatal("testKey gave the same secret twice")
	}
	res, err := v.Enrol(ctx, next)
	if err != nil || !res.Replaced || res.Duplicate || res.Account.ID != before[1].ID || !bytes.Equal(res.Account.Key.Secret, next.Secret) {
		t.Fatalf("Enrol of an updated seed = %+v, %v; want account %s replaced", res, err, before[1].ID)
	}
	again, err := Open(ctx, memOpts(dir, kr, ""))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := again.Accounts(ctx)
	if len(after) != 3 || after[1].ID != before[1].ID || !bytes.Equal(after[1].Key.Secret, next.Secret) || after[0].ID != before[0].ID {
		t.Fatalf("after the replacement the vault holds %v", after)
	}
	if res, err := v.Enrol(ctx, next); err != nil || !res.Duplicate || res.Replaced || res.Account.ID != before[1].ID {
		t.Fatalf("Enrol of the same key again = %+v, %v; want a duplicate", res, err)
	}
	res, err = v.Enrol(ctx, testKey(t, "otpair", "gina@example.com"))
	if err != nil || res.Replaced || res.Duplicate {
		t.Fatalf("Enrol of a new account = %+v, %v", res, err)
	}
	if all, _ := v.Accounts(ctx); len(all) != 4 {
		t.Fatalf("%d accounts, want 4", len(all))
	}
	bad := next
	bad.Digits = 12
	if _, err := v.Enrol(ctx, bad); err == nil {
		t.Fatal("an invalid key was enrolled")
	}
}

// TestPinnedAndLastUsedPersist: pins and the last use are stored in the vault and read
// back by a fresh Open; an older use does not overwrite a newer one.
func TestPinnedAndLastUsedPersist(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := &MemKeyring{}
	v := mustOpen(t, memOpts(dir, kr, ""))
	res, err := v.Add(ctx, testKey(t, "A", "a"), testKey(t, "B", "b"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Added[0].ID, res.Added[1].ID
	used := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := v.SetPinned(ctx, b, true); err != nil {
		t.Fatal(err)
	}
	if err := v.MarkUsed(ctx, a, used); err != nil {
		t.Fatal(err)
	}
	if err := v.MarkUsed(ctx, a, used.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, memOpts(dir, kr, ""))
	if err != nil {
		t.Fatal(err)
	}
	accts, _ := again.Accounts(ctx)
	if accts[0].Pinned || !accts[1].Pinned || !accts[0].LastUsed.Equal(used) || !accts[1].LastUsed.IsZero() {
		t.Fatalf("after a fresh open: %+v", accts)
	}
	if err := v.SetPinned(ctx, "nope", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pin of an unknown id: %v", err)
	}
}
