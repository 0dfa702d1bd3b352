package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/otpair/otpair/verifier"
)

// The management API's user search, both sides. Descope serves it at
// /v1/mgmt/user/search and, for the SDKs otpair is tested with (node-sdk 2.13,
// go-sdk 1.28), at /v2/mgmt/user/search with the same body; otpair serves both.

// userSearchRequest is the search body as Descope's SDKs send it (Go sends every
// member, null where unset). The members otpair has no data for (tenants, roles, SSO
// apps, custom attributes, test users) filter everything out when they ask for any.
type userSearchRequest struct {
	LoginIDs         []string        `json:"loginIds"`
	UserIDs          []string        `json:"userIds"`
	Emails           []string        `json:"emails"`
	Phones           []string        `json:"phones"`
	Text             string          `json:"text"`
	Statuses         []string        `json:"statuses"`
	Limit            int             `json:"limit"`
	Page             int             `json:"page"`
	FromCreatedTime  int64           `json:"fromCreatedTime"` // unix milliseconds
	ToCreatedTime    int64           `json:"toCreatedTime"`
	TenantIDs        []string        `json:"tenantIds"`
	RoleNames        []string        `json:"roleNames"`
	SSOAppIDs        []string        `json:"ssoAppIds"`
	CustomAttributes map[string]any  `json:"customAttributes"`
	TenantRoleIDs    map[string]any  `json:"tenantRoleIds"`
	TenantRoleNames  map[string]any  `json:"tenantRoleNames"`
	TestUsersOnly    bool            `json:"testUsersOnly"`
	WithTestUser     bool            `json:"withTestUser"`
	Sort             json.RawMessage `json:"sort"` // otpair always orders by login id
	// Sent, and meaningless without the data they select: modification times (otpair
	// keeps none) and sub-tenants.
	FromModifiedTime  int64 `json:"fromModifiedTime"`
	ToModifiedTime    int64 `json:"toModifiedTime"`
	IncludeSubTenants bool  `json:"includeSubTenants"`
}

// userSearchResponse is the answer: one page of users and how many matched.
type userSearchResponse struct {
	Users []userResponse `json:"users"`
	Total int            `json:"total"`
}

// Limits of a search page: Descope's default page size and the largest otpair gives.
const (
	searchDefaultLimit = 100
	searchMaxLimit     = 1000
)

// searchUsers answers the user search over the backend's users (a backend that cannot
// list them answers that the call is not supported).
func (s *Server) searchUsers(r *http.Request, _ call) (any, error) {
	var req userSearchRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if req.Limit < 0 || req.Page < 0 {
		return nil, apiErr(http.StatusBadRequest, CodeInvalidRequest, verifier.ErrBadRequest.Error(), "limit and page must not be negative")
	}
	ul, ok := s.b.(verifier.UserLister)
	if !ok {
		return nil, apiErr(http.StatusBadRequest, CodeInvalidRequest, verifier.ErrBadRequest.Error(), "this backend cannot list its users")
	}
	users, err := ul.Users(r.Context())
	if err != nil {
		return nil, err
	}
	var matched []userResponse
	if !req.selectsNothing() {
		for _, u := range users {
			if req.matches(u) {
				matched = append(matched, userResponseOf(u))
			}
		}
	}
	limit := req.Limit
	if limit == 0 {
		limit = searchDefaultLimit
	}
	limit = min(limit, searchMaxLimit)
	resp := userSearchResponse{Users: []userResponse{}, Total: len(matched)}
	if from := req.Page * limit; from < len(matched) {
		resp.Users = matched[from:min(from+limit, len(matched))]
	}
	return resp, nil
}

// selectsNothing reports whether the search asks for something no otpair user has.
func (q userSearchRequest) selectsNothing() bool {
	return len(q.TenantIDs) > 0 || len(q.RoleNames) > 0 || len(q.SSOAppIDs) > 0 || len(q.CustomAttributes) > 0 ||
		len(q.TenantRoleIDs) > 0 || len(q.TenantRoleNames) > 0 || q.TestUsersOnly
}

// matches reports whether u passes every filter the search gives.
func (q userSearchRequest) matches(u verifier.User) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	// Login ids are matched as sign-in matches them (verifier.LoginKey), so a search
	// finds the user that id signs in as, whatever its case or normal form.
	loginIn := func(list []string, id string) bool {
		return len(list) == 0 || slices.ContainsFunc(list, func(q string) bool { return verifier.LoginKey(q) == verifier.LoginKey(id) })
	}
	created := u.Created.UnixMilli()
	switch {
	case !loginIn(q.LoginIDs, u.LoginID), !in(q.UserIDs, u.ID), !in(q.Emails, u.Email), !in(q.Phones, u.Phone),
		!in(q.Statuses, userStatus(u)),
		q.FromCreatedTime > 0 && created < q.FromCreatedTime, q.ToCreatedTime > 0 && created > q.ToCreatedTime:
		return false
	}
	if q.Text == "" {
		return true
	}
	text := strings.ToLower(q.Text)
	for _, f := range []string{u.LoginID, u.Name, u.Email, u.Phone} {
		if strings.Contains(strings.ToLower(f), text) {
			return true
		}
	}
	return false
}

var _ verifier.UserLister = (*Remote)(nil)

// remoteMaxUsers is how many users Remote.Users reads at most, page by page: a list
// for a person to look at, not an export.
const remoteMaxUsers = 5000

// Users implements verifier.UserLister with the management API's user search, page by
// page, in the server's order. It needs the management key (ErrBadToken without).
func (r *Remote) Users(ctx context.Context) ([]verifier.User, error) {
	var out []verifier.User
	for page := 0; len(out) < remoteMaxUsers; page++ {
		var resp userSearchResponse
		req := map[string]any{"limit": searchDefaultLimit, "page": page}
		if err := r.mgmt(ctx, http.MethodPost, "/v2/mgmt/user/search", req, &resp); err != nil {
			return nil, wrapOp("users", err)
		}
		for _, u := range resp.Users {
			out = append(out, u.user())
		}
		if len(resp.Users) < searchDefaultLimit || len(out) >= resp.Total {
			return out, nil
		}
	}
	return nil, fmt.Errorf("users: the server has more than %d users", remoteMaxUsers)
}
