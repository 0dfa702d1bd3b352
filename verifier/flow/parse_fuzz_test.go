package flow

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds the flow file parser anything: it must return a flow or FileErrors,
// never panic, and every error must name the file.
func FuzzParse(f *testing.F) {
	for _, id := range BuiltinIDs {
		src, err := BuiltinSource(id)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"", "version: 1", "{}", "[]", "version: 1\nid: x\nsteps: {a: {end: {}}}\n",
		"version: 1\nid: x\nsteps:\n  a: &a {end: {}}\n  b: *a\n",
		`{"version":1,"id":"j","steps":{"a":{"condition":[{"when":"form.x ?? ''","goto":"a"},{"else":"a"}]}}}`,
		"version: 1\nid: x\nsteps:\n  a:\n    screen: {title: '{{ form.', nodes: [{type: submit, id: go}]}\n    next: {go: a}\n",
		"\xff\xfe\x00", "version: 1\nid: x\nsteps:\n  a: {end: {output: {x: 'len(\"a\") * 99999999999999999999'}}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse("fuzz.yaml", data)
		if err != nil {
			var fe FileErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("Parse error %T %v is no FileErrors", err, err)
			}
			for _, e := range fe {
				if !strings.HasPrefix(e.Error(), "fuzz.yaml") {
					t.Fatalf("error %q does not name the file", e.Error())
				}
			}
			return
		}
		if fl.Steps[fl.Start] == nil {
			t.Fatalf("a parsed flow's start %q is no step", fl.Start)
		}
	})
}

func BenchmarkParseBuiltin(b *testing.B) {
	src, _ := BuiltinSource("sign-up-or-in-totp")
	for b.Loop() {
		if _, err := Parse("b.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}
