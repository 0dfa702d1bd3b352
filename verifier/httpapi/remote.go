package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otpair/otpair/verifier"
)

// Remote is a Backend over HTTP: a client of otpair serve or of a Descope project. It
// verifies the session tokens it receives against the server's JWKS.
type Remote struct {
	base    *url.URL
	pid     string
	mgmtKey string
	client  *http.Client
	now     verifier.Clock

	mu   sync.Mutex
	keys map[string]verifier.JWK // the server's public keys by kid, fetched when a kid is unknown
}

var (
	_ verifier.Backend         = (*Remote)(nil)
	_ verifier.LogoutAller     = (*Remote)(nil)
	_ verifier.OptionsSignIner = (*Remote)(nil)
	_ verifier.Enroller        = (*Remote)(nil)
)

// RemoteOption configures a Remote.
type RemoteOption func(*Remote)

// WithHTTPClient makes Remote send its requests through c (its Timeout applies).
func WithHTTPClient(c *http.Client) RemoteOption { return func(r *Remote) { r.client = c } }

// WithRemoteClock sets the clock that token expiry and Retry-After are read against.
func WithRemoteClock(now verifier.Clock) RemoteOption { return func(r *Remote) { r.now = now } }

// DefaultRemoteTimeout bounds each request unless WithHTTPClient says otherwise.
const DefaultRemoteTimeout = 15 * time.Second

// maxResponse caps the response bodies Remote reads (a QR PNG is the largest).
const maxResponse = 4 << 20

