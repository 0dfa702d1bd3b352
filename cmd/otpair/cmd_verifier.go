package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/httpapi"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/sqlite"
)

func init() {
	registerCmd(groupVerifier, newVerifierCmd)
}

// Environment variables the verifier commands read when the flag is not given.
const (
	envProjectID     = "OTPAIR_PROJECT_ID"
	envManagementKey = "OTPAIR_MANAGEMENT_KEY"
	envRefreshToken  = "OTPAIR_REFRESH_TOKEN"
	verifierDBName   = "verifier.db"
)

// verifierSteps are the subcommands of `otpair verifier`, in lifecycle order.
var verifierSteps = []struct {
	name, args, summary string
	run                 func(v *verifierCmd, ctx context.Context, args []string) error
}{
	{"signup", "LOGIN_ID", "start an enrolment: print the provisioning URL, key and QR code", (*verifierCmd).signUp},
	{"signin", "LOGIN_ID CODE", "verify a code and open a session (prints the refresh token)", (*verifierCmd).signIn},
	{"update", "LOGIN_ID", "enrol a new seed for a signed-in user (needs the refresh token)", (*verifierCmd).update},
	{"delete-seed", "LOGIN_ID", "remove a user's seed (a management call)", (*verifierCmd).deleteSeed},
	{"enrol", "LOGIN_ID", "issue a new enrolment for an existing user (management; after delete-seed or a lost device)", (*verifierCmd).enrol},
	{"me", "", "show the user a refresh token belongs to", (*verifierCmd).me},
	{"refresh", "", "issue a new session token from a refresh token", (*verifierCmd).refresh},
	{"logout", "", "revoke a refresh token (--all: every session of its user)", (*verifierCmd).logout},
}

// backendFlags choose and configure the verifier backend; serve shares the local ones.
type backendFlags struct {
	backend    string // "local" or a base URL
	db         string
	projectID  string
	mgmtKey    string
	keyFile    string // --management-key-file
	signingAlg string
	policy     localPolicy
}

// localPolicy is the local backend's verification policy, as flags; zero values mean
// verifier's defaults.
type localPolicy struct {
	window      int // steps accepted before and after the current one
	maxAttempts int
	lock        time.Duration
	sessionTTL  time.Duration
	refreshTTL  time.Duration
	pendingTTL  time.Duration
	seeds       verifier.SeedPolicy
	seedAlg     string
}

// register adds the policy flags to fs.
func (p *localPolicy) register(fs *pflag.FlagSet) {
	fs.IntVar(&p.window, "window", verifier.DefaultSkew, "local: steps accepted before and after the current one (0 accepts the current step only)")
	fs.IntVar(&p.maxAttempts, "max-attempts", verifier.DefaultMaxAttempts, "local: failed sign-ins before the lock")
	fs.DurationVar(&p.lock, "lockout", verifier.DefaultLockDuration, "local: how long sign-in stays locked after too many failures")
	fs.DurationVar(&p.sessionTTL, "session-ttl", verifier.DefaultSessionTTL, "local: session token lifetime")
	fs.DurationVar(&p.refreshTTL, "refresh-ttl", verifier.DefaultRefreshTTL, "local: refresh token lifetime")
	fs.DurationVar(&p.pendingTTL, "pending-ttl", verifier.DefaultPendingTTL, "local: how long a sign-up or update can be confirmed by its first code")
	d := verifier.DefaultSeedPolicy
	fs.StringVar(&p.seedAlg, "totp-algorithm", string(d.Algorithm), "local: HMAC algorithm of new seeds: SHA1, SHA256 or SHA512")
	fs.IntVar(&p.seeds.Digits, "totp-digits", d.Digits, "local: digits of new seeds' codes, 6 to 8")
	fs.IntVar(&p.seeds.Period, "totp-period", d.Period, fmt.Sprintf("local: period of new seeds' codes in seconds, %d to %d", verifier.MinSeedPeriod, verifier.MaxSeedPeriod))
}

