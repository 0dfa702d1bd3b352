package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/sqlite"
	"github.com/otpair/otpair/verifier/storetest"
)

// Two opens of one file, as two processes on one machine have.
func TestSQLiteFileShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (a, b verifier.Store) {
		path := filepath.Join(t.TempDir(), "verifier.db")
		for _, s := range []*verifier.Store{&a, &b} {
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			*s = db
		}
		return a, b
	})
}

// Rows from before migration 4: written through the driver directly, without a login
// key, then keyed when the file is opened again.
func TestSQLiteLegacyLoginKeys(t *testing.T) {
	storetest.RunLegacyKeys(t, func(t *testing.T) (func(id, login string, created time.Time), func() verifier.Store) {
		path := filepath.Join(t.TempDir(), "verifier.db")
		first, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		first.Close()
		raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		insert := func(id, login string, created time.Time) {
			if _, err := raw.ExecContext(t.Context(), `INSERT INTO users (id, login_id, active, created_at, last_step, updated_at)
				VALUES (?, ?, 1, ?, NULL, ?)`, id, login, created.UnixMilli(), created.UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
		reopen := func() verifier.Store {
			raw.Close()
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		return insert, reopen
	})
}
