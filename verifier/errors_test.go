package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestStatusAndCode(t *testing.T) {
	cases := []struct {
		err        error
		management bool
		status     int
		code       string
	}{
		{nil, false, http.StatusOK, ""},
		{fmt.Errorf("sign in: %w", ErrWrongCode), false, 401, CodeWrongCode},
		{fmt.Errorf("sign in: %w", ErrCodeReused), false, 401, CodeWrongCode},
		{ErrNoSeed, false, 401, CodeWrongCode},
		{fmt.Errorf("sign in: %w", &LockedError{Until: time.Unix(1, 0)}), false, 429, CodeTooManyAttempts},
		{ErrUnknownUser, false, 400, CodeUnknownUser},
		{fmt.Errorf("delete seed: %w", ErrUnknownUser), true, 400, CodeMgmtUnknownUser},
		{ErrUserExists, false, 400, CodeUserExists},
		{fmt.Errorf("refresh: %w: expired", ErrBadToken), false, 401, CodeBadToken},
		{fmt.Errorf("x: %w: login id", ErrMissingArgument), false, 400, CodeMissingArgument},
		{fmt.Errorf("x: %w: too long", ErrInvalidArgument), false, 400, CodeInvalidRequest},
		{ErrBadRequest, false, 400, CodeBadRequest},
		{errors.New("disk full"), false, 500, CodeInternal},
		{context.Canceled, true, 500, CodeInternal},
	}
	for _, c := range cases {
		status, code := StatusAndCode(c.err, c.management)
		if status != c.status || code != c.code {
			t.Errorf("StatusAndCode(%v, %v) = %d %s, want %d %s", c.err, c.management, status, code, c.status, c.code)
		}
	}
	if !errors.Is(ErrMissingArgument, ErrBadRequest) || !errors.Is(ErrInvalidArgument, ErrBadRequest) {
		t.Fatal("the finer bad-request errors do not wrap ErrBadRequest")
	}
}
