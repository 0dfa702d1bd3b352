package verifier

import "context"

// OpenStore opens the Store that dsn names: a postgres:// or postgresql:// URL opens
// PostgreSQL (OpenPostgres), for several instances sharing one database; anything else
// is the path of a SQLite file, or MemoryDB (OpenSQLite). This is what `otpair serve
// --db` and OTPAIR_DB take.
func OpenStore(ctx context.Context, dsn string) (Store, error) {
	if IsPostgresDSN(dsn) {
		s, err := OpenPostgres(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := OpenSQLite(ctx, dsn)
	if err != nil {
		return nil, err // a nil *SQLiteStore must not become a non-nil Store
	}
	return s, nil
}
