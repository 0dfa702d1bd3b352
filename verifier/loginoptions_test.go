package verifier

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// jwtPayload decodes a token's claims without checking it (the signature is checked
// by VerifySession where that matters).
func jwtPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCustomClaimsReachTheSessionToken(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k := ltSignUp(t, e, "cc@example.com")
	s, err := e.l.SignInWithOptions(t.Context(), "cc@example.com", ltCode(t, k, e.clock.Now()),
		LoginOptions{CustomClaims: map[string]any{"plan": "gold", "level": 3}})
	if err != nil {
		t.Fatal(err)
	}
	p := jwtPayload(t, s.SessionJWT)
	if p["plan"] != "gold" || p["level"] != float64(3) || p["drn"] != "DS" || p["sub"] != s.User.ID {
		t.Fatalf("session claims = %v", p)
	}
	if _, err := e.l.VerifySession(t.Context(), s.SessionJWT); err != nil {
		t.Fatalf("the token with custom claims does not verify: %v", err)
	}
	// A refreshed session keeps them.
	e.clock.Add(time.Minute)
	r, err := e.l.Refresh(t.Context(), s.RefreshJWT)
	if err != nil {
		t.Fatal(err)
	}
	if p := jwtPayload(t, r.SessionJWT); p["plan"] != "gold" {
		t.Fatalf("refreshed session lost the custom claims: %v", p)
	}
}

func TestCustomClaimsCannotSetReservedClaims(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k := ltSignUp(t, e, "rc@example.com")
	for _, name := range []string{"sub", "iss", "exp", "drn", "amr", "su"} {
		_, err := e.l.SignInWithOptions(t.Context(), "rc@example.com", ltCode(t, k, e.clock.Now()),
			LoginOptions{CustomClaims: map[string]any{name: "x"}})
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), `"`+name+`" is a reserved claim`) {
			t.Fatalf("customClaims %s: %v, want a reserved-claim error", name, err)
		}
	}
	// Refused before the code was checked: the code still signs in.
	if _, err := e.l.SignIn(t.Context(), "rc@example.com", ltCode(t, k, e.clock.Now())); err != nil {
		t.Fatalf("the code was used up by a refused sign-in: %v", err)
	}
}

func TestStepupAndMFA(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k, first := ltEnrol(t, e, "su@example.com")
	e.clock.Add(30 * time.Second)
	code := ltCode(t, k, e.clock.Now())
	if _, err := e.l.SignInWithOptions(t.Context(), "su@example.com", code, LoginOptions{Stepup: true}); !errors.Is(err, ErrBadToken) {
		t.Fatalf("stepup without a refresh token: %v, want ErrBadToken", err)
	}
	_, other := ltEnrol(t, e, "other@example.com")
	if _, err := e.l.SignInWithOptions(t.Context(), "su@example.com", code, LoginOptions{Stepup: true, RefreshJWT: other.RefreshJWT}); !errors.Is(err, ErrBadToken) {
		t.Fatalf("stepup with another user's token: %v, want ErrBadToken", err)
	}
	s, err := e.l.SignInWithOptions(t.Context(), "su@example.com", code, LoginOptions{Stepup: true, RefreshJWT: first.RefreshJWT})
	if err != nil {
		t.Fatal(err)
	}
	if p := jwtPayload(t, s.SessionJWT); p["su"] != true {
		t.Fatalf("stepped-up session has no su claim: %v", p)
	}
	if p := jwtPayload(t, s.RefreshJWT); p["su"] != nil {
		t.Fatalf("the refresh token carries su: %v", p)
	}
	if !s.SessionClaims.StepUp {
		t.Fatal("Claims.StepUp is false")
	}
	e.clock.Add(30 * time.Second)
	m, err := e.l.SignInWithOptions(t.Context(), "su@example.com", ltCode(t, k, e.clock.Now()), LoginOptions{MFA: true, RefreshJWT: first.RefreshJWT})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{m.SessionJWT, m.RefreshJWT} {
		amr, _ := jwtPayload(t, tok)["amr"].([]any)
		var got []string
		for _, a := range amr {
			got = append(got, a.(string))
		}
		if !slices.Equal(got, []string{"mfa", "totp"}) {
			t.Fatalf("mfa amr = %v, want [mfa totp]", got)
		}
	}
	if p := jwtPayload(t, m.SessionJWT); p["su"] != nil {
		t.Fatalf("an mfa sign-in without stepup has su: %v", p)
	}
}

func TestEnrolAfterDeleteSeed(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k, _ := ltEnrol(t, e, "back@example.com")
	if err := e.l.DeleteSeed(t.Context(), "back@example.com"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(30 * time.Second)
	if _, err := e.l.SignIn(t.Context(), "back@example.com", ltCode(t, k, e.clock.Now())); !errors.Is(err, ErrNoSeed) {
		t.Fatalf("sign-in after delete seed: %v, want ErrNoSeed", err)
	}
	if _, err := e.l.SignUp(t.Context(), "back@example.com", UserInfo{}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("a stranger's sign-up of the user: %v, want ErrUserExists", err)
	}
	if _, err := e.l.Enrol(t.Context(), "nobody@example.com"); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("enrol of an unknown user: %v", err)
	}
	en, err := e.l.Enrol(t.Context(), "back@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := e.l.LoadUser(t.Context(), "back@example.com")
	if u.TOTP || !u.Pending {
		t.Fatalf("after enrol: %+v, want a pending seed only", u)
	}
	e.clock.Add(30 * time.Second)
	s, err := e.l.SignIn(t.Context(), "back@example.com", ltCode(t, ltKey(t, en), e.clock.Now()))
	if err != nil {
		t.Fatalf("the new enrolment's first code: %v", err)
	}
	if !s.User.TOTP || s.User.Pending {
		t.Fatalf("after the first code: %+v, want an active seed", s.User)
	}
}
