package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
)

func init() {
	register(command{name: "flow", summary: "flows: list, show, validate, export, run and test them", run: runFlow})
}

// flowSubcommands are the steps of `otpair flow`.
var flowSubcommands = []struct{ name, args, summary string }{
	{"list", "", "the built-in flows and those of --flows DIR"},
	{"show", "ID|FILE", "a flow's steps, where each goes, and its tests"},
	{"validate", "FILE...", "check flow files; every problem at file:line:column (exit 1 on any)"},
	{"export", "ID", "write a flow's file (a built-in's as embedded; --format json: the dsl object)"},
	{"run", "ID|FILE", "run a flow: interactive on a terminal, or --json lines on stdin and stdout"},
	{"test", "FILE...", "run the files' test cases: TAP on stdout, --junit FILE, exit 1 on any failure"},
	{"schema", "", "print the JSON Schema of flow files"},
}

func printFlowHelp(w io.Writer) {
	safetext.Fprintln(w, "Usage: otpair flow SUBCOMMAND [flags] [args]")
	safetext.Fprintln(w)
	for _, s := range flowSubcommands {
		safetext.Fprintf(w, "  %-9s %-9s %s\n", s.name, s.args, s.summary)
	}
	safetext.Fprintln(w)
	safetext.Fprintln(w, "run and test take --backend local|URL (test: a throwaway local backend by default).")
	safetext.Fprintln(w, "run --json reads one {\"interactionId\": ID, \"input\": {…}} per line and writes one response per line.")
}

func runFlow(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printFlowHelp(e.stderr)
		if len(args) == 0 {
			return usageError("name a subcommand")
		}
		return flag.ErrHelp
	}
	return fileErrors(e, flowSub(ctx, e, args[0], args[1:]))
}

// fileErrors prints the problems of flow files one a line (the error printer would
// keep them on one) and returns a short error in their place.
func fileErrors(e *env, err error) error {
	var fe flow.FileErrors
	if !errors.As(err, &fe) {
		return err
	}
	for _, p := range fe {
		safetext.Fprintln(e.stderr, p.Error())
	}
	if len(fe) == 1 {
		return errors.New("1 problem in the flow files")
	}
	return fmt.Errorf("%d problems in the flow files", len(fe))
}

func flowSub(ctx context.Context, e *env, sub string, rest []string) error {
	switch sub {
	case "list":
		return flowList(e, rest)
	case "show":
		return flowShow(e, rest)
	case "validate":
		return flowValidate(e, rest)
	case "export":
		return flowExport(e, rest)
	case "run":
		return flowRun(ctx, e, rest)
	case "test":
		return flowTest(ctx, e, rest)
	case "schema":
		_, err := e.stdout.Write(flow.SchemaJSON)
		return err
	}
	printFlowHelp(e.stderr)
	return usageError("unknown subcommand %q", sub)
}

// flowRegistry is the built-ins, the files of dir, and the files named (added last,
// so that a test file's flows can run each other).
func flowRegistry(dir string, files ...string) (*flow.Registry, []*flow.Flow, error) {
	r, err := flow.Builtins()
	if err != nil {
		return nil, nil, err
	}
	if dir != "" {
		if err := r.LoadDir(dir); err != nil {
			return nil, nil, err
		}
	}
	var named, added []*flow.Flow
	for _, f := range files {
		fl, err := flow.ParseFile(f)
		if err != nil {
			return nil, nil, err
		}
		// A built-in's exported file, unchanged, is that built-in.
		if old, err := r.Get(fl.ID); err == nil && old.ETag == fl.ETag {
			named = append(named, old)
			continue
		}
		named, added = append(named, fl), append(added, fl)
	}
	if err := r.Add(added...); err != nil {
		return nil, nil, err
	}
	return r, named, nil
}