// options applies the policy to o, refusing values that would disable a protection.
func (p localPolicy) options(o *verifier.LocalOptions) error {
	switch {
	case p.window > 10:
		return usageError("--window: %d steps each way is far too lenient (at most 10)", p.window)
	case p.window < 0:
		return usageError("--window: want 0 to 10 steps each way, got %d", p.window)
	case p.maxAttempts < 0 || p.maxAttempts > 1000:
		return usageError("--max-attempts: want 1 to 1000, got %d", p.maxAttempts)
	case p.lock < 0 || p.sessionTTL < 0 || p.refreshTTL < 0 || p.pendingTTL < 0:
		return usageError("--lockout, --session-ttl, --refresh-ttl and --pending-ttl must not be negative")
	}
	o.SkewBack, o.SkewAhead = p.window, p.window
	if p.window == 0 {
		o.SkewBack, o.SkewAhead = -1, -1 // verifier: negative means none
	}
	o.MaxAttempts, o.LockDuration = p.maxAttempts, p.lock
	o.SessionTTL, o.RefreshTTL, o.PendingTTL = p.sessionTTL, p.refreshTTL, p.pendingTTL
	seeds := p.seeds
	seeds.Algorithm = provisioning.Algorithm(strings.ToUpper(strings.ReplaceAll(p.seedAlg, "-", "")))
	if err := seeds.Validate(); err != nil {
		return usageError("%v", err)
	}
	o.Seeds = seeds
	return nil
}

// registerBackend adds --backend to c: local, or the base URL of a server. Anything
// else is refused as the command line is parsed, with local suggested for a near miss.
func (f *backendFlags) registerBackend(c *cobra.Command) {
	backendFlag(c, &f.backend, backendLocal)
}

// The backend names --backend takes besides a URL, with what the shell shows for each.
var (
	backendLocal     = cobra.CompletionWithDesc("local", "the in-process verifier on the otpair home's database")
	backendThrowaway = cobra.CompletionWithDesc("throwaway", "an in-memory local backend, gone when the command ends")
	backendServe     = cobra.CompletionWithDesc("http://127.0.0.1:8090", "otpair serve on its default address")
)

// backendFlag defines --backend on c: one of names (the first is the default) or an
// http(s) base URL, refused with the closest name suggested as the command line is
// parsed, and completed with the names and otpair serve's default address.
func backendFlag(c *cobra.Command, p *string, names ...cobra.Completion) {
	var words []string
	for _, n := range names {
		w, _, _ := strings.Cut(n, "\t")
		words = append(words, w)
	}
	*p = words[0]
	v := &enumValue{p: p, choices: words, other: checkBaseURL, want: orList(append(words, "an http:// or https:// base URL"))}
	c.Flags().Var(v, "backend", "verifier `BACKEND`: "+strings.Join(words, ", ")+", or the base URL of otpair serve or of a Descope project")
	_ = c.RegisterFlagCompletionFunc("backend", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return append(append([]cobra.Completion{}, names...), backendServe), cobra.ShellCompDirectiveNoFileComp
	})
}

func (f *backendFlags) register(fs *pflag.FlagSet, remote bool) {
	if remote {
		addManagementKeyFlags(fs, &f.mgmtKey, &f.keyFile, "for delete-seed against a URL (default $"+envManagementKey+")")
	}
	fs.StringVar(&f.db, "db", "", "local `DATABASE`: a path, :memory: or postgres://… (default: $OTPAIR_DB, else "+verifierDBName+" in the otpair home)")
	fs.StringVar(&f.projectID, "project-id", "", "project `ID` (default $"+envProjectID+"; locally: the stored one)")
	fs.StringVar(&f.signingAlg, "signing-alg", verifier.RS256, "local token signing `ALGORITHM`: RS256 or ES256")
	f.policy.register(fs)
}

// completeBackendFlags makes the shell complete the backend flags c has: --signing-alg
// with the algorithms, --db and --management-key-file with files (--backend completes
// as backendFlag defines it).
func completeBackendFlags(c *cobra.Command) {
	completeWords(c, "signing-alg", verifier.RS256, verifier.ES256)
	_ = c.MarkFlagFilename("db")
	_ = c.MarkFlagFilename("management-key-file")
}

// verifierCmd is one run of `otpair verifier STEP`.
type verifierCmd struct {
	e            *env
	b            verifier.Backend
	json         bool
	refreshToken string
	name         string
	email        string
	phone        string
	qr           bool
	enroll       bool
	all          bool // logout: every refresh token of the user
}

func newVerifierCmd(e *env) *cobra.Command {
	c := newGroup(e, "verifier", "run one verifier step: signup, signin, update, delete-seed, me, refresh, logout, rotate-key", verifierHelp, "step")
	for _, s := range verifierSteps {
		c.AddCommand(newVerifierStepCmd(e, s.name, s.args, s.summary, s.run))
	}
	return c
}

