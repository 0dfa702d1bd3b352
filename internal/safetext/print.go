package safetext

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Fprintf is fmt.Fprintf for a command's output: the format is trusted (its newlines
// and tabs lay the output out), and every operand is outside text for one line, passed
// through Line after formatting. Numbers and booleans are formatted as they are.
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, lineArgs(args)...)
}

// Fprint is fmt.Fprint with every operand passed through Line.
func Fprint(w io.Writer, args ...any) (int, error) {
	return fmt.Fprint(w, lineArgs(args)...)
}

// Fprintln is fmt.Fprintln with every operand passed through Line.
func Fprintln(w io.Writer, args ...any) (int, error) {
	return fmt.Fprintln(w, lineArgs(args)...)
}

func lineArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch a.(type) {
		case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
			float32, float64, complex64, complex128:
			out[i] = a // plain numbers: a width taken from an argument (%*d) still works
		default:
			out[i] = lineArg{a}
		}
	}
	return out
}

// lineArg formats its value with the verb, flags and precision it was given, then
// through Line, then pads it to the width it was given, so that columns stay aligned
// when a name grows by its escapes.
type lineArg struct{ v any }

// Format implements fmt.Formatter.
func (a lineArg) Format(f fmt.State, verb rune) {
	spec := []byte{'%'}
	for _, c := range "+# 0" {
		if f.Flag(int(c)) {
			spec = append(spec, byte(c))
		}
	}
	if p, ok := f.Precision(); ok {
		spec = fmt.Appendf(spec, ".%d", p)
	}
	spec = utf8.AppendRune(spec, verb)
	s := Line(fmt.Sprintf(string(spec), a.v))
	pad := ""
	if w, ok := f.Width(); ok && w > utf8.RuneCountInString(s) {
		pad = strings.Repeat(" ", w-utf8.RuneCountInString(s))
	}
	if f.Flag('-') {
		s += pad
	} else {
		s = pad + s
	}
	_, _ = io.WriteString(f, s)
}

// Writer returns a writer that passes each write through Block, keeping tabs too. It
// is for output that another package lays out with newlines and tabs and that can
// quote outside text, such as the flag package's errors and defaults ("flag provided
// but not defined: -NAME" quotes an argument, which may be a file name a glob found).
// Each write must end on a character boundary, as whole formatted strings do.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

// Write implements io.Writer; it reports len(p) when all of the escaped text is written.
func (w writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, clean(string(p), keepNewline|keepTab)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// JSON returns encoded JSON (the output of encoding/json) with every character Line
// escapes written as a \u escape. encoding/json escapes C0 controls, U+2028 and U+2029
// but writes DEL, the C1 controls (U+009B is a one-byte CSI) and format characters
// such as U+202E as they are, so `otpair list --json` on a terminal could act on them.
// The result is still valid JSON and decodes to the same values: outside strings JSON
// holds only ASCII punctuation, so every such character is inside a string, where a
// \u escape means the character itself. Runes above U+FFFF become surrogate pairs, as
// JSON requires.
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf && b[i] != 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = appendU(out, 0x7f)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = appendU(out, utf8.RuneError) // not from encoding/json, which writes valid UTF-8
		case Escaped(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = appendU(appendU(out, r1), r2)
		case Escaped(r):
			out = appendU(out, r)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
