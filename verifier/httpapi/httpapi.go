// Package httpapi is both sides of the verifier's wire: Server serves any
// verifier.Backend with the Descope-compatible REST API of shared/API.md, and Remote is
// a verifier.Backend that calls that API (on otpair serve or on Descope itself). They
// share the JSON shapes below and one mapping of the verifier's errors to HTTP statuses
// and API error codes (StatusAndCode), so what Server answers Remote turns back into the
// same sentinel errors.
package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"time"

	"github.com/otpair/otpair/verifier"
)

// The JSON shapes of the Descope-compatible API (shared/API.md and
// research/descope-api.md §1, §6). Server writes them and Remote reads them, so both
// sides share one definition. Field names follow Descope's documentation, upper-case
// TOTP included; Go's SDK matches them case-insensitively.

// signUpRequest is the body of /v1/auth/totp/signup and /v1/auth/totp/update (update
// sends only loginId).
type signUpRequest struct {
	LoginID string      `json:"loginId"`
	User    *signUpUser `json:"user,omitempty"`
	SSOApp  string      `json:"ssoAppId,omitempty"` // documented, sent by no SDK; ignored
}

// signUpUser is the optional profile of a sign-up.
type signUpUser struct {
	Name       string `json:"name,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
}

// info turns a sign-up profile into the backend's UserInfo; a name made of its parts
// stands in when the full name is missing.
func (u *signUpUser) info() verifier.UserInfo {
	if u == nil {
		return verifier.UserInfo{}
	}
	return verifier.UserInfo{Name: joinName(u.Name, u.GivenName, u.MiddleName, u.FamilyName), Email: u.Email, Phone: u.Phone}
}

func joinName(full string, parts ...string) string {
	if full != "" {
		return full
	}
	name := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if name != "" {
			name += " "
		}
		name += p
	}
	return name
}

// verifyRequest is the body of /v1/auth/totp/verify.
type verifyRequest struct {
	LoginID      string        `json:"loginId"`
	Code         string        `json:"code"`
	LoginOptions *loginOptions `json:"loginOptions,omitempty"`
}

// loginOptions lists every login option any SDK or the documentation sends (Python sends
// all of them, as nulls when unset). Only stepup and mfa change what the server does.
type loginOptions struct {
	Stepup                   bool              `json:"stepup,omitempty"`
	MFA                      bool              `json:"mfa,omitempty"`
	RevokeOtherSessions      bool              `json:"revokeOtherSessions,omitempty"`
	RevokeOtherSessionsTypes []string          `json:"revokeOtherSessionsTypes,omitempty"`
	CustomClaims             map[string]any    `json:"customClaims,omitempty"`
	TemplateID               string            `json:"templateId,omitempty"`
	TemplateOptions          map[string]string `json:"templateOptions,omitempty"`
	TenantID                 string            `json:"tenantId,omitempty"`
	Locale                   string            `json:"locale,omitempty"`
	SSOAppID                 string            `json:"ssoAppId,omitempty"`
	PKCEChallenge            string            `json:"pkceChallenge,omitempty"`
}

// loginIDRequest is the body of the calls that name one user: update, delete seed,
// delete user. Go's SDK adds userId (empty) to the management ones.
type loginIDRequest struct {
	LoginID string `json:"loginId"`
	UserID  string `json:"userId,omitempty"`
}

// refreshRequest is the body of refresh, logout and logoutall: node sends {} (or an
// externalToken on refresh), Go sends nothing.
type refreshRequest struct {
	ExternalToken string `json:"externalToken,omitempty"`
}

// createUserRequest is the body of /v1/mgmt/user/create with every field the SDKs send;
// otpair keeps loginId, the name, email and phone.
type createUserRequest struct {
	LoginID            string            `json:"loginId"`
	Email              string            `json:"email,omitempty"`
	Phone              string            `json:"phone,omitempty"`
	Name               string            `json:"name,omitempty"`
	DisplayName        string            `json:"displayName,omitempty"`
	GivenName          string            `json:"givenName,omitempty"`
	MiddleName         string            `json:"middleName,omitempty"`
	FamilyName         string            `json:"familyName,omitempty"`
	RoleNames          []string          `json:"roleNames,omitempty"`
	UserTenants        []json.RawMessage `json:"userTenants,omitempty"`
	CustomAttributes   map[string]any    `json:"customAttributes,omitempty"`
	Picture            string            `json:"picture,omitempty"`
	VerifiedEmail      *bool             `json:"verifiedEmail,omitempty"`
	VerifiedPhone      *bool             `json:"verifiedPhone,omitempty"`
	AdditionalLoginIDs []string          `json:"additionalLoginIds,omitempty"`
	SSOAppIDs          []string          `json:"ssoAppIDs,omitempty"`
	TemplateID         string            `json:"templateId,omitempty"`
	Invite             bool              `json:"invite,omitempty"`
	Test               bool              `json:"test,omitempty"`
	// Invitation and node-only fields: accepted, ignored (otpair sends no mail).
	InviteURL             string            `json:"inviteUrl,omitempty"`
	SendMail              *bool             `json:"sendMail,omitempty"`
	SendSMS               *bool             `json:"sendSMS,omitempty"`
	Locale                string            `json:"locale,omitempty"`
	TemplateOptions       map[string]string `json:"templateOptions,omitempty"`
	Status                string            `json:"status,omitempty"`
	SCIM                  *bool             `json:"scim,omitempty"`
	AdditionalIdentifiers json.RawMessage   `json:"additionalIdentifiers,omitempty"`
	// Credentials Descope can import; otpair refuses them rather than drop them.
	Password       json.RawMessage `json:"password,omitempty"`
	HashedPassword json.RawMessage `json:"hashedPassword,omitempty"`
	Seed           json.RawMessage `json:"seed,omitempty"`
}

// unsupported names a credential the request carries that otpair cannot import.
func (c *createUserRequest) unsupported() string {
	for name, v := range map[string]json.RawMessage{"password": c.Password, "hashedPassword": c.HashedPassword, "seed": c.Seed} {
		if len(v) > 0 && string(v) != "null" && string(v) != `""` {
			return name
		}
	}
	return ""
}

func (c *createUserRequest) info() verifier.UserInfo {
	name := joinName(c.Name, c.GivenName, c.MiddleName, c.FamilyName)
	if c.DisplayName != "" {
		name = c.DisplayName
	}
	return verifier.UserInfo{Name: name, Email: c.Email, Phone: c.Phone}
}

// totpResponse is what sign-up and update answer.
type totpResponse struct {
	ProvisioningURL string `json:"provisioningURL"`
	Image           string `json:"image"` // base64 PNG
	Key             string `json:"key"`
}

func totpResponseOf(e verifier.Enrollment) totpResponse {
	return totpResponse{ProvisioningURL: e.ProvisioningURL, Image: base64.StdEncoding.EncodeToString(e.Image), Key: e.Key}
}

func (t totpResponse) enrollment() (verifier.Enrollment, error) {
	img, err := base64.StdEncoding.DecodeString(t.Image)
	if err != nil {
		return verifier.Enrollment{}, err
	}
	return verifier.Enrollment{ProvisioningURL: t.ProvisioningURL, Key: t.Key, Image: img}, nil
}

// userResponse is Descope's UserResponse: the fields otpair has, the rest empty but
// present where SDKs expect lists and maps. The otpair member carries what only an
// otpair server knows (ignored by the SDKs, read back by Remote).
type userResponse struct {
	LoginIDs         []string        `json:"loginIds"`
	UserID           string          `json:"userId"`
	Name             string          `json:"name"`
	Email            string          `json:"email"`
	Phone            string          `json:"phone"`
	VerifiedEmail    bool            `json:"verifiedEmail"`
	VerifiedPhone    bool            `json:"verifiedPhone"`
	RoleNames        []string        `json:"roleNames"`
	UserTenants      []any           `json:"userTenants"`
	Status           string          `json:"status"`
	ExternalIDs      []string        `json:"externalIds"`
	Picture          string          `json:"picture"`
	Test             bool            `json:"test"`
	CustomAttributes map[string]any  `json:"customAttributes"`
	CreatedTime      int64           `json:"createdTime"`
	TOTP             bool            `json:"TOTP"`
	SAML             bool            `json:"SAML"`
	OAuth            map[string]bool `json:"OAuth"`
	WebAuthn         bool            `json:"webauthn"`
	Password         bool            `json:"password"`
	SSOAppIDs        []string        `json:"ssoAppIds"`
	Editable         bool            `json:"editable"`
	OTPair           *userExtra      `json:"otpair,omitempty"`
}

// userExtra is the otpair-only part of a user.
type userExtra struct {
	Pending     bool   `json:"pending,omitempty"`
	LockedUntil int64  `json:"lockedUntil,omitempty"` // unix seconds
	LastStep    uint64 `json:"lastStep,omitempty"`
	StepDrift   int    `json:"stepDrift,omitempty"`
}

func userResponseOf(u verifier.User) userResponse {
	r := userResponse{
		LoginIDs: []string{u.LoginID}, UserID: u.ID, Name: u.Name, Email: u.Email, Phone: u.Phone,
		RoleNames: []string{}, UserTenants: []any{}, Status: userStatus(u), ExternalIDs: []string{u.LoginID},
		CustomAttributes: map[string]any{}, CreatedTime: clampInt32(unixOrZero(u.Created)),
		TOTP: u.TOTP, OAuth: map[string]bool{}, SSOAppIDs: []string{}, Editable: true,
	}
	if u.Pending || !u.LockedUntil.IsZero() || u.LastStep != 0 || u.StepDrift != 0 {
		r.OTPair = &userExtra{Pending: u.Pending, LockedUntil: unixOrZero(u.LockedUntil), LastStep: u.LastStep, StepDrift: u.StepDrift}
	}
	return r
}

// userStatus is Descope's status of u: "invited" for a sign-up still waiting for its
// first code (the user search lists those too), else "enabled".
func userStatus(u verifier.User) string {
	if u.SigningUp {
		return statusInvited
	}
	return statusEnabled
}

// Descope's user statuses otpair uses.
const (
	statusEnabled = "enabled"
	statusInvited = "invited"
)

func (r userResponse) user() verifier.User {
	u := verifier.User{ID: r.UserID, Name: r.Name, Email: r.Email, Phone: r.Phone, TOTP: r.TOTP, SigningUp: r.Status == statusInvited}
	if len(r.LoginIDs) > 0 {
		u.LoginID = r.LoginIDs[0]
	}
	if r.CreatedTime > 0 {
		u.Created = time.Unix(r.CreatedTime, 0).UTC()
	}
	if x := r.OTPair; x != nil {
		u.Pending, u.LastStep, u.StepDrift = x.Pending, x.LastStep, x.StepDrift
		if x.LockedUntil > 0 {
			u.LockedUntil = time.Unix(x.LockedUntil, 0).UTC()
		}
	}
	return u
}

// userWrapper is the management calls' {"user": …}.
type userWrapper struct {
	User userResponse `json:"user"`
}

// jwtResponse is what sign-in and refresh answer. The numbers Go's SDK reads as int32
// are clamped below 2^31.
type jwtResponse struct {
	SessionJWT        string       `json:"sessionJwt"`
	RefreshJWT        string       `json:"refreshJwt,omitempty"`
	CookieDomain      string       `json:"cookieDomain"`
	CookiePath        string       `json:"cookiePath"`
	CookieMaxAge      int64        `json:"cookieMaxAge"`
	CookieExpiration  int64        `json:"cookieExpiration"`
	SessionExpiration int64        `json:"sessionExpiration"`
	User              userResponse `json:"user"`
	FirstSeen         bool         `json:"firstSeen"`
}

func jwtResponseOf(s verifier.Session, now time.Time) jwtResponse {
	maxAge := int64(s.RefreshExpires.Sub(now) / time.Second)
	if maxAge < 0 {
		maxAge = 0
	}
	return jwtResponse{
		SessionJWT: s.SessionJWT, RefreshJWT: s.RefreshJWT, CookiePath: "/",
		CookieMaxAge: clampInt32(maxAge), CookieExpiration: clampInt32(unixOrZero(s.RefreshExpires)),
		SessionExpiration: clampInt32(unixOrZero(s.SessionClaims.Expires)),
		User:              userResponseOf(s.User), FirstSeen: s.FirstSeen,
	}
}

// errorResponse is every error body.
type errorResponse struct {
	ErrorCode        string `json:"errorCode"`
	ErrorDescription string `json:"errorDescription"`
	ErrorMessage     string `json:"errorMessage"`
	RetryAfter       int64  `json:"retryAfter,omitempty"` // seconds, with 429 (also in Retry-After)
	// otpair only, with a wrong code: attempts left before the lock, and the lock this
	// attempt started (unix seconds). The SDKs ignore them; Remote rebuilds a
	// *WrongCodeError from them.
	AttemptsLeft *int  `json:"attemptsLeft,omitempty"`
	LockedUntil  int64 `json:"lockedUntil,omitempty"`
}

// licenseResponse answers the SDKs' license handshake.
type licenseResponse struct {
	RateLimitTier string `json:"rateLimitTier"`
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// clampInt32 keeps a number in the range Go's SDK decodes (int32).
func clampInt32(v int64) int64 {
	switch {
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return v
}