// verifierHelp is what `otpair verifier help` says beside the list of its steps.
const verifierHelp = `Each step runs against the local backend (the otpair home's database, or --db) or,
with --backend URL, an otpair serve or Descope-compatible server.

The refresh token comes from --refresh-token (- reads stdin) or $` + envRefreshToken + `.
Against a URL: --project-id or $` + envProjectID + `, --management-key-file FILE or $` + envManagementKey + `
(--management-key KEY works too, but every local user can read it in ps).

--json output (stable):
  signup, update, enrol  {loginId, provisioningURL, key, image (base64 PNG), accountId (with --enroll)}
  signin, refresh        {sessionJwt, refreshJwt, sub, sessionExpires, refreshExpires, firstSeen, user}
  me                     user: {userId, loginId, name, email, phone, created, totp, pending, lockedUntil, lastStep, stepDrift}
  delete-seed            {loginId, seedDeleted: true}
  logout                 {loggedOut: true[, everywhere: true]}
  rotate-key             {kid, alg, published}`

// newVerifierStepCmd is `otpair verifier NAME ARGS`: the backend flags, --json, and the
// flags of that step.
func newVerifierStepCmd(e *env, name, args, summary string, run func(v *verifierCmd, ctx context.Context, args []string) error) *cobra.Command {
	var bf backendFlags
	v := &verifierCmd{e: e}
	want := len(strings.Fields(args))
	c := &cobra.Command{
		Use:   strings.TrimSpace(name + " " + args),
		Short: summary,
		Args:  nArgs(want, want, "verifier "+name+" takes "+plural(want, args)),
		RunE: func(c *cobra.Command, pos []string) error {
			var err error
			if v.refreshToken, err = v.readRefreshToken(name); err != nil {
				return err
			}
			b, closeFn, err := openBackend(c.Context(), e, bf)
			if err != nil {
				return err
			}
			defer closeFn()
			v.b = b
			return run(v, c.Context(), pos)
		},
	}
	fs := c.Flags()
	bf.registerBackend(c)
	bf.register(fs, true)
	fs.BoolVar(&v.json, "json", false, "print JSON (stable; shapes in 'otpair verifier help')")
	switch name {
	case "signup":
		fs.StringVar(&v.name, "name", "", "the user's name")
		fs.StringVar(&v.email, "email", "", "the user's email")
		fs.StringVar(&v.phone, "phone", "", "the user's phone")
		fs.BoolVar(&v.qr, "qr", true, "draw the QR code in the terminal")
		fs.BoolVar(&v.enroll, "enroll", false, "also add the new key to the authenticator vault")
	case "update", "enrol":
		fs.BoolVar(&v.qr, "qr", true, "draw the QR code in the terminal")
		fs.BoolVar(&v.enroll, "enroll", false, "also add the new key to the authenticator vault")
	case "logout":
		fs.BoolVar(&v.all, "all", false, "log out everywhere: revoke every refresh token of the user issued until now")
	}
	if name == "update" || name == "me" || name == "refresh" || name == "logout" {
		fs.StringVar(&v.refreshToken, "refresh-token", "", "the refresh `TOKEN` from signin, or - to read it from stdin (default $"+envRefreshToken+")")
	}
	completeBackendFlags(c)
	return c
}

func plural(n int, args string) string {
	if n == 0 {
		return "no arguments"
	}
	return args
}

// readRefreshToken finds the refresh token of the steps that need one: the flag, "-"
// for stdin (keeps it out of the process list), or the environment.
func (v *verifierCmd) readRefreshToken(step string) (string, error) {
	switch step {
	case "update", "me", "refresh", "logout":
	default:
		return "", nil
	}
	tok := v.refreshToken
	if tok == "-" {
		line, err := bufio.NewReader(io.LimitReader(v.e.stdin, 64<<10)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the refresh token from stdin: %w", err)
		}
		tok = line
	}
	if tok == "" {
		tok = v.e.getenv(envRefreshToken)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", usageError("%s needs the refresh token from signin: --refresh-token TOKEN, --refresh-token - (stdin) or $%s", step, envRefreshToken)
	}
	return tok, nil
}

