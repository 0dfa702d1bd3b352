package safetext

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/otpair/otpair/internal/safetext/safetexttest"
)

// hostile holds one of each kind of character a terminal acts on, as they arrive in
// issuer names: the OSC 52 clipboard write and OSC 0 title of issue 11, a C1 CSI, bidi
// and zero-width characters, a tag character, CR, and bytes that are not UTF-8.
var hostile = []struct{ in, line string }{
	{"plain ASCII: GitHub (alice@example.com) 100% ~!", "plain ASCII: GitHub (alice@example.com) 100% ~!"},
	{"\x1b]52;c;cHduZWQ=\x07", `\x1b]52;c;cHduZWQ=\a`},
	{"\x1b]0;pwned\x07Bank", `\x1b]0;pwned\aBank`},
	{"a\u009b31mred", `a\u009b31mred`},
	{"\u009d0;title\u009c", `\u009d0;title\u009c`},
	{"adm\u202enimda", `adm\u202enimda`},
	{"\u2066x\u2069 \u202a\u202b\u202c\u202d \u200e\u200f\u061c", `\u2066x\u2069 \u202a\u202b\u202c\u202d \u200e\u200f\u061c`},
	{"bo\u200bb\u200c\u200d\u2060\ufeff", `bo\u200bb\u200c\u200d\u2060\ufeff`},
	{"tag\U000e0041\U000e007f", `tag\U000e0041\U000e007f`},
	{"line\nbreak\ttab\rcr\bbs\x00nul\x7fdel", `line\nbreak\ttab\rcr\bbs\x00nul\x7fdel`},
	{"bad \xff\xfe utf8 \xe2\x80", `bad \xff\xfe utf8 \xe2\x80`},
	{"sep\u2028para\u2029", `sep\u2028para\u2029`},
	{"Ünïcødé 日本語 🙂 café\u00a0nbsp \\x1b", "Ünïcødé 日本語 🙂 café\u00a0nbsp \\x1b"},
}

func TestLineEscapesWhatATerminalActsOn(t *testing.T) {
	for _, c := range hostile {
		got := Line(c.in)
		if got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
		if bad := safetexttest.Find(got); bad != "" {
			t.Errorf("Line(%q) still holds %s", c.in, bad)
		}
		if again := Line(got); again != got {
			t.Errorf("Line is not idempotent on %q: %q", got, again)
		}
	}
}

// TestEscapedIsTheDocumentedSet checks Escaped against its definition for every rune.
func TestEscapedIsTheDocumentedSet(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r) ||
			r >= 0xe0000 && r <= 0xe007f // the Tags block, unassigned ones too
		if Escaped(r) != want {
			t.Fatalf("Escaped(%U) = %v, want %v", r, !want, want)
		}
	}
}

func TestBlockKeepsOnlyNewlines(t *testing.T) {
	in := "first line\nsecond\x1b[2J\r\tthird\u202e\n"
	want := "first line\nsecond\\x1b[2J\\r\\tthird\\u202e\n"
	if got := Block(in); got != want {
		t.Fatalf("Block = %q, want %q", got, want)
	}
}