// flowByRef is a flow named by id, or by a file path (anything with a / or a flow
// file's extension).
func flowByRef(dir, ref string) (*flow.Registry, *flow.Flow, error) {
	if strings.ContainsRune(ref, os.PathSeparator) || flow.IsFlowFile(ref) {
		r, named, err := flowRegistry(dir, ref)
		if err != nil {
			return nil, nil, err
		}
		return r, named[0], nil
	}
	r, _, err := flowRegistry(dir)
	if err != nil {
		return nil, nil, err
	}
	f, err := r.Get(ref)
	if err != nil {
		return nil, nil, usageError("%v (otpair flow list shows them)", err)
	}
	return r, f, nil
}

func flowList(e *env, args []string) error {
	fs := newFlagSet(e, "flow list", "[--flows DIR] [--json]")
	dir := fs.String("flows", "", "also the flow files of this folder")
	asJSON := fs.Bool("json", false, "print JSON: [{id, name, description, builtin, file}]")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("flow list takes no arguments")
	}
	r, _, err := flowRegistry(*dir)
	if err != nil {
		return err
	}
	type item struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Builtin     bool   `json:"builtin"`
		File        string `json:"file"`
	}
	var out []item
	for _, f := range r.List() {
		out = append(out, item{f.ID, f.Name, f.Description, f.Builtin, f.File})
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	for _, it := range out {
		where := "built in"
		if !it.Builtin {
			where = it.File
		}
		safetext.Fprintf(e.stdout, "%-22s %-32s %s\n", it.ID, it.Name, where)
	}
	return nil
}

func flowShow(e *env, args []string) error {
	fs := newFlagSet(e, "flow show", "[--flows DIR] ID|FILE")
	dir := fs.String("flows", "", "also the flow files of this folder")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("flow show takes one flow id or file")
	}
	_, f, err := flowByRef(*dir, pos[0])
	if err != nil {
		return err
	}
	w := e.stdout
	safetext.Fprintf(w, "%s: %s\n", f.ID, f.Name)
	if f.Description != "" {
		safetext.Fprintf(w, "  %s\n", f.Description)
	}
	safetext.Fprintf(w, "start: %s\n\n", f.Start)
	for _, id := range f.Order {
		s := f.Steps[id]
		what := s.Kind.String()
		switch s.Kind {
		case flow.KindAction:
			what = "action " + s.Action.Name
			if s.Action.ErrorVar != "" {
				what += ", errors to " + s.Action.ErrorVar
			}
		case flow.KindSubFlow:
			what = "flow " + s.SubFlow.ID
		case flow.KindScreen:
			var inputs []string
			for _, n := range s.Screen.Nodes {
				if n.Type == flow.NodeInput {
					inputs = append(inputs, n.Name)
				}
			}
			what = "screen"
			if len(inputs) > 0 {
				what += " (" + strings.Join(inputs, ", ") + ")"
			}
		}
		safetext.Fprintf(w, "%-16s %s", id, what)
		if s.Name != id {
			safetext.Fprintf(w, "  %q", s.Name)
		}
		safetext.Fprintln(w)
		keys := make([]string, 0, len(s.Next))
		for k := range s.Next {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			safetext.Fprintf(w, "    %s -> %s\n", k, s.Next[k])
		}
		for _, b := range s.Condition {
			if b.When == nil {
				safetext.Fprintf(w, "    else -> %s\n", b.Goto)
			} else {
				safetext.Fprintf(w, "    when %s -> %s\n", b.When.Src, b.Goto)
			}
		}
	}
	if len(f.Tests) > 0 {
		safetext.Fprintf(w, "\n%d tests:\n", len(f.Tests))
		for _, tc := range f.Tests {
			safetext.Fprintf(w, "  - %s\n", tc.Name)
		}
	}
	return nil
}

func flowValidate(e *env, args []string) error {
	fs := newFlagSet(e, "flow validate", "[--flows DIR] FILE...")
	dir := fs.String("flows", "", "the folder of flows these may run as sub-flows")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("flow validate takes one or more files")
	}
	bad := 0
	var good []*flow.Flow
	for _, p := range pos {
		f, err := flow.ParseFile(p)
		if err != nil {
			bad++
			fileErrors(e, err)
			continue
		}
		good = append(good, f)
	}
	if len(good) > 0 {
		r, _, err := flowRegistry(*dir)
		if err != nil {
			return err
		}
		var add []*flow.Flow
		for _, f := range good {
			if old, err := r.Get(f.ID); err != nil || old.ETag != f.ETag { // an unchanged built-in is itself
				add = append(add, f)
			}
		}
		if err := r.Add(add...); err != nil {
			return err
		}
		for _, f := range good {
			safetext.Fprintf(e.stdout, "ok %s: %s, %d steps, %d tests\n", f.File, f.ID, len(f.Steps), len(f.Tests))
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d files are not valid flows", bad, len(pos))
	}
	return nil
}

