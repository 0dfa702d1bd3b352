package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/internal/atomicfile"
	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
)

func init() {
	registerCmd(groupOther, newDecodeCmd)
	registerCmd(groupOther, newQRCmd)
}

// decodeOpts are decode's flags.
type decodeOpts struct {
	asJSON, showSecrets bool
}

func newDecodeCmd(e *env) *cobra.Command {
	var o decodeOpts
	c := &cobra.Command{
		Use:   "decode [--json [--show-secrets]] IMAGE...",
		Short: "print every otpauth URI in QR codes in images; stores nothing",
		Long: "Plain output is one otpauth:// or otpauth-migration:// URI a line, file by file, in\n" +
			"reading order within an image; - reads an image from stdin. Exit status 1 if any file\n" +
			"gave no usable otpauth URI; every file is still tried.",
		Args: nArgs(1, -1, "name at least one image file"),
		RunE: func(c *cobra.Command, args []string) error { return runDecode(c.Context(), e, o, args) },
	}
	c.Flags().BoolVar(&o.asJSON, "json", false, "print a JSON array, one object per code or failed file: file, kind, uri (secret REDACTED), key fields, error")
	c.Flags().BoolVar(&o.showSecrets, "show-secrets", false, "with --json, print the URIs whole and each key's base32 secret")
	return c
}

// qrOpts are qr's flags.
type qrOpts struct {
	png, style string
}

func newQRCmd(e *env) *cobra.Command {
	var o qrOpts
	c := &cobra.Command{
		Use:   "qr [--png FILE] [--style color|dark|light] URI|-",
		Short: "draw a URI as a QR code in the terminal or as a PNG",
		Long: "- reads the URI from stdin: a URI on the command line is readable by every local user\n" +
			"in ps and stays in shell history. An otpauth URI that does not parse is refused.",
		Args: nArgs(1, 1, "give exactly one URI (or - to read it from stdin, which keeps the secret out of ps and shell history)"),
		RunE: func(c *cobra.Command, args []string) error { return runQR(c.Context(), e, o, args[0]) },
	}
	c.Flags().StringVar(&o.png, "png", "", "write a PNG `FILE` instead of drawing in the terminal: a new file, mode 0600 (it holds the secret), never through a symlink")
	_ = c.MarkFlagFilename("png", "png")
	style := enumFlag(c, &o.style, "style", "", []string{"color", "dark", "light"}, "terminal `STYLE`: color (black on white, any theme; the default), dark or light "+
		"(no escape codes, for a dark or light terminal background; NO_COLOR picks dark)")
	style.other = func(s string) error {
		_, err := provisioning.ParseTerminalStyle(s)
		return err
	}
	return c
}

// URI schemes otpair imports; anything else in a QR code is reported, not printed.
const (
	schemeOTPAuth   = "otpauth://"
	schemeMigration = "otpauth-migration://"
)

// uriKind says what a QR code's text is: "otpauth", "otpauth-migration" or "other".
func uriKind(text string) string {
	lower := strings.ToLower(text)
	switch {
	case strings.HasPrefix(lower, schemeOTPAuth):
		return "otpauth"
	case strings.HasPrefix(lower, schemeMigration):
		return "otpauth-migration"
	}
	return "other"
}

// decodedCode is one code in `otpair decode --json` output. Secrets appear only with
// --show-secrets: otherwise the URI's secret (an export's whole data parameter) reads
// REDACTED and keys have no secret field.
type decodedCode struct {
	File     string        `json:"file"`
	Kind     string        `json:"kind,omitempty"`           // otpauth, otpauth-migration or other
	URI      string        `json:"uri,omitempty"`            // secret REDACTED unless --show-secrets
	Text     string        `json:"text,omitempty"`           // a code that is not an otpauth URI
	Key      *decodedKey   `json:"key,omitempty"`            // kind otpauth
	Keys     []decodedKey  `json:"keys,omitempty"`           // kind otpauth-migration
	Batch    *decodedBatch `json:"batch,omitempty"`          // kind otpauth-migration
	Error    string        `json:"error,omitempty"`          // the file or the URI could not be read
	Redacted bool          `json:"secrets_hidden,omitempty"` // true unless --show-secrets
}

// decodedKey is a key's fields; Secret (base32) only with --show-secrets.
type decodedKey struct {
	Type      string `json:"type"`
	Issuer    string `json:"issuer,omitempty"`
	Account   string `json:"account"`
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period,omitempty"`
	Counter   uint64 `json:"counter,omitempty"`
	Secret    string `json:"secret,omitempty"`
}

