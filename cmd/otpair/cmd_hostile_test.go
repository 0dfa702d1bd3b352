package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/safetext/safetexttest"
)

// Names a terminal would act on, as issue 11 found them: OSC 52 writes the clipboard,
// OSC 0 renames the window, U+009B is a one-byte CSI, and bidi and zero-width
// characters disguise a name. shown is how the CLI prints each.
var hostileNames = []struct{ name, raw, shown string }{
	{"OSC 52", "\x1b]52;c;cHduZWQ=\x07Bank", `\x1b]52;c;cHduZWQ=\aBank`},
	{"OSC 0", "\x1b]0;pwned\x07", `\x1b]0;pwned\a`},
	{"C1 CSI", "Shop\u009b2J", `Shop\u009b2J`},
	{"bidi", "adm\u202enimda", `adm\u202enimda`},
	{"zero width", "bo\u200bb", `bo\u200bb`},
}

// mustBeSafe fails if out holds a character a terminal acts on.
func mustBeSafe(t *testing.T, what, out string) {
	t.Helper()
	if bad := safetexttest.Find(out); bad != "" {
		t.Errorf("%s prints %s:\n%q", what, bad, out)
	}
}

// TestEveryPrinterGoesThroughSafetext keeps the rule that makes the CLI safe: in
// cmd/otpair nothing prints with fmt directly or encodes JSON on its own. Text goes
// through safetext.Fprint/Fprintf/Fprintln (every operand escaped) and --json through
// writeJSON; the QR drawings, which hold colour codes of their own, go out with
// io.WriteString.
func TestEveryPrinterGoesThroughSafetext(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var fn string
		ast.Inspect(f, func(n ast.Node) bool {
			if d, ok := n.(*ast.FuncDecl); ok {
				fn = d.Name.Name
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch {
			case pkg.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Print"), pkg.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Fprint"):
				t.Errorf("%s: fmt.%s prints outside text raw: use safetext.%s", fset.Position(call.Pos()), sel.Sel.Name, sel.Sel.Name)
			case pkg.Name == "json" && (sel.Sel.Name == "NewEncoder" || sel.Sel.Name == "Marshal" || sel.Sel.Name == "MarshalIndent") && fn != "writeJSON":
				t.Errorf("%s: json.%s outside writeJSON: --json output goes through writeJSON", fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// TestCLIShowsHostileNamesEscaped is issue 11's terminal injection through the
// account commands: import, list, list --json (U+009B written as \u009b), code --json,
// rename, rm (its question and its answer), export, and an ambiguous query all show
// the names escaped, and the JSON still decodes to the names as they were imported.
func TestCLIShowsHostileNamesEscaped(t *testing.T) {
	useMemKeyring(t)
	for _, c := range hostileNames {
		t.Run(c.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			uri := "otpauth://totp/" + url.PathEscape(c.raw) + ":" + url.PathEscape(c.raw) + "?secret=JBSWY3DPEHPK3PXP"
			other := "otpauth://totp/" + url.PathEscape(c.raw) + ":second?secret=GEZDGNBVGY3TQOJQ"
			code, out, errOut := vrun(t, home, "", nil, "import", uri, other)
			mustBeSafe(t, "import", out+errOut)
			if code != 0 || !strings.Contains(out, "added   "+c.shown+": "+c.shown) {
				t.Fatalf("import = %d\n%s\n%s", code, out, errOut)
			}
			list := mustRun(t, home, "", nil, "list")
			mustBeSafe(t, "list", list)
			if !strings.Contains(list, c.shown+": "+c.shown) {
				t.Errorf("list does not show %s escaped:\n%s", c.shown, list)
			}
			js := mustRun(t, home, "", nil, "list", "--json")
			mustBeSafe(t, "list --json", js)
			var accts []accountJSON
			if err := json.Unmarshal([]byte(js), &accts); err != nil || len(accts) != 2 || accts[0].Issuer != c.raw || accts[0].Account != c.raw {
				t.Fatalf("list --json does not decode to the imported names: %v\n%s", err, js)
			}
			id := accts[0].ID
			cj := mustRun(t, home, "", nil, "code", id, "--json")
			mustBeSafe(t, "code --json", cj)

			// An ambiguous query lists the candidates; an unknown one is quoted.
			_, out, errOut = vrun(t, home, "", nil, "code", c.raw)
			mustBeSafe(t, "code (ambiguous)", out+errOut)
			_, out, errOut = vrun(t, home, "", nil, "code", "nothing"+c.raw)
			mustBeSafe(t, "code (no match)", out+errOut)

			exp := mustRun(t, home, "", nil, "export", id)
			mustBeSafe(t, "export", exp)

			_, out, errOut = vrun(t, home, "", nil, "rename", id, "--account", c.raw+"2")
			mustBeSafe(t, "rename", out+errOut)
			if !strings.Contains(out, "to "+c.shown+": "+c.shown+"2") {
				t.Errorf("rename does not show the names escaped:\n%s", out)
			}
			code, out, errOut = vrun(t, home, "n\n", nil, "rm", id)
			mustBeSafe(t, "rm question", out+errOut)
			if code != 1 || !strings.Contains(errOut, "Remove "+c.shown+": ") {
				t.Errorf("rm question = %d:\n%s", code, errOut)
			}
			out = mustRun(t, home, "", nil, "rm", id, "--yes")
			mustBeSafe(t, "rm", out)
			if !strings.Contains(out, "removed "+c.shown) {
				t.Errorf("rm does not show the name escaped:\n%s", out)
			}
		})
	}
}

// TestListJSONEscapesC1: the case of issue 11, U+009B raw in `list --json`.
func TestListJSONEscapesC1(t *testing.T) {
	useMemKeyring(t)
	home := filepath.Join(t.TempDir(), "home")
	mustRun(t, home, "", nil, "import", "otpauth://totp/Evil%C2%9B31m:x?secret=JBSWY3DPEHPK3PXP")
	js := mustRun(t, home, "", nil, "list", "--json")
	if strings.Contains(js, "\u009b") || !strings.Contains(js, `"issuer": "Evil\u009b31m"`) {
		t.Fatalf("list --json writes U+009B raw or not as \\u009b:\n%q", js)
	}
}

// TestDecodeShowsHostileTextEscaped: QR codes that hold an otpauth URI with terminal
// escapes in its label (raw, and as a C1 control the URI parser accepts) and a text
// that is no URI at all: decode's URIs, its messages and its --json are all safe.
func TestDecodeShowsHostileTextEscaped(t *testing.T) {
	dir := t.TempDir()
	texts := []string{
		"otpauth://totp/\x1b]52;c;cHduZWQ=\x07Bank:alice?secret=JBSWY3DPEHPK3PXP",
		"otpauth://totp/Shop\u009b2J\u202e:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Shop\u009b2J\u202e",
		"\x1b]0;pwned\x07 not a URI",
	}
	var files []string
	for i, text := range texts {
		files = append(files, writeQRFile(t, dir, "code"+itoa(i)+".png", text))
	}
	code, out, errOut := runQRCmd(t, "", nil, append([]string{"decode"}, files...)...)
	mustBeSafe(t, "decode", out+errOut)
	for _, want := range []string{`otpauth://totp/\x1b]52;c;cHduZWQ=\aBank:alice?secret=`, `otpauth://totp/Shop\u009b2J\u202e:bob?secret=`} {
		if !strings.Contains(out, want) {
			t.Errorf("decode does not print %s:\n%s", want, out)
		}
	}
	if code != 1 || !strings.Contains(errOut, `\x1b]0;pwned\a not a URI`) {
		t.Errorf("decode = %d, stderr:\n%s", code, errOut)
	}
	code, js, codes := decodeJSON(t, files...)
	mustBeSafe(t, "decode --json", js)
	if code != 1 || len(codes) != 3 {
		t.Fatalf("decode --json = %d, %d codes:\n%s", code, len(codes), js)
	}
	if key := jsonField(codes[1], "key"); key == nil || key["issuer"] != "Shop\u009b2J\u202e" {
		t.Errorf("decode --json does not decode to the issuer as it was: %v", codes[1])
	}
}

// hostileServer is a verifier on loopback that answers with h in every string a client
// prints: the user of me, the enrolment of sign-up, and the description and message of
// every error.
func hostileServer(t *testing.T, h string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var body any
		switch {
		case r.URL.Path == "/v1/auth/me":
			body = map[string]any{"loginIds": []string{h}, "userId": "U" + h, "name": h, "email": h, "phone": h, "TOTP": true}
		case r.URL.Path == "/v1/auth/totp/signup":
			body = map[string]any{"provisioningURL": "otpauth://totp/" + h + "?secret=JBSWY3DPEHPK3PXP", "key": h, "image": ""}
		case strings.HasPrefix(r.URL.Path, "/v2/keys/"):
			body = map[string]any{"keys": []any{}}
		default:
			w.WriteHeader(http.StatusBadRequest)
			body = map[string]any{"errorCode": "E011001" + h, "errorDescription": h, "errorMessage": "message " + h}
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestVerifierCommandsEscapeWhatTheServerSays: a remote server (a real one on
// loopback, answering as an attacker would) puts terminal escapes in the user's login
// id, name and email, in a sign-up's URI and key, and in its error messages; `otpair
// verifier` prints them escaped, in plain and --json output.
func TestVerifierCommandsEscapeWhatTheServerSays(t *testing.T) {
	for _, c := range hostileNames {
		t.Run(c.name, func(t *testing.T) {
			o := newOtpairRun(t)
			base := []string{"--backend", hostileServer(t, c.raw), "--project-id", "P1"}
			o.env[envRefreshToken] = "a.b.c"
			o.env[envManagementKey] = "K"
			step := func(name string, args ...string) []string {
				return append(append([]string{"verifier", name}, base...), args...)
			}
			code, out, errOut := o.run(step("me")...)
			mustBeSafe(t, "verifier me", out+errOut)
			if code != 0 || !strings.Contains(out, "login id: "+c.shown) || !strings.Contains(out, "name:     "+c.shown) || !strings.Contains(out, "email:    "+c.shown) {
				t.Errorf("verifier me = %d:\n%s\n%s", code, out, errOut)
			}
			code, out, errOut = o.run(step("me", "--json")...)
			mustBeSafe(t, "verifier me --json", out+errOut)
			var me map[string]any
			if err := json.Unmarshal([]byte(out), &me); err != nil || code != 0 || me["name"] != c.raw || me["email"] != c.raw {
				t.Errorf("verifier me --json = %d (%v):\n%s", code, err, out)
			}
			code, out, errOut = o.run(step("signup", "--qr=false", "x@example.com")...)
			mustBeSafe(t, "verifier signup", out+errOut)
			if code != 0 || !strings.Contains(out, "key:              "+c.shown) {
				t.Errorf("verifier signup = %d:\n%s\n%s", code, out, errOut)
			}
			for _, s := range [][]string{step("logout"), step("delete-seed", "x@example.com"), step("signin", "x@example.com", "123456"), step("refresh", "--json")} {
				code, out, errOut = o.run(s...)
				mustBeSafe(t, strings.Join(s[:2], " "), out+errOut)
				if code != 1 || !strings.Contains(errOut, c.shown) {
					t.Errorf("%s = %d, the server's message is not shown escaped:\n%s", strings.Join(s[:2], " "), code, errOut)
				}
			}
		})
	}
}

// TestTUIInTmuxShowsHostileTextEscaped is issue 11's report replayed in a real terminal:
// tmux with set-clipboard on, a vault holding an account whose issuer is an OSC 52
// clipboard write and an OSC 0 title, and a remote backend that answers a sign-up and
// a sign-in with the same. The old TUI set tmux's clipboard (a paste buffer) and the
// pane's title on every redraw; now the sequences show escaped and do nothing.
func TestTUIInTmuxShowsHostileTextEscaped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const hostile = "\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07"
	const shown = `\x1b]52;c;cHduZWQ=\a\x1b]0;pwned\a`
	bin := buildTUIBinary(t)
	env := e2eEnv(t)
	imp := exec.Command(bin, "import", "otpauth://totp/"+url.PathEscape(hostile+"Bank")+":alice?secret=JBSWY3DPEHPK3PXP")
	imp.Env = env
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	server := hostileServer(t, hostile)
	s := startTmux(t, 120, 40, env, "sleep", "600")
	s.run("set-option", "-g", "set-clipboard", "on")
	s.run(append(append([]string{"respawn-pane", "-k", "-t", s.name, "--", "env", "-i"}, env...),
		bin, "tui", "--backend", server, "--project-id", "P1")...)
	// The clipboard and the title, which the old TUI overwrote on every redraw.
	untouched := func(when string) {
		t.Helper()
		if buffers := strings.TrimSpace(s.run("list-buffers")); buffers != "" {
			t.Errorf("%s: the TUI wrote tmux's clipboard: %s", when, buffers)
		}
		if title := strings.TrimSpace(s.run("display-message", "-p", "-t", s.name, "#{pane_title}")); strings.Contains(title, "pwned") {
			t.Errorf("%s: the TUI renamed the pane: %q", when, title)
		}
	}
	s.waitFor("1 account", "connected to "+server)
	untouched("with the account on screen")
	s.waitFor(shown + "Bank")
	s.keys("Tab", "s")
	s.waitFor("Sign up", "Login ID")
	s.text("erin@example.com")
	s.keys("Enter")
	s.waitFor("Sign-up of erin@example.com", "Key "+shown)
	s.keys("i")
	s.waitFor("Sign in")
	s.text("123456")
	s.keys("Enter")
	s.waitFor("✗ sign-in", "E011001"+shown)
	untouched("after the server's sign-up and error")
}