func flowExport(e *env, args []string) error {
	fs := newFlagSet(e, "flow export", "[--flows DIR] [--format yaml|json] ID")
	dir := fs.String("flows", "", "also the flow files of this folder")
	format := fs.String("format", "yaml", "yaml: the file as it is; json: the flow as a JSON object")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("flow export takes one flow id")
	}
	_, f, err := flowByRef(*dir, pos[0])
	if err != nil {
		return err
	}
	switch *format {
	case "yaml":
		_, err := e.stdout.Write(f.Source)
		return err
	case "json":
		var v any
		if err := yaml.Unmarshal(f.Source, &v); err != nil {
			return err
		}
		return writeJSON(e.stdout, v)
	}
	return usageError("--format: want yaml or json, got %q", *format)
}

// flowInputs is --input k=v, repeatable.
type flowInputs map[string]any

func (f flowInputs) String() string { return "" }

// Set implements flag.Value.
func (f flowInputs) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	f[k] = v
	return nil
}

// engineFor builds an engine on the backend the flags name, with its executions in
// memory (a run is one process).
func engineFor(ctx context.Context, e *env, bf backendFlags, flows *flow.Registry) (*flow.Engine, func(), error) {
	b, closeFn, err := openBackend(ctx, e, bf)
	if err != nil {
		return nil, nil, err
	}
	eng, err := flow.New(flow.Options{Backend: b, Flows: flows, StateKey: verifier.NewSeedKey(), Clock: e.now})
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return eng, closeFn, nil
}

func flowRun(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "flow run", "[--backend local|URL] [--input NAME=VALUE]... [--json] ID|FILE")
	var bf backendFlags
	bf.register(fs, true)
	dir := fs.String("flows", "", "also the flow files of this folder")
	inputs := flowInputs{}
	fs.Var(inputs, "input", "a start input, NAME=VALUE (repeatable): --input loginId=alice@example.com")
	asJSON := fs.Bool("json", false, "scriptable: one JSON response per line on stdout, one {\"interactionId\", \"input\"} per line on stdin")
	refresh := fs.String("refresh-token", "", "the signed-in user's refresh token, for update and delete flows (default $"+envRefreshToken+")")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("flow run takes one flow id or file")
	}
	if !*asJSON && !(isTerminal(e.stdin) && isTerminal(e.stdout)) {
		return usageError("flow run needs a terminal, or --json for scripts")
	}
	reg, f, err := flowByRef(*dir, pos[0])
	if err != nil {
		return err
	}
	eng, closeFn, err := engineFor(ctx, e, bf, reg)
	if err != nil {
		return err
	}
	defer closeFn()
	tok := firstNonEmpty(*refresh, e.getenv(envRefreshToken))
	resp, err := eng.Start(ctx, flow.StartRequest{FlowID: f.ID, Input: inputs, RefreshJWT: tok})
	if err != nil {
		return err
	}
	if *asJSON {
		return flowRunJSON(ctx, e, eng, resp, tok)
	}
	return flowRunInteractive(ctx, e, eng, resp, tok)
}

