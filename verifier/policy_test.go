package verifier

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// rfcKey is the SHA1 key of RFC 6238 Appendix B, with its 8-digit codes.
var rfcKey = provisioning.Key{Type: provisioning.TOTP, Secret: []byte("12345678901234567890"),
	Algorithm: provisioning.SHA1, Digits: 8, Period: 30}

func TestMatchStepRFC6238Vectors(t *testing.T) {
	vectors := []struct {
		unix int64
		code string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	}
	for _, v := range vectors {
		at := time.Unix(v.unix, 0)
		step, drift, ok, err := MatchStep(rfcKey, v.code, at, 1, 1)
		if err != nil || !ok || step != uint64(v.unix/30) || drift != 0 {
			t.Errorf("t=%d: step %d drift %d ok %v err %v; want step %d drift 0", v.unix, step, drift, ok, err, v.unix/30)
		}
		// The same code 30 s later is one step behind; with no look-back it fails.
		if _, drift, ok, _ := MatchStep(rfcKey, v.code, at.Add(30*time.Second), 1, 1); !ok || drift != -1 {
			t.Errorf("t=%d+30s: ok %v drift %d, want a match one step back", v.unix, ok, drift)
		}
		if _, _, ok, _ := MatchStep(rfcKey, v.code, at.Add(30*time.Second), 0, 1); ok {
			t.Errorf("t=%d+30s matched with no look-back", v.unix)
		}
		if _, drift, ok, _ := MatchStep(rfcKey, v.code, at.Add(-30*time.Second), 1, 1); !ok || drift != 1 {
			t.Errorf("t=%d-30s: ok %v drift %d, want a match one step ahead", v.unix, ok, drift)
		}
	}
}

