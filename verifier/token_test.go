package verifier

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func ltPrivateDER(t testing.TB, l *Local) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(l.sign.priv)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func ltReadFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// ltPublicKey rebuilds the public key from its JWK, as an SDK reading the JWKS would.
func ltPublicKey(t *testing.T, k JWK) any {
	t.Helper()
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWK member is not unpadded base64url: %v", err)
		}
		return b
	}
	switch k.Kty {
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(dec(k.N)), E: int(new(big.Int).SetBytes(dec(k.E)).Int64())}
	case "EC":
		if k.Crv != "P-256" {
			t.Fatalf("curve %q", k.Crv)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, dec(k.X)...), dec(k.Y)...))
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	t.Fatalf("kty %q", k.Kty)
	return nil
}

func TestJWKSVerifiesTokens(t *testing.T) {
	for _, alg := range []string{RS256, ES256} {
		t.Run(alg, func(t *testing.T) {
			e := newLTEnv(t, LocalOptions{SigningAlg: alg})
			_, s := ltEnrol(t, e, "lee")
			jwks, err := e.l.Keys(t.Context())
			if err != nil || len(jwks.Keys) != 1 {
				t.Fatalf("Keys = %+v, %v", jwks, err)
			}
			k := jwks.Keys[0]
			if k.Alg != alg || k.Use != "sig" || k.Kid == "" {
				t.Fatalf("JWK %+v lacks alg, use sig or kid", k)
			}
			raw, _ := json.Marshal(jwks)
			if strings.Contains(string(raw), `"d"`) || strings.Contains(string(raw), `"p"`) {
				t.Fatalf("JWKS has private members: %s", raw)
			}
			for _, tok := range []string{s.SessionJWT, s.RefreshJWT} {
				var claims jwt.MapClaims
				parsed, err := jwt.ParseWithClaims(tok, &claims, func(*jwt.Token) (any, error) { return ltPublicKey(t, k), nil },
					jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(e.clock.Now))
				if err != nil {
					t.Fatalf("token does not verify with the published JWK: %v", err)
				}
				if parsed.Header["kid"] != k.Kid || parsed.Header["alg"] != alg {
					t.Fatalf("header %v, want kid %s alg %s", parsed.Header, k.Kid, alg)
				}
				if _, ok := claims["aud"]; ok {
					t.Fatal("token has an aud")
				}
				if claims["iss"] != e.l.ProjectID() || claims["sub"] != s.User.ID {
					t.Fatalf("claims %v", claims)
				}
				amr, _ := claims["amr"].([]any)
				if len(amr) != 1 || amr[0] != "totp" {
					t.Fatalf("amr %v", claims["amr"])
				}
				switch claims["drn"] {
				case "DS":
					if tok != s.SessionJWT {
						t.Fatal("refresh token says drn DS")
					}
				case "DSR":
					if tok != s.RefreshJWT || claims["jti"] == nil {
						t.Fatal("refresh token without jti, or session token says DSR")
					}
				default:
					t.Fatalf("drn %v", claims["drn"])
				}
			}
		})
	}
}

