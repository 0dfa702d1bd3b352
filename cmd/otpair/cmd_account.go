package main

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
	"github.com/otpair/otpair/provisioning/backup"
)

func init() {
	registerCmd(groupAccounts, newImportCmd)
	registerCmd(groupAccounts, newAddCmd)
	registerCmd(groupAccounts, newListCmd)
	registerCmd(groupAccounts, newCodeCmd)
	registerCmd(groupAccounts, newExportCmd)
	registerCmd(groupAccounts, newRmCmd)
	registerCmd(groupAccounts, newRenameCmd)
}

// importOpts are import's flags.
type importOpts struct {
	from, passwordFile string
	listFormats        bool
}

func newImportCmd(e *env) *cobra.Command {
	var o importOpts
	c := &cobra.Command{
		Use:   "import SOURCE...",
		Short: "import accounts: other apps' backups, otpauth URIs, export pages, QR images, text files of URIs, - for stdin",
		Long: "SOURCE is a backup file of another app (--list-formats lists them), an otpauth:// or\n" +
			"otpauth-migration:// URI, an image with QR codes, a text file of URIs (one a line), or -\n" +
			"for stdin. A URI on the command line is readable by every local user in ps and stays\n" +
			"in shell history: put it in a file, or pipe it to 'otpair import -'.\n\n" +
			"Each added account is printed as \"added LABEL (ID) from SOURCE\", each duplicate as\n" +
			"\"skipped LABEL: already in the vault\"; failed sources go to stderr, and each backup\n" +
			"file gets one summary line there. Exit status 1 if any source, line or QR code\n" +
			"failed or an account of a backup was skipped, after the good ones are stored; a\n" +
			"backup that cannot be read (a wrong password) stores nothing.",
		RunE: func(c *cobra.Command, args []string) error { return runImport(c.Context(), e, o, args) },
	}
	f := c.Flags()
	f.StringVar(&o.from, "from", "", "read every file as this backup `FORMAT` instead of recognising it (see --list-formats)")
	f.StringVar(&o.passwordFile, "password-file", "", "read the password of encrypted backups from the first line of `FILE` (else OTPAIR_IMPORT_PASSWORD, else a prompt)")
	f.BoolVar(&o.listFormats, "list-formats", false, "list the backup formats otpair reads, and exit")
	var names []string
	for _, bf := range backup.Formats() {
		names = append(names, bf.Name)
	}
	completeWords(c, "from", names...)
	_ = c.MarkFlagFilename("password-file")
	return c
}

// runImport is `otpair import [--from FORMAT] [--password-file FILE] SOURCE...`. Each
// added account is printed as "added LABEL (ID) from SOURCE", each duplicate as
// "skipped LABEL: already in the vault"; failed sources go to stderr, and each backup
// file gets one summary line there. Exit status 1 if any source, line or QR code
// failed or an account of a backup was skipped, after the good ones are stored; a
// backup that cannot be read (a wrong password) stores nothing.
func runImport(ctx context.Context, e *env, o importOpts, sources []string) error {
	if o.listFormats {
		return printFormats(e)
	}
	if len(sources) == 0 {
		return usageError("name at least one source (a backup file, a URI, an image, a text file of URIs, or - for stdin)")
	}
	if o.from != "" {
		if _, ok := backup.Lookup(o.from); !ok {
			return usageError("--from %q: no such format (otpair import --list-formats lists them)", o.from)
		}
	}
	v, err := openVault(ctx, e)
	if err != nil {
		return err
	}
	existed := v.Status().Exists
	res, err := v.ImportWith(ctx, sources, authenticator.ImportOptions{
		Stdin: e.stdin, From: o.from, Password: importPassword(ctx, e, o.passwordFile),
	})
	if err == nil && len(res.Failed) == 1 && len(res.Added)+len(res.Duplicates)+len(res.Backups) == 0 {
		// One source that held nothing: one line, the reason (and the way to name a
		// format, if it was not recognised as one).
		msg := res.Failed[0].Error()
		if unknownFormatHint(res.Failed) != "" {
			msg += "; 'otpair import --list-formats' lists the backups otpair reads"
		}
		return errors.New(msg)
	}
	for _, f := range res.Failed {
		safetext.Fprintf(e.stderr, "otpair import: %s\n", f.Error())
	}
	if hint := unknownFormatHint(res.Failed); hint != "" {
		safetext.Fprintln(e.stderr, hint)
	}
	if err != nil {
		return fmt.Errorf("nothing was stored: %w", err)
	}
	noteCreated(e, v, existed)
	for _, a := range res.Added {
		safetext.Fprintf(e.stdout, "added   %s (%s) from %s\n", a.Account.Label(), a.Account.ID, a.Source)
	}
	for _, d := range res.Duplicates {
		safetext.Fprintf(e.stdout, "skipped %s: already in the vault as %s\n", d.Account.Label(), d.Account.ID)
	}
	skipped := printBackupSummaries(e, res.Backups)
	total := fmt.Sprintf("otpair import: %d added, %d already there, %d failed", len(res.Added), len(res.Duplicates), len(res.Failed))
	if skipped > 0 {
		total += fmt.Sprintf(", %d skipped", skipped)
	}
	safetext.Fprintln(e.stderr, total)
	stored := len(res.Added)+len(res.Duplicates) > 0
	switch {
	case len(res.Failed) > 0 && !stored:
		return fmt.Errorf("%d source(s), line(s) or QR code(s) could not be imported; nothing was stored", len(res.Failed))
	case len(res.Failed) > 0:
		return fmt.Errorf("%d source(s), line(s) or QR code(s) could not be imported (the rest were)", len(res.Failed))
	case skipped > 0:
		return fmt.Errorf("%d account(s) of the backup could not be imported (the rest were)", skipped)
	}
	return nil
}

