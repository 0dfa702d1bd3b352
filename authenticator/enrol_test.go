package authenticator

import (
	"bytes"
	"context"
	"testing"
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
