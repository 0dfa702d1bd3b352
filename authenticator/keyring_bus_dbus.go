//go:build linux || freebsd || openbsd || netbsd || dragonfly

package authenticator

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/godbus/dbus/v5"
	ss "github.com/zalando/go-keyring/secret_service"
)

// busPrecheck refuses to start a keyring call when there is no session bus to talk to.
// Without DBUS_SESSION_BUS_ADDRESS, godbus tries $XDG_RUNTIME_DIR/bus and then
// autolaunches a bus with dbus-launch, which leaves a dbus-daemon (and a D-Bus-activated
// gnome-keyring) running behind otpair: research/authenticator.md §5.3. No bus means no
// keyring; say so instead.
func busPrecheck(getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
			return nil
		}
	}
	// The problem itself is KeyringNoBus's to say; this is how it was found.
	return errors.New("DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus is not there")
}

// busProblem recognises the D-Bus failures that say there is no keyring to talk to: a
// bus with no Secret Service (the daemon answers that no one owns or can start
// org.freedesktop.secrets) and a bus address where no daemon listens.
func busProblem(err error) (KeyringProblem, bool) {
	var de dbus.Error
	var dep *dbus.Error
	switch {
	case errors.As(err, &de):
	case errors.As(err, &dep):
		de = *dep
	default:
		var ne *net.OpError
		if errors.As(err, &ne) {
			return KeyringNoBus, true
		}
		return 0, false
	}
	switch {
	case de.Name == "org.freedesktop.DBus.Error.ServiceUnknown", de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner",
		strings.HasPrefix(de.Name, "org.freedesktop.DBus.Error.Spawn."):
		return KeyringNoService, true
	case de.Name == "org.freedesktop.DBus.Error.NoServer", de.Name == "org.freedesktop.DBus.Error.Disconnected":
		return KeyringNoBus, true
	}
	return 0, false
}

// wouldPrompt reports, as an error, that a keyring call would show an unlock prompt:
// the collection go-keyring uses (login, else the default alias) is locked. It asks
// the Secret Service for the collection's Locked property, which never prompts.
func wouldPrompt() error {
	svc, err := ss.NewSecretService()
	if err != nil {
		return err
	}
	v, err := svc.GetLoginCollection().GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return fmt.Errorf("ask whether the keyring is locked: %w", err)
	}
	if locked, ok := v.Value().(bool); !ok || locked {
		return errors.New("the keyring is locked, and unlocking it would prompt")
	}
	return nil
}
