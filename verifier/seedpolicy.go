package verifier

import (
	"fmt"

	"github.com/otpair/otpair/provisioning"
)

// SeedPolicy is what the seeds of new enrolments are: the HMAC algorithm, the number of
// digits and the period of their codes. A verifier that issues non-default seeds lets
// a developer see how an app and the authenticators its users have handle them
// (Keycloak offers the same choice); the default is what Descope issues.
type SeedPolicy struct {
	Algorithm provisioning.Algorithm // SHA1 (default), SHA256 or SHA512
	Digits    int                    // 6 (default) to 8
	Period    int                    // seconds, default 30
}

// Limits of SeedPolicy.Period: shorter codes cannot be typed in time, longer ones stay
// valid long enough to be worth stealing.
const (
	MinSeedPeriod = 10
	MaxSeedPeriod = 300
)

// DefaultSeedPolicy is Descope's seed: SHA1, 6 digits, 30 s.
var DefaultSeedPolicy = SeedPolicy{Algorithm: provisioning.SHA1, Digits: provisioning.DefaultDigits, Period: provisioning.DefaultPeriod}

// withDefaults fills the zero fields with DefaultSeedPolicy's.
func (p SeedPolicy) withDefaults() SeedPolicy {
	if p.Algorithm == "" {
		p.Algorithm = DefaultSeedPolicy.Algorithm
	}
	if p.Digits == 0 {
		p.Digits = DefaultSeedPolicy.Digits
	}
	if p.Period == 0 {
		p.Period = DefaultSeedPolicy.Period
	}
	return p
}

// Validate says what is wrong with a policy; zero fields stand for their defaults.
func (p SeedPolicy) Validate() error {
	p = p.withDefaults()
	switch p.Algorithm {
	case provisioning.SHA1, provisioning.SHA256, provisioning.SHA512:
	default:
		return fmt.Errorf("TOTP algorithm %q: want SHA1, SHA256 or SHA512", p.Algorithm)
	}
	if p.Digits < provisioning.MinDigits || p.Digits > provisioning.MaxDigits {
		return fmt.Errorf("TOTP digits %d: want %d to %d", p.Digits, provisioning.MinDigits, provisioning.MaxDigits)
	}
	if p.Period < MinSeedPeriod || p.Period > MaxSeedPeriod {
		return fmt.Errorf("TOTP period %ds: want %d to %d seconds", p.Period, MinSeedPeriod, MaxSeedPeriod)
	}
	return nil
}

// String is the policy as the flags spell it: "SHA256, 8 digits, 60s".
func (p SeedPolicy) String() string {
	p = p.withDefaults()
	return fmt.Sprintf("%s, %d digits, %ds", p.Algorithm, p.Digits, p.Period)
}

// secretBits is the size of a new secret: the hash's output size, as RFC 2104 advises
// for HMAC keys (a shorter key weakens the MAC) and as RFC 6238's test keys are.
func (p SeedPolicy) secretBits() int {
	switch p.Algorithm {
	case provisioning.SHA256:
		return 256
	case provisioning.SHA512:
		return 512
	}
	return provisioning.DefaultSecretBits
}