// addOpts are add's flags.
type addOpts struct {
	issuer, account, algorithm, secret string
	digits, period                     int
	hotp                               bool
	counter                            uint64
	counterSet                         bool
}

func newAddCmd(e *env) *cobra.Command {
	var o addOpts
	c := &cobra.Command{
		Use:   "add --account A [--issuer I] [--algorithm SHA1|SHA256|SHA512] [--digits 6-8] [--period 30] [--hotp [--counter N]]",
		Short: "add an account by hand (the secret is read from a prompt or stdin)",
		Long: "The base32 secret is read from a prompt without echo, or the first line of stdin, so\n" +
			"that it stays out of shell history and ps.",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unexpected argument %q (the secret is read from a prompt or stdin, not the command line)", args[0])
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error {
			o.counterSet = changed(c, "counter")
			return runAdd(c.Context(), e, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.issuer, "issuer", "", "the service, e.g. GitHub")
	f.StringVar(&o.account, "account", "", "the account name, e.g. alice@example.com (required)")
	enumFlag(c, &o.algorithm, "algorithm", "SHA1", []string{"SHA1", "SHA256", "SHA512"}, "HMAC `ALGORITHM`: SHA1, SHA256 or SHA512").fold = upperNoDash
	f.IntVar(&o.digits, "digits", provisioning.DefaultDigits, "code length, 6 to 8")
	f.IntVar(&o.period, "period", provisioning.DefaultPeriod, "seconds per TOTP code")
	f.BoolVar(&o.hotp, "hotp", false, "a counter-based (HOTP) account instead of TOTP")
	f.Uint64Var(&o.counter, "counter", 0, "HOTP: the next counter value")
	f.StringVar(&o.secret, "secret", "", "the base32 secret (discouraged: it lands in shell history and ps; omit it to be asked)")
	return c
}

// runAdd is `otpair add --issuer I --account A [...]`: the secret comes from a prompt
// without echo, or the first line of stdin, so it stays out of shell history and ps.
func runAdd(ctx context.Context, e *env, o addOpts) error {
	if strings.TrimSpace(o.account) == "" {
		return usageError("--account is required")
	}
	secretText := o.secret
	var err error
	if secretText != "" {
		safetext.Fprintln(e.stderr, "otpair add: warning: --secret puts the secret in your shell history and the process list; omit it to be asked, or pipe it on stdin")
	} else if fd, ok := terminalFD(e.stdin); ok {
		if secretText, err = readHidden(ctx, e, fd, "Secret (base32): "); err != nil {
			return err
		}
	} else if secretText, err = readLine(ctx, e.stdin); err != nil {
		return fmt.Errorf("read the secret from stdin: %w", err)
	}
	secret, err := decodeSecretText(secretText)
	if err != nil {
		return err
	}
	k := provisioning.Key{
		Type: provisioning.TOTP, Issuer: strings.TrimSpace(o.issuer), Account: strings.TrimSpace(o.account), Secret: secret,
		Algorithm: provisioning.Algorithm(o.algorithm), Digits: o.digits, Period: o.period,
	}
	if o.hotp {
		k.Type, k.Period, k.Counter = provisioning.HOTP, 0, o.counter
	} else if o.counterSet {
		return usageError("--counter is for --hotp accounts")
	}
	if err := k.Validate(); err != nil {
		return usageError("%v", err)
	}
	v, err := openVault(ctx, e)
	if err != nil {
		return err
	}
	existed := v.Status().Exists
	res, err := v.Add(ctx, k)
	if err != nil {
		return err
	}
	noteCreated(e, v, existed)
	if len(res.Duplicates) > 0 {
		return fmt.Errorf("%s is already in the vault as %s", res.Duplicates[0].Existing.Label(), res.Duplicates[0].Existing.ID)
	}
	safetext.Fprintf(e.stdout, "added %s (%s)\n", res.Added[0].Label(), res.Added[0].ID)
	return nil
}

// decodeSecretText reads a base32 secret as people paste it: any case, spaces or
// dashes between groups, with or without padding. Errors never echo it.
func decodeSecretText(s string) ([]byte, error) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(s)))
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, errors.New("the secret is empty")
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil, errors.New("the secret is not base32 (letters A-Z and digits 2-7)")
	}
	return b, nil
}

