package verifier_test

import (
	"context"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/sqlite"
)

// The package's own tests run on real SQLite files (and in-memory databases), opened
// through this hook: they cannot import verifier/sqlite themselves.
func init() {
	verifier.OpenSQLiteForTest = func(ctx context.Context, path string) (verifier.Store, error) {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, err // a nil *sqlite.DB must not become a non-nil Store
		}
		return db, nil
	}
}
