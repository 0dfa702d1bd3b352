package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/tui"
)

// oathtoolWindow is oathtool's codes for a base32 secret from unix time at on, n+1 of
// them (its -w counts the codes after the first).
func oathtoolWindow(t *testing.T, tool, alg string, digits, period int, secret string, at int64, n int) []string {
	t.Helper()
	out, err := exec.Command(tool, "--totp="+alg, "-d", fmt.Sprint(digits), "-s", fmt.Sprint(period),
		"-N", fmt.Sprintf("@%d", at), "-w", fmt.Sprint(n), "--base32", secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.Fields(string(out))
}

// TestTOTPAgainstOathtool: `otpair totp` makes oathtool's codes from a secret on the
// command line or on stdin, and from a URI, for each algorithm, digit count and period,
// --window N giving the 2N+1 codes around the time oldest first; nothing is stored.
func TestTOTPAgainstOathtool(t *testing.T) {
	oath := external.Tool(t, "oathtool", "oathtool")
	o := newOtpairRun(t)
	const at = int64(1795000007)
	cases := []struct {
		alg            string
		digits, period int
		secret         string
	}{
		{"SHA1", 6, 30, "JBSWY3DPEHPK3PXP"},
		{"SHA256", 8, 60, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"},
		{"SHA512", 7, 15, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA"},
	}
	for _, c := range cases {
		want := oathtoolWindow(t, oath, c.alg, c.digits, c.period, c.secret, at, 0)[0]
		flags := []string{"--at", fmt.Sprint(at), "--algorithm", strings.ToLower(c.alg), "--digits", fmt.Sprint(c.digits), "--period", fmt.Sprint(c.period)}
		if code, out, errs := o.run(append([]string{"totp", c.secret}, flags...)...); code != 0 || strings.TrimSpace(out) != want {
			t.Errorf("totp %s: exit %d, %q (stderr %q), oathtool says %s", c.alg, code, out, errs, want)
		}
		o.stdin = strings.ToLower(c.secret) + "\n"
		if code, out, errs := o.run(append([]string{"totp", "-"}, flags...)...); code != 0 || strings.TrimSpace(out) != want {
			t.Errorf("totp - %s: exit %d, %q (stderr %q), oathtool says %s", c.alg, code, out, errs, want)
		}
		o.stdin = ""
		uri := fmt.Sprintf("otpauth://totp/X:y?secret=%s&algorithm=%s&digits=%d&period=%d", c.secret, c.alg, c.digits, c.period)
		if code, out, errs := o.run("totp", uri, "--at", fmt.Sprint(at)); code != 0 || strings.TrimSpace(out) != want {
			t.Errorf("totp URI %s: exit %d, %q (stderr %q), oathtool says %s", c.alg, code, out, errs, want)
		}
		wantWin := oathtoolWindow(t, oath, c.alg, c.digits, c.period, c.secret, at-2*int64(c.period), 4)
		code, out, errs := o.run(append([]string{"totp", c.secret, "--window", "2"}, flags...)...)
		if got := strings.Fields(out); code != 0 || strings.Join(got, " ") != strings.Join(wantWin, " ") {
			t.Errorf("totp --window 2 %s: exit %d, %q (stderr %q), oathtool says %q", c.alg, code, got, errs, wantWin)
		}
	}
	var j totpJSON
	_, out, _ := o.run("totp", "JBSWY3DPEHPK3PXP", "--at", fmt.Sprint(at), "--window", "1", "--json")
	if err := json.Unmarshal([]byte(out), &j); err != nil || len(j.Window) != 3 || j.Window[0].Offset != -1 ||
		j.Window[1].Code != j.Code || j.Window[2].Code != j.NextCode || j.Remaining != 30-int(at%30) {
		t.Errorf("totp --json: %v %+v", err, j)
	}
	if code, _, errs := o.run("list"); code != 0 || !strings.Contains(errs, "no accounts yet") {
		t.Errorf("after totp, list: exit %d, %q; want an empty vault", code, errs)
	}
}

// TestTOTPBadInput: bad secrets, URIs and flags are bad usage that never echoes the
// secret.
func TestTOTPBadInput(t *testing.T) {
	o := newOtpairRun(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"totp", "JBSWY3DPEHPK3PX!"}, "not base32"},
		{[]string{"totp", "otpauth://hotp/X:y?secret=JBSWY3DPEHPK3PXP&counter=1"}, "HOTP"},
		{[]string{"totp", "otpauth://totp/X:y?secret=JBSWY3DPEHPK3PXP", "--digits", "8"}, "--digits is for a bare secret"},
		{[]string{"totp", "JBSWY3DPEHPK3PXP", "--window", "101"}, "--window"},
		{[]string{"totp", "JBSWY3DPEHPK3PXP", "--algorithm", "sha265"}, "did you mean SHA256"},
		{[]string{"totp", "JBSWY3DPEHPK3PXP", "--digits", "12"}, "digits"},
		{[]string{"totp"}, "give one base32 secret"},
	} {
		code, out, errs := o.run(c.args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.want) || strings.Contains(errs, "JBSWY3DPEHPK3P") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errs, c.want)
		}
	}
	o.stdin = ""
	if code, _, errs := o.run("totp", "-"); code != 1 || !strings.Contains(errs, "nothing on standard input") {
		t.Errorf("totp - with empty stdin: exit %d, %q", code, errs)
	}
}

