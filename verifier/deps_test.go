package verifier_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/external"
)

// TestDependenciesPointInward holds the verifier's layout to its rule: the domain links
// no database driver and none of its own sub-packages (the drivers and the wire import
// verifier, never the reverse), nor the authenticator or the TUI; the wire links no
// driver, and each store only its own. One `go list` answers for all four packages.
func TestDependenciesPointInward(t *testing.T) {
	const mod = "github.com/otpair/otpair/"
	goTool := external.Tool(t, "go", "golang-go")
	pkgs := []string{mod + "verifier", mod + "verifier/httpapi", mod + "verifier/sqlite", mod + "verifier/postgres"}
	cmd := exec.Command(goTool, append([]string{"list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`}, pkgs...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		deps[fields[0]] = fields[1:]
	}
	forbidden := map[string][]string{ // import path prefixes a package must not depend on
		mod + "verifier":          {"modernc.org/sqlite", "github.com/jackc/pgx", mod + "verifier/", mod + "authenticator", mod + "tui"},
		mod + "verifier/httpapi":  {"modernc.org/sqlite", "github.com/jackc/pgx", mod + "verifier/sqlite", mod + "verifier/postgres"},
		mod + "verifier/sqlite":   {"github.com/jackc/pgx", mod + "verifier/postgres", mod + "verifier/httpapi"},
		mod + "verifier/postgres": {"modernc.org/sqlite", mod + "verifier/sqlite", mod + "verifier/httpapi"},
	}
	for _, pkg := range pkgs {
		d, ok := deps[pkg]
		if !ok {
			t.Fatalf("go list said nothing of %s:\n%s", pkg, out)
		}
		if pkg != mod+"verifier" && !slices.Contains(d, mod+"verifier") {
			t.Errorf("%s does not depend on %sverifier: is go list's answer what this test thinks?", pkg, mod)
		}
		for _, bad := range forbidden[pkg] {
			if i := slices.IndexFunc(d, func(dep string) bool { return strings.HasPrefix(dep, bad) }); i >= 0 {
				t.Errorf("%s depends on %s", pkg, d[i])
			}
		}
	}
}
