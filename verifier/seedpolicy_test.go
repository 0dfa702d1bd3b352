package verifier

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// TestSeedPolicy: new enrolments get the policy's algorithm, digits, period and a
// secret as long as the hash's output, their codes sign in (computed by the
// provisioning package, not the verifier's own MatchStep), seeds issued before keep
// theirs, and a bad policy is refused at start.
func TestSeedPolicy(t *testing.T) {
	for _, pol := range []SeedPolicy{{}, {Algorithm: provisioning.SHA256, Digits: 8, Period: 60}, {Algorithm: provisioning.SHA512, Digits: 7, Period: 15}} {
		e := newLTEnv(t, LocalOptions{Seeds: pol})
		want := pol.withDefaults()
		k := ltSignUp(t, e, "quinn")
		if k.Algorithm != want.Algorithm || k.Digits != want.Digits || k.Period != want.Period || len(k.Secret)*8 != want.secretBits() {
			t.Fatalf("%v: seed %v/%d/%d with %d secret bytes", want, k.Algorithm, k.Digits, k.Period, len(k.Secret))
		}
		if pol == (SeedPolicy{}) {
			enr, err := e.l.SignUp(t.Context(), "rae", UserInfo{})
			if err != nil || strings.Contains(enr.ProvisioningURL, "algorithm=") || strings.Contains(enr.ProvisioningURL, "period=") {
				t.Fatalf("a default seed's URL keeps its default parameters: %v", err)
			}
		}
		s, err := e.l.SignIn(t.Context(), "quinn", ltCode(t, k, e.clock.Now()))
		if err != nil || !s.FirstSeen {
			t.Fatalf("%v: sign-in with the seed's code: %v", want, err)
		}
		// A step of the policy's period later, the next code signs in.
		e.clock.Add(time.Duration(want.Period) * time.Second)
		if _, err := e.l.SignIn(t.Context(), "quinn", ltCode(t, k, e.clock.Now())); err != nil {
			t.Fatalf("%v: the next period's code: %v", want, err)
		}
	}
	for _, bad := range []SeedPolicy{{Algorithm: "MD5"}, {Digits: 9}, {Digits: 5}, {Period: 5}, {Period: 301}} {
		st, err := OpenSQLiteForTest(context.Background(), t.TempDir()+"/v.db")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewLocal(t.Context(), st, LocalOptions{SeedKey: NewSeedKey(), Seeds: bad}); err == nil || !strings.Contains(err.Error(), "TOTP") {
			t.Errorf("NewLocal with policy %+v: %v, want an error naming it", bad, err)
		}
		st.Close()
	}
}