// accountJSON is one account in `otpair list --json` (stable; never the secret).
type accountJSON struct {
	ID        string    `json:"id"`
	Label     string    `json:"label"`
	Issuer    string    `json:"issuer"`
	Account   string    `json:"account"`
	Type      string    `json:"type"`
	Algorithm string    `json:"algorithm"`
	Digits    int       `json:"digits"`
	Period    int       `json:"period,omitempty"`  // totp
	Counter   *uint64   `json:"counter,omitempty"` // hotp: the next counter
	Created   time.Time `json:"created"`
}

func toAccountJSON(a authenticator.Account) accountJSON {
	j := accountJSON{ID: a.ID, Label: a.Label(), Issuer: a.Key.Issuer, Account: a.Key.Account, Type: string(a.Key.Type),
		Algorithm: string(a.Key.Algorithm), Digits: a.Key.Digits, Created: a.Created}
	if a.Key.Type == provisioning.HOTP {
		c := a.Key.Counter
		j.Counter = &c
	} else {
		j.Period = a.Key.Period
	}
	return j
}

func newListCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "list the accounts in the vault (no secrets)",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("list takes no arguments (use code QUERY or export QUERY to pick accounts)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return runList(c.Context(), e, asJSON) },
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array: id, label, issuer, account, type, algorithm, digits, period|counter, created")
	return c
}

// runList is `otpair list [--json]`: the accounts in the order they were added. --json
// prints an array of {id, label, issuer, account, type, algorithm, digits, period or
// counter, created}; never a secret.
func runList(ctx context.Context, e *env, asJSON bool) error {
	v, err := openVault(ctx, e)
	if err != nil {
		return err
	}
	accounts, err := v.Accounts(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]accountJSON, len(accounts))
		for i, a := range accounts {
			out[i] = toAccountJSON(a)
		}
		return writeJSON(e.stdout, out)
	}
	if len(accounts) == 0 {
		safetext.Fprintln(e.stderr, "otpair: no accounts yet: add some with 'otpair import' or 'otpair add'")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, a := range accounts {
		kind := fmt.Sprintf("%s %dd %ds", a.Key.Type, a.Key.Digits, a.Key.Period)
		if a.Key.Type == provisioning.HOTP {
			kind = fmt.Sprintf("%s %dd #%d", a.Key.Type, a.Key.Digits, a.Key.Counter)
		}
		safetext.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Label(), kind)
	}
	return tw.Flush()
}

// writeJSON prints v as indented JSON for --json output: every --json printer goes
// through it. The characters a terminal acts on that encoding/json leaves as they are
// (DEL, C1 controls such as U+009B, bidi and zero-width characters) are written as \u
// escapes (safetext.JSON), so piping to a terminal is as safe as to jq.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	if _, err := w.Write(safetext.JSON(buf.Bytes())); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// filterAccounts opens the vault and returns the accounts query matches (every one for
// an empty query, see authenticator.Filter); a query that matches none is an error.
func filterAccounts(ctx context.Context, e *env, query string) ([]authenticator.Account, error) {
	v, err := openVault(ctx, e)
	if err != nil {
		return nil, err
	}
	accounts, err := v.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	picked := authenticator.Filter(accounts, query)
	if len(picked) == 0 && query != "" {
		return nil, fmt.Errorf("no account matches %q", query)
	}
	return picked, nil
}

