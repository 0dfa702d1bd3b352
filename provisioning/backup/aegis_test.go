package backup

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// TestAegisRoundTripRandom: every kind of account otpair holds survives WriteAegis and
// Read unchanged, plain and encrypted (the seed is logged).
func TestAegisRoundTripRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 12))
	for round := range 40 {
		keys := randomKeys(rng, 1+rng.IntN(30))
		password := ""
		if round%10 == 0 { // scrypt N=2^15 per write and read: a few rounds suffice
			password = "correct horse " + randomText(rng)
		}
		data, skipped, err := WriteAegis(keys, []byte(password))
		if err != nil || len(skipped) > 0 {
			t.Fatalf("seed %d: WriteAegis: %v, skipped %v", seed, err, skipped)
		}
		b := mustRead(t, data, pw(password, nil))
		if b.Format.Name != "aegis" || b.Encrypted != (password != "") || len(b.Skipped) > 0 {
			t.Fatalf("seed %d: read as %s (encrypted %v), skipped %v", seed, b.Format.Name, b.Encrypted, b.Skipped)
		}
		sameKeys(t, b.Keys, keys)
		if t.Failed() {
			t.Fatalf("seed %d, round %d", seed, round)
		}
	}
}

// TestAegisWriteShape: the file has Aegis's shape (docs/vault.md): the vectors as
// entries of content version 3, a password slot of scrypt N=2^15, r=8, p=1, and no
// secret in clear when encrypted.
func TestAegisWriteShape(t *testing.T) {
	data, _, err := WriteAegis(vectors, []byte("test"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range vectors {
		if bytes.Contains(data, []byte(k.SecretBase32())) {
			t.Fatalf("the encrypted file holds %v's secret in clear", k)
		}
	}
	var f struct {
		Version int
		Header  struct {
			Slots []struct {
				Type, N, R, P int
				Salt, Key     string
			}
			Params struct{ Nonce, Tag string }
		}
		DB string
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	s := f.Header.Slots
	if f.Version != 1 || len(s) != 1 || s[0].Type != 1 || s[0].N != 1<<15 || s[0].R != 8 || s[0].P != 1 ||
		len(s[0].Salt) != 64 || len(s[0].Key) != 64 || len(f.Header.Params.Nonce) != 24 || len(f.Header.Params.Tag) != 32 {
		t.Errorf("header %+v", f.Header)
	}
	plain, _, _ := WriteAegis(vectors, nil)
	var p struct {
		Header struct{ Slots, Params any }
		DB     struct {
			Version int
			Entries []struct {
				Type, Name, Issuer string
				Info               map[string]any
			}
		}
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		t.Fatal(err)
	}
	if p.Header.Slots != nil || p.Header.Params != nil || p.DB.Version != 3 || len(p.DB.Entries) != len(vectors) {
		t.Fatalf("plain vault %+v", p)
	}
	for i, e := range p.DB.Entries {
		k := vectors[i]
		if e.Type != string(k.Type) || e.Name != k.Account || e.Issuer != k.Issuer || e.Info["secret"] != k.SecretBase32() ||
			e.Info["algo"] != string(k.Algorithm) || e.Info["digits"] != float64(k.Digits) {
			t.Errorf("entry %d = %+v; want %v", i, e, k)
		}
	}
}

// TestAegisWrongPasswordAndTruncation: a wrong password, a missing password, a
// truncated file and truncated or changed ciphertext give their errors and no keys.
func TestAegisWrongPasswordAndTruncation(t *testing.T) {
	data, _, err := WriteAegis(vectors, []byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Read(data, pw("wrong", nil))
	wantErr(t, err, ErrWrongPassword)
	_, err = Read(data, Options{})
	wantErr(t, err, ErrPasswordNeeded)
	_, err = Read(data[:len(data)/2], pw("right", nil))
	wantErr(t, err, ErrUnknownFormat) // half a JSON document is no longer recognisably Aegis's
	_, err = Decode(data[:len(data)/2], aegisFormat, pw("right", nil))
	wantErr(t, err, ErrInvalid)

	var f map[string]any
	json.Unmarshal(data, &f)
	db := f["db"].(string)
	for name, change := range map[string]string{
		"truncated ciphertext": db[:len(db)-8],
		"changed ciphertext":   "A" + db[1:],
	} {
		f["db"] = change
		changed, _ := json.Marshal(f)
		_, err := Read(changed, pw("right", nil))
		if !strings.Contains(errString(err), "changed or truncated") {
			t.Errorf("%s: %v; want a changed-or-truncated error", name, err)
		}
		wantErr(t, err, ErrInvalid)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestAegisKDFBombRefusedBeforeKDF: a password slot asking scrypt for 8 TiB, or for
// far too much work, is refused with the figures, before the password is asked for (so
// before any KDF work).
func TestAegisKDFBombRefusedBeforeKDF(t *testing.T) {
	data, _, _ := WriteAegis(vectors[:1], []byte("x"))
	for _, c := range []struct {
		n, r, p int64
		says    string
	}{
		{1 << 33, 8, 1, "8388608 MiB of memory; otpair allows at most 1024 MiB"},
		{1 << 20, 8, 1 << 10, "units of work"},
	} {
		var f map[string]any
		json.Unmarshal(data, &f)
		slot := f["header"].(map[string]any)["slots"].([]any)[0].(map[string]any)
		slot["n"], slot["r"], slot["p"] = c.n, c.r, c.p
		bomb, _ := json.Marshal(f)
		calls := 0
		_, err := Read(bomb, pw("x", &calls))
		wantErr(t, err, ErrKDFLimit)
		if calls != 0 || !strings.Contains(err.Error(), c.says) {
			t.Errorf("N=%d r=%d p=%d: %v (password asked %d times); want the figure %q and no password asked", c.n, c.r, c.p, err, calls, c.says)
		}
	}
}

// TestAegisSkipsWhatItCannotHold: mOTP and Yandex entries, a bad secret, bad digits or
// period and an unknown type are skipped by name and reason; the rest is read. Content
// versions 1 and 2 read too.
func TestAegisSkipsWhatItCannotHold(t *testing.T) {
	plain, _, _ := WriteAegis(vectors, nil)
	var f map[string]any
	json.Unmarshal(plain, &f)
	db := f["db"].(map[string]any)
	entries := db["entries"].([]any)
	extra := []any{
		map[string]any{"type": "motp", "name": "m", "issuer": "MOTP Co", "info": map[string]any{"secret": "JBSWY3DP", "algo": "MD5", "digits": 6, "period": 10, "pin": "1234"}},
		map[string]any{"type": "yandex", "name": "y", "issuer": "Yandex", "info": map[string]any{"secret": "JBSWY3DP", "algo": "SHA256", "digits": 8, "period": 30, "pin": "1234"}},
		map[string]any{"type": "totp", "name": "bad-digits", "issuer": "x", "info": map[string]any{"secret": "JBSWY3DP", "algo": "SHA1", "digits": 0, "period": 30}},
		map[string]any{"type": "totp", "name": "bad-period", "issuer": "x", "info": map[string]any{"secret": "JBSWY3DP", "algo": "SHA1", "digits": 6, "period": 0}},
		map[string]any{"type": "totp", "name": "no-secret", "issuer": "x", "info": map[string]any{"secret": "", "algo": "SHA1", "digits": 6, "period": 30}},
		map[string]any{"type": "totp", "name": "md4", "issuer": "x", "info": map[string]any{"secret": "JBSWY3DP", "algo": "MD4", "digits": 6, "period": 30}},
		map[string]any{"type": "rfc9999", "name": "future", "issuer": "x", "info": map[string]any{}},
		"not an object",
	}
	for _, version := range []int{1, 2, 3} {
		db["version"] = version
		db["entries"] = append(append([]any{}, entries...), extra...)
		data, _ := json.Marshal(f)
		b := mustRead(t, data, Options{})
		sameKeys(t, b.Keys, vectors)
		var got []string
		for _, s := range b.Skipped {
			got = append(got, s.String())
		}
		want := []string{
			"MOTP Co: m (mOTP: " + unsupportedKind + ")",
			"Yandex: y (Yandex: " + unsupportedKind + ")",
			"x: bad-digits (digits: must be 6 to 8, got 0)",
			"x: bad-period (period: must be a positive number of seconds, got 0)",
			"x: no-secret (secret: is missing)",
			`x: md4 (algorithm: unsupported algorithm "MD4")`,
			`x: future (type: unknown type "rfc9999")`,
			"entry 15 (a value is a JSON string where an object is expected)",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || b.Total() != 15 {
			t.Errorf("version %d skipped (total %d):\n%s\nwant:\n%s", version, b.Total(), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	db["version"] = 4
	data, _ := json.Marshal(f)
	_, err := Read(data, Options{})
	wantErr(t, err, ErrInvalid)
	if !strings.Contains(err.Error(), "content version 4") {
		t.Errorf("version 4: %v", err)
	}
}

// TestAegisBiometricOnly: a vault with no password slot says how to export it.
func TestAegisBiometricOnly(t *testing.T) {
	data, _, _ := WriteAegis(vectors[:1], []byte("x"))
	var f map[string]any
	json.Unmarshal(data, &f)
	f["header"].(map[string]any)["slots"].([]any)[0].(map[string]any)["type"] = 2
	changed, _ := json.Marshal(f)
	_, err := Read(changed, pw("x", nil))
	wantErr(t, err, ErrInvalid)
	if !strings.Contains(err.Error(), "export it from Aegis with a password") {
		t.Errorf("%v", err)
	}
}

// TestAegisWriteSkipsHugeCounters: a counter Aegis's long cannot hold is named, not
// written wrong.
func TestAegisWriteSkipsHugeCounters(t *testing.T) {
	k := with(vectors[3], func(k *provisioning.Key) { k.Counter = math.MaxInt64 + 1 })
	data, skipped, err := WriteAegis([]provisioning.Key{vectors[0], k}, nil)
	if err != nil || len(skipped) != 1 || skipped[0].Name != "Issuu: James" || !strings.Contains(skipped[0].Reason, "2^63-1") {
		t.Fatalf("skipped %v, %v", skipped, err)
	}
	sameKeys(t, mustRead(t, data, Options{}).Keys, vectors[:1])
}