func TestBadTokens(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	_, s := ltEnrol(t, e, "max")
	other := newLTEnv(t, LocalOptions{ProjectID: e.l.ProjectID()})
	_, so := ltEnrol(t, other, "max")

	parts := strings.Split(s.RefreshJWT, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := strings.Replace(string(payload), `"sub":"`, `"sub":"X`, 1)
	header := func(h string) string { return base64.RawURLEncoding.EncodeToString([]byte(h)) }
	kid := e.l.sign.kid

	// The other key's token, relabelled with our kid.
	op := strings.Split(so.RefreshJWT, ".")
	relabelled := header(`{"alg":"ES256","kid":"`+kid+`","typ":"JWT"}`) + "." + op[1] + "." + op[2]

	// HS256 with the public key as the secret (algorithm confusion).
	pubDER, _ := x509.MarshalPKIXPublicKey(e.l.sign.pub)
	var claims tokenClaims
	if _, _, err := jwt.NewParser().ParseUnverified(s.RefreshJWT, &claims); err != nil {
		t.Fatal(err)
	}
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hs.Header["kid"] = kid
	hsToken, err := hs.SignedString(pubDER)
	if err != nil {
		t.Fatal(err)
	}

	bad := map[string]string{
		"empty":         "",
		"garbage":       "not.a.token",
		"tampered":      parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tampered)) + "." + parts[2],
		"other key":     so.RefreshJWT,
		"relabelled":    relabelled,
		"alg none":      header(`{"alg":"none","kid":"`+kid+`","typ":"JWT"}`) + "." + parts[1] + ".",
		"HS256":         hsToken,
		"session token": s.SessionJWT, // a session token is no refresh token
		"no kid":        header(`{"alg":"ES256","typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
	}
	for name, tok := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := e.l.Refresh(t.Context(), tok)
			ltWantErr(t, "Refresh", err, ErrBadToken)
			_, err = e.l.Me(t.Context(), tok)
			ltWantErr(t, "Me", err, ErrBadToken)
			ltWantErr(t, "Logout", e.l.Logout(t.Context(), tok), ErrBadToken)
			_, err = e.l.Update(t.Context(), "max", tok)
			ltWantErr(t, "Update", err, ErrBadToken)
			if tok != "" && strings.Contains(err.Error(), tok) {
				t.Fatal("the error repeats the token")
			}
		})
	}
	_, err = e.l.VerifySession(t.Context(), s.RefreshJWT)
	ltWantErr(t, "a refresh token as session", err, ErrBadToken)

	// Another user's refresh token cannot update max.
	_, s2 := ltEnrol(t, e, "nina")
	_, err = e.l.Update(t.Context(), "max", s2.RefreshJWT)
	ltWantErr(t, "Update with another user's token", err, ErrBadToken)
	_, err = e.l.Update(t.Context(), "nobody", s2.RefreshJWT)
	ltWantErr(t, "Update of an unknown login id", err, ErrBadToken)

	// Another project's token with the same key: the issuer differs.
	st2, _ := OpenSQLiteForTest(t.Context(), memoryDB)
	defer st2.Close()
	for _, name := range []string{metaSealCheck, metaSigningKey(ES256)} {
		v, _ := e.st.Meta(t.Context(), name)
		st2.SetMeta(t.Context(), name, v)
	}
	l2, err := NewLocal(t.Context(), st2, LocalOptions{Clock: e.clock.Now, SeedKey: e.key, SigningAlg: ES256, ProjectID: "Pother"})
	if err != nil {
		t.Fatal(err)
	}
	if l2.sign.kid != kid {
		t.Fatal("the copied key has another kid")
	}
	_, err = l2.VerifySession(t.Context(), s.SessionJWT)
	ltWantErr(t, "another project's token", err, ErrBadToken)

	// Expiry follows the injected clock.
	if _, err := e.l.VerifySession(t.Context(), s.SessionJWT); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(DefaultSessionTTL + time.Second)
	_, err = e.l.VerifySession(t.Context(), s.SessionJWT)
	ltWantErr(t, "expired session token", err, ErrBadToken)
	if _, err := e.l.Refresh(t.Context(), s.RefreshJWT); err != nil {
		t.Fatalf("refresh token before its expiry: %v", err)
	}
	e.clock.Add(DefaultRefreshTTL)
	_, err = e.l.Refresh(t.Context(), s.RefreshJWT)
	ltWantErr(t, "expired refresh token", err, ErrBadToken)
}

func TestSigningAlgOption(t *testing.T) {
	st, err := OpenSQLiteForTest(t.Context(), memoryDB)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = NewLocal(t.Context(), st, LocalOptions{SeedKey: NewSeedKey(), SigningAlg: "HS256"})
	ltWantErr(t, "SigningAlg HS256", err, ErrInvalidArgument)
}