// findOne opens the vault and picks the account query names; an ambiguous query lists
// the candidates on stderr.
func findOne(ctx context.Context, e *env, query string) (*authenticator.Vault, authenticator.Account, error) {
	v, err := openVault(ctx, e)
	if err != nil {
		return nil, authenticator.Account{}, err
	}
	accounts, err := v.Accounts(ctx)
	if err != nil {
		return nil, authenticator.Account{}, err
	}
	a, err := authenticator.Find(accounts, query)
	var amb *authenticator.AmbiguousError
	if errors.As(err, &amb) {
		safetext.Fprintf(e.stderr, "otpair: %q matches %d accounts; name one of them:\n", query, len(amb.Candidates))
		for _, c := range amb.Candidates {
			safetext.Fprintf(e.stderr, "  %s  %s\n", c.ID, c.Label())
		}
		return nil, a, fmt.Errorf("%q is ambiguous", query)
	}
	if err != nil {
		return nil, a, err
	}
	return v, a, nil
}

// codeJSON is `otpair code --json` (stable).
type codeJSON struct {
	ID        string  `json:"id"`
	Label     string  `json:"label"`
	Type      string  `json:"type"`
	Code      string  `json:"code"`
	At        string  `json:"at,omitempty"`                // totp: the time the code is for (RFC 3339)
	Remaining int     `json:"remaining_seconds,omitempty"` // totp: how long the code stays valid
	Period    int     `json:"period,omitempty"`            // totp
	NextCode  string  `json:"next_code,omitempty"`         // totp: the code of the next step
	Counter   *uint64 `json:"counter,omitempty"`           // hotp: the counter the code is for
}

// parseAt reads --at: RFC 3339, or unix seconds.
func parseAt(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}, fmt.Errorf("--at %d: before 1970", n)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: want RFC 3339 (2026-01-02T15:04:05Z) or unix seconds", s)
	}
	if t.Unix() < 0 {
		return time.Time{}, fmt.Errorf("--at %q: before 1970", s)
	}
	return t, nil
}

// codeOpts are code's flags.
type codeOpts struct {
	at     string
	asJSON bool
	copy   bool
}

func newCodeCmd(e *env) *cobra.Command {
	var o codeOpts
	c := &cobra.Command{
		Use:   "code QUERY [--at TIME] [--json|--copy]",
		Short: "print the current code of an account",
		Long: "QUERY is an account id, its label (\"GitHub: alice\" or github:alice), its issuer or\n" +
			"account name, or a part of its label, and must match one account. Plain output is\n" +
			"the code alone. Taking an HOTP code advances (and stores) the account's counter;\n" +
			"--at on an HOTP account is bad usage (exit 2) and leaves the counter where it is.",
		Args: nArgs(1, 1, "name one account (issuer, account name, \"issuer:account\" or id)"),
		RunE: func(c *cobra.Command, args []string) error { return runCode(c.Context(), e, o, args[0]) },
	}
	f := c.Flags()
	f.StringVar(&o.at, "at", "", "the `TIME` to compute the TOTP code for (RFC 3339 or unix seconds; default now)")
	f.BoolVar(&o.asJSON, "json", false, "print JSON: id, label, type, code, at, remaining_seconds, period, next_code (totp) or counter (hotp)")
	f.BoolVar(&o.copy, "copy", false, "put the code on the clipboard (OSC 52 to the terminal, and wl-copy, xclip, xsel, pbcopy or clip.exe) and print no code: stderr says which took it")
	c.ValidArgsFunction = completeAccounts(e)
	return c
}

