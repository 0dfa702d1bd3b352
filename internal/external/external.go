// Package external lets tests use real outside components (oathtool, zbarimg, a Secret
// Service, PostgreSQL, tmux) and skip with a clear message where one is missing, except in
// CI, where OTPAIR_REQUIRE_EXTERNAL=1 turns that skip into a failure so a missing install
// step cannot hide behind a green run.
package external

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing outside components must fail tests instead of
// skipping them.
func Required() bool { return os.Getenv("OTPAIR_REQUIRE_EXTERNAL") == "1" }

// Missing skips the test, or fails it when components are required, saying what is
// missing and how to get it.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (OTPAIR_REQUIRE_EXTERNAL=1) but missing: %s", what, how)
	}
	t.Skipf("skipping: %s is missing (%s); scripts/test.sh sets it up", what, how)
}

// Tool returns the path of a command-line tool, or skips (fails in CI) if it is not
// installed. pkg is the Debian package that provides it.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, "apt-get install "+pkg)
	}
	return path
}

// Env returns an environment variable that scripts/test.sh sets when it has started an
// outside service, or skips (fails in CI) when it is unset.
func Env(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, what, name+" is unset: run the tests through scripts/test.sh")
	}
	return v
}
