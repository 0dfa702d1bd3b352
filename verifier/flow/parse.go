package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest flow file Parse reads.
const MaxFileSize = 1 << 20

// Reserved variables every expression may read.
const (
	VarForm = "form" // every input so far: the start's and each screen's
	VarUser = "user" // the user a sign-in, update or user.load found
	VarFlow = "flow" // {id, name} of the running flow
)

var reservedVars = []string{VarForm, VarUser, VarFlow}

// Parse reads one flow file (YAML, or JSON, which YAML includes) and checks it: the
// schema, then what the schema cannot say. Every problem comes back in a FileErrors,
// each at file:line:column. Sub-flows are checked when the flow joins a Registry.
func Parse(file string, data []byte) (*Flow, error) {
	if len(data) > MaxFileSize {
		return nil, FileErrors{{File: file, Msg: fmt.Sprintf("the file is larger than %d bytes", MaxFileSize)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, FileErrors{yamlError(file, err)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, FileErrors{{File: file, Msg: "the file is empty"}}
	}
	p := &parser{file: file}
	inst := p.plain(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, p.errs.sorted()
	}
	if errs := checkSchema(file, &doc, inst); len(errs) > 0 {
		return nil, errs
	}
	f := p.build(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, p.errs.sorted()
	}
	f.File, f.Source = file, data
	sum := sha256.Sum256(data)
	f.ETag = hex.EncodeToString(sum[:8])
	return f, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlError places a YAML syntax error at its line (the parser gives no column).
func yamlError(file string, err error) FileError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	fe := FileError{File: file, Msg: "not valid YAML or JSON: " + msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		fe.Pos = Pos{Line: line, Col: 1}
		fe.Msg = "not valid YAML or JSON: " + strings.TrimSpace(yamlLine.ReplaceAllString(msg, ""))
		fe.Msg = strings.TrimPrefix(strings.TrimPrefix(fe.Msg, "not valid YAML or JSON: :"), " ")
		if !strings.HasPrefix(fe.Msg, "not valid") {
			fe.Msg = "not valid YAML or JSON: " + fe.Msg
		}
	}
	return fe
}

type parser struct {
	file  string
	errs  FileErrors
	known map[string]bool
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, FileError{File: p.file, Pos: pos(n), Msg: fmt.Sprintf(format, args...)})
}

func pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{Line: n.Line, Col: n.Column}
}

// plain turns a YAML node into the plain values the schema checks, refusing what a
// flow file has no use for and a parser should not expand: aliases (an alias bomb
// grows exponentially), duplicate keys (YAML forbids them; the last would win silently)
// and keys that are not strings.
func (p *parser) plain(n *yaml.Node) any {
	switch n.Kind {
	case yaml.AliasNode:
		p.errorf(n, "aliases (*%s) are not allowed in flow files", n.Value)
		return nil
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				p.errorf(k, "keys must be plain strings")
				continue
			}
			if _, dup := m[k.Value]; dup {
				p.errorf(k, "duplicate key %q", k.Value)
				continue
			}
			m[k.Value] = p.plain(v)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, p.plain(c))
		}
		return s
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			b, err := strconv.ParseBool(n.Value)
			if err != nil {
				return n.Value
			}
			return b
		case "!!int":
			i, err := strconv.ParseInt(n.Value, 0, 64)
			if err != nil {
				return n.Value
			}
			return i
		case "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				return n.Value
			}
			return f
		}
		return n.Value
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return p.plain(n.Content[0])
		}
	}
	return nil
}

// pairs is a mapping node's keys and values.
func pairs(n *yaml.Node) [][2]*yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

func get(n *yaml.Node, key string) *yaml.Node {
	for _, kv := range pairs(n) {
		if kv[0].Value == key {
			return kv[1]
		}
	}
	return nil
}

func getKey(n *yaml.Node, key string) *yaml.Node {
	for _, kv := range pairs(n) {
		if kv[0].Value == key {
			return kv[0]
		}
	}
	return nil
}