// TestCodesAllAccounts: `otpair codes` prints every account's code, seconds left and
// next code as `code` does, filtered by QUERY; HOTP rows show the counter and do not
// move it.
func TestCodesAllAccounts(t *testing.T) {
	useMemKeyring(t)
	home := t.TempDir()
	gh := randKey(t, "GitHub", "alice", 0)
	gl := randKey(t, "GitLab", "bob", 1)
	bank := randKey(t, "Bank", "carol", 0)
	bank.Type, bank.Period, bank.Counter = provisioning.HOTP, 0, 7
	mustRun(t, home, gh.URI()+"\n"+gl.URI()+"\n"+bank.URI()+"\n", nil, "import", "-")

	var rows []codeJSON
	if err := json.Unmarshal([]byte(mustRun(t, home, "", nil, "codes", "--json")), &rows); err != nil || len(rows) != 3 {
		t.Fatalf("codes --json: %v, %d rows", err, len(rows))
	}
	for i, k := range []provisioning.Key{gh, gl} {
		var one codeJSON
		if err := json.Unmarshal([]byte(mustRun(t, home, "", nil, "code", k.Issuer, "--json")), &one); err != nil {
			t.Fatal(err)
		}
		want, _ := k.Code(vaultNow)
		if rows[i] != one || rows[i].Code != want || rows[i].Remaining == 0 || rows[i].NextCode == "" {
			t.Errorf("codes row %d = %+v; code %s says %+v, provisioning %s", i, rows[i], k.Issuer, one, want)
		}
	}
	if r := rows[2]; r.Type != "hotp" || r.Code != "" || r.Counter == nil || *r.Counter != 7 {
		t.Errorf("HOTP row = %+v; want counter 7 and no code", r)
	}
	mustRun(t, home, "", nil, "codes")
	if out := mustRun(t, home, "", nil, "list", "--json"); !strings.Contains(out, `"counter": 7`) {
		t.Errorf("codes moved the HOTP counter: %s", out)
	}
	text := mustRun(t, home, "", nil, "codes", "git")
	if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) != 2 || !strings.Contains(lines[0], rows[0].Code+"  ") ||
		!strings.HasSuffix(lines[0], "GitHub: alice") || !strings.Contains(lines[1], rows[1].NextCode) {
		t.Errorf("codes git:\n%s", text)
	}
	if code, _, errs := vrun(t, home, "", nil, "codes", "nomatch"); code != 1 || !strings.Contains(errs, "no account matches") {
		t.Errorf("codes nomatch: exit %d, %q", code, errs)
	}
}

// TestCodeAtOnHOTPIsUsage: --at on an HOTP account is bad usage (exit 2) and leaves its
// counter where it was; before, otpair warned, advanced it and printed a code.
func TestCodeAtOnHOTPIsUsage(t *testing.T) {
	useMemKeyring(t)
	home := t.TempDir()
	k := randKey(t, "Bank", "carol", 0)
	k.Type, k.Period, k.Counter = provisioning.HOTP, 0, 3
	mustRun(t, home, k.URI()+"\n", nil, "import", "-")
	code, out, errs := vrun(t, home, "", nil, "code", "Bank", "--at", "1795000007")
	if code != 2 || out != "" || !strings.Contains(errs, "--at") {
		t.Errorf("code --at on HOTP: exit %d, stdout %q, stderr %q; want 2 and no code", code, out, errs)
	}
	if list := mustRun(t, home, "", nil, "list", "--json"); !strings.Contains(list, `"counter": 3`) {
		t.Errorf("the counter moved:\n%s", list)
	}
	want, _ := k.CounterCode(3)
	if got := strings.TrimSpace(mustRun(t, home, "", nil, "code", "Bank")); got != want {
		t.Errorf("code Bank = %s, want counter 3's code %s", got, want)
	}
}

