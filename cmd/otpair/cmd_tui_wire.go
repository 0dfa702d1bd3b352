package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/tui"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/httpapi"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/sqlite"
)

// tuiWiring is what cmd builds for the TUI: the concrete vault, backends and QR
// renderer behind the tui package's interfaces. Nothing here is opened until the TUI
// calls the openers, which it does inside commands, after the first frame.
type tuiWiring struct {
	openVault   tui.VaultOpener
	openBackend tui.BackendOpener
	qr          tui.QRRenderer
	skipTime    func(time.Duration)
	flows       *flow.Registry // the flows a backend runs for the TUI; nil: the built-ins

	mu      sync.Mutex
	closers []func()
}

// onClose registers cleanup to run when the TUI exits, last registered first. Openers
// run in command goroutines, hence the lock.
func (w *tuiWiring) onClose(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closers = append(w.closers, f)
}

func (w *tuiWiring) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.closers) - 1; i >= 0; i-- {
		w.closers[i]()
	}
	w.closers = nil
}

// tuiKeyring is the keyring the TUI's vault uses; tests put an in-memory one here.
var tuiKeyring = func(e *env) authenticator.Keyring {
	return authenticator.SystemKeyring{Getenv: e.getenv}
}

// tuiScryptWorkFactor is the scrypt cost of a new passphrase vault (0: age's
// default); tests lower it.
var tuiScryptWorkFactor = 0

// wireTUI builds the real dependencies for `otpair tui`: the vault in the otpair home
// (OS keyring, else a passphrase) and the local backend over --db, $OTPAIR_DB or
// verifier.db there (a SQLite file or a postgres:// URL), or a remote server.
func wireTUI(_ context.Context, e *env, f tuiFlags) (*tuiWiring, error) {
	home := tuiHome(e)
	w := &tuiWiring{qr: tuiQR(e)}
	w.openVault = vaultOpener(authenticator.Options{
		Dir:              home,
		Keyring:          tuiKeyring(e),
		Now:              e.now,
		ScryptWorkFactor: tuiScryptWorkFactor,
	}, e.getenv("OTPAIR_PASSPHRASE"))
	db := f.db
	if db == "" {
		db = e.getenv("OTPAIR_DB")
	}
	if db == "" {
		db = filepath.Join(home, "verifier.db")
	}
	w.openBackend = backendOpener(w, e, func(ctx context.Context) (verifier.Store, []byte, error) {
		if err := os.MkdirAll(home, 0o700); err != nil {
			return nil, nil, fmt.Errorf("otpair home: %w", err)
		}
		key, _, err := verifier.LoadSeedKey(home, e.getenv)
		if err != nil {
			return nil, nil, err
		}
		st, err := openStore(ctx, db)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", postgres.RedactDSN(db), err)
		}
		return st, key, nil
	}, verifier.Clock(e.now))
	return w, nil
}

// wireDemo builds throwaway dependencies for `otpair demo`: a vault in a temporary
// folder with an in-memory keyring, removed at exit, and an in-memory verifier whose
// clock the demo can move ahead.
func wireDemo(_ context.Context, e *env) (*tuiWiring, error) {
	dir, err := os.MkdirTemp("", "otpair-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo vault folder: %w", err)
	}
	clock := &shiftClock{now: e.now}
	w := &tuiWiring{qr: tuiQR(e), skipTime: clock.skip}
	w.onClose(func() { _ = os.RemoveAll(dir) })
	open := vaultOpener(authenticator.Options{Dir: dir, Keyring: &authenticator.MemKeyring{}, Now: e.now}, "")
	w.openVault = func(ctx context.Context, pass string) (tui.AccountStore, tui.VaultInfo, error) {
		store, _, err := open(ctx, pass)
		return store, tui.VaultInfo{Mode: "throwaway demo vault"}, err
	}
	w.openBackend = backendOpener(w, e, func(ctx context.Context) (verifier.Store, []byte, error) {
		st, err := sqlite.Open(ctx, sqlite.MemoryDB)
		return st, verifier.NewSeedKey(), err
	}, clock.Now)
	return w, nil
}

