package flow

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
)

// Status is where an execution is, as Descope's FlowResponse says it.
type Status string

// The statuses.
const (
	StatusWaiting   Status = "waiting"   // on a screen: call Next
	StatusCompleted Status = "completed" // ended; Session and Output say how
	StatusFailed    Status = "failed"    // ended by an abort or a failed end; Error says why
)

// Response is what Start and Next answer.
type Response struct {
	ExecutionID string
	StepID      string // what the next Next must send; "" when the execution ended
	StepName    string // the waiting screen's human name
	Status      Status
	Screen      *ScreenView       // when waiting
	Error       *StepError        // the error shown on the screen, or why the execution failed
	Session     *verifier.Session // when completed after a sign-in
	Output      map[string]any    // when completed
	// Trace is every step this call ran, in order, with the branch each took: the
	// TUI's timeline and `otpair flow run` show it.
	Trace []TraceEntry
}

// ScreenView is a screen as shown: the nodes rendered, and Descope's screen.state.
type ScreenView struct {
	ID    string
	Title string
	Nodes []NodeView
	// State is Descope's screen.state: errorText and errorType after an error,
	// totp {image, provisionUrl, key} on an enrolment screen, form (what was typed
	// so far, one-time codes excepted).
	State map[string]any
}

// NodeView is one rendered node.
type NodeView struct {
	Type     string `json:"type"`
	Name     string `json:"name,omitempty"`
	ID       string `json:"id,omitempty"`
	Label    string `json:"label,omitempty"`
	Text     string `json:"text,omitempty"`
	Src      string `json:"src,omitempty"`
	Href     string `json:"href,omitempty"`
	Format   string `json:"format,omitempty"`
	Required bool   `json:"required,omitempty"`
	// TOTP is the enrolment of a totp node: its QR image (base64 PNG), provisioning URL
	// and key, the same as screen.state.totp.
	TOTP *TOTPView `json:"totp,omitempty"`
}

// TOTPView is an enrolment as a screen shows it (screen.state.totp).
type TOTPView struct {
	Image        string `json:"image"` // base64 PNG of the QR code
	ProvisionURL string `json:"provisionUrl"`
	Key          string `json:"key"`
}

// StepError is an error of the flow: shown on a screen (automatic), or why the
// execution failed (abort), or what the error variable holds.
type StepError struct {
	Type string // ErrTypeVerifyFailed and the others, or FlowFailed
	Text string // for people: screen.state.errorText
	Code string // the API error code that fits
	Step string // the step it happened at
}

// TraceEntry is one step a call ran.
type TraceEntry struct {
	Flow    string
	Step    string
	Name    string
	Kind    StepKind
	Outcome string // the interaction submitted, success, "error T", "branch T", goto, end, …
	To      string // the step it went to
	Err     *StepError
}

// render builds the view of screen s on the current variables.
func (rc *run) render(s *Step, serr *StepError) (*ScreenView, error) {
	v := &ScreenView{ID: s.ID, State: map[string]any{}}
	var err error
	if v.Title, err = s.Screen.Title.render(rc.st.Vars); err != nil {
		return nil, err
	}
	for _, n := range s.Screen.Nodes {
		nv := NodeView{Type: n.Type, Name: n.Name, ID: n.ID, Format: n.Format, Required: n.Required}
		for _, p := range []struct {
			t   *Template
			dst *string
		}{{n.Label, &nv.Label}, {n.Text, &nv.Text}, {n.Src, &nv.Src}, {n.Href, &nv.Href}} {
			if *p.dst, err = p.t.render(rc.st.Vars); err != nil {
				return nil, err
			}
		}
		if n.Type == NodeTOTP {
			tv, err := rc.totpView(n)
			if err != nil {
				return nil, err
			}
			nv.TOTP = tv
			v.State["totp"] = map[string]any{"image": tv.Image, "provisionUrl": tv.ProvisionURL, "key": tv.Key}
		}
		v.Nodes = append(v.Nodes, nv)
	}
	if form, ok := rc.st.Vars[VarForm].(map[string]any); ok {
		shown := map[string]any{}
		for k, val := range form {
			if !rc.isOTP(k) && k != "code" {
				shown[k] = val
			}
		}
		if len(shown) > 0 {
			v.State["form"] = shown
		}
	}
	if serr != nil {
		v.State["errorText"], v.State["errorType"] = serr.Text, serr.Type
	}
	return v, nil
}

func (rc *run) isOTP(name string) bool {
	for _, k := range rc.otp {
		if k == name {
			return true
		}
	}
	return false
}

// totpView reads a totp node's enrolment: the image received in this call, else the
// QR code drawn again from the provisioning URL.
func (rc *run) totpView(n Node) (*TOTPView, error) {
	src, err := n.Source.eval(rc.st.Vars)
	if err != nil {
		return nil, err
	}
	en, ok := src.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("totp node: %q is no enrolment", n.Source.Src)
	}
	url, _ := en["provisioningURL"].(string)
	key, _ := en["key"].(string)
	img := rc.images[n.Source.Src]
	if img == nil && url != "" {
		var b bytes.Buffer
		if err := provisioning.WriteQRPNG(&b, url); err != nil {
			return nil, fmt.Errorf("totp node: draw the QR code: %w", err)
		}
		img = b.Bytes()
	}
	return &TOTPView{Image: base64.StdEncoding.EncodeToString(img), ProvisionURL: url, Key: key}, nil
}

// response finishes the call's Response; seq is the step the execution now waits on.
func (rc *run) response(seq int64) *Response {
	r := rc.resp
	r.ExecutionID = rc.id
	if r.Status == StatusWaiting {
		r.StepID = strconv.FormatInt(seq, 10)
		if s := rc.f.Steps[rc.st.Step]; s != nil {
			r.StepName = s.Name
		}
	}
	return &r
}
