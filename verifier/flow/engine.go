package flow

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/flow/execstore"
)

// Defaults of Options.
const (
	DefaultTTL        = 30 * time.Minute // an execution's life after its last step
	DefaultPurgeEvery = time.Minute
	// maxTransitions bounds the steps one call runs before it waits on a screen or
	// ends, so a loop of conditions and actions cannot spin.
	maxTransitions = 100
	maxSubFlows    = 8
	maxInputs      = 32
	maxInputLen    = 1024
)

// The errors of Start and Next that are not the flow's own (those come back in the
// Response): the server answers them with 400.
var (
	// ErrExecutionExpired: no such execution, or it expired (E103205).
	ErrExecutionExpired = errors.New("flow execution expired or unknown")
	// ErrStaleStep: the step is not current (taken by another call, or the execution
	// finished) (400).
	ErrStaleStep = errors.New("not the current step of the flow execution")
	// ErrBadRequest: a malformed start or next (400).
	ErrBadRequest = errors.New("bad flow request")
	// ErrFlowChanged: the flow's file changed since the execution started (E102004).
	ErrFlowChanged = errors.New("the flow changed since the execution started")
)

// Options configure an Engine.
type Options struct {
	Backend verifier.Backend
	Flows   *Registry       // default: the built-ins
	Store   execstore.Store // default: a MemoryStore
	// StateKey (32 bytes or more) seals execution states; instances that share a
	// database must share it (otpair serve derives it from the seed key).
	StateKey   []byte
	Clock      verifier.Clock
	TTL        time.Duration
	PurgeEvery time.Duration
}

// Engine runs flows. It is safe for concurrent use; several engines (in several
// processes) on one Store continue each other's executions.
type Engine struct {
	b         verifier.Backend
	flows     *Registry
	st        execstore.Store
	seal      *sealer
	now       verifier.Clock
	ttl       time.Duration
	purge     time.Duration
	lastPurge atomic.Int64 // unix ms of the last purge
}

