package verifier

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormalizeLoginID(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"alice@example.com", "alice@example.com"},
		{"Bob@Example.com", "Bob@Example.com"}, // the spelling is kept; matching folds case
		{"jos\u00e9", "jos\u00e9"},
		{"jose\u0301", "jos\u00e9"}, // NFD becomes NFC
		{"ÅNGSTRÖM", "ÅNGSTRÖM"},
		{"Bob Smith", "Bob Smith"},
		{"+15551234567", "+15551234567"},
		{"日本語", "日本語"},
		{strings.Repeat("x", MaxLoginIDBytes), strings.Repeat("x", MaxLoginIDBytes)},
	} {
		got, err := NormalizeLoginID(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeLoginID(%+q) = %+q, %v; want %+q", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want error
	}{
		{"", ErrMissingArgument},
		{"adm\u202enimda", ErrInvalidArgument},      // right-to-left override
		{"bo\u200bb", ErrInvalidArgument},           // zero-width space
		{"bo\u200db", ErrInvalidArgument},           // zero-width joiner
		{"bob\ufeff", ErrInvalidArgument},           // zero-width no-break space (BOM)
		{"a\u2066b\u2069", ErrInvalidArgument},      // isolates
		{"a\u200eb", ErrInvalidArgument},            // left-to-right mark
		{"a\u00adb", ErrInvalidArgument},            // soft hyphen
		{"a\u034fb", ErrInvalidArgument},            // combining grapheme joiner
		{"a\u3164b", ErrInvalidArgument},            // Hangul filler
		{"a\ufe0fb", ErrInvalidArgument},            // variation selector
		{"a\U000e0041b", ErrInvalidArgument},        // tag character
		{"a\u009bb", ErrInvalidArgument},            // C1 control: a one-byte CSI
		{"a\u0085b", ErrInvalidArgument},            // next line (C1)
		{"a\x00b", ErrInvalidArgument},              // C0
		{"line\nbreak", ErrInvalidArgument},         // C0
		{"a\x7fb", ErrInvalidArgument},              // DEL
		{"a\u2028b", ErrInvalidArgument},            // line separator
		{"a\u00a0b", ErrInvalidArgument},            // no-break space
		{"a\u3000b", ErrInvalidArgument},            // ideographic space
		{"a\ue000b", ErrInvalidArgument},            // private use
		{"a\ufdd0b", ErrInvalidArgument},            // noncharacter
		{"a\ufffdb", ErrInvalidArgument},            // replacement character
		{"a\xffb", ErrInvalidArgument},              // not UTF-8
		{" bob", ErrInvalidArgument},                // leading space
		{"bob ", ErrInvalidArgument},                // trailing space
		{strings.Repeat("x", 257), ErrTooLong},      // over the limit
		{strings.Repeat("é", 129), ErrTooLong},      // 258 bytes
		{strings.Repeat("e\u0301", 86), ErrTooLong}, // 258 bytes as given, 172 in NFC: the input counts
	} {
		got, err := NormalizeLoginID(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("NormalizeLoginID(%+q) = %+q, %v; want %v", c.in, got, err, c.want)
		}
		if err != nil && strings.ContainsFunc(err.Error(), func(r rune) bool { return refusedInLoginID(r) != "" }) {
			t.Errorf("the error for %+q quotes the refused character: %q", c.in, err)
		}
	}
	var tl *FieldTooLongError
	if _, err := NormalizeLoginID(strings.Repeat("x", 300)); !errors.As(err, &tl) || tl.Limit != MaxLoginIDBytes ||
		!strings.Contains(err.Error(), "login id is longer than 256 bytes") {
		t.Errorf("an oversized login id: %v; want one naming the field and the limit", err)
	}
	if _, err := NormalizeLoginID("adm\u202enimda"); err == nil || !strings.Contains(err.Error(), "U+202E") {
		t.Errorf("a bidi override: %v; want one naming U+202E", err)
	}
}

