package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/atomicfile"
	"github.com/otpair/otpair/provisioning"
)

// TestQRCommandPNGNewFile is issue 11's item 11 for `qr --png FILE`: it truncated an
// existing file and kept its 0644 mode, and wrote through a symlink. The PNG is now a
// new 0600 file renamed over FILE: the old mode is gone, a symlink's target keeps its
// bytes, and no temporary file is left.
func TestQRCommandPNGNewFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "key.png")
	os.WriteFile(path, []byte("an older, public file"), 0o644)
	if code, _, errOut := runQRCmd(t, "", nil, "qr", "--png", path, decodeURI1); code != 0 {
		t.Fatalf("qr --png over a 0644 file = %d %q", code, errOut)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the PNG over a 0644 file: mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if texts, err := provisioning.DecodeQRFile(t.Context(), path); err != nil || !slices.Equal(texts, []string{decodeURI1}) {
		t.Errorf("the PNG decodes to %v, %v", texts, err)
	}

	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("not yours"), 0o644)
	link := filepath.Join(dir, "link.png")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	if code, _, errOut := runQRCmd(t, "", nil, "qr", "--png", link, decodeURI1); code != 0 {
		t.Fatalf("qr --png at a symlink = %d %q", code, errOut)
	}
	if b, _ := os.ReadFile(victim); string(b) != "not yours" {
		t.Errorf("qr --png wrote through the symlink: the target holds %d bytes", len(b))
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("at the symlink's place: %v %v, want a 0600 file", fi.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*"+atomicfile.TempSuffix+"*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// exportTo runs `otpair export` with stdout the file f.
func exportTo(t *testing.T, home string, f *os.File) (int, string) {
	t.Helper()
	var errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: f, stderr: &errOut, now: func() time.Time { return vaultNow },
		getenv: func(k string) string {
			if k == "OTPAIR_HOME" {
				return home
			}
			return ""
		}}
	return run(t.Context(), e, []string{"export"}), errOut.String()
}

// TestExportWarnsWhereOthersMaySee: export printed secrets to a terminal without a
// word. It warns on stderr before printing to a terminal (in tmux) or to a file others
// may read, and stays quiet for a pipe or a private file, so scripts are not stopped.
func TestExportWarnsWhereOthersMaySee(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	k := randKey(t, "Export", "me", 0)
	mustRun(t, home, "", nil, "import", k.URI())
	if code, out, errOut := vrun(t, home, "", nil, "export"); code != 0 || !strings.Contains(out, k.SecretBase32()) || errOut != "" {
		t.Errorf("export to a pipe = %d, stderr %q", code, errOut)
	}
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o644, true}, {0o640, true}} {
		f, err := os.OpenFile(filepath.Join(t.TempDir(), "out.txt"), os.O_RDWR|os.O_CREATE, tc.mode)
		if err != nil {
			t.Fatal(err)
		}
		f.Chmod(tc.mode)
		code, errOut := exportTo(t, home, f)
		f.Close()
		b, _ := os.ReadFile(f.Name())
		if code != 0 || !strings.Contains(string(b), k.SecretBase32()) || strings.Contains(errOut, "chmod 600") != tc.warn {
			t.Errorf("export to a %04o file = %d, stderr %q", tc.mode, code, errOut)
		}
	}

	// A real terminal.
	if testing.Short() {
		return
	}
	bin := buildTUIBinary(t)
	env := e2eEnv(t)
	home = strings.TrimPrefix(env[0], "OTPAIR_HOME=")
	out, err := helperCmd(t, "run", map[string]string{"OTPAIR_HOME": home, "OTPAIR_PASSPHRASE": "correct horse battery staple",
		"DBUS_SESSION_BUS_ADDRESS": "disabled:", "OTPAIR_VAULT_HELPER_SCRYPT": "4"}, "import", k.URI()).CombinedOutput()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	s := startTmux(t, 200, 20, env, "sh", "-c", `"$0" export; echo "rc=$?"; sleep 600`, bin)
	scr := s.waitFor("rc=0")
	w, sec := strings.Index(scr, "warning: these lines hold the accounts' secrets"), strings.Index(scr, k.SecretBase32())
	if w < 0 || sec < 0 || w > sec {
		t.Errorf("export to a terminal: no warning before the secrets:\n%s", scr)
	}
}

