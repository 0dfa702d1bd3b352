package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/otpair/otpair/verifier/flow"
)

// Descope's flow API (research/flows.md §1): POST /v1/flow/start and /v1/flow/next, so
// the SDKs' flow.start and flow.next drive otpair's flows, and the management list and
// export.

// Flow error codes.
const (
	CodeFlowTimedOut = "E103205" // unknown or expired execution: the web component restarts the flow
	CodeFlowStale    = "E103204" // not the current step: taken by another call, or the execution ended
	CodeFlowChanged  = "E102004" // the flow's file changed since the execution started
)

// flowStartRequest is the body of /v1/flow/start as core-js-sdk 2.66 sends it.
type flowStartRequest struct {
	FlowID                 string          `json:"flowId"`
	Options                json.RawMessage `json:"options,omitempty"` // redirectUrl, tenant, … accepted, ignored
	ConditionInteractionID string          `json:"conditionInteractionId,omitempty"`
	InteractionID          string          `json:"interactionId,omitempty"`
	ComponentsVersion      string          `json:"componentsVersion,omitempty"`
	FlowVersions           json.RawMessage `json:"flowVersions,omitempty"`
	Input                  map[string]any  `json:"input,omitempty"`
	IsCustomScreen         bool            `json:"isCustomScreen,omitempty"`
}

// flowNextRequest is the body of /v1/flow/next.
type flowNextRequest struct {
	ExecutionID       string          `json:"executionId"`
	StepID            string          `json:"stepId"`
	InteractionID     string          `json:"interactionId"`
	Version           *int            `json:"version,omitempty"`
	ComponentsVersion string          `json:"componentsVersion,omitempty"`
	Input             map[string]any  `json:"input,omitempty"`
	IsCustomScreen    bool            `json:"isCustomScreen,omitempty"`
	Options           json.RawMessage `json:"options,omitempty"` // core-js-sdk 2.71 sends it; ignored
}

// flowResponse is Descope's FlowResponse.
type flowResponse struct {
	ExecutionID string         `json:"executionId"`
	StepID      string         `json:"stepId,omitempty"`
	StepName    string         `json:"stepName,omitempty"`
	Status      string         `json:"status"`
	Action      string         `json:"action"` // screen while waiting, none when ended
	Screen      *flowScreen    `json:"screen,omitempty"`
	Error       *flowError     `json:"error,omitempty"`
	AuthInfo    *jwtResponse   `json:"authInfo,omitempty"`
	LastAuth    *flowLastAuth  `json:"lastAuth,omitempty"`
	Output      map[string]any `json:"output,omitempty"`
}

// flowScreen is the screen: Descope's id, state and componentsConfig, and otpair's
// title and nodes, for clients that draw screens of their own (isCustomScreen).
type flowScreen struct {
	ID               string          `json:"id"`
	State            map[string]any  `json:"state"`
	ComponentsConfig map[string]any  `json:"componentsConfig"`
	Title            string          `json:"title,omitempty"`
	Nodes            []flow.NodeView `json:"nodes,omitempty"`
}

type flowError struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Message     string `json:"message"`
}

type flowLastAuth struct {
	AuthMethod string `json:"authMethod"`
}

func (s *Server) flowStart(r *http.Request, c call) (any, error) {
	if err := s.flowStarts.allow(r, s.now()); err != nil { // each start stores an execution
		return nil, err
	}
	var req flowStartRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := required("flowId", req.FlowID); err != nil {
		return nil, err
	}
	resp, err := s.flows.Start(r.Context(), flow.StartRequest{FlowID: req.FlowID, Input: req.Input, RefreshJWT: c.jwt})
	if err != nil {
		return nil, flowErr(err)
	}
	return s.flowResponseOf(resp), nil
}

