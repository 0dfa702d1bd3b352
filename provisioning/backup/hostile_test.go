package backup

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// edit changes members of a JSON object file.
func edit(t *testing.T, data []byte, change func(map[string]any)) []byte {
	t.Helper()
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	change(f)
	return mustJSON(f)
}

// TestKDFBombsRefusedBeforeAnyKDFWork: a file asking its KDF for more memory, passes,
// threads or iterations than the limits allow is refused with the figures before the
// password is asked for, which is before any KDF work.
func TestKDFBombsRefusedBeforeAnyKDFWork(t *testing.T) {
	keys := vectors[:2]
	bw := writeBitwarden(keys, "pw", 0)
	bwArgon := writeBitwarden(keys, "pw", 1)
	ente := writeEnte(keys, []byte("pw"), 64<<10, 2)
	andotp := writeAndOTP(keys, "pw", 5000)
	for _, c := range []struct {
		name   string
		data   []byte
		limits Limits
		says   string
	}{
		{"bitwarden pbkdf2 iterations", edit(t, bw, func(f map[string]any) { f["kdfIterations"] = 2_000_000_000 }), Limits{},
			"PBKDF2 asks for 2000000000 iterations; otpair allows at most 10000000"},
		{"bitwarden argon2 memory", edit(t, bwArgon, func(f map[string]any) { f["kdfMemory"] = 65536 }), Limits{},
			"Argon2id asks for 65536 MiB of memory; otpair allows at most 1024 MiB"},
		{"bitwarden argon2 passes", edit(t, bwArgon, func(f map[string]any) { f["kdfMemory"], f["kdfIterations"] = 1024, 100 }), Limits{},
			"1024 MiB over 100 passes (102400 MiB of work)"},
		{"bitwarden argon2 threads", edit(t, bwArgon, func(f map[string]any) { f["kdfParallelism"], f["kdfMemory"] = 200, 64 }), Limits{},
			"200 threads; otpair allows at most 16"},
		{"ente memory", edit(t, ente, func(f map[string]any) { f["kdfParams"].(map[string]any)["memLimit"] = 64 << 30 }), Limits{},
			"Argon2id asks for 65536 MiB of memory"},
		{"ente passes", edit(t, ente, func(f map[string]any) { f["kdfParams"].(map[string]any)["opsLimit"] = 1 << 20 }), Limits{MaxArgon2Work: 1 << 30},
			"over 1048576 passes"},
		{"andotp iterations", andotp, Limits{MaxPBKDF2: 1000}, "PBKDF2 asks for 5000 iterations; otpair allows at most 1000"},
	} {
		calls := 0
		opts := pw("pw", &calls)
		opts.Limits = c.limits
		_, err := Read(c.data, opts)
		if !errors.Is(err, ErrKDFLimit) || !strings.Contains(errString(err), c.says) || calls != 0 {
			t.Errorf("%s: %v (password asked %d times); want a KDF limit error saying %q, before the password", c.name, err, calls, c.says)
		}
	}
}

// TestTruncatedAndChangedCiphertexts: every encrypted format, cut short or with a byte
// changed, is an error with no keys (never a panic, never a partial read).
func TestTruncatedAndChangedCiphertexts(t *testing.T) {
	keys := vectors
	cases := map[string][]byte{
		"2fas":               write2FAS(keys, "pw"),
		"andotp":             writeAndOTP(keys, "pw", 1200),
		"bitwarden pbkdf2":   writeBitwarden(keys, "pw", 0),
		"bitwarden argon2id": writeBitwarden(keys, "pw", 1),
		"ente":               writeEnte(keys, []byte("pw"), 16<<10, 1),
		"proton":             writeProton(keys, "pw"),
	}
	aegis, _, _ := writeAegis(keys, []byte("pw"), 16)
	cases["aegis"] = aegis
	for name, data := range cases {
		var mutants [][]byte
		if name == "andotp" {
			mutants = [][]byte{data[:len(data)-1], data[:40], flip(data, len(data)-20), flip(data, 30)}
		} else {
			for _, member := range []string{"servicesEncrypted", "data", "encryptedData", "content", "db"} {
				if !strings.Contains(string(data), `"`+member+`":`) {
					continue
				}
				for _, cut := range []func(string) string{
					func(s string) string { return s[:len(s)/2] },
					func(s string) string { return s[:len(s)-4] },
					func(s string) string { return "AAAA" + s[4:] },
				} {
					mutants = append(mutants, edit(t, data, func(f map[string]any) { f[member] = cut(f[member].(string)) }))
				}
			}
		}
		if len(mutants) == 0 {
			t.Fatalf("%s: no ciphertext found to cut", name)
		}
		for i, m := range mutants {
			b, err := Read(m, pw("pw", nil))
			if err == nil || b != nil {
				t.Errorf("%s, mutant %d: read %v, %v; want an error and nothing", name, i, b, err)
				continue
			}
			if !errors.Is(err, ErrWrongPassword) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("%s, mutant %d: %v; want a wrong-password or damaged-file error", name, i, err)
			}
		}
	}
}

// flip changes one byte of a copy of data.
func flip(data []byte, i int) []byte {
	out := append([]byte(nil), data...)
	out[i] ^= 0x55
	return out
}

// TestAndOTPWithoutMarker: --from andotp reads an old-format file, and a current one
// whose iteration count is past the limits is refused rather than tried.
func TestAndOTPWithoutMarker(t *testing.T) {
	old := writeAndOTP(vectors, "pw", 0)
	if f, ok := Detect(old); ok && f.Name == "andotp" && binary.BigEndian.Uint32(old) > 10_000_000 {
		t.Fatalf("an old andOTP file with an implausible iteration count was recognised")
	}
	b, err := Decode(old, andOTPFormat, pw("pw", nil))
	if err != nil {
		t.Fatal(err)
	}
	sameKeys(t, b.Keys, vectors)
}
