package verifier

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// MaxLoginIDBytes is the longest login id the verifier accepts, in bytes of its NFC
// form. An e-mail address has at most 254.
const MaxLoginIDBytes = 256

// NormalizeLoginID is how a new login id enters the verifier (sign-up, user creation):
// it refuses what could make two ids look alike or hide part of one, and returns the
// id in Unicode NFC, the spelling that is stored and shown. Refused, with an error
// naming the character:
//   - control characters: C0, DEL and C1 (U+0080–U+009F);
//   - format characters (Unicode Cf), which are invisible: bidi marks, embeddings,
//     overrides and isolates (U+200E, U+202A–U+202E, U+2066–U+2069), zero-width
//     space, joiners and no-break space (U+200B–U+200D, U+2060, U+FEFF), soft hyphen,
//     tag characters;
//   - other characters that are invisible by default (Hangul fillers, the combining
//     grapheme joiner, variation selectors), private-use characters, noncharacters,
//     U+FFFD, line and paragraph separators;
//   - spaces other than U+0020, and a space at either end.
//
// The empty id is ErrMissingArgument; a refused character is ErrInvalidArgument
// (E011003); an id over MaxLoginIDBytes is a *FieldTooLongError (E011001). Ids that
// are printable ASCII, which is nearly all of them, cost one pass over their bytes and
// no allocation.
//
// Calls that look a user up take any id that could have been stored before this rule
// (lookupLoginID), so users created earlier keep signing in and can be deleted.
func NormalizeLoginID(id string) (string, error) {
	const field = "login id"
	if id == "" {
		return "", fmt.Errorf("%w: %s", ErrMissingArgument, field)
	}
	if len(id) > MaxLoginIDBytes {
		return "", &FieldTooLongError{Field: field, Limit: MaxLoginIDBytes}
	}
	if id[0] == ' ' || id[len(id)-1] == ' ' {
		return "", fmt.Errorf("%w: %s starts or ends with a space", ErrInvalidArgument, field)
	}
	if printableASCII(id) { // NFC already, nothing to refuse
		return id, nil
	}
	if !utf8.ValidString(id) {
		return "", fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidArgument, field)
	}
	for _, r := range id {
		if what := refusedInLoginID(r); what != "" {
			return "", fmt.Errorf("%w: %s contains %U, %s", ErrInvalidArgument, field, r, what)
		}
	}
	n := norm.NFC.String(id)
	if len(n) > MaxLoginIDBytes {
		return "", &FieldTooLongError{Field: field, Limit: MaxLoginIDBytes}
	}
	return n, nil
}

// lookupLoginID is the login id of a call that looks a user up (sign-in, update, load,
// delete): the rule every stored id has always met (not empty, at most
// MaxLoginIDBytes, no C0 control, DEL or invalid UTF-8), in NFC. An id NormalizeLoginID
// refuses then finds no user, unless one was stored before that rule existed.
func lookupLoginID(id string) (string, error) {
	const field = "login id"
	switch {
	case id == "":
		return "", fmt.Errorf("%w: %s", ErrMissingArgument, field)
	case len(id) > MaxLoginIDBytes:
		return "", &FieldTooLongError{Field: field, Limit: MaxLoginIDBytes}
	case printableASCII(id):
		return id, nil
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return "", fmt.Errorf("%w: %s contains a control character or invalid UTF-8", ErrInvalidArgument, field)
		}
	}
	return norm.NFC.String(id), nil
}

// refusedInLoginID says why r may not appear in a login id, or "" when it may.
func refusedInLoginID(r rune) string {
	switch {
	case r == utf8.RuneError:
		return "the replacement character (invalid UTF-8 upstream)"
	case unicode.Is(unicode.Cc, r):
		return "a control character"
	case unicode.Is(unicode.Cf, r):
		return "an invisible format character (bidi control, zero width or similar)"
	case unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector):
		return "a character that is invisible by default"
	case unicode.In(r, unicode.Zl, unicode.Zp):
		return "a line or paragraph separator"
	case unicode.Is(unicode.Zs, r) && r != ' ':
		return "a space other than U+0020"
	case unicode.Is(unicode.Co, r) || unicode.Is(unicode.Noncharacter_Code_Point, r):
		return "a private-use character or noncharacter"
	}
	return ""
}

// printableASCII reports whether s is all U+0020–U+007E.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// LoginKey is what login ids are matched by: two ids with the same key name the same
// user. It is the id's NFC form with full-width and half-width forms folded to their
// usual width and every letter case-folded, so "Bob@Example.com", "bob@example.com",
// "ＢＯＢ@example.com" and "josé" in NFC or NFD each name one user, while the id keeps
// the spelling it was signed up with for display. Every login id is matched this way,
// not only e-mail-like ones: ids that differ only in case or width are look-alikes
// whatever they name.
//
// Stores compute it to look users up (see Store); LoginKey(LoginKey(id)) ==
// LoginKey(id). It refuses nothing: NormalizeLoginID decides what is a login id.
func LoginKey(id string) string {
	if isASCII(id) {
		return asciiLower(id)
	}
	s := norm.NFC.String(id)
	s = width.Fold.String(s)
	s = cases.Fold().String(s)
	return norm.NFC.String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lower-cases an ASCII string, without allocating when it has no upper case.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
