package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token signing algorithms LocalOptions.SigningAlg accepts.
const (
	RS256 = "RS256" // RSA 2048, what Descope itself uses; the default
	ES256 = "ES256" // ECDSA P-256: much faster to sign
)

// The drn claim values that tell Descope's SDKs a session token from a refresh token.
const (
	drnSession = "DS"
	drnRefresh = "DSR"
)

// tokenClaims is the claim set of both token kinds. There is no aud: Descope's Python
// SDK rejects a token whose aud is not the project id.
type tokenClaims struct {
	jwt.RegisteredClaims
	DRN string   `json:"drn"`
	AMR []string `json:"amr,omitempty"`
	// IssuedMs is a refresh token's issue time in unix milliseconds (iat has whole
	// seconds), so that a logout everywhere revokes exactly the tokens issued before it.
	IssuedMs int64 `json:"iat_ms,omitempty"`
	// SU marks a stepped-up session token (loginOptions.stepup).
	SU bool `json:"su,omitempty"`
	// Custom are a sign-in's customClaims: top-level claims of a session token
	// (written by MarshalJSON), kept under cc in its refresh token for Refresh.
	Custom map[string]any `json:"cc,omitempty"`
}

// MarshalJSON writes the claims, a session token's custom claims at the top level
// (checkCustomClaims keeps them off the reserved names).
func (c tokenClaims) MarshalJSON() ([]byte, error) {
	type plain tokenClaims
	if c.DRN != drnSession || len(c.Custom) == 0 {
		return json.Marshal(plain(c))
	}
	custom := c.Custom
	c.Custom = nil
	base, err := json.Marshal(plain(c))
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, len(custom)+8)
	for k, v := range custom {
		m[k] = v
	}
	var std map[string]any
	if err := json.Unmarshal(base, &std); err != nil {
		return nil, err
	}
	for k, v := range std {
		m[k] = v
	}
	return json.Marshal(m)
}

// signer signs and verifies the tokens with the persisted key pair. Verification pins
// the algorithm and the kid, so alg none, HS256 with the public key as secret, or a
// token from any other key is refused.
type signer struct {
	alg    string
	method jwt.SigningMethod
	priv   crypto.Signer
	pub    crypto.PublicKey
	kid    string
	jwk    JWK
	parser *jwt.Parser
}

func metaSigningKey(alg string) string { return "signing_key:" + alg }

// signingMethod is the jwt method of alg; ErrInvalidArgument for any other alg.
func signingMethod(alg string) (jwt.SigningMethod, error) {
	switch alg {
	case RS256:
		return jwt.SigningMethodRS256, nil
	case ES256:
		return jwt.SigningMethodES256, nil
	default:
		return nil, fmt.Errorf("signing key: %w: algorithm %q (want RS256 or ES256)", ErrInvalidArgument, alg)
	}
}

// loadSigner loads the first signing key of alg (key 0, stored under
// metaSigningKey(alg)) from the store, creating and storing it (sealed) on first start.
func loadSigner(ctx context.Context, st Store, seal *sealer, alg string, clock Clock, issuer string) (*signer, error) {
	if _, err := signingMethod(alg); err != nil {
		return nil, err
	}
	name := metaSigningKey(alg)
	stored, err := st.Meta(ctx, name)
	if errors.Is(err, ErrNotFound) {
		der, gerr := generateKeyDER(alg)
		if gerr != nil {
			return nil, gerr
		}
		ct, nonce := seal.seal(der, name)
		clear(der)
		// Another instance on the same database may have stored one first: use that.
		stored, err = st.InitMeta(ctx, name, encodeSealed(seal.keyID, nonce, ct))
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	keyID, nonce, ct, err := decodeSealed(stored)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return openSigner(seal, alg, name, keyID, nonce, ct, clock, issuer)
}

// openSigner unseals (under aad) and parses one stored signing key of alg.
func openSigner(seal *sealer, alg, aad, keyID string, nonce, ct []byte, clock Clock, issuer string) (*signer, error) {
	method, err := signingMethod(alg)
	if err != nil {
		return nil, err
	}
	der, err := seal.open(ct, nonce, keyID, aad)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("signing key: parse: %w", err)
	}
	s := &signer{alg: alg, method: method}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if alg != RS256 {
			return nil, fmt.Errorf("signing key: stored %s key is RSA", alg)
		}
		s.priv, s.pub = k, &k.PublicKey
		s.jwk = JWK{Kty: "RSA", Alg: alg, Use: "sig",
			N: b64(k.N.Bytes()), E: b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PrivateKey:
		if alg != ES256 || k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("signing key: stored %s key is not P-256", alg)
		}
		point, err := k.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		s.priv, s.pub = k, &k.PublicKey
		s.jwk = JWK{Kty: "EC", Alg: alg, Use: "sig", Crv: "P-256", X: b64(point[1:33]), Y: b64(point[33:])}
	default:
		return nil, fmt.Errorf("signing key: unsupported key type %T", key)
	}
	s.kid = thumbprint(s.jwk)
	s.jwk.Kid = s.kid
	s.parser = newTokenParser(alg, clock, issuer)
	return s, nil
}

