package verifier

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSeedKey(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	noEnv := func(string) string { return "" }
	k1, src, err := LoadSeedKey(home, noEnv)
	if err != nil || len(k1) != SeedKeySize || src != filepath.Join(home, SeedKeyFile) {
		t.Fatalf("first LoadSeedKey = %d bytes from %q, %v", len(k1), src, err)
	}
	path := src
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	k2, _, err := LoadSeedKey(home, noEnv)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second LoadSeedKey gave another key (%v)", err)
	}

	want := bytes.Repeat([]byte{7}, SeedKeySize)
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == SeedKeyEnv {
				return v
			}
			return ""
		}
	}
	k, src, err := LoadSeedKey(home, env(base64.StdEncoding.EncodeToString(want)))
	if err != nil || !bytes.Equal(k, want) || src != SeedKeyEnv {
		t.Fatalf("key from the environment = %x from %q, %v", k, src, err)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString(want[:16])} {
		_, _, err := LoadSeedKey(home, env(bad))
		if !errors.Is(err, ErrSeedKey) || !strings.Contains(err.Error(), SeedKeyEnv) || strings.Contains(err.Error(), bad) {
			t.Fatalf("bad %s: %v; want ErrSeedKey naming the variable, not its value", SeedKeyEnv, err)
		}
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadSeedKey(home, noEnv); !errors.Is(err, ErrSeedKey) {
		t.Fatalf("malformed key file: %v, want ErrSeedKey", err)
	}
	if _, _, err := LoadSeedKey("", noEnv); !errors.Is(err, ErrSeedKey) {
		t.Fatalf("no home and no env: %v, want ErrSeedKey", err)
	}
}

func TestSealer(t *testing.T) {
	s, err := newSealer(bytes.Repeat([]byte{1}, SeedKeySize))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newSealer(bytes.Repeat([]byte{2}, SeedKeySize))
	if s.keyID == other.keyID || len(s.keyID) != 16 {
		t.Fatalf("key ids %q and %q: want distinct 16-hex-digit ids", s.keyID, other.keyID)
	}
	secret := []byte("twenty bytes secret!")
	ct, nonce := s.seal(secret, seedAAD("U1"))
	if bytes.Contains(ct, secret) {
		t.Fatal("ciphertext contains the plaintext")
	}
	ct2, nonce2 := s.seal(secret, seedAAD("U1"))
	if bytes.Equal(nonce, nonce2) || bytes.Equal(ct, ct2) {
		t.Fatal("two seals share a nonce")
	}
	if p, err := s.open(ct, nonce, s.keyID, seedAAD("U1")); err != nil || !bytes.Equal(p, secret) {
		t.Fatalf("open = %q, %v", p, err)
	}
	if _, err := s.open(ct, nonce, s.keyID, seedAAD("U2")); err == nil {
		t.Fatal("opened under another user's AAD")
	}
	if _, err := other.open(ct, nonce, s.keyID, seedAAD("U1")); !errors.Is(err, ErrSeedKey) {
		t.Fatalf("another key: %v, want ErrSeedKey", err)
	}
	flipped := bytes.Clone(ct)
	flipped[0] ^= 1
	if _, err := s.open(flipped, nonce, s.keyID, seedAAD("U1")); err == nil {
		t.Fatal("opened a tampered ciphertext")
	}
	if _, err := s.open(ct, nonce[:5], s.keyID, seedAAD("U1")); err == nil {
		t.Fatal("opened with a short nonce")
	}
	check := s.sealCheck()
	if err := s.verifyCheck(check); err != nil {
		t.Fatal(err)
	}
	if err := other.verifyCheck(check); !errors.Is(err, ErrSeedKey) {
		t.Fatalf("other key's check: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("a.b"), []byte(s.keyID + ".!!.!!")} {
		if err := s.verifyCheck(bad); !errors.Is(err, ErrSeedKey) {
			t.Errorf("verifyCheck(%q) = %v, want ErrSeedKey", bad, err)
		}
	}
	if _, err := newSealer([]byte("short")); !errors.Is(err, ErrSeedKey) {
		t.Fatalf("short key: %v", err)
	}
}

// TestLoadSeedKeyRefusesOpenFile: a seed.key its group or others may read is refused,
// as ssh refuses such a private key, naming the file and the chmod that fixes it; the
// key itself never appears in the error.
func TestLoadSeedKeyRefusesOpenFile(t *testing.T) {
	if os.PathSeparator != '/' {
		t.Skip("no Unix file modes")
	}
	home := t.TempDir()
	noEnv := func(string) string { return "" }
	if _, _, err := LoadSeedKey(home, noEnv); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, SeedKeyFile)
	data, _ := os.ReadFile(path)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		os.Chmod(path, mode)
		_, _, err := LoadSeedKey(home, noEnv)
		if !errors.Is(err, ErrSeedKey) || !strings.Contains(err.Error(), "chmod 600 "+path) || strings.Contains(err.Error(), strings.TrimSpace(string(data))) {
			t.Errorf("seed.key mode %04o: %v", mode, err)
		}
	}
	os.Chmod(path, 0o600)
	if _, _, err := LoadSeedKey(home, noEnv); err != nil {
		t.Errorf("mode 0600: %v", err)
	}
}
