package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/provisioning"
)

// vaultNow is the clock of the in-process vault command tests.
var vaultNow = time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC)

// useMemKeyring points the vault commands at an in-memory keyring and a cheap scrypt
// for the rest of the test.
func useMemKeyring(t *testing.T) *authenticator.MemKeyring {
	t.Helper()
	kr := &authenticator.MemKeyring{}
	oldKR, oldWF := vaultKeyring, scryptWorkFactor
	vaultKeyring = func(*env) authenticator.Keyring { return kr }
	scryptWorkFactor = 4
	t.Cleanup(func() { vaultKeyring, scryptWorkFactor = oldKR, oldWF })
	return kr
}

// vrun runs otpair in-process with OTPAIR_HOME=home plus vars, returning the exit
// status and both streams.
func vrun(t *testing.T, home, stdin string, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return vrunCtx(t, context.Background(), home, stdin, vars, args...)
}

// vrunCtx is vrun with the context the command runs under.
func vrunCtx(t *testing.T, ctx context.Context, home, stdin string, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		now: func() time.Time { return vaultNow },
		getenv: func(k string) string {
			if k == "OTPAIR_HOME" {
				return home
			}
			return vars[k]
		},
	}
	code := run(ctx, e, args)
	return code, out.String(), errOut.String()
}

