package main

import (
	"testing"

	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/postgres/pgtest"
	"github.com/otpair/otpair/verifier/sqlite"
)

// openStore picks the implementation by the DSN.
func TestOpenStore(t *testing.T) {
	path := t.TempDir() + "/verifier.db"
	s, err := openStore(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*sqlite.DB); !ok {
		t.Errorf("openStore(%q) = %T, want *sqlite.DB", path, s)
	}
	s.Close()
	if s, err := openStore(t.Context(), ""); err == nil || s != nil {
		t.Errorf("openStore(\"\") = %v, %v; want a nil Store and an error", s, err)
	}
	if s, err := openStore(t.Context(), "postgres://u@127.0.0.1:notaport/db"); err == nil || s != nil {
		t.Errorf("openStore(bad postgres URL) = %v, %v; want a nil Store and an error", s, err)
	}
	dsn := pgtest.DSN(t)
	s, err = openStore(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*postgres.DB); !ok {
		t.Errorf("openStore(postgres DSN) = %T, want *postgres.DB", s)
	}
}