func TestLoginKey(t *testing.T) {
	same := [][]string{
		{"Bob@Example.com", "bob@example.com", "BOB@EXAMPLE.COM", "\uff22\uff4f\uff42@\uff45xample.com"},
		{"jos\u00e9", "jose\u0301", "JOS\u00c9", "JOSE\u0301"},
		{"\u212aelvin", "kelvin", "KELVIN"}, // the Kelvin sign folds to k
		{"stra\u00dfe", "STRASSE", "strasse"},
		{"\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2", "\u03bf\u03b4\u03bf\u03c3"}, // final sigma
		{"\uff76\uff9e", "\u30ac"},                                                           // half-width katakana with its voiced mark, and the full-width letter
	}
	for _, group := range same {
		for _, id := range group[1:] {
			if LoginKey(id) != LoginKey(group[0]) {
				t.Errorf("LoginKey(%+q) = %+q, LoginKey(%+q) = %+q; want one key", id, LoginKey(id), group[0], LoginKey(group[0]))
			}
		}
	}
	for _, pair := range [][2]string{{"bob", "bob2"}, {"bob", "b\u00f6b"}, {"alice@example.com", "alice@example.co"}} {
		if LoginKey(pair[0]) == LoginKey(pair[1]) {
			t.Errorf("%+q and %+q share a key", pair[0], pair[1])
		}
	}
	if got := testing.AllocsPerRun(100, func() { LoginKey("alice@example.com") }); got != 0 {
		t.Errorf("LoginKey of a lower-case ASCII id allocates %v times, want 0", got)
	}
	if got := testing.AllocsPerRun(100, func() { NormalizeLoginID("Alice@Example.com") }); got != 0 {
		t.Errorf("NormalizeLoginID of an ASCII id allocates %v times, want 0", got)
	}
}

// FuzzLoginID: NormalizeLoginID never panics; what it accepts is NFC, within the
// limit and free of refused characters, and normalising it again changes nothing;
// LoginKey is idempotent and agrees on an id and its normal form.
func FuzzLoginID(f *testing.F) {
	for _, seed := range []string{"alice@example.com", "Bob@Example.com", "jose\u0301", "adm\u202enimda", "bo\u200bb",
		"\uff22\uff4f\uff42", "\u212a", "stra\u00dfe", "\uff76\uff9e", "\u0130stanbul", "\u1e9e", "a\xffb", " x", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		k := LoginKey(in)
		if LoginKey(k) != k {
			t.Fatalf("LoginKey is not idempotent on %+q: %+q then %+q", in, k, LoginKey(k))
		}
		id, err := NormalizeLoginID(in)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("NormalizeLoginID(%+q): %v, want a bad request", in, err)
			}
			return
		}
		if !utf8.ValidString(id) || !norm.NFC.IsNormalString(id) || len(id) > MaxLoginIDBytes || id == "" {
			t.Fatalf("NormalizeLoginID(%+q) = %+q: not a valid NFC id within the limit", in, id)
		}
		for _, r := range id {
			if refusedInLoginID(r) != "" {
				t.Fatalf("NormalizeLoginID(%+q) = %+q keeps %U", in, id, r)
			}
		}
		if again, err := NormalizeLoginID(id); err != nil || again != id {
			t.Fatalf("normalising %+q again = %+q, %v", id, again, err)
		}
		if LoginKey(id) != k {
			t.Fatalf("LoginKey(%+q) = %+q but LoginKey of its normal form %+q = %+q", in, k, id, LoginKey(id))
		}
	})
}

