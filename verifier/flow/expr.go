package flow

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Expressions are expr-lang/expr programs: a small, side-effect-free language with no
// loops and no access to anything but the variables it is given (chosen over cel-go for
// this reason and its size: no protobuf runtime, compile and run in microseconds).
// Every expression is compiled when its file is parsed, so a syntax error or an unknown
// variable is a file:line:column error, never a failure in a running flow.

// Expr is one compiled expression.
type Expr struct {
	Src string
	Pos Pos
	prg *vm.Program
}

// Template is text with {{ expression }} parts, for what screens show.
type Template struct {
	Src   string
	parts []templatePart
}

type templatePart struct {
	text string
	expr *Expr // nil for a text part
}

// maxExprNodes bounds an expression's size: flows are small programs.
const maxExprNodes = 500

// exprOptions are the compile options of every expression: no environment type (the
// variables are the execution's), and only the builtins a flow has use for.
func exprOptions(extra ...expr.Option) []expr.Option {
	opts := []expr.Option{expr.MaxNodes(maxExprNodes), expr.DisableAllBuiltins()}
	for _, b := range []string{"len", "lower", "upper", "trim", "trimPrefix", "trimSuffix", "hasPrefix", "hasSuffix",
		"contains", "indexOf", "split", "join", "string", "int", "abs", "keys", "values", "all", "any", "none", "one", "filter", "map", "count", "type"} {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	return append(opts, extra...)
}

// compileExpr compiles src, checking that every variable it reads is one of known.
func compileExpr(src string, pos Pos, known map[string]bool, extra ...expr.Option) (*Expr, error) {
	prg, err := expr.Compile(src, exprOptions(extra...)...)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %s", src, firstLine(err.Error()))
	}
	if known != nil {
		node := prg.Node()
		v := &identVisitor{declared: map[string]bool{}}
		ast.Walk(&node, v)
		for _, name := range v.names {
			if !known[name] && !v.declared[name] {
				return nil, fmt.Errorf("expression %q: unknown variable %q (known: %s)", src, name, knownList(known))
			}
		}
	}
	return &Expr{Src: src, Pos: pos, prg: prg}, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func knownList(known map[string]bool) string {
	var names []string
	for n := range known {
		if !strings.HasPrefix(n, "$") {
			names = append(names, n)
		}
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

// identVisitor collects the variables an expression reads.
type identVisitor struct {
	names    []string
	declared map[string]bool
}

// Visit implements ast.Visitor.
func (v *identVisitor) Visit(n *ast.Node) {
	switch n := (*n).(type) {
	case *ast.IdentifierNode:
		v.names = append(v.names, n.Value)
	case *ast.VariableDeclaratorNode:
		v.declared[n.Name] = true
	}
}

// eval runs the expression on vars.
func (e *Expr) eval(vars map[string]any) (any, error) {
	out, err := expr.Run(e.prg, vars)
	if err != nil {
		return nil, fmt.Errorf("expression %q (line %d): %s", e.Src, e.Pos.Line, firstLine(err.Error()))
	}
	return out, nil
}

// evalBool runs a condition: it must give a boolean.
func (e *Expr) evalBool(vars map[string]any) (bool, error) {
	out, err := e.eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition %q (line %d) gave %T, not a boolean", e.Src, e.Pos.Line, out)
	}
	return b, nil
}

// compileTemplate splits src at {{ and }} and compiles the expressions between.
func compileTemplate(src string, pos Pos, known map[string]bool, extra ...expr.Option) (*Template, error) {
	t := &Template{Src: src}
	rest := src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, templatePart{text: rest})
			}
			return t, nil
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, errors.New("template: {{ without }}")
		}
		if i > 0 {
			t.parts = append(t.parts, templatePart{text: rest[:i]})
		}
		e, err := compileExpr(strings.TrimSpace(rest[i+2:i+2+j]), pos, known, extra...)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, templatePart{expr: e})
		rest = rest[i+2+j+2:]
	}
}

// render evaluates the template on vars; nil values render as nothing.
func (t *Template) render(vars map[string]any) (string, error) {
	if t == nil {
		return "", nil
	}
	if len(t.parts) == 1 && t.parts[0].expr == nil {
		return t.parts[0].text, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.expr.eval(vars)
		if err != nil {
			return "", err
		}
		if v != nil {
			fmt.Fprint(&b, v)
		}
	}
	return b.String(), nil
}
