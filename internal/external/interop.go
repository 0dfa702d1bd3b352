package external

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Interop returns the folder of real exports from other authenticator apps that tests
// read but the project never commits: OTPAIR_INTEROP_DIR if set, else ../shared/interop
// beside the checkout (the module root). It skips the test where the folder is missing,
// and fails it when OTPAIR_REQUIRE_EXTERNAL=1.
func Interop(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("OTPAIR_INTEROP_DIR")
	if dir == "" {
		root, ok := moduleRoot()
		if !ok {
			Missing(t, "the shared/interop folder", "no go.mod of github.com/otpair/otpair above the test's folder")
			return ""
		}
		dir = filepath.Join(root, "..", "shared", "interop")
	}
	if _, err := os.Stat(filepath.Join(dir, "INDEX.md")); err != nil {
		Missing(t, "the shared/interop folder of real authenticator exports", dir+" has no INDEX.md (set OTPAIR_INTEROP_DIR, or check out beside shared/)")
	}
	return dir
}

// moduleRoot walks up from the working folder to otpair's go.mod.
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if isOtpairModule(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", false
		}
		dir = up
	}
}

func isOtpairModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == "github.com/otpair/otpair"
		}
	}
	return false
}
