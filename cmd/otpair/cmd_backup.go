package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/provisioning/backup"
)

// The backup side of import and export: --list-formats, the password of an encrypted
// backup, one summary per backup file, and the Aegis and Google Authenticator exports.

// printFormats is `otpair import --list-formats`.
func printFormats(e *env) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	safetext.Fprintf(tw, "FORMAT\tWHAT otpair READS\n")
	for _, f := range backup.Formats() {
		safetext.Fprintf(tw, "%s\t%s\n", f.Name, f.Shapes)
	}
	safetext.Fprintf(tw, "(always)\totpauth:// URIs and Google Authenticator export pages (otpauth-migration://), one a line in a text file or given as arguments; images with QR codes\n")
	if err := tw.Flush(); err != nil {
		return err
	}
	safetext.Fprintf(e.stdout, "\nA file's format is recognised by its content; --from FORMAT forces one.\n")
	return nil
}

// importPassword gives the password of an encrypted backup: the first line of
// --password-file, else OTPAIR_IMPORT_PASSWORD, else a prompt without echo when stdin is
// a terminal; else an error saying how to give one, at once.
func importPassword(ctx context.Context, e *env, file string) func(source string, f backup.Format) ([]byte, error) {
	return func(source string, f backup.Format) ([]byte, error) {
		if file != "" {
			return readPasswordFile(file)
		}
		if p := e.getenv("OTPAIR_IMPORT_PASSWORD"); p != "" {
			return []byte(p), nil
		}
		if fd, ok := terminalFD(e.stdin); ok && source != "stdin" {
			p, err := readHidden(ctx, e, fd, "Password of the "+f.Title+" "+safetext.Line(source)+": ")
			if err != nil {
				return nil, err
			}
			return []byte(p), nil
		}
		return nil, fmt.Errorf("%w: give it with --password-file FILE or OTPAIR_IMPORT_PASSWORD (there is no terminal to ask on)", backup.ErrPasswordNeeded)
	}
}

// readPasswordFile reads a password from the first line of a file (its line ending
// dropped); an empty one is an error.
func readPasswordFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return nil, fmt.Errorf("password file %s: its first line is empty", path)
	}
	return []byte(line), nil
}

// printBackupSummaries writes each backup file's accounts that were skipped and its one
// summary line to stderr, and returns how many accounts were skipped in all.
func printBackupSummaries(e *env, files []authenticator.BackupFile) int {
	n := 0
	for _, f := range files {
		for _, s := range f.Skipped {
			safetext.Fprintf(e.stderr, "otpair import: %s: skipped %s\n", f.Source, s.String())
		}
		safetext.Fprintf(e.stderr, "otpair import: %s: %s\n", f.Source, f.Summary())
		n += len(f.Skipped)
	}
	return n
}

// unknownFormatHint points at --list-formats when a file was of no known kind.
func unknownFormatHint(failed []authenticator.SourceError) string {
	for _, f := range failed {
		if errors.Is(f.Err, backup.ErrUnknownFormat) {
			return "otpair import: 'otpair import --list-formats' lists the backups otpair reads; --from FORMAT forces one"
		}
	}
	return ""
}

// exportAegis prints keys as an Aegis vault file, encrypted with the password of
// passwordFile; without one it says on stderr that the file holds every secret in
// clear.
func exportAegis(e *env, keys []provisioning.Key, passwordFile string) error {
	var password []byte
	if passwordFile != "" {
		var err error
		if password, err = readPasswordFile(passwordFile); err != nil {
			return err
		}
	} else {
		safetext.Fprintf(e.stderr, "otpair export: warning: no --password-file, so this Aegis file holds every secret in clear; keep it safe or encrypt it\n")
		warnSecretsOut(e, "export")
	}
	data, skipped, err := backup.WriteAegis(keys, password)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		safetext.Fprintf(e.stderr, "otpair export: left out %s\n", s.String())
	}
	if len(skipped) == len(keys) {
		return errors.New("no account fits an Aegis vault")
	}
	_, err = e.stdout.Write(data)
	return err
}

// exportMigration writes the keys that fit Google Authenticator's export format as its
// pages, and names on stderr those it leaves out (a 60 s period, 7 digits, Steam…).
func exportMigration(e *env, keys []provisioning.Key) ([]string, error) {
	var fit []provisioning.Key
	for _, k := range keys {
		if err := provisioning.FitsMigration(k); err != nil {
			safetext.Fprintf(e.stderr, "otpair export: left out %s: %v (export it with --format uri or aegis)\n", k.Label(), err)
			continue
		}
		fit = append(fit, k)
	}
	if len(fit) == 0 {
		return nil, errors.New("no account fits Google Authenticator's export format (use --format uri or aegis)")
	}
	return provisioning.EncodeMigration(fit)
}
