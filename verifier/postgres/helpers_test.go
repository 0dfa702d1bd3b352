package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/verifier"
	"github.com/otpair/otpair/verifier/postgres"
	"github.com/otpair/otpair/verifier/postgres/pgtest"
)

// openPostgres opens a Store on a fresh schema, closed when the test ends.
func openPostgres(t *testing.T) verifier.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pgCluster is a private PostgreSQL cluster a test starts with initdb and may stop and
// restart without disturbing other tests on the shared server.
type pgCluster struct {
	bin, data, dir, log string
	port                int
	runas               []string // runuser prefix when running as root
	dsn                 string
}

// startPGCluster creates and starts a private cluster with the binaries of
// OTPAIR_TEST_PGBIN (as OTPAIR_TEST_PGUSER through runuser when that is set: initdb
// refuses root), stopped and removed when the test ends.
func startPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin := external.Env(t, "OTPAIR_TEST_PGBIN", "PostgreSQL server binaries")
	c := &pgCluster{bin: bin}
	if os.Geteuid() == 0 {
		user := external.Env(t, "OTPAIR_TEST_PGUSER", "an unprivileged user to run PostgreSQL as")
		c.runas = []string{"runuser", "-u", user, "--"}
	}
	// Not t.TempDir: its parent folders are private to root, and the server runs as
	// another user.
	dir, err := os.MkdirTemp("", "otpair-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if len(c.runas) > 0 {
		u, err := osuser.Lookup(c.runas[2])
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		if err := os.Chown(dir, uid, -1); err != nil {
			t.Fatal(err)
		}
	}
	c.dir, c.data, c.log = dir, filepath.Join(dir, "data"), filepath.Join(dir, "pg.log")
	c.pgRun(t, "initdb", "-D", c.data, "-U", "otpair", "--auth=trust", "-E", "UTF8")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.start(t)
	t.Cleanup(func() { c.ctl(t, "stop", "-m", "immediate") })
	c.dsn = fmt.Sprintf("postgres://otpair@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c
}

func (c *pgCluster) pgRun(t *testing.T, tool string, args ...string) {
	t.Helper()
	argv := append(append(slices.Clone(c.runas), filepath.Join(c.bin, tool)), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(c.log)
		t.Fatalf("%s %s: %v\n%s\n%s", tool, strings.Join(args, " "), err, out, log)
	}
}

func (c *pgCluster) ctl(t *testing.T, args ...string) {
	t.Helper()
	c.pgRun(t, "pg_ctl", append([]string{"-D", c.data, "-w"}, args...)...)
}

// start starts the server (again) on the cluster's port.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	c.ctl(t, "-l", c.log, "-o", fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off", c.port, c.dir), "start")
}

// apiClient calls a verifier's HTTP API the way Descope's SDKs do.
type apiClient struct {
	base, pid string
	http      *http.Client
}

// apiReply is a decoded response: the status and the JSON object.
type apiReply struct {
	status int
	body   map[string]any
}

func (r apiReply) str(name string) string { s, _ := r.body[name].(string); return s }

// post sends body as JSON with the Authorization header Bearer pid[:secret]. A reply
// that is not a JSON object is an error, so a crash page or a proxy error shows.
func (c *apiClient) post(ctx context.Context, path, secret string, body any) (apiReply, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return apiReply{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(raw))
	if err != nil {
		return apiReply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, secret)
}

// get sends a GET with the Authorization header Bearer pid[:secret].
func (c *apiClient) get(ctx context.Context, path, secret string) (apiReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return apiReply{}, err
	}
	return c.do(req, secret)
}

func (c *apiClient) do(req *http.Request, secret string) (apiReply, error) {
	auth := "Bearer " + c.pid
	if secret != "" {
		auth += ":" + secret
	}
	req.Header.Set("Authorization", auth)
	hc := c.http
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return apiReply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiReply{}, err
	}
	r := apiReply{status: resp.StatusCode}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		return r, fmt.Errorf("%s %s: status %d with a body that is not a JSON object: %q", req.Method, req.URL.Path, resp.StatusCode, truncateBody(raw))
	}
	return r, nil
}

func truncateBody(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// signUp enrols loginID and returns its key, parsed from the provisioning URL.
func (c *apiClient) signUp(ctx context.Context, loginID string) (apiReply, provisioning.Key, error) {
	r, err := c.post(ctx, "/v1/auth/totp/signup", "", map[string]any{"loginId": loginID})
	if err != nil || r.status != http.StatusOK {
		return r, provisioning.Key{}, err
	}
	k, err := provisioning.ParseURI(r.str("provisioningURL"))
	return r, k, err
}

func (c *apiClient) verify(ctx context.Context, loginID, code string) (apiReply, error) {
	return c.post(ctx, "/v1/auth/totp/verify", "", map[string]any{"loginId": loginID, "code": code})
}

// stepCode is the code of k for the step at offset steps from t.
func stepCode(t testing.TB, k provisioning.Key, at time.Time, steps int) string {
	t.Helper()
	c, err := k.Code(at.Add(time.Duration(steps*k.Period) * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