// newTokenParser pins the algorithm, requires an expiry checked against clock, and
// the issuer.
func newTokenParser(alg string, clock Clock, issuer string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{alg}),
		jwt.WithTimeFunc(clock),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
	)
}

func generateKeyDER(alg string) ([]byte, error) {
	var key any
	var err error
	if alg == RS256 {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: generate: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("signing key: encode: %w", err)
	}
	return der, nil
}

// thumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url): a kid that changes
// exactly when the key does.
func thumbprint(k JWK) string {
	var canon string
	if k.Kty == "RSA" {
		canon = `{"e":"` + k.E + `","kty":"RSA","n":"` + k.N + `"}`
	} else {
		canon = `{"crv":"` + k.Crv + `","kty":"EC","x":"` + k.X + `","y":"` + k.Y + `"}`
	}
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// issue signs a token of kind drn for sub, valid from now for ttl; jti is set on
// refresh tokens so that logout can revoke them.
func (s *signer) issue(iss, sub, drn, jti string, now time.Time, ttl time.Duration, x *sessionExtra) (string, tokenClaims, error) {
	c := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    iss,
			Subject:   sub,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        jti,
		},
		DRN: drn,
		AMR: []string{"totp"},
	}
	if drn == drnRefresh {
		c.IssuedMs = now.UnixMilli()
	}
	if x != nil {
		c.Custom = x.custom
		if len(x.amr) > 0 {
			c.AMR = x.amr
		}
		c.SU = x.stepup && drn == drnSession
	}
	t := jwt.NewWithClaims(s.method, c)
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.priv)
	if err != nil {
		return "", tokenClaims{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, c, nil
}

// verify checks a token's signature (algorithm and kid pinned), issuer, expiry against
// the injected clock and kind. Every failure wraps ErrBadToken; the token itself never
// appears in the error.
func (s *signer) verify(raw, drn string) (tokenClaims, error) {
	if raw == "" {
		return tokenClaims{}, fmt.Errorf("%w: no token", ErrBadToken)
	}
	var c tokenClaims
	_, err := s.parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != s.kid {
			return nil, errors.New("unknown kid")
		}
		return s.pub, nil
	})
	if err != nil {
		return tokenClaims{}, fmt.Errorf("%w: %s", ErrBadToken, tokenReason(err))
	}
	return checkClaims(c, drn)
}

// checkClaims checks what the signature does not: the token kind, a subject, and the
// id of a refresh token.
func checkClaims(c tokenClaims, drn string) (tokenClaims, error) {
	if c.DRN != drn {
		return tokenClaims{}, fmt.Errorf("%w: not a %s token", ErrBadToken, kindName(drn))
	}
	if c.Subject == "" {
		return tokenClaims{}, fmt.Errorf("%w: no subject", ErrBadToken)
	}
	if drn == drnRefresh && c.ID == "" {
		return tokenClaims{}, fmt.Errorf("%w: refresh token without id", ErrBadToken)
	}
	return c, nil
}

// tokenReason is a short, token-free reason for a verification failure.
func tokenReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature or algorithm"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "signed by an unknown key"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "issued for another project"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "missing a required claim"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "not valid yet"
	default:
		return "invalid"
	}
}

func kindName(drn string) string {
	if drn == drnRefresh {
		return "refresh"
	}
	return "session"
}

func (c tokenClaims) public() Claims {
	out := Claims{Issuer: c.Issuer, Subject: c.Subject, AMR: append([]string(nil), c.AMR...), StepUp: c.SU, Custom: c.Custom}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time.UTC()
	}
	if c.ExpiresAt != nil {
		out.Expires = c.ExpiresAt.Time.UTC()
	}
	return out
}

// encodeSealed and decodeSealed are the text form of a sealed named value.
func encodeSealed(keyID string, nonce, ct []byte) []byte {
	return []byte(keyID + "." + base64.RawStdEncoding.EncodeToString(nonce) + "." + base64.RawStdEncoding.EncodeToString(ct))
}

func decodeSealed(v []byte) (keyID string, nonce, ct []byte, err error) {
	parts := strings.Split(string(v), ".")
	if len(parts) != 3 {
		return "", nil, nil, errors.New("malformed sealed value")
	}
	nonce, err1 := base64.RawStdEncoding.DecodeString(parts[1])
	ct, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return "", nil, nil, errors.New("malformed sealed value")
	}
	return parts[0], nonce, ct, nil
}
