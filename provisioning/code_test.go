package provisioning

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/external"
)

// rfcSeeds are RFC 6238 Appendix A's keys: the ASCII digits repeated to the hash's size.
var rfcSeeds = map[Algorithm][]byte{
	SHA1:   []byte("12345678901234567890"),
	SHA256: []byte("12345678901234567890123456789012"),
	SHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
}

// TestCodeRFC6238: RFC 6238 Appendix B, all three hashes, 8 digits, 30 s steps.
func TestCodeRFC6238(t *testing.T) {
	for _, v := range []struct {
		unix                 int64
		sha1, sha256, sha512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	} {
		at := time.Unix(v.unix, 0).UTC()
		for alg, want := range map[Algorithm]string{SHA1: v.sha1, SHA256: v.sha256, SHA512: v.sha512} {
			k := Key{Type: TOTP, Secret: rfcSeeds[alg], Algorithm: alg, Digits: 8, Period: 30}
			got, err := k.Code(at)
			if err != nil || got != want {
				t.Errorf("%s at %d: Code = %q, %v; want %s", alg, v.unix, got, err, want)
			}
			// The step form gives the same code: what a verifier compares against.
			if got, err := k.StepCode(k.Step(at)); err != nil || got != want {
				t.Errorf("%s at %d: StepCode(%d) = %q, %v; want %s", alg, v.unix, k.Step(at), got, err, want)
			}
			if got, _ := Code(k, at); got != want {
				t.Errorf("%s at %d: provisioning.Code = %q, want %s", alg, v.unix, got, want)
			}
		}
	}
}

// TestCodeRFC4226: RFC 4226 Appendix D, counters 0 to 9, through CounterCode and
// through Code of an HOTP key (which uses the key's counter).
func TestCodeRFC4226(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	k := Key{Type: HOTP, Secret: rfcSeeds[SHA1], Algorithm: SHA1, Digits: 6}
	for c, w := range want {
		if got, err := k.CounterCode(uint64(c)); err != nil || got != w {
			t.Errorf("CounterCode(%d) = %q, %v; want %s", c, got, err, w)
		}
		k.Counter = uint64(c)
		if got, err := k.Code(time.Unix(1e9, 0)); err != nil || got != w {
			t.Errorf("Code of HOTP key at counter %d = %q, %v; want %s", c, got, err, w)
		}
	}
}

// TestCodeStepAndRemaining: the step boundaries of a 30 s key, and a 90 s one.
func TestCodeStepAndRemaining(t *testing.T) {
	k := Key{Type: TOTP, Secret: rfcSeeds[SHA1], Algorithm: SHA1, Digits: 6, Period: 30}
	for _, c := range []struct {
		unix   int64
		nanos  int64
		step   uint64
		remain time.Duration
	}{
		{0, 0, 0, 30 * time.Second},
		{29, 500e6, 0, 500 * time.Millisecond},
		{30, 0, 1, 30 * time.Second},
		{59, 0, 1, time.Second},
	} {
		at := time.Unix(c.unix, c.nanos)
		if got := k.Step(at); got != c.step {
			t.Errorf("Step(%v) = %d, want %d", at, got, c.step)
		}
		if got := k.Remaining(at); got != c.remain {
			t.Errorf("Remaining(%v) = %v, want %v", at, got, c.remain)
		}
	}
	k.Period = 90
	if got := k.Step(time.Unix(180, 0)); got != 2 {
		t.Errorf("90 s Step(180) = %d, want 2", got)
	}
}

// TestCodeRefusesBadKeys: a key that would give wrong codes gives an error naming the
// field instead (never pquerna's silent SHA1 or default digits).
func TestCodeRefusesBadKeys(t *testing.T) {
	good := Key{Type: TOTP, Secret: rfcSeeds[SHA1], Algorithm: SHA1, Digits: 6, Period: 30}
	for field, mutate := range map[string]func(*Key){
		"algorithm": func(k *Key) { k.Algorithm = "MD5" },
		"digits":    func(k *Key) { k.Digits = 10 },
		"period":    func(k *Key) { k.Period = 0 },
		"secret":    func(k *Key) { k.Secret = nil },
		"type":      func(k *Key) { k.Type = "motp" },
	} {
		k := good
		mutate(&k)
		_, err := k.Code(time.Unix(59, 0))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field || !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Code with a bad %s: %v; want a FieldError for %s", field, err, field)
		}
	}
}

