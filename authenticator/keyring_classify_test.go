package authenticator

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// TestKeyringProblems: go-keyring's and D-Bus's errors tell apart no bus, no Secret
// Service, a locked keyring that cannot prompt here, and a dismissed prompt, each
// with its own remedy (the errors are the ones seen from a real dbus-daemon and
// gnome-keyring: scripts reproduce them in TestTUILockedKeyringInTmux).
func TestKeyringProblems(t *testing.T) {
	noDisplay := func(string) string { return "" }
	display := func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	unlock := errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'")
	cases := []struct {
		err    error
		getenv func(string) string
		want   KeyringProblem
	}{
		{dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}}, display, KeyringNoService},
		{&dbus.Error{Name: "org.freedesktop.DBus.Error.NameHasNoOwner"}, display, KeyringNoService},
		{&net.OpError{Op: "dial", Net: "unix", Err: errors.New("connect: no such file or directory")}, display, KeyringNoBus},
		{unlock, noDisplay, KeyringLocked},
		{unlock, display, KeyringDismissed},
		{errors.New("something else"), display, KeyringOther},
	}
	for _, c := range cases {
		err := classifyKeyringErr("read", c.err, c.getenv)
		var ke *KeyringError
		if !errors.As(err, &ke) || !errors.Is(err, ErrKeyringUnavailable) || ke.Problem != c.want {
			t.Errorf("%v: %v, want problem %v", c.err, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want.String()) || c.want.Remedy() == "" {
			t.Errorf("%v: %q does not say %q", c.err, err, c.want)
		}
	}
	if !KeyringLocked.Retryable() || !KeyringDismissed.Retryable() || KeyringNoService.Retryable() || KeyringNoBus.Retryable() {
		t.Error("only a locked keyring is worth a retry")
	}
	k := SystemKeyring{Getenv: noDisplay}
	if _, err := k.Get(t.Context(), KeyringService, "x"); !errorProblem(err, KeyringNoBus) {
		t.Errorf("Get without a bus: %v, want KeyringNoBus", err)
	}
}

func errorProblem(err error, p KeyringProblem) bool {
	var ke *KeyringError
	return errors.As(err, &ke) && ke.Problem == p
}
