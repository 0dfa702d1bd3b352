package verifier_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/storetest"
)

func openSQLiteFile(t *testing.T) verifier.Store {
	t.Helper()
	s, err := verifier.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "verifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openSQLiteMemory(t *testing.T) verifier.Store {
	t.Helper()
	s, err := verifier.OpenSQLite(t.Context(), verifier.MemoryDB)
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
		s, err := verifier.OpenSQLite(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(t.Context())
		if err != nil || v != 1 {
			t.Fatalf("SchemaVersion = %d, %v; want 1", v, err)
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
		if s, err := verifier.OpenSQLite(t.Context(), p); err == nil {
			s.Close()
			t.Errorf("OpenSQLite(%q) succeeded, want an error", p)
		}
	}
}
