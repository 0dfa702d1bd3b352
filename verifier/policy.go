package verifier

import (
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// MatchStep is the step-reporting TOTP check that pquerna/otp's validator lacks: it
// compares code, in constant time, with the key's code of every step from back steps
// before t's step to ahead steps after it (never below step 0), checking them all
// without stopping at a match, and returns the matched step and its distance from t's
// step (negative: the code's clock is behind). ok is false when no step matches.
func MatchStep(key provisioning.Key, code string, t time.Time, back, ahead int) (step uint64, drift int, ok bool, err error) {
	if key.Type != provisioning.TOTP {
		return 0, 0, false, fmt.Errorf("match step: %w: not a totp key", provisioning.ErrInvalidKey)
	}
	if err := key.Validate(); err != nil {
		return 0, 0, false, fmt.Errorf("match step: %w", err)
	}
	now := key.Step(t)
	lo := now - uint64(back)
	if uint64(back) > now {
		lo = 0
	}
	in := []byte(code)
	for s := lo; s <= now+uint64(ahead); s++ {
		c, err := key.StepCode(s)
		if err != nil {
			return 0, 0, false, fmt.Errorf("match step: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(c), in) == 1 && !ok {
			step, drift, ok = s, int(int64(s)-int64(now)), true
		}
	}
	return step, drift, ok, nil
}

// seedMatch is which seed and step a code matched; seed is nil for no match.
type seedMatch struct {
	seed  *SealedSeed
	step  uint64
	drift int
}

// match checks code against every given seed (nil ones skipped), all of them, and
// returns the first that matched in argument order (the active seed before the
// pending one).
func (l *Local) match(userID, code string, t time.Time, seeds ...*SealedSeed) (seedMatch, error) {
	var m seedMatch
	for _, seed := range seeds {
		if seed == nil {
			continue
		}
		secret, err := l.seal.open(seed.Ciphertext, seed.Nonce, seed.KeyID, seedAAD(userID))
		if err != nil {
			return seedMatch{}, fmt.Errorf("open seed: %w", err)
		}
		key := provisioning.Key{
			Type:      provisioning.TOTP,
			Secret:    secret,
			Algorithm: provisioning.Algorithm(seed.Algorithm),
			Digits:    seed.Digits,
			Period:    seed.Period,
		}
		step, drift, ok, err := MatchStep(key, code, t, l.back, l.ahead)
		clear(secret)
		if err != nil {
			return seedMatch{}, err
		}
		if ok && m.seed == nil {
			m = seedMatch{seed: seed, step: step, drift: drift}
		}
	}
	return m, nil
}
