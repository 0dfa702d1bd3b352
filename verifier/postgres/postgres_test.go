package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/postgres/pgtest"
	"github.com/otpair/otpair/verifier/storetest"
)

func TestPostgresConformance(t *testing.T) { storetest.Run(t, openPostgres) }

// Several instances starting together on an empty database: every one opens, the
// migrations run once, and all agree on the values InitMeta stores first.
func TestPostgresConcurrentFirstStart(t *testing.T) {
	dsn := pgtest.DSN(t)
	const n = 6
	var (
		wg     sync.WaitGroup
		stores = make([]*postgres.DB, n)
		errs   = make([]error, n)
		values = make([][]byte, n)
		start  = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				errs[i] = err
				return
			}
			stores[i] = s
			values[i], errs[i] = s.InitMeta(t.Context(), "signing_key:RS256", fmt.Appendf(nil, "key of instance %d", i))
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if s != nil {
			defer s.Close()
		}
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
	}
	for i := range n {
		if !bytes.Equal(values[i], values[0]) {
			t.Fatalf("instance %d got %q, instance 0 got %q: they must agree on one value", i, values[i], values[0])
		}
	}
	if !bytes.HasPrefix(values[0], []byte("key of instance ")) {
		t.Fatalf("stored value %q", values[0])
	}
	v, err := stores[0].SchemaVersion(t.Context())
	if err != nil || v != 5 {
		t.Fatalf("SchemaVersion = %d, %v; want 5", v, err)
	}
	// A later start finds the schema current and keeps the data.
	again, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got, err := again.Meta(t.Context(), "signing_key:RS256"); err != nil || !bytes.Equal(got, values[0]) {
		t.Fatalf("Meta after reopening = %q, %v", got, err)
	}
}

// A connection string that cannot be parsed or reached gives an error that names the
// problem but never repeats the password.
func TestPostgresBadDSN(t *testing.T) {
	const secret = "hunter2-secret"
	for _, dsn := range []string{
		"postgres://u:" + secret + "@127.0.0.1:notaport/db",
		"postgres://u:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"postgres://u:" + secret + "@127.0.0.1/db?pool_max_conns=zero",
	} {
		s, err := postgres.Open(t.Context(), dsn)
		if err == nil {
			s.Close()
			t.Errorf("postgres.Open(%q) succeeded", dsn)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("postgres.Open error repeats the password: %v", err)
		}
	}
	if _, err := postgres.Open(t.Context(), "postgres://u:"+secret+"@127.0.0.1:notaport/db"); !errors.Is(err, verifier.ErrInvalidArgument) {
		t.Errorf("unparsable DSN: %v, want ErrInvalidArgument", err)
	}
}

func TestIsPostgresDSN(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u@h/db":       true,
		"postgresql://u@h/db":     true,
		"POSTGRES://u@h/db":       true,
		"/var/lib/otpair/v.db":    false,
		"postgres.db":             false,
		":memory:":                false, // sqlite.MemoryDB
		"file:postgres://x":       false,
		"./postgres:/verifier.db": false,
	} {
		if got := postgres.IsDSN(dsn); got != want {
			t.Errorf("IsDSN(%q) = %v, want %v", dsn, got, want)
		}
	}
}

// A sign-in with the old seed that reaches the database while an update's promotion
// holds the user's seed rows must not succeed once the promotion has replaced that
// seed, even with a later step than the promotion used: ConsumeStep waits for the
// seed row and then finds the old seed gone. The promotion is played by hand on a
// second connection so the interleaving is certain.
func TestPostgresConsumeWaitsForPromotion(t *testing.T) {
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	u := verifier.UserRecord{ID: "U1", LoginID: "alice", Created: time.Unix(1, 0), LastStep: -1}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	put := func(id string) {
		t.Helper()
		if err := s.PutPendingSeed(ctx, "U1", verifier.SealedSeed{ID: id, Ciphertext: []byte("c"), Nonce: []byte("n"),
			KeyID: "k", Algorithm: "SHA1", Digits: 6, Period: 30, Created: time.Unix(1, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	put("old")
	if ok, _, err := s.PromotePending(ctx, "U1", "old", 100, 0, time.Unix(2, 0)); err != nil || !ok {
		t.Fatalf("PromotePending(old) = %v, %v", ok, err)
	}
	put("new")

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	// What PromotePending does first: lock the seed rows.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM seeds WHERE user_id = 'U1' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		ok  bool
		err error
	}
	done := make(chan result, 1)
	go func() {
		ok, err := s.ConsumeStep(ctx, "U1", "old", 105, 0, time.Unix(3, 0))
		done <- result{ok, err}
	}()
	// Wait until the sign-in is blocked on a lock held by the promotion.
	for {
		var waiting int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%AS MATERIALIZED%' AND pid <> pg_backend_pid()`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("ConsumeStep finished (%v, %v) while the promotion held the seed rows", r.ok, r.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// The rest of the promotion, then commit.
	for _, q := range []string{
		`UPDATE users SET last_step = 101, active = 1 WHERE id = 'U1'`,
		`DELETE FROM seeds WHERE user_id = 'U1' AND kind = 'active'`,
		`UPDATE seeds SET kind = 'active' WHERE user_id = 'U1' AND kind = 'pending'`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.ok {
		t.Fatalf("ConsumeStep with the replaced seed = %v, %v; want false", r.ok, r.err)
	}
	if got, err := s.UserByID(ctx, "U1"); err != nil || got.LastStep != 101 {
		t.Fatalf("last step %d, %v; want the promotion's 101", got.LastStep, err)
	}
	// The new seed works at a later step.
	if ok, err := s.ConsumeStep(ctx, "U1", "new", 105, 0, time.Unix(3, 0)); err != nil || !ok {
		t.Fatalf("ConsumeStep with the new seed = %v, %v", ok, err)
	}
}

func TestRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://otpair:s3cret@db.example:5432/otpair?sslmode=require": "postgres://otpair:xxxxx@db.example:5432/otpair?sslmode=require",
		"postgres://otpair@127.0.0.1/postgres?sslmode=disable":            "postgres://otpair@127.0.0.1/postgres?sslmode=disable",
		"postgresql://h/db?password=s3cret&user=u":                        "postgresql://h/db?password=xxxxx&user=u",
		"/var/lib/otpair/verifier.db":                                     "/var/lib/otpair/verifier.db",
		"postgres://u:s3cret@h:notaport/db%":                              "postgres://(unparsable connection string)",
	} {
		got := postgres.RedactDSN(dsn)
		if got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", dsn, got, want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("RedactDSN(%q) kept the password", dsn)
		}
	}
}

// A database migrated by a newer otpair is refused, not written to with an old schema.
func TestPostgresNewerSchemaRefused(t *testing.T) {
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if s, err := postgres.Open(t.Context(), dsn); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("postgres.Open on a version 99 schema = %v, want an error saying it is newer", err)
	}
}
