package httpapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpair/otpair/verifier"
)

// fakeBackend is a Backend of function fields (wtf's mock style): each test sets the
// calls it expects; an unset call fails the test.
type fakeBackend struct {
	t         testing.TB
	pid       string
	SignUpFn  func(ctx context.Context, loginID string, info verifier.UserInfo) (verifier.Enrollment, error)
	SignInFn  func(ctx context.Context, loginID, code string) (verifier.Session, error)
	UpdateFn  func(ctx context.Context, loginID, refreshJWT string) (verifier.Enrollment, error)
	DeleteFn  func(ctx context.Context, loginID string) error
	RefreshFn func(ctx context.Context, refreshJWT string) (verifier.Session, error)
	MeFn      func(ctx context.Context, refreshJWT string) (verifier.User, error)
	LogoutFn  func(ctx context.Context, refreshJWT string) error
	LoadFn    func(ctx context.Context, loginID string) (verifier.User, error)
	CreateFn  func(ctx context.Context, loginID string, info verifier.UserInfo) (verifier.User, error)
	DelUserFn func(ctx context.Context, loginID string) error
	KeysFn    func(ctx context.Context) (verifier.JWKS, error)
	mu        sync.Mutex
	calls     []string
}

var _ verifier.Backend = (*fakeBackend)(nil)

func (f *fakeBackend) called(name string, fn any) error {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	f.mu.Unlock()
	if fn == nil {
		f.t.Errorf("unexpected backend call %s", name)
		return verifier.ErrBadRequest
	}
	return nil
}

// count is how many calls the backend has had.
func (f *fakeBackend) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) SignUp(ctx context.Context, l string, i verifier.UserInfo) (verifier.Enrollment, error) {
	if err := f.called("SignUp", f.SignUpFn); err != nil {
		return verifier.Enrollment{}, err
	}
	return f.SignUpFn(ctx, l, i)
}
func (f *fakeBackend) SignIn(ctx context.Context, l, c string) (verifier.Session, error) {
	if err := f.called("SignIn", f.SignInFn); err != nil {
		return verifier.Session{}, err
	}
	return f.SignInFn(ctx, l, c)
}
func (f *fakeBackend) Update(ctx context.Context, l, r string) (verifier.Enrollment, error) {
	if err := f.called("Update", f.UpdateFn); err != nil {
		return verifier.Enrollment{}, err
	}
	return f.UpdateFn(ctx, l, r)
}
func (f *fakeBackend) DeleteSeed(ctx context.Context, l string) error {
	if err := f.called("DeleteSeed", f.DeleteFn); err != nil {
		return err
	}
	return f.DeleteFn(ctx, l)
}
func (f *fakeBackend) Refresh(ctx context.Context, r string) (verifier.Session, error) {
	if err := f.called("Refresh", f.RefreshFn); err != nil {
		return verifier.Session{}, err
	}
	return f.RefreshFn(ctx, r)
}
func (f *fakeBackend) Me(ctx context.Context, r string) (verifier.User, error) {
	if err := f.called("Me", f.MeFn); err != nil {
		return verifier.User{}, err
	}
	return f.MeFn(ctx, r)
}
func (f *fakeBackend) Logout(ctx context.Context, r string) error {
	if err := f.called("Logout", f.LogoutFn); err != nil {
		return err
	}
	return f.LogoutFn(ctx, r)
}
func (f *fakeBackend) LoadUser(ctx context.Context, l string) (verifier.User, error) {
	if err := f.called("LoadUser", f.LoadFn); err != nil {
		return verifier.User{}, err
	}
	return f.LoadFn(ctx, l)
}
func (f *fakeBackend) CreateUser(ctx context.Context, l string, i verifier.UserInfo) (verifier.User, error) {
	if err := f.called("CreateUser", f.CreateFn); err != nil {
		return verifier.User{}, err
	}
	return f.CreateFn(ctx, l, i)
}
func (f *fakeBackend) DeleteUser(ctx context.Context, l string) error {
	if err := f.called("DeleteUser", f.DelUserFn); err != nil {
		return err
	}
	return f.DelUserFn(ctx, l)
}
func (f *fakeBackend) Keys(ctx context.Context) (verifier.JWKS, error) {
	if err := f.called("Keys", f.KeysFn); err != nil {
		return verifier.JWKS{}, err
	}
	return f.KeysFn(ctx)
}
func (f *fakeBackend) ProjectID() string { return f.pid }

// testSigner signs tokens the way a verifier does, so Remote's checks can be tested
// without the local backend.
type testSigner struct {
	kid    string
	method jwt.SigningMethod
	priv   any
	jwk    verifier.JWK
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func newRSASigner(t testing.TB, kid string) *testSigner {
	t.Helper()
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaSignerFor(kid, rsaKey)
}

func rsaSignerFor(kid string, k *rsa.PrivateKey) *testSigner {
	return &testSigner{kid: kid, method: jwt.SigningMethodRS256, priv: k, jwk: verifier.JWK{
		Kty: "RSA", Kid: kid, Alg: "RS256", Use: "sig",
		N: base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
	}}
}

func newECSigner(t testing.TB, kid string) *testSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{kid: kid, method: jwt.SigningMethodES256, priv: k, jwk: verifier.JWK{
		Kty: "EC", Kid: kid, Alg: "ES256", Use: "sig", Crv: "P-256",
		X: base64.RawURLEncoding.EncodeToString(b[1:33]), Y: base64.RawURLEncoding.EncodeToString(b[33:]),
	}}
}

// token signs claims for sub issued at iat, valid for ttl, with drn.
func (s *testSigner) token(t testing.TB, iss, sub, drn string, iat time.Time, ttl time.Duration) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.method, jwt.MapClaims{
		"iss": iss, "sub": sub, "drn": drn, "amr": []string{"totp"},
		"iat": iat.Unix(), "exp": iat.Add(ttl).Unix(),
	})
	tok.Header["kid"] = s.kid
	out, err := tok.SignedString(s.priv)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// session is a Session with tokens from s.
func (s *testSigner) session(t testing.TB, pid string, u verifier.User, now time.Time) verifier.Session {
	return verifier.Session{
		SessionJWT: s.token(t, pid, u.ID, "DS", now, 10*time.Minute),
		RefreshJWT: s.token(t, pid, u.ID, "DSR", now, 24*time.Hour),
		SessionClaims: verifier.Claims{Issuer: pid, Subject: u.ID, AMR: []string{"totp"}, IssuedAt: now,
			Expires: now.Add(10 * time.Minute)},
		RefreshExpires: now.Add(24 * time.Hour), User: u, FirstSeen: true,
	}
}
