// Package safetext makes text that comes from outside otpair (issuer and account names
// from QR codes, URIs and backup files, a remote server's user names and messages, file
// names, error strings that quote any of these) safe to put on a terminal.
//
// A terminal acts on some characters instead of showing them: ESC and the C1 controls
// start sequences that can set the clipboard (OSC 52), rename the window (OSC 0) or
// move the cursor; CR and backspace overwrite what is shown; bidi overrides and
// isolates reorder it; zero-width characters hide in it. safetext shows every such
// character as a visible Go-style escape instead, so a hostile name can be seen for
// what it is and does nothing:
//
//   - C0 controls (U+0000–U+001F) and DEL: \a \b \t \n \v \f \r as such, the others
//     as \xNN (ESC is \x1b). Line escapes all of them; Block keeps \n.
//   - C1 controls (U+0080–U+009F): \u009b (a one-byte CSI on some terminals).
//   - Format characters (Unicode category Cf): bidi marks, embeddings, overrides and
//     isolates (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), zero-width
//     characters (U+200B–U+200D, U+2060, U+FEFF), the whole Tags block (U+E0000–U+E007F, unassigned ones too) and the rest of the
//     category, which is invisible by definition: \u202e, \U000e0041.
//   - Line and paragraph separators (U+2028, U+2029): \u2028.
//   - Bytes that are not UTF-8: \xff.
//
// Everything else passes as it is, backslashes included: the escapes are for a human
// reading the screen, not a reversible encoding (a name that spells \x1b in plain
// characters shows the same as one holding ESC, and neither does anything). A zero
// width joiner inside an emoji sequence is shown escaped too: names rarely hold one,
// and it cannot be told from one that hides a look-alike.
//
// Text that is printable ASCII (the common case) is returned as it is without
// allocating, so sanitising every name of every frame costs a scan.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s made safe for a one-line field (a name, a label, a one-line message):
// every character a terminal would act on, newline and tab included, is escaped.
func Line(s string) string { return clean(s, 0) }

// Block returns s made safe for text of several lines (an error body, a timeline
// entry, a wrapped message): as Line, but newlines are kept. CR and tab are escaped
// there too: CR overwrites a line, and a tab's width depends on the terminal, which
// breaks a layout measured in cells.
func Block(s string) string { return clean(s, keepNewline) }

// The C0 controls a mode keeps, as a bit mask indexed by byte.
const (
	keepNewline = 1 << '\n'
	keepTab     = 1 << '\t'
)

// kept reports whether c is a control the mask keep lets through.
func kept(c byte, keep uint32) bool { return c < 0x20 && keep&(1<<c) != 0 }

// Escaped reports whether r is one of the characters Line escapes. It is for code that
// scans text for them (tests, JSON); utf8.RuneError stands for itself, a valid U+FFFD.
func Escaped(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r < 0xa0: // C1
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	case r < 0x600 && r != 0xad, r > 0x206f && r < 0xfeff:
		return false // no format characters here: Latin, Greek, Cyrillic, CJK, symbols
	case r >= 0xe0000 && r <= 0xe007f:
		return true // the Tags block, unassigned ones too: invisible wherever they render
	}
	return unicode.Is(unicode.Cf, r)
}

func clean(s string, keep uint32) string {
	i := firstUnsafe(s, keep)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f || kept(c, keep) {
			b.WriteByte(c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			writeByteEscape(&b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeByteEscape(&b, c)
		case Escaped(r):
			writeRuneEscape(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the index of the first byte of s that needs escaping, or len(s).
func firstUnsafe(s string, keep uint32) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f || kept(c, keep) {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return i
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || Escaped(r) {
			return i
		}
		i += size
	}
	return len(s)
}

const hexDigits = "0123456789abcdef"

func writeByteEscape(b *strings.Builder, c byte) {
	switch c {
	case '\a':
		b.WriteString(`\a`)
	case '\b':
		b.WriteString(`\b`)
	case '\f':
		b.WriteString(`\f`)
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	case '\v':
		b.WriteString(`\v`)
	default:
		b.WriteString(`\x`)
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
}

func writeRuneEscape(b *strings.Builder, r rune) {
	n := 4
	if r > 0xffff {
		n = 8
		b.WriteString(`\U`)
	} else {
		b.WriteString(`\u`)
	}
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[r>>shift&0xf])
	}
}
