package authenticator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/provisioning/backup"
)

// SourceError is one import source, line of a text file or QR code of an image that
// gave no key. Its message names the source and the problem, never a secret.
type SourceError struct {
	Source string // "file.txt:3", "shot.png (QR 2)", "stdin", or a URI with its secret hidden
	Err    error
}

// Error names the source, then the problem.
func (e *SourceError) Error() string { return e.Source + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *SourceError) Unwrap() error { return e.Err }

// SourceKey is a key read from an import source.
type SourceKey struct {
	Source string
	Key    provisioning.Key

	file int // 1 + the index of the backup file it came from in the reader's files; 0 for none
}

// maxSourceBytes bounds what is read from one file or stdin (a 12 MP PNG is about 20 MB).
const maxSourceBytes = 200 << 20

// ReadSources reads keys from import sources: an otpauth:// or otpauth-migration:// URI,
// "-" for stdin, or a file: a text file of such URIs (one a line; blank lines and lines
// starting with # are skipped) or an image holding one or more QR codes. A source that
// fails is reported in failed and the others are still read; within a text file or an
// image, each bad line or code is reported on its own.
//
// Pages of a multi-page Google Authenticator export may come from several sources; an
// export with a page missing from all of them is reported as a failure too.
//
// A file (or stdin) that is another app's backup is read whole by provisioning/backup,
// without a password (an encrypted one fails: Vault.ImportWith takes a password); a
// file that is no backup, URI list or image gives one failure saying what it is.
func ReadSources(ctx context.Context, sources []string, stdin io.Reader) (keys []SourceKey, failed []SourceError) {
	r := reader{opts: ImportOptions{Stdin: stdin}}
	keys, failed = r.readAll(ctx, sources)
	for _, err := range r.fatal {
		var se *SourceError
		if errors.As(err, &se) {
			failed = append(failed, *se)
		}
	}
	return keys, failed
}

// readAll reads every source.
func (r *reader) readAll(ctx context.Context, sources []string) (keys []SourceKey, failed []SourceError) {
	for _, src := range sources {
		if ctx.Err() != nil {
			failed = append(failed, SourceError{Source: sourceName(src), Err: ctx.Err()})
			continue
		}
		k, f := r.readSource(ctx, src)
		keys, failed = append(keys, k...), append(failed, f...)
	}
	return keys, append(failed, r.batches.missing()...)
}

// reader reads the sources of one import.
type reader struct {
	opts    ImportOptions
	batches batches
	files   []BackupFile // the backup files read, in order
	fatal   []error      // backup files that could not be read: the import stores nothing
}

// sourceName is how a source is named in messages: a URI loses its secret.
func sourceName(src string) string {
	if isURI(src) {
		return redactURI(src)
	}
	return src
}

func isURI(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(l, "otpauth://") || strings.HasPrefix(l, "otpauth-migration://")
}

func (r *reader) readSource(ctx context.Context, src string) ([]SourceKey, []SourceError) {
	fail := func(name string, err error) ([]SourceKey, []SourceError) {
		return nil, []SourceError{{Source: name, Err: err}}
	}
	switch {
	case src == "-":
		if r.opts.Stdin == nil {
			return fail("stdin", errors.New("no standard input"))
		}
		data, err := io.ReadAll(io.LimitReader(r.opts.Stdin, maxSourceBytes+1))
		if err != nil {
			return fail("stdin", fmt.Errorf("read: %w", err))
		}
		if len(data) > maxSourceBytes {
			return fail("stdin", fmt.Errorf("more than the %d MB otpair reads", maxSourceBytes>>20))
		}
		return r.readBlob(ctx, "stdin", data)
	case isURI(src):
		name := sourceName(src)
		keys, err := r.parseURIText(strings.TrimSpace(src), name)
		if err != nil {
			return tag(name, keys), []SourceError{{Source: name, Err: err}}
		}
		return tag(name, keys), nil
	}
	st, err := os.Stat(src)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fail(src, errors.New("no such file (and not an otpauth:// or otpauth-migration:// URI)"))
	case err != nil:
		return fail(src, err)
	case st.IsDir():
		return fail(src, errors.New("a directory, not a file of URIs or an image"))
	case st.Size() > maxSourceBytes:
		return fail(src, fmt.Errorf("%d MB, larger than the %d MB otpair reads", st.Size()>>20, maxSourceBytes>>20))
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fail(src, err)
	}
	return r.readBlob(ctx, src, data)
}

