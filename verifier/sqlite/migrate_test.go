package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// TestMigrationKeepsTheReplayGuard: a database from before the per-seed replay guard
// (schema 2, the last step per user) keeps refusing the step its active seed last
// used, because the migration names that seed as the step's.
func TestMigrationKeepsTheReplayGuard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "verifier.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range append(sqliteMigrations[:2:2],
		`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (2)`,
		`INSERT INTO users (id, login_id, active, created_at, last_step, updated_at) VALUES ('U1', 'alice', 1, 1, 100, 1)`,
		`INSERT INTO users (id, login_id, active, created_at, updated_at) VALUES ('U2', 'bob', 1, 1, 1)`,
		`INSERT INTO seeds (user_id, kind, seed_id, ciphertext, nonce, key_id, algorithm, digits, period, created_at)
			VALUES ('U1', 'active', 's1', x'00', x'00', 'k', 'SHA1', 6, 30, 1), ('U2', 'active', 's2', x'00', x'00', 'k', 'SHA1', 6, 30, 1)`,
	) {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	old.Close()

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByID(t.Context(), "U1")
	if err != nil || u.LastStep != 100 || u.LastSeedID != "s1" {
		t.Fatalf("after the migration alice's last step is %d of %q (%v), want 100 of s1", u.LastStep, u.LastSeedID, err)
	}
	if ok, err := s.ConsumeStep(t.Context(), "U1", "s1", 100, 0, time.Unix(1e9, 0)); err != nil || ok {
		t.Fatalf("the step used before the migration is accepted again: %v, %v", ok, err)
	}
	if ok, err := s.ConsumeStep(t.Context(), "U1", "s1", 101, 0, time.Unix(1e9, 0)); err != nil || !ok {
		t.Fatalf("the next step after the migration: %v, %v", ok, err)
	}
	if u, err := s.UserByID(t.Context(), "U2"); err != nil || u.LastStep != -1 || u.LastSeedID != "" {
		t.Fatalf("a user without an accepted step got %d of %q (%v)", u.LastStep, u.LastSeedID, err)
	}
}
