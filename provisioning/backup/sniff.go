package backup

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// sniff is what detection looks at: the data and, when it is JSON, its top level,
// parsed once for every format's detector.
type sniff struct {
	data []byte
	body []byte // data without a UTF-8 byte-order mark and surrounding white space
	text bool   // UTF-8 without control bytes other than white space

	obj     map[string]json.RawMessage // a JSON object's members
	arr     []json.RawMessage          // a JSON array's items
	jsonErr error                      // why data that starts like JSON is not
}

func newSniff(data []byte) *sniff {
	s := &sniff{data: data}
	s.body = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	s.text = isText(s.body)
	if s.text && len(s.body) > 0 {
		switch s.body[0] {
		case '{':
			s.jsonErr = json.Unmarshal(s.body, &s.obj)
		case '[':
			s.jsonErr = json.Unmarshal(s.body, &s.arr)
		}
	}
	return s
}

// isText reports whether data is UTF-8 with no control bytes but white space.
func isText(data []byte) bool {
	for _, b := range data {
		if b < 0x20 && b != '\n' && b != '\r' && b != '\t' {
			return false
		}
	}
	return utf8.Valid(data)
}

// has reports whether the JSON object has every member named.
func (s *sniff) has(names ...string) bool {
	if s.obj == nil {
		return false
	}
	for _, n := range names {
		if _, ok := s.obj[n]; !ok {
			return false
		}
	}
	return true
}

// member decodes one member of the JSON object into v; a missing member leaves v.
func (s *sniff) member(name string, v any) error {
	raw, ok := s.obj[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return invalid("%s: %s", name, jsonProblem(err))
	}
	return nil
}

// lines is the text split into trimmed, non-empty lines that are not # comments.
func (s *sniff) lines() []string {
	var out []string
	for _, l := range strings.Split(string(s.body), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Magic numbers of containers and documents people pick by mistake.
var magics = []struct {
	prefix, what string
}{
	{"PK\x03\x04", "a zip archive"},
	{"SQLite format 3\x00", "a SQLite database"},
	{"\x1f\x8b", "gzip-compressed data"},
	{"%PDF-", "a PDF document"},
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF8", "a GIF image"},
	{"BM", "a BMP image"},
	{"RIFF", "a RIFF file (WebP image, WAV, …)"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
	{"-----BEGIN PGP MESSAGE-----", "a PGP-encrypted message"},
	{"age-encryption.org/", "an age-encrypted file"},
}

// isSQLite reports whether data is a SQLite database file.
func (s *sniff) isSQLite() bool { return bytes.HasPrefix(s.data, []byte("SQLite format 3\x00")) }

// Describe says in a few words what data looks like, for a file that is no backup
// otpair reads: "JSON with top-level keys "a", "b"", "a zip archive holding …", "a
// SQLite database with tables …". It never quotes file content that could be a secret
// (values, or text lines), only structure: JSON member names, file and table names.
func Describe(data []byte) string { return newSniff(data).describe() }

func (s *sniff) describe() string {
	switch {
	case len(s.body) == 0:
		return "the file is empty"
	case s.obj != nil:
		return "JSON with top-level keys " + quoteNames(mapKeys(s.obj))
	case s.arr != nil:
		return describeArray(s.arr)
	case s.jsonErr != nil:
		return "text that starts like JSON but is not valid JSON (" + jsonProblem(s.jsonErr) + ")"
	}
	for _, m := range magics {
		if bytes.HasPrefix(s.data, []byte(m.prefix)) {
			switch m.what {
			case "a zip archive":
				return describeZip(s.data)
			case "a SQLite database":
				return describeSQLite(s.data)
			}
			return m.what
		}
	}
	if s.text {
		if bytes.HasPrefix(s.body, []byte("<")) {
			return describeXML(s.body)
		}
		lines := s.lines()
		if len(lines) == 0 {
			return "text with nothing but blank lines and # comments"
		}
		uris := 0
		for _, l := range lines {
			if l := strings.ToLower(l); strings.HasPrefix(l, "otpauth://") || strings.HasPrefix(l, "otpauth-migration://") {
				uris++
			}
		}
		if uris == 0 {
			return fmt.Sprintf("text of %d line(s), none of them an otpauth:// or otpauth-migration:// URI", len(lines))
		}
		return fmt.Sprintf("text of %d line(s), %d of them otpauth URIs", len(lines), uris)
	}
	return fmt.Sprintf("binary data (%d bytes) of no known kind", len(s.data))
}

// describeArray names a JSON array by its length and its first item's members.
func describeArray(arr []json.RawMessage) string {
	s := fmt.Sprintf("a JSON array of %d item(s)", len(arr))
	if len(arr) == 0 {
		return s
	}
	var first map[string]json.RawMessage
	if json.Unmarshal(arr[0], &first) == nil && first != nil {
		return s + ", the first an object with keys " + quoteNames(mapKeys(first))
	}
	return s
}

// describeZip names the files a zip archive holds.
func describeZip(data []byte) string {
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "a zip archive that cannot be read (" + err.Error() + ")"
	}
	names := make([]string, 0, len(r.File))
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	return fmt.Sprintf("a zip archive of %d file(s): %s", len(names), quoteNames(names))
}

// describeXML names an XML document by its root element, and says when it is an
// Android app's shared_prefs file (what FreeOTP and Authy keep their tokens in).
func describeXML(body []byte) string {
	root := ""
	rest := body
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		if len(rest) > 0 && (rest[0] == '?' || rest[0] == '!') {
			continue
		}
		end := bytes.IndexAny(rest, " \t\r\n/>")
		if end > 0 {
			root = string(rest[:end])
		}
		break
	}
	if root == "map" {
		return "XML of an Android app's preferences (<map>): the internal storage of an app such as FreeOTP or Authy, which otpair does not read"
	}
	if root == "" {
		return "XML"
	}
	return "XML with root element " + quoteName(root)
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// quoteNames lists names quoted, at most 12 of them.
func quoteNames(names []string) string {
	const most = 12
	if len(names) == 0 {
		return "(none)"
	}
	quoted := make([]string, 0, min(len(names), most))
	for _, n := range names[:min(len(names), most)] {
		quoted = append(quoted, quoteName(n))
	}
	s := strings.Join(quoted, ", ")
	if len(names) > most {
		s += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return s
}

// quoteName quotes a name from a file, cut to 40 characters.
func quoteName(s string) string {
	if r := []rune(s); len(r) > 40 {
		return strconv.Quote(string(r[:40])) + "…"
	}
	return strconv.Quote(s)
}

// jsonProblem says what is wrong with JSON without quoting its content.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		where := "a value"
		if te.Field != "" {
			where = quoteName(te.Field)
		}
		return fmt.Sprintf("%s is a JSON %s where %s is expected", where, te.Value, jsonKindOf(te.Type))
	}
	return "not the expected JSON"
}

// jsonKindOf names the JSON a Go type reads: "an object", "a number", ….
func jsonKindOf(t reflect.Type) string {
	if t == nil {
		return "something else"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a string"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Pointer:
		return jsonKindOf(t.Elem())
	}
	return "a number"
}
