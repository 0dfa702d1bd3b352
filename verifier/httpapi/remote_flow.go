package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/otpair/otpair/verifier/flow"
)

// RemoteFlows runs flows on a server through its /v1/flow/start and /v1/flow/next, as
// Descope's SDKs do: the executions, the actions and the error policies are the
// server's. It answers with flow.Response, so the TUI drives a server's flows and an
// in-process engine the same way.
//
// A server says which screen an execution waits on and the error it shows, not the
// steps it ran in between (telling a client its branches would tell a stranger which
// users exist), so each Response's Trace is what a client sees: the screen submitted,
// the interaction, and the error the answer shows.
type RemoteFlows struct {
	r     *Remote
	flows *flow.Registry

	mu      sync.Mutex
	waiting map[string]string // execution id → the screen it waits on, for the trace
}

// NewRemoteFlows runs flows on r's server; flows are their graphs, for drawing (see
// Remote.FlowRegistry: with a management key, the server's own).
func NewRemoteFlows(r *Remote, flows *flow.Registry) *RemoteFlows {
	return &RemoteFlows{r: r, flows: flows, waiting: map[string]string{}}
}

// Server names the server the flows run on (its host), for a client to say so.
func (f *RemoteFlows) Server() string { return f.r.base.Host }

// Flows returns the graphs of the flows the server runs.
func (f *RemoteFlows) Flows() *flow.Registry { return f.flows }

// Start starts an execution on the server.
func (f *RemoteFlows) Start(ctx context.Context, req flow.StartRequest) (*flow.Response, error) {
	if req.RefreshJWT != "" {
		if err := checkToken(req.RefreshJWT); err != nil {
			return nil, fmt.Errorf("flow start: %w", err)
		}
	}
	var resp flowResponse
	body := flowStartRequest{FlowID: req.FlowID, Input: req.Input, IsCustomScreen: true}
	if err := f.r.do(ctx, http.MethodPost, "/v1/flow/start", req.RefreshJWT, body, &resp); err != nil {
		return nil, wrapOp("flow start", err)
	}
	return f.response(ctx, resp, nil)
}

// Next submits the screen an execution waits on.
func (f *RemoteFlows) Next(ctx context.Context, req flow.NextRequest) (*flow.Response, error) {
	if req.RefreshJWT != "" {
		if err := checkToken(req.RefreshJWT); err != nil {
			return nil, fmt.Errorf("flow next: %w", err)
		}
	}
	var resp flowResponse
	body := flowNextRequest{ExecutionID: req.ExecutionID, StepID: req.StepID, InteractionID: req.InteractionID,
		Input: req.Input, IsCustomScreen: true}
	if err := f.r.do(ctx, http.MethodPost, "/v1/flow/next", req.RefreshJWT, body, &resp); err != nil {
		return nil, wrapOp("flow next", err)
	}
	f.mu.Lock()
	from := f.waiting[req.ExecutionID]
	f.mu.Unlock()
	hop := &flow.TraceEntry{Step: from, Kind: flow.KindScreen, Outcome: req.InteractionID}
	return f.response(ctx, resp, hop)
}

// response turns the server's answer into a flow.Response, verifying the tokens of a
// completed sign-in against the server's keys. hop is the screen submitted, if any.
func (f *RemoteFlows) response(ctx context.Context, resp flowResponse, hop *flow.TraceEntry) (*flow.Response, error) {
	out := &flow.Response{ExecutionID: resp.ExecutionID, StepID: resp.StepID, StepName: resp.StepName,
		Status: flow.Status(resp.Status), Output: resp.Output}
	switch out.Status {
	case flow.StatusWaiting, flow.StatusCompleted, flow.StatusFailed:
	default:
		return nil, fmt.Errorf("flow: the server answered status %q", resp.Status)
	}
	if e := resp.Error; e != nil {
		out.Error = &flow.StepError{Type: e.Description, Text: e.Message, Code: e.Code}
	}
	if sc := resp.Screen; sc != nil {
		out.Screen = &flow.ScreenView{ID: sc.ID, Title: sc.Title, Nodes: sc.Nodes, State: sc.State}
		if out.Screen.State == nil {
			out.Screen.State = map[string]any{}
		}
		if text, _ := sc.State["errorText"].(string); text != "" {
			typ, _ := sc.State["errorType"].(string)
			out.Error = &flow.StepError{Type: typ, Text: text, Step: sc.ID}
		}
	}
	if out.Status == flow.StatusWaiting && out.Screen == nil {
		return nil, fmt.Errorf("flow: the server's answer waits on no screen")
	}
	if resp.AuthInfo != nil {
		s, err := f.r.session(ctx, *resp.AuthInfo, "")
		if err != nil {
			return nil, fmt.Errorf("flow: %w", err)
		}
		out.Session = &s
	}
	if hop != nil && hop.Step != "" {
		// Where the server went from there is its own: the hop ends at the screen
		// submitted, and the answer says which screen the execution waits on now.
		hop.Err = out.Error
		out.Trace = []flow.TraceEntry{*hop}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if out.Status == flow.StatusWaiting {
		f.waiting[out.ExecutionID] = out.Screen.ID
	} else {
		delete(f.waiting, out.ExecutionID)
	}
	return out, nil
}

// FlowRegistry reads the flows the server runs, through /v1/mgmt/flow/list and
// /v1/mgmt/flow/export (a management call): the built-ins it serves unchanged are
// this build's, and each other flow is parsed from its export, so that a client
// draws the server's graphs.
func (r *Remote) FlowRegistry(ctx context.Context) (*flow.Registry, error) {
	var list flowListResponse
	if err := r.mgmt(ctx, http.MethodPost, "/v1/mgmt/flow/list", struct{}{}, &list); err != nil {
		return nil, wrapOp("flow list", err)
	}
	reg, err := flow.Builtins()
	if err != nil {
		return nil, err
	}
	var served []*flow.Flow
	for _, s := range list.Flows {
		var exp flowExportResponse
		if err := r.mgmt(ctx, http.MethodPost, "/v1/mgmt/flow/export", map[string]string{"flowId": s.ID}, &exp); err != nil {
			return nil, wrapOp("flow export "+s.ID, err)
		}
		if b, err := reg.Get(s.ID); err == nil && b.ETag == exp.Flow.ETag {
			continue // a built-in, unchanged
		}
		// The dsl is the file as JSON, its keys in order (dslJSON): JSON is YAML.
		fl, err := flow.Parse(r.base.Host+"/"+s.ID, exp.Flow.DSL)
		if err != nil {
			return nil, fmt.Errorf("flow export %s: %w", s.ID, err)
		}
		served = append(served, fl)
	}
	// A server's flow may not take a built-in's id (its registry refuses that too).
	if err := reg.Add(served...); err != nil {
		return nil, fmt.Errorf("the server's flows: %w", err)
	}
	return reg, nil
}
