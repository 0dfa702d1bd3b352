package backup

import (
	"crypto/pbkdf2"
	"fmt"
	"hash"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/scrypt"
)

// Limits caps what a file may make otpair's key derivation spend, so a file that asks
// for gigabytes or hours is refused before any KDF work. The defaults sit above every
// real export seen: Aegis asks scrypt for 32 MiB (N=2^15, r=8), Ente's "nominal"
// export Argon2id for 256 MiB over 16 passes (4 GiB in all, as every Ente export:
// Ente halves the memory and doubles the passes until a phone copes), Bitwarden at
// most 1 GiB over 10 passes or 2 million PBKDF2 iterations, andOTP 160,000.
type Limits struct {
	MaxMemory        int64 // bytes scrypt or Argon2 may hold (default 1 GiB)
	MaxArgon2Work    int64 // Argon2 memory × passes, in bytes (default 16 GiB)
	MaxScryptWork    int64 // scrypt N × r × p (default 2^24: 8 s or so, at most)
	MaxPBKDF2        int64 // PBKDF2 iterations (default 10,000,000)
	MaxArgon2Threads int64 // Argon2 parallelism (default 16, Bitwarden's most)
}

// DefaultLimits are the caps used where Options.Limits leaves a field zero.
var DefaultLimits = Limits{
	MaxMemory:        1 << 30,
	MaxArgon2Work:    16 << 30,
	MaxScryptWork:    1 << 24,
	MaxPBKDF2:        10_000_000,
	MaxArgon2Threads: 16,
}

func (l Limits) orDefault() Limits {
	def := DefaultLimits
	pick := func(v, d int64) int64 {
		if v > 0 {
			return v
		}
		return d
	}
	return Limits{
		MaxMemory:        pick(l.MaxMemory, def.MaxMemory),
		MaxArgon2Work:    pick(l.MaxArgon2Work, def.MaxArgon2Work),
		MaxScryptWork:    pick(l.MaxScryptWork, def.MaxScryptWork),
		MaxPBKDF2:        pick(l.MaxPBKDF2, def.MaxPBKDF2),
		MaxArgon2Threads: pick(l.MaxArgon2Threads, def.MaxArgon2Threads),
	}
}

// mib writes bytes as MiB for messages.
func mib(b int64) string { return fmt.Sprintf("%d MiB", b>>20) }

// scryptParams are a file's scrypt parameters.
type scryptParams struct {
	N, R, P int64
	Salt    []byte
}

// check refuses parameters scrypt would reject or that are over the limits, with the
// figures.
func (p scryptParams) check(l Limits) error {
	if p.N < 2 || p.N&(p.N-1) != 0 || p.R < 1 || p.P < 1 || p.N > 1<<40 || p.R > 1<<20 || p.P > 1<<20 {
		return invalid("scrypt parameters N=%d, r=%d, p=%d are not valid (N a power of 2 above 1, r and p at least 1)", p.N, p.R, p.P)
	}
	if mem := 128 * p.N * p.R; mem > l.MaxMemory {
		return fmt.Errorf("%w: scrypt N=%d, r=%d needs %s of memory; otpair allows at most %s", ErrKDFLimit, p.N, p.R, mib(mem), mib(l.MaxMemory))
	}
	if work := p.N * p.R * p.P; work > l.MaxScryptWork || work <= 0 {
		return fmt.Errorf("%w: scrypt N=%d, r=%d, p=%d is %d units of work; otpair allows at most %d", ErrKDFLimit, p.N, p.R, p.P, p.N*p.R*p.P, l.MaxScryptWork)
	}
	return nil
}

// key derives a 32-byte key; check must have passed.
func (p scryptParams) key(password []byte) ([]byte, error) {
	return scrypt.Key(password, p.Salt, int(p.N), int(p.R), int(p.P), 32)
}

// argon2Params are a file's Argon2id parameters.
type argon2Params struct {
	MemoryKiB int64 // memory in KiB
	Passes    int64
	Threads   int64
	Salt      []byte
}

// check refuses parameters Argon2 would reject or that are over the limits.
func (p argon2Params) check(l Limits) error {
	if p.Passes < 1 || p.Threads < 1 || p.MemoryKiB < 8*p.Threads || p.Threads > 255 || p.MemoryKiB > 1<<40 || p.Passes > 1<<32-1 {
		return invalid("Argon2id parameters (memory %d KiB, %d passes, %d threads) are not valid", p.MemoryKiB, p.Passes, p.Threads)
	}
	mem := p.MemoryKiB << 10
	if mem > l.MaxMemory {
		return fmt.Errorf("%w: Argon2id asks for %s of memory; otpair allows at most %s", ErrKDFLimit, mib(mem), mib(l.MaxMemory))
	}
	if work := mem * p.Passes; work > l.MaxArgon2Work || work/p.Passes != mem {
		return fmt.Errorf("%w: Argon2id asks for %s over %d passes (%s of work); otpair allows at most %s", ErrKDFLimit,
			mib(mem), p.Passes, mib(mem*p.Passes), mib(l.MaxArgon2Work))
	}
	if p.Threads > l.MaxArgon2Threads {
		return fmt.Errorf("%w: Argon2id asks for %d threads; otpair allows at most %d", ErrKDFLimit, p.Threads, l.MaxArgon2Threads)
	}
	return nil
}

// key derives an n-byte key; check must have passed.
func (p argon2Params) key(password []byte, n uint32) []byte {
	return argon2.IDKey(password, p.Salt, uint32(p.Passes), uint32(p.MemoryKiB), uint8(p.Threads), n)
}

// pbkdf2Params are a file's PBKDF2 parameters.
type pbkdf2Params struct {
	Hash       func() hash.Hash
	Iterations int64
	Salt       []byte
}

// check refuses an iteration count PBKDF2 would reject or that is over the limit.
func (p pbkdf2Params) check(l Limits) error {
	if p.Iterations < 1 {
		return invalid("PBKDF2 iteration count %d is not valid", p.Iterations)
	}
	if p.Iterations > l.MaxPBKDF2 {
		return fmt.Errorf("%w: PBKDF2 asks for %d iterations; otpair allows at most %d", ErrKDFLimit, p.Iterations, l.MaxPBKDF2)
	}
	return nil
}

// key derives an n-byte key; check must have passed.
func (p pbkdf2Params) key(password []byte, n int) ([]byte, error) {
	return pbkdf2.Key(p.Hash, string(password), p.Salt, int(p.Iterations), n)
}
