package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/postgres/pgtest"
	"github.com/otpair/otpair/verifier/storetest"
)

// Two pools on one database, as two otpair serve instances have.
func TestPostgresShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (a, b verifier.Store) {
		dsn := pgtest.DSN(t)
		for _, s := range []*verifier.Store{&a, &b} {
			db, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			*s = db
		}
		return a, b
	})
}

// Rows from before migration 4, or from an older otpair still writing to the
// database: inserted without a login key, keyed when an instance starts.
func TestPostgresLegacyLoginKeys(t *testing.T) {
	storetest.RunLegacyKeys(t, func(t *testing.T) (func(id, login string, created time.Time), func() verifier.Store) {
		dsn := pgtest.DSN(t)
		first, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		first.Close()
		raw, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close(context.Background()) })
		insert := func(id, login string, created time.Time) {
			if _, err := raw.Exec(t.Context(), `INSERT INTO users (id, login_id, active, created_at, last_step, updated_at)
				VALUES ($1, $2, 1, $3, NULL, $3)`, id, login, created.UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
		reopen := func() verifier.Store {
			s, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		return insert, reopen
	})
}