// runCode is `otpair code QUERY [--at TIME] [--json]`. Plain output is the code alone.
// For an HOTP account the stored counter advances (and is saved) before the code is
// printed. QUERY: see authenticator.Find.
func runCode(ctx context.Context, e *env, o codeOpts, query string) error {
	if o.copy && o.asJSON {
		return usageError("give --copy or --json, not both: --json prints the code")
	}
	var err error
	at := e.now()
	if o.at != "" {
		if at, err = parseAt(o.at); err != nil {
			return usageError("%v", err)
		}
	}
	v, a, err := findOne(ctx, e, query)
	if err != nil {
		return err
	}
	out := codeJSON{ID: a.ID, Label: a.Label(), Type: string(a.Key.Type)}
	if a.Key.Type == provisioning.HOTP {
		if o.at != "" {
			// Refused before the counter moves: a script that asked for a time
			// gets no code it did not mean to take.
			return usageError("--at is for time-based accounts: %s is HOTP, its codes follow a counter (the counter was not advanced)", a.Label())
		}
		code, counter, err := v.NextHOTP(ctx, a.ID)
		if err != nil {
			return err
		}
		out.Code, out.Counter = code, &counter
	} else if err := timeCode(&out, a.Key, at); err != nil {
		return err
	}
	switch {
	case o.asJSON:
		return writeJSON(e.stdout, out)
	case o.copy:
		return copyCode(ctx, e, out)
	}
	_, err = safetext.Fprintln(e.stdout, out.Code)
	return err
}

// exportOpts are export's flags.
type exportOpts struct {
	format, passwordFile string
}

func newExportCmd(e *env) *cobra.Command {
	var o exportOpts
	c := &cobra.Command{
		Use:   "export [--format uri|migration|qr|aegis] [--password-file FILE] [QUERY]",
		Short: "print accounts as otpauth URIs, export pages or QR codes (holds secrets)",
		Long: "Every account, or those QUERY matches. uri prints one otpauth URI a line; migration\n" +
			"prints Google Authenticator export pages (10 accounts each), naming on stderr the\n" +
			"accounts that format cannot hold; qr draws the URI of a single account, else the\n" +
			"export pages, for a phone to scan; aegis prints an Aegis vault file, encrypted with\n" +
			"--password-file's password. It prints secrets: to a terminal, or to a file others may\n" +
			"read, it warns on stderr first; a pipe stays quiet.",
		Args: nArgs(0, 1, "at most one QUERY"),
		RunE: func(c *cobra.Command, args []string) error {
			if o.passwordFile != "" && o.format != "aegis" {
				return usageError("--password-file is for --format aegis")
			}
			return runExport(c.Context(), e, o, strings.Join(args, ""))
		},
	}
	enumFlag(c, &o.format, "format", "uri", []string{"uri", "migration", "qr", "aegis"},
		"`FORMAT`: uri, migration, qr or aegis (an Aegis vault file, which Aegis, 2FAS, Ente, Proton Authenticator and cotp import)")
	c.Flags().StringVar(&o.passwordFile, "password-file", "", "aegis: encrypt the vault with the password on the first line of `FILE`")
	_ = c.MarkFlagFilename("password-file")
	c.ValidArgsFunction = completeAccounts(e)
	return c
}

// runExport is `otpair export [--format uri|migration|qr|aegis] [QUERY]`: every account,
// or those query matches (all of them, see authenticator.Filter). uri prints one
// otpauth URI a line; migration prints Google Authenticator export pages (10 accounts
// each), leaving out by name the accounts that format cannot hold; qr draws them in the
// terminal: the otpauth URI of a single account, else the export pages, for a phone to
// scan; aegis prints an Aegis vault file, encrypted with --password-file's password.
func runExport(ctx context.Context, e *env, o exportOpts, query string) error {
	picked, err := filterAccounts(ctx, e, query)
	if err != nil {
		return err
	}
	if len(picked) == 0 {
		return errors.New("the vault has no accounts to export")
	}
	keys := make([]provisioning.Key, len(picked))
	for i, a := range picked {
		keys[i] = a.Key
	}
	if o.format == "aegis" {
		return exportAegis(e, keys, o.passwordFile)
	}
	var texts []string
	switch {
	case o.format == "uri" || (o.format == "qr" && len(keys) == 1):
		for _, k := range keys {
			texts = append(texts, k.URI())
		}
	default:
		if texts, err = exportMigration(e, keys); err != nil {
			return err
		}
	}
	if o.format != "qr" {
		warnSecretsOut(e, "export")
		for _, t := range texts {
			safetext.Fprintln(e.stdout, t)
		}
		return nil
	}
	style := provisioning.TerminalColor
	if e.getenv("NO_COLOR") != "" {
		style = provisioning.TerminalDarkBackground
	}
	safetext.Fprintln(e.stderr, "otpair export: these QR codes hold the secrets; clear the screen when done")
	for i, t := range texts {
		drawing, err := provisioning.RenderQRTerminal(t, style)
		if err != nil {
			return err
		}
		if len(texts) > 1 {
			safetext.Fprintf(e.stdout, "page %d of %d (scan with Google Authenticator: Transfer accounts > Import)\n", i+1, len(texts))
		}
		if _, err := io.WriteString(e.stdout, drawing); err != nil {
			return err
		}
	}
	return nil
}

