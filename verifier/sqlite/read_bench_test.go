package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/sqlite"
)

// BenchmarkUserWithSeeds is the one read of a sign-in that misses the sign-in cache:
// a user and its seeds by login id, among 10,000 users, on a SQLite file. Since login
// ids are matched by their key it is one statement with two index probes (an unkeyed
// row spelled so, else the key) where it was one probe; this measures what that costs.
func BenchmarkUserWithSeeds(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "verifier.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const users = 10000
	for i := range users {
		id := fmt.Sprintf("U%d", i)
		if err := st.CreateUser(ctx, verifier.UserRecord{ID: id, LoginID: fmt.Sprintf("user%d@example.com", i), Created: now, Active: true, LastStep: -1}); err != nil {
			b.Fatal(err)
		}
		if err := st.PutPendingSeed(ctx, id, verifier.SealedSeed{ID: "s" + id, Ciphertext: make([]byte, 48), Nonce: make([]byte, 12),
			KeyID: "k", Algorithm: "SHA1", Digits: 6, Period: 30, Created: now}); err != nil {
			b.Fatal(err)
		}
	}
	logins := make([]string, users)
	for i := range logins {
		logins[i] = fmt.Sprintf("user%d@example.com", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, _, err := st.UserWithSeeds(ctx, logins[i%users]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
