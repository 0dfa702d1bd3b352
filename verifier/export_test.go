package verifier

// What the external tests (package verifier_test, which may import the drivers and the
// HTTP API that verifier itself must not) use of the package's insides.

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
