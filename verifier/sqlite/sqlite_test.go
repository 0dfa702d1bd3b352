package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/sqlite"
	"github.com/otpair/otpair/verifier/storetest"
)

func openSQLiteFile(t *testing.T) verifier.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "verifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openSQLiteMemory(t *testing.T) verifier.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.MemoryDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteFileConformance(t *testing.T)   { storetest.Run(t, openSQLiteFile) }
func TestSQLiteMemoryConformance(t *testing.T) { storetest.Run(t, openSQLiteMemory) }

func TestSQLiteFileIsPrivateAndMigratedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "verifier.db")
	for range 2 { // the second open finds the schema current
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(t.Context())
		if err != nil || v != 5 {
			t.Fatalf("SchemaVersion = %d, %v; want 5", v, err)
		}
		if err := s.SetMeta(t.Context(), "x", []byte("y")); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestSQLiteBadPaths(t *testing.T) {
	for _, p := range []string{"", filepath.Join(t.TempDir(), "no-such-dir", "x.db"), filepath.Join(t.TempDir(), "a?b.db")} {
		if s, err := sqlite.Open(t.Context(), p); err == nil {
			s.Close()
			t.Errorf("sqlite.Open(%q) succeeded, want an error", p)
		}
	}
}

// TestSQLiteWALStaysBounded: rejected sign-ins write only through ChargeAttempt, whose
// RETURNING row must not keep SQLite from its WAL auto-checkpoint (it runs when a
// statement steps to its end); without that the WAL grew by 4 kB per attempt.
func TestSQLiteWALStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "verifier.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateUser(t.Context(), verifier.UserRecord{ID: "U1", LoginID: "a", Created: now, LastStep: -1}); err != nil {
		t.Fatal(err)
	}
	const attempts = 2500 // 2.5 times the 1000-page auto-checkpoint
	for range attempts {
		if a, err := s.ChargeAttempt(t.Context(), "U1", now, 1<<30, time.Minute); err != nil || !a.Allowed {
			t.Fatalf("ChargeAttempt = %+v, %v", a, err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(1500 * 4120); fi.Size() > limit {
		t.Fatalf("WAL is %d bytes after %d attempts, want at most %d: the auto-checkpoint did not run", fi.Size(), attempts, limit)
	}
}
