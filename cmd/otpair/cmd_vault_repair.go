package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/safetext"
)

// repairLabelRunes bounds how much of a label repair prints: the accounts it removes
// are the ones with names too large to keep.
const repairLabelRunes = 60

func newVaultRepairCmd(e *env) *cobra.Command {
	var o repairOpts
	c := &cobra.Command{
		Use:   "repair [--yes] [--max-size MB]",
		Short: "when the vault is too large to open: remove the accounts over otpair's limits",
		Long: "Older versions let an account with a huge secret in, after which every command failed.\n" +
			"repair reads the vault with a higher limit, lists the accounts over otpair's limits and\n" +
			"why, asks, and writes the vault without them; the old file stays beside it, still\n" +
			"encrypted.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("vault repair takes no arguments")
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return runVaultRepair(c.Context(), e, o) },
	}
	c.Flags().BoolVar(&o.yes, "yes", false, "remove the accounts over the limits without asking")
	c.Flags().Int64Var(&o.maxMB, "max-size", authenticator.DefaultRepairBytes>>20, "the largest vault file to read, in `MB`")
	return c
}

// repairOpts are vault repair's flags.
type repairOpts struct {
	yes   bool
	maxMB int64
}

// runVaultRepair is `otpair vault repair [--yes] [--max-size MB]`: it gets back a vault
// that no longer opens because older otpair versions let an account over the limits in
// (a URI with a 70 MB secret made every command fail). It reads the vault with a higher
// limit, lists the accounts over the limits and why, asks, and writes the vault without
// them; the old file stays beside it, still encrypted. It never writes a secret in
// plain text, and a vault with nothing over the limits is left as it is.
func runVaultRepair(ctx context.Context, e *env, o repairOpts) error {
	if o.maxMB <= 0 || o.maxMB > 1<<20 {
		return usageError("--max-size must be 1 to 1048576 MB, got %d", o.maxMB)
	}
	dir, err := authenticator.DefaultDir(e.getenv)
	if err != nil {
		return err
	}
	res, err := authenticator.Repair(ctx, vaultOptions(e, dir, passphrasePrompt(e)), o.maxMB<<20, func(drop []authenticator.Dropped, keep int) (bool, error) {
		safetext.Fprintf(e.stdout, "%d %s over otpair's limits, to be removed (%d %s):\n",
			len(drop), countWord(len(drop), "account is", "accounts are"), keep, countWord(keep, "stays", "stay"))
		for _, d := range drop {
			safetext.Fprintf(e.stdout, "  %s %s: %v\n", d.Account.ID, cutRunes(d.Account.Label(), repairLabelRunes), d.Reason)
		}
		if o.yes {
			return true, nil
		}
		safetext.Fprint(e.stderr, "Remove them? The vault file as it is now is kept, encrypted, beside the new one. [y/N] ")
		answer, err := readLine(ctx, e.stdin)
		if err != nil {
			safetext.Fprintln(e.stderr)
			return false, fmt.Errorf("no answer (%v); use --yes to skip the question", err)
		}
		a := strings.ToLower(strings.TrimSpace(answer))
		return a == "y" || a == "yes", nil
	})
	switch {
	case errors.Is(err, authenticator.ErrRepairDeclined):
		return errors.New("not repaired: nothing was changed")
	case err != nil:
		return err
	case len(res.Dropped) == 0:
		safetext.Fprintf(e.stdout, "vault %s: no account is over otpair's limits; nothing to repair\n", dir)
		return nil
	}
	safetext.Fprintf(e.stdout, "removed %d %s; the vault holds %d\n", len(res.Dropped), countWord(len(res.Dropped), "account", "accounts"), res.Kept)
	safetext.Fprintf(e.stdout, "the vault file as it was is in %s (encrypted as before; delete it when you no longer need it)\n", res.Backup)
	return nil
}

// countWord is one or many, by n.
func countWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cutRunes cuts s to n runes, marking the cut.
func cutRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