// New builds an engine.
func New(opts Options) (*Engine, error) {
	if opts.Backend == nil {
		return nil, errors.New("flow engine: no backend")
	}
	if opts.Flows == nil {
		r, err := Builtins()
		if err != nil {
			return nil, err
		}
		opts.Flows = r
	}
	if opts.Store == nil {
		opts.Store = execstore.NewMemoryStore()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.PurgeEvery <= 0 {
		opts.PurgeEvery = DefaultPurgeEvery
	}
	seal, err := newSealer(opts.StateKey)
	if err != nil {
		return nil, err
	}
	return &Engine{b: opts.Backend, flows: opts.Flows, st: opts.Store, seal: seal, now: opts.Clock, ttl: opts.TTL, purge: opts.PurgeEvery}, nil
}

// Flows is the engine's registry.
func (e *Engine) Flows() *Registry { return e.flows }

// Backend is the backend the engine's actions call.
func (e *Engine) Backend() verifier.Backend { return e.b }

// StartRequest starts an execution.
type StartRequest struct {
	FlowID string
	Input  map[string]any // becomes the form: loginId skips the screen that asks for it
	// RefreshJWT is the caller's refresh token (Bearer <pid>:<refreshJwt>), for
	// flows that act for a signed-in user. It is never stored.
	RefreshJWT string
}

// NextRequest submits the screen an execution waits on.
type NextRequest struct {
	ExecutionID   string
	StepID        string
	InteractionID string
	Input         map[string]any
	RefreshJWT    string
}

// Start starts an execution of a flow and runs it to its first screen or its end.
func (e *Engine) Start(ctx context.Context, req StartRequest) (*Response, error) {
	f, err := e.flows.Get(req.FlowID)
	if err != nil {
		return nil, err
	}
	form, err := cleanInput(req.Input)
	if err != nil {
		return nil, err
	}
	now := e.now()
	e.maybePurge(ctx, now)
	st := &state{Flow: f.ID, ETag: f.ETag, Vars: map[string]any{VarForm: form, VarFlow: flowVar(f)}}
	rc := &run{e: e, f: f, st: st, refresh: req.RefreshJWT, id: "EX" + rand.Text()}
	if err := rc.from(ctx, f.Start); err != nil {
		return nil, err
	}
	if rc.resp.Status == StatusWaiting {
		sealed, err := e.seal.seal(rc.id, rc.stored())
		if err != nil {
			return nil, err
		}
		if err := e.st.CreateExecution(ctx, rc.id, sealed, now.Add(e.ttl), now); err != nil {
			return nil, fmt.Errorf("start flow: %w", err)
		}
	}
	return rc.response(1), nil
}

// Next submits the screen of step StepID. The step is claimed before anything runs:
// of several calls for one step one goes on and the others get ErrStaleStep.
func (e *Engine) Next(ctx context.Context, req NextRequest) (*Response, error) {
	seq, err := strconv.ParseInt(req.StepID, 10, 64)
	if err != nil || seq < 1 || req.ExecutionID == "" || len(req.ExecutionID) > 64 {
		return nil, fmt.Errorf("%w: executionId and a stepId from the last response are required", ErrBadRequest)
	}
	if req.InteractionID == "" {
		return nil, fmt.Errorf("%w: interactionId is required", ErrBadRequest)
	}
	input, err := cleanInput(req.Input)
	if err != nil {
		return nil, err
	}
	now := e.now()
	sealed, err := e.st.ClaimExecution(ctx, req.ExecutionID, seq, now)
	switch {
	case errors.Is(err, execstore.ErrNotFound), errors.Is(err, execstore.ErrExpired):
		return nil, fmt.Errorf("%w: %w", ErrExecutionExpired, err)
	case errors.Is(err, execstore.ErrStepTaken):
		return nil, fmt.Errorf("%w: %w", ErrStaleStep, err)
	case err != nil:
		return nil, fmt.Errorf("next flow step: %w", err)
	}
	st, err := e.seal.open(req.ExecutionID, sealed)
	if err != nil {
		return nil, fmt.Errorf("next flow step: %w", err)
	}
	f, err := e.flows.Get(st.Flow)
	if err != nil || f.ETag != st.ETag {
		return nil, fmt.Errorf("%w: %s", ErrFlowChanged, st.Flow)
	}
	rc := &run{e: e, f: f, st: st, refresh: req.RefreshJWT, id: req.ExecutionID}
	if err := rc.submit(ctx, req.InteractionID, input); err != nil {
		return nil, err
	}
	if rc.resp.Status == StatusWaiting {
		sealed, err := e.seal.seal(rc.id, rc.stored())
		if err != nil {
			return nil, err
		}
		if err := e.st.SaveExecution(ctx, rc.id, seq, sealed, now.Add(e.ttl), now); err != nil {
			return nil, fmt.Errorf("next flow step: %w", err)
		}
	}
	return rc.response(seq + 1), nil
}

// maybePurge deletes expired executions at most once per PurgeEvery (the first caller
// after the interval does it; a failure is retried next time).
func (e *Engine) maybePurge(ctx context.Context, now time.Time) {
	last := e.lastPurge.Load()
	if now.UnixMilli()-last < e.purge.Milliseconds() || !e.lastPurge.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	if _, err := e.st.PurgeExecutions(ctx, now); err != nil {
		e.lastPurge.Store(last)
	}
}

// Purge deletes every execution expired now.
func (e *Engine) Purge(ctx context.Context) (int64, error) {
	return e.st.PurgeExecutions(ctx, e.now())
}

func flowVar(f *Flow) map[string]any { return map[string]any{"id": f.ID, "name": f.Name} }

// cleanInput checks an input map: a few flat values, strings, numbers or booleans
// (kept as given), no objects; at most maxInputs of at most maxInputLen bytes.
func cleanInput(in map[string]any) (map[string]any, error) {
	if len(in) > maxInputs {
		return nil, fmt.Errorf("%w: more than %d inputs", ErrBadRequest, maxInputs)
	}
	out := make(map[string]any, len(in)+2)
	for k, v := range in {
		if k == "" || len(k) > 64 {
			return nil, fmt.Errorf("%w: an input name is empty or longer than 64 bytes", ErrBadRequest)
		}
		switch v := v.(type) {
		case string:
			if len(v) > maxInputLen {
				return nil, fmt.Errorf("%w: input %q is longer than %d bytes", ErrBadRequest, k, maxInputLen)
			}
			out[k] = v
		case bool, float64, int, int64, nil:
			out[k] = v
		default:
			return nil, fmt.Errorf("%w: input %q must be a string, number or boolean", ErrBadRequest, k)
		}
	}
	return out, nil
}
