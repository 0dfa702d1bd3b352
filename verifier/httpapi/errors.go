package httpapi

import (
	"errors"
	"net/http"

	"github.com/otpair/otpair/verifier"
)

// API error codes, as Descope's SDKs know them (shared/API.md).
const (
	CodeBadRequest      = "E011001"
	CodeMissingArgument = "E011002"
	CodeInvalidRequest  = "E011003"
	CodeBadToken        = "E011004"
	CodeWrongCode       = "E061102"
	CodeTooManyAttempts = "E061103"
	CodeUserExists      = "E062107"
	CodeUnknownUser     = "E062108"
	CodeMgmtUnknownUser = "E112102"
	CodeRateLimited     = "E130429" // Descope's rate limit, with Retry-After (the sign-up limit)
)

// CodeInternal is otpair's code for a failure that is not the caller's (storage,
// cancelled request): status 500, never 503 or 52x, which Descope's Go SDK retries.
const CodeInternal = "E010000"

// StatusAndCode maps an error from a Backend to the HTTP status and API error code that
// shared/API.md fixes. management selects the management form of "unknown user"
// (E112102 instead of E062108). A nil error gives 200 and "". Errors that are none of
// the sentinels give 500 and CodeInternal.
func StatusAndCode(err error, management bool) (int, string) {
	switch {
	case err == nil:
		return http.StatusOK, ""
	case errors.Is(err, verifier.ErrLocked):
		return http.StatusTooManyRequests, CodeTooManyAttempts
	case errors.Is(err, verifier.ErrWrongCode), errors.Is(err, verifier.ErrCodeReused), errors.Is(err, verifier.ErrNoSeed):
		return http.StatusUnauthorized, CodeWrongCode
	case errors.Is(err, verifier.ErrBadToken):
		return http.StatusUnauthorized, CodeBadToken
	case errors.Is(err, verifier.ErrUnknownUser):
		if management {
			return http.StatusBadRequest, CodeMgmtUnknownUser
		}
		return http.StatusBadRequest, CodeUnknownUser
	case errors.Is(err, verifier.ErrUserExists):
		return http.StatusBadRequest, CodeUserExists
	case errors.Is(err, verifier.ErrMissingArgument):
		return http.StatusBadRequest, CodeMissingArgument
	case errors.Is(err, verifier.ErrInvalidArgument):
		return http.StatusBadRequest, CodeInvalidRequest
	case errors.Is(err, verifier.ErrBadRequest):
		return http.StatusBadRequest, CodeBadRequest
	default:
		return http.StatusInternalServerError, CodeInternal
	}
}
