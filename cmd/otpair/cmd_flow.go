package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	yaml "go.yaml.in/yaml/v3"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow"
)

func init() {
	registerCmd(groupVerifier, newFlowCmd)
}

// flowHelp is what `otpair flow help` says beside the list of its subcommands.
const flowHelp = `run and test take --backend local|URL (test: a throwaway local backend by default;
against otpair serve --frozen-clock TIME, test --frozen-clock TIME never waits for a step).
run --json reads one {"interactionId": ID, "input": {…}} per line and writes one response per line.

--json output (stable):
  list  [{id, name, description, builtin, file}]
  run   one line per response: {executionId, stepId, status, screen, error, output, session, trace}`

func newFlowCmd(e *env) *cobra.Command {
	c := newGroup(e, "flow", "flows: list, show, validate, export, run and test them", flowHelp, "subcommand")
	c.AddCommand(newFlowListCmd(e), newFlowShowCmd(e), newFlowValidateCmd(e), newFlowExportCmd(e),
		newFlowRunCmd(e), newFlowTestCmd(e), &cobra.Command{
			Use: "schema", Short: "print the JSON Schema of flow files", Args: noArgs,
			RunE: func(*cobra.Command, []string) error {
				_, err := e.stdout.Write(flow.SchemaJSON)
				return err
			},
		})
	return c
}

// flowDirFlag adds --flows DIR to c, completed as a folder.
func flowDirFlag(c *cobra.Command, p *string, usage string) {
	c.Flags().StringVar(p, "flows", "", usage)
	_ = c.MarkFlagDirname("flows")
}

// completeFlowIDs completes a flow id (of the built-ins and --flows DIR) or a flow
// file, as the first argument only.
func completeFlowIDs(dir *string) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		r, _, err := flowRegistry(*dir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveDefault
		}
		var out []cobra.Completion
		for _, f := range r.List() {
			out = append(out, cobra.CompletionWithDesc(f.ID, f.Name))
		}
		return out, cobra.ShellCompDirectiveDefault // a file works too
	}
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

func newFlowListCmd(e *env) *cobra.Command {
	var dir string
	var asJSON bool
	c := &cobra.Command{
		Use: "list", Short: "the built-in flows and those of --flows DIR",
		Args: nArgs(0, 0, "flow list takes no arguments"),
		RunE: func(*cobra.Command, []string) error { return fileErrors(e, flowList(e, dir, asJSON)) },
	}
	flowDirFlag(c, &dir, "also the flow files of this `DIR`")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON: [{id, name, description, builtin, file}]")
	return c
}

func flowList(e *env, dir string, asJSON bool) error {
	r, _, err := flowRegistry(dir)
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
	if asJSON {
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

func newFlowShowCmd(e *env) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use: "show ID|FILE", Short: "a flow's steps, where each goes, and its tests",
		Args:              nArgs(1, 1, "flow show takes one flow id or file"),
		ValidArgsFunction: completeFlowIDs(&dir),
		RunE:              func(_ *cobra.Command, pos []string) error { return fileErrors(e, flowShow(e, dir, pos[0])) },
	}
	flowDirFlag(c, &dir, "also the flow files of this `DIR`")
	return c
}

func flowShow(e *env, dir, ref string) error {
	_, f, err := flowByRef(dir, ref)
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

func newFlowValidateCmd(e *env) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use: "validate FILE...", Short: "check flow files; every problem at file:line:column (exit 1 on any)",
		Args: nArgs(1, -1, "flow validate takes one or more files"),
		RunE: func(_ *cobra.Command, pos []string) error { return fileErrors(e, flowValidate(e, dir, pos)) },
	}
	flowDirFlag(c, &dir, "the `DIR` of flows these may run as sub-flows")
	return c
}

func flowValidate(e *env, dir string, pos []string) error {
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
		r, _, err := flowRegistry(dir)
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

func newFlowExportCmd(e *env) *cobra.Command {
	var dir, format string
	c := &cobra.Command{
		Use: "export ID", Short: "write a flow's file (a built-in's as embedded; --format json: the dsl object)",
		Args:              nArgs(1, 1, "flow export takes one flow id"),
		ValidArgsFunction: completeFlowIDs(&dir),
		RunE:              func(_ *cobra.Command, pos []string) error { return fileErrors(e, flowExport(e, dir, format, pos[0])) },
	}
	flowDirFlag(c, &dir, "also the flow files of this `DIR`")
	enumFlag(c, &format, "format", "yaml", []string{"yaml", "json"}, "yaml: the file as it is; json: the flow as a JSON object")
	return c
}

func flowExport(e *env, dir, format, ref string) error {
	_, f, err := flowByRef(dir, ref)
	if err != nil {
		return err
	}
	if format == "json" {
		var v any
		if err := yaml.Unmarshal(f.Source, &v); err != nil {
			return err
		}
		return writeJSON(e.stdout, v)
	}
	_, err = e.stdout.Write(f.Source)
	return err
}

// flowInputs is --input k=v, repeatable.
type flowInputs map[string]any

func (f flowInputs) String() string { return "" }

// Type implements pflag.Value: the placeholder in the help.
func (f flowInputs) Type() string { return "NAME=VALUE" }

// Set implements pflag.Value.
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

// flowRunOpts are the flags of `otpair flow run`.
type flowRunOpts struct {
	bf      backendFlags
	dir     string
	inputs  flowInputs
	asJSON  bool
	refresh string
}

func newFlowRunCmd(e *env) *cobra.Command {
	o := flowRunOpts{inputs: flowInputs{}}
	c := &cobra.Command{
		Use: "run ID|FILE", Short: "run a flow: interactive on a terminal, or --json lines on stdin and stdout",
		Args:              nArgs(1, 1, "flow run takes one flow id or file"),
		ValidArgsFunction: completeFlowIDs(&o.dir),
		RunE: func(c *cobra.Command, pos []string) error {
			return fileErrors(e, flowRun(c.Context(), e, o, pos[0]))
		},
	}
	o.bf.registerBackend(c)
	o.bf.register(c.Flags(), true)
	flowDirFlag(c, &o.dir, "also the flow files of this `DIR`")
	c.Flags().Var(o.inputs, "input", "a start input (repeatable): --input loginId=alice@example.com")
	c.Flags().BoolVar(&o.asJSON, "json", false, "scriptable: one JSON response per line on stdout, one {\"interactionId\", \"input\"} per line on stdin")
	c.Flags().StringVar(&o.refresh, "refresh-token", "", "the signed-in user's refresh `TOKEN`, for update and delete flows (default $"+envRefreshToken+")")
	completeBackendFlags(c)
	return c
}

func flowRun(ctx context.Context, e *env, o flowRunOpts, ref string) error {
	if !o.asJSON && !(isTerminal(e.stdin) && isTerminal(e.stdout)) {
		return usageError("flow run needs a terminal, or --json for scripts")
	}
	reg, f, err := flowByRef(o.dir, ref)
	if err != nil {
		return err
	}
	eng, closeFn, err := engineFor(ctx, e, o.bf, reg)
	if err != nil {
		return err
	}
	defer closeFn()
	tok := firstNonEmpty(o.refresh, e.getenv(envRefreshToken))
	resp, err := eng.Start(ctx, flow.StartRequest{FlowID: f.ID, Input: o.inputs, RefreshJWT: tok})
	if err != nil {
		return err
	}
	if o.asJSON {
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
