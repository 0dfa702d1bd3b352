// Package flow is otpair's flow engine: flows as files (YAML or JSON, checked by an
// embedded JSON Schema and by the engine, errors at file:line:column), the built-in
// TOTP flows (embedded, exportable), and the step logic that the HTTP server
// (/v1/flow/start and /v1/flow/next, Descope's flow API), the TUI and `otpair flow` all
// drive. A flow is a graph of steps: screens (Kratos-style nodes that ask for input),
// actions (TOTP sign-up, sign-in, sign-up-or-in, update, seed deletion, user load, each
// with an error policy and an error variable, as Transmit Mosaic's journey steps have),
// conditions, sub-flows and ends.
//
// The engine calls a verifier.Backend and keeps executions in a Store of its own
// (verifier/sqlite and verifier/postgres implement it beside verifier.Store; MemoryStore
// serves one process). An execution's state is sealed (AES-256-GCM) before it is
// stored: an enrolment's secret may be in it. Each step of an execution advances exactly
// once: Next claims the step with one conditional UPDATE before any action runs, so of
// concurrent calls for one step one runs and the others are refused.
package flow

import (
	"fmt"
	"sort"
	"strings"
)

// Version is the flow file format this package reads (the file's "version").
const Version = 1

// Flow is one parsed, checked flow.
type Flow struct {
	ID          string
	Name        string
	Description string
	Start       string           // the first step
	Steps       map[string]*Step // by id
	Order       []string         // step ids in file order
	Tests       []TestCase
	Builtin     bool   // embedded in otpair
	File        string // where it was read from (the embedded path for built-ins)
	Source      []byte // the file as read, for export
	ETag        string // a short hash of Source
}

// StepKind is what a step does.
type StepKind int

// The kinds of step.
const (
	KindScreen StepKind = iota + 1
	KindAction
	KindCondition
	KindSubFlow
	KindEnd
)

// String implements fmt.Stringer with the key a flow file uses.
func (k StepKind) String() string {
	switch k {
	case KindScreen:
		return "screen"
	case KindAction:
		return "action"
	case KindCondition:
		return "condition"
	case KindSubFlow:
		return "flow"
	case KindEnd:
		return "end"
	}
	return "unknown"
}

// Step is one node of a flow's graph.
type Step struct {
	ID   string
	Name string // the human name (Descope's stepName); the id when the file gives none
	Kind StepKind
	Pos  Pos

	Screen    *Screen
	Action    *Action
	Condition []Branch
	SubFlow   *SubFlow
	End       *End
	// Next maps an interaction id (screens), an outcome ("success", "failure") or an
	// error type (actions and sub-flows) to the step that follows.
	Next map[string]string
}

// Screen asks the user for something: its nodes are what it shows and takes.
type Screen struct {
	Title *Template
	Nodes []Node
}

// Node types of a screen, after Ory Kratos' UI nodes.
const (
	NodeInput  = "input"
	NodeText   = "text"
	NodeImage  = "image"
	NodeLink   = "link"
	NodeSubmit = "submit"
	NodeTOTP   = "totp" // the TOTP QR code of an enrolment: image, provisioning URL, key
)

// Node is one element of a screen.
type Node struct {
	Type     string
	Name     string    // input: the input's name (loginId, code)
	ID       string    // submit: the interaction id; others: an optional id
	Label    *Template // input, submit, link
	Text     *Template // text
	Src      *Template // image
	Href     *Template // link
	Format   string    // input: email, otp, text
	Required bool      // input
	Source   *Expr     // totp: the enrolment (an action's output)
}

// Action names.
const (
	ActionSignUp     = "totp.signUp"
	ActionSignIn     = "totp.signIn"
	ActionSignUpOrIn = "totp.signUpOrIn"
	ActionUpdate     = "totp.update"
	ActionDeleteSeed = "totp.deleteSeed"
	ActionLoadUser   = "user.load"
	ActionSet        = "set"
)

// actionArgs lists each action's arguments: required ones first, then a "|", then
// optional ones.
var actionArgs = map[string][]string{
	ActionSignUp:     {"loginId", "|", "name", "email", "phone"},
	ActionSignIn:     {"loginId", "code", "|", "customClaims"},
	ActionSignUpOrIn: {"loginId", "code", "|", "customClaims"},
	ActionUpdate:     {"|", "loginId"},
	ActionDeleteSeed: {"loginId"},
	ActionLoadUser:   {"|", "loginId"},
	ActionSet:        {"|", "*"},
}

// Action runs a verifier call.
type Action struct {
	Name     string
	With     map[string]*Expr
	Output   string // the variable the result goes to ("" for none)
	ErrorVar string // Mosaic's Error Output Variable: the last error of this step
	// OnError is the policy per error type; "" is the default for the others.
	OnError map[string]Policy
}

// Policy is what an action's error does to the flow.
type Policy string

// The error policies. Automatic is the default.
const (
	// Automatic shows the screen the flow came from again, with the error on it
	// (screen.state.errorText and errorType).
	Automatic Policy = "automatic"
	// Ignore goes on as if the action had succeeded (the error variable is set).
	Ignore Policy = "ignore"
	// Abort ends the execution as failed, with the error to the client.
	Abort Policy = "abort"
	// FailureBranch follows next[<error type>], else next.failure: Mosaic's failure branch.
	FailureBranch Policy = "branch"
)

// Error types an action reports, in its error variable and screen.state.errorType.
const (
	ErrTypeVerifyFailed = "TOTPVerifyFailed" // wrong, reused or expired code; no seed
	ErrTypeLocked       = "TOTPLocked"       // too many failed attempts
	ErrTypeUserNotFound = "UserNotFound"
	ErrTypeUserExists   = "UserExists"
	ErrTypeUnauthorized = "Unauthorized" // a missing, bad or revoked refresh token
	ErrTypeBadInput     = "BadInput"     // an input the verifier refused
)

// ErrorTypes is every error type, for the schema and the docs.
var ErrorTypes = []string{ErrTypeVerifyFailed, ErrTypeLocked, ErrTypeUserNotFound, ErrTypeUserExists, ErrTypeUnauthorized, ErrTypeBadInput}

// Branch is one arm of a condition: When nil is the else arm.
type Branch struct {
	When *Expr
	Goto string
}

// SubFlow runs another flow and comes back.
type SubFlow struct {
	ID     string
	With   map[string]*Expr // the sub-flow's form, initially
	Output string           // the variable the sub-flow's output goes to
}

// End finishes the execution.
type End struct {
	Failed bool             // status failed instead of completed
	Error  *Template        // with Failed: the error's text
	Output map[string]*Expr // the execution's output
}

// Pos is a place in a flow file.
type Pos struct {
	Line, Col int
}

// FileError is one problem found in a flow file, at file:line:column.
type FileError struct {
	File string
	Pos  Pos
	Msg  string
}

// Error implements error as file:line:column: message.
func (e FileError) Error() string {
	if e.Pos.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// FileErrors is every problem of a flow file, in file order.
type FileErrors []FileError

// Error implements error: one problem a line.
func (l FileErrors) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (l FileErrors) sorted() FileErrors {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Pos.Line != l[j].Pos.Line {
			return l[i].Pos.Line < l[j].Pos.Line
		}
		return l[i].Pos.Col < l[j].Pos.Col
	})
	return l
}