// flowRunJSON is the scriptable loop.
func flowRunJSON(ctx context.Context, e *env, eng *flow.Engine, resp *flow.Response, tok string) error {
	in := bufio.NewScanner(e.stdin)
	in.Buffer(make([]byte, 64<<10), 64<<10)
	for {
		if err := writeJSONLine(e.stdout, flowResponseJSON(resp)); err != nil {
			return err
		}
		if resp.Status != flow.StatusWaiting {
			if resp.Status == flow.StatusFailed {
				return fmt.Errorf("the flow failed: %s", resp.Error.Text)
			}
			return nil
		}
		more, _ := readOrCancel(ctx, func() (bool, error) { return in.Scan(), nil })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !more {
			if err := in.Err(); err != nil {
				return err
			}
			return errors.New("stdin ended while the flow waits on a screen")
		}
		var sub struct {
			InteractionID string         `json:"interactionId"`
			Input         map[string]any `json:"input"`
		}
		if err := json.Unmarshal(in.Bytes(), &sub); err != nil {
			return fmt.Errorf("stdin: want {\"interactionId\": ID, \"input\": {…}} per line: %w", err)
		}
		next, err := eng.Next(ctx, flow.NextRequest{ExecutionID: resp.ExecutionID, StepID: resp.StepID, InteractionID: sub.InteractionID, Input: sub.Input, RefreshJWT: tok})
		if err != nil {
			return err
		}
		resp = next
	}
}

// writeJSONLine is writeJSON on one line, for the JSON-lines output of `flow run --json`.
func writeJSONLine(w io.Writer, v any) error {
	var indented, line bytes.Buffer
	if err := writeJSON(&indented, v); err != nil {
		return err
	}
	if err := json.Compact(&line, indented.Bytes()); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	line.WriteByte('\n')
	_, err := w.Write(line.Bytes())
	return err
}

// flowJSON is one response of `flow run --json` (stable).
type flowJSON struct {
	ExecutionID string           `json:"executionId"`
	StepID      string           `json:"stepId,omitempty"`
	Status      string           `json:"status"`
	Screen      *flowScreenJSON  `json:"screen,omitempty"`
	Error       *flowErrorJSON   `json:"error,omitempty"`
	Output      map[string]any   `json:"output,omitempty"`
	Session     *flowSessionJSON `json:"session,omitempty"`
	Trace       []flowTraceJSON  `json:"trace"`
}

type flowScreenJSON struct {
	ID    string          `json:"id"`
	Title string          `json:"title,omitempty"`
	Nodes []flow.NodeView `json:"nodes"`
	State map[string]any  `json:"state"`
}

type flowErrorJSON struct {
	Type string `json:"type"`
	Text string `json:"text"`
	Code string `json:"code"`
	Step string `json:"step"`
}

type flowSessionJSON struct {
	SessionJWT string `json:"sessionJwt"`
	RefreshJWT string `json:"refreshJwt"`
	Subject    string `json:"sub"`
	LoginID    string `json:"loginId"`
	FirstSeen  bool   `json:"firstSeen"`
}

type flowTraceJSON struct {
	Flow    string         `json:"flow"`
	Step    string         `json:"step"`
	Kind    string         `json:"kind"`
	Outcome string         `json:"outcome"`
	To      string         `json:"to,omitempty"`
	Error   *flowErrorJSON `json:"error,omitempty"`
}

func errJSON(e *flow.StepError) *flowErrorJSON {
	if e == nil {
		return nil
	}
	return &flowErrorJSON{Type: e.Type, Text: e.Text, Code: e.Code, Step: e.Step}
}

func flowResponseJSON(r *flow.Response) flowJSON {
	out := flowJSON{ExecutionID: r.ExecutionID, StepID: r.StepID, Status: string(r.Status), Error: errJSON(r.Error), Output: r.Output, Trace: []flowTraceJSON{}}
	if r.Screen != nil {
		out.Screen = &flowScreenJSON{ID: r.Screen.ID, Title: r.Screen.Title, Nodes: r.Screen.Nodes, State: r.Screen.State}
	}
	if s := r.Session; s != nil {
		out.Session = &flowSessionJSON{SessionJWT: s.SessionJWT, RefreshJWT: s.RefreshJWT, Subject: s.SessionClaims.Subject, LoginID: s.User.LoginID, FirstSeen: s.FirstSeen}
	}
	for _, t := range r.Trace {
		out.Trace = append(out.Trace, flowTraceJSON{Flow: t.Flow, Step: t.Step, Kind: t.Kind.String(), Outcome: t.Outcome, To: t.To, Error: errJSON(t.Err)})
	}
	return out
}
