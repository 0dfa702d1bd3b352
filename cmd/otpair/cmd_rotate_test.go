package main

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// jwtKid is the kid in a token's header.
func jwtKid(t *testing.T, token string) string {
	t.Helper()
	head, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("token header: %v", err)
	}
	return h.Kid
}

func TestVerifierRotateKey(t *testing.T) {
	o := newOtpairRun(t)
	db := filepath.Join(t.TempDir(), "v.db")
	v := func(step string, args ...string) []string {
		return append([]string{"verifier", step, "--db", db, "--signing-alg", "ES256"}, args...)
	}
	su := o.mustJSON(v("signup", "rita")...)
	si := o.mustJSON(v("signin", "rita", totpCode(t, su["provisioningURL"].(string), o.now, 0))...)
	oldRefresh := si["refreshJwt"].(string)
	k0 := jwtKid(t, si["sessionJwt"].(string))

	rk := o.mustJSON(v("rotate-key")...)
	k1, _ := rk["kid"].(string)
	var published []string
	for _, p := range rk["published"].([]any) {
		published = append(published, p.(string))
	}
	if k1 == "" || k1 == k0 || rk["alg"] != "ES256" || !slices.Equal(published, []string{k1, k0}) {
		t.Fatalf("rotate-key --json = %v; want a new kid, alg ES256, published [new, %s]", rk, k0)
	}
	// The refresh token from before the rotation still works; the new session token
	// is signed by the new key, in a later run over the same database.
	rf := o.mustJSON(v("refresh", "--refresh-token", oldRefresh)...)
	if got := jwtKid(t, rf["sessionJwt"].(string)); got != k1 {
		t.Fatalf("session token after rotate-key signed by %s, want %s", got, k1)
	}

	// Plain output: the kid alone on stdout.
	code, out, errs := o.run(v("rotate-key")...)
	k2 := strings.TrimSpace(out)
	if code != 0 || k2 == "" || k2 == k1 || strings.Contains(k2, "\n") || !strings.Contains(errs, "3 key(s) published") {
		t.Fatalf("rotate-key: exit %d %q %q", code, out, errs)
	}

	// Only the local backend has keys to rotate.
	if code, _, errs := o.run("verifier", "rotate-key", "--backend", "http://127.0.0.1:1", "--project-id", "P1"); code != 2 || !strings.Contains(errs, "local backend") {
		t.Fatalf("rotate-key against a URL: exit %d %q", code, errs)
	}
	if code, _, errs := o.run(v("rotate-key", "extra")...); code != 2 || !strings.Contains(errs, "no arguments") {
		t.Fatalf("rotate-key with an argument: exit %d %q", code, errs)
	}
}