// oathtoolCodes runs oathtool and returns the codes it prints (window+1 of them).
func oathtoolCodes(t *testing.T, tool string, args ...string) []string {
	t.Helper()
	out, err := exec.Command(tool, args...).Output()
	if err != nil {
		// The arguments hold the secret: name only the mode.
		t.Fatalf("oathtool %s: %v", args[0], err)
	}
	return strings.Fields(string(out))
}

// TestCodeOathtool: codes agree with oathtool (OATH Toolkit, an independent C
// implementation) for random keys over every algorithm, 6 to 8 digits, periods of 15,
// 30, 60 and 90 s, random times up to the year 2100, and HOTP counters up to 2^64-1.
// Each of the 240 cases compares a window of three consecutive codes. The seed is
// logged; OTPAIR_TEST_SEED replays a run.
func TestCodeOathtool(t *testing.T) {
	tool := external.Tool(t, "oathtool", "oathtool")
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("OTPAIR_TEST_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("OTPAIR_TEST_SEED: %v", err)
		}
	}
	t.Logf("seed %d (OTPAIR_TEST_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	const window = 2 // oathtool -w 2 prints three codes
	algs := []Algorithm{SHA1, SHA256, SHA512}
	periods := []int{15, 30, 60, 90}
	counts := map[string]int{}
	for i := range 240 {
		k := Key{Type: TOTP, Algorithm: algs[rng.IntN(3)], Digits: 6 + rng.IntN(3), Period: periods[rng.IntN(4)]}
		k.Secret = make([]byte, 10+rng.IntN(55))
		for j := range k.Secret {
			k.Secret[j] = byte(rng.Uint32())
		}
		var args []string
		var ours func(j int) (string, error)
		var mode string
		switch i % 3 {
		case 0, 1: // TOTP through Code at a random time
			unix := rng.Int64N(4102444800) // up to 2100-01-01
			at := time.Unix(unix, rng.Int64N(1e9))
			mode = "totp-" + string(k.Algorithm)
			args = []string{"--totp=" + strings.ToLower(string(k.Algorithm)), "-d", strconv.Itoa(k.Digits),
				"-s", strconv.Itoa(k.Period) + "s", "-N", "@" + strconv.FormatInt(unix, 10), "-w", strconv.Itoa(window)}
			ours = func(j int) (string, error) {
				return k.Code(at.Add(time.Duration(j*k.Period) * time.Second))
			}
		default: // HOTP through CounterCode (oathtool's HOTP is SHA1 only)
			k.Type, k.Period, k.Algorithm = HOTP, 0, SHA1
			counter := rng.Uint64() >> rng.IntN(64)
			if i == 2 {
				counter = 1<<64 - 1 - window
			}
			mode = "hotp"
			args = []string{"--hotp", "-d", strconv.Itoa(k.Digits), "-c", strconv.FormatUint(counter, 10), "-w", strconv.Itoa(window)}
			ours = func(j int) (string, error) { return k.CounterCode(counter + uint64(j)) }
		}
		counts[mode]++
		args = append(args, "-b", k.SecretBase32())
		want := oathtoolCodes(t, tool, args...)
		if len(want) != window+1 {
			t.Fatalf("case %d: oathtool printed %d codes, want %d", i, len(want), window+1)
		}
		for j, w := range want {
			got, err := ours(j)
			if err != nil || got != w {
				t.Errorf("case %d (%v, seed %d), code %d of the window: ours %q, %v; oathtool %s", i, k, seed, j, got, err, w)
			}
		}
	}
	t.Logf("cases: %v", counts)
}

// TestStepCodeOathtool: StepCode of SHA256 and SHA512 keys (HOTP of a step, which
// oathtool's --hotp cannot do for those hashes) equals oathtool's TOTP at that step.
func TestStepCodeOathtool(t *testing.T) {
	tool := external.Tool(t, "oathtool", "oathtool")
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 12 {
		alg := []Algorithm{SHA1, SHA256, SHA512}[i%3]
		k := Key{Type: HOTP, Secret: rfcSeeds[alg], Algorithm: alg, Digits: 6 + i%3}
		step := rng.Uint64N(1 << 27)
		want := oathtoolCodes(t, tool, "--totp="+strings.ToLower(string(alg)), "-d", strconv.Itoa(k.Digits),
			"-s", "30s", "-N", fmt.Sprintf("@%d", step*30), "-b", k.SecretBase32())
		if got, err := k.StepCode(step); err != nil || len(want) != 1 || got != want[0] {
			t.Errorf("%s StepCode(%d) = %q, %v; oathtool %q", alg, step, got, err, want)
		}
	}
}
