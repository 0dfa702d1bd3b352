package execstore_test

import (
	"testing"

	"github.com/otpair/otpair/verifier/flow/execstore"
	"github.com/otpair/otpair/verifier/flow/execstore/execstoretest"
)

func TestMemoryStore(t *testing.T) {
	execstoretest.Run(t, func(*testing.T) execstore.Store { return execstore.NewMemoryStore() })
}
