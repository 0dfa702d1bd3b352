package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/otpair/otpair/verifier"
)

func TestStatusAndCode(t *testing.T) {
	cases := []struct {
		err        error
		management bool
		status     int
		code       string
	}{
		{nil, false, http.StatusOK, ""},
		{fmt.Errorf("sign in: %w", verifier.ErrWrongCode), false, 401, CodeWrongCode},
		{fmt.Errorf("sign in: %w", verifier.ErrCodeReused), false, 401, CodeWrongCode},
		{verifier.ErrNoSeed, false, 401, CodeWrongCode},
		{fmt.Errorf("sign in: %w", &verifier.LockedError{Until: time.Unix(1, 0)}), false, 429, CodeTooManyAttempts},
		{verifier.ErrUnknownUser, false, 400, CodeUnknownUser},
		{fmt.Errorf("delete seed: %w", verifier.ErrUnknownUser), true, 400, CodeMgmtUnknownUser},
		{verifier.ErrUserExists, false, 400, CodeUserExists},
		{fmt.Errorf("refresh: %w: expired", verifier.ErrBadToken), false, 401, CodeBadToken},
		{fmt.Errorf("x: %w: login id", verifier.ErrMissingArgument), false, 400, CodeMissingArgument},
		{fmt.Errorf("x: %w: too long", verifier.ErrInvalidArgument), false, 400, CodeInvalidRequest},
		{verifier.ErrBadRequest, false, 400, CodeBadRequest},
		{errors.New("disk full"), false, 500, CodeInternal},
		{context.Canceled, true, 500, CodeInternal},
	}
	for _, c := range cases {
		status, code := StatusAndCode(c.err, c.management)
		if status != c.status || code != c.code {
			t.Errorf("StatusAndCode(%v, %v) = %d %s, want %d %s", c.err, c.management, status, code, c.status, c.code)
		}
	}
	if !errors.Is(verifier.ErrMissingArgument, verifier.ErrBadRequest) || !errors.Is(verifier.ErrInvalidArgument, verifier.ErrBadRequest) {
		t.Fatal("the finer bad-request errors do not wrap ErrBadRequest")
	}
}