// mustRun is vrun that fails the test on a non-zero exit.
func mustRun(t *testing.T, home, stdin string, vars map[string]string, args ...string) string {
	t.Helper()
	code, out, errOut := vrun(t, home, stdin, vars, args...)
	if code != 0 {
		t.Fatalf("otpair %s = %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// randKey is a TOTP key with a random secret; i varies the parameters.
func randKey(t testing.TB, issuer, account string, i int) provisioning.Key {
	t.Helper()
	secret := make([]byte, 20)
	rand.Read(secret)
	k := provisioning.Key{Type: provisioning.TOTP, Issuer: issuer, Account: account, Secret: secret,
		Algorithm: provisioning.SHA1, Digits: 6, Period: 30}
	switch i % 4 {
	case 1:
		k.Algorithm, k.Digits = provisioning.SHA256, 8
	case 2:
		k.Algorithm, k.Period = provisioning.SHA512, 60
	}
	return k
}

func listJSON(t *testing.T, home string, vars map[string]string) []accountJSON {
	t.Helper()
	var got []accountJSON
	if err := json.Unmarshal([]byte(mustRun(t, home, "", vars, "list", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestVaultCommandFlow: import from a file, a URI and stdin; list; code against the
// RFC 6238 vector; duplicates skipped; rename; rm with and without confirmation.
func TestVaultCommandFlow(t *testing.T) {
	kr := useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	rfc := provisioning.Key{Type: provisioning.TOTP, Issuer: "RFC", Account: "6238", Secret: []byte("12345678901234567890"),
		Algorithm: provisioning.SHA1, Digits: 8, Period: 30}
	k1, k2 := randKey(t, "GitHub", "alice", 0), randKey(t, "GitHub", "bob", 1)
	file := filepath.Join(t.TempDir(), "uris.txt")
	os.WriteFile(file, []byte(k1.URI()+"\n"+k2.URI()+"\n"), 0o600)

	code, out, errOut := vrun(t, home, rfc.URI()+"\n", nil, "import", file, "-", k1.URI())
	if code != 0 {
		t.Fatalf("import = %d: %s", code, errOut)
	}
	if strings.Count(out, "added ") != 3 || !strings.Contains(out, "skipped GitHub: alice: already in the vault") {
		t.Errorf("import output:\n%s", out)
	}
	if !strings.Contains(errOut, "created vault") || !strings.Contains(errOut, "OS keyring") || strings.Contains(errOut, "passphrase") {
		t.Errorf("import stderr should say the vault was created with the keyring:\n%s", errOut)
	}
	if kr.Len() != 1 {
		t.Errorf("%d keyring items, want 1", kr.Len())
	}
	accounts := listJSON(t, home, nil)
	if len(accounts) != 3 || accounts[2].Label != "RFC: 6238" || accounts[1].Algorithm != "SHA256" || accounts[1].Digits != 8 {
		t.Fatalf("list --json = %+v", accounts)
	}
	plain := mustRun(t, home, "", nil, "list")
	if !strings.Contains(plain, "GitHub: bob") || strings.Contains(plain, k1.SecretBase32()) {
		t.Errorf("list:\n%s", plain)
	}

	// RFC 6238 appendix B: T=59 gives 94287082 for SHA1.
	if got := mustRun(t, home, "", nil, "code", "rfc", "--at", "59"); got != "94287082\n" {
		t.Errorf("code rfc --at 59 = %q", got)
	}
	if got := mustRun(t, home, "", nil, "code", "RFC:6238", "--at", "1970-01-01T00:00:59Z"); got != "94287082\n" {
		t.Errorf("code --at RFC 3339 = %q", got)
	}
	var cj codeJSON
	json.Unmarshal([]byte(mustRun(t, home, "", nil, "code", "rfc", "--at", "1111111109", "--json")), &cj)
	next, _ := rfc.Code(time.Unix(1111111110, 0))
	if cj.Code != "07081804" || cj.Remaining != 1 || cj.NextCode != next || cj.Period != 30 || cj.Type != "totp" || cj.Counter != nil {
		t.Errorf("code --json = %+v (next %s)", cj, next)
	}
	// Without --at, the injected clock.
	now, _ := rfc.Code(vaultNow)
	if got := mustRun(t, home, "", nil, "code", "rfc"); got != now+"\n" {
		t.Errorf("code rfc = %q, want %q at %v", got, now, vaultNow)
	}

	// Ambiguous and unknown queries.
	code, out, errOut = vrun(t, home, "", nil, "code", "github")
	if code != 1 || out != "" || !strings.Contains(errOut, "GitHub: alice") || !strings.Contains(errOut, "GitHub: bob") {
		t.Errorf("code github = %d %q %q", code, out, errOut)
	}
	if code, _, errOut = vrun(t, home, "", nil, "code", "nobody"); code != 1 || !strings.Contains(errOut, "no such account") {
		t.Errorf("code nobody = %d %q", code, errOut)
	}
	if code, _, _ = vrun(t, home, "", nil, "code", "rfc", "--at", "yesterday"); code != 2 {
		t.Errorf("code --at yesterday = %d, want 2", code)
	}

	mustRun(t, home, "", nil, "rename", "bob", "--issuer", "Forge", "--account", "robert")
	if accounts = listJSON(t, home, nil); accounts[1].Label != "Forge: robert" {
		t.Errorf("after rename: %+v", accounts[1])
	}
	if code, _, _ = vrun(t, home, "n\n", nil, "rm", "robert"); code != 1 {
		t.Errorf("rm answered n = %d", code)
	}
	if code, _, _ = vrun(t, home, "", nil, "rm", "robert"); code != 1 {
		t.Errorf("rm with no answer = %d", code)
	}
	mustRun(t, home, "y\n", nil, "rm", "robert")
	mustRun(t, home, "", nil, "rm", "--yes", "alice")
	if accounts = listJSON(t, home, nil); len(accounts) != 1 || accounts[0].Label != "RFC: 6238" {
		t.Errorf("after rm: %+v", accounts)
	}
}

// TestVaultImportKeepsGoing: bad sources are reported by name, the good ones stored,
// and the exit status is 1.
func TestVaultImportKeepsGoing(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	dir := t.TempDir()
	good := randKey(t, "Good", "one", 0)
	garbage := filepath.Join(dir, "garbage.bin")
	os.WriteFile(garbage, []byte{0, 1, 2, 3, 0xff}, 0o600)
	code, out, errOut := vrun(t, home, "", nil, "import", "otpauth://totp/x?secret=***", garbage, filepath.Join(dir, "nope.png"), good.URI())
	if code != 1 || !strings.Contains(out, "added   Good: one") {
		t.Fatalf("import = %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"secret=REDACTED", "garbage.bin: not a backup file otpair reads, nor a list of otpauth URIs or an image: it is binary data", "nope.png: no such file", "1 added, 0 already there, 3 failed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := len(listJSON(t, home, nil)); n != 1 {
		t.Errorf("%d accounts, want 1", n)
	}
	// A label with a terminal escape is printed escaped, never raw.
	code, out, _ = vrun(t, home, "", nil, "import", "otpauth://totp/Evil%1B%5D0%3Bpwned%07:x?secret=JBSWY3DPEHPK3PXP")
	list := mustRun(t, home, "", nil, "list")
	if code != 0 || strings.ContainsAny(out+list, "\x1b\x07") || !strings.Contains(list, `Evil\x1b]0;pwned\a`) {
		t.Errorf("escape in a label: %d\n%q\n%q", code, out, list)
	}
	if code, _, _ := vrun(t, home, "", nil, "import"); code != 2 {
		t.Errorf("import without sources = %d, want 2", code)
	}
}

// TestVaultAdd: the secret from stdin, or --secret with a warning; bad input is a usage
// error that never echoes the secret; HOTP codes advance with each call.
func TestVaultAdd(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	out := mustRun(t, home, "gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n", nil, "add", "--issuer", "RFC", "--account", "4226", "--hotp")
	if !strings.Contains(out, "added RFC: 4226") {
		t.Errorf("add: %q", out)
	}
	for i, want := range []string{"755224", "287082", "359152"} {
		if got := mustRun(t, home, "", nil, "code", "4226"); got != want+"\n" {
			t.Errorf("hotp code %d = %q, want %s", i, got, want)
		}
	}
	var cj codeJSON
	json.Unmarshal([]byte(mustRun(t, home, "", nil, "code", "4226", "--json")), &cj)
	if cj.Code != "969429" || cj.Counter == nil || *cj.Counter != 3 || cj.Type != "hotp" {
		t.Errorf("hotp --json = %+v", cj)
	}
	code, _, errOut := vrun(t, home, "", nil, "add", "--account", "x", "--secret", "JBSWY3DPEHPK3PXP", "--digits", "8", "--algorithm", "sha256")
	if code != 0 || !strings.Contains(errOut, "warning: --secret") {
		t.Errorf("add --secret = %d %q", code, errOut)
	}
	code, _, errOut = vrun(t, home, "not*base32!\n", nil, "add", "--account", "y")
	if code != 1 || !strings.Contains(errOut, "not base32") || strings.Contains(errOut, "not*base32") {
		t.Errorf("add bad secret = %d %q", code, errOut)
	}
	if code, _, _ = vrun(t, home, "JBSWY3DPEHPK3PXP\n", nil, "add", "--account", "z", "--digits", "9"); code != 2 {
		t.Errorf("add --digits 9 = %d, want 2", code)
	}
	if code, _, _ = vrun(t, home, "JBSWY3DPEHPK3PXP\n", nil, "add", "--issuer", "x"); code != 2 {
		t.Errorf("add without --account = %d, want 2", code)
	}
	if code, _, errOut = vrun(t, home, "JBSWY3DPEHPK3PXP\n", nil, "add", "--account", "x", "--digits", "8", "--algorithm", "SHA256"); code != 1 || !strings.Contains(errOut, "already in the vault") {
		t.Errorf("add duplicate = %d %q", code, errOut)
	}
}

// TestVaultExport: URIs and export pages import back into another vault to the same
// accounts; qr draws a code; a query picks accounts.
func TestVaultExport(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	var uris []string
	for i := range 13 {
		k := randKey(t, "Exp", fmt.Sprintf("user%02d", i), 0)
		uris = append(uris, k.URI())
	}
	mustRun(t, home, strings.Join(uris, "\n"), nil, "import", "-")
	want := listJSON(t, home, nil)

	for _, format := range []string{"uri", "migration"} {
		out := mustRun(t, home, "", nil, "export", "--format", format)
		lines := strings.Fields(out)
		if format == "migration" && len(lines) != 2 {
			t.Errorf("migration export: %d pages, want 2", len(lines))
		}
		other := filepath.Join(t.TempDir(), format)
		mustRun(t, other, out, nil, "import", "-")
		got := listJSON(t, other, nil)
		if len(got) != len(want) {
			t.Fatalf("%s: %d accounts after re-import, want %d", format, len(got), len(want))
		}
		for i := range got {
			c1 := mustRun(t, home, "", nil, "code", want[i].Label, "--at", "1000000000")
			c2 := mustRun(t, other, "", nil, "code", got[i].Label, "--at", "1000000000")
			if got[i].Label != want[i].Label || c1 != c2 {
				t.Errorf("%s: account %d %s code %s, want %s code %s", format, i, got[i].Label, c2, want[i].Label, c1)
			}
		}
	}
	if out := mustRun(t, home, "", nil, "export", "user03"); strings.Count(out, "otpauth://") != 1 {
		t.Errorf("export user03:\n%s", out)
	}
	out := mustRun(t, home, "", map[string]string{"NO_COLOR": "1"}, "export", "--format", "qr", "user03")
	if !strings.ContainsAny(out, "█▀▄") {
		t.Errorf("export --format qr draws no code:\n%s", out)
	}
	if code, _, _ := vrun(t, home, "", nil, "export", "--format", "png"); code != 2 {
		t.Errorf("export --format png = %d, want 2", code)
	}
}

// TestVaultPassphraseMode: no keyring: a new vault takes the passphrase and says why;
// a wrong or missing passphrase is a clear error that changes nothing; vault info and
// rekey move it to the keyring and back.
func TestVaultPassphraseMode(t *testing.T) {
	kr := useMemKeyring(t)
	kr.Err = fmt.Errorf("The name org.freedesktop.secrets was not provided by any .service files")
	home := filepath.Join(t.TempDir(), "home")
	pw := map[string]string{"OTPAIR_PASSPHRASE": "correct horse"}
	k := randKey(t, "Pass", "word", 0)
	code, _, errOut := vrun(t, home, "", pw, "import", k.URI())
	if code != 0 || !strings.Contains(errOut, "passphrase mode") || !strings.Contains(errOut, "org.freedesktop.secrets") {
		t.Fatalf("import = %d, stderr:\n%s", code, errOut)
	}
	if code, _, errOut = vrun(t, home, "", nil, "import", k.URI()); code != 1 || !strings.Contains(errOut, "OTPAIR_PASSPHRASE") {
		t.Errorf("without a passphrase = %d %q", code, errOut)
	}
	before, _ := os.ReadFile(filepath.Join(home, authenticator.VaultFileName))
	code, _, errOut = vrun(t, home, "", map[string]string{"OTPAIR_PASSPHRASE": "wrong"}, "import", randKey(t, "X", "y", 0).URI())
	if code != 1 || !strings.Contains(errOut, "wrong passphrase") {
		t.Errorf("wrong passphrase = %d %q", code, errOut)
	}
	after, _ := os.ReadFile(filepath.Join(home, authenticator.VaultFileName))
	if !bytes.Equal(before, after) {
		t.Error("a wrong passphrase changed the vault")
	}
	var info vaultInfoJSON
	json.Unmarshal([]byte(mustRun(t, home, "", pw, "vault", "info", "--json")), &info)
	if info.Protection != "passphrase" || info.Accounts != 1 || !info.Exists {
		t.Errorf("vault info = %+v", info)
	}
	// vault info without the passphrase still says where and how.
	code, out, _ := vrun(t, home, "", nil, "vault", "info")
	if code != 1 || !strings.Contains(out, "passphrase (age scrypt)") || !strings.Contains(out, home) {
		t.Errorf("vault info without passphrase = %d\n%s", code, out)
	}
	// Keyring back: the vault stays a passphrase vault until rekey.
	kr.Err = nil
	mustRun(t, home, "", pw, "list")
	if kr.Len() != 0 {
		t.Error("a passphrase vault wrote to the keyring without a rekey")
	}
	mustRun(t, home, "", pw, "vault", "rekey", "--keyring")
	json.Unmarshal([]byte(mustRun(t, home, "", nil, "vault", "info", "--json")), &info)
	if info.Protection != "keyring" || info.Accounts != 1 || kr.Len() != 1 || info.KeyringService != "otpair" {
		t.Errorf("after rekey --keyring: %+v, %d items", info, kr.Len())
	}
	mustRun(t, home, "", map[string]string{"OTPAIR_NEW_PASSPHRASE": "battery staple"}, "vault", "rekey", "--passphrase")
	if kr.Len() != 0 {
		t.Errorf("%d keyring items after rekey --passphrase", kr.Len())
	}
	if got := listJSON(t, home, map[string]string{"OTPAIR_PASSPHRASE": "battery staple"}); len(got) != 1 {
		t.Errorf("after rekey --passphrase: %d accounts", len(got))
	}
	if code, _, _ = vrun(t, home, "", nil, "vault", "rekey"); code != 2 {
		t.Errorf("vault rekey without a flag = %d", code)
	}
}

// TestVaultBadFiles: a truncated vault and one encrypted to another key are clear
// errors for every command, and their bytes do not change.
func TestVaultBadFiles(t *testing.T) {
	kr := useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	mustRun(t, home, "", nil, "import", randKey(t, "A", "a", 0).URI())
	path := filepath.Join(home, authenticator.VaultFileName)
	good, _ := os.ReadFile(path)
	var meta struct {
		KeyringUser string `json:"keyring_user"`
	}
	b, _ := os.ReadFile(filepath.Join(home, authenticator.MetaFileName))
	json.Unmarshal(b, &meta)
	for name, setup := range map[string]func(){
		"truncated": func() { os.WriteFile(path, good[:len(good)/2], 0o600) },
		"other key": func() {
			os.WriteFile(path, good, 0o600)
			// Another vault's key in the keyring: the file was encrypted to a different one.
			other := filepath.Join(t.TempDir(), "other")
			mustRun(t, other, "", nil, "import", randKey(t, "B", "b", 0).URI())
			var m2 struct {
				KeyringUser string `json:"keyring_user"`
			}
			b, _ := os.ReadFile(filepath.Join(other, authenticator.MetaFileName))
			json.Unmarshal(b, &m2)
			id, _ := kr.Get(context.Background(), "otpair", m2.KeyringUser)
			kr.Set(context.Background(), "otpair", meta.KeyringUser, id)
		},
	} {
		t.Run(name, func(t *testing.T) {
			setup()
			before, _ := os.ReadFile(path)
			for _, args := range [][]string{{"list"}, {"import", randKey(t, "C", "c", 0).URI()}, {"code", "a"}} {
				code, _, errOut := vrun(t, home, "", nil, args...)
				if code != 1 || !(strings.Contains(errOut, "damaged") || strings.Contains(errOut, "another key")) || !strings.Contains(errOut, path) {
					t.Errorf("%s = %d %q", args[0], code, errOut)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the vault bytes changed")
			}
		})
	}
}

// --- child processes: the real keyring code, several processes, crashes ---

// TestVaultHelperProcess is not a test: it is the child process of the tests below,
// running otpair's commands with the real environment. OTPAIR_VAULT_HELPER holds the
// mode ("run": one command; "loop": import each line of a file as its own command,
// printing "ok N" after each).
func TestVaultHelperProcess(t *testing.T) {
	mode := os.Getenv("OTPAIR_VAULT_HELPER")
	if mode == "" {
		return
	}
	if wf := os.Getenv("OTPAIR_VAULT_HELPER_SCRYPT"); wf != "" {
		scryptWorkFactor, _ = strconv.Atoi(wf)
	}
	args := strings.Split(os.Getenv("OTPAIR_VAULT_HELPER_ARGS"), "\x1f")
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: time.Now, getenv: os.Getenv}
	switch mode {
	case "run":
		os.Exit(run(context.Background(), e, args))
	case "loop":
		data, err := os.ReadFile(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		for i, line := range strings.Fields(string(data)) {
			if code := run(context.Background(), &env{stdin: strings.NewReader(""), stdout: io_discard{}, stderr: os.Stderr, now: time.Now, getenv: os.Getenv}, []string{"import", line}); code != 0 {
				os.Exit(code)
			}
			fmt.Printf("ok %d\n", i+1)
		}
		os.Exit(0)
	}
	os.Exit(3)
}

type io_discard struct{}

func (io_discard) Write(p []byte) (int, error) { return len(p), nil }

// helperCmd prepares a child running otpair args with vars added to the environment.
func helperCmd(t *testing.T, mode string, vars map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestVaultHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OTPAIR_VAULT_HELPER="+mode, "OTPAIR_VAULT_HELPER_ARGS="+strings.Join(args, "\x1f"))
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// noKeyringVars is an environment with no Secret Service at all: a session bus address
// that leads nowhere.
func noKeyringVars(home string) map[string]string {
	return map[string]string{
		"OTPAIR_HOME": home, "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(home, "no-such-bus"),
		"OTPAIR_PASSPHRASE": "test passphrase", "OTPAIR_VAULT_HELPER_SCRYPT": "4",
	}
}

// TestVaultNoKeyringAtAll: with a bus address that leads nowhere, the real keyring code
// falls back to a passphrase for a new vault and says so, naming the reason.
func TestVaultNoKeyringAtAll(t *testing.T) {
	home := t.TempDir()
	vars := noKeyringVars(home)
	k := randKey(t, "No", "keyring", 0)
	out, err := helperCmd(t, "run", vars, "import", k.URI()).CombinedOutput()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "passphrase mode") || !strings.Contains(string(out), "OS keyring unavailable") {
		t.Errorf("import did not say it uses a passphrase and why:\n%s", out)
	}
	vars["OTPAIR_PASSPHRASE"] = "wrong"
	out, err = helperCmd(t, "run", vars, "list").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "wrong passphrase") {
		t.Errorf("list with a wrong passphrase: %v\n%s", err, out)
	}
	vars["OTPAIR_PASSPHRASE"] = "test passphrase"
	out, err = helperCmd(t, "run", vars, "list").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No: keyring") {
		t.Errorf("list: %v\n%s", err, out)
	}
}

// writeURIFile writes n random URIs, one a line, and returns the file.
func writeURIFile(t *testing.T, prefix string, n int) (string, []provisioning.Key) {
	t.Helper()
	var b strings.Builder
	var keys []provisioning.Key
	for i := range n {
		k := randKey(t, prefix, fmt.Sprintf("user%03d", i), i)
		keys = append(keys, k)
		b.WriteString(k.URI() + "\n")
	}
	path := filepath.Join(t.TempDir(), prefix+".txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, keys
}

// TestVaultConcurrentProcesses: two processes, each importing 100 accounts one command
// at a time, at once, into one new vault: all 200 are there.
func TestVaultConcurrentProcesses(t *testing.T) {
	modes := map[string]func(home string) map[string]string{"passphrase": noKeyringVars}
	if os.Getenv("OTPAIR_TEST_KEYRING") != "" {
		modes["keyring"] = func(home string) map[string]string { return map[string]string{"OTPAIR_HOME": home} }
	}
	for name, vars := range modes {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			fa, _ := writeURIFile(t, "A", 100)
			fb, _ := writeURIFile(t, "B", 100)
			var wg sync.WaitGroup
			outs := make([][]byte, 2)
			errs := make([]error, 2)
			for i, f := range []string{fa, fb} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					outs[i], errs[i] = helperCmd(t, "loop", vars(home), f).CombinedOutput()
				}()
			}
			wg.Wait()
			for i := range errs {
				if errs[i] != nil {
					t.Fatalf("child %d: %v\n%s", i, errs[i], outs[i])
				}
			}
			out, err := helperCmd(t, "run", vars(home), "list", "--json").Output()
			if err != nil {
				t.Fatal(err)
			}
			var got []accountJSON
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 200 {
				t.Errorf("%d accounts after two concurrent importers of 100, want 200", len(got))
			}
			cleanupKeyringItem(t, home)
		})
	}
}

// TestVaultCrash: a child killed with SIGKILL in the middle of a loop of writes leaves
// a vault that opens, holding every account the child reported stored.
func TestVaultCrash(t *testing.T) {
	home := t.TempDir()
	vars := noKeyringVars(home)
	f, _ := writeURIFile(t, "K", 400)
	cmd := helperCmd(t, "loop", vars, f)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	reported := 0
	for reported < 30 && sc.Scan() {
		reported++
	}
	cmd.Process.Signal(syscall.SIGKILL)
	for sc.Scan() {
		reported++ // lines already written before the kill
	}
	state, _ := cmd.Process.Wait()
	if reported < 30 {
		t.Fatalf("the child stored only %d accounts before it ended (%v):\n%s", reported, state, stderr.String())
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Logf("the child ended on its own (%v) before the kill; the vault must still open", state)
	}
	out, err := helperCmd(t, "run", vars, "list", "--json").Output()
	if err != nil {
		t.Fatalf("the vault does not open after the crash: %v", err)
	}
	var got []accountJSON
	json.Unmarshal(out, &got)
	if len(got) < reported {
		t.Errorf("%d accounts after the crash, but the child reported %d stored", len(got), reported)
	}
	// A second kill during the write loop, then another writer: no stale temp file
	// breaks the next write.
	mustChild := helperCmd(t, "run", vars, "import", randKey(t, "After", "crash", 0).URI())
	if out, err := mustChild.CombinedOutput(); err != nil {
		t.Errorf("import after the crash: %v\n%s", err, out)
	}
}

// cleanupKeyringItem deletes the real keyring item of the vault in home, if any.
func cleanupKeyringItem(t *testing.T, home string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, authenticator.MetaFileName))
	if err != nil || os.Getenv("OTPAIR_TEST_KEYRING") == "" {
		return
	}
	var m struct {
		User string `json:"keyring_user"`
	}
	json.Unmarshal(b, &m)
	if m.User != "" {
		authenticator.SystemKeyring{}.Delete(context.Background(), "otpair", m.User)
	}
}
