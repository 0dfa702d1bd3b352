package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/otpair/otpair/internal/keyfile"
	"github.com/otpair/otpair/internal/safetext"
)

// maxKeyFileBytes bounds a key file otpair reads (a management key is 53 characters).
const maxKeyFileBytes = 4096

// addManagementKeyFlags registers --management-key and --management-key-file on fs.
// what says what the key is for. A value on the command line is readable by every
// local user (ps, /proc/PID/cmdline) while otpair runs; the help says so and points to
// the file and the variable, which are not.
func addManagementKeyFlags(fs *pflag.FlagSet, key, file *string, what string) {
	fs.StringVar(key, "management-key", "", "management key "+what+"; visible to every local user in ps while otpair runs: "+
		"prefer --management-key-file or $"+envManagementKey)
	fs.StringVar(file, "management-key-file", "", "read the management key from `FILE` (refused if its group or others may read it: chmod 600 FILE)")
}

// managementKeyFlags resolves the management key the command line gives: the
// --management-key value (with a warning on stderr), else the first line of
// --management-key-file, else "" (the caller's defaults follow). source says where the
// key came from, never what it is.
func managementKeyFlags(e *env, cmd, key, file string) (k, source string, err error) {
	switch {
	case key != "" && file != "":
		return "", "", usageError("give --management-key or --management-key-file, not both")
	case key != "":
		safetext.Fprintf(e.stderr, "otpair %s: warning: --management-key is visible to every local user (ps, /proc) while otpair runs; use --management-key-file FILE or $%s\n", cmd, envManagementKey)
		return key, "--management-key", nil
	case file != "":
		b, err := keyfile.Read(file, maxKeyFileBytes)
		if err != nil {
			return "", "", fmt.Errorf("--management-key-file: %w", err)
		}
		k, _, _ = strings.Cut(string(b), "\n")
		if k = strings.TrimSpace(k); k == "" {
			return "", "", errors.New("--management-key-file: " + file + " is empty")
		}
		return k, file, nil
	}
	return "", "", nil
}
