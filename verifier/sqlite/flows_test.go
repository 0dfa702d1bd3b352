package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/otpair/otpair/verifier/flow/execstore"
	"github.com/otpair/otpair/verifier/flow/execstore/execstoretest"
	"github.com/otpair/otpair/verifier/sqlite"
)

func TestSQLiteFlowExecutions(t *testing.T) {
	execstoretest.Run(t, func(t *testing.T) execstore.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "verifier.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSQLiteMemoryFlowExecutions(t *testing.T) {
	execstoretest.Run(t, func(t *testing.T) execstore.Store {
		s, err := sqlite.Open(t.Context(), sqlite.MemoryDB)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
