package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
)

func init() {
	registerCmd(groupAccounts, newCodesCmd)
	registerCmd(groupAccounts, newTOTPCmd)
}

// timeCode fills out's time-based fields for k at at: the code, the one of the next
// step, when the code was made for and how long it stays valid.
func timeCode(out *codeJSON, k provisioning.Key, at time.Time) error {
	var err error
	if out.Code, err = k.Code(at); err != nil {
		return err
	}
	if out.NextCode, err = k.StepCode(k.Step(at) + 1); err != nil {
		return err
	}
	out.At, out.Period = at.UTC().Format(time.RFC3339), k.Period
	out.Remaining = int((k.Remaining(at) + time.Second - 1) / time.Second)
	return nil
}

func newCodesCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "codes [QUERY] [--json]",
		Short: "every account's current code, the seconds it stays valid and the next code",
		Long: "Every account, or those QUERY matches (as for export). HOTP accounts are listed\n" +
			"with their next counter and no code: taking one advances the counter, which only\n" +
			"'otpair code QUERY' does.",
		Args:              nArgs(0, 1, "at most one QUERY"),
		ValidArgsFunction: completeAccounts(e),
		RunE: func(c *cobra.Command, args []string) error {
			return runCodes(c.Context(), e, strings.Join(args, ""), asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of code's objects: id, label, type, code, at, remaining_seconds, period, next_code; hotp: counter and no code")
	return c
}

// runCodes is `otpair codes [QUERY] [--json]`. Plain output is one account a line:
// code, seconds left, next code, label.
func runCodes(ctx context.Context, e *env, query string, asJSON bool) error {
	picked, err := filterAccounts(ctx, e, query)
	if err != nil {
		return err
	}
	if len(picked) == 0 {
		if asJSON {
			return writeJSON(e.stdout, []codeJSON{})
		}
		safetext.Fprintln(e.stderr, "otpair: no accounts yet: add some with 'otpair import' or 'otpair add'")
		return nil
	}
	at := e.now()
	rows := make([]codeJSON, len(picked))
	for i, a := range picked {
		rows[i] = codeJSON{ID: a.ID, Label: a.Label(), Type: string(a.Key.Type)}
		if a.Key.Type == provisioning.HOTP {
			counter := a.Key.Counter
			rows[i].Counter = &counter
			continue
		}
		if err := timeCode(&rows[i], a.Key, at); err != nil {
			return fmt.Errorf("%s: %w", a.Label(), err)
		}
	}
	if asJSON {
		return writeJSON(e.stdout, rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		if r.Counter != nil {
			safetext.Fprintf(tw, "%s\thotp\t#%d\t%s\n", strings.Repeat("-", 6), *r.Counter, r.Label)
			continue
		}
		safetext.Fprintf(tw, "%s\t%ds\t%s\t%s\n", r.Code, r.Remaining, r.NextCode, r.Label)
	}
	return tw.Flush()
}

// totpOpts are the flags of `otpair totp`.
type totpOpts struct {
	at, algorithm  string
	digits, period int
	window         int
	asJSON         bool
}

func newTOTPCmd(e *env) *cobra.Command {
	var o totpOpts
	c := &cobra.Command{
		Use:   "totp SECRET|URI|- [--at TIME] [--window N]",
		Short: "a TOTP code from a base32 secret or an otpauth URI, stored nowhere (- reads it from stdin)",
		Long: "Like oathtool --totp -b. A secret or URI on the command line is readable by every\n" +
			"local user in ps and stays in shell history: give - and pipe it in (the first line of\n" +
			"stdin). --window N prints the codes of N steps before and after too, oldest first, one\n" +
			"a line. For a bare secret --algorithm, --digits and --period say how to make the code;\n" +
			"a URI carries its own.",
		Args: nArgs(1, 1, "give one base32 secret, otpauth URI, or - to read it from stdin"),
		RunE: func(c *cobra.Command, args []string) error {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(args[0])), "otpauth://") {
				for _, f := range []string{"algorithm", "digits", "period"} {
					if changed(c, f) {
						return usageError("--%s is for a bare secret: a URI carries its own", f)
					}
				}
			}
			return runTOTP(c.Context(), e, o, args[0])
		},
	}
	f := c.Flags()
	f.StringVar(&o.at, "at", "", "the `TIME` of the code (RFC 3339 or unix seconds; default now)")
	f.IntVar(&o.window, "window", 0, "also the codes of `N` steps either side, oldest first (at most 100)")
	enumFlag(c, &o.algorithm, "algorithm", "SHA1", []string{"SHA1", "SHA256", "SHA512"}, "HMAC `ALGORITHM` of a bare secret: SHA1, SHA256 or SHA512").fold = upperNoDash
	f.IntVar(&o.digits, "digits", provisioning.DefaultDigits, "code length of a bare secret, 6 to 8")
	f.IntVar(&o.period, "period", provisioning.DefaultPeriod, "seconds per code of a bare secret")
	f.BoolVar(&o.asJSON, "json", false, "print JSON: code, at, remaining_seconds, period, next_code, and window: [{offset, at, code}] with --window")
	return c
}

