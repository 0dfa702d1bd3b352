package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
)

// DefaultMaxBody is the largest request body Server reads unless ServerOptions says
// otherwise. The largest legitimate body (a management user creation) is a few hundred
// bytes.
const DefaultMaxBody = 64 << 10

// ServerGCPercent is the garbage collector's target that otpair serve sets unless
// GOGC is set. A verifier's live heap is small (tokens are stateless, the sign-in cache
// is bounded), so at Go's default of 100 it collects every few hundred requests; at 400
// BenchmarkServer's rejected codes ran about 15 % faster, for a heap that peaks at five
// times the live data instead of twice.
const ServerGCPercent = 400

// ServerOptions configures a Server.
type ServerOptions struct {
	// ManagementKey authorises the management calls (delete seed, user load, create,
	// delete). Empty disables them: they answer 401.
	ManagementKey string
	// Logger receives one line per request: method, route, status, duration and error
	// code; never a code, secret, token or key. Nil discards.
	Logger *slog.Logger
	// MaxBody caps request bodies (DefaultMaxBody when zero); larger ones get 413.
	MaxBody int64
	// Clock gives Retry-After, cookie lifetimes and the sign-up rate limit their "now";
	// time.Now when nil. It should be the backend's clock.
	Clock verifier.Clock
	// Flows serves Descope's flow API (/v1/flow/start, /v1/flow/next) and the flow
	// management calls. Nil: those paths answer 404.
	Flows *flow.Engine
	// SignUpRate limits sign-ups per client address (an IPv4 address, an IPv6 /64)
	// and SignUpRateTotal those of all clients together; refused ones answer 429
	// E130429 with Retry-After. Flow starts, which also store something on the project
	// id alone, have buckets of their own at the same rates. Zero means
	// DefaultSignUpRate and DefaultSignUpRateTotal, NoLimit none.
	SignUpRate, SignUpRateTotal Rate
	// TrustedProxies are the reverse proxies in front of the server: for a request
	// from one of them the client is read from X-Forwarded-For. Empty: the header is
	// ignored and the client is the TCP peer.
	TrustedProxies []netip.Prefix
}

// Server serves a Backend with the Descope-compatible API of shared/API.md. It is an
// http.Handler; every response, errors included, is JSON.
type Server struct {
	b          verifier.Backend
	pid        string
	mgmtKey    [sha256.Size]byte // hash of the management key, so comparing leaks no length
	hasMgmt    bool
	log        *slog.Logger
	maxBody    int64
	now        verifier.Clock
	mux        *http.ServeMux
	methods    map[string][]string // path -> methods, to answer 405 in JSON
	flows      *flow.Engine
	signUps    *signUpLimiter
	flowStarts *signUpLimiter
}

var _ http.Handler = (*Server)(nil)

// access says what an API call needs in its Authorization header.
type access int

const (
	accessNone    access = iota // nothing (the public keys)
	accessProject               // Bearer <pid>
	accessRefresh               // Bearer <pid>:<refresh JWT>
	accessMgmt                  // Bearer <pid>:<management key>
)

// call is what a handler learns from the request's Authorization header.
type call struct {
	jwt string // a JWT part of the header, if any
}

type handlerFunc func(r *http.Request, c call) (any, error)

