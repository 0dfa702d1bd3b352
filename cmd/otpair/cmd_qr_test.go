package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/otpair/otpair/internal/external"
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

// TestDecodeCommandPrintsURIs: one URI per line, in the order of the files.
func TestDecodeCommandPrintsURIs(t *testing.T) {
	dir := t.TempDir()
	a, b := writeQRFile(t, dir, "a.png", decodeURI1), writeQRFile(t, dir, "b.png", decodeURI2)
	code, out, errOut := runQRCmd(t, "", nil, "decode", b, a)
	if code != 0 || out != decodeURI2+"\n"+decodeURI1+"\n" || errOut != "" {
		t.Errorf("decode b a = %d, %q, %q", code, out, errOut)
	}
	// - reads the image from stdin.
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runQRCmd(t, string(data), nil, "decode", "-"); code != 0 || out != decodeURI1+"\n" {
		t.Errorf("decode - = %d, %q", code, out)
	}
}

// TestDecodeCommandKeepsGoing: a missing file, a file that is not an image, a
// directory, an image without a code, a code that is not an otpauth URI and a URI that
// does not parse are each reported on stderr by name; the good files are still printed,
// and the exit status is 1.
func TestDecodeCommandKeepsGoing(t *testing.T) {
	dir := t.TempDir()
	good := writeQRFile(t, dir, "good.png", decodeURI1)
	wifi := writeQRFile(t, dir, "wifi.png", "WIFI:S:cafe;T:WPA;P:pw;;")
	md5URI := "otpauth://totp/X:y?secret=" + decodeSecret + "&algorithm=MD5"
	md5 := writeQRFile(t, dir, "md5.png", md5URI)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not an image"), 0o600)
	sub := filepath.Join(dir, "folder")
	os.Mkdir(sub, 0o700)
	good2 := writeQRFile(t, dir, "good2.png", decodeURI2)
	missing := filepath.Join(dir, "missing.png")
	code, out, errOut := runQRCmd(t, "", nil, "decode", good, missing, text, sub, wifi, md5, good2)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	// The URI that does not parse is still printed: decode reports what the codes hold.
	if want := decodeURI1 + "\n" + md5URI + "\n" + decodeURI2 + "\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	for _, want := range []string{
		"missing.png: ", "notes.txt: ", "folder: a directory", "wifi.png: a QR code holds \"WIFI:",
		"md5.png: parse otpauth uri: algorithm: unsupported algorithm \"MD5\"", "5 of 7 files gave no usable otpauth URI",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, decodeSecret) {
		t.Errorf("stderr shows a secret:\n%s", errOut)
	}
}

// drawQRs draws each text with EncodeQR side by side on one white canvas.
func drawQRs(t *testing.T, texts ...string) image.Image {
	t.Helper()
	var imgs []image.Image
	w, h := 0, 0
	for _, text := range texts {
		img, err := provisioning.EncodeQR(text)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
		w += img.Bounds().Dx()
		h = max(h, img.Bounds().Dy())
	}
	canvas := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(canvas, canvas.Rect, image.White, image.Point{}, draw.Src)
	x := 0
	for _, img := range imgs {
		draw.Draw(canvas, img.Bounds().Add(image.Pt(x, 0)), img, img.Bounds().Min, draw.Src)
		x += img.Bounds().Dx()
	}
	return canvas
}