// NewRemote returns a Backend that talks to the API at baseURL (for example
// "http://127.0.0.1:8090" or "https://api.descope.com") for project projectID.
// managementKey may be empty; then the management calls fail with ErrBadToken.
func NewRemote(baseURL, projectID, managementKey string, opts ...RemoteOption) (*Remote, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("remote backend: base url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("remote backend: base url %q: want http:// or https:// and a host", baseURL)
	}
	if projectID == "" {
		return nil, errors.New("remote backend: project id is empty")
	}
	if strings.Contains(projectID, ":") || strings.Contains(managementKey, ":") {
		return nil, errors.New("remote backend: project id and management key cannot contain ':'")
	}
	r := &Remote{base: u, pid: projectID, mgmtKey: managementKey,
		client: &http.Client{Timeout: DefaultRemoteTimeout}, now: time.Now, keys: map[string]verifier.JWK{}}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// ProjectID implements Backend.
func (r *Remote) ProjectID() string { return r.pid }

// SignUp implements Backend.
func (r *Remote) SignUp(ctx context.Context, loginID string, info verifier.UserInfo) (verifier.Enrollment, error) {
	req := signUpRequest{LoginID: loginID}
	if info != (verifier.UserInfo{}) {
		req.User = &signUpUser{Name: info.Name, Email: info.Email, Phone: info.Phone}
	}
	var resp totpResponse
	if err := r.do(ctx, http.MethodPost, "/v1/auth/totp/signup", "", req, &resp); err != nil {
		return verifier.Enrollment{}, wrapOp("sign up", err)
	}
	e, err := resp.enrollment()
	if err != nil {
		return verifier.Enrollment{}, fmt.Errorf("sign up: the QR image is not base64: %w", err)
	}
	return e, nil
}

// SignIn implements Backend.
func (r *Remote) SignIn(ctx context.Context, loginID, code string) (verifier.Session, error) {
	var resp jwtResponse
	if err := r.do(ctx, http.MethodPost, "/v1/auth/totp/verify", "", verifyRequest{LoginID: loginID, Code: code}, &resp); err != nil {
		return verifier.Session{}, wrapOp("sign in", err)
	}
	s, err := r.session(ctx, resp, "")
	if err != nil {
		return verifier.Session{}, fmt.Errorf("sign in: %w", err)
	}
	return s, nil
}

// Update implements Backend.
// SignInWithOptions implements verifier.OptionsSignIner: the options go as
// loginOptions, and the refresh token for stepup and mfa in the Authorization header.
func (r *Remote) SignInWithOptions(ctx context.Context, loginID, code string, o verifier.LoginOptions) (verifier.Session, error) {
	var resp jwtResponse
	req := verifyRequest{LoginID: loginID, Code: code,
		LoginOptions: &loginOptions{Stepup: o.Stepup, MFA: o.MFA, CustomClaims: o.CustomClaims}}
	if (o.Stepup || o.MFA) && o.RefreshJWT != "" {
		if err := checkToken(o.RefreshJWT); err != nil {
			return verifier.Session{}, fmt.Errorf("sign in: %w", err)
		}
	}
	if err := r.do(ctx, http.MethodPost, "/v1/auth/totp/verify", o.RefreshJWT, req, &resp); err != nil {
		return verifier.Session{}, wrapOp("sign in", err)
	}
	s, err := r.session(ctx, resp, "")
	if err != nil {
		return verifier.Session{}, fmt.Errorf("sign in: %w", err)
	}
	return s, nil
}

// Enrol implements verifier.Enroller through otpair serve's
// /v1/mgmt/user/totp/enroll (Descope has no such call).
func (r *Remote) Enrol(ctx context.Context, loginID string) (verifier.Enrollment, error) {
	var resp totpResponse
	if err := r.mgmt(ctx, http.MethodPost, "/v1/mgmt/user/totp/enroll", loginIDRequest{LoginID: loginID}, &resp); err != nil {
		return verifier.Enrollment{}, wrapOp("enrol", err)
	}
	e, err := resp.enrollment()
	if err != nil {
		return verifier.Enrollment{}, fmt.Errorf("enrol: the QR image is not base64: %w", err)
	}
	return e, nil
}

func (r *Remote) Update(ctx context.Context, loginID, refreshJWT string) (verifier.Enrollment, error) {
	if err := checkToken(refreshJWT); err != nil {
		return verifier.Enrollment{}, fmt.Errorf("update: %w", err)
	}
	var resp totpResponse
	if err := r.do(ctx, http.MethodPost, "/v1/auth/totp/update", refreshJWT, loginIDRequest{LoginID: loginID}, &resp); err != nil {
		return verifier.Enrollment{}, wrapOp("update", err)
	}
	e, err := resp.enrollment()
	if err != nil {
		return verifier.Enrollment{}, fmt.Errorf("update: the QR image is not base64: %w", err)
	}
	return e, nil
}

// DeleteSeed implements Backend.
func (r *Remote) DeleteSeed(ctx context.Context, loginID string) error {
	if err := r.mgmt(ctx, http.MethodPost, "/v1/mgmt/user/totp/delete", loginIDRequest{LoginID: loginID}, nil); err != nil {
		return wrapOp("delete seed", err)
	}
	return nil
}

// Refresh implements Backend. When the server sends no new refresh token the old one
// stays in the session.
func (r *Remote) Refresh(ctx context.Context, refreshJWT string) (verifier.Session, error) {
	if err := checkToken(refreshJWT); err != nil {
		return verifier.Session{}, fmt.Errorf("refresh: %w", err)
	}
	var resp jwtResponse
	if err := r.do(ctx, http.MethodPost, "/v1/auth/refresh", refreshJWT, struct{}{}, &resp); err != nil {
		return verifier.Session{}, wrapOp("refresh", err)
	}
	s, err := r.session(ctx, resp, refreshJWT)
	if err != nil {
		return verifier.Session{}, fmt.Errorf("refresh: %w", err)
	}
	return s, nil
}

// Me implements Backend.
func (r *Remote) Me(ctx context.Context, refreshJWT string) (verifier.User, error) {
	if err := checkToken(refreshJWT); err != nil {
		return verifier.User{}, fmt.Errorf("me: %w", err)
	}
	var resp userResponse
	if err := r.do(ctx, http.MethodGet, "/v1/auth/me", refreshJWT, nil, &resp); err != nil {
		return verifier.User{}, wrapOp("me", err)
	}
	return resp.user(), nil
}

// Logout implements Backend.
func (r *Remote) Logout(ctx context.Context, refreshJWT string) error {
	return r.revoke(ctx, "logout", "/v1/auth/logout", refreshJWT)
}

// LogoutAll implements LogoutAller: POST /v1/auth/logoutall.
func (r *Remote) LogoutAll(ctx context.Context, refreshJWT string) error {
	return r.revoke(ctx, "logout all", "/v1/auth/logoutall", refreshJWT)
}

// revoke posts the refresh token to a logout call at path.
func (r *Remote) revoke(ctx context.Context, op, path, refreshJWT string) error {
	if err := checkToken(refreshJWT); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := r.do(ctx, http.MethodPost, path, refreshJWT, struct{}{}, nil); err != nil {
		return wrapOp(op, err)
	}
	return nil
}

// LoadUser implements Backend.
func (r *Remote) LoadUser(ctx context.Context, loginID string) (verifier.User, error) {
	var resp userWrapper
	if err := r.mgmt(ctx, http.MethodGet, "/v1/mgmt/user?loginId="+url.QueryEscape(loginID), nil, &resp); err != nil {
		return verifier.User{}, wrapOp("load user", err)
	}
	return resp.User.user(), nil
}

// CreateUser implements Backend.
func (r *Remote) CreateUser(ctx context.Context, loginID string, info verifier.UserInfo) (verifier.User, error) {
	req := createUserRequest{LoginID: loginID, DisplayName: info.Name, Email: info.Email, Phone: info.Phone}
	var resp userWrapper
	if err := r.mgmt(ctx, http.MethodPost, "/v1/mgmt/user/create", req, &resp); err != nil {
		return verifier.User{}, wrapOp("create user", err)
	}
	return resp.User.user(), nil
}

// DeleteUser implements Backend.
func (r *Remote) DeleteUser(ctx context.Context, loginID string) error {
	if err := r.mgmt(ctx, http.MethodPost, "/v1/mgmt/user/delete", loginIDRequest{LoginID: loginID}, nil); err != nil {
		return wrapOp("delete user", err)
	}
	return nil
}

// Keys implements Backend: the server's JWKS, fetched now.
func (r *Remote) Keys(ctx context.Context) (verifier.JWKS, error) {
	var set verifier.JWKS
	if err := r.do(ctx, http.MethodGet, "/v2/keys/"+url.PathEscape(r.pid), "", nil, &set); err != nil {
		return verifier.JWKS{}, wrapOp("keys", err)
	}
	return set, nil
}

func (r *Remote) mgmt(ctx context.Context, method, path string, body, out any) error {
	if r.mgmtKey == "" {
		return fmt.Errorf("%w: no management key configured", verifier.ErrBadToken)
	}
	return r.do(ctx, method, path, r.mgmtKey, body, out)
}

// checkToken refuses what cannot be a JWT before it goes into a header.
func checkToken(t string) error {
	if t == "" || strings.Count(t, ".") != 2 || strings.ContainsAny(t, ": \r\n") {
		return fmt.Errorf("%w: not a refresh token", verifier.ErrBadToken)
	}
	return nil
}

// do sends one API call: body (if not nil) as JSON, credential (a refresh token or the
// management key) after the project id in the Authorization header, and decodes a 2xx
// answer into out (if not nil). Error answers become *APIError.
func (r *Remote) do(ctx context.Context, method, path, credential string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	target := r.base.String() + path
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	auth := "Bearer " + r.pid
	if credential != "" {
		auth += ":" + credential
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("x-descope-project-id", r.pid)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		// The url.Error names the URL, which holds no secret (the login id of a user
		// lookup at most); the header is not part of it.
		return fmt.Errorf("%s %s: %w", method, r.base.Host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if len(data) > maxResponse {
		return fmt.Errorf("%s %s: response larger than %d bytes", method, path, maxResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return r.apiError(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the server's answer is not the expected JSON: %v", method, pathOnly(path), describeJSONError(err))
	}
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func pathOnly(p string) string {
	path, _, _ := strings.Cut(p, "?")
	return path
}

// APIError is an error answer of the server. It wraps the sentinel error its code maps
// to, so callers use errors.Is(err, ErrWrongCode) and friends as with Local.
type APIError struct {
	Status      int
	Code        string // errorCode, e.g. E061102
	Description string
	Message     string
	sentinel    error
}

// Error is the server's message with its code and HTTP status.
func (e *APIError) Error() string {
	msg := e.Description
	switch {
	case e.Message == "" || e.Message == e.Description:
	case strings.Contains(e.Message, e.Description):
		msg = e.Message
	default:
		msg += ": " + e.Message
	}
	return fmt.Sprintf("%s (%s, HTTP %d)", msg, e.Code, e.Status)
}

// Unwrap returns the sentinel error the code maps to (nil for unknown codes).
func (e *APIError) Unwrap() error { return e.sentinel }

// apiError turns an error answer into an error that wraps the matching sentinel; 429
// becomes a *LockedError whose Until comes from Retry-After, except a rate limit
// (E130429, the sign-up limit), which is no lockout: it stays an *APIError whose
// message says when to retry.
func (r *Remote) apiError(resp *http.Response, data []byte) error {
	var body errorResponse
	if err := json.Unmarshal(data, &body); err != nil || body.ErrorCode == "" {
		return &APIError{Status: resp.StatusCode, Code: "", Description: "unexpected answer " + resp.Status}
	}
	e := &APIError{Status: resp.StatusCode, Code: body.ErrorCode,
		Description: truncate(body.ErrorDescription, 256), Message: truncate(body.ErrorMessage, 512)}
	text := strings.ToLower(body.ErrorDescription + " " + body.ErrorMessage)
	switch {
	case body.ErrorCode == CodeRateLimited:
		if !strings.Contains(e.Message, "retry in") {
			e.Message += fmt.Sprintf(" (retry in %d s)", retryAfter(resp.Header.Get("Retry-After"), body.RetryAfter))
		}
	case resp.StatusCode == http.StatusTooManyRequests || body.ErrorCode == CodeTooManyAttempts:
		secs := retryAfter(resp.Header.Get("Retry-After"), body.RetryAfter)
		return &remoteLocked{LockedError: verifier.LockedError{Until: r.now().Add(time.Duration(secs) * time.Second)}, api: e}
	case body.ErrorCode == CodeWrongCode:
		switch {
		case strings.Contains(text, "already used") && body.AttemptsLeft != nil:
			rce := &verifier.ReusedCodeError{Rule: reuseRuleIn(text), Left: *body.AttemptsLeft}
			if body.LockedUntil > 0 {
				rce.LockedUntil = time.Unix(body.LockedUntil, 0).UTC()
			}
			e.sentinel = rce
		case strings.Contains(text, "already used"):
			e.sentinel = verifier.ErrCodeReused
		case strings.Contains(text, "no totp seed") || strings.Contains(text, "no seed"):
			e.sentinel = verifier.ErrNoSeed
		case body.AttemptsLeft != nil:
			wce := &verifier.WrongCodeError{Left: *body.AttemptsLeft}
			if body.LockedUntil > 0 {
				wce.LockedUntil = time.Unix(body.LockedUntil, 0).UTC()
			}
			e.sentinel = wce
		default:
			e.sentinel = verifier.ErrWrongCode
		}
	case body.ErrorCode == CodeUnknownUser || body.ErrorCode == CodeMgmtUnknownUser:
		e.sentinel = verifier.ErrUnknownUser
	case body.ErrorCode == CodeUserExists:
		e.sentinel = verifier.ErrUserExists
	case body.ErrorCode == CodeMissingArgument:
		e.sentinel = verifier.ErrMissingArgument
	case body.ErrorCode == CodeInvalidRequest:
		e.sentinel = verifier.ErrInvalidArgument
	case body.ErrorCode == CodeBadRequest:
		e.sentinel = verifier.ErrBadRequest
	case body.ErrorCode == CodeBadToken || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.sentinel = verifier.ErrBadToken
	}
	return e
}

// reuseRuleIn is the replay rule an answer's text names (ReusedCodeError's words), or
// ReuseRace when it names none (a server other than otpair).
func reuseRuleIn(text string) verifier.ReuseRule {
	for _, r := range []verifier.ReuseRule{verifier.ReuseSameStep, verifier.ReuseEarlierStep} {
		if strings.Contains(text, strings.ToLower(r.String())) {
			return r
		}
	}
	return verifier.ReuseRace
}

// remoteLocked is a *LockedError that also carries the server's answer.
type remoteLocked struct {
	verifier.LockedError
	api *APIError
}

// Error implements error.
func (e *remoteLocked) Error() string { return e.LockedError.Error() + " (" + e.api.Code + ")" }

// Unwrap gives both the *LockedError (errors.As) and, through it, ErrLocked.
func (e *remoteLocked) Unwrap() []error { return []error{&e.LockedError, e.api} }

// retryAfter reads Retry-After as seconds (an HTTP date is not used by otpair or
// Descope), falling back to the body's retryAfter, then to one second.
func retryAfter(header string, body int64) int64 {
	if n, err := strconv.ParseInt(strings.TrimSpace(header), 10, 64); err == nil && n >= 0 {
		return n
	}
	if body > 0 {
		return body
	}
	return 1
}

// wrapOp names the operation in an error, unless the error is the server's own answer:
// its message already says what failed ("sign in: code already used").
func wrapOp(op string, err error) error {
	var ae *APIError
	var rl *remoteLocked
	if errors.As(err, &ae) || errors.As(err, &rl) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