func tag(name string, keys []provisioning.Key) []SourceKey {
	out := make([]SourceKey, len(keys))
	for i, k := range keys {
		out[i] = SourceKey{Source: name, Key: k}
	}
	return out
}

// readBlob reads a file's contents: another app's backup, text of URIs, or else an
// image with QR codes. Data that is none of them gives one error saying what it is.
func (r *reader) readBlob(ctx context.Context, name string, data []byte) (keys []SourceKey, failed []SourceError) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, []SourceError{{Source: name, Err: errors.New("empty")}}
	}
	if f, ok := r.backupFormat(data); ok {
		return r.readBackup(name, data, f), nil
	}
	if looksLikeText(data) && !hasURILine(data) {
		return nil, []SourceError{{Source: name, Err: unrecognised(data)}}
	}
	if looksLikeText(data) {
		for i, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			at := fmt.Sprintf("%s:%d", name, i+1)
			if !isURI(line) {
				// Do not quote the line: it may be a bare secret pasted by mistake.
				failed = append(failed, SourceError{Source: at, Err: errors.New("not an otpauth:// or otpauth-migration:// URI")})
				continue
			}
			ks, err := r.parseURIText(line, at)
			keys = append(keys, tag(at, ks)...)
			if err != nil {
				failed = append(failed, SourceError{Source: at, Err: err})
			}
		}
		return keys, failed
	}
	texts, err := provisioning.DecodeQRBytes(ctx, data)
	switch {
	case ctx.Err() != nil:
		return nil, []SourceError{{Source: name, Err: ctx.Err()}}
	case errors.Is(err, provisioning.ErrImageFormat):
		return nil, []SourceError{{Source: name, Err: unrecognised(data)}}
	case err != nil:
		return nil, []SourceError{{Source: name, Err: fmt.Errorf("not a text file of URIs, and as an image: %w", err)}}
	}
	for i, text := range texts {
		at := name
		if len(texts) > 1 {
			at = fmt.Sprintf("%s (QR %d)", name, i+1)
		}
		if !isURI(text) {
			failed = append(failed, SourceError{Source: at, Err: errors.New("the QR code holds something other than an otpauth URI")})
			continue
		}
		ks, err := r.parseURIText(text, at)
		keys = append(keys, tag(at, ks)...)
		if err != nil {
			failed = append(failed, SourceError{Source: at, Err: err})
		}
	}
	return keys, failed
}

// looksLikeText reports whether data is UTF-8 text without control bytes other than
// whitespace: a file of URIs rather than an image.
func looksLikeText(data []byte) bool {
	head := data[:min(len(data), 4096)]
	for _, b := range head {
		if b < 0x20 && b != '\n' && b != '\r' && b != '\t' {
			return false
		}
	}
	return utf8.Valid(data)
}

// parseURIText parses one otpauth:// URI (one key) or otpauth-migration:// page (its
// keys; an error beside keys names accounts of the page that were skipped).
func (r *reader) parseURIText(s, at string) ([]provisioning.Key, error) {
	if strings.HasPrefix(strings.ToLower(s), "otpauth-migration://") {
		before := len(r.batches.byID)
		keys, err := decodeMigration(s, &r.batches)
		if len(r.batches.byID) > before {
			for _, b := range r.batches.byID {
				if b.first == "" {
					b.first = at
				}
			}
		}
		return keys, err
	}
	k, err := provisioning.ParseURI(s)
	if err != nil {
		return nil, err
	}
	return []provisioning.Key{k}, nil
}

