// Package pgtest gives tests of the PostgreSQL store, and of what runs on it, a
// database of their own: a fresh schema on the test server that scripts/test.sh starts.
package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otpair/otpair/internal/external"
)

// DSN returns the DSN of a fresh, empty schema on the test server
// (OTPAIR_TEST_POSTGRES, which scripts/test.sh starts), dropped when the test ends.
// Tests skip without a server and fail under OTPAIR_REQUIRE_EXTERNAL=1.
func DSN(t testing.TB) string {
	t.Helper()
	base := external.Env(t, "OTPAIR_TEST_POSTGRES", "a PostgreSQL server")
	return FreshSchema(t, base)
}

// FreshSchema creates a schema with a random name on the server at base and returns
// base with search_path set to it, so each test has its own tables (and migrations)
// without the cost of a database per test.
func FreshSchema(t testing.TB, base string) string {
	t.Helper()
	schema := "t_" + strings.ToLower(rand.Text())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("OTPAIR_TEST_POSTGRES is not a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