// maxTOTPWindow bounds --window: 201 codes are more than anyone checks by eye.
const maxTOTPWindow = 100

// totpJSON is `otpair totp --json` (stable).
type totpJSON struct {
	codeJSON
	Window []totpStepJSON `json:"window,omitempty"`
}

// totpStepJSON is one code of --window.
type totpStepJSON struct {
	Offset int    `json:"offset"` // steps from the current one
	At     string `json:"at"`     // the step's start (RFC 3339)
	Code   string `json:"code"`
}

// runTOTP is `otpair totp SECRET|URI|-`: nothing is read from or written to the vault.
func runTOTP(ctx context.Context, e *env, o totpOpts, arg string) error {
	if o.window < 0 || o.window > maxTOTPWindow {
		return usageError("--window: want 0 to %d steps either side, got %d", maxTOTPWindow, o.window)
	}
	at := e.now()
	if o.at != "" {
		var err error
		if at, err = parseAt(o.at); err != nil {
			return usageError("%v", err)
		}
	}
	text := arg
	if arg == "-" {
		line, err := readLine(ctx, e.stdin)
		if err != nil {
			return fmt.Errorf("read the secret from stdin: %w", err)
		}
		text = line
	}
	k, err := totpKey(strings.TrimSpace(text), o)
	if err != nil {
		return err
	}
	out := totpJSON{codeJSON: codeJSON{Label: k.Label(), Type: string(k.Type)}}
	if err := timeCode(&out.codeJSON, k, at); err != nil {
		return usageError("%v", err)
	}
	step := int64(k.Step(at))
	for off := -o.window; off <= o.window && o.window > 0; off++ {
		s := step + int64(off)
		if s < 0 {
			continue
		}
		code, err := k.StepCode(uint64(s))
		if err != nil {
			return err
		}
		start := time.Unix(s*int64(k.Period), 0).UTC().Format(time.RFC3339)
		out.Window = append(out.Window, totpStepJSON{Offset: off, At: start, Code: code})
	}
	if o.asJSON {
		return writeJSON(e.stdout, out)
	}
	if len(out.Window) == 0 {
		_, err = safetext.Fprintln(e.stdout, out.Code)
		return err
	}
	for _, w := range out.Window {
		safetext.Fprintln(e.stdout, w.Code)
	}
	return nil
}

// errNotTOTP is totp given an HOTP URI.
var errNotTOTP = errors.New("an HOTP URI: its codes follow a counter, not the time (add it with 'otpair import' and use 'otpair code')")

// totpKey is the key text gives: an otpauth URI, or a base32 secret made into a key
// with the flags. Errors never quote the secret.
func totpKey(text string, o totpOpts) (provisioning.Key, error) {
	if strings.HasPrefix(strings.ToLower(text), "otpauth://") {
		k, err := provisioning.ParseURI(text)
		if err != nil {
			return k, usageError("%v", err)
		}
		if k.Type == provisioning.HOTP {
			return k, usageError("%v", errNotTOTP)
		}
		return k, nil
	}
	secret, err := decodeSecretText(text)
	if err != nil {
		return provisioning.Key{}, usageError("%v", err)
	}
	k := provisioning.Key{Type: provisioning.TOTP, Secret: secret, Algorithm: provisioning.Algorithm(o.algorithm), Digits: o.digits, Period: o.period}
	if err := k.Validate(); err != nil {
		return k, usageError("%v", err)
	}
	return k, nil
}