// TestManagementKeyOffTheCommandLine: the management key can come from a file
// (--management-key-file, for serve, the TUI and verifier) instead of the command
// line, where every local user can read it; the file, like management.key and
// seed.key in the otpair home, is refused when others may read it; a key on the
// command line still works, with a warning; the help says all this.
func TestManagementKeyOffTheCommandLine(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	o := newOtpairRun(t)
	keyPath := filepath.Join(t.TempDir(), "mgmt.key")
	os.WriteFile(keyPath, []byte("file-management-key-0123456789\n"), 0o600)
	_, _, stdout, _, stop := startServe(t, o, "--db", ":memory:", "--management-key-file", keyPath)
	if !strings.Contains(stdout.String(), "management key: from "+keyPath) || strings.Contains(stdout.String(), "file-management-key") {
		t.Errorf("serve --management-key-file: %s", stdout)
	}
	stop()
	_, _, _, stderr, stop := startServe(t, o, "--db", ":memory:", "--management-key", "flag-management-key-0123456789")
	if !strings.Contains(stderr.String(), "visible to every local user") || !strings.Contains(stderr.String(), "--management-key-file") {
		t.Errorf("serve --management-key gave no warning: %s", stderr)
	}
	stop()

	os.Chmod(keyPath, 0o644)
	managed := filepath.Join(o.env["OTPAIR_HOME"], managementKeyFile)
	for _, tc := range []struct {
		name  string
		setup func()
		args  []string
		code  int
		want  string
	}{
		{"key file open to others", func() {}, []string{"serve", "--db", ":memory:", "--management-key-file", keyPath}, 1, "chmod 600 " + keyPath},
		{"both flags", func() {}, []string{"serve", "--management-key", "x", "--management-key-file", keyPath}, 2, "not both"},
		{"management.key open to others", func() { os.WriteFile(managed, []byte("home-management-key-0123456789\n"), 0o644) },
			[]string{"serve", "--db", ":memory:"}, 1, "chmod 600 " + managed},
		{"seed.key open to others", func() {
			os.Chmod(managed, 0o600)
			os.WriteFile(filepath.Join(o.env["OTPAIR_HOME"], "seed.key"), []byte("c2VlZCBrZXkgc2VlZCBrZXkgc2VlZCBrZXkgc2VlZCA=\n"), 0o644)
		}, []string{"serve"}, 1, "chmod 600 " + filepath.Join(o.env["OTPAIR_HOME"], "seed.key")},
		{"verifier against a URL", func() {}, []string{"verifier", "delete-seed", "bob", "--backend", "http://127.0.0.1:1", "--project-id", "P", "--management-key-file", keyPath}, 1, "chmod 600 " + keyPath},
	} {
		tc.setup()
		code, _, errOut := o.run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "management-key-0123456789") {
			t.Errorf("%s: exit %d, stderr %q; want %d saying %q", tc.name, code, errOut, tc.code, tc.want)
		}
	}

	os.Chmod(keyPath, 0o600)
	cfg, err := tuiBackendConfig(&env{stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }},
		tuiFlags{backend: "http://127.0.0.1:1", keyFile: keyPath})
	if err != nil || cfg.ManagementKey != "file-management-key-0123456789" {
		t.Errorf("tui --management-key-file: %v", err)
	}

	for _, args := range [][]string{{"serve", "-h"}, {"tui", "-h"}, {"verifier", "delete-seed", "-h"}} {
		_, _, errOut := o.run(args...)
		if !strings.Contains(errOut, "-management-key-file") || !strings.Contains(errOut, "visible to every local user") {
			t.Errorf("%v does not offer the key file:\n%s", args, errOut)
		}
	}
	for _, args := range [][]string{{"import", "-h"}, {"qr", "-h"}} {
		_, _, errOut := o.run(args...)
		if !strings.Contains(errOut, "readable by every local user") || !strings.Contains(errOut, "stdin") {
			t.Errorf("%v does not say how to keep a URI off the command line:\n%s", args, errOut)
		}
	}
}

// TestPassphraseRulesName: the error for a short new passphrase names the rule, not
// the passphrase.
func TestPassphraseRulesName(t *testing.T) {
	kr := useMemKeyring(t)
	kr.Err = os.ErrNotExist
	home := filepath.Join(t.TempDir(), "home")
	code, _, errOut := vrun(t, home, "", map[string]string{"OTPAIR_PASSPHRASE": "hunter2"}, "import", randKey(t, "A", "a", 0).URI())
	if code != 1 || !strings.Contains(errOut, "at least 8 characters") || strings.Contains(errOut, "hunter2") {
		t.Errorf("a 7-character new passphrase = %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, authenticator.VaultFileName)); err == nil {
		t.Error("a vault was written with it")
	}
}