func keyJSON(k provisioning.Key, showSecret bool) decodedKey {
	d := decodedKey{
		Type: string(k.Type), Issuer: k.Issuer, Account: k.Account,
		Algorithm: string(k.Algorithm), Digits: k.Digits,
	}
	if k.Type == provisioning.HOTP {
		d.Counter = k.Counter
	} else {
		d.Period = k.Period
	}
	if showSecret {
		d.Secret = k.SecretBase32()
	}
	return d
}

// runDecode is `otpair decode [--json [--show-secrets]] IMAGE...`. Plain output is one
// otpauth:// or otpauth-migration:// URI per line, file by file, in reading order
// within an image. --json prints one array (stable; fields omitted when empty):
//
//	[
//	  {"file": "a.png", "kind": "otpauth",
//	   "uri": "otpauth://totp/ACME:jo?secret=REDACTED&issuer=ACME", "secrets_hidden": true,
//	   "key": {"type": "totp", "issuer": "ACME", "account": "jo", "algorithm": "SHA1",
//	           "digits": 6, "period": 30}},
//	  {"file": "b.jpg", "kind": "otpauth-migration", "uri": "…?data=REDACTED",
//	   "keys": [ …as key… ], "batch": {"index": 0, "size": 2, "id": 7}},
//	  {"file": "c.png", "kind": "other", "text": "WIFI:…"},
//	  {"file": "d.txt", "error": "decode image: unknown image format (…)"}
//	]
//
// "error" also appears beside a URI that does not parse, and beside an export page's
// keys when some of its accounts could not be read (an MD5 key, say: it is named).
// --show-secrets prints the URIs whole and adds "secret" (base32) to each key. Exit
// status 1 if any file gave no usable otpauth URI; every file is still tried.
func runDecode(ctx context.Context, e *env, o decodeOpts, files []string) error {
	if o.showSecrets && !o.asJSON {
		return usageError("--show-secrets only applies to --json (plain output is the URIs themselves)")
	}
	failed := 0
	var out []decodedCode
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		codes, ok := decodeFile(ctx, e, file, o.showSecrets)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stopped while decoding %s: %w", file, err)
		}
		if !ok {
			failed++
		}
		if o.asJSON {
			if !o.showSecrets {
				redact(codes)
			}
			out = append(out, codes...)
			continue
		}
		for _, c := range codes {
			if c.Kind == "otpauth" || c.Kind == "otpauth-migration" {
				safetext.Fprintln(e.stdout, c.URI)
			}
		}
	}
	if o.asJSON {
		if out == nil {
			out = []decodedCode{}
		}
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files gave no usable otpauth URI", failed, len(files))
	}
	return nil
}

// decodeFile reads one image and describes its codes, reporting problems on stderr as
// it goes (named by file, so a run over many images says which one failed). ok is false
// when the file gave no otpauth URI that parses. The URI is always filled in for the
// plain output; JSON gets it only with showSecrets.
func decodeFile(ctx context.Context, e *env, file string, showSecrets bool) (codes []decodedCode, ok bool) {
	data, err := readImageArg(e, file)
	var texts []string
	if err == nil {
		texts, err = provisioning.DecodeQRBytes(ctx, data)
	}
	if err != nil {
		if ctx.Err() == nil {
			safetext.Fprintf(e.stderr, "otpair decode: %s: %v\n", file, err)
		}
		return []decodedCode{{File: file, Error: err.Error()}}, false
	}
	for _, text := range texts {
		c := decodedCode{File: file, Kind: uriKind(text), URI: text}
		switch c.Kind {
		case "otpauth":
			if k, err := provisioning.ParseURI(text); err != nil {
				c.Error = err.Error()
			} else {
				kj := keyJSON(k, showSecrets)
				c.Key = &kj
			}
		case "otpauth-migration":
			c.Keys, c.Batch, err = describeMigration(text, showSecrets)
			if err != nil {
				c.Error = err.Error()
			}
		default:
			c.URI, c.Text = "", text
			safetext.Fprintf(e.stderr, "otpair decode: %s: a QR code holds %s, not an otpauth URI\n", file, quoteShort(text))
		}
		if c.Error != "" {
			// The error names the field, never the secret (provisioning's rule).
			safetext.Fprintf(e.stderr, "otpair decode: %s: %v\n", file, c.Error)
		} else if c.Kind != "other" {
			ok = true
		}
		codes = append(codes, c)
	}
	return codes, ok
}

// redact hides what carries secrets in codes headed for JSON without --show-secrets:
// the secret parameter of an otpauth URI, the whole payload of an export.
func redact(codes []decodedCode) {
	for i := range codes {
		if codes[i].URI != "" {
			codes[i].URI, codes[i].Redacted = redactURI(codes[i].URI), true
		}
	}
}

// redactedValue stands in for a hidden secret in a URI.
const redactedValue = "REDACTED"

