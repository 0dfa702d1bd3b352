package verifier

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// Defaults of LocalOptions.
const (
	DefaultIssuer       = "otpair"
	DefaultSkew         = 1
	DefaultMaxAttempts  = 5
	DefaultLockDuration = 5 * time.Minute
	DefaultSessionTTL   = 10 * time.Minute
	DefaultRefreshTTL   = 30 * 24 * time.Hour
	DefaultPendingTTL   = 15 * time.Minute
)

// LocalOptions configure a Local backend. The zero value of every field but SeedKey
// means its default.
type LocalOptions struct {
	Clock  Clock  // default time.Now
	Issuer string // issuer of provisioning URIs; default "otpair"
	// SkewBack and SkewAhead are how many steps before and after the current one a code
	// may come from: 0 means the default 1, a negative value means none.
	SkewBack, SkewAhead int
	MaxAttempts         int           // failed attempts before a lock; default 5
	LockDuration        time.Duration // default 5 minutes
	SessionTTL          time.Duration // default 10 minutes
	RefreshTTL          time.Duration // default 30 days
	// PendingTTL is how long a pending seed (of a sign-up or an update) can be
	// confirmed by its first code; after that it is ignored and the user signs up (or
	// updates) again. A provisioning URL that leaked from an abandoned enrolment then
	// opens nothing. Default 15 minutes.
	PendingTTL time.Duration
	SigningAlg string // RS256 (default) or ES256
	// SeedKey is the 32-byte key that seals seeds and the signing key at rest (see
	// LoadSeedKey). Required.
	SeedKey []byte
	// ProjectID, when set, replaces the stored project id; otherwise the stored one is
	// used, or one is generated and stored on first start.
	ProjectID string
	// KeyReload is how long the signing keys read from the store are trusted before
	// they are read again, so a rotation on another instance is seen; default 1 minute.
	KeyReload time.Duration
	// Seeds is the policy for the seeds of new enrolments (sign-ups and updates):
	// algorithm, digits and period. The zero value is Descope's: SHA1, 6 digits, 30 s.
	// Seeds already issued keep their own parameters.
	Seeds SeedPolicy
	// SignInCache is how many users' rows and sealed seeds are kept in memory between
	// sign-ins, each saving a sign-in one database read (see signInCache for why that
	// stays correct with other processes on the database); default
	// DefaultSignInCache, negative for none.
	SignInCache int
	// PurgeBatch is how many rows of each kind a purge pass deletes at most (see
	// PurgeExpired); default DefaultPurgeBatch.
	PurgeBatch int
}

// Local is the in-process Backend over a Store. It is safe for concurrent use, and
// several Locals (in several processes) may share one database: every decision that
// matters under concurrency is an atomic statement in the Store.
type Local struct {
	st        Store
	opts      LocalOptions
	now       Clock
	back      int
	ahead     int
	seal      *sealer
	keys      *keyring // the signing keys: the newest signs, every published one verifies
	cache     *signInCache
	sign      *signer // the newest signing key when NewLocal returned (tests read it)
	projectID string

	// afterCharge, when set by tests, runs for every attempt that passed the attempt
	// charge, just before its code is checked.
	afterCharge func()
}

var (
	_ Backend     = (*Local)(nil)
	_ UserLister  = (*Local)(nil)
	_ LogoutAller = (*Local)(nil)
)

const metaProjectID = "project_id"