// openBackend builds the backend the flags name: the local one over the database in
// the otpair home (or the --db path), or a remote one.
func openBackend(ctx context.Context, e *env, f backendFlags) (verifier.Backend, func(), error) {
	if f.backend == "" || f.backend == "local" {
		l, closeFn, _, err := openLocal(ctx, e, f, e.now)
		if err != nil {
			return nil, nil, err
		}
		return l, closeFn, nil
	}
	pid := firstNonEmpty(f.projectID, e.getenv(envProjectID))
	if pid == "" {
		return nil, nil, usageError("--backend %s needs --project-id or $%s", f.backend, envProjectID)
	}
	key, _, err := managementKeyFlags(e, "verifier", f.mgmtKey, f.keyFile)
	if err != nil {
		return nil, nil, err
	}
	r, err := httpapi.NewRemote(f.backend, pid, firstNonEmpty(key, e.getenv(envManagementKey)), httpapi.WithRemoteClock(e.now))
	if err != nil {
		return nil, nil, usageError("--backend: %v", err)
	}
	return r, func() {}, nil
}

// localInfo says where the local backend's state came from, for serve's start-up lines.
type localInfo struct {
	home, db, seedKeySource string
	store                   verifier.Store // the database, which keeps flow executions too
	seedKey                 []byte         // the flow engine derives its state key from it
}

// openLocal opens the local backend: the SQLite database (created 0600) and the seed
// key (OTPAIR_SEED_KEY, else seed.key in the otpair home; a throwaway one for
// :memory:).
func openLocal(ctx context.Context, e *env, f backendFlags, clock verifier.Clock) (*verifier.Local, func(), localInfo, error) {
	var info localInfo
	home, err := verifierHome(e)
	if err != nil {
		return nil, nil, info, err
	}
	info.home = home
	db := firstNonEmpty(f.db, e.getenv("OTPAIR_DB"))
	if db == "" {
		db = filepath.Join(home, verifierDBName)
	}
	pg := postgres.IsDSN(db) // shared by several instances: no local file
	info.db = postgres.RedactDSN(db)
	var seedKey []byte
	if db == sqlite.MemoryDB && e.getenv(verifier.SeedKeyEnv) == "" {
		seedKey, info.seedKeySource = verifier.NewSeedKey(), "throwaway (in-memory database)"
	} else {
		if db != sqlite.MemoryDB && !pg {
			if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
				return nil, nil, info, fmt.Errorf("create the database folder: %w", err)
			}
		}
		if err := os.MkdirAll(home, 0o700); err != nil {
			return nil, nil, info, fmt.Errorf("create the otpair home: %w", err)
		}
		if seedKey, info.seedKeySource, err = verifier.LoadSeedKey(home, e.getenv); err != nil {
			return nil, nil, info, err
		}
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return nil, nil, info, err
	}
	alg := strings.ToUpper(f.signingAlg)
	if alg != "" && alg != verifier.RS256 && alg != verifier.ES256 {
		st.Close()
		return nil, nil, info, usageError("--signing-alg: want RS256 or ES256, got %q", f.signingAlg)
	}
	opts := verifier.LocalOptions{
		Clock: clock, SeedKey: seedKey, SigningAlg: alg,
		ProjectID: firstNonEmpty(f.projectID, e.getenv(envProjectID)),
	}
	if err := f.policy.options(&opts); err != nil {
		st.Close()
		return nil, nil, info, err
	}
	l, err := verifier.NewLocal(ctx, st, opts)
	if err != nil {
		st.Close()
		return nil, nil, info, err
	}
	info.store, info.seedKey = st, seedKey
	return l, func() { st.Close() }, info, nil
}

