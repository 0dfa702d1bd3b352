package provisioning

import (
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// Step is the TOTP time step that t falls in for this key: floor(unix / period).
func (k Key) Step(t time.Time) uint64 {
	return uint64(t.Unix()) / uint64(k.Period)
}

// Remaining is how long the code shown at t stays valid.
func (k Key) Remaining(t time.Time) time.Duration {
	period := time.Duration(k.Period) * time.Second
	end := time.Unix(int64(k.Step(t)+1)*int64(k.Period), 0)
	if d := end.Sub(t); d <= period {
		return d
	}
	return period
}

// Code is the TOTP code of the key at time t (the key's Counter for an HOTP key: use
// CounterCode to choose the counter).
func (k Key) Code(t time.Time) (string, error) {
	switch k.Type {
	case HOTP:
		return k.CounterCode(k.Counter)
	case Steam:
		if k.Period <= 0 {
			return "", fieldErr("period", "must be a positive number of seconds, got %d", k.Period)
		}
		return k.StepCode(k.Step(t))
	}
	if err := k.Validate(); err != nil {
		return "", err
	}
	code, err := totp.GenerateCodeCustom(k.SecretBase32(), t, totp.ValidateOpts{
		Period:    uint(k.Period),
		Skew:      0,
		Digits:    otp.Digits(k.Digits),
		Algorithm: k.otpAlgorithm(),
	})
	if err != nil {
		return "", fmt.Errorf("generate totp code: %w", err)
	}
	return code, nil
}

// StepCode is the TOTP code of an explicit time step, for verifiers that must know which
// step a code matched (pquerna/otp's validator cannot say).
func (k Key) StepCode(step uint64) (string, error) {
	return k.CounterCode(step)
}

// CounterCode is the HOTP code for counter (RFC 4226); TOTP is HOTP of the time step.
// A Steam key's code is written in SteamAlphabet instead of decimal digits.
func (k Key) CounterCode(counter uint64) (string, error) {
	if err := k.Validate(); err != nil {
		return "", err
	}
	if k.Type == Steam {
		return k.steamCode(counter), nil
	}
	code, err := hotp.GenerateCodeCustom(k.SecretBase32(), counter, hotp.ValidateOpts{
		Digits:    otp.Digits(k.Digits),
		Algorithm: k.otpAlgorithm(),
	})
	if err != nil {
		return "", fmt.Errorf("generate hotp code: %w", err)
	}
	return code, nil
}

// Code is the key's code at t: a package-level form of Key.Code for callers that hold a
// key value.
func Code(k Key, t time.Time) (string, error) { return k.Code(t) }

func (k Key) otpAlgorithm() otp.Algorithm {
	switch k.Algorithm {
	case SHA256:
		return otp.AlgorithmSHA256
	case SHA512:
		return otp.AlgorithmSHA512
	default:
		return otp.AlgorithmSHA1
	}
}
