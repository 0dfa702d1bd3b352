package verifier

import (
	"fmt"
	"unicode"
)

// Limits on what a user's profile may hold, in bytes. Sign-up needs only the public
// project id, so without them anyone could fill the database with the largest bodies
// the server reads; with them a user row stays under 1 kB. They are generous for real
// data: an e-mail address has at most 254 bytes (RFC 5321's path limit), an E.164
// phone number 16 with its "+", and the longest names people have fit in 256.
const (
	MaxNameBytes  = 256
	MaxEmailBytes = 254
	MaxPhoneBytes = 32
)

// ErrTooLong is a field over its size limit (E011001, 400); the error is a
// *FieldTooLongError that names the field and the limit.
var ErrTooLong = fmt.Errorf("%w: too long", ErrBadRequest)

// FieldTooLongError is a value refused for its size. It wraps ErrTooLong.
type FieldTooLongError struct {
	Field string // the field as the caller named it: "name", "login id", "customAttributes"
	Limit int    // the limit
	Unit  string // what Limit counts when not bytes: "members", "items"
}

func (e *FieldTooLongError) Error() string {
	if e.Unit == "" {
		return fmt.Sprintf("%v: %s is longer than %d bytes", ErrBadRequest, e.Field, e.Limit)
	}
	return fmt.Sprintf("%v: %s has more than %d %s", ErrBadRequest, e.Field, e.Limit, e.Unit)
}

// Unwrap makes errors.Is(err, ErrTooLong) and errors.Is(err, ErrBadRequest) true.
func (e *FieldTooLongError) Unwrap() error { return ErrTooLong }

// CheckUserInfo refuses a profile whose fields are over their limits (a
// *FieldTooLongError) or hold control characters (ErrInvalidArgument: a NUL, for
// one, is not storable in PostgreSQL). Sign-up and user creation call it; the HTTP
// server checks the same fields, and those it only accepts, as it decodes them.
func CheckUserInfo(info UserInfo) error {
	for _, f := range []struct {
		name, value string
		limit       int
	}{
		{"name", info.Name, MaxNameBytes},
		{"email", info.Email, MaxEmailBytes},
		{"phone", info.Phone, MaxPhoneBytes},
	} {
		if err := CheckField(f.name, f.value, f.limit); err != nil {
			return err
		}
	}
	return nil
}

// CheckField refuses a text field longer than limit bytes or holding a control
// character (C0, DEL or C1).
func CheckField(name, value string, limit int) error {
	if len(value) > limit {
		return &FieldTooLongError{Field: name, Limit: limit}
	}
	for _, r := range value {
		if unicode.Is(unicode.Cc, r) {
			return fmt.Errorf("%w: %s contains %U, a control character", ErrInvalidArgument, name, r)
		}
	}
	return nil
}
