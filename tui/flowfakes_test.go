package tui

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/httpapi"
	"github.com/otpair/otpair/verifier/sqlite"
)

// flowFake is a Verifier that runs flows: the pane's own requests go to the fake,
// the flows to a real engine over a backend of the test's choosing.
type flowFake struct {
	*fakeVerifier
	engine FlowEngine
}

var _ FlowRunner = flowFake{}

func (f flowFake) FlowEngine() FlowEngine { return f.engine }

// newFlowFake builds a real flow engine over b, with the built-ins and flows.
func newFlowFake(t testing.TB, b verifier.Backend, clock func() time.Time, flows ...*flow.Flow) flowFake {
	t.Helper()
	return flowFake{fakeVerifier: &fakeVerifier{}, engine: testEngine(t, b, clock, flows...)}
}

// testEngine is a flow engine over b with the built-ins and flows.
func testEngine(t testing.TB, b verifier.Backend, clock func() time.Time, flows ...*flow.Flow) *flow.Engine {
	t.Helper()
	reg, err := flow.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(flows...); err != nil {
		t.Fatal(err)
	}
	e, err := flow.New(flow.Options{Backend: b, Flows: reg, StateKey: verifier.NewSeedKey(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// newRemoteFlowFake serves the flows on an otpair server over a real Local on
// loopback HTTP, and runs them through its /v1/flow/start and /v1/flow/next with
// httpapi.RemoteFlows, the graphs read from the server's /v1/mgmt/flow/list and
// export, as `otpair tui --backend URL` does. The server's flows are the built-ins and
// flows.
func newRemoteFlowFake(t testing.TB, store *fakeStore, clock func() time.Time, flows ...*flow.Flow) flowFake {
	t.Helper()
	b := realLocal(t, store, clock)
	eng := testEngine(t, b, clock, flows...)
	const mgmt = "management-key-for-tests"
	srv := httptest.NewServer(httpapi.NewServer(b, httpapi.ServerOptions{ManagementKey: mgmt, Flows: eng, Clock: clock}))
	t.Cleanup(srv.Close)
	r, err := httpapi.NewRemote(srv.URL, b.ProjectID(), mgmt, httpapi.WithRemoteClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	served, err := r.FlowRegistry(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return flowFake{fakeVerifier: &fakeVerifier{}, engine: httpapi.NewRemoteFlows(r, served)}
}

// realLocal is a verifier.Local on an in-memory SQLite database at clock, its
// enrolments handed to store so that the authenticator pane can enrol them (e).
func realLocal(t testing.TB, store *fakeStore, clock func() time.Time) verifier.Backend {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.MemoryDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := verifier.NewLocal(context.Background(), db, verifier.LocalOptions{Clock: clock, SeedKey: verifier.NewSeedKey(), SigningAlg: verifier.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return registering{Backend: l, store: store}
}

// registering hands every enrolment a backend issues to the fake store, which then
// imports its URI as an authenticator would.
type registering struct {
	verifier.Backend
	store *fakeStore
}

func (r registering) SignUp(ctx context.Context, login string, info verifier.UserInfo) (verifier.Enrollment, error) {
	en, err := r.Backend.SignUp(ctx, login, info)
	r.register(en, err)
	return en, err
}

func (r registering) Update(ctx context.Context, login, refresh string) (verifier.Enrollment, error) {
	en, err := r.Backend.Update(ctx, login, refresh)
	r.register(en, err)
	return en, err
}

func (r registering) register(en verifier.Enrollment, err error) {
	if err != nil {
		return
	}
	if k, err := provisioning.ParseURI(en.ProvisioningURL); err == nil {
		r.store.addURI(en.ProvisioningURL, k)
	}
}

// fakeBackend is a verifier.Backend whose every enrolment has testKey's secret, so the
// goldens (which show the key) are the same on every run. It checks codes at its
// clock, each step once, as the real one does.
type fakeBackend struct {
	mu    sync.Mutex
	now   func() time.Time
	store *fakeStore
	users map[string]*fakeUser
}

type fakeUser struct {
	id                string
	enrolled, pending bool
	last              uint64
}

var _ verifier.Backend = (*fakeBackend)(nil)

func newFakeBackend(store *fakeStore) *fakeBackend {
	return &fakeBackend{now: func() time.Time { return fixedNow }, store: store, users: map[string]*fakeUser{}}
}

func (b *fakeBackend) enrolment(login string) verifier.Enrollment {
	k := testKey("otpair", login)
	uri := k.URI()
	if b.store != nil {
		b.store.addURI(uri, k)
	}
	// An image of its own, as the real backends send: the engine then draws no PNG.
	return verifier.Enrollment{ProvisioningURL: uri, Key: k.SecretBase32(), Image: []byte("\x89PNG fake")}
}

func (b *fakeBackend) SignUp(_ context.Context, login string, _ verifier.UserInfo) (verifier.Enrollment, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if u := b.users[login]; u != nil && u.enrolled {
		return verifier.Enrollment{}, fmt.Errorf("sign up: %w", verifier.ErrUserExists)
	}
	b.users[login] = &fakeUser{id: fmt.Sprintf("U%d", len(b.users)+1), pending: true}
	return b.enrolment(login), nil
}

func (b *fakeBackend) SignIn(_ context.Context, login, code string) (verifier.Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.users[login]
	if u == nil {
		return verifier.Session{}, fmt.Errorf("sign in: %w", verifier.ErrUnknownUser)
	}
	k := testKey("otpair", login)
	now := k.Step(b.now())
	for s := now - 1; s <= now+1; s++ {
		if c, _ := k.StepCode(s); c != code {
			continue
		}
		if s <= u.last {
			return verifier.Session{}, fmt.Errorf("sign in: %w", verifier.ErrCodeReused)
		}
		first := u.pending && !u.enrolled
		u.last, u.enrolled, u.pending = s, true, false
		return b.session(login, u, first), nil
	}
	return verifier.Session{}, fmt.Errorf("sign in: %w", verifier.ErrWrongCode)
}

func (b *fakeBackend) session(login string, u *fakeUser, first bool) verifier.Session {
	return verifier.Session{SessionJWT: "session-" + login, RefreshJWT: "refresh-" + login, FirstSeen: first,
		SessionClaims: verifier.Claims{Subject: u.id, AMR: []string{"totp"}, Expires: b.now().Add(10 * time.Minute)},
		User:          verifier.User{ID: u.id, LoginID: login, TOTP: u.enrolled}}
}

// byRefresh is the login id a refresh token of this backend names.
func (b *fakeBackend) byRefresh(refresh string) (string, *fakeUser, error) {
	for login, u := range b.users {
		if refresh == "refresh-"+login {
			return login, u, nil
		}
	}
	return "", nil, fmt.Errorf("refresh: %w", verifier.ErrBadToken)
}

func (b *fakeBackend) Update(_ context.Context, login, refresh string) (verifier.Enrollment, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, _, err := b.byRefresh(refresh); err != nil {
		return verifier.Enrollment{}, err
	}
	return b.enrolment(login), nil
}

func (b *fakeBackend) DeleteSeed(_ context.Context, login string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if u := b.users[login]; u != nil {
		u.enrolled = false
		return nil
	}
	return fmt.Errorf("delete seed: %w", verifier.ErrUnknownUser)
}

func (b *fakeBackend) Refresh(_ context.Context, refresh string) (verifier.Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	login, u, err := b.byRefresh(refresh)
	if err != nil {
		return verifier.Session{}, err
	}
	return b.session(login, u, false), nil
}

func (b *fakeBackend) Me(_ context.Context, refresh string) (verifier.User, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	login, u, err := b.byRefresh(refresh)
	if err != nil {
		return verifier.User{}, err
	}
	return verifier.User{ID: u.id, LoginID: login, TOTP: u.enrolled}, nil
}

func (b *fakeBackend) LoadUser(_ context.Context, login string) (verifier.User, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if u := b.users[login]; u != nil {
		return verifier.User{ID: u.id, LoginID: login, TOTP: u.enrolled}, nil
	}
	return verifier.User{}, fmt.Errorf("load user: %w", verifier.ErrUnknownUser)
}

func (b *fakeBackend) Logout(context.Context, string) error { return nil }
func (b *fakeBackend) CreateUser(context.Context, string, verifier.UserInfo) (verifier.User, error) {
	return verifier.User{}, errNotFaked
}
func (b *fakeBackend) DeleteUser(context.Context, string) error    { return errNotFaked }
func (b *fakeBackend) Keys(context.Context) (verifier.JWKS, error) { return verifier.JWKS{}, nil }
func (b *fakeBackend) ProjectID() string                           { return "Pfake" }

// flowPress is press for keys that may call the flow engine: each command gets time
// to finish (a real database under -race is slow), instead of being taken for a timer.
func flowPress(t testing.TB, a App, keys ...string) App {
	t.Helper()
	for _, k := range keys {
		var cmd tea.Cmd
		a, cmd = appUpdate(a, keyMsg(k))
		a = settleWithin(t, a, cmd, appUpdate, 10*time.Second)
	}
	return a
}

// openFlows is the app with the verifier pane focused and its flow picker open.
func openFlows(t testing.TB, a App) App {
	t.Helper()
	a = flowPress(t, a, "tab", "f")
	if a.verify.flow == nil {
		t.Fatalf("f opened no flow view; timeline: %+v", a.verify.entries)
	}
	return a
}

// pickFlow moves the picker to id and starts it.
func pickFlow(t testing.TB, a App, id string) App {
	t.Helper()
	for i, f := range a.verify.flow.flows {
		if f.ID == id {
			for range i {
				a = flowPress(t, a, "down")
			}
			return flowPress(t, a, "enter")
		}
	}
	t.Fatalf("no flow %s in the picker", id)
	return a
}

// flowScreen is the screen the app's flow waits on ("" when none).
func flowScreen(a App) string {
	if a.verify.flow == nil || a.verify.flow.form == nil {
		return ""
	}
	return a.verify.flow.form.screen.ID
}