func (s *Server) flowNext(r *http.Request, c call) (any, error) {
	var req flowNextRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"executionId", req.ExecutionID}, {"stepId", req.StepID}, {"interactionId", req.InteractionID}} {
		if err := required(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	resp, err := s.flows.Next(r.Context(), flow.NextRequest{ExecutionID: req.ExecutionID, StepID: req.StepID,
		InteractionID: req.InteractionID, Input: req.Input, RefreshJWT: c.jwt})
	if err != nil {
		return nil, flowErr(err)
	}
	return s.flowResponseOf(resp), nil
}

// flowErr maps the engine's refusals to 400 JSON errors; anything else stays as it is.
func flowErr(err error) error {
	switch {
	case errors.Is(err, flow.ErrExecutionExpired):
		return apiErr(http.StatusBadRequest, CodeFlowTimedOut, "Flow timed out", "the flow execution expired or does not exist: start the flow again")
	case errors.Is(err, flow.ErrStaleStep):
		return apiErr(http.StatusBadRequest, CodeFlowStale, "Flow step is not current", "this step was already submitted, or the flow ended")
	case errors.Is(err, flow.ErrFlowChanged):
		return apiErr(http.StatusBadRequest, CodeFlowChanged, "Flow version is old", "the flow changed since this execution started: start it again")
	case errors.Is(err, flow.ErrUnknownFlow):
		return apiErr(http.StatusBadRequest, CodeInvalidRequest, "unknown flow", err.Error())
	case errors.Is(err, flow.ErrBadRequest):
		return apiErr(http.StatusBadRequest, CodeInvalidRequest, "bad flow request", err.Error())
	}
	return err
}

func (s *Server) flowResponseOf(r *flow.Response) flowResponse {
	out := flowResponse{ExecutionID: r.ExecutionID, StepID: r.StepID, StepName: r.StepName, Status: string(r.Status), Action: "none"}
	if r.Screen != nil {
		out.Action = "screen"
		out.Screen = &flowScreen{ID: r.Screen.ID, State: r.Screen.State, ComponentsConfig: map[string]any{}, Title: r.Screen.Title, Nodes: r.Screen.Nodes}
	}
	if e := r.Error; e != nil {
		out.Error = &flowError{Code: e.Code, Description: e.Type, Message: e.Text}
	}
	if r.Status == flow.StatusCompleted {
		out.Output = r.Output
		if out.Output == nil {
			out.Output = map[string]any{}
		}
		if r.Session != nil {
			jr := jwtResponseOf(*r.Session, s.now())
			out.AuthInfo, out.LastAuth = &jr, &flowLastAuth{AuthMethod: "totp"}
		}
	}
	return out
}

// flowListResponse is /v1/mgmt/flow/list.
type flowListResponse struct {
	Flows []flowSummary `json:"flows"`
	Total int           `json:"total"`
}

type flowSummary struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Disabled    bool   `json:"disabled"`
	Builtin     bool   `json:"builtin"` // otpair only
}

func (s *Server) flowList(r *http.Request, _ call) (any, error) {
	if r.Method == http.MethodPost {
		var req struct{}
		if err := s.decode(r, &req); err != nil {
			return nil, err
		}
	}
	out := flowListResponse{Flows: []flowSummary{}}
	for _, f := range s.flows.Flows().List() {
		out.Flows = append(out.Flows, flowSummary{ID: f.ID, Name: f.Name, Description: f.Description, Builtin: f.Builtin})
	}
	out.Total = len(out.Flows)
	return out, nil
}

// flowExportResponse is /v1/mgmt/flow/export (the v1 shape): the flow's file as the
// dsl object, and no Descope screens (otpair's screens are in the flow itself).
type flowExportResponse struct {
	Flow    flowExport `json:"flow"`
	Screens []any      `json:"screens"`
}

type flowExport struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	DSL         json.RawMessage `json:"dsl"` // the file, its keys in order (dslJSON)
	Disabled    bool            `json:"disabled"`
	ETag        string          `json:"etag"`
}

func (s *Server) flowExport(r *http.Request, _ call) (any, error) {
	var req struct {
		FlowID string `json:"flowId"`
	}
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	if err := required("flowId", req.FlowID); err != nil {
		return nil, err
	}
	f, err := s.flows.Flows().Get(req.FlowID)
	if err != nil {
		return nil, flowErr(err)
	}
	dsl, err := dslJSON(f.Source)
	if err != nil {
		return nil, err
	}
	return flowExportResponse{Flow: flowExport{ID: f.ID, Name: f.Name, Description: f.Description, DSL: dsl, ETag: f.ETag}, Screens: []any{}}, nil
}
