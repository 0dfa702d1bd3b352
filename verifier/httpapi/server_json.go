package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/otpair/otpair/verifier"
)

// apiError is an error the server answers with exactly this status and body. Handlers
// return it for problems they find themselves (bad body, missing field, bad header).
type apiError struct {
	status      int
	code        string
	description string
	message     string
	retryAfter  int64 // seconds, sent as Retry-After when set
}

// Error implements error.
func (e *apiError) Error() string { return e.description + ": " + e.message }

func apiErr(status int, code, description, message string) *apiError {
	return &apiError{status: status, code: code, description: description, message: message}
}

// decode reads the request body into v: one JSON object (or null, or nothing at all:
// Go's SDK sends empty bodies), no unknown members, no trailing data, at most maxBody
// bytes, and a JSON content type whenever there is a body.
func (s *Server) decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
	if err != nil {
		return apiErr(http.StatusBadRequest, CodeBadRequest, "malformed request body", "reading the body failed")
	}
	if int64(len(body)) > s.maxBody {
		return apiErr(http.StatusRequestEntityTooLarge, CodeBadRequest, "request body too large",
			fmt.Sprintf("the body is larger than %d bytes", s.maxBody))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		return apiErr(http.StatusUnsupportedMediaType, CodeBadRequest, "unsupported content type",
			"the body must be application/json")
	}
	return decodeJSONObject(body, v)
}

// decodeJSONObject is the strict JSON half of decode, separate so it can be fuzzed.
func decodeJSONObject(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apiErr(http.StatusBadRequest, CodeBadRequest, "malformed request body", describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return apiErr(http.StatusBadRequest, CodeBadRequest, "malformed request body", "unexpected data after the JSON object")
	}
	return nil
}

// describeJSONError says what was wrong with a body without quoting its values.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%s must be a JSON %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return "the body must be a JSON object, not " + typ.Value
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the JSON body ends too early"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown member " + truncate(strings.TrimPrefix(err.Error(), "json: unknown field "), 64)
	}
	return "invalid JSON"
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "array"
	}
	return "number"
}

func isJSONContentType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// The header values every answer carries.
var (
	headerJSON    = []string{"application/json"}
	headerNoStore = []string{"no-store"}
	headerNoSniff = []string{"nosniff"}
)

// writeJSON writes v with status. Nothing the server answers may be cached: bodies
// carry tokens and secrets.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"errorCode":"` + CodeInternal + `","errorDescription":"internal error","errorMessage":"the response could not be encoded"}`)
	}
	h := w.Header()
	// Canonical keys and shared value slices: net/http only reads them, and Set would
	// canonicalise and allocate per response.
	h["Content-Type"] = headerJSON
	h["Cache-Control"] = headerNoStore
	h["X-Content-Type-Options"] = headerNoSniff
	body = append(body, '\n')
	// The length is known: say it, rather than let a body over net/http's 2 kB buffer
	// (a sign-in's two tokens) go out chunked.
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// writeError answers err as JSON. management picks the management flavour of "unknown
// user" (E112102 rather than E062108).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error, management bool) {
	body := errorResponse{}
	var status int
	var ae *apiError
	if errors.As(err, &ae) {
		status, body.ErrorCode, body.ErrorDescription, body.ErrorMessage = ae.status, ae.code, ae.description, ae.message
		if ae.retryAfter > 0 {
			body.RetryAfter = ae.retryAfter
			w.Header().Set("Retry-After", strconv.FormatInt(ae.retryAfter, 10))
		}
	} else {
		status, body.ErrorCode = StatusAndCode(err, management)
		body.ErrorDescription = describe(err)
		body.ErrorMessage = err.Error()
		if status >= 500 {
			body.ErrorDescription, body.ErrorMessage = "internal error", "internal error"
			if rec, ok := w.(*recorder); ok && !errors.Is(err, context.Canceled) {
				rec.internal = err
			}
		}
	}
	var wrong *verifier.WrongCodeError
	var reused *verifier.ReusedCodeError
	switch {
	case errors.As(err, &wrong):
		left := wrong.Left
		body.AttemptsLeft, body.LockedUntil = &left, unixOrZero(wrong.LockedUntil)
	case errors.As(err, &reused):
		// A reused code was charged as an attempt too: say what it cost.
		left := reused.Left
		body.AttemptsLeft, body.LockedUntil = &left, unixOrZero(reused.LockedUntil)
	}
	var locked *verifier.LockedError
	if errors.As(err, &locked) {
		secs := int64(math.Ceil(locked.Until.Sub(s.now()).Seconds()))
		if secs < 1 {
			secs = 1
		}
		body.RetryAfter = secs
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if rec, ok := w.(*recorder); ok {
		rec.code = body.ErrorCode
	}
	writeJSON(w, status, body)
}

// describe is the short, fixed description of an error: the sentinel it wraps.
func describe(err error) string {
	for _, s := range []error{verifier.ErrCodeReused, verifier.ErrWrongCode, verifier.ErrNoSeed, verifier.ErrLocked, verifier.ErrUnknownUser, verifier.ErrUserExists, verifier.ErrBadToken, verifier.ErrBadRequest} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "internal error"
}
