package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/provisioning"
)

// Example URIs (secrets from public documentation examples).
const (
	decodeURI1   = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
	decodeURI2   = "otpauth://hotp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&counter=7&digits=8"
	decodeSecret = "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
)

// runQRCmd runs otpair in-process with the given stdin, returning the exit status and
// both streams.
func runQRCmd(t *testing.T, stdin string, getenv map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		now:    func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
		getenv: func(k string) string { return getenv[k] },
	}
	code = run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// writeQRFile writes text as a QR PNG into dir and returns the path.
func writeQRFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := provisioning.WriteQRPNG(&buf, text); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDecodeCommandPrintsURIs: one URI per line, in the order of the files.
// TestDecodeCommandKeepsGoing: a missing file, a file that is not an image, an image
// without a code and a code that is not an otpauth URI are each reported on stderr by
// name; the good files are still printed, and the exit status is 1.
// TestDecodeCommandNoCode: an image without a code says so.
func TestDecodeCommandNoCode(t *testing.T) {
	white := image.NewGray(image.Rect(0, 0, 200, 100))
	for i := range white.Pix {
		white.Pix[i] = 0xff
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, white); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "white.png")
	os.WriteFile(path, buf.Bytes(), 0o600)
	code, out, errOut := runQRCmd(t, "", nil, "decode", path)
	if code != 1 || out != "" || !strings.Contains(errOut, "white.png: no QR code found") {
		t.Errorf("decode white.png = %d, %q, %q", code, out, errOut)
	}
}

// TestDecodeCommandJSON: structure per code; no URI and no secret unless --show-secrets.
// TestRedactURI: the secret-bearing parameter is hidden whatever its case or encoding,
// and the rest of the URI is kept as written.
func TestRedactURI(t *testing.T) {
	for in, want := range map[string]string{
		decodeURI1: strings.Replace(decodeURI1, decodeSecret, "REDACTED", 1),
		"otpauth://totp/a?issuer=X&SECRET=abc&digits=8":   "otpauth://totp/a?issuer=X&secret=REDACTED&digits=8",
		"otpauth://totp/a?%73ecret=abc&secret=def":        "otpauth://totp/a?secret=REDACTED&secret=REDACTED",
		"OTPAUTH-MIGRATION://offline?data=CjEKCkhl%2B%3D": "OTPAUTH-MIGRATION://offline?data=REDACTED",
		"otpauth://totp/no-query":                         "otpauth://totp/no-query",
	} {
		if got := redactURI(in); got != want {
			t.Errorf("redactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// jsonField is a nested JSON object, or an empty one.
func jsonField(m map[string]any, name string) map[string]any {
	v, _ := m[name].(map[string]any)
	return v
}

func TestDecodeCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"decode"}, {"decode", "--show-secrets", "x.png"}, {"decode", "--nope", "x.png"}} {
		if code, _, errOut := runQRCmd(t, "", nil, args...); code != 2 || errOut == "" {
			t.Errorf("%q = %d, %q; want usage error 2", args, code, errOut)
		}
	}
}

// TestQRCommandPNG: --png writes a file only its owner can read, which decodes back.
// TestQRCommandTerminal: the terminal drawing is RenderQRTerminal's, black on white by
// default, plain for NO_COLOR and --style.
// TestQRCommandRefuses: bad URIs and bad usage are refused, naming the problem.
// TestDecodeCommandQrencodeImages: otpair decode over qrencode's images (module sizes 1
// to 10 as PNG and JPEG, a quarter-turned one, an inverted one, two codes side by side)
// in one run prints every URI, file by file. provisioning's tests cover arbitrary
// angles and 12 MP photos against zbarimg.
