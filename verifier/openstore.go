package verifier

import (
	"context"
	"net/url"
	"strings"
)

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

// RedactDSN is dsn fit for logs and messages: a PostgreSQL URL without its password
// (and without any password option in its query); a SQLite path unchanged.
func RedactDSN(dsn string) string {
	if !IsPostgresDSN(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable connection string)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	for name := range q {
		if strings.Contains(strings.ToLower(name), "password") || strings.HasPrefix(strings.ToLower(name), "sslkey") {
			q.Set(name, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
