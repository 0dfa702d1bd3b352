package httpapi

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpair/otpair/verifier"
)

// tokenLeeway is the clock skew Remote tolerates on exp and iat, as Descope's SDKs do.
const tokenLeeway = 5 * time.Second

// remoteClaims are the claims Remote reads from the tokens it receives.
type remoteClaims struct {
	jwt.RegisteredClaims
	DRN string   `json:"drn,omitempty"` // DS for a session token, DSR for a refresh token
	AMR []string `json:"amr,omitempty"`
}

// session builds a Session from a sign-in or refresh answer, verifying both tokens.
// oldRefresh stands in when the answer has no refresh token (Descope may omit it).
func (r *Remote) session(ctx context.Context, resp jwtResponse, oldRefresh string) (verifier.Session, error) {
	if resp.SessionJWT == "" {
		return verifier.Session{}, fmt.Errorf("%w: the answer has no session token", verifier.ErrBadToken)
	}
	sc, err := r.verifyToken(ctx, resp.SessionJWT, "DS")
	if err != nil {
		return verifier.Session{}, fmt.Errorf("session token: %w", err)
	}
	refresh := resp.RefreshJWT
	if refresh == "" {
		refresh = oldRefresh
	}
	s := verifier.Session{SessionJWT: resp.SessionJWT, RefreshJWT: refresh, SessionClaims: sc, User: resp.User.user(), FirstSeen: resp.FirstSeen}
	if refresh != "" {
		rc, err := r.verifyToken(ctx, refresh, "DSR")
		if err != nil {
			return verifier.Session{}, fmt.Errorf("refresh token: %w", err)
		}
		s.RefreshExpires = rc.Expires
	}
	if s.User.ID == "" {
		s.User.ID = sc.Subject
	}
	return s, nil
}

// verifyToken checks a token's signature against the server's JWKS, its expiry and
// issue time against Remote's clock, its issuer against the project id (Descope's rule:
// the id itself, or a URL whose last or second-to-last segment is the id) and its drn.
func (r *Remote) verifyToken(ctx context.Context, token, drn string) (verifier.Claims, error) {
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}),
		jwt.WithTimeFunc(r.now), jwt.WithLeeway(tokenLeeway), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
	)
	var c remoteClaims
	_, err := p.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("the token names no key (kid)")
		}
		k, err := r.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		if k.Alg != t.Method.Alg() {
			return nil, fmt.Errorf("the token's algorithm %s is not its key's (%s)", t.Method.Alg(), k.Alg)
		}
		return publicKey(k)
	})
	if err != nil {
		return verifier.Claims{}, fmt.Errorf("%w: %v", verifier.ErrBadToken, err)
	}
	if !issuerMatches(c.Issuer, r.pid) {
		return verifier.Claims{}, fmt.Errorf("%w: the token was issued for another project", verifier.ErrBadToken)
	}
	if c.DRN != "" && c.DRN != drn {
		return verifier.Claims{}, fmt.Errorf("%w: expected a %s token, got %s", verifier.ErrBadToken, drn, c.DRN)
	}
	out := verifier.Claims{Issuer: c.Issuer, Subject: c.Subject, AMR: c.AMR}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		out.Expires = c.ExpiresAt.Time
	}
	return out, nil
}

// issuerMatches is the node SDK's issuerMatchesProject rule.
func issuerMatches(iss, pid string) bool {
	if iss == pid {
		return true
	}
	segs := strings.Split(strings.TrimRight(iss, "/"), "/")
	n := len(segs)
	return n > 1 && (segs[n-1] == pid || segs[n-2] == pid)
}

// key returns the server's public key kid, fetching the JWKS again when kid is not
// known yet (keys rotate).
func (r *Remote) key(ctx context.Context, kid string) (verifier.JWK, error) {
	r.mu.Lock()
	k, ok := r.keys[kid]
	r.mu.Unlock()
	if ok {
		return k, nil
	}
	set, err := r.Keys(ctx)
	if err != nil {
		return verifier.JWK{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = make(map[string]verifier.JWK, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kid != "" && (k.Use == "" || k.Use == "sig") {
			r.keys[k.Kid] = k
		}
	}
	k, ok = r.keys[kid]
	if !ok {
		return verifier.JWK{}, errors.New("the server has no key with the token's kid")
	}
	return k, nil
}

// publicKey turns an RSA or EC JWK into a public key.
func publicKey(k verifier.JWK) (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64int(k.N)
		e, err2 := b64int(k.E)
		if err1 != nil || err2 != nil || n.Sign() <= 0 || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return nil, errors.New("malformed RSA key in the JWKS")
		}
		if n.BitLen() < 2048 {
			return nil, errors.New("RSA key in the JWKS is shorter than 2048 bits")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported curve %q in the JWKS", k.Crv)
		}
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		size := (curve.Params().BitSize + 7) / 8
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, errors.New("malformed EC key in the JWKS")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("EC key in the JWKS: %w", err)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("unsupported key type %q in the JWKS", k.Kty)
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}