// writeImage writes img as PNG (or JPEG at quality 90 for a .jpg name) into dir.
func writeImage(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	var err error
	if strings.HasSuffix(name, ".jpg") {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// decodeJSON runs decode --json and parses its array.
func decodeJSON(t *testing.T, args ...string) (code int, out string, codes []map[string]any) {
	t.Helper()
	code, out, _ = runQRCmd(t, "", nil, append([]string{"decode", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &codes); err != nil {
		t.Fatalf("decode --json printed %q: %v", out, err)
	}
	return code, out, codes
}

// TestDecodeCommandJSON: one object per code, with the key's fields; the secrets (the
// URI's secret, an export's data, each key's secret) appear only with --show-secrets.
func TestDecodeCommandJSON(t *testing.T) {
	migKey := provisioning.Key{Type: provisioning.HOTP, Issuer: "Example", Account: "bob", Secret: []byte("12345678901234567890"),
		Algorithm: provisioning.SHA256, Digits: 8, Counter: 5}
	pages, err := provisioning.EncodeMigration([]provisioning.Key{migKey})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	both := writeImage(t, dir, "both.png", drawQRs(t, decodeURI1, pages[0], "hello"))
	migData := strings.TrimPrefix(pages[0], "otpauth-migration://offline?data=")
	migSecret := migKey.SecretBase32()

	code, out, codes := decodeJSON(t, both)
	if code != 0 || len(codes) != 3 {
		t.Fatalf("decode --json = %d, %d codes: %s", code, len(codes), out)
	}
	for _, secret := range []string{decodeSecret, migData, migSecret, migData[:16]} {
		if strings.Contains(out, secret) {
			t.Errorf("output without --show-secrets contains a secret (%.8s…):\n%s", secret, out)
		}
	}
	one, mig, other := codes[0], codes[1], codes[2]
	if one["file"] != both || one["kind"] != "otpauth" || one["secrets_hidden"] != true ||
		one["uri"] != strings.Replace(decodeURI1, decodeSecret, "REDACTED", 1) {
		t.Errorf("first code = %v", one)
	}
	wantKey := map[string]any{"type": "totp", "issuer": "ACME Co", "account": "john.doe@email.com", "algorithm": "SHA1", "digits": 6.0, "period": 30.0}
	if got := jsonField(one, "key"); fmt.Sprint(got) != fmt.Sprint(wantKey) {
		t.Errorf("key = %v, want %v", got, wantKey)
	}
	if mig["kind"] != "otpauth-migration" || mig["uri"] != "otpauth-migration://offline?data=REDACTED" {
		t.Errorf("export code = %v", mig)
	}
	keys, _ := mig["keys"].([]any)
	wantMig := map[string]any{"type": "hotp", "issuer": "Example", "account": "bob", "algorithm": "SHA256", "digits": 8.0, "counter": 5.0}
	if len(keys) != 1 || fmt.Sprint(keys[0]) != fmt.Sprint(wantMig) {
		t.Errorf("export keys = %v, want [%v]", keys, wantMig)
	}
	if b := jsonField(mig, "batch"); b["index"] != 0.0 || b["size"] != 1.0 || b["id"] == 0.0 || b["id"] == nil {
		t.Errorf("batch = %v, want index 0 of 1 and an id", b)
	}
	if other["kind"] != "other" || other["text"] != "hello" || other["uri"] != nil {
		t.Errorf("third code = %v", other)
	}

	code, out, codes = decodeJSON(t, "--show-secrets", both)
	if code != 0 || len(codes) != 3 {
		t.Fatalf("decode --json --show-secrets = %d: %s", code, out)
	}
	if codes[0]["uri"] != decodeURI1 || jsonField(codes[0], "key")["secret"] != decodeSecret || codes[0]["secrets_hidden"] != nil {
		t.Errorf("with --show-secrets, first code = %v", codes[0])
	}
	if codes[1]["uri"] != pages[0] {
		t.Errorf("with --show-secrets, export uri = %v", codes[1]["uri"])
	}
	if keys, _ := codes[1]["keys"].([]any); len(keys) != 1 || keys[0].(map[string]any)["secret"] != migSecret {
		t.Errorf("with --show-secrets, export keys = %v", keys)
	}
}

// TestDecodeCommandMigration: a 13-account export is two pages (10 and 3 accounts) that
// decode shows with their batch place; a page holding an MD5 account shows the others
// and names the skipped one.
func TestDecodeCommandMigration(t *testing.T) {
	var keys []provisioning.Key
	for i := range 13 {
		keys = append(keys, provisioning.Key{Type: provisioning.TOTP, Issuer: "Site", Account: fmt.Sprintf("user%d", i),
			Secret: []byte(fmt.Sprintf("secret-for-user-%02d", i)), Algorithm: provisioning.SHA1, Digits: 6, Period: 30})
	}
	pages, err := provisioning.EncodeMigration(keys)
	if err != nil || len(pages) != 2 {
		t.Fatalf("EncodeMigration: %d pages, %v", len(pages), err)
	}
	dir := t.TempDir()
	p1, p2 := writeQRFile(t, dir, "p1.png", pages[0]), writeQRFile(t, dir, "p2.png", pages[1])
	if code, out, _ := runQRCmd(t, "", nil, "decode", p1, p2); code != 0 || out != pages[0]+"\n"+pages[1]+"\n" {
		t.Errorf("decode p1 p2 = %d, %q", code, out)
	}
	code, out, codes := decodeJSON(t, p2, p1)
	if code != 0 || len(codes) != 2 {
		t.Fatalf("decode --json = %d: %s", code, out)
	}
	b2, b1 := jsonField(codes[0], "batch"), jsonField(codes[1], "batch")
	if b1["index"] != 0.0 || b2["index"] != 1.0 || b1["size"] != 2.0 || b2["size"] != 2.0 || b1["id"] != b2["id"] {
		t.Errorf("batches = %v and %v", b1, b2)
	}
	k1, _ := codes[1]["keys"].([]any)
	k2, _ := codes[0]["keys"].([]any)
	if len(k1) != 10 || len(k2) != 3 || k2[2].(map[string]any)["account"] != "user12" {
		t.Errorf("pages hold %d and %d keys", len(k1), len(k2))
	}

	// A page with an MD5 account, written with protowire as another exporter would.
	account := func(name string, alg uint64) []byte {
		var b []byte
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, []byte("12345678901234567890"))
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, name)
		b = protowire.AppendTag(b, 4, protowire.VarintType)
		return protowire.AppendVarint(b, alg)
	}
	var payload []byte
	for _, a := range [][]byte{account("Good:one", 1), account("Old:md5", 4)} {
		payload = protowire.AppendTag(payload, 1, protowire.BytesType)
		payload = protowire.AppendBytes(payload, a)
	}
	md5Page := "otpauth-migration://offline?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(payload))
	md5File := writeQRFile(t, dir, "md5.png", md5Page)
	code, out, codes = decodeJSON(t, md5File)
	if code != 1 || len(codes) != 1 {
		t.Fatalf("decode --json md5.png = %d: %s", code, out)
	}
	keysLeft, _ := codes[0]["keys"].([]any)
	if errMsg, _ := codes[0]["error"].(string); len(keysLeft) != 1 || !strings.Contains(errMsg, `account 2 ("Old:md5"): algorithm: MD5`) {
		t.Errorf("page with an MD5 account: %d keys, error %q", len(keysLeft), codes[0]["error"])
	}
}

// qrencodePNG draws text with the qrencode tool (an encoder someone else wrote) at a
// module size, with a 4-module margin.
func qrencodePNG(t *testing.T, text string, moduleSize int) *image.Gray {
	t.Helper()
	tool := external.Tool(t, "qrencode", "qrencode")
	out, err := exec.Command(tool, "-t", "PNG", "-o", "-", "-s", strconv.Itoa(moduleSize), "-m", "4", text).Output()
	if err != nil {
		t.Fatalf("qrencode: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// quarterTurn turns an image 90° clockwise.
func quarterTurn(src *image.Gray) *image.Gray {
	b := src.Rect
	out := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.SetGray(b.Dy()-1-y, x, src.GrayAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// invert makes light modules on a dark background.
func invert(src *image.Gray) *image.Gray {
	out := image.NewGray(src.Rect)
	for i, v := range src.Pix {
		out.Pix[i] = 255 - v
	}
	return out
}

// zbarimgTexts reads a file with zbarimg (QR only); ok is false when it found nothing.
func zbarimgTexts(t *testing.T, path string) (texts []string, ok bool) {
	t.Helper()
	tool := external.Tool(t, "zbarimg", "zbar-tools")
	out, err := exec.Command(tool, "--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", path).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 4 {
		return nil, false
	}
	if err != nil {
		t.Fatalf("zbarimg %s: %v", path, err)
	}
	return strings.Fields(string(out)), true
}

// TestDecodeCommandQrencodeImages: otpair decode over qrencode's images (module sizes 1
// to 10 as PNG and JPEG, quarter and half turns, inverted ones, two codes side by side)
// in one run prints every URI, file by file, and agrees with zbarimg on every file
// zbarimg reads. provisioning's tests cover arbitrary angles and 12 MP photos.
func TestDecodeCommandQrencodeImages(t *testing.T) {
	dir := t.TempDir()
	type file struct {
		path string
		want []string
	}
	var files []file
	add := func(name string, img image.Image, want ...string) {
		files = append(files, file{writeImage(t, dir, name, img), want})
	}
	for size := 1; size <= 10; size++ {
		img := qrencodePNG(t, decodeURI1, size)
		add(fmt.Sprintf("s%02d.png", size), img, decodeURI1)
		add(fmt.Sprintf("s%02d.jpg", size), img, decodeURI1)
	}
	code := qrencodePNG(t, decodeURI1, 4)
	other := qrencodePNG(t, decodeURI2, 5)
	add("turn90.png", quarterTurn(code), decodeURI1)
	add("turn180.jpg", quarterTurn(quarterTurn(code)), decodeURI1)
	add("inverted.png", invert(code), decodeURI1)
	add("inverted.jpg", invert(other), decodeURI2)
	pair := image.NewGray(image.Rect(0, 0, code.Rect.Dx()+other.Rect.Dx(), max(code.Rect.Dy(), other.Rect.Dy())))
	draw.Draw(pair, pair.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(pair, code.Rect, code, image.Point{}, draw.Src)
	draw.Draw(pair, other.Rect.Add(image.Pt(code.Rect.Dx(), 0)), other, image.Point{}, draw.Src)
	add("pair.png", pair, decodeURI1, decodeURI2)
	add("pair.jpg", pair, decodeURI1, decodeURI2)

	args := []string{"decode"}
	var want strings.Builder
	for _, f := range files {
		args = append(args, f.path)
		for _, uri := range f.want {
			want.WriteString(uri + "\n")
		}
	}
	status, out, errOut := runQRCmd(t, "", nil, args...)
	if status != 0 || out != want.String() {
		t.Errorf("decode of %d files = %d\nstdout %q\nstderr %q", len(files), status, out, errOut)
	}

	zbarMissed := 0
	for _, f := range files {
		zb, ok := zbarimgTexts(t, f.path)
		if !ok {
			zbarMissed++
			t.Logf("zbarimg found nothing in %s", filepath.Base(f.path))
			continue
		}
		slices.Sort(zb)
		want := slices.Sorted(slices.Values(f.want))
		if !slices.Equal(zb, want) {
			t.Errorf("%s: zbarimg read %d codes that differ from the %d the image holds", filepath.Base(f.path), len(zb), len(want))
		}
	}
	t.Logf("zbarimg read %d of %d files; otpair decode read all", len(files)-zbarMissed, len(files))
}

// TestQRCommandPNG: --png writes a file only its owner can read, which decodes back
// (here and in zbarimg); - reads the URI from stdin.
func TestQRCommandPNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.png")
	if code, out, errOut := runQRCmd(t, "", nil, "qr", "--png", path, decodeURI1); code != 0 || out != "" || errOut != "" {
		t.Fatalf("qr --png = %d, %q, %q", code, out, errOut)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("PNG mode %v, want 0600", st.Mode().Perm())
	}
	if texts, err := provisioning.DecodeQRFile(t.Context(), path); err != nil || !slices.Equal(texts, []string{decodeURI1}) {
		t.Errorf("the PNG decodes to %d texts, %v", len(texts), err)
	}
	if zb, ok := zbarimgTexts(t, path); !ok || !slices.Equal(zb, []string{decodeURI1}) {
		t.Errorf("zbarimg reads the PNG as %d texts (ok %v)", len(zb), ok)
	}
	stdinPath := filepath.Join(dir, "stdin.png")
	if code, _, errOut := runQRCmd(t, " "+decodeURI2+"\n", nil, "qr", "--png", stdinPath, "-"); code != 0 {
		t.Fatalf("qr --png FILE - = %d, %q", code, errOut)
	}
	if texts, err := provisioning.DecodeQRFile(t.Context(), stdinPath); err != nil || !slices.Equal(texts, []string{decodeURI2}) {
		t.Errorf("the PNG from stdin decodes to %d texts, %v", len(texts), err)
	}
	if code, _, errOut := runQRCmd(t, "", nil, "qr", "--png", filepath.Join(dir, "no", "such", "dir.png"), decodeURI1); code != 1 || errOut == "" {
		t.Errorf("qr --png into a missing folder = %d, %q", code, errOut)
	}
}

// TestQRCommandTerminal: the terminal drawing is RenderQRTerminal's, black on white by
// default, plain for NO_COLOR and --style.
func TestQRCommandTerminal(t *testing.T) {
	for _, c := range []struct {
		env   map[string]string
		args  []string
		style provisioning.TerminalStyle
	}{
		{nil, nil, provisioning.TerminalColor},
		{map[string]string{"NO_COLOR": "1"}, nil, provisioning.TerminalDarkBackground},
		{nil, []string{"--style", "light"}, provisioning.TerminalLightBackground},
		{map[string]string{"NO_COLOR": "1"}, []string{"--style", "color"}, provisioning.TerminalColor},
	} {
		want, err := provisioning.RenderQRTerminal(decodeURI1, c.style)
		if err != nil {
			t.Fatal(err)
		}
		args := append(append([]string{"qr"}, c.args...), decodeURI1)
		code, out, errOut := runQRCmd(t, "", c.env, args...)
		if code != 0 || out != want || errOut != "" {
			t.Errorf("%q with %v = %d, stderr %q; want the %v drawing", args, c.env, code, errOut, c.style)
		}
		if hasEscape := strings.Contains(out, "\x1b["); hasEscape != (c.style == provisioning.TerminalColor) {
			t.Errorf("%q: escape codes %v for style %v", args, hasEscape, c.style)
		}
	}
}

// TestQRCommandRefuses: bad URIs and bad usage are refused, naming the problem and not
// the secret; other text is drawn as it is.
func TestQRCommandRefuses(t *testing.T) {
	for _, c := range []struct {
		args   []string
		status int
		says   string
	}{
		{[]string{"qr"}, 2, "exactly one URI"},
		{[]string{"qr", "a", "b"}, 2, "exactly one URI"},
		{[]string{"qr", ""}, 2, "empty"},
		{[]string{"qr", "--style", "neon", decodeURI1}, 2, "--style"},
		{[]string{"qr", "otpauth://totp/x?secret=" + decodeSecret + "&algorithm=MD5"}, 1, `algorithm: unsupported algorithm "MD5"`},
		{[]string{"qr", "otpauth://totp/x?secret=" + decodeSecret + "&digits=5"}, 1, "digits: must be 6 to 8, got 5"},
		{[]string{"qr", "otpauth://totp/x?issuer=Y"}, 1, "secret: is missing"},
		{[]string{"qr", "otpauth-migration://offline?data=ab*d"}, 1, "export that does not parse"},
	} {
		code, out, errOut := runQRCmd(t, "", nil, c.args...)
		if code != c.status || out != "" || !strings.Contains(errOut, c.says) {
			t.Errorf("%q = %d, stdout %d bytes, stderr %q; want %d saying %q", c.args, code, len(out), errOut, c.status, c.says)
		}
		if strings.Contains(errOut, decodeSecret) {
			t.Errorf("%q: stderr shows the secret", c.args)
		}
	}
	if code, out, _ := runQRCmd(t, "", map[string]string{"NO_COLOR": "1"}, "qr", "https://example.com/"); code != 0 || out == "" {
		t.Errorf("qr of a plain URL = %d, %d bytes; want it drawn", code, len(out))
	}
}
