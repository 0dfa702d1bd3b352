package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/internal/keyfile"
	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
	"github.com/otpair/otpair/verifier/flow/execstore"
	"github.com/otpair/otpair/verifier/httpapi"
)

func init() {
	registerCmd(groupVerifier, newServeCmd)
}

// serveOpts are serve's flags.
type serveOpts struct {
	addr, mgmtKeyFile, logFormat, frozen, flowsDir string
	signUpRate, signUpTotal, proxies               string
	bf                                             backendFlags
}

func newServeCmd(e *env) *cobra.Command {
	var o serveOpts
	c := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8090] [--db PATH|:memory:|postgres://…] [--project-id ID] [--management-key-file FILE] [--signup-rate 10/min] [--trusted-proxy CIDR,…] [--totp-algorithm SHA1 --totp-digits 6 --totp-period 30]",
		Short: "serve the verifier over HTTP with Descope's TOTP API",
		Long: "The first lines on stdout say where it listens, the project id and where the\n" +
			"management key came from (a generated one is printed once). Several instances can\n" +
			"share one PostgreSQL database. SIGINT or SIGTERM shuts it down gracefully.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("serve takes no arguments")
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return runServe(c.Context(), e, o) },
	}
	f := c.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8090", "`ADDRESS` to listen on (port 0 picks a free one)")
	o.bf.register(f, false)
	addManagementKeyFlags(f, &o.bf.mgmtKey, &o.mgmtKeyFile, "(default $"+envManagementKey+", else "+managementKeyFile+" in the otpair home, generated on first start)")
	enumFlag(c, &o.logFormat, "log-format", "text", []string{"text", "json"}, "log `FORMAT` on stderr: text or json")
	f.StringVar(&o.frozen, "frozen-clock", "", "TESTING ONLY: stop the verifier's clock at `TIME` (RFC 3339 or unix seconds)")
	f.StringVar(&o.flowsDir, "flows", "", "a `FOLDER` of flow files (*.yaml, *.yml, *.json) served beside the built-in flows; checked at start")
	f.StringVar(&o.signUpRate, "signup-rate", httpapi.DefaultSignUpRate.String(), "sign-ups (and, separately, flow starts) per client address (IPv4, or IPv6 /64): `RATE` as N/min, N/h, N/30s or off; more answer 429")
	f.StringVar(&o.signUpTotal, "signup-rate-total", httpapi.DefaultSignUpRateTotal.String(), "sign-ups (and flow starts) from all clients together: `RATE` as N/min, N/h or off")
	f.StringVar(&o.proxies, "trusted-proxy", "", "reverse `PROXIES` (addresses or CIDRs, comma-separated) whose X-Forwarded-For names the client; otherwise the header is ignored")
	_ = c.MarkFlagDirname("flows")
	completeBackendFlags(c)
	return c
}

// managementKeyFile holds the generated management key in the otpair home (0600).
const managementKeyFile = "management.key"

// Timeouts of otpair serve's http.Server: generous for people, short enough that idle
// or slow clients cannot hold connections forever. (Variables so that a test can
// shorten them; nothing else changes them.)
var (
	serveReadHeaderTimeout = 5 * time.Second
	serveReadTimeout       = 15 * time.Second
	serveWriteTimeout      = 30 * time.Second
	serveIdleTimeout       = 2 * time.Minute
	serveShutdownTimeout   = 10 * time.Second
)