func TestSafeTextIsReturnedWithoutAllocating(t *testing.T) {
	for _, s := range []string{"GitHub", "alice@example.com", "日本語 🙂 Ünïcødé", ""} {
		if n := testing.AllocsPerRun(100, func() { _ = Line(s); _ = Block(s + "\n" + s) }); n > 1 {
			// Block's argument is built in the closure: one allocation for it, none in Block.
			t.Errorf("%q: %v allocations", s, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
			t.Errorf("Line(%q) allocates %v times", s, n)
		}
	}
}

func TestFprintfEscapesOperandsNotTheFormat(t *testing.T) {
	var b bytes.Buffer
	err := errors.New("open \x1b]0;x\x07.png: no such file")
	Fprintf(&b, "%s\t%v\n%q|%-8s|%d|%*d|%x|%5.2s|\n", "Evil\x1b[31m", err, "q\u202e", "pad\x07", 42, 4, 7, "\x1b", "\x1bxyz")
	want := "Evil\\x1b[31m\topen \\x1b]0;x\\a.png: no such file\n" + `"q\u202e"|pad\a   |42|   7|1b|\x1bx|` + "\n"
	if b.String() != want {
		t.Fatalf("Fprintf wrote %q, want %q", b.String(), want)
	}
	b.Reset()
	Fprintln(&b, "a\u009b", 3, "b\nc")
	if want := "a\\u009b 3 b\\nc\n"; b.String() != want {
		t.Fatalf("Fprintln wrote %q, want %q", b.String(), want)
	}
}

func TestWriterKeepsTheLayout(t *testing.T) {
	var b bytes.Buffer
	in := []byte("flag provided but not defined: -\x1b]0;x\x07\n  -json\n    \tprint JSON\n")
	n, err := Writer(&b).Write(in)
	want := "flag provided but not defined: -\\x1b]0;x\\a\n  -json\n    \tprint JSON\n"
	if err != nil || n != len(in) || b.String() != want {
		t.Fatalf("wrote %q (%d, %v), want %q", b.String(), n, err, want)
	}
}

func TestJSONEscapesWhatEncodingJSONLeaves(t *testing.T) {
	type rec struct {
		Name string `json:"name"`
	}
	for _, c := range hostile {
		raw, err := json.MarshalIndent(rec{c.in}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		out := JSON(raw)
		if !json.Valid(out) {
			t.Fatalf("JSON(%q) is not valid JSON: %s", c.in, out)
		}
		if bad := safetexttest.Find(string(out)); bad != "" {
			t.Errorf("JSON of %q holds %s: %s", c.in, bad, out)
		}
		var before, after rec
		if err := json.Unmarshal(raw, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &after); err != nil || after != before {
			t.Errorf("JSON of %q decodes to %q (%v), want %q", c.in, after.Name, err, before.Name)
		}
	}
	// U+009B, the case of issue 11, is written as its escape.
	raw, _ := json.Marshal("x\u009by\x7f")
	if got := string(JSON(raw)); got != `"x\u009by\u007f"` {
		t.Fatalf("JSON = %s", got)
	}
	if plain := []byte(`{"a": "b"}`); &JSON(plain)[0] != &plain[0] {
		t.Error("ASCII JSON was copied")
	}
}

// FuzzSafetext: for any input, Line leaves no character a terminal acts on, Block only
// newlines, both are idempotent and change nothing in text that needed no change, and
// JSON keeps valid JSON that decodes to the same string.
func FuzzSafetext(f *testing.F) {
	for _, c := range hostile {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		line, block := Line(s), Block(s)
		if bad := safetexttest.Find(line); bad != "" || strings.Contains(line, "\n") {
			t.Fatalf("Line(%q) = %q holds %s", s, line, bad)
		}
		if bad := safetexttest.Find(block); bad != "" {
			t.Fatalf("Block(%q) = %q holds %s", s, block, bad)
		}
		if strings.Count(block, "\n") != strings.Count(s, "\n") {
			t.Fatalf("Block(%q) = %q changed the lines", s, block)
		}
		if Line(line) != line || Block(block) != block {
			t.Fatalf("not idempotent on %q", s)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, Escaped) && line != s {
			t.Fatalf("Line changed safe text %q to %q", s, line)
		}
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out := JSON(raw)
		var before, after string
		if err := json.Unmarshal(raw, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &after); err != nil || after != before {
			t.Fatalf("JSON of %q: %s decodes to %q (%v), want %q", s, out, after, err, before)
		}
		if bad := safetexttest.Find(string(out)); bad != "" {
			t.Fatalf("JSON of %q holds %s", s, bad)
		}
	})
}

// BenchmarkLine is the cost per name: the TUI escapes each account's names once when
// the accounts arrive, and the status line and session line on every frame.
func BenchmarkLine(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"ascii", "GitHub: alice@example.com"},
		{"unicode", "Ünïcødé 日本語: ålice@exämple.com"},
		{"hostile", "\x1b]52;c;cHduZWQ=\x07Bank\u202e"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_ = Line(c.s)
			}
		})
	}
}