// warnSecretsOut warns on stderr, before secrets are printed, when standard output is
// somewhere others may see them: a terminal (scrollback, a shared screen) or a file its
// group or others may read (the shell made it with the umask). A pipe stays quiet, and
// so does a private file: scripts are not asked anything.
func warnSecretsOut(e *env, cmd string) {
	f, ok := e.stdout.(*os.File)
	if !ok {
		return
	}
	if term.IsTerminal(int(f.Fd())) {
		safetext.Fprintf(e.stderr, "otpair %s: warning: these lines hold the accounts' secrets; clear the screen and scrollback when done, or redirect them to a private file (umask 077)\n", cmd)
		return
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		safetext.Fprintf(e.stderr, "otpair %s: warning: standard output is a file others may read (mode %04o) and it will hold the accounts' secrets: chmod 600 it, or write it with umask 077\n", cmd, fi.Mode().Perm())
	}
}

func newRmCmd(e *env) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "rm QUERY [--yes]",
		Short: "remove an account",
		Long:  "rm asks for a y on stdin before it deletes the account's secret, unless --yes.",
		Args:  nArgs(1, 1, "name one account to remove"),
		RunE:  func(c *cobra.Command, args []string) error { return runRm(c.Context(), e, yes, args[0]) },
	}
	c.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	c.ValidArgsFunction = completeAccounts(e)
	return c
}

// runRm is `otpair rm QUERY [--yes]`: asks "y" on stdin unless --yes.
func runRm(ctx context.Context, e *env, yes bool, query string) error {
	v, a, err := findOne(ctx, e, query)
	if err != nil {
		return err
	}
	if !yes {
		safetext.Fprintf(e.stderr, "Remove %s (%s)? Its secret is deleted from the vault. [y/N] ", a.Label(), a.ID)
		answer, err := readLine(ctx, e.stdin)
		if err != nil {
			safetext.Fprintln(e.stderr)
			return fmt.Errorf("not removed: no answer (%v); use --yes to skip the question", err)
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return errors.New("not removed")
		}
	}
	if err := v.Delete(ctx, a.ID); err != nil {
		return err
	}
	safetext.Fprintf(e.stdout, "removed %s (%s)\n", a.Label(), a.ID)
	return nil
}

// renameOpts are rename's flags.
type renameOpts struct {
	issuer, account       string
	setIssuer, setAccount bool
}

func newRenameCmd(e *env) *cobra.Command {
	var o renameOpts
	c := &cobra.Command{
		Use:   "rename QUERY [--issuer I] [--account A]",
		Short: "change an account's issuer or account name",
		Long:  "A flag left out keeps its value; --issuer \"\" removes the issuer.",
		Args:  nArgs(1, 1, "name one account to rename"),
		RunE: func(c *cobra.Command, args []string) error {
			o.setIssuer, o.setAccount = changed(c, "issuer"), changed(c, "account")
			return runRename(c.Context(), e, o, args[0])
		},
	}
	c.Flags().StringVar(&o.issuer, "issuer", "", "the new issuer (\"\" removes it)")
	c.Flags().StringVar(&o.account, "account", "", "the new account name")
	c.ValidArgsFunction = completeAccounts(e)
	return c
}

// runRename is `otpair rename QUERY [--issuer I] [--account A]`; a flag left out keeps
// its value.
func runRename(ctx context.Context, e *env, o renameOpts, query string) error {
	if !o.setIssuer && !o.setAccount {
		return usageError("give --issuer, --account or both")
	}
	v, a, err := findOne(ctx, e, query)
	if err != nil {
		return err
	}
	newIssuer, newAccount := a.Key.Issuer, a.Key.Account
	if o.setIssuer {
		newIssuer = o.issuer
	}
	if o.setAccount {
		newAccount = o.account
	}
	renamed, err := v.Rename(ctx, a.ID, newIssuer, newAccount)
	if err != nil {
		return err
	}
	safetext.Fprintf(e.stdout, "renamed %s to %s (%s)\n", a.Label(), renamed.Label(), a.ID)
	return nil
}