func runServe(ctx context.Context, e *env, o serveOpts) error {
	bf := o.bf
	flagKey, flagSource, err := managementKeyFlags(e, "serve", bf.mgmtKey, o.mgmtKeyFile)
	if err != nil {
		return err
	}
	var logger *slog.Logger
	switch o.logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(e.stderr, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(e.stderr, nil))
	default:
		return usageError("--log-format: want text or json, got %q", o.logFormat)
	}
	sopts := httpapi.ServerOptions{Logger: logger}
	if sopts.SignUpRate, err = httpapi.ParseRate(o.signUpRate); err != nil {
		return usageError("--signup-rate: %v", err)
	}
	if sopts.SignUpRateTotal, err = httpapi.ParseRate(o.signUpTotal); err != nil {
		return usageError("--signup-rate-total: %v", err)
	}
	if o.proxies != "" {
		if sopts.TrustedProxies, err = httpapi.ParseTrustedProxies(o.proxies); err != nil {
			return usageError("--trusted-proxy: %v", err)
		}
	}
	clock := verifier.Clock(e.now)
	if o.frozen != "" {
		at, err := parseTimeFlag(o.frozen)
		if err != nil {
			return usageError("--frozen-clock: %v", err)
		}
		clock = func() time.Time { return at }
		logger.Warn("TESTING ONLY: the verifier's clock is frozen; codes, locks and tokens all use this time",
			"frozen_at", at.UTC().Format(time.RFC3339))
	}

	// The flows first: a bad file stops the start before anything is opened.
	flows, err := loadFlows(o.flowsDir)
	if err != nil {
		return fileErrors(e, err)
	}
	l, closeFn, info, err := openLocal(ctx, e, bf, clock)
	if err != nil {
		return err
	}
	defer closeFn()
	engine, err := newFlowEngine(l, info, flows, clock)
	if err != nil {
		return err
	}
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(httpapi.ServerGCPercent)
	}
	mgmtKey, mgmtSource, err := managementKey(e, flagKey, flagSource, info.home)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	sopts.ManagementKey, sopts.Clock, sopts.Flows = mgmtKey, clock, engine
	srv := &http.Server{
		Handler:           httpapi.NewServer(l, sopts),
		ReadHeaderTimeout: serveReadHeaderTimeout,
		ReadTimeout:       serveReadTimeout,
		WriteTimeout:      serveWriteTimeout,
		IdleTimeout:       serveIdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// The first lines on stdout are for people and scripts (scripts/ci.d/60-compat.sh
	// reads the URL): where it listens and what the SDKs need.
	url := "http://" + ln.Addr().String()
	safetext.Fprintf(e.stdout, "otpair verifier listening on %s\n", url)
	safetext.Fprintf(e.stdout, "project id: %s\n", l.ProjectID())
	if mgmtSource == "generated" {
		safetext.Fprintf(e.stdout, "management key (shown once, saved in %s): %s\n", filepath.Join(info.home, managementKeyFile), mgmtKey)
	} else {
		safetext.Fprintf(e.stdout, "management key: from %s\n", mgmtSource)
	}
	if l.Seeds() != verifier.DefaultSeedPolicy {
		safetext.Fprintf(e.stdout, "new seeds: %s\n", l.Seeds())
	}
	logger.Info("serving", "url", url, "project_id", l.ProjectID(), "db", info.db, "seed_key", info.seedKeySource,
		"management_key", mgmtSource, "flows", len(flows.List()), "seeds", l.Seeds().String())

	// Abandoned sign-ups and updates are deleted every minute, a bounded batch at a time
	// (several instances on one database share the work).
	purge := time.NewTicker(verifier.DefaultPurgeEvery)
	purgeCtx, stopPurge := context.WithCancel(ctx)
	purged := make(chan struct{})
	go func() {
		defer close(purged)
		l.RunPurge(purgeCtx, purge.C, func(p verifier.Purged, err error) {
			switch {
			case err != nil && purgeCtx.Err() == nil:
				logger.Error("purge of abandoned enrolments", "error", err)
			case p != (verifier.Purged{}):
				logger.Info("purged abandoned enrolments", "pending_seeds", p.Seeds, "users", p.Users)
			}
		})
	}()
	defer func() { purge.Stop(); stopPurge(); <-purged }() // before the database closes

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), serveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// loadFlows is the built-in flows plus the files in dir ("" for none), every file
// checked: an error names each bad file's line and column.
func loadFlows(dir string) (*flow.Registry, error) {
	r, err := flow.Builtins()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return r, nil
	}
	if err := r.LoadDir(dir); err != nil {
		var fe flow.FileErrors
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, fmt.Errorf("--flows %s: %w", dir, err)
	}
	return r, nil
}

// newFlowEngine runs flows on the local backend, keeping executions in its database
// (so that instances sharing a PostgreSQL continue each other's) with a state key
// derived from the seed key.
func newFlowEngine(l *verifier.Local, info localInfo, flows *flow.Registry, clock verifier.Clock) (*flow.Engine, error) {
	st, ok := info.store.(execstore.Store)
	if !ok {
		return nil, errors.New("the verifier database cannot keep flow executions")
	}
	return flow.New(flow.Options{Backend: l, Flows: flows, Store: st, StateKey: info.seedKey, Clock: clock})
}

// managementKey is the key of the flags (flagKey, from flagSource), else
// $OTPAIR_MANAGEMENT_KEY, else the key file in the otpair home, created (0600, a fresh
// random key) on first start and refused when others may read it. The source says
// which, "generated" the first time, so the key is printed exactly once.
func managementKey(e *env, flagKey, flagSource, home string) (key, source string, err error) {
	if flagKey != "" {
		return flagKey, flagSource, checkManagementKey(flagKey)
	}
	if k := e.getenv(envManagementKey); k != "" {
		return k, "$" + envManagementKey, checkManagementKey(k)
	}
	path := filepath.Join(home, managementKeyFile)
	data, err := keyfile.Read(path, maxKeyFileBytes)
	if err == nil {
		k := strings.TrimSpace(string(data))
		if err := checkManagementKey(k); err != nil {
			return "", "", fmt.Errorf("%s: %w", path, err)
		}
		return k, path, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("the management key: %w", err)
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return "", "", fmt.Errorf("create the otpair home: %w", err)
	}
	k := "K" + rand.Text() + rand.Text() // 2 × 128 bits, base32: no ':' to break the header
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("save the management key: %w", err)
	}
	if _, err := f.WriteString(k + "\n"); err != nil {
		f.Close()
		return "", "", fmt.Errorf("save the management key: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", "", fmt.Errorf("save the management key: %w", err)
	}
	return k, "generated", nil
}

func checkManagementKey(k string) error {
	switch {
	case len(k) < 16:
		return errors.New("the management key is shorter than 16 characters")
	case strings.ContainsAny(k, ": \t\r\n"):
		return errors.New("the management key cannot contain ':' or spaces")
	case strings.Count(k, ".") == 2:
		return errors.New("the management key cannot look like a JWT (two dots)")
	}
	return nil
}

// parseTimeFlag reads RFC 3339 or unix seconds.
func parseTimeFlag(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want RFC 3339 or unix seconds, got %q", s)
	}
	return t, nil
}