// redactURI replaces the value of every secret-bearing query parameter ("secret" in an
// otpauth URI, "data" in an export) and leaves the rest as it was written.
func redactURI(uri string) string {
	base, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	hidden := "secret"
	if uriKind(uri) == "otpauth-migration" {
		hidden = "data"
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if strings.EqualFold(strings.TrimSpace(name), hidden) {
			params[i] = hidden + "=" + redactedValue
		}
	}
	return base + "?" + strings.Join(params, "&")
}

// quoteShort quotes text for a message: escapes make control characters (a terminal
// escape sequence hidden in a QR code) harmless, and long texts are cut.
func quoteShort(text string) string {
	const limit = 80
	if r := []rune(text); len(r) > limit {
		return fmt.Sprintf("%q…", string(r[:limit]))
	}
	return fmt.Sprintf("%q", text)
}

// maxImageBytes bounds what decode reads from a file or stdin: the largest image file
// otpair decodes.
const maxImageBytes = provisioning.MaxImageFileBytes

// readImageArg reads an image file, or stdin for "-".
func readImageArg(e *env, file string) ([]byte, error) {
	if file != "-" {
		st, err := os.Stat(file)
		switch {
		case err != nil:
			return nil, err
		case st.IsDir():
			return nil, errors.New("a directory, not an image file")
		case st.Size() > maxImageBytes:
			return nil, fmt.Errorf("%d MB, larger than the %d MB otpair decodes", st.Size()>>20, maxImageBytes>>20)
		}
		return os.ReadFile(file)
	}
	data, err := io.ReadAll(io.LimitReader(e.stdin, maxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	if len(data) > maxImageBytes {
		return nil, fmt.Errorf("stdin holds more than the %d MB otpair decodes", maxImageBytes>>20)
	}
	return data, nil
}

func runQR(ctx context.Context, e *env, o qrOpts, text string) error {
	var err error
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, 1<<16))
		if err != nil {
			return fmt.Errorf("read uri from stdin: %w", err)
		}
		text = strings.TrimSpace(string(b))
	}
	if err := checkQRText(text); err != nil {
		return err
	}
	if o.png != "" {
		return writeQRPNGFile(o.png, text)
	}
	style := provisioning.TerminalColor
	switch {
	case o.style != "":
		if style, err = provisioning.ParseTerminalStyle(o.style); err != nil {
			return usageError("--style: %v", err)
		}
	case e.getenv("NO_COLOR") != "":
		style = provisioning.TerminalDarkBackground
	}
	drawing, err := provisioning.RenderQRTerminal(text, style)
	if err != nil {
		return err
	}
	_, err = io.WriteString(e.stdout, drawing)
	return err
}

// checkQRText refuses to draw an otpauth URI that does not parse: a phone would enrol
// a key that gives wrong codes, or none. Other text is drawn as it is.
func checkQRText(text string) error {
	if text == "" {
		return usageError("the URI is empty")
	}
	switch uriKind(text) {
	case "otpauth":
		if _, err := provisioning.ParseURI(text); err != nil {
			return fmt.Errorf("refusing to draw a URI that does not parse: %w", err)
		}
	case "otpauth-migration":
		if _, _, err := describeMigration(text, false); err != nil {
			return fmt.Errorf("refusing to draw an export that does not parse: %w", err)
		}
	}
	return nil
}

// writeQRPNGFile writes the PNG as a new file: a temporary file in the same folder,
// mode 0600 (the code holds the secret), renamed over path. An existing file's mode is
// not kept, and a symlink at path is replaced, never followed.
func writeQRPNGFile(path, text string) error {
	var buf bytes.Buffer
	if err := provisioning.WriteQRPNG(&buf, text); err != nil {
		return err
	}
	if err := atomicfile.Write(path, buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// decodedBatch is where an export page sits in its batch: page index (from 0) of size
// pages, and the id every page of one export shares.
type decodedBatch struct {
	Index int `json:"index"`
	Size  int `json:"size"`
	ID    int `json:"id"`
}

// describeMigration decodes a Google Authenticator export page into key fields and its
// place in the batch. Accounts otpair cannot import (MD5, say) are left out and named
// in the error, which comes back with the accounts that could be read.
func describeMigration(uri string, showSecrets bool) ([]decodedKey, *decodedBatch, error) {
	m, err := provisioning.DecodeMigration(uri)
	if err != nil && !errors.Is(err, provisioning.ErrSkippedKeys) {
		return nil, nil, err
	}
	keys := make([]decodedKey, len(m.Keys))
	for i, k := range m.Keys {
		keys[i] = keyJSON(k, showSecrets)
	}
	return keys, &decodedBatch{Index: m.BatchIndex, Size: m.BatchSize, ID: m.BatchID}, err
}
