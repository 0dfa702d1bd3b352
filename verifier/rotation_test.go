package verifier_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/testclock"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/httpapi"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/postgres/pgtest"
	"github.com/otpair/otpair/verifier/sqlite"
)

// countingStore counts Meta reads, the reads a key reload makes.
type countingStore struct {
	verifier.Store
	metas atomic.Int64
}

func (s *countingStore) Meta(ctx context.Context, name string) ([]byte, error) {
	s.metas.Add(1)
	return s.Store.Meta(ctx, name)
}

// rotDB opens connections to one database, closed when the test ends.
type rotDB func(t *testing.T) verifier.Store

func sqliteRotDB(t *testing.T) rotDB {
	path := filepath.Join(t.TempDir(), "verifier.db")
	return func(t *testing.T) verifier.Store {
		t.Helper()
		st, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

func postgresRotDB(t *testing.T) rotDB {
	dsn := pgtest.DSN(t) // skips without OTPAIR_TEST_POSTGRES; fails under OTPAIR_REQUIRE_EXTERNAL=1
	return func(t *testing.T) verifier.Store {
		t.Helper()
		st, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

// rotation test lifetimes: short enough to walk the clock past them.
const (
	rotSessionTTL = 10 * time.Minute
	rotRefreshTTL = time.Hour
	rotReload     = time.Minute
	rotOverlap    = rotRefreshTTL + rotReload // how long a retired key stays published
)

var rotStart = time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC)

// rotEnv is one database, one clock and one seed key shared by its instances.
type rotEnv struct {
	db    rotDB
	clock *testclock.Clock
	key   []byte
}

func newRotEnv(db rotDB) *rotEnv {
	return &rotEnv{db: db, clock: testclock.New(rotStart), key: verifier.NewSeedKey()}
}

// instance starts a Local on its own connection to the database.
func (e *rotEnv) instance(t *testing.T, st verifier.Store) *verifier.Local {
	t.Helper()
	if st == nil {
		st = e.db(t)
	}
	l, err := verifier.NewLocal(t.Context(), st, verifier.LocalOptions{
		Clock: e.clock.Now, SeedKey: e.key, SigningAlg: verifier.ES256, ProjectID: "Protation",
		SessionTTL: rotSessionTTL, RefreshTTL: rotRefreshTTL, KeyReload: rotReload,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// signIn enrols loginID on l and signs in with the current code the first time; later
// calls move the clock to the next step first (a code is good once).
func (e *rotEnv) signIn(t *testing.T, l *verifier.Local, loginID string, keys map[string]provisioning.Key) verifier.Session {
	t.Helper()
	k, ok := keys[loginID]
	if !ok {
		en, err := l.SignUp(t.Context(), loginID, verifier.UserInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if k, err = provisioning.ParseURI(en.ProvisioningURL); err != nil {
			t.Fatal(err)
		}
		keys[loginID] = k
	} else {
		e.clock.Add(30 * time.Second) // a new step
	}
	code, err := k.Code(e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.SignIn(t.Context(), loginID, code)
	if err != nil {
		t.Fatalf("sign in %s: %v", loginID, err)
	}
	return s
}

// kidOf reads the kid from a token's header.
func kidOf(t *testing.T, token string) string {
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

func kids(t *testing.T, l *verifier.Local) []string {
	t.Helper()
	ks, err := l.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range ks.Keys {
		out = append(out, k.Kid)
	}
	return out
}

func wantKids(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: JWKS kids %v, want %v", what, got, want)
	}
}

func TestRotationSQLite(t *testing.T) { rotationSuite(t, sqliteRotDB) }

func TestRotationPostgres(t *testing.T) { rotationSuite(t, postgresRotDB) }

func rotationSuite(t *testing.T, newDB func(t *testing.T) rotDB) {
	t.Run("old tokens live until they expire", func(t *testing.T) { testRotationOldTokens(t, newRotEnv(newDB(t))) })
	t.Run("two instances", func(t *testing.T) { testRotationTwoInstances(t, newRotEnv(newDB(t))) })
	t.Run("concurrent rotations", func(t *testing.T) { testRotationConcurrent(t, newRotEnv(newDB(t))) })
	t.Run("http jwks", func(t *testing.T) { testRotationHTTP(t, newRotEnv(newDB(t))) })
}

// A token signed before a rotation verifies after it until it expires; the old key
// leaves the JWKS once retired for the longest token lifetime plus the reload interval.
func testRotationOldTokens(t *testing.T, e *rotEnv) {
	ctx := t.Context()
	l := e.instance(t, nil)
	users := map[string]provisioning.Key{}
	old := e.signIn(t, l, "ann", users)
	k0 := kidOf(t, old.SessionJWT)
	wantKids(t, "before rotation", kids(t, l), k0)

	rotatedAt := e.clock.Now()
	k1, err := l.RotateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k1 == k0 || k1 == "" {
		t.Fatalf("rotation gave kid %q, the old one is %q", k1, k0)
	}
	wantKids(t, "after rotation", kids(t, l), k1, k0)

	// The old session and refresh tokens still work; everything new is signed by k1.
	if c, err := l.VerifySession(ctx, old.SessionJWT); err != nil || c.Subject != old.User.ID {
		t.Fatalf("old session token after rotation: %+v, %v", c, err)
	}
	ref, err := l.Refresh(ctx, old.RefreshJWT)
	if err != nil {
		t.Fatalf("refresh with the old refresh token after rotation: %v", err)
	}
	if got := kidOf(t, ref.SessionJWT); got != k1 {
		t.Fatalf("refreshed session signed by %s, want the new key %s", got, k1)
	}
	if _, err := l.VerifySession(ctx, ref.SessionJWT); err != nil {
		t.Fatalf("new session token: %v", err)
	}
	if s := e.signIn(t, l, "ann", users); kidOf(t, s.SessionJWT) != k1 || kidOf(t, s.RefreshJWT) != k1 {
		t.Fatal("a sign-in after rotation is not signed by the new key")
	}

	// Past the old session token's expiry it is refused; the old refresh token lives on.
	e.clock.Add(rotSessionTTL)
	if _, err := l.VerifySession(ctx, old.SessionJWT); !errors.Is(err, verifier.ErrBadToken) {
		t.Fatalf("old session token after its expiry: %v, want ErrBadToken", err)
	}
	e.clock.Set(old.RefreshExpires.Add(-time.Second))
	if _, err := l.Refresh(ctx, old.RefreshJWT); err != nil {
		t.Fatalf("old refresh token a second before its expiry: %v", err)
	}
	wantKids(t, "during the overlap", kids(t, l), k1, k0)

	// The retired key is published until rotation + RefreshTTL + KeyReload, then gone.
	e.clock.Set(rotatedAt.Truncate(time.Second).Add(rotOverlap - time.Second))
	wantKids(t, "a second before the retired key goes", kids(t, l), k1, k0)
	e.clock.Set(rotatedAt.Truncate(time.Second).Add(rotOverlap))
	wantKids(t, "once the overlap ended", kids(t, l), k1)
	if _, err := l.Refresh(ctx, old.RefreshJWT); !errors.Is(err, verifier.ErrBadToken) {
		t.Fatalf("old refresh token after the overlap: %v, want ErrBadToken", err)
	}

	// A restart reads the same keys: the retired one stays unpublished.
	l2 := e.instance(t, nil)
	wantKids(t, "after a restart", kids(t, l2), k1)

	// A second rotation keeps k1 published beside k2.
	k2, err := l2.RotateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantKids(t, "second rotation", kids(t, l2), k2, k1)
}

// Two instances on one database: B verifies A's new tokens at once (an unknown kid
// reloads), signs with the new key after its reload interval, and a flood of unknown
// kids reloads at most once per second.
func testRotationTwoInstances(t *testing.T, e *rotEnv) {
	ctx := t.Context()
	a := e.instance(t, nil)
	bStore := &countingStore{Store: e.db(t)}
	b := e.instance(t, bStore)
	c := e.instance(t, nil)
	users := map[string]provisioning.Key{}
	before := e.signIn(t, b, "bob", users)
	k0 := kidOf(t, before.SessionJWT)

	k1, err := a.RotateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := e.signIn(t, a, "bob", users)
	if kidOf(t, s.SessionJWT) != k1 {
		t.Fatal("A does not sign with its new key")
	}
	// B has not reloaded, yet verifies A's new tokens at once.
	if _, err := b.VerifySession(ctx, s.SessionJWT); err != nil {
		t.Fatalf("B verifying A's token signed by the new key: %v", err)
	}
	if _, err := b.Refresh(ctx, s.RefreshJWT); err != nil {
		t.Fatalf("B refreshing with A's new refresh token: %v", err)
	}
	wantKids(t, "B after the unknown-kid reload", kids(t, b), k1, k0)
	if s := e.signIn(t, b, "bea", users); kidOf(t, s.SessionJWT) != k1 || kidOf(t, s.RefreshJWT) != k1 {
		t.Fatal("B does not sign with the new key after its reload")
	}
	// And A still accepts what B signed before.
	if _, err := a.VerifySession(ctx, before.SessionJWT); err != nil {
		t.Fatalf("A verifying B's token from before the rotation: %v", err)
	}

	// C saw no new token: it keeps its cached keys until the reload interval passes.
	wantKids(t, "C before its reload interval", kids(t, c), k0)
	if s := e.signIn(t, c, "cy", users); kidOf(t, s.SessionJWT) != k0 {
		t.Fatal("C signed with a key it should not know yet")
	}
	e.clock.Add(rotReload)
	wantKids(t, "C after its reload interval", kids(t, c), k1, k0)
	if s := e.signIn(t, c, "bob", users); kidOf(t, s.SessionJWT) != k1 {
		t.Fatal("C does not sign with the new key after its reload")
	}

	// Made-up kids: one reload, then none for a second, however many arrive.
	forged := func(i int) string {
		kid := strings.Repeat("A", 42) + string(rune('A'+i%26))
		head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"` + kid + `","typ":"JWT"}`))
		body := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x","drn":"DS","iss":"Protation","exp":9999999999}`))
		return head + "." + body + ".c2ln"
	}
	e.clock.Add(2 * time.Second)
	start := bStore.metas.Load()
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			if _, err := b.VerifySession(ctx, forged(i)); !errors.Is(err, verifier.ErrBadToken) {
				t.Errorf("forged kid: %v, want ErrBadToken", err)
			}
		})
	}
	wg.Wait()
	one := bStore.metas.Load() - start
	if one < 1 || one > 2 { // a reload probes the next key number (and, right after a rotation, one more)
		t.Fatalf("100 tokens with unknown kids made %d key reads, want one reload (1-2 reads)", one)
	}
	e.clock.Add(time.Second)
	b.VerifySession(ctx, forged(0))
	if n := bStore.metas.Load() - start; n <= one {
		t.Fatalf("a second later an unknown kid made no reload (%d reads in all)", n)
	}
}

// Rotations racing on two instances end with one new key that both report.
func testRotationConcurrent(t *testing.T, e *rotEnv) {
	ctx := t.Context()
	ls := []*verifier.Local{e.instance(t, nil), e.instance(t, nil)}
	k0 := kids(t, ls[0])[0]
	const each = 3
	got := make([]string, 2*each)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range got {
		wg.Go(func() {
			<-start
			kid, err := ls[i%2].RotateSigningKey(ctx)
			if err != nil {
				t.Errorf("rotation %d: %v", i, err)
			}
			got[i] = kid
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	// Calls that overlapped agree on one key; calls that ran after another finished
	// rotate again, so count distinct keys: each is one number, and both instances
	// publish the same newest one.
	distinct := slices.Compact(slices.Sorted(slices.Values(got)))
	e.clock.Add(rotReload)
	ja, jb := kids(t, ls[0]), kids(t, ls[1])
	wantKids(t, "instance B", jb, ja...)
	if len(ja) != len(distinct)+1 || ja[len(ja)-1] != k0 {
		t.Fatalf("JWKS %v after rotations that returned %v: want every returned key once plus %s", ja, distinct, k0)
	}
	if !slices.Contains(distinct, ja[0]) {
		t.Fatalf("newest key %s is none of the returned %v", ja[0], distinct)
	}

	// Two instances rotating from the same state create one key, not two: B's
	// rotation, started from the same key set as A's, adopts A's key.
	st := e.db(t)
	gate := &gatedStore{Store: st, name: "signing_key:ES256:" + itoaRot(len(ja)), arrived: make(chan struct{}), release: make(chan struct{})}
	b := e.instance(t, gate)
	var bKid string
	var bErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		bKid, bErr = b.RotateSigningKey(ctx)
	}()
	<-gate.arrived // B generated its key and is about to store it under the next number
	aKid, err := ls[0].RotateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	<-done
	if bErr != nil || bKid != aKid {
		t.Fatalf("racing rotations: A made %s, B returned %s, %v; want B to adopt A's key", aKid, bKid, bErr)
	}
	wantKids(t, "after the race", kids(t, b), append([]string{aKid}, ja...)...)
	if _, err := st.Meta(ctx, "signing_key:ES256:"+itoaRot(len(ja)+1)); !errors.Is(err, verifier.ErrNotFound) {
		t.Fatalf("a key beyond the race's one exists: %v", err)
	}
}

func itoaRot(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// gatedStore holds the InitMeta of one name until released, so a test can let another
// instance store that name first.
type gatedStore struct {
	verifier.Store
	name             string
	arrived, release chan struct{}
	once             sync.Once
}

func (s *gatedStore) InitMeta(ctx context.Context, name string, value []byte) ([]byte, error) {
	if name == s.name {
		s.once.Do(func() { close(s.arrived) })
		<-s.release
	}
	return s.Store.InitMeta(ctx, name, value)
}

// The HTTP JWKS shows both keys during the overlap, and only the new one after.
func testRotationHTTP(t *testing.T, e *rotEnv) {
	ctx := t.Context()
	l := e.instance(t, nil)
	srv := httptest.NewServer(httpapi.NewServer(l, httpapi.ServerOptions{Clock: e.clock.Now}))
	defer srv.Close()
	get := func() []string {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/keys/"+l.ProjectID(), nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ks verifier.JWKS
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET keys: %s", resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(&ks); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range ks.Keys {
			out = append(out, k.Kid)
		}
		return out
	}
	k0 := get()
	if len(k0) != 1 {
		t.Fatalf("JWKS before rotation: %v", k0)
	}
	k1, err := l.RotateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantKids(t, "HTTP during the overlap", get(), k1, k0[0])
	e.clock.Add(rotOverlap)
	wantKids(t, "HTTP after the overlap", get(), k1)
}