// TestPassphraseNoticeOnce: the passphrase-mode notice comes once, when the vault is
// created, with the reason; later runs by a script (stderr not a terminal) say nothing
// of it; -q silences it; after a rekey the stated reason is the rekey, not how the
// vault was created.
func TestPassphraseNoticeOnce(t *testing.T) {
	kr := useMemKeyring(t)
	kr.Err = errors.New("The name org.freedesktop.secrets was not provided by any .service files")
	home := t.TempDir()
	pw := map[string]string{envPassphrase: "correct horse"}
	code, _, errs := vrun(t, home, randKey(t, "A", "a", 0).URI()+"\n", pw, "import", "-")
	if code != 0 || strings.Count(errs, "passphrase mode") != 1 || !strings.Contains(errs, "created vault") || !strings.Contains(errs, "org.freedesktop.secrets") {
		t.Fatalf("creating import: exit %d, stderr:\n%s", code, errs)
	}
	for _, args := range [][]string{{"list"}, {"code", "A"}, {"codes"}, {"import", "-"}} {
		code, _, errs := vrun(t, home, randKey(t, "B", args[0], 0).URI()+"\n", pw, args...)
		if code != 0 || strings.Contains(errs, "passphrase") {
			t.Errorf("%v: exit %d, stderr %q; want no passphrase notice", args, code, errs)
		}
	}
	quiet := t.TempDir()
	if code, _, errs := vrun(t, quiet, randKey(t, "Q", "q", 0).URI()+"\n", pw, "-q", "import", "-"); code != 0 || strings.Contains(errs, "created vault") || strings.Contains(errs, "passphrase mode") {
		t.Errorf("-q import: exit %d, stderr %q; want no notice", code, errs)
	}

	kr.Err = nil
	rk := t.TempDir()
	mustRun(t, rk, randKey(t, "R", "r", 0).URI()+"\n", nil, "import", "-")
	mustRun(t, rk, "", map[string]string{envNewPassphrase: "a new passphrase"}, "vault", "rekey", "--passphrase")
	var info vaultInfoJSON
	if err := json.Unmarshal([]byte(mustRun(t, rk, "", map[string]string{envPassphrase: "a new passphrase"}, "vault", "info", "--json")), &info); err != nil {
		t.Fatal(err)
	}
	if info.Protection != "passphrase" || strings.Contains(info.Reason, "created with") || !strings.Contains(info.Reason, "rekey --passphrase") {
		t.Errorf("after rekey --passphrase, vault info = %+v; want the rekey as the reason", info)
	}
	mustRun(t, rk, "", map[string]string{envPassphrase: "a new passphrase"}, "vault", "rekey", "--keyring")
	info = vaultInfoJSON{}
	json.Unmarshal([]byte(mustRun(t, rk, "", nil, "vault", "info", "--json")), &info)
	if info.Protection != "keyring" || !strings.Contains(info.Reason, "rekey --keyring") {
		t.Errorf("after rekey --keyring, vault info = %+v; want the rekey as the reason", info)
	}
}

// TestImportNoURIOneLine: importing a file with no URI in it says so on one line, not
// a line per line of the file and a closing "(the rest were)" when nothing was.
func TestImportNoURIOneLine(t *testing.T) {
	useMemKeyring(t)
	home := t.TempDir()
	file := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(file, []byte("hello\nworld\nnot a uri\n"), 0o600)
	code, out, errs := vrun(t, home, "", nil, "import", file)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != 1 || out != "" || len(lines) != 1 || !strings.Contains(errs, "none of them an otpauth") || strings.Contains(errs, "the rest were") {
		t.Errorf("import of a file with no URI: exit %d, stdout %q, stderr:\n%s", code, out, errs)
	}
	code, _, errs = vrun(t, home, "", nil, "import", file, filepath.Join(home, "missing.txt"))
	if code != 1 || strings.Contains(errs, "the rest were") || !strings.Contains(errs, "nothing was stored") {
		t.Errorf("two bad sources: exit %d, stderr:\n%s", code, errs)
	}
}

// TestCodeCopy: --copy hands the code to the clipboard and prints no code anywhere,
// naming the tool that took it; with no clipboard at all it fails saying so; --copy
// and --json do not go together.
func TestCodeCopy(t *testing.T) {
	useMemKeyring(t)
	home := t.TempDir()
	k := randKey(t, "GitHub", "alice", 0)
	mustRun(t, home, k.URI()+"\n", nil, "import", "-")
	want, _ := k.Code(vaultNow)
	var copied []string
	old := codeClipboard
	t.Cleanup(func() { codeClipboard = old })
	codeClipboard = func(e *env) tui.Clipboard {
		return &tui.SystemClipboard{Getenv: func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] }, GOOS: "linux",
			Run: func(_ context.Context, name string, _ []string, text string) (string, error) {
				copied = append(copied, name+" "+text)
				return "", nil
			}}
	}
	code, out, errs := vrun(t, home, "", nil, "code", "github", "--copy")
	if code != 0 || out != "" || strings.Contains(errs, want) || !strings.Contains(errs, "copied via xclip") || !strings.Contains(errs, "GitHub: alice") {
		t.Errorf("code --copy: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if len(copied) != 1 || copied[0] != "xclip "+want {
		t.Errorf("the clipboard got %q, want xclip %s", copied, want)
	}
	codeClipboard = func(e *env) tui.Clipboard {
		return &tui.SystemClipboard{Getenv: func(string) string { return "" }, GOOS: "linux"}
	}
	code, out, errs = vrun(t, home, "", nil, "code", "github", "--copy")
	if code != 1 || out != "" || strings.Contains(errs, want) || !strings.Contains(errs, "nothing reached the clipboard") {
		t.Errorf("code --copy without a clipboard: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, _ := vrun(t, home, "", nil, "code", "github", "--copy", "--json"); code != 2 {
		t.Errorf("code --copy --json: exit %d, want 2", code)
	}
}