func TestMatchStepEdges(t *testing.T) {
	// At the epoch the window must not wrap below step 0 (pquerna/otp issue #97).
	code, _ := rfcKey.StepCode(0)
	if step, drift, ok, err := MatchStep(rfcKey, code, time.Unix(5, 0), 3, 0); err != nil || !ok || step != 0 || drift != 0 {
		t.Fatalf("step 0 at the epoch: %d %d %v %v", step, drift, ok, err)
	}
	for _, bad := range []string{"", "9428708", "942870820", "abcdefgh", "94287082\x00"} {
		if _, _, ok, err := MatchStep(rfcKey, bad, time.Unix(59, 0), 1, 1); ok || err != nil {
			t.Errorf("code %q: ok %v err %v, want no match", bad, ok, err)
		}
	}
	hotp := rfcKey
	hotp.Type = provisioning.HOTP
	if _, _, _, err := MatchStep(hotp, "94287082", time.Unix(59, 0), 1, 1); !errors.Is(err, provisioning.ErrInvalidKey) {
		t.Fatalf("HOTP key: %v, want ErrInvalidKey", err)
	}
	broken := rfcKey
	broken.Digits = 12
	if _, _, _, err := MatchStep(broken, "94287082", time.Unix(59, 0), 1, 1); !errors.Is(err, provisioning.ErrInvalidKey) {
		t.Fatalf("12 digits: %v, want ErrInvalidKey", err)
	}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{"123 456": "123456", " 123-456\t": "123456", "": "", "12a": "12a"} {
		if got := normalizeCode(in); got != want {
			t.Errorf("normalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMatchStepAgreesWithStepCode: MatchStep's own RFC 4226 arithmetic gives the codes
// provisioning's (pquerna/otp, itself checked against oathtool) gives, for every
// algorithm, 6 to 8 digits, odd periods and steps across the whole counter range.
func TestMatchStepAgreesWithStepCode(t *testing.T) {
	rng := rand.New(rand.NewPCG(4226, 6238))
	algs := []provisioning.Algorithm{provisioning.SHA1, provisioning.SHA256, provisioning.SHA512}
	for i := range 3000 {
		secret := make([]byte, 10+rng.IntN(55))
		for j := range secret {
			secret[j] = byte(rng.Uint32())
		}
		key := provisioning.Key{Type: provisioning.TOTP, Secret: secret, Algorithm: algs[i%3],
			Digits: 6 + rng.IntN(3), Period: 15 + rng.IntN(76)}
		step := rng.Uint64N(1 << 40)
		if i%10 == 0 {
			step = rng.Uint64() >> 1 // far beyond any clock, still a counter
		}
		want, err := key.StepCode(step)
		if err != nil {
			t.Fatal(err)
		}
		var buf [8]byte
		mac := hmacFor(t, key)
		if got := string(hotpCode(mac, step, key.Digits, buf[:0], nil)); got != want {
			t.Fatalf("key %d (%s, %d digits) step %d: hotpCode %s, StepCode %s", i, key.Algorithm, key.Digits, step, got, want)
		}
		if step < 1<<40 {
			at := time.Unix(int64(step)*int64(key.Period), 0)
			got, drift, ok, err := MatchStep(key, want, at, 1, 1)
			if err != nil || !ok || got != step || drift != 0 {
				t.Fatalf("key %d: MatchStep(StepCode(%d)) = %d, %d, %v, %v", i, step, got, drift, ok, err)
			}
		}
	}
}

func hmacFor(t *testing.T, key provisioning.Key) hash.Hash {
	t.Helper()
	switch key.Algorithm {
	case provisioning.SHA1:
		return hmac.New(sha1.New, key.Secret)
	case provisioning.SHA256:
		return hmac.New(sha256.New, key.Secret)
	case provisioning.SHA512:
		return hmac.New(sha512.New, key.Secret)
	}
	t.Fatalf("algorithm %q", key.Algorithm)
	return nil
}

// BenchmarkMatchStep: the window of three steps checked by MatchStep, beside the same
// three codes from provisioning.Key.StepCode (pquerna/otp), which MatchStep used before.
func BenchmarkMatchStep(b *testing.B) {
	key := provisioning.Key{Type: provisioning.TOTP, Secret: []byte("12345678901234567890"),
		Algorithm: provisioning.SHA1, Digits: 6, Period: 30}
	at := time.Unix(1_800_000_000, 0)
	b.Run("MatchStep", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, _, err := MatchStep(key, "000000", at, 1, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("StepCode-x3", func(b *testing.B) {
		b.ReportAllocs()
		now := key.Step(at)
		for b.Loop() {
			for s := now - 1; s <= now+1; s++ {
				if _, err := key.StepCode(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// collisionKey is RFC 6238's SHA1 secret with 6 digits, whose steps 59061240 and
// 59061241 (February 2026) share the code 963181: two neighbouring steps share a
// 6-digit code about once in a million.
var collisionKey = provisioning.Key{Type: provisioning.TOTP, Secret: []byte("12345678901234567890"),
	Algorithm: provisioning.SHA1, Digits: 6, Period: 30}

const (
	collisionStep = 59061241
	collisionCode = "963181"
)

func TestCollisionPremise(t *testing.T) {
	for _, s := range []uint64{collisionStep - 1, collisionStep} {
		if c, err := collisionKey.StepCode(s); err != nil || c != collisionCode {
			t.Fatalf("step %d: code %s, %v; the collision tests need %s", s, c, err, collisionCode)
		}
	}
}

// TestMatchStepPrefersAStepNotYetUsed: when the code matches two steps of the window,
// the step after the last accepted one is reported, so the replay guard sees the step
// the code was meant for; without one the earliest match is reported (and refused).
func TestMatchStepPrefersAStepNotYetUsed(t *testing.T) {
	at := time.Unix(collisionStep*30, 0)
	for _, c := range []struct {
		last int64
		want uint64
	}{
		{-1, collisionStep - 1},
		{collisionStep - 2, collisionStep - 1},
		{collisionStep - 1, collisionStep},
		{collisionStep, collisionStep - 1},
	} {
		step, _, ok, err := matchStepAfter(collisionKey, collisionCode, at, 1, 1, c.last)
		if err != nil || !ok || step != c.want {
			t.Errorf("after step %d: matched %d, %v, %v; want %d", c.last, step, ok, err, c.want)
		}
	}
	if step, _, ok, _ := MatchStep(collisionKey, collisionCode, at, 1, 1); !ok || step != collisionStep-1 {
		t.Errorf("MatchStep = %d, %v; want the earliest match %d", step, ok, collisionStep-1)
	}
}
