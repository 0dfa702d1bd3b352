package verifier

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/otpair/otpair/internal/testclock"
)

// TestRotationLegacyKey: a database written before rotation existed holds its one
// signing key under signing_key:<alg>. It is read as key 0, signs until the first
// rotation, stays byte for byte as it was (so a binary from before rotation still
// starts on the database), and the new key goes under signing_key:<alg>:1, sealed.
func TestRotationLegacyKey(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "verifier.db")
	st, err := OpenSQLiteForTest(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seedKey := NewSeedKey()
	seal, err := newSealer(seedKey)
	if err != nil {
		t.Fatal(err)
	}
	// The key as the code before rotation stored it: PKCS #8, sealed under the name.
	legacy, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(legacy)
	if err != nil {
		t.Fatal(err)
	}
	ct, nonce := seal.seal(der, "signing_key:ES256")
	legacyValue := encodeSealed(seal.keyID, nonce, ct)
	if err := st.SetMeta(ctx, "signing_key:ES256", legacyValue); err != nil {
		t.Fatal(err)
	}

	clock := testclock.New(ltStart)
	l, err := NewLocal(ctx, st, LocalOptions{Clock: clock.Now, SeedKey: seedKey, SigningAlg: ES256})
	if err != nil {
		t.Fatal(err)
	}
	if !l.sign.pub.(*ecdsa.PublicKey).Equal(&legacy.PublicKey) {
		t.Fatal("the legacy signing key was not loaded as key 0")
	}
	k0 := l.sign.kid
	en, err := l.SignUp(ctx, "lee", UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.SignIn(ctx, "lee", ltCode(t, ltKey(t, en), clock.Now()))
	if err != nil {
		t.Fatal(err)
	}

	k1, err := l.RotateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k1 == k0 {
		t.Fatal("rotation kept the kid")
	}
	if v, err := st.Meta(ctx, "signing_key:ES256"); err != nil || !bytes.Equal(v, legacyValue) {
		t.Fatalf("the legacy key value changed with rotation (%v)", err)
	}
	v1, err := st.Meta(ctx, "signing_key:ES256:1")
	if err != nil {
		t.Fatalf("the rotated key is not under signing_key:ES256:1: %v", err)
	}
	created, _, _, _, err := decodeRotated(v1)
	if err != nil || created != clock.Now().Unix() {
		t.Fatalf("rotated key value records creation %d, %v; want %d", created, err, clock.Now().Unix())
	}
	newDER, _ := x509.MarshalPKCS8PrivateKey(l.keys.current(ctx).priv)
	if bytes.Contains(v1, newDER) || strings.Contains(string(v1), b64(newDER)) {
		t.Fatal("the rotated private key is stored in plain text")
	}
	if _, err := l.VerifySession(ctx, s.SessionJWT); err != nil {
		t.Fatalf("a token of the legacy key after rotation: %v", err)
	}

	// A restart loads both; the record's creation time cannot be moved without the key
	// failing to open (it would keep the retired key published longer).
	st.Close()
	st2, err := OpenSQLiteForTest(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	l2, err := NewLocal(ctx, st2, LocalOptions{Clock: clock.Now, SeedKey: seedKey, SigningAlg: ES256})
	if err != nil {
		t.Fatal(err)
	}
	if ks, _ := l2.Keys(ctx); len(ks.Keys) != 2 || ks.Keys[0].Kid != k1 || ks.Keys[1].Kid != k0 {
		t.Fatalf("keys after a restart: %+v", ks.Keys)
	}
	_, keyID, nonce1, ct1, _ := decodeRotated(v1)
	moved := encodeRotated(created+365*24*3600, keyID, nonce1, ct1)
	if err := st2.SetMeta(ctx, "signing_key:ES256:1", moved); err != nil {
		t.Fatal(err)
	}
	_, err = NewLocal(ctx, st2, LocalOptions{Clock: clock.Now, SeedKey: seedKey, SigningAlg: ES256})
	if err == nil || !strings.Contains(err.Error(), "signing key 1") {
		t.Fatalf("start-up with a moved creation time: %v, want an error naming signing key 1", err)
	}
	// A running instance whose reload fails keeps serving the keys it has.
	if err := st2.SetMeta(ctx, "signing_key:ES256:1", v1); err != nil {
		t.Fatal(err)
	}
	fs := &failingMetaStore{Store: st2}
	l3, err := NewLocal(ctx, fs, LocalOptions{Clock: clock.Now, SeedKey: seedKey, SigningAlg: ES256})
	if err != nil {
		t.Fatal(err)
	}
	fs.fail.Store(true)
	clock.Add(2 * DefaultKeyReload)
	if ks, err := l3.Keys(ctx); err != nil || len(ks.Keys) != 2 || ks.Keys[0].Kid != k1 {
		t.Fatalf("keys when the reload fails: %+v, %v", ks.Keys, err)
	}
	if _, err := l3.VerifySession(ctx, s.SessionJWT); err != nil {
		t.Fatalf("verify when the reload fails: %v", err)
	}
	if _, err := l3.RotateSigningKey(ctx); err == nil || !strings.Contains(err.Error(), "database gone") {
		t.Fatalf("rotation when the store fails: %v, want the store's error", err)
	}

	// Malformed values are errors, not panics.
	for _, bad := range []string{"", "x", "12", "12.a.b", "x.a.b.c", "1.k.!!.c"} {
		if _, _, _, _, err := decodeRotated([]byte(bad)); err == nil {
			t.Errorf("decodeRotated(%q) accepted", bad)
		}
	}
}

// failingMetaStore fails every Meta read once fail is set.
type failingMetaStore struct {
	Store
	fail atomic.Bool
}

func (s *failingMetaStore) Meta(ctx context.Context, name string) ([]byte, error) {
	if s.fail.Load() {
		return nil, errors.New("database gone")
	}
	return s.Store.Meta(ctx, name)
}