// NewServer returns a Server for b.
func NewServer(b verifier.Backend, opts ServerOptions) *Server {
	s := &Server{
		b: b, pid: b.ProjectID(), log: opts.Logger, maxBody: opts.MaxBody, now: opts.Clock,
		mux: http.NewServeMux(), methods: map[string][]string{}, flows: opts.Flows,
		signUps:    newSignUpLimiter("sign-ups", opts.SignUpRate, opts.SignUpRateTotal, opts.TrustedProxies),
		flowStarts: newSignUpLimiter("flow starts", opts.SignUpRate, opts.SignUpRateTotal, opts.TrustedProxies),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.ManagementKey != "" {
		s.mgmtKey, s.hasMgmt = sha256.Sum256([]byte(opts.ManagementKey)), true
	}
	s.route("POST /v1/auth/totp/signup", accessProject, s.signUp)
	s.route("POST /v1/auth/totp/verify", accessProject, s.verify)
	s.route("POST /v1/auth/totp/update", accessRefresh, s.update)
	s.route("POST /v1/mgmt/user/totp/delete", accessMgmt, s.deleteSeed)
	s.route("POST /v1/mgmt/user/totp/enroll", accessMgmt, s.enrol)
	s.route("GET /v2/keys/{pid}", accessNone, s.keys)
	s.route("POST /v1/auth/refresh", accessRefresh, s.refresh)
	s.route("POST /v1/auth/logout", accessRefresh, s.logout)
	s.route("POST /v1/auth/logoutall", accessRefresh, s.logoutAll)
	s.route("GET /v1/auth/me", accessRefresh, s.me)
	s.route("GET /v1/mgmt/user", accessMgmt, s.loadUser)
	s.route("POST /v1/mgmt/user/create", accessMgmt, s.createUser)
	s.route("POST /v1/mgmt/user/delete", accessMgmt, s.deleteUser)
	s.route("POST /v1/mgmt/user/search", accessMgmt, s.searchUsers)
	s.route("POST /v2/mgmt/user/search", accessMgmt, s.searchUsers)
	s.route("GET /v1/mgmt/license", accessMgmt, s.license)
	if s.flows != nil {
		s.route("POST /v1/flow/start", accessProject, s.flowStart)
		s.route("POST /v1/flow/next", accessProject, s.flowNext)
		s.route("POST /v1/mgmt/flow/list", accessMgmt, s.flowList)
		s.route("GET /v1/mgmt/flow/list", accessMgmt, s.flowList)
		s.route("POST /v1/mgmt/flow/export", accessMgmt, s.flowExport)
	}
	s.mux.HandleFunc("/", s.notFound)
	return s
}

// ServeHTTP implements http.Handler: it routes the request, recovers from panics and
// logs one line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // wall time for the latency only, not policy
	rec := &recorder{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			// The panic value may hold request data; it is not logged.
			rec.internal = errors.New("panic in handler")
			if !rec.wrote {
				s.writeError(rec, r, fmt.Errorf("internal error"), false)
			}
		}
		s.logRequest(r, rec, time.Since(start))
	}()
	if uncleanPath(r.URL.Path) {
		// The mux would answer a bodiless 307 to the cleaned path; no SDK sends such a
		// path, and every answer here is JSON.
		s.writeError(rec, r, apiErr(http.StatusNotFound, CodeBadRequest, "not found", "no such API call"), false)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// uncleanPath reports whether p has dot segments or doubled slashes (path.Clean would
// change it, apart from a trailing slash, which matches no route anyway).
func uncleanPath(p string) bool {
	return strings.Contains(p, "//") || strings.Contains(p, "/.") && path.Clean(p) != strings.TrimSuffix(p, "/")
}

// route registers h for pattern ("METHOD /path") behind the access check.
func (s *Server) route(pattern string, a access, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	key := path
	if i := strings.Index(path, "{"); i >= 0 {
		key = path[:i]
	}
	s.methods[key] = append(s.methods[key], method)
	mgmt := a == accessMgmt
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authorize(r, a)
		if err != nil {
			s.writeError(w, r, err, mgmt)
			return
		}
		v, err := h(r, c)
		if err != nil {
			s.writeError(w, r, err, mgmt)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// notFound answers every path the API does not have, or a known path with the wrong
// method, in JSON rather than the mux's plain text.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	methods, ok := s.methods[path]
	if !ok && strings.HasPrefix(path, "/v2/keys/") && !strings.Contains(path[len("/v2/keys/"):], "/") {
		methods, ok = s.methods["/v2/keys/"]
	}
	if ok {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		s.writeError(w, r, apiErr(http.StatusMethodNotAllowed, CodeBadRequest, "method not allowed", r.Method+" is not allowed here"), false)
		return
	}
	s.writeError(w, r, apiErr(http.StatusNotFound, CodeBadRequest, "not found", "no such API call"), false)
}

// authorize checks the Authorization header, "Bearer pid[:jwt][:key]" (descope-api.md
// §2), against what the call needs.
func (s *Server) authorize(r *http.Request, a access) (call, error) {
	if a == accessNone {
		return call{}, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return call{}, badToken("missing Authorization header")
	}
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return call{}, badToken("Authorization is not a Bearer header")
	}
	parts := strings.Split(strings.TrimSpace(rest), ":")
	if len(parts) > 3 {
		return call{}, badToken("malformed Authorization header")
	}
	if parts[0] != s.pid {
		return call{}, badToken("project id does not match")
	}
	var c call
	var key string
	for _, p := range parts[1:] {
		switch {
		case p == "":
			return call{}, badToken("malformed Authorization header")
		case strings.Count(p, ".") == 2 && c.jwt == "":
			c.jwt = p
		case key == "" && strings.Count(p, ".") != 2:
			key = p
		default:
			return call{}, badToken("malformed Authorization header")
		}
	}
	switch a {
	case accessRefresh:
		if c.jwt == "" {
			return call{}, badToken("a refresh token is required")
		}
	case accessMgmt:
		if !s.hasMgmt {
			return call{}, badToken("management calls are disabled on this server")
		}
		given := sha256.Sum256([]byte(key))
		if key == "" || subtle.ConstantTimeCompare(given[:], s.mgmtKey[:]) != 1 {
			return call{}, badToken("wrong or missing management key")
		}
	}
	return c, nil
}

func badToken(msg string) error {
	return apiErr(http.StatusUnauthorized, CodeBadToken, verifier.ErrBadToken.Error(), msg)
}

func (s *Server) signUp(r *http.Request, _ call) (any, error) {
	if err := s.signUps.allow(r, s.now()); err != nil { // before reading the body: refusing is cheap
		return nil, err
	}
	var req signUpRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := required("loginId", req.LoginID); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	e, err := s.b.SignUp(r.Context(), req.LoginID, req.User.info())
	if err != nil {
		return nil, err
	}
	return totpResponseOf(e), nil
}

func (s *Server) verify(r *http.Request, c call) (any, error) {
	var req verifyRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := required("loginId", req.LoginID); err != nil {
		return nil, err
	}
	if err := required("code", req.Code); err != nil {
		return nil, err
	}
	o := req.LoginOptions
	if o != nil && (o.Stepup || o.MFA) && c.jwt == "" {
		return nil, badToken("stepup and mfa need a refresh token")
	}
	var sess verifier.Session
	var err error
	if sw, ok := s.b.(verifier.OptionsSignIner); ok && o != nil && (o.Stepup || o.MFA || len(o.CustomClaims) > 0) {
		sess, err = sw.SignInWithOptions(r.Context(), req.LoginID, req.Code,
			verifier.LoginOptions{CustomClaims: o.CustomClaims, Stepup: o.Stepup, MFA: o.MFA, RefreshJWT: c.jwt})
	} else {
		if o != nil && (o.Stepup || o.MFA) {
			// A backend without options still checks that the refresh token is valid
			// and the same user's.
			u, err := s.b.Me(r.Context(), c.jwt)
			if err != nil {
				return nil, err
			}
			if verifier.LoginKey(u.LoginID) != verifier.LoginKey(req.LoginID) {
				return nil, badToken("the refresh token belongs to another user")
			}
		}
		sess, err = s.b.SignIn(r.Context(), req.LoginID, req.Code)
	}
	if err != nil {
		return nil, err
	}
	return jwtResponseOf(sess, s.now()), nil
}

func (s *Server) update(r *http.Request, c call) (any, error) {
	var req loginIDRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := required("loginId", req.LoginID); err != nil {
		return nil, err
	}
	e, err := s.b.Update(r.Context(), req.LoginID, c.jwt)
	if err != nil {
		return nil, err
	}
	return totpResponseOf(e), nil
}

func (s *Server) deleteSeed(r *http.Request, _ call) (any, error) {
	var req loginIDRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := required("loginId", req.LoginID); err != nil {
		return nil, err
	}
	if err := s.b.DeleteSeed(r.Context(), req.LoginID); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// enrol is otpair's administrator enrolment (no Descope call has it): a new pending
// seed for an existing user, confirmed by its first code.
func (s *Server) enrol(r *http.Request, _ call) (any, error) {
	var req loginIDRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := required("loginId", req.LoginID); err != nil {
		return nil, err
	}
	en, ok := s.b.(verifier.Enroller)
	if !ok {
		return nil, apiErr(http.StatusNotFound, CodeBadRequest, "not found", "this backend cannot issue enrolments")
	}
	e, err := en.Enrol(r.Context(), req.LoginID)
	if err != nil {
		return nil, err
	}
	return totpResponseOf(e), nil
}

func (s *Server) keys(r *http.Request, _ call) (any, error) {
	if r.PathValue("pid") != s.pid {
		return nil, apiErr(http.StatusBadRequest, CodeInvalidRequest, verifier.ErrBadRequest.Error(), "unknown project id")
	}
	return s.b.Keys(r.Context())
}

func (s *Server) refresh(r *http.Request, c call) (any, error) {
	var req refreshRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	sess, err := s.b.Refresh(r.Context(), c.jwt)
	if err != nil {
		return nil, err
	}
	return jwtResponseOf(sess, s.now()), nil
}

func (s *Server) logout(r *http.Request, c call) (any, error) {
	return s.revoke(r, c, s.b.Logout)
}

// logoutAll revokes every refresh token of the user, or only this one when the backend
// cannot (it is not a LogoutAller).
func (s *Server) logoutAll(r *http.Request, c call) (any, error) {
	if all, ok := s.b.(verifier.LogoutAller); ok {
		return s.revoke(r, c, all.LogoutAll)
	}
	return s.logout(r, c)
}

// revoke answers a logout call: the body is checked (the SDKs send {}), then the
// refresh token goes to revoke.
func (s *Server) revoke(r *http.Request, c call, revoke func(ctx context.Context, refreshJWT string) error) (any, error) {
	var req refreshRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := revoke(r.Context(), c.jwt); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) me(r *http.Request, c call) (any, error) {
	u, err := s.b.Me(r.Context(), c.jwt)
	if err != nil {
		return nil, err
	}
	return userResponseOf(u), nil
}

func (s *Server) loadUser(r *http.Request, _ call) (any, error) {
	q := r.URL.Query()
	loginID := q.Get("loginId")
	if loginID == "" && q.Get("userId") != "" {
		return nil, apiErr(http.StatusBadRequest, CodeInvalidRequest, verifier.ErrBadRequest.Error(), "loading a user by userId is not supported; give loginId")
	}
	if err := required("loginId", loginID); err != nil {
		return nil, err
	}
	u, err := s.b.LoadUser(r.Context(), loginID)
	if err != nil {
		return nil, err
	}
	return userWrapper{User: userResponseOf(u)}, nil
}

func (s *Server) createUser(r *http.Request, _ call) (any, error) {
	var req createUserRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := required("loginId", req.LoginID); err != nil {
		return nil, err
	}
	if name := req.unsupported(); name != "" {
		return nil, apiErr(http.StatusBadRequest, CodeInvalidRequest, verifier.ErrBadRequest.Error(), "otpair cannot import a "+name+"; create the user, then enrol TOTP")
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	u, err := s.b.CreateUser(r.Context(), req.LoginID, req.info())
	if err != nil {
		return nil, err
	}
	return userWrapper{User: userResponseOf(u)}, nil
}

func (s *Server) deleteUser(r *http.Request, _ call) (any, error) {
	var req loginIDRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if req.LoginID == "" && req.UserID != "" {
		return nil, apiErr(http.StatusBadRequest, CodeInvalidRequest, verifier.ErrBadRequest.Error(), "deleting a user by userId is not supported; give loginId")
	}
	if err := required("loginId", req.LoginID); err != nil {
		return nil, err
	}
	if err := s.b.DeleteUser(r.Context(), req.LoginID); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) license(r *http.Request, _ call) (any, error) {
	return licenseResponse{RateLimitTier: "otpair"}, nil
}

func required(field, v string) error {
	if v == "" {
		return apiErr(http.StatusBadRequest, CodeMissingArgument, verifier.ErrBadRequest.Error(), field+" is required")
	}
	return nil
}

// logRequest writes the request's log line. It names the route pattern and the path,
// never the query, body or headers: those carry codes, tokens and keys.
func (s *Server) logRequest(r *http.Request, rec *recorder, d time.Duration) {
	level := slog.LevelInfo
	if rec.internal != nil {
		level = slog.LevelError
	}
	// The record is built here rather than through Logger.LogAttrs: its caller's PC
	// (runtime.Callers) would only ever name this function, and on a busy server the
	// line is a measurable part of a request's cost.
	h := s.log.Handler()
	ctx := context.WithoutCancel(r.Context())
	if !h.Enabled(ctx, level) {
		return
	}
	line := slog.NewRecord(time.Now(), level, "request", 0)
	line.AddAttrs(
		slog.String("method", r.Method),
		slog.String("path", truncate(r.URL.Path, 128)),
		slog.Int("status", rec.status),
		slog.Duration("duration", d),
	)
	if r.Pattern != "" {
		line.AddAttrs(slog.String("route", r.Pattern))
	}
	if rec.code != "" {
		line.AddAttrs(slog.String("error_code", rec.code))
	}
	if rec.internal != nil {
		line.AddAttrs(slog.String("error", rec.internal.Error()))
	}
	_ = h.Handle(ctx, line)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// recorder remembers what was written, for the log line.
type recorder struct {
	http.ResponseWriter
	status   int
	wrote    bool
	code     string // the API error code, if the answer was an error
	internal error  // an unexpected error, logged at error level
}

// WriteHeader implements http.ResponseWriter, remembering the status.
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

// Write implements http.ResponseWriter.
func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}