// verifierHome is the otpair home: $OTPAIR_HOME, else otpair in the user's config
// folder (where the authenticator keeps its vault too).
func verifierHome(e *env) (string, error) {
	if h := e.getenv("OTPAIR_HOME"); h != "" {
		return h, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the otpair home (set OTPAIR_HOME): %w", err)
	}
	return filepath.Join(d, "otpair"), nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// enrollmentJSON is `signup --json` and `update --json`.
type enrollmentJSON struct {
	LoginID         string `json:"loginId"`
	ProvisioningURL string `json:"provisioningURL"`
	Key             string `json:"key"`
	Image           string `json:"image"`               // base64 PNG of the QR code
	AccountID       string `json:"accountId,omitempty"` // with --enroll: the vault account
}

// enrollKey adds the enrolment's key to the authenticator vault (--enroll), as
// `otpair import` would add its provisioning URL.
func (v *verifierCmd) enrollKey(ctx context.Context, en verifier.Enrollment) (authenticator.Account, error) {
	key, err := provisioning.ParseURI(en.ProvisioningURL)
	if err != nil {
		return authenticator.Account{}, fmt.Errorf("enroll: the provisioning URL: %w", err)
	}
	vault, err := openVault(ctx, v.e)
	if err != nil {
		return authenticator.Account{}, fmt.Errorf("enroll: %w", err)
	}
	existed := vault.Status().Exists
	res, err := vault.Add(ctx, key)
	if err != nil {
		return authenticator.Account{}, fmt.Errorf("enroll: %w", err)
	}
	noteCreated(v.e, vault, existed)
	if len(res.Added) == 1 {
		return res.Added[0], nil
	}
	if len(res.Duplicates) == 1 {
		return res.Duplicates[0].Existing, nil
	}
	return authenticator.Account{}, errors.New("enroll: the vault did not add the key")
}

// sessionJSON is `signin --json` and `refresh --json`.
type sessionJSON struct {
	SessionJWT     string    `json:"sessionJwt"`
	RefreshJWT     string    `json:"refreshJwt"`
	Subject        string    `json:"sub"`
	SessionExpires time.Time `json:"sessionExpires"`
	RefreshExpires time.Time `json:"refreshExpires,omitzero"`
	FirstSeen      bool      `json:"firstSeen"`
	User           userJSON  `json:"user"`
}

// userJSON is a user in --json output.
type userJSON struct {
	ID          string    `json:"userId"`
	LoginID     string    `json:"loginId"`
	Name        string    `json:"name,omitempty"`
	Email       string    `json:"email,omitempty"`
	Phone       string    `json:"phone,omitempty"`
	Created     time.Time `json:"created,omitzero"`
	TOTP        bool      `json:"totp"`
	Pending     bool      `json:"pending"`
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
	LastStep    uint64    `json:"lastStep,omitempty"`
	StepDrift   int       `json:"stepDrift"`
}

func userOut(u verifier.User) userJSON {
	return userJSON{ID: u.ID, LoginID: u.LoginID, Name: u.Name, Email: u.Email, Phone: u.Phone, Created: u.Created,
		TOTP: u.TOTP, Pending: u.Pending, LockedUntil: u.LockedUntil, LastStep: u.LastStep, StepDrift: u.StepDrift}
}

func (v *verifierCmd) printJSON(x any) error { return writeJSON(v.e.stdout, x) }

func (v *verifierCmd) signUp(ctx context.Context, args []string) error {
	en, err := v.b.SignUp(ctx, args[0], verifier.UserInfo{Name: v.name, Email: v.email, Phone: v.phone})
	if err != nil {
		return err
	}
	return v.printEnrollment(ctx, args[0], en, "Scan the QR code or enter the key, then run: otpair verifier signin "+args[0]+" CODE")
}

func (v *verifierCmd) update(ctx context.Context, args []string) error {
	en, err := v.b.Update(ctx, args[0], v.refreshToken)
	if err != nil {
		return err
	}
	return v.printEnrollment(ctx, args[0], en, "The old seed keeps working until a code from this one signs in.")
}

func (v *verifierCmd) printEnrollment(ctx context.Context, loginID string, en verifier.Enrollment, next string) error {
	var enrolled *authenticator.Account
	if v.enroll {
		a, err := v.enrollKey(ctx, en)
		if err != nil {
			return err
		}
		enrolled = &a
		next = "Enrolled in the authenticator as " + a.Label() + ": otpair code " + a.ID + " shows its code."
	}
	if v.json {
		out := enrollmentJSON{LoginID: loginID, ProvisioningURL: en.ProvisioningURL, Key: en.Key,
			Image: base64.StdEncoding.EncodeToString(en.Image)}
		if enrolled != nil {
			out.AccountID = enrolled.ID
		}
		return v.printJSON(out)
	}
	w := v.e.stdout
	safetext.Fprintf(w, "provisioning URL: %s\n", en.ProvisioningURL)
	safetext.Fprintf(w, "key:              %s\n", en.Key)
	if v.qr {
		qr, err := provisioning.RenderQRTerminal(en.ProvisioningURL, provisioning.TerminalColor)
		if err != nil {
			return fmt.Errorf("draw the QR code: %w", err)
		}
		safetext.Fprintln(w)
		io.WriteString(w, qr) // our drawing, with its colour codes: not outside text
		safetext.Fprintln(w)
	}
	safetext.Fprintln(w, next)
	return nil
}

// enrol issues a new enrolment for an existing user (verifier.Enroller): the way back
// after delete-seed that no stranger can take, confirmed by its first code.
func (v *verifierCmd) enrol(ctx context.Context, args []string) error {
	en, ok := v.b.(verifier.Enroller)
	if !ok {
		return errors.New("enrol: this backend cannot issue enrolments")
	}
	e, err := en.Enrol(ctx, args[0])
	if err != nil {
		return err
	}
	return v.printEnrollment(ctx, args[0], e, "Hand this to the user; their first code confirms it: otpair verifier signin "+args[0]+" CODE")
}

func (v *verifierCmd) signIn(ctx context.Context, args []string) error {
	s, err := v.b.SignIn(ctx, args[0], args[1])
	if err != nil {
		return err
	}
	return v.printSession(s)
}

func (v *verifierCmd) refresh(ctx context.Context, _ []string) error {
	s, err := v.b.Refresh(ctx, v.refreshToken)
	if err != nil {
		return err
	}
	return v.printSession(s)
}

func (v *verifierCmd) printSession(s verifier.Session) error {
	if v.json {
		return v.printJSON(sessionJSON{SessionJWT: s.SessionJWT, RefreshJWT: s.RefreshJWT, Subject: s.SessionClaims.Subject,
			SessionExpires: s.SessionClaims.Expires, RefreshExpires: s.RefreshExpires, FirstSeen: s.FirstSeen, User: userOut(s.User)})
	}
	w := v.e.stdout
	first := ""
	if s.FirstSeen {
		first = " (enrolment complete)"
	}
	safetext.Fprintf(w, "signed in as %s (user %s)%s\n", s.User.LoginID, s.SessionClaims.Subject, first)
	safetext.Fprintf(w, "session token expires %s\n", s.SessionClaims.Expires.UTC().Format(time.RFC3339))
	if s.User.StepDrift != 0 {
		safetext.Fprintf(w, "the code was %+d steps from the verifier's clock\n", s.User.StepDrift)
	}
	safetext.Fprintf(w, "session token: %s\n", s.SessionJWT)
	safetext.Fprintf(w, "refresh token: %s\n", s.RefreshJWT)
	return nil
}

func (v *verifierCmd) deleteSeed(ctx context.Context, args []string) error {
	if err := v.b.DeleteSeed(ctx, args[0]); err != nil {
		return err
	}
	if v.json {
		return v.printJSON(map[string]any{"loginId": args[0], "seedDeleted": true})
	}
	safetext.Fprintf(v.e.stdout, "deleted the TOTP seed of %s\n", args[0])
	return nil
}

func (v *verifierCmd) me(ctx context.Context, _ []string) error {
	u, err := v.b.Me(ctx, v.refreshToken)
	if err != nil {
		return err
	}
	if v.json {
		return v.printJSON(userOut(u))
	}
	w := v.e.stdout
	safetext.Fprintf(w, "login id: %s\nuser id:  %s\n", u.LoginID, u.ID)
	if u.Name != "" {
		safetext.Fprintf(w, "name:     %s\n", u.Name)
	}
	if u.Email != "" {
		safetext.Fprintf(w, "email:    %s\n", u.Email)
	}
	safetext.Fprintf(w, "TOTP:     %s\n", map[bool]string{true: "enrolled", false: "not enrolled"}[u.TOTP])
	if u.Pending {
		safetext.Fprintln(w, "pending:  a new seed waits for its first code")
	}
	return nil
}

func (v *verifierCmd) logout(ctx context.Context, _ []string) error {
	if v.all {
		all, ok := v.b.(verifier.LogoutAller)
		if !ok {
			return fmt.Errorf("logout --all: this backend cannot revoke every session")
		}
		if err := all.LogoutAll(ctx, v.refreshToken); err != nil {
			return err
		}
		if v.json {
			return v.printJSON(map[string]any{"loggedOut": true, "everywhere": true})
		}
		safetext.Fprintln(v.e.stdout, "logged out everywhere: every refresh token of the user issued until now is revoked")
		return nil
	}
	if err := v.b.Logout(ctx, v.refreshToken); err != nil {
		return err
	}
	if v.json {
		return v.printJSON(map[string]any{"loggedOut": true})
	}
	safetext.Fprintln(v.e.stdout, "logged out: the refresh token is revoked")
	return nil
}
