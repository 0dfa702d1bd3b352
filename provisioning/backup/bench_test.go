package backup

import (
	"math/rand/v2"
	"testing"

	"github.com/otpair/otpair/provisioning"
)

// benchKeys are 500 TOTP accounts, as the import benchmark's.
func benchKeys() []provisioning.Key {
	return randomKeys(rand.New(rand.NewPCG(1, 1)), 500)
}

// BenchmarkReadAegisEncrypted: reading an encrypted Aegis backup of 500 accounts, whose
// cost is the scrypt of its password slot (N=2^15, r=8, p=1).
func BenchmarkReadAegisEncrypted(b *testing.B) {
	data, _, err := WriteAegis(benchKeys(), []byte("bench"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Read(data, pw("bench", nil)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadAegisPlain: the same 500 accounts in clear: everything but the KDF.
func BenchmarkReadAegisPlain(b *testing.B) {
	data, _, err := WriteAegis(benchKeys(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Read(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadTwoFASEncrypted: an encrypted 2FAS backup of 500 accounts (PBKDF2-SHA256,
// 10,000 iterations).
func BenchmarkReadTwoFASEncrypted(b *testing.B) {
	data := write2FAS(benchKeys(), "bench")
	for b.Loop() {
		if _, err := Read(data, pw("bench", nil)); err != nil {
			b.Fatal(err)
		}
	}
}