// NewLocal builds a Local backend on st. On the first start with a database it stores
// the seal check value, the project id and the signing key pair; later starts load
// them, and a seed key other than the one the database was sealed with fails here with
// an error wrapping ErrSeedKey.
func NewLocal(ctx context.Context, st Store, opts LocalOptions) (*Local, error) {
	if st == nil {
		return nil, errors.New("new local verifier: no store")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Issuer == "" {
		opts.Issuer = DefaultIssuer
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.LockDuration <= 0 {
		opts.LockDuration = DefaultLockDuration
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = DefaultRefreshTTL
	}
	if opts.PendingTTL <= 0 {
		opts.PendingTTL = DefaultPendingTTL
	}
	if opts.SigningAlg == "" {
		opts.SigningAlg = RS256
	}
	if opts.KeyReload <= 0 {
		opts.KeyReload = DefaultKeyReload
	}
	if opts.SignInCache == 0 {
		opts.SignInCache = DefaultSignInCache
	}
	if opts.PurgeBatch <= 0 {
		opts.PurgeBatch = DefaultPurgeBatch
	}
	opts.Seeds = opts.Seeds.withDefaults()
	if err := opts.Seeds.Validate(); err != nil {
		return nil, fmt.Errorf("new local verifier: %w", err)
	}
	l := &Local{st: st, opts: opts, now: opts.Clock, back: skew(opts.SkewBack), ahead: skew(opts.SkewAhead),
		cache: newSignInCache(opts.SignInCache)}
	if opts.SeedKey == nil {
		return nil, fmt.Errorf("new local verifier: %w: none given", ErrSeedKey)
	}
	var err error
	if l.seal, err = newSealer(opts.SeedKey); err != nil {
		return nil, fmt.Errorf("new local verifier: %w", err)
	}
	check, err := st.Meta(ctx, metaSealCheck)
	if errors.Is(err, ErrNotFound) {
		check, err = st.InitMeta(ctx, metaSealCheck, l.seal.sealCheck())
	}
	if err != nil {
		return nil, fmt.Errorf("new local verifier: %w", err)
	}
	if err := l.seal.verifyCheck(check); err != nil {
		return nil, fmt.Errorf("new local verifier: %w", err)
	}
	if err := l.loadProjectID(ctx); err != nil {
		return nil, fmt.Errorf("new local verifier: %w", err)
	}
	key0, err := loadSigner(ctx, st, l.seal, opts.SigningAlg, l.now, l.projectID)
	if err != nil {
		return nil, fmt.Errorf("new local verifier: %w", err)
	}
	overlap := max(opts.SessionTTL, opts.RefreshTTL) + opts.KeyReload
	if l.keys, err = newKeyring(ctx, st, l.seal, key0, opts.SigningAlg, l.now, l.projectID, overlap, opts.KeyReload); err != nil {
		return nil, fmt.Errorf("new local verifier: %w", err)
	}
	l.sign = l.keys.current(ctx)
	return l, nil
}

func skew(n int) int {
	switch {
	case n == 0:
		return DefaultSkew
	case n < 0:
		return 0
	default:
		return n
	}
}

func (l *Local) loadProjectID(ctx context.Context) error {
	if pid := l.opts.ProjectID; pid != "" {
		if err := checkID("project id", pid); err != nil {
			return err
		}
		if err := l.st.SetMeta(ctx, metaProjectID, []byte(pid)); err != nil {
			return err
		}
		l.projectID = pid
		return nil
	}
	pid, err := l.st.InitMeta(ctx, metaProjectID, []byte("P"+rand.Text()))
	if err != nil {
		return err
	}
	l.projectID = string(pid)
	return nil
}

// ProjectID implements Backend.
func (l *Local) ProjectID() string { return l.projectID }

// Seeds is the policy of new enrolments' seeds.
func (l *Local) Seeds() SeedPolicy { return l.opts.Seeds }

// Window is how many steps before and after the current one a code may come from.
func (l *Local) Window() (back, ahead int) { return l.back, l.ahead }

// Keys implements Backend: the signing key and every retired key whose tokens may
// still be alive, newest first.
func (l *Local) Keys(ctx context.Context) (JWKS, error) {
	return l.keys.jwks(ctx), nil
}

// SignUp implements Backend. A login id that is only a pending sign-up may sign up
// again: the new pending seed replaces the old.
func (l *Local) SignUp(ctx context.Context, loginID string, info UserInfo) (Enrollment, error) {
	loginID, err := NormalizeLoginID(loginID)
	if err != nil {
		return Enrollment{}, fmt.Errorf("sign up: %w", err)
	}
	if err := CheckUserInfo(info); err != nil {
		return Enrollment{}, fmt.Errorf("sign up: %w", err)
	}
	e, err := l.signUp(ctx, loginID, info)
	if errors.Is(err, ErrUnknownUser) {
		// The pending user was purged (PurgeExpired) between its read and the new
		// seed: sign it up afresh, once.
		e, err = l.signUp(ctx, loginID, info)
	}
	if err != nil {
		return Enrollment{}, fmt.Errorf("sign up: %w", err)
	}
	l.cache.drop(loginID)
	return e, nil
}

// signUp finds or creates the pending user loginID names and gives it a new pending
// seed. ErrUnknownUser means the user was deleted between the two.
func (l *Local) signUp(ctx context.Context, loginID string, info UserInfo) (Enrollment, error) {
	rec, err := l.st.UserByLoginID(ctx, loginID)
	if errors.Is(err, ErrUnknownUser) {
		rec = UserRecord{ID: newUserID(), LoginID: loginID, Name: info.Name, Email: info.Email, Phone: info.Phone,
			Created: l.now(), LastStep: -1}
		err = l.st.CreateUser(ctx, rec)
		if errors.Is(err, ErrUserExists) { // a concurrent sign-up of the same login id
			rec, err = l.st.UserByLoginID(ctx, loginID)
		}
	}
	if err != nil {
		return Enrollment{}, err
	}
	if rec.Active {
		return Enrollment{}, ErrUserExists
	}
	return l.newPendingSeed(ctx, rec)
}

// Update implements Backend: the refresh token must belong to the user loginID names.
func (l *Local) Update(ctx context.Context, loginID, refreshJWT string) (Enrollment, error) {
	loginID, err := lookupLoginID(loginID)
	if err != nil {
		return Enrollment{}, fmt.Errorf("update: %w", err)
	}
	c, err := l.verifyRefresh(ctx, refreshJWT)
	if err != nil {
		return Enrollment{}, fmt.Errorf("update: %w", err)
	}
	rec, err := l.st.UserByLoginID(ctx, loginID)
	if errors.Is(err, ErrUnknownUser) || err == nil && (!rec.Active || rec.ID != c.Subject) {
		return Enrollment{}, fmt.Errorf("update: %w: the refresh token is not this user's", ErrBadToken)
	}
	if err == nil && loggedOutEverywhere(c, rec) {
		return Enrollment{}, fmt.Errorf("update: %w: revoked by a logout everywhere", ErrBadToken)
	}
	if err != nil {
		return Enrollment{}, fmt.Errorf("update: %w", err)
	}
	e, err := l.newPendingSeed(ctx, rec)
	if err != nil {
		return Enrollment{}, fmt.Errorf("update: %w", err)
	}
	l.cache.drop(loginID)
	return e, nil
}

// newPendingSeed creates, seals and stores a fresh seed as rec's pending seed and
// returns how to provision it.
func (l *Local) newPendingSeed(ctx context.Context, rec UserRecord) (Enrollment, error) {
	pol := l.opts.Seeds
	secret, err := provisioning.NewSecret(pol.secretBits())
	if err != nil {
		return Enrollment{}, err
	}
	defer clear(secret)
	key := provisioning.Key{
		Type:      provisioning.TOTP,
		Issuer:    l.opts.Issuer,
		Account:   rec.LoginID,
		Secret:    secret,
		Algorithm: pol.Algorithm,
		Digits:    pol.Digits,
		Period:    pol.Period,
	}
	ct, nonce := l.seal.seal(secret, seedAAD(rec.ID))
	seed := SealedSeed{
		ID:         rand.Text(),
		Ciphertext: ct,
		Nonce:      nonce,
		KeyID:      l.seal.keyID,
		Algorithm:  string(key.Algorithm),
		Digits:     key.Digits,
		Period:     key.Period,
		Created:    l.now(),
	}
	if err := l.st.PutPendingSeed(ctx, rec.ID, seed); err != nil {
		return Enrollment{}, err
	}
	return enrollment(key)
}

// enrollment is the provisioning URL, base32 secret and QR PNG of key. The URL leaves
// out the parameters that hold their defaults (provisioning.Key.CompactURI), which
// keeps the QR code a version smaller, small enough for an 80x24 terminal.
func enrollment(key provisioning.Key) (Enrollment, error) {
	uri := key.CompactURI()
	var png bytes.Buffer
	if err := provisioning.WriteQRPNG(&png, uri); err != nil {
		return Enrollment{}, fmt.Errorf("draw qr code: %w", err)
	}
	return Enrollment{ProvisioningURL: uri, Key: key.SecretBase32(), Image: png.Bytes()}, nil
}

// SignIn implements Backend. The attempt is charged before the code is checked; the
// code is compared in constant time with the code of every step of the window of every
// seed (active and pending), without stopping at a match; the matched step then goes
// through the replay guard.
func (l *Local) SignIn(ctx context.Context, loginID, code string) (Session, error) {
	return l.signIn(ctx, loginID, code, nil)
}

// signIn is SignIn with what login options add to the tokens (nil for nothing).
func (l *Local) signIn(ctx context.Context, loginID, code string, x *sessionExtra) (Session, error) {
	loginID, err := lookupLoginID(loginID)
	if err != nil {
		return Session{}, fmt.Errorf("sign in: %w", err)
	}
	code = normalizeCode(code)
	if code == "" {
		return Session{}, fmt.Errorf("sign in: %w: code", ErrMissingArgument)
	}
	now := l.now()
	e, att, err := l.chargeSignIn(ctx, loginID, now, false)
	if err != nil {
		return Session{}, fmt.Errorf("sign in: %w", err)
	}
	if l.afterCharge != nil {
		l.afterCharge()
	}
	rec := e.rec
	pending := l.livePending(e.pending, now)
	if e.active == nil && pending == nil { // seeds read again after the charge, or the pending one just expired
		return Session{}, fmt.Errorf("sign in: %w", errNoLiveSeed(e))
	}
	m, err := l.match(rec, code, now, e.active, pending)
	if err != nil {
		return Session{}, fmt.Errorf("sign in: %w", err)
	}
	if m.seed == nil {
		return Session{}, fmt.Errorf("sign in: %w", &WrongCodeError{Left: max(l.opts.MaxAttempts-att.Count, 0), LockedUntil: att.LockedUntil})
	}
	var ok, firstSeen bool
	if m.seed == pending {
		ok, firstSeen, err = l.st.PromotePending(ctx, rec.ID, m.seed.ID, m.step, m.drift, now)
	} else {
		ok, err = l.st.ConsumeStep(ctx, rec.ID, m.seed.ID, m.step, m.drift, now)
	}
	if err != nil {
		return Session{}, fmt.Errorf("sign in: %w", err)
	}
	if !ok {
		return Session{}, fmt.Errorf("sign in: %w", &ReusedCodeError{Rule: reuseRule(rec, m),
			Left: max(l.opts.MaxAttempts-att.Count, 0), LockedUntil: att.LockedUntil})
	}
	rec.Active, rec.FailedAttempts, rec.LockedUntil = true, 0, time.Time{}
	rec.LastStep, rec.LastSeedID, rec.StepDrift = int64(m.step), m.seed.ID, m.drift
	if m.seed == pending {
		rec.HasActiveSeed, rec.HasPendingSeed = true, false
		e.active, e.pending = e.pending, nil
	}
	e.rec = rec
	l.cache.put(loginID, e)
	s, err := l.openSession(ctx, rec, now, x)
	if err != nil {
		return Session{}, fmt.Errorf("sign in: %w", err)
	}
	s.FirstSeen = firstSeen
	return s, nil
}

// reuseRule names the replay rule that refused match m, from the user as this sign-in
// read it: a step of the same seed at or after m's was accepted before, or (the read
// says nothing was) a concurrent sign-in got there first.
func reuseRule(rec UserRecord, m seedMatch) ReuseRule {
	switch {
	case rec.LastSeedID != m.seed.ID || rec.LastStep < 0 || int64(m.step) > rec.LastStep:
		return ReuseRace
	case int64(m.step) == rec.LastStep:
		return ReuseSameStep
	}
	return ReuseEarlierStep
}

// chargeSignIn finds the user and seeds a sign-in checks and charges its attempt.
// With the user in the cache it skips the read: the charge reports the seeds current
// now, and the user is read again only when they differ (changed by another call or
// process) or when the charge finds no such user (deleted, perhaps re-created under the
// same login id). Without an entry, or with one that says locked (fresh is also set on
// the one retry), it reads first, so that a locked user or one without seeds costs a
// read, not a write.
func (l *Local) chargeSignIn(ctx context.Context, loginID string, now time.Time, fresh bool) (signInEntry, Attempt, error) {
	e, cached := l.cache.get(loginID)
	if fresh || !cached || e.rec.LockedUntil.After(now) {
		var err error
		if e, err = l.loadSignIn(ctx, loginID); err != nil {
			return signInEntry{}, Attempt{}, err
		}
		cached = false
		if !e.rec.HasActiveSeed && !e.rec.HasPendingSeed {
			return signInEntry{}, Attempt{}, ErrNoSeed
		}
		if e.rec.LockedUntil.After(now) { // a read that saves a write; the charge decides
			l.cache.put(loginID, e)
			return signInEntry{}, Attempt{}, &LockedError{Until: e.rec.LockedUntil}
		}
	}
	if e.active == nil && l.livePending(e.pending, now) == nil {
		// Only an expired enrolment: nothing to check a code against, so no attempt.
		return signInEntry{}, Attempt{}, errNoLiveSeed(e)
	}
	att, err := l.st.ChargeAttempt(ctx, e.rec.ID, now, l.opts.MaxAttempts, l.opts.LockDuration)
	if errors.Is(err, ErrUnknownUser) && !fresh {
		l.cache.drop(loginID)
		return l.chargeSignIn(ctx, loginID, now, true)
	}
	if err != nil {
		return signInEntry{}, Attempt{}, err
	}
	if !att.Allowed {
		until := att.LockedUntil
		if until.IsZero() { // a success lifted the lock between the charge and its report
			until = now
		}
		e.rec.LockedUntil = until
		l.cache.put(loginID, e)
		return signInEntry{}, Attempt{}, &LockedError{Until: until}
	}
	if !e.seedsMatch(att) {
		// Changed since the read or the cached one: read again; the attempt stays charged.
		userID := e.rec.ID
		if e, err = l.loadSignIn(ctx, loginID); err != nil {
			return signInEntry{}, Attempt{}, err
		}
		if e.rec.ID != userID && !fresh { // re-created after the charge: charge the new one
			return l.chargeSignIn(ctx, loginID, now, true)
		}
		if e.rec.ID != userID || !e.rec.HasActiveSeed && !e.rec.HasPendingSeed {
			l.cache.drop(loginID)
			return signInEntry{}, Attempt{}, ErrNoSeed
		}
		cached = false
	}
	if !cached || !att.LockedUntil.IsZero() {
		e.rec.FailedAttempts, e.rec.LockedUntil = att.Count, att.LockedUntil
		l.cache.put(loginID, e)
	}
	return e, att, nil
}

// livePending is the pending seed while it can still be confirmed, else nil.
func (l *Local) livePending(pending *SealedSeed, now time.Time) *SealedSeed {
	if pending == nil || !now.Before(pending.Created.Add(l.opts.PendingTTL)) {
		return nil
	}
	return pending
}

// errNoLiveSeed is ErrNoSeed, saying why when an expired enrolment is all there is.
func errNoLiveSeed(e signInEntry) error {
	if e.pending != nil {
		return fmt.Errorf("%w: the enrolment expired; sign up (or update) again", ErrNoSeed)
	}
	return ErrNoSeed
}

// loadSignIn reads a user and its seeds.
func (l *Local) loadSignIn(ctx context.Context, loginID string) (signInEntry, error) {
	if loader, ok := l.st.(SignInLoader); ok {
		rec, active, pending, err := loader.UserWithSeeds(ctx, loginID)
		return signInEntry{rec: rec, active: active, pending: pending}, err
	}
	rec, err := l.st.UserByLoginID(ctx, loginID)
	if err != nil {
		return signInEntry{}, err
	}
	active, pending, err := l.st.Seeds(ctx, rec.ID)
	return signInEntry{rec: rec, active: active, pending: pending}, err
}

// normalizeCode drops the spaces and dashes people type inside codes ("123 456").
func normalizeCode(code string) string {
	if !strings.ContainsAny(code, " \t-") {
		return code
	}
	b := make([]byte, 0, len(code))
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ' ', '\t', '-':
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func (l *Local) openSession(ctx context.Context, rec UserRecord, now time.Time, x *sessionExtra) (Session, error) {
	sign := l.keys.current(ctx)
	sessionJWT, sc, err := sign.issue(l.projectID, rec.ID, drnSession, "", now, l.opts.SessionTTL, x)
	if err != nil {
		return Session{}, err
	}
	refreshJWT, rc, err := sign.issue(l.projectID, rec.ID, drnRefresh, rand.Text(), now, l.opts.RefreshTTL, x)
	if err != nil {
		return Session{}, err
	}
	return Session{
		SessionJWT:     sessionJWT,
		RefreshJWT:     refreshJWT,
		SessionClaims:  sc.public(),
		RefreshExpires: rc.public().Expires,
		User:           l.user(rec, now),
	}, nil
}

// DeleteSeed implements Backend.
func (l *Local) DeleteSeed(ctx context.Context, loginID string) error {
	rec, loginID, err := l.activeUser(ctx, loginID)
	if err != nil {
		return fmt.Errorf("delete seed: %w", err)
	}
	if err := l.st.DeleteSeeds(ctx, rec.ID); err != nil {
		return fmt.Errorf("delete seed: %w", err)
	}
	l.cache.drop(loginID)
	return nil
}

// Refresh implements Backend: a new session token; the refresh token stays the same.
func (l *Local) Refresh(ctx context.Context, refreshJWT string) (Session, error) {
	c, rec, err := l.refreshUser(ctx, refreshJWT)
	if err != nil {
		return Session{}, fmt.Errorf("refresh: %w", err)
	}
	now := l.now()
	// The new session keeps what the sign-in's options added (custom claims, amr),
	// except the step-up, which lasts one session token.
	var x *sessionExtra
	if len(c.Custom) > 0 || len(c.AMR) > 0 {
		x = &sessionExtra{custom: c.Custom, amr: c.AMR}
	}
	sessionJWT, sc, err := l.keys.current(ctx).issue(l.projectID, rec.ID, drnSession, "", now, l.opts.SessionTTL, x)
	if err != nil {
		return Session{}, fmt.Errorf("refresh: %w", err)
	}
	return Session{
		SessionJWT:     sessionJWT,
		RefreshJWT:     refreshJWT,
		SessionClaims:  sc.public(),
		RefreshExpires: c.public().Expires,
		User:           l.user(rec, now),
	}, nil
}

// Me implements Backend.
func (l *Local) Me(ctx context.Context, refreshJWT string) (User, error) {
	_, rec, err := l.refreshUser(ctx, refreshJWT)
	if err != nil {
		return User{}, fmt.Errorf("me: %w", err)
	}
	return l.user(rec, l.now()), nil
}

// Logout implements Backend: the refresh token is revoked until it expires.
func (l *Local) Logout(ctx context.Context, refreshJWT string) error {
	c, err := l.verifyRefresh(ctx, refreshJWT)
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if err := l.st.RevokeToken(ctx, c.ID, c.ExpiresAt.Time, l.now()); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// LogoutAll implements LogoutAller: every refresh token of the token's user issued up
// to now is revoked, on every instance sharing the database. Session tokens, which
// SDKs check offline against the JWKS, run out within their TTL.
func (l *Local) LogoutAll(ctx context.Context, refreshJWT string) error {
	_, rec, err := l.refreshUser(ctx, refreshJWT)
	if err != nil {
		return fmt.Errorf("logout all: %w", err)
	}
	if err := l.st.RevokeUserTokens(ctx, rec.ID, l.now().Add(time.Millisecond)); err != nil {
		return fmt.Errorf("logout all: %w", err)
	}
	return nil
}

// loggedOutEverywhere reports whether the refresh token was issued before its user
// last logged out everywhere (tokens without iat_ms count as issued at time zero).
func loggedOutEverywhere(c tokenClaims, rec UserRecord) bool {
	return !rec.TokensNotBefore.IsZero() && c.IssuedMs < rec.TokensNotBefore.UnixMilli()
}

// VerifySession checks a session token (signature, issuer, expiry, kind) and returns
// its claims, as Descope's SDKs' validateSession would. Failures wrap ErrBadToken.
func (l *Local) VerifySession(ctx context.Context, sessionJWT string) (Claims, error) {
	c, err := l.keys.verify(ctx, sessionJWT, drnSession)
	if err != nil {
		return Claims{}, fmt.Errorf("verify session: %w", err)
	}
	return c.public(), nil
}

// verifyRefresh checks a refresh token and that it was not revoked.
func (l *Local) verifyRefresh(ctx context.Context, raw string) (tokenClaims, error) {
	c, err := l.keys.verify(ctx, raw, drnRefresh)
	if err != nil {
		return tokenClaims{}, err
	}
	revoked, err := l.st.TokenRevoked(ctx, c.ID)
	if err != nil {
		return tokenClaims{}, err
	}
	if revoked {
		return tokenClaims{}, fmt.Errorf("%w: revoked by logout", ErrBadToken)
	}
	return c, nil
}

// refreshUser is verifyRefresh plus the user the token names, who must still exist.
func (l *Local) refreshUser(ctx context.Context, raw string) (tokenClaims, UserRecord, error) {
	c, err := l.verifyRefresh(ctx, raw)
	if err != nil {
		return tokenClaims{}, UserRecord{}, err
	}
	rec, err := l.st.UserByID(ctx, c.Subject)
	if errors.Is(err, ErrUnknownUser) || err == nil && !rec.Active {
		return tokenClaims{}, UserRecord{}, fmt.Errorf("%w: its user no longer exists", ErrBadToken)
	}
	if err != nil {
		return tokenClaims{}, UserRecord{}, err
	}
	if loggedOutEverywhere(c, rec) {
		return tokenClaims{}, UserRecord{}, fmt.Errorf("%w: revoked by a logout everywhere", ErrBadToken)
	}
	return c, rec, nil
}

// LoadUser implements Backend. A pending sign-up is not a user yet: ErrUnknownUser.
func (l *Local) LoadUser(ctx context.Context, loginID string) (User, error) {
	rec, _, err := l.activeUser(ctx, loginID)
	if err != nil {
		return User{}, fmt.Errorf("load user: %w", err)
	}
	return l.user(rec, l.now()), nil
}

// CreateUser implements Backend: a user without a seed. A pending sign-up of the same
// login id is dropped.
func (l *Local) CreateUser(ctx context.Context, loginID string, info UserInfo) (User, error) {
	loginID, err := NormalizeLoginID(loginID)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if err := CheckUserInfo(info); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	old, err := l.st.UserByLoginID(ctx, loginID)
	switch {
	case err == nil && old.Active:
		return User{}, fmt.Errorf("create user: %w", ErrUserExists)
	case err == nil:
		if err := l.st.DeleteUser(ctx, old.ID); err != nil && !errors.Is(err, ErrUnknownUser) {
			return User{}, fmt.Errorf("create user: %w", err)
		}
	case !errors.Is(err, ErrUnknownUser):
		return User{}, fmt.Errorf("create user: %w", err)
	}
	now := l.now()
	rec := UserRecord{ID: newUserID(), LoginID: loginID, Name: info.Name, Email: info.Email, Phone: info.Phone,
		Created: now, Active: true, LastStep: -1}
	if err := l.st.CreateUser(ctx, rec); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	l.cache.drop(loginID)
	return l.user(rec, now), nil
}

// DeleteUser implements Backend.
func (l *Local) DeleteUser(ctx context.Context, loginID string) error {
	rec, loginID, err := l.activeUser(ctx, loginID)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if err := l.st.DeleteUser(ctx, rec.ID); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	l.cache.drop(loginID)
	return nil
}

// Users implements UserLister: every user, ordered by login id. Sign-ups still waiting
// for their first code are listed too (Pending set, TOTP unset) so a developer can see
// them, although the API treats them as unknown until that code verifies.
func (l *Local) Users(ctx context.Context) ([]User, error) {
	recs, err := l.st.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	now := l.now()
	users := make([]User, 0, len(recs))
	for _, r := range recs {
		users = append(users, l.user(r, now))
	}
	return users, nil
}

// activeUser loads the active user loginID names; it also returns loginID in NFC, the
// sign-in cache's key.
func (l *Local) activeUser(ctx context.Context, loginID string) (UserRecord, string, error) {
	loginID, err := lookupLoginID(loginID)
	if err != nil {
		return UserRecord{}, "", err
	}
	rec, err := l.st.UserByLoginID(ctx, loginID)
	if err != nil {
		return UserRecord{}, "", err
	}
	if !rec.Active {
		return UserRecord{}, "", ErrUnknownUser
	}
	return rec, loginID, nil
}

// user is the secret-free view of a record at now.
func (l *Local) user(r UserRecord, now time.Time) User {
	u := User{
		ID: r.ID, LoginID: r.LoginID, Name: r.Name, Email: r.Email, Phone: r.Phone,
		Created: r.Created, TOTP: r.HasActiveSeed, Pending: r.HasPendingSeed, SigningUp: !r.Active, StepDrift: r.StepDrift,
	}
	if r.LockedUntil.After(now) {
		u.LockedUntil = r.LockedUntil
	}
	if r.LastStep >= 0 {
		u.LastStep = uint64(r.LastStep)
	}
	return u
}

func newUserID() string { return "U" + rand.Text() }

// checkID rejects an empty, oversized or control-character project id (login ids have
// NormalizeLoginID and lookupLoginID).
func checkID(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s", ErrMissingArgument, what)
	}
	if len(s) > 256 {
		return fmt.Errorf("%w: %s longer than 256 bytes", ErrInvalidArgument, what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return fmt.Errorf("%w: %s contains a control character or invalid UTF-8", ErrInvalidArgument, what)
		}
	}
	return nil
}