func str(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// build makes the Flow from a document the schema accepted.
func (p *parser) build(root *yaml.Node) *Flow {
	f := &Flow{ID: str(get(root, "id")), Name: str(get(root, "name")), Description: str(get(root, "description")),
		Steps: map[string]*Step{}}
	if f.Name == "" {
		f.Name = f.ID
	}
	steps := get(root, "steps")
	// The variables expressions may read: the reserved ones and every output and
	// error variable a step of this flow declares.
	p.known = map[string]bool{}
	for _, v := range reservedVars {
		p.known[v] = true
	}
	for _, kv := range pairs(steps) {
		for _, key := range []string{"output", "errorVar"} {
			if v := get(kv[1], key); v != nil {
				if slices.Contains(reservedVars, v.Value) {
					p.errorf(v, "%s: %q is a reserved variable (%s)", key, v.Value, strings.Join(reservedVars, ", "))
					continue
				}
				p.known[v.Value] = true
			}
		}
	}
	for _, kv := range pairs(steps) {
		s := p.step(kv[0], kv[1])
		f.Steps[s.ID] = s
		f.Order = append(f.Order, s.ID)
	}
	f.Start = str(get(root, "start"))
	if f.Start == "" && len(f.Order) > 0 {
		f.Start = f.Order[0]
	} else if f.Steps[f.Start] == nil {
		p.errorf(get(root, "start"), "start: no step %q", f.Start)
	}
	p.checkGraph(f, steps)
	f.Tests = p.tests(get(root, "tests"), f)
	return f
}

func (p *parser) step(key, n *yaml.Node) *Step {
	s := &Step{ID: key.Value, Name: str(get(n, "name")), Pos: pos(key), Next: map[string]string{}}
	if s.Name == "" {
		s.Name = s.ID
	}
	var kinds []string
	for _, k := range []string{"screen", "action", "condition", "flow", "end"} {
		if get(n, k) != nil {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		p.errorf(key, "step %q: want exactly one of screen, action, condition, flow or end, got %s", s.ID, orNone(kinds))
		return s
	}
	for _, kv := range pairs(get(n, "next")) {
		s.Next[kv[0].Value] = kv[1].Value
	}
	switch kinds[0] {
	case "screen":
		s.Kind, s.Screen = KindScreen, p.screen(s, get(n, "screen"))
	case "action":
		s.Kind, s.Action = KindAction, p.action(s, n)
	case "condition":
		s.Kind, s.Condition = KindCondition, p.condition(s, get(n, "condition"))
	case "flow":
		s.Kind = KindSubFlow
		s.SubFlow = &SubFlow{ID: str(get(n, "flow")), With: p.exprMap(get(n, "with")), Output: str(get(n, "output"))}
	case "end":
		s.Kind, s.End = KindEnd, p.end(get(n, "end"))
	}
	// Keys that belong to another kind of step.
	allowed := map[StepKind][]string{
		KindScreen:    {"name", "screen", "next"},
		KindAction:    {"name", "action", "with", "output", "errorVar", "onError", "next"},
		KindCondition: {"name", "condition"},
		KindSubFlow:   {"name", "flow", "with", "output", "errorVar", "onError", "next"},
		KindEnd:       {"name", "end"},
	}[s.Kind]
	for _, kv := range pairs(n) {
		if !slices.Contains(allowed, kv[0].Value) {
			p.errorf(kv[0], "step %q: %s does not belong in a %s step", s.ID, kv[0].Value, s.Kind)
		}
	}
	return s
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " and ")
}

func (p *parser) expr(n *yaml.Node) *Expr {
	if n == nil {
		return nil
	}
	e, err := compileExpr(n.Value, pos(n), p.known)
	if err != nil {
		p.errorf(n, "%v", err)
		return nil
	}
	return e
}

func (p *parser) template(n *yaml.Node) *Template {
	if n == nil {
		return nil
	}
	t, err := compileTemplate(n.Value, pos(n), p.known)
	if err != nil {
		p.errorf(n, "%v", err)
		return nil
	}
	return t
}

func (p *parser) exprMap(n *yaml.Node) map[string]*Expr {
	if n == nil {
		return nil
	}
	m := map[string]*Expr{}
	for _, kv := range pairs(n) {
		m[kv[0].Value] = p.expr(kv[1])
	}
	return m
}

func (p *parser) screen(s *Step, n *yaml.Node) *Screen {
	sc := &Screen{Title: p.template(get(n, "title"))}
	submits := map[string]bool{}
	inputs := map[string]bool{}
	for _, nn := range get(n, "nodes").Content {
		node := Node{Type: str(get(nn, "type")), Name: str(get(nn, "name")), ID: str(get(nn, "id")),
			Label: p.template(get(nn, "label")), Text: p.template(get(nn, "text")), Src: p.template(get(nn, "src")),
			Href: p.template(get(nn, "href")), Format: str(get(nn, "format")), Required: str(get(nn, "required")) == "true"}
		need := map[string][]string{
			NodeInput: {"name"}, NodeText: {"text"}, NodeImage: {"src"}, NodeLink: {"href"}, NodeSubmit: {"id"}, NodeTOTP: {"source"},
		}[node.Type]
		for _, k := range need {
			if get(nn, k) == nil {
				p.errorf(nn, "a %s node needs %s", node.Type, k)
			}
		}
		fits := map[string][]string{
			NodeInput:  {"type", "name", "id", "label", "format", "required"},
			NodeText:   {"type", "id", "text"},
			NodeImage:  {"type", "id", "src", "label"},
			NodeLink:   {"type", "id", "href", "label"},
			NodeSubmit: {"type", "id", "label"},
			NodeTOTP:   {"type", "id", "source", "label"},
		}[node.Type]
		for _, kv := range pairs(nn) {
			if !slices.Contains(fits, kv[0].Value) {
				p.errorf(kv[0], "%s does not belong in a %s node", kv[0].Value, node.Type)
			}
		}
		switch node.Type {
		case NodeInput:
			if inputs[node.Name] {
				p.errorf(get(nn, "name"), "step %q: two inputs named %q", s.ID, node.Name)
			}
			inputs[node.Name] = true
		case NodeSubmit:
			if submits[node.ID] {
				p.errorf(get(nn, "id"), "step %q: two submits with id %q", s.ID, node.ID)
			}
			submits[node.ID] = true
			if _, ok := s.Next[node.ID]; !ok {
				p.errorf(get(nn, "id"), "step %q: submit %q has no next step (add next: {%s: STEP})", s.ID, node.ID, node.ID)
			}
		case NodeTOTP:
			node.Source = p.expr(get(nn, "source"))
		}
		sc.Nodes = append(sc.Nodes, node)
	}
	if len(submits) == 0 {
		p.errorf(n, "step %q: a screen needs a submit node", s.ID)
	}
	for id := range s.Next {
		if !submits[id] {
			p.errorf(s.nextKey(n), "step %q: next %q is no submit of this screen", s.ID, id)
		}
	}
	return sc
}

// nextKey is where to report a problem with a step's next: the screen node stands in
// (the step's mapping is not at hand everywhere).
func (s *Step) nextKey(n *yaml.Node) *yaml.Node { return n }

func (p *parser) action(s *Step, n *yaml.Node) *Action {
	a := &Action{Name: str(get(n, "action")), With: p.exprMap(get(n, "with")), Output: str(get(n, "output")),
		ErrorVar: str(get(n, "errorVar")), OnError: map[string]Policy{}}
	spec := actionArgs[a.Name]
	required, optional := spec, []string(nil)
	if i := slices.Index(spec, "|"); i >= 0 {
		required, optional = spec[:i], spec[i+1:]
	}
	for _, r := range required {
		if _, ok := a.With[r]; !ok {
			p.errorf(get(n, "action"), "step %q: %s needs with.%s", s.ID, a.Name, r)
		}
	}
	for _, kv := range pairs(get(n, "with")) {
		if !slices.Contains(required, kv[0].Value) && !slices.Contains(optional, kv[0].Value) && !slices.Contains(optional, "*") {
			p.errorf(kv[0], "step %q: %s takes no %q (it takes %s)", s.ID, a.Name, kv[0].Value, strings.Join(append(slices.Clone(required), optional...), ", "))
		}
	}
	if oe := get(n, "onError"); oe != nil {
		if oe.Kind == yaml.ScalarNode {
			a.OnError[""] = Policy(oe.Value)
		}
		for _, kv := range pairs(oe) {
			key := kv[0].Value
			if key == "default" {
				key = ""
			}
			a.OnError[key] = Policy(kv[1].Value)
		}
	}
	p.checkNext(s, n, append([]string{"success", "failure"}, ErrorTypes...))
	for typ, pol := range a.OnError {
		if pol != FailureBranch {
			continue
		}
		if _, ok := s.Next["failure"]; ok {
			continue
		}
		if typ != "" {
			if _, ok := s.Next[typ]; ok {
				continue
			}
		}
		p.errorf(get(n, "onError"), "step %q: onError branch needs next.failure (or next.%s)", s.ID, orDefault(typ))
	}
	return a
}

func orDefault(typ string) string {
	if typ == "" {
		return "<ErrorType>"
	}
	return typ
}

// checkNext refuses next keys a step cannot take.
func (p *parser) checkNext(s *Step, n *yaml.Node, allowed []string) {
	for _, kv := range pairs(get(n, "next")) {
		if !slices.Contains(allowed, kv[0].Value) {
			p.errorf(kv[0], "step %q: next %q: a %s step's next takes %s", s.ID, kv[0].Value, s.Kind, strings.Join(allowed, ", "))
		}
	}
}

func (p *parser) condition(s *Step, n *yaml.Node) []Branch {
	var out []Branch
	for i, b := range n.Content {
		when, gotoN, elseN := get(b, "when"), get(b, "goto"), get(b, "else")
		switch {
		case elseN != nil && (when != nil || gotoN != nil):
			p.errorf(b, "step %q: an else arm has no when or goto", s.ID)
		case elseN != nil:
			if i != len(n.Content)-1 {
				p.errorf(b, "step %q: the else arm must be the last", s.ID)
			}
			out = append(out, Branch{Goto: elseN.Value})
		case when == nil || gotoN == nil:
			p.errorf(b, "step %q: an arm needs when and goto (or else alone)", s.ID)
		default:
			out = append(out, Branch{When: p.expr(when), Goto: gotoN.Value})
		}
	}
	if len(out) > 0 && out[len(out)-1].When != nil {
		p.errorf(n, "step %q: a condition ends with an else arm, so that it always goes somewhere", s.ID)
	}
	return out
}

func (p *parser) end(n *yaml.Node) *End {
	e := &End{Output: p.exprMap(get(n, "output")), Error: p.template(get(n, "error"))}
	e.Failed = str(get(n, "status")) == "failed"
	if e.Error != nil && !e.Failed {
		p.errorf(get(n, "error"), "an end's error needs status: failed")
	}
	return e
}

// checkGraph checks that every step a next or condition names exists, and that every
// step can be reached from the start.
func (p *parser) checkGraph(f *Flow, steps *yaml.Node) {
	for _, id := range f.Order {
		s := f.Steps[id]
		sn := get(steps, id)
		for key, to := range s.Next {
			if f.Steps[to] == nil {
				p.errorf(get(get(sn, "next"), key), "step %q: next %s: no step %q", id, key, to)
			}
		}
		for i, b := range s.Condition {
			if f.Steps[b.Goto] == nil {
				p.errorf(get(sn, "condition").Content[i], "step %q: no step %q", id, b.Goto)
			}
		}
		if s.Kind == KindAction || s.Kind == KindSubFlow {
			if _, ok := s.Next["success"]; !ok {
				p.errorf(getKey(steps, id), "step %q: an %s step needs next.success", id, s.Kind)
			}
		}
	}
	if f.Steps[f.Start] == nil {
		return
	}
	reached := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		s := f.Steps[id]
		if s == nil || reached[id] {
			return
		}
		reached[id] = true
		for _, to := range sortedValues(s.Next) {
			visit(to)
		}
		for _, b := range s.Condition {
			visit(b.Goto)
		}
		// automatic errors go back to a screen already reached.
	}
	visit(f.Start)
	for _, id := range f.Order {
		if !reached[id] {
			p.errorf(getKey(steps, id), "step %q cannot be reached from the start (%s)", id, f.Start)
		}
	}
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
