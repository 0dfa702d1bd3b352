package postgres_test

import (
	"testing"

	"github.com/otpair/otpair/verifier/flow/execstore"
	"github.com/otpair/otpair/verifier/flow/execstore/execstoretest"
)

func TestPostgresFlowExecutions(t *testing.T) {
	execstoretest.Run(t, func(t *testing.T) execstore.Store { return openPostgres(t).(execstore.Store) })
}
