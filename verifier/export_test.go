package verifier

import "context"

// What the external tests (package verifier_test, which may import the drivers and the
// HTTP API that verifier itself must not) use of the package's insides, and what they
// give the package's own tests in return.

// OpenSQLiteForTest opens the SQLite database at path (memoryDB: in memory) as the
// Store the package's own tests run on. verifier cannot import verifier/sqlite, not
// even in these tests (verifier/sqlite imports verifier), so drivers_test.go, in the
// external test package, sets it before any test runs.
var OpenSQLiteForTest func(ctx context.Context, path string) (Store, error)

// memoryDB is sqlite.MemoryDB.
const memoryDB = ":memory:"

// SealSeedForTest seals secret as userID's seed under l's seed key, as a sign-up does,
// so benchmarks can write users straight through a Store.
func (l *Local) SealSeedForTest(userID string, secret []byte) (ciphertext, nonce []byte, keyID string) {
	ct, nonce := l.seal.seal(secret, seedAAD(userID))
	return ct, nonce, l.seal.keyID
}

// Helpers of the package's own tests.
var (
	WrongCodeForTest = ltWrongCode
	IsWrongForTest   = isWrong
)
