package verifier

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/provisioning"
)

// ltStart is 10 s into a 30 s step, so ±1 step offsets stay inside their steps.
var ltStart = time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC)

type ltEnv struct {
	l     *Local
	st    Store
	clock *testclock.Clock
	path  string
	key   []byte
}

// newLTEnv opens a Local over a real SQLite file in a temporary folder.
func newLTEnv(t testing.TB, opts LocalOptions) *ltEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "verifier.db")
	clock := testclock.New(ltStart)
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	if opts.SeedKey == nil {
		opts.SeedKey = NewSeedKey()
	}
	if opts.SigningAlg == "" {
		opts.SigningAlg = ES256 // RSA key generation is slow under -race; RS256 has its own tests
	}
	st, err := OpenSQLiteForTest(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := NewLocal(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &ltEnv{l: l, st: st, clock: clock, path: path, key: opts.SeedKey}
}

// ltKey reads an enrollment back as a key, the way an authenticator app would.
func ltKey(t testing.TB, e Enrollment) provisioning.Key {
	t.Helper()
	k, err := provisioning.ParseURI(e.ProvisioningURL)
	if err != nil {
		t.Fatalf("parse provisioning URL: %v", err)
	}
	return k
}

func ltCode(t testing.TB, k provisioning.Key, at time.Time) string {
	t.Helper()
	c, err := k.Code(at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ltSignUp(t testing.TB, e *ltEnv, login string) provisioning.Key {
	t.Helper()
	enr, err := e.l.SignUp(context.Background(), login, UserInfo{Name: "N " + login})
	if err != nil {
		t.Fatalf("SignUp(%s): %v", login, err)
	}
	return ltKey(t, enr)
}

// ltEnrol signs login up and confirms it with the current code.
func ltEnrol(t testing.TB, e *ltEnv, login string) (provisioning.Key, Session) {
	t.Helper()
	k := ltSignUp(t, e, login)
	s, err := e.l.SignIn(context.Background(), login, ltCode(t, k, e.clock.Now()))
	if err != nil {
		t.Fatalf("confirming SignIn(%s): %v", login, err)
	}
	return k, s
}

func ltWantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func TestLifecycle(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	ctx := t.Context()
	enr, err := e.l.SignUp(ctx, "alice@example.com", UserInfo{Name: "Alice", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	k := ltKey(t, enr)
	if k.Issuer != DefaultIssuer || k.Account != "alice@example.com" || len(k.Secret) != 20 ||
		k.Algorithm != provisioning.SHA1 || k.Digits != 6 || k.Period != 30 {
		t.Fatalf("provisioned key %v with %d secret bytes; want otpair, alice, 160 bits, SHA1/6/30", k, len(k.Secret))
	}
	if enr.Key != k.SecretBase32() {
		t.Fatal("Enrollment.Key is not the URL's secret")
	}
	if !bytes.HasPrefix(enr.Image, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("Enrollment.Image is not a PNG")
	}
	if qr, err := provisioning.DecodeQRBytes(t.Context(), enr.Image); err != nil || len(qr) != 1 || qr[0] != enr.ProvisioningURL {
		t.Fatalf("QR image holds %d codes (%v), want the provisioning URL", len(qr), err)
	}

	// A pending sign-up is not a user yet.
	_, err = e.l.LoadUser(ctx, "alice@example.com")
	ltWantErr(t, "LoadUser of a pending sign-up", err, ErrUnknownUser)
	if us, err := e.l.Users(ctx); err != nil || len(us) != 1 || !us[0].Pending || us[0].TOTP {
		t.Fatalf("Users = %+v, %v; want the pending sign-up listed as pending", us, err)
	}

	now := e.clock.Now()
	_, err = e.l.SignIn(ctx, "alice@example.com", ltWrongCode(ltCode(t, k, now)))
	ltWantErr(t, "wrong code", err, ErrWrongCode)

	code := ltCode(t, k, now)
	s, err := e.l.SignIn(ctx, "alice@example.com", code)
	if err != nil {
		t.Fatal(err)
	}
	if !s.FirstSeen || s.User.LoginID != "alice@example.com" || !s.User.TOTP || s.User.Pending ||
		s.User.LastStep != k.Step(now) || s.User.StepDrift != 0 || s.User.Name != "Alice" {
		t.Fatalf("first sign-in = %+v", s.User)
	}
	c := s.SessionClaims
	if c.Issuer != e.l.ProjectID() || c.Subject != s.User.ID || len(c.AMR) != 1 || c.AMR[0] != "totp" ||
		!c.IssuedAt.Equal(now) || !c.Expires.Equal(now.Add(DefaultSessionTTL)) || !s.RefreshExpires.Equal(now.Add(DefaultRefreshTTL)) {
		t.Fatalf("session claims %+v, refresh expires %v", c, s.RefreshExpires)
	}
	if vc, err := e.l.VerifySession(ctx, s.SessionJWT); err != nil || vc.Subject != s.User.ID {
		t.Fatalf("VerifySession = %+v, %v", vc, err)
	}
	if strings.Contains(s.String(), s.SessionJWT) || strings.Contains(s.String(), s.RefreshJWT) {
		t.Fatal("Session.String prints a token")
	}
	_, err = e.l.SignIn(ctx, "alice@example.com", code)
	ltWantErr(t, "same code again", err, ErrCodeReused)

	u, err := e.l.LoadUser(ctx, "alice@example.com")
	if err != nil || u.ID != s.User.ID || !u.TOTP {
		t.Fatalf("LoadUser = %+v, %v", u, err)
	}
	_, err = e.l.SignUp(ctx, "alice@example.com", UserInfo{})
	ltWantErr(t, "sign-up of an existing user", err, ErrUserExists)

	// The next step's code works and is not a first sign-in.
	e.clock.Add(30 * time.Second)
	s2, err := e.l.SignIn(ctx, "alice@example.com", ltCode(t, k, e.clock.Now()))
	if err != nil || s2.FirstSeen {
		t.Fatalf("second sign-in: first seen %v, %v", s2.FirstSeen, err)
	}

	// Update: a new pending seed; the old seed works until the new one verifies.
	enr2, err := e.l.Update(ctx, "alice@example.com", s.RefreshJWT)
	if err != nil {
		t.Fatal(err)
	}
	k2 := ltKey(t, enr2)
	if bytes.Equal(k2.Secret, k.Secret) {
		t.Fatal("update returned the old secret")
	}
	if u, _ := e.l.LoadUser(ctx, "alice@example.com"); !u.TOTP || !u.Pending {
		t.Fatalf("after update: TOTP %v pending %v, want both", u.TOTP, u.Pending)
	}
	e.clock.Add(30 * time.Second)
	if _, err := e.l.SignIn(ctx, "alice@example.com", ltCode(t, k, e.clock.Now())); err != nil {
		t.Fatalf("old seed before the new one verified: %v", err)
	}
	e.clock.Add(30 * time.Second)
	s3, err := e.l.SignIn(ctx, "alice@example.com", ltCode(t, k2, e.clock.Now()))
	if err != nil || s3.FirstSeen || s3.User.Pending {
		t.Fatalf("new seed: %+v, %v", s3.User, err)
	}
	e.clock.Add(30 * time.Second)
	_, err = e.l.SignIn(ctx, "alice@example.com", ltCode(t, k, e.clock.Now()))
	ltWantErr(t, "old seed after the new one verified", err, ErrWrongCode)

	// Session calls.
	r, err := e.l.Refresh(ctx, s.RefreshJWT)
	if err != nil || r.SessionJWT == "" || r.SessionJWT == s.SessionJWT || r.RefreshJWT != s.RefreshJWT || r.User.ID != s.User.ID {
		t.Fatalf("Refresh = %v, %v", r, err)
	}
	if me, err := e.l.Me(ctx, s.RefreshJWT); err != nil || me.ID != s.User.ID {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if err := e.l.Logout(ctx, s.RefreshJWT); err != nil {
		t.Fatal(err)
	}
	_, err = e.l.Refresh(ctx, s.RefreshJWT)
	ltWantErr(t, "Refresh after logout", err, ErrBadToken)
	_, err = e.l.Me(ctx, s.RefreshJWT)
	ltWantErr(t, "Me after logout", err, ErrBadToken)
	_, err = e.l.Update(ctx, "alice@example.com", s.RefreshJWT)
	ltWantErr(t, "Update after logout", err, ErrBadToken)
	if _, err := e.l.Me(ctx, s3.RefreshJWT); err != nil {
		t.Fatalf("another session's refresh token after logout: %v", err)
	}

	// Management: delete the seed, then the user.
	if err := e.l.DeleteSeed(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(30 * time.Second)
	_, err = e.l.SignIn(ctx, "alice@example.com", ltCode(t, k2, e.clock.Now()))
	ltWantErr(t, "sign-in after delete seed", err, ErrNoSeed)
	if us, err := e.l.Users(ctx); err != nil || len(us) != 1 || us[0].TOTP {
		t.Fatalf("Users = %+v, %v; want alice without TOTP", us, err)
	}
	if err := e.l.DeleteUser(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	_, err = e.l.LoadUser(ctx, "alice@example.com")
	ltWantErr(t, "LoadUser after delete", err, ErrUnknownUser)
	_, err = e.l.Me(ctx, s3.RefreshJWT)
	ltWantErr(t, "Me of a deleted user", err, ErrBadToken)
	ltWantErr(t, "DeleteSeed of an unknown user", e.l.DeleteSeed(ctx, "alice@example.com"), ErrUnknownUser)
	ltWantErr(t, "DeleteUser of an unknown user", e.l.DeleteUser(ctx, "alice@example.com"), ErrUnknownUser)
	_, err = e.l.SignIn(ctx, "nobody", "123456")
	ltWantErr(t, "SignIn of an unknown user", err, ErrUnknownUser)
}

// ltWrongCode is a code that differs from c in every digit.
func ltWrongCode(c string) string {
	b := []byte(c)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+5)%10
	}
	return string(b)
}

func TestManagementUsers(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	ctx := t.Context()
	ltSignUp(t, e, "pending")
	u, err := e.l.CreateUser(ctx, "pending", UserInfo{Name: "P", Phone: "+1"}) // drops the pending sign-up
	if err != nil || u.LoginID != "pending" || u.TOTP || u.Pending || u.Phone != "+1" {
		t.Fatalf("CreateUser over a pending sign-up = %+v, %v", u, err)
	}
	_, err = e.l.CreateUser(ctx, "pending", UserInfo{})
	ltWantErr(t, "CreateUser twice", err, ErrUserExists)
	_, err = e.l.SignUp(ctx, "pending", UserInfo{})
	ltWantErr(t, "SignUp of a created user", err, ErrUserExists)
	_, err = e.l.SignIn(ctx, "pending", "123456")
	ltWantErr(t, "SignIn of a user without seed", err, ErrNoSeed)
	for _, bad := range []string{"", "a\x00b", "line\nbreak", strings.Repeat("x", 257)} {
		_, err := e.l.CreateUser(ctx, bad, UserInfo{})
		ltWantErr(t, "CreateUser("+strings.ReplaceAll(bad, "\x00", `\0`)+")", err, ErrBadRequest)
		_, err = e.l.SignUp(ctx, bad, UserInfo{})
		ltWantErr(t, "SignUp(bad)", err, ErrBadRequest)
	}
	_, err = e.l.SignIn(ctx, "pending", " ")
	ltWantErr(t, "SignIn without a code", err, ErrMissingArgument)
}

func TestResignupReplacesPendingSeed(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k1 := ltSignUp(t, e, "bob")
	k2 := ltSignUp(t, e, "bob")
	now := e.clock.Now()
	_, err := e.l.SignIn(t.Context(), "bob", ltCode(t, k1, now))
	ltWantErr(t, "the replaced pending seed", err, ErrWrongCode)
	s, err := e.l.SignIn(t.Context(), "bob", ltCode(t, k2, now))
	if err != nil || !s.FirstSeen {
		t.Fatalf("the new pending seed: first seen %v, %v", s.FirstSeen, err)
	}
}

// TestPendingSeedExpires: a sign-up or update not confirmed within PendingTTL is
// ignored: its codes open nothing, a sign-up-only user gets ErrNoSeed without an
// attempt counted, the active seed of an updating user keeps working, and signing up
// again starts a fresh enrolment. The TTL's last instant still counts.
func TestPendingSeedExpires(t *testing.T) {
	ctx := context.Background()
	const ttl = 10 * time.Minute
	e := newLTEnv(t, LocalOptions{PendingTTL: ttl})
	start := e.clock.Now()

	// A sign-up confirmed at the TTL's last millisecond still works.
	late := ltSignUp(t, e, "lena")
	e.clock.Add(ttl - time.Millisecond)
	if _, err := e.l.SignIn(ctx, "lena", ltCode(t, late, e.clock.Now())); err != nil {
		t.Fatalf("confirming just before the TTL: %v", err)
	}
	e.clock.Set(start)

	// One that waited the whole TTL does not, and costs no attempt.
	k := ltSignUp(t, e, "carl")
	e.clock.Add(ttl)
	_, err := e.l.SignIn(ctx, "carl", ltCode(t, k, e.clock.Now()))
	ltWantErr(t, "confirming an expired sign-up", err, ErrNoSeed)
	if !strings.Contains(err.Error(), "expired") {
		t.Fatalf("the error does not say the enrolment expired: %v", err)
	}
	if rec, err := e.st.UserByLoginID(ctx, "carl"); err != nil || rec.FailedAttempts != 0 {
		t.Fatalf("an expired enrolment counted attempts: %d, %v", rec.FailedAttempts, err)
	}
	// Twice, now that the user is cached.
	_, err = e.l.SignIn(ctx, "carl", ltCode(t, k, e.clock.Now()))
	ltWantErr(t, "confirming an expired sign-up again", err, ErrNoSeed)
	k = ltSignUp(t, e, "carl")
	if s, err := e.l.SignIn(ctx, "carl", ltCode(t, k, e.clock.Now())); err != nil || !s.FirstSeen {
		t.Fatalf("signing up again after expiry: %v", err)
	}

	// An update left unconfirmed: the new seed expires, the old one stays.
	e.clock.Add(30 * time.Second)
	old, s := ltEnrol(t, e, "dora")
	enr, err := e.l.Update(ctx, "dora", s.RefreshJWT)
	if err != nil {
		t.Fatal(err)
	}
	newKey := ltKey(t, enr)
	e.clock.Add(ttl + 30*time.Second)
	_, err = e.l.SignIn(ctx, "dora", ltCode(t, newKey, e.clock.Now()))
	ltWantErr(t, "a code of an expired update", err, ErrWrongCode)
	if _, err := e.l.SignIn(ctx, "dora", ltCode(t, old, e.clock.Now())); err != nil {
		t.Fatalf("the active seed beside an expired update: %v", err)
	}
}

// TestCodeSharedWithTheUsedStep: a user's code for the current step that happens to
// equal the already used code of the step before (once in a million) signs in; reusing
// it is still refused.
func TestCodeSharedWithTheUsedStep(t *testing.T) {
	ctx := context.Background()
	e := newLTEnv(t, LocalOptions{})
	e.clock.Set(time.Unix((collisionStep-1)*30, 0))
	now := e.clock.Now()
	rec := UserRecord{ID: newUserID(), LoginID: "olaf", Created: now, LastStep: -1}
	if err := e.st.CreateUser(ctx, rec); err != nil {
		t.Fatal(err)
	}
	ct, nonce := e.l.seal.seal(collisionKey.Secret, seedAAD(rec.ID))
	if err := e.st.PutPendingSeed(ctx, rec.ID, SealedSeed{ID: "s1", Ciphertext: ct, Nonce: nonce, KeyID: e.l.seal.keyID,
		Algorithm: "SHA1", Digits: 6, Period: 30, Created: now}); err != nil {
		t.Fatal(err)
	}
	if s, err := e.l.SignIn(ctx, "olaf", collisionCode); err != nil || !s.FirstSeen || s.User.LastStep != collisionStep-1 {
		t.Fatalf("confirming at step %d: last step %d, %v", collisionStep-1, s.User.LastStep, err)
	}
	e.clock.Add(30 * time.Second)
	s, err := e.l.SignIn(ctx, "olaf", collisionCode)
	if err != nil || s.User.LastStep != collisionStep || s.User.StepDrift != 0 {
		t.Fatalf("the next step's code, equal to the used one: last step %d drift %d, %v", s.User.LastStep, s.User.StepDrift, err)
	}
	_, err = e.l.SignIn(ctx, "olaf", collisionCode)
	ltWantErr(t, "the same code a third time", err, ErrCodeReused)
}

func TestWindowEdges(t *testing.T) {
	cases := []struct {
		name        string
		back, ahead int
		accepted    map[int]bool // step offset → accepted
	}{
		{"default", 0, 0, map[int]bool{-2: false, -1: true, 0: true, 1: true, 2: false}},
		{"none back, two ahead", -1, 2, map[int]bool{-2: false, -1: false, 0: true, 1: true, 2: true, 3: false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newLTEnv(t, LocalOptions{SkewBack: tc.back, SkewAhead: tc.ahead})
			for off, ok := range tc.accepted {
				login := "u" + string(rune('m'+off))
				k := ltSignUp(t, e, login)
				at := e.clock.Now().Add(time.Duration(off) * 30 * time.Second)
				s, err := e.l.SignIn(t.Context(), login, ltCode(t, k, at))
				if !ok {
					ltWantErr(t, "offset out of the window", err, ErrWrongCode)
					continue
				}
				if err != nil {
					t.Fatalf("offset %d: %v", off, err)
				}
				if s.User.StepDrift != off || s.User.LastStep != k.Step(at) {
					t.Fatalf("offset %d recorded drift %d step %d, want %d %d", off, s.User.StepDrift, s.User.LastStep, off, k.Step(at))
				}
			}
		})
	}
}

func TestReplayIsMonotonic(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k, _ := ltEnrol(t, e, "carol")
	e.clock.Add(30 * time.Second)
	now := e.clock.Now()
	// A code of the next step is accepted; the current step's code is then too old.
	if _, err := e.l.SignIn(t.Context(), "carol", ltCode(t, k, now.Add(30*time.Second))); err != nil {
		t.Fatal(err)
	}
	_, err := e.l.SignIn(t.Context(), "carol", ltCode(t, k, now))
	ltWantErr(t, "an older step after a newer one", err, ErrCodeReused)
	// The sign-up code cannot be the first sign-in's code either.
	k2 := ltSignUp(t, e, "dave")
	c := ltCode(t, k2, now)
	if _, err := e.l.SignIn(t.Context(), "dave", c); err != nil {
		t.Fatal(err)
	}
	_, err = e.l.SignIn(t.Context(), "dave", c)
	ltWantErr(t, "the confirming code again", err, ErrCodeReused)
}

func TestLockout(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k, _ := ltEnrol(t, e, "erin")
	e.clock.Add(30 * time.Second)
	lockStart := e.clock.Now()
	bad := ltWrongCode(ltCode(t, k, lockStart))
	for i := 1; i <= DefaultMaxAttempts; i++ {
		_, err := e.l.SignIn(t.Context(), "erin", bad)
		ltWantErr(t, "wrong code", err, ErrWrongCode)
		var wc *WrongCodeError
		if !errors.As(err, &wc) || wc.Left != DefaultMaxAttempts-i {
			t.Fatalf("attempt %d: %v, want a WrongCodeError with %d left", i, err, DefaultMaxAttempts-i)
		}
		if last := i == DefaultMaxAttempts; last != !wc.LockedUntil.IsZero() ||
			last && !wc.LockedUntil.Equal(lockStart.Add(DefaultLockDuration)) {
			t.Fatalf("attempt %d: locked until %v; only the last attempt starts the lock, until %v",
				i, wc.LockedUntil, lockStart.Add(DefaultLockDuration))
		}
		if errors.Is(err, ErrLocked) {
			t.Fatalf("attempt %d: %v is ErrLocked, but a checked code answers E061102", i, err)
		}
	}
	_, err := e.l.SignIn(t.Context(), "erin", ltCode(t, k, e.clock.Now()))
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || !le.Until.Equal(lockStart.Add(DefaultLockDuration)) {
		t.Fatalf("sign-in after %d failures = %v, want a LockedError until %v", DefaultMaxAttempts, err, lockStart.Add(DefaultLockDuration))
	}
	if u, _ := e.l.LoadUser(t.Context(), "erin"); !u.LockedUntil.Equal(le.Until) {
		t.Fatalf("LoadUser shows locked until %v, want %v", u.LockedUntil, le.Until)
	}
	e.clock.Add(DefaultLockDuration - time.Second)
	_, err = e.l.SignIn(t.Context(), "erin", ltCode(t, k, e.clock.Now()))
	ltWantErr(t, "a second before the lock ends", err, ErrLocked)
	e.clock.Add(time.Second)
	s, err := e.l.SignIn(t.Context(), "erin", ltCode(t, k, e.clock.Now()))
	if err != nil || !s.User.LockedUntil.IsZero() {
		t.Fatalf("sign-in when the lock ends: %v (locked until %v)", err, s.User.LockedUntil)
	}
	// The success reset the count: five more failures before the next lock.
	for i := 1; i <= DefaultMaxAttempts; i++ {
		_, err := e.l.SignIn(t.Context(), "erin", bad)
		ltWantErr(t, "wrong code after the reset", err, ErrWrongCode)
	}
	_, err = e.l.SignIn(t.Context(), "erin", bad)
	ltWantErr(t, "sixth failure", err, ErrLocked)
	// Reused codes count as failures too.
	e2 := newLTEnv(t, LocalOptions{MaxAttempts: 2, LockDuration: time.Minute})
	k2, s2 := ltEnrol(t, e2, "finn")
	_ = s2
	c := ltCode(t, k2, e2.clock.Now())
	for range 2 {
		_, err := e2.l.SignIn(t.Context(), "finn", c)
		ltWantErr(t, "reuse", err, ErrCodeReused)
	}
	_, err = e2.l.SignIn(t.Context(), "finn", c)
	ltWantErr(t, "after two reuses with MaxAttempts 2", err, ErrLocked)
}

func TestConcurrentSameCode(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k, _ := ltEnrol(t, e, "gina")
	e.clock.Add(30 * time.Second)
	code := ltCode(t, k, e.clock.Now())
	results := ltConcurrently(t, 50, func() error {
		_, err := e.l.SignIn(context.Background(), "gina", code)
		return err
	})
	if results[nil] != 1 || results[ErrCodeReused]+results[ErrLocked] != 49 {
		t.Fatalf("50 concurrent sign-ins with one code: %v; want exactly one success, the rest reused or locked", results)
	}
}

func TestConcurrentWrongGuesses(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k, _ := ltEnrol(t, e, "hank")
	var checked atomic.Int32
	e.l.afterCharge = func() { checked.Add(1) }
	e.clock.Add(30 * time.Second)
	bad := ltWrongCode(ltCode(t, k, e.clock.Now()))
	results := ltConcurrently(t, 200, func() error {
		_, err := e.l.SignIn(context.Background(), "hank", bad)
		return err
	})
	if n := checked.Load(); n != DefaultMaxAttempts {
		t.Fatalf("%d of 200 concurrent guesses reached the code check, want exactly %d", n, DefaultMaxAttempts)
	}
	if results[ErrWrongCode] != DefaultMaxAttempts || results[ErrLocked] != 200-DefaultMaxAttempts {
		t.Fatalf("200 concurrent wrong guesses: %v; want %d wrong, the rest locked", results, DefaultMaxAttempts)
	}
}

// ltConcurrently runs fn n times at once and counts the results by sentinel error
// (nil for success); any other error fails the test.
func ltConcurrently(t *testing.T, n int, fn func() error) map[error]int {
	t.Helper()
	var (
		mu      sync.Mutex
		results = map[error]int{}
		wg      sync.WaitGroup
		gate    = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-gate
			err := fn()
			key := err
			for _, s := range []error{ErrWrongCode, ErrCodeReused, ErrLocked} {
				if errors.Is(err, s) {
					key = s
				}
			}
			mu.Lock()
			results[key]++
			mu.Unlock()
		})
	}
	close(gate)
	wg.Wait()
	for err := range results {
		if err != nil && err != ErrWrongCode && err != ErrCodeReused && err != ErrLocked {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	return results
}

func TestSeedKeyAtStartUp(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	k, _ := ltEnrol(t, e, "ivy")
	pid, jwks := e.l.ProjectID(), e.l.sign.jwk
	e.st.Close()

	reopen := func(key []byte) (*Local, error) {
		st, err := OpenSQLiteForTest(t.Context(), e.path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return NewLocal(t.Context(), st, LocalOptions{Clock: e.clock.Now, SeedKey: key, SigningAlg: ES256})
	}
	_, err := reopen(NewSeedKey())
	if !errors.Is(err, ErrSeedKey) || !strings.Contains(err.Error(), "key id") {
		t.Fatalf("start-up with another seed key: %v; want a clear ErrSeedKey naming the key ids", err)
	}
	l, err := reopen(e.key)
	if err != nil {
		t.Fatal(err)
	}
	if l.ProjectID() != pid || l.sign.jwk != jwks {
		t.Fatal("project id or signing key changed across a restart")
	}
	e.clock.Add(30 * time.Second)
	if _, err := l.SignIn(t.Context(), "ivy", ltCode(t, k, e.clock.Now())); err != nil {
		t.Fatalf("sign-in after a restart: %v", err)
	}
	_, err = NewLocal(t.Context(), e.st, LocalOptions{SeedKey: []byte("short")})
	ltWantErr(t, "a short seed key", err, ErrSeedKey)
	_, err = NewLocal(t.Context(), e.st, LocalOptions{})
	ltWantErr(t, "no seed key", err, ErrSeedKey)
}

// TestSeedsBoundToTheirUser moves one user's sealed seed to another user's row: the AAD
// must make it unusable there.
func TestSeedsBoundToTheirUser(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	ka, _ := ltEnrol(t, e, "jack")
	ltEnrol(t, e, "kate")
	ctx := t.Context()
	jack, _ := e.st.UserByLoginID(ctx, "jack")
	kate, _ := e.st.UserByLoginID(ctx, "kate")
	active, _, _ := e.st.Seeds(ctx, jack.ID)
	stolen := *active
	stolen.ID = "stolen"
	if err := e.st.PutPendingSeed(ctx, kate.ID, stolen); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(30 * time.Second)
	if _, err := e.l.SignIn(ctx, "kate", ltCode(t, ka, e.clock.Now())); err == nil || errors.Is(err, ErrWrongCode) {
		t.Fatalf("a seed moved to another user: %v; want an integrity error", err)
	}
}

func TestSecretsNotInDatabaseFile(t *testing.T) {
	e := newLTEnv(t, LocalOptions{SigningAlg: RS256})
	var needles [][]byte
	add := func(ss ...string) {
		for _, s := range ss {
			needles = append(needles, []byte(s))
		}
	}
	for _, login := range []string{"ann", "ben", "cat"} {
		k, s := ltEnrol(t, e, login)
		needles = append(needles, k.Secret)
		add(k.SecretBase32(), strings.ToLower(k.SecretBase32()), s.SessionJWT, s.RefreshJWT)
		add(strings.Split(s.RefreshJWT, ".")[2]) // the signature alone
		if err := e.l.Logout(t.Context(), s.RefreshJWT); err != nil {
			t.Fatal(err)
		}
		_, s2 := ltEnrol(t, e, login+"2")
		enr, err := e.l.Update(t.Context(), login+"2", s2.RefreshJWT) // a pending seed too
		if err != nil {
			t.Fatal(err)
		}
		kp := ltKey(t, enr)
		needles = append(needles, kp.Secret)
		add(kp.SecretBase32())
	}
	needles = append(needles, e.key)
	add(string(b64(e.key)))
	der := ltPrivateDER(t, e.l)
	needles = append(needles, der[len(der)-64:]) // a slice of the private key
	e.st.Close()
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		data, _ := ltReadFile(e.path + suffix)
		all = append(all, data...)
	}
	if len(all) == 0 {
		t.Fatal("database file is empty")
	}
	for i, n := range needles {
		if bytes.Contains(all, n) {
			t.Fatalf("secret %d (%d bytes) appears in the database file", i, len(n))
		}
	}
}

// TestOddLoginIDs: login ids with URI-special characters survive the provisioning URL
// (the account an app shows is the login id) and sign in. (A space at either end,
// which the URL's account lost, is refused: TestNormalizeLoginID.)
func TestOddLoginIDs(t *testing.T) {
	e := newLTEnv(t, LocalOptions{Issuer: "Acme: Test & Co"})
	for _, login := range []string{"a:b@example.com", "x?y#z", "100% sure", "ünïcödé", "a+b@example.com", "in  between", "slash/and\\back"} {
		enr, err := e.l.SignUp(t.Context(), login, UserInfo{})
		if err != nil {
			t.Fatalf("SignUp(%q): %v", login, err)
		}
		k := ltKey(t, enr)
		if k.Issuer != "Acme: Test & Co" {
			t.Errorf("SignUp(%q): the provisioning URL names issuer %q", login, k.Issuer)
		}
		if k.Account != login {
			t.Errorf("SignUp(%q): the provisioning URL names account %q", login, k.Account)
		}
		if _, err := e.l.SignIn(t.Context(), login, ltCode(t, k, e.clock.Now())); err != nil {
			t.Errorf("SignIn(%q): %v", login, err)
		}
	}
}

// TestTwoLocalsShareOneFile: two backends with their own connection pools on one
// SQLite file, as two processes would be. Their first starts race to one project id
// and one signing key, and a code is still accepted once across both.
func TestTwoLocalsShareOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	clock := testclock.New(ltStart)
	key := NewSeedKey()
	var ls [2]*Local
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range ls {
		wg.Go(func() {
			st, err := OpenSQLiteForTest(context.Background(), path)
			if err != nil {
				errs[i] = err
				return
			}
			t.Cleanup(func() { st.Close() })
			// The losers of each round count as failed attempts: a high limit keeps the
			// next rounds unlocked (TestLockout covers the limit).
			ls[i], errs[i] = NewLocal(context.Background(), st, LocalOptions{Clock: clock.Now, SeedKey: key, SigningAlg: ES256, MaxAttempts: 1000})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if ls[0].ProjectID() != ls[1].ProjectID() || ls[0].sign.kid != ls[1].sign.kid {
		t.Fatal("two first starts on one file chose different project ids or signing keys")
	}
	enr, err := ls[0].SignUp(t.Context(), "olga", UserInfo{})
	if err != nil {
		t.Fatal(err)
	}
	k := ltKey(t, enr)
	s, err := ls[1].SignIn(t.Context(), "olga", ltCode(t, k, clock.Now()))
	if err != nil || !s.FirstSeen {
		t.Fatalf("confirming through the other backend: %v", err)
	}
	if _, err := ls[0].Me(t.Context(), s.RefreshJWT); err != nil {
		t.Fatalf("a token of one backend at the other: %v", err)
	}
	for round := range 3 {
		clock.Add(30 * time.Second)
		code := ltCode(t, k, clock.Now())
		var n atomic.Int32
		results := ltConcurrently(t, 40, func() error {
			_, err := ls[n.Add(1)%2].SignIn(context.Background(), "olga", code)
			return err
		})
		if results[nil] != 1 {
			t.Fatalf("round %d: %v; want exactly one success across both backends", round, results)
		}
	}
}

// TestUpdateConfirmedInTheSignInStep walks the README's path: sign in, update, and
// confirm the new seed in the same step. The new seed's code is its first use, so it
// signs in; a reuse of either seed's code is refused naming the rule, with what the
// charged attempt left.
func TestUpdateConfirmedInTheSignInStep(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	ctx := t.Context()
	k, s := ltEnrol(t, e, "ivy")
	e.clock.Add(30 * time.Second)
	now := e.clock.Now()
	if _, err := e.l.SignIn(ctx, "ivy", ltCode(t, k, now)); err != nil {
		t.Fatal(err)
	}
	enr, err := e.l.Update(ctx, "ivy", s.RefreshJWT)
	if err != nil {
		t.Fatal(err)
	}
	k2 := ltKey(t, enr)
	code2 := ltCode(t, k2, now)
	s2, err := e.l.SignIn(ctx, "ivy", code2)
	if err != nil {
		t.Fatalf("the new seed's first code, in the step the old seed just used: %v", err)
	}
	if s2.User.Pending || !s2.User.TOTP || s2.User.LastStep != k2.Step(now) || s2.User.StepDrift != 0 {
		t.Fatalf("after the update: %+v", s2.User)
	}
	_, err = e.l.SignIn(ctx, "ivy", code2)
	var re *ReusedCodeError
	if !errors.As(err, &re) || re.Rule != ReuseSameStep || re.Left != DefaultMaxAttempts-1 {
		t.Fatalf("the new seed's code again: %v, want ReusedCodeError same step, %d left", err, DefaultMaxAttempts-1)
	}
	if !strings.Contains(err.Error(), "this seed's code for this time step was accepted already") ||
		!strings.Contains(err.Error(), "4 attempts left") {
		t.Fatalf("the refusal does not name its rule and cost: %v", err)
	}
	e.clock.Add(30 * time.Second)
	if _, err := e.l.SignIn(ctx, "ivy", ltCode(t, k2, e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	_, err = e.l.SignIn(ctx, "ivy", code2)
	if !errors.As(err, &re) || re.Rule != ReuseEarlierStep {
		t.Fatalf("an older code of the seed: %v, want ReusedCodeError earlier step", err)
	}
	_, err = e.l.SignIn(ctx, "ivy", ltCode(t, k, now))
	ltWantErr(t, "the replaced seed's code", err, ErrWrongCode)
}
