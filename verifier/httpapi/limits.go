package httpapi

import (
	"encoding/json"

	"github.com/otpair/otpair/verifier"
)

// Limits on the request members the server accepts but does not keep (Descope's
// create-user fields otpair has no use for). The members it keeps (name, email,
// phone) have the verifier's limits, and the login id verifier.MaxLoginIDBytes,
// which the backend checks. A refusal is a *verifier.FieldTooLongError: 400 E011001,
// naming the member and the limit.
const (
	maxTextBytes   = 256     // ids and names: templates, roles, tenants, locales, apps
	maxURLBytes    = 2048    // picture, inviteUrl
	maxListItems   = 100     // roleNames, userTenants, additionalLoginIds, ssoAppIDs
	maxObjectBytes = 8 << 10 // customAttributes, additionalIdentifiers, a tenant
)

// limits collects the first refusal of a run of checks.
type limits struct{ err error }

// text checks a member the verifier keeps or might: the size, and no control character.
func (l *limits) text(name, v string, max int) {
	if l.err == nil {
		l.err = verifier.CheckField(name, v, max)
	}
}

// size checks a member otpair ignores, by its size only.
func (l *limits) size(name string, n, max int) {
	if l.err == nil && n > max {
		l.err = &verifier.FieldTooLongError{Field: name, Limit: max}
	}
}

// items checks the number of items of a list or object member.
func (l *limits) items(name string, n int, unit string) {
	if l.err == nil && n > maxListItems {
		l.err = &verifier.FieldTooLongError{Field: name, Limit: maxListItems, Unit: unit}
	}
}

func (l *limits) strings(name string, vs []string) {
	l.items(name, len(vs), "items")
	for _, v := range vs {
		l.size(name+" item", len(v), maxTextBytes)
	}
}

func (l *limits) object(name string, v any, members int) {
	if l.err != nil || members == 0 {
		return
	}
	l.items(name, members, "members")
	if l.err == nil {
		data, _ := json.Marshal(v) // decoded from JSON: it encodes
		l.size(name, len(data), maxObjectBytes)
	}
}

// names checks the name members of a sign-up or user creation: each part, and the
// name the verifier keeps when it is made of the parts.
func (l *limits) names(full string, parts ...[2]string) {
	l.text("name", full, verifier.MaxNameBytes)
	vals := make([]string, len(parts))
	for i, p := range parts {
		l.text(p[0], p[1], verifier.MaxNameBytes)
		vals[i] = p[1]
	}
	if l.err == nil && full == "" && len(joinName("", vals...)) > verifier.MaxNameBytes {
		l.err = &verifier.FieldTooLongError{Field: "givenName, middleName and familyName together", Limit: verifier.MaxNameBytes}
	}
}

// check refuses a sign-up body whose members are over their limits.
func (r *signUpRequest) check() error {
	var l limits
	l.size("ssoAppId", len(r.SSOApp), maxTextBytes)
	if u := r.User; u != nil {
		l.names(u.Name, [2]string{"givenName", u.GivenName}, [2]string{"middleName", u.MiddleName}, [2]string{"familyName", u.FamilyName})
		l.text("email", u.Email, verifier.MaxEmailBytes)
		l.text("phone", u.Phone, verifier.MaxPhoneBytes)
	}
	return l.err
}

// check refuses a create-user body whose members are over their limits.
func (c *createUserRequest) check() error {
	var l limits
	l.text("displayName", c.DisplayName, verifier.MaxNameBytes)
	l.names(c.Name, [2]string{"givenName", c.GivenName}, [2]string{"middleName", c.MiddleName}, [2]string{"familyName", c.FamilyName})
	l.text("email", c.Email, verifier.MaxEmailBytes)
	l.text("phone", c.Phone, verifier.MaxPhoneBytes)
	l.size("picture", len(c.Picture), maxURLBytes)
	l.size("inviteUrl", len(c.InviteURL), maxURLBytes)
	l.size("templateId", len(c.TemplateID), maxTextBytes)
	l.size("locale", len(c.Locale), maxTextBytes)
	l.size("status", len(c.Status), maxTextBytes)
	l.strings("roleNames", c.RoleNames)
	l.strings("additionalLoginIds", c.AdditionalLoginIDs)
	l.strings("ssoAppIDs", c.SSOAppIDs)
	l.items("userTenants", len(c.UserTenants), "items")
	for _, t := range c.UserTenants {
		l.size("userTenants item", len(t), maxObjectBytes)
	}
	l.object("customAttributes", c.CustomAttributes, len(c.CustomAttributes))
	l.object("templateOptions", c.TemplateOptions, len(c.TemplateOptions))
	l.size("additionalIdentifiers", len(c.AdditionalIdentifiers), maxObjectBytes)
	return l.err
}
