package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/authenticator"
)

func init() {
	registerCmd(groupOther, newCompletionCmd)
}

// completionShells are the shells `otpair completion` writes a script for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

const completionHelp = `The script completes commands, flags, words such as --format's and --backend's, and
the accounts of the vault for code, rm, rename and export. Accounts are read only
when the vault opens without asking anything: a keyring vault whose keyring is
unlocked, or a passphrase vault with $` + envPassphrase + ` set; otherwise they are not
completed, and nothing is ever prompted for.

  bash        source <(otpair completion bash)            (in ~/.bashrc; needs bash-completion)
  zsh         otpair completion zsh > "${fpath[1]}/_otpair"
  fish        otpair completion fish > ~/.config/fish/completions/otpair.fish
  powershell  otpair completion powershell | Out-String | Invoke-Expression`

func newCompletionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "print the shell completion script for bash, zsh, fish or PowerShell",
		Long:      completionHelp,
		ValidArgs: completionShells,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("name one shell: %s", orList(completionShells))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			root, w := c.Root(), e.stdout
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(w, true)
			case "zsh":
				return root.GenZshCompletion(w)
			case "fish":
				return root.GenFishCompletion(w, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(w)
			}
			msg := fmt.Sprintf("unknown shell %q", args[0])
			if close := closest(args[0], completionShells); len(close) > 0 {
				msg += " (did you mean " + orList(close) + "?)"
			}
			return usageError("%s; want %s", msg, orList(completionShells))
		},
	}
}

// completionKeyringTimeout bounds the keyring read of one completion: a tab press
// that hangs is worse than one that completes no account.
const completionKeyringTimeout = 2 * time.Second

// completeAccounts completes the first argument with the vault's accounts, read only
// if that needs nothing from the user: stdin is not read, the keyring is not asked to
// unlock (authenticator.SystemKeyring.NoPrompt), and nothing is printed on stderr.
// Each account is offered as "issuer:account" (what authenticator.Find matches), or
// its id where that is not unique, with its label as the description.
func completeAccounts(e *env) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		accounts := completionAccounts(c.Context(), e)
		count := map[string]int{}
		for _, a := range accounts {
			count[strings.ToLower(accountQuery(a))]++
		}
		var out []cobra.Completion
		for _, a := range accounts {
			q := accountQuery(a)
			if count[strings.ToLower(q)] > 1 {
				q = a.ID
			}
			if strings.HasPrefix(strings.ToLower(q), strings.ToLower(toComplete)) {
				out = append(out, cobra.CompletionWithDesc(q, a.Label()+" ("+a.ID+")"))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// accountQuery is the query a completion offers for a: issuer:account, or the account
// name alone when there is no issuer.
func accountQuery(a authenticator.Account) string {
	if a.Key.Issuer == "" {
		return a.Key.Account
	}
	return a.Key.Issuer + ":" + a.Key.Account
}

// completionAccounts is the vault's accounts, or none when reading them would ask the
// user anything or fails.
func completionAccounts(ctx context.Context, e *env) []authenticator.Account {
	if ctx == nil {
		ctx = context.Background()
	}
	ce := *e
	ce.stdin, ce.stderr, ce.quiet, ce.noPrompt = strings.NewReader(""), io.Discard, true, true
	v, err := openVault(ctx, &ce)
	if err != nil {
		return nil
	}
	if !v.Status().Exists {
		return nil
	}
	accounts, err := v.Accounts(ctx)
	if err != nil {
		return nil
	}
	return accounts
}
