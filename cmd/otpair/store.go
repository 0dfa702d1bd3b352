package main

import (
	"context"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/sqlite"
)

// openStore opens the verifier.Store that dsn names: a postgres:// or postgresql://
// URL opens PostgreSQL, for several instances sharing one database; anything else is
// the path of a SQLite file, or sqlite.MemoryDB. This is what `otpair serve --db` and
// OTPAIR_DB take.
func openStore(ctx context.Context, dsn string) (verifier.Store, error) {
	if postgres.IsDSN(dsn) {
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, err // a nil *sqlite.DB must not become a non-nil Store
	}
	return s, nil
}