// redactURI hides the secret-bearing parameter of a URI (secret, or an export's data).
func redactURI(uri string) string {
	base, query, ok := strings.Cut(strings.TrimSpace(uri), "?")
	if !ok {
		return base
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		name, _, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "secret", "data":
			params[i] = name + "=REDACTED"
		}
	}
	return base + "?" + strings.Join(params, "&")
}

// Imported is an account and the source it came from.
type Imported struct {
	Source  string
	Account Account
}

// ImportResult says what Import did with every source.
type ImportResult struct {
	Added      []Imported    // new accounts
	Duplicates []Imported    // keys already in the vault: Account is the existing one
	Failed     []SourceError // sources, lines or QR codes that gave nothing
	Backups    []BackupFile  // each backup file read, with what became of its accounts
}

// Err joins the failures, or is nil when every source gave keys.
func (r ImportResult) Err() error {
	errs := make([]error, len(r.Failed))
	for i := range r.Failed {
		errs[i] = &r.Failed[i]
	}
	return errors.Join(errs...)
}

// Import reads every source (see ReadSources) and stores their keys in one write,
// skipping duplicates. A failed source does not stop the others; the error is for a
// vault that could not be opened or written, a backup file that could not be read (see
// ImportWith), or an import stopped by ctx, in which case nothing was stored.
func (v *Vault) Import(ctx context.Context, sources []string, stdin io.Reader) (ImportResult, error) {
	return v.ImportWith(ctx, sources, ImportOptions{Stdin: stdin})
}

// ImportWith is Import with a forced backup format, a password source and KDF limits
// for backup files. A backup file is taken whole or not at all: if one cannot be read
// (see ErrBackupUnreadable) nothing from any source is stored and the error says why;
// its accounts otpair cannot hold are skipped by name (BackupFile.Skipped).
func (v *Vault) ImportWith(ctx context.Context, sources []string, opts ImportOptions) (ImportResult, error) {
	if opts.From != "" {
		if _, ok := backup.Lookup(opts.From); !ok {
			return ImportResult{}, fmt.Errorf("%w: no backup format named %q", backup.ErrUnknownFormat, opts.From)
		}
	}
	r := reader{opts: opts}
	found, failed := r.readAll(ctx, sources)
	res := ImportResult{Failed: failed, Backups: r.files}
	if err := ctx.Err(); err != nil {
		// Stopped (Ctrl-C, SIGTERM, the TUI's cancel): store none of it, rather than
		// whatever the sources read before the stop happened to give.
		return res, fmt.Errorf("import stopped: %w", err)
	}
	if len(r.fatal) > 0 {
		return res, fmt.Errorf("%w: %w", ErrBackupUnreadable, errors.Join(r.fatal...))
	}
	// Invalid keys are reported with their source rather than failing the whole import.
	var keys []provisioning.Key
	var from []SourceKey
	for _, sk := range found {
		if err := checkKey(sk.Key); err != nil {
			res.Failed = append(res.Failed, SourceError{Source: sk.Source, Err: err})
			continue
		}
		keys, from = append(keys, sk.Key), append(from, sk)
	}
	if len(keys) == 0 {
		return res, nil
	}
	outcomes, err := v.add(ctx, keys)
	if err != nil {
		return res, err
	}
	for i, o := range outcomes {
		im := Imported{Source: from[i].Source, Account: o.account}
		var file *BackupFile
		if n := from[i].file; n > 0 {
			file = &res.Backups[n-1]
		}
		switch {
		case o.dup:
			res.Duplicates = append(res.Duplicates, im)
			if file != nil {
				file.Duplicates++
			}
		default:
			res.Added = append(res.Added, im)
			if file != nil {
				file.Added++
			}
		}
	}
	return res, nil
}