// shiftClock is the demo backend's clock: the real one plus an offset the demo moves
// ahead to get past a lockout without waiting.
type shiftClock struct {
	now func() time.Time
	mu  sync.Mutex
	off time.Duration
}

// Now is the clock's time.
func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.off)
}

func (c *shiftClock) skip(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// tuiQR draws QR codes for the TUI without escape codes: dark modules as glyphs, which
// the TUI paints black on white so any terminal theme scans. The compact drawing
// (level L, a two-module quiet zone) fits a sign-up's code in an 80x24 terminal.
func tuiQR(_ *env) tui.QRRenderer {
	return func(text string) (string, error) {
		s, err := provisioning.RenderQRTerminalCompact(text, provisioning.TerminalLightBackground)
		return strings.TrimRight(s, "\n"), err
	}
}

// backendOpener connects to the local backend (opened once, on first use, by
// openLocal) or to a remote server (checked by fetching its signing keys).
func backendOpener(w *tuiWiring, e *env, openLocal func(context.Context) (verifier.Store, []byte, error), clock verifier.Clock) tui.BackendOpener {
	var (
		mu     sync.Mutex
		st     verifier.Store
		key    []byte
		locals = map[tui.SeedPolicy]*verifier.Local{}
	)
	return func(ctx context.Context, cfg tui.BackendConfig) (tui.Verifier, error) {
		if cfg.Remote {
			r, err := httpapi.NewRemote(cfg.BaseURL, cfg.ProjectID, cfg.ManagementKey, httpapi.WithRemoteClock(clock))
			if err != nil {
				return nil, err
			}
			if _, err := r.Keys(ctx); err != nil {
				return nil, fmt.Errorf("reach %s: %w", cfg.BaseURL, err)
			}
			return backendVerifier{b: r, flows: remoteFlowEngine(ctx, r, w.flows)}, nil
		}
		mu.Lock()
		defer mu.Unlock()
		if st == nil {
			s, k, err := openLocal(ctx)
			if err != nil {
				return nil, fmt.Errorf("open the local backend: %w", err)
			}
			st, key = s, k
			w.onClose(func() { _ = s.Close() })
		}
		// One Local per seed policy, all on the one database: the policy only decides
		// what new seeds are, and Locals sharing a database agree on everything else.
		// Each connection gets a flow engine of its own over it (its executions in
		// memory), as the pane forgets a running flow when it connects.
		l, ok := locals[cfg.Seeds]
		if !ok {
			seeds := verifier.SeedPolicy{Algorithm: provisioning.Algorithm(cfg.Seeds.Algorithm), Digits: cfg.Seeds.Digits, Period: cfg.Seeds.Period}
			var err error
			l, err = verifier.NewLocal(ctx, st, verifier.LocalOptions{Clock: clock, SeedKey: key, Seeds: seeds})
			if err != nil {
				return nil, fmt.Errorf("open the local backend: %w", err)
			}
			locals[cfg.Seeds] = l
		}
		return localVerifier(l, w.flows, clock)
	}
}

// backendVerifier adapts a verifier.Backend (Local or Remote) to tui.Verifier and
// turns its errors into *tui.RequestError. Its flows run where the backend's calls
// do: on the local backend in an engine in this process (executions in memory), on a
// remote one on the server, through /v1/flow/start and /v1/flow/next.
type backendVerifier struct {
	b     verifier.Backend
	flows tui.FlowEngine
}

var (
	_ tui.Verifier   = backendVerifier{}
	_ tui.FlowRunner = backendVerifier{}
)

// localVerifier is the local backend, with a flow engine over it for the built-ins and
// the flows of --flows DIR.
func localVerifier(b verifier.Backend, flows *flow.Registry, clock verifier.Clock) (tui.Verifier, error) {
	eng, err := flow.New(flow.Options{Backend: b, Flows: flows, StateKey: verifier.NewSeedKey(), Clock: clock})
	if err != nil {
		return nil, fmt.Errorf("flow engine: %w", err)
	}
	return backendVerifier{b: b, flows: eng}, nil
}

// remoteFlowEngine runs the flows on the server r talks to. With a management key the
// pane draws the server's own flows (its list and exports); without one, or when the
// server will not list them, the built-ins and --flows DIR as this process reads them
// (the server runs its own, and says so when it has no flow of that id).
func remoteFlowEngine(ctx context.Context, r *httpapi.Remote, local *flow.Registry) tui.FlowEngine {
	if local == nil {
		local = flow.MustBuiltins()
	}
	if reg, err := r.FlowRegistry(ctx); err == nil {
		local = reg
	}
	return httpapi.NewRemoteFlows(r, local)
}

// FlowEngine implements tui.FlowRunner.
func (v backendVerifier) FlowEngine() tui.FlowEngine { return v.flows }

// SignUp implements tui.Verifier.
func (v backendVerifier) SignUp(ctx context.Context, loginID, name, email string) (tui.SignUpResult, error) {
	en, err := v.b.SignUp(ctx, loginID, verifier.UserInfo{Name: name, Email: email})
	if err != nil {
		return tui.SignUpResult{}, requestError(err, false)
	}
	return tui.SignUpResult{URI: en.ProvisioningURL, Key: en.Key}, nil
}

// SignIn implements tui.Verifier.
func (v backendVerifier) SignIn(ctx context.Context, loginID, code string) (tui.Session, error) {
	s, err := v.b.SignIn(ctx, loginID, code)
	if err != nil {
		return tui.Session{}, requestError(err, false)
	}
	return tuiSession(s), nil
}

// Update implements tui.Verifier.
func (v backendVerifier) Update(ctx context.Context, loginID, refreshJWT string) (tui.SignUpResult, error) {
	en, err := v.b.Update(ctx, loginID, refreshJWT)
	if err != nil {
		return tui.SignUpResult{}, requestError(err, false)
	}
	return tui.SignUpResult{URI: en.ProvisioningURL, Key: en.Key}, nil
}

// DeleteSeed implements tui.Verifier.
func (v backendVerifier) DeleteSeed(ctx context.Context, loginID string) error {
	return requestError(v.b.DeleteSeed(ctx, loginID), true)
}

// Refresh implements tui.Verifier.
func (v backendVerifier) Refresh(ctx context.Context, refreshJWT string) (tui.Session, error) {
	s, err := v.b.Refresh(ctx, refreshJWT)
	if err != nil {
		return tui.Session{}, requestError(err, false)
	}
	return tuiSession(s), nil
}

// Me implements tui.Verifier.
func (v backendVerifier) Me(ctx context.Context, refreshJWT string) (string, error) {
	u, err := v.b.Me(ctx, refreshJWT)
	if err != nil {
		return "", requestError(err, false)
	}
	parts := []string{u.LoginID}
	if u.Name != "" {
		parts = append(parts, u.Name)
	}
	if u.Email != "" && u.Email != u.LoginID {
		parts = append(parts, u.Email)
	}
	state := "no TOTP seed"
	if u.TOTP {
		state = "TOTP enrolled"
	}
	return strings.Join(parts, " · ") + " · " + state + " · id " + u.ID, nil
}

// Logout implements tui.Verifier.
func (v backendVerifier) Logout(ctx context.Context, refreshJWT string) error {
	return requestError(v.b.Logout(ctx, refreshJWT), false)
}

// Users implements tui.Verifier with verifier.UserLister when the backend has it.
func (v backendVerifier) Users(ctx context.Context) ([]tui.UserState, error) {
	ul, ok := v.b.(verifier.UserLister)
	if !ok {
		return nil, tui.ErrNoUserList
	}
	users, err := ul.Users(ctx)
	if err != nil {
		return nil, requestError(err, true)
	}
	out := make([]tui.UserState, len(users))
	for i, u := range users {
		out[i] = tui.UserState{LoginID: u.LoginID, Enrolled: u.TOTP, Pending: u.Pending, SigningUp: u.SigningUp, LockedUntil: u.LockedUntil}
	}
	return out, nil
}

// Window implements tui.Verifier: the local backend says its window; a remote server
// does not.
func (v backendVerifier) Window() (back, ahead int, ok bool) {
	if l, isLocal := v.b.(*verifier.Local); isLocal {
		back, ahead = l.Window()
		return back, ahead, true
	}
	return 0, 0, false
}

// tuiSession is what the TUI keeps of a session: the tokens, for the calls that need
// them, and the claims it shows.
func tuiSession(s verifier.Session) tui.Session {
	return tui.Session{
		SessionJWT: s.SessionJWT,
		RefreshJWT: s.RefreshJWT,
		Subject:    s.SessionClaims.Subject,
		LoginID:    s.User.LoginID,
		AMR:        s.SessionClaims.AMR,
		Expires:    s.SessionClaims.Expires,
		FirstSeen:  s.FirstSeen,
		Step:       s.User.LastStep,
		Drift:      s.User.StepDrift,
	}
}

// reasons maps the verifier's sentinels to the words the timeline uses, most specific
// first (a reused code is not reported as merely wrong).
var reasons = []struct {
	err    error
	reason tui.Reason
}{
	{verifier.ErrCodeReused, tui.ReasonCodeUsed},
	{verifier.ErrWrongCode, tui.ReasonWrongCode},
	{verifier.ErrLocked, tui.ReasonLocked},
	{verifier.ErrUnknownUser, tui.ReasonUnknownUser},
	{verifier.ErrUserExists, tui.ReasonUserExists},
	{verifier.ErrNoSeed, tui.ReasonNoSeed},
	{verifier.ErrBadToken, tui.ReasonUnauthorized},
	{verifier.ErrBadRequest, tui.ReasonBadRequest},
}

// requestError turns a verifier error into a *tui.RequestError: the reason, the API
// error code (the server's own for a remote backend, else the one StatusAndCode
// gives), the lock's end, and whatever the message adds to the reason's words.
// management selects the management form of "unknown user".
func requestError(err error, management bool) error {
	if err == nil {
		return nil
	}
	re := &tui.RequestError{Reason: tui.ReasonOther, Err: err}
	matched := false
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			re.Reason, matched = r.reason, true
			re.Message = extraWords(err.Error(), r.err.Error())
			break
		}
	}
	var api *httpapi.APIError
	switch {
	case errors.As(err, &api):
		re.Code = api.Code
	case matched:
		_, re.Code = httpapi.StatusAndCode(err, management)
	}
	if !matched {
		re.Message = err.Error()
	}
	var locked *verifier.LockedError
	var wrong *verifier.WrongCodeError
	switch {
	case errors.As(err, &locked):
		re.LockedUntil = locked.Until
		re.Message = ""
	case errors.As(err, &wrong) && !wrong.LockedUntil.IsZero():
		re.LockedUntil, re.Message = wrong.LockedUntil.Local(), ""
	}
	if !re.LockedUntil.IsZero() {
		return re
	}
	if until, ok := strings.CutPrefix(re.Message, "locked until "); ok {
		// Over HTTP, the wrong code that starts a lock says until when in its message only.
		if t, perr := time.Parse(time.RFC3339, until); perr == nil {
			re.LockedUntil, re.Message = t.Local(), ""
		}
	}
	return re
}

// extraWords is what msg says after the sentinel's own words ("sign in: wrong code (3
// attempts left)" gives "3 attempts left"), so the timeline does not repeat them.
func extraWords(msg, sentinel string) string {
	_, after, found := strings.Cut(msg, sentinel)
	if !found {
		return ""
	}
	// A remote answer ends with its code and status, which the timeline shows apart.
	after = apiSuffix.ReplaceAllString(after, "")
	after = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(after), ":"))
	// "(3 attempts left)" loses its parentheses; "rule (4 attempts left)" keeps them.
	if strings.HasPrefix(after, "(") && strings.HasSuffix(after, ")") && strings.Count(after, "(") == 1 {
		after = after[1 : len(after)-1]
	}
	return after
}

// apiSuffix is how httpapi.APIError ends its message: " (E061102, HTTP 401)".
var apiSuffix = regexp.MustCompile(`\s*\(E\d{6}, HTTP \d{3}\)\s*$`)
