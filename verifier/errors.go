package verifier

import (
	"errors"
	"fmt"
	"net/http"
)

// Finer kinds of ErrBadRequest: errors.Is(err, ErrBadRequest) holds for both, and each
// maps to its own API code.
var (
	ErrMissingArgument = fmt.Errorf("%w: missing argument", ErrBadRequest) // E011002
	ErrInvalidArgument = fmt.Errorf("%w: invalid argument", ErrBadRequest) // E011003
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
	case errors.Is(err, ErrLocked):
		return http.StatusTooManyRequests, CodeTooManyAttempts
	case errors.Is(err, ErrWrongCode), errors.Is(err, ErrCodeReused), errors.Is(err, ErrNoSeed):
		return http.StatusUnauthorized, CodeWrongCode
	case errors.Is(err, ErrBadToken):
		return http.StatusUnauthorized, CodeBadToken
	case errors.Is(err, ErrUnknownUser):
		if management {
			return http.StatusBadRequest, CodeMgmtUnknownUser
		}
		return http.StatusBadRequest, CodeUnknownUser
	case errors.Is(err, ErrUserExists):
		return http.StatusBadRequest, CodeUserExists
	case errors.Is(err, ErrMissingArgument):
		return http.StatusBadRequest, CodeMissingArgument
	case errors.Is(err, ErrInvalidArgument):
		return http.StatusBadRequest, CodeInvalidRequest
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, CodeBadRequest
	default:
		return http.StatusInternalServerError, CodeInternal
	}
}
