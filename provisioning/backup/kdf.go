package backup

import (
	"fmt"

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
