package authenticator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/otpair/otpair/provisioning/backup"
)

// ImportOptions are Import's choices beyond the sources.
type ImportOptions struct {
	Stdin io.Reader // what "-" reads
	// From forces a backup format (a backup.Format name) on every file and stdin,
	// instead of recognising each by its content. Empty: recognise.
	From string
	// Password returns the password of an encrypted backup: source names the file (as
	// messages do) and f its format. It is called only after the file's KDF cost passed
	// the limits. Nil: encrypted backups fail with backup.ErrPasswordNeeded.
	Password func(source string, f backup.Format) ([]byte, error)
	// Limits caps the KDF cost of encrypted backups (zero fields: backup.DefaultLimits).
	Limits backup.Limits
}

// BackupFile is what became of one backup file of an import.
type BackupFile struct {
	Source     string
	Format     backup.Format
	Encrypted  bool
	Total      int              // accounts in the file
	Added      int              // accounts added to the vault
	Duplicates int              // accounts the vault already held
	Skipped    []backup.Skipped // accounts otpair could not take, named
}

// Summary says in one line what the import did with the file: "imported 5 of 7
// accounts from an Aegis backup (encrypted); skipped 1 (mOTP: not supported), 1
// already in the vault".
func (f BackupFile) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "imported %d of %d account%s from %s %s", f.Added, f.Total, plural(f.Total), article(f.Format.Title), f.Format.Title)
	if f.Encrypted {
		b.WriteString(" (encrypted)")
	}
	var rest []string
	if len(f.Skipped) > 0 {
		rest = append(rest, fmt.Sprintf("skipped %d (%s)", len(f.Skipped), skipReasons(f.Skipped)))
	}
	if f.Duplicates > 0 {
		rest = append(rest, fmt.Sprintf("%d already in the vault", f.Duplicates))
	}
	if len(rest) > 0 {
		b.WriteString("; " + strings.Join(rest, ", "))
	}
	return b.String()
}

// skipReasons names why accounts were skipped, each distinct reason once: the kind
// ("mOTP: not supported"), or for accounts of a kind otpair holds, "N invalid".
func skipReasons(skipped []backup.Skipped) string {
	var kinds []string
	seen := map[string]bool{}
	invalid := 0
	for _, s := range skipped {
		if s.Kind == "" {
			invalid++
			continue
		}
		if w := s.Why(); !seen[w] {
			seen[w] = true
			kinds = append(kinds, w)
		}
	}
	if invalid > 0 {
		kinds = append(kinds, fmt.Sprintf("%d invalid", invalid))
	}
	return strings.Join(kinds, "; ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// article is "an" before a vowel sound a title starts with, else "a".
func article(title string) string {
	if title != "" && strings.ContainsRune("AEIOUaeiou", rune(title[0])) {
		return "an"
	}
	return "a"
}

// backupFormat is the backup format data is read as: the forced one, else the one
// Detect recognises.
func (r *reader) backupFormat(data []byte) (backup.Format, bool) {
	if r.opts.From != "" {
		return backup.Lookup(r.opts.From)
	}
	return backup.Detect(data)
}

// readBackup reads a backup file whole. A file that cannot be read (wrong password,
// damaged, over the KDF limits) is recorded as fatal: the import then stores nothing.
func (r *reader) readBackup(name string, data []byte, f backup.Format) []SourceKey {
	opts := backup.Options{Limits: r.opts.Limits}
	if r.opts.Password != nil {
		opts.Password = func(f backup.Format) ([]byte, error) { return r.opts.Password(name, f) }
	}
	b, err := backup.Decode(data, f, opts)
	if err != nil {
		r.fatal = append(r.fatal, &SourceError{Source: name, Err: err})
		return nil
	}
	r.files = append(r.files, BackupFile{Source: name, Format: b.Format, Encrypted: b.Encrypted, Total: b.Total(), Skipped: b.Skipped})
	keys := make([]SourceKey, len(b.Keys))
	for i, k := range b.Keys {
		keys[i] = SourceKey{Source: name, Key: k, file: len(r.files)}
	}
	return keys
}

// hasURILine reports whether any line of text is an otpauth or export URI.
func hasURILine(data []byte) bool {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if isURI(strings.TrimPrefix(string(bytes.TrimSpace(line)), "\ufeff")) {
			return true
		}
	}
	return false
}

// unrecognised is the one error for a file that is no backup, URI list or image: what
// it looks like (never its content), wrapping backup.ErrUnknownFormat.
func unrecognised(data []byte) error {
	return fmt.Errorf("%w, nor a list of otpauth URIs or an image: it is %s", backup.ErrUnknownFormat, backup.Describe(data))
}

// ErrBackupUnreadable is wrapped by Import's error when a backup file could not be read
// (a wrong or missing password, a damaged file, a KDF cost over the limits): nothing
// was stored. errors.Is also finds the backup package's own sentinel beneath.
var ErrBackupUnreadable = errors.New("a backup file could not be read")
