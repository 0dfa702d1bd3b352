// Package safetexttest checks output for characters a terminal would act on. It states
// the rule of issue 11 on its own, apart from safetext's implementation, so a test that
// renders hostile names (a View, a command's output) does not grade safetext with its
// own answer key.
package safetexttest

import (
	"fmt"
	"unicode/utf8"
)

// Find returns a description of the first character of out that must never reach a
// terminal, and "" when there is none: a C0 control other than newline, DEL, a C1
// control, a bidi mark, embedding, override or isolate, a zero-width or other
// invisible format character, a line or paragraph separator, a tag character, or a
// byte that is not UTF-8. The output of a test profile (lipgloss pinned to Ascii) has
// no escape sequences of its own, so any ESC in it was injected.
func Find(out string) string {
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Sprintf("byte %#x at %d is not UTF-8", out[i], i)
		}
		if forbidden(r) {
			return fmt.Sprintf("%U at byte %d", r, i)
		}
		i += size
	}
	return ""
}

func forbidden(r rune) bool {
	switch {
	case r == '\n':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f: // C0 (ESC, BEL, CR…), DEL, C1 (CSI U+009B…)
		return true
	case r == 0x061c, r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidi marks, embeddings, overrides, isolates; zero-width space, non-joiner, joiner
	case r >= 0x2060 && r <= 0x2064, r == 0xfeff, r == 0x2028, r == 0x2029, r == 0x00ad:
		return true // word joiner, invisible operators, BOM, separators, soft hyphen
	case r >= 0xe0000 && r <= 0xe007f:
		return true // tag characters
	}
	return false
}