// TestLookAlikeLoginIDs (issue 11, item 7): through the backend, NFC and NFD spellings
// of one id are one user, ids differing only in case are one user that keeps the
// spelling it signed up with, and bidi, zero-width and C1 characters are refused.
func TestLookAlikeLoginIDs(t *testing.T) {
	e := newLTEnv(t, LocalOptions{})
	ctx := context.Background()
	now := e.clock.Now()

	// josé in NFC signs up; its NFD spelling confirms and signs in; neither signs up again.
	k := ltSignUp(t, e, "jos\u00e9")
	s, err := e.l.SignIn(ctx, "jose\u0301", ltCode(t, k, now))
	if err != nil || !s.FirstSeen || s.User.LoginID != "jos\u00e9" {
		t.Fatalf("NFD sign-in of an NFC sign-up = %+v, %v", s.User, err)
	}
	for _, id := range []string{"jos\u00e9", "jose\u0301", "JOSE\u0301"} {
		if _, err := e.l.SignUp(ctx, id, UserInfo{}); !errors.Is(err, ErrUserExists) {
			t.Errorf("SignUp(%+q) beside josé = %v, want ErrUserExists", id, err)
		}
	}
	// An NFD sign-up is stored, and put in the provisioning URI, in NFC.
	enr, err := e.l.SignUp(ctx, "rene\u0301", UserInfo{})
	if err != nil || ltKey(t, enr).Account != "ren\u00e9" {
		t.Fatalf("the account of an NFD sign-up: %v, %v", enr, err)
	}

	// Bob@Example.com: one user for every case, shown as it signed up.
	kb := ltSignUp(t, e, "Bob@Example.com")
	s, err = e.l.SignIn(ctx, "bob@example.com", ltCode(t, kb, now))
	if err != nil || s.User.LoginID != "Bob@Example.com" {
		t.Fatalf("bob@example.com signing in as Bob@Example.com = %+v, %v", s.User, err)
	}
	if _, err := e.l.SignUp(ctx, "bob@example.com", UserInfo{}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("SignUp(bob@example.com) beside Bob@Example.com = %v, want ErrUserExists", err)
	}
	if _, err := e.l.CreateUser(ctx, "BOB@EXAMPLE.COM", UserInfo{}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("CreateUser(BOB@EXAMPLE.COM) = %v, want ErrUserExists", err)
	}
	if u, err := e.l.LoadUser(ctx, "bOb@eXaMpLe.CoM"); err != nil || u.ID != s.User.ID || u.LoginID != "Bob@Example.com" {
		t.Fatalf("LoadUser in another case = %+v, %v", u, err)
	}

	// Refused before anything is stored; a sign-in with such an id finds nobody.
	for _, id := range []string{"adm\u202enimda", "bo\u200bb", "a\u009bb", "a\u2066b", " bob"} {
		if _, err := e.l.SignUp(ctx, id, UserInfo{}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("SignUp(%+q) = %v, want ErrInvalidArgument", id, err)
		}
		if _, err := e.l.CreateUser(ctx, id, UserInfo{}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CreateUser(%+q) = %v, want ErrInvalidArgument", id, err)
		}
		if _, err := e.l.SignIn(ctx, id, "123456"); !errors.Is(err, ErrUnknownUser) {
			t.Errorf("SignIn(%+q) = %v, want ErrUnknownUser", id, err)
		}
	}
	users, err := e.l.Users(ctx)
	if err != nil || len(users) != 3 {
		t.Fatalf("Users = %d, %v; want josé, rené and Bob only", len(users), err)
	}

	// A user stored before the rule, with an id it refuses, is still found and can be
	// deleted: nothing stored is lost.
	for _, old := range []string{"  spaced  ", "adm\u202enimda"} {
		if err := e.st.CreateUser(ctx, UserRecord{ID: newUserID(), LoginID: old, Created: now, Active: true, LastStep: -1}); err != nil {
			t.Fatal(err)
		}
		if u, err := e.l.LoadUser(ctx, old); err != nil || u.LoginID != old {
			t.Errorf("LoadUser(%+q), stored before the rule = %+v, %v", old, u, err)
		}
		if err := e.l.DeleteUser(ctx, old); err != nil {
			t.Errorf("DeleteUser(%+q), stored before the rule: %v", old, err)
		}
	}
}

// BenchmarkLoginID is the CPU a sign-in's login id now costs before any database
// work: lookupLoginID on every sign-in, LoginKey in the store on a cache miss.
// ASCII ids (nearly all) take the fast path and allocate nothing.
func BenchmarkLoginID(b *testing.B) {
	for _, id := range []string{"alice@example.com", "Alice@Example.com", "jose\u0301@example.com"} {
		b.Run(strings.ToValidUTF8(id, "?"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, err := lookupLoginID(id)
				if err != nil {
					b.Fatal(err)
				}
				_ = LoginKey(n)
			}
		})
	}
}
