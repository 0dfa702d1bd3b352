//go:build linux || freebsd || openbsd || netbsd || dragonfly

package authenticator

import (
	"errors"
	"os"
	"path/filepath"
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
	return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset) to reach a Secret Service")
}
