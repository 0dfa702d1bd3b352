package main

import (
	"context"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/safetext"
)

func init() {
	registerCmd(groupVault, newVaultCmd)
}

func newVaultCmd(e *env) *cobra.Command {
	c := newGroup(e, "vault", "vault info (where, which protection, how many accounts, what is missing), rekey, reset, repair", vaultHelp, "vault command")
	info := &cobra.Command{
		Use:   "info [--json]",
		Short: "where the vault is, how it is protected, how many accounts it holds, which of its files are missing",
		Long: "The protection is read from the vault's files, so info works with the keyring down;\n" +
			"the accounts are counted when the vault opens.",
		Args: noArgs,
	}
	var infoJSON bool
	info.Flags().BoolVar(&infoJSON, "json", false, "print JSON: path, exists, protection, will_use, reason, accounts, keyring_service, keyring_user, unlocked_until, error, missing")
	info.RunE = func(c *cobra.Command, _ []string) error { return runVaultInfo(c.Context(), e, infoJSON) }

	rekey := &cobra.Command{
		Use:   "rekey --keyring|--passphrase",
		Short: "move the vault to a new key: in the OS keyring, or sealed with a new passphrase",
		Long: "The new passphrase (at least 8 characters) is asked twice on the terminal, or read\n" +
			"from $" + envNewPassphrase + ". A crash at any point leaves a vault that opens with the old\n" +
			"key or the new one.",
	}
	var toKeyring, toPass bool
	rekey.Flags().BoolVar(&toKeyring, "keyring", false, "protect the vault with a new key in the OS keyring")
	rekey.Flags().BoolVar(&toPass, "passphrase", false, "protect the vault with a new passphrase of at least 8 characters (asked twice on the terminal, or $"+envNewPassphrase+")")
	rekey.Args = func(_ *cobra.Command, args []string) error {
		if len(args) > 0 || toKeyring == toPass {
			return usageError("give exactly one of --keyring and --passphrase")
		}
		return nil
	}
	rekey.RunE = func(c *cobra.Command, _ []string) error {
		to := authenticator.ProtectionKeyring
		if toPass {
			to = authenticator.ProtectionPassphrase
		}
		return runVaultRekey(c.Context(), e, to)
	}

	reset := &cobra.Command{
		Use:   "reset",
		Short: "only when vault.age is missing: set vault.json and identity.age aside, so the next import starts a new vault",
		Long: "The files are renamed NAME.old-TIME; nothing is deleted, not even the old keyring item,\n" +
			"so a backup of vault.age still opens with them. Restoring vault.age is the other way.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("vault reset takes no arguments")
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return runVaultReset(c.Context(), e) },
	}
	c.AddCommand(info, rekey, reset, newVaultRepairCmd(e))
	return c
}

// vaultKeyring builds the keyring the vault commands use. Tests replace it with an
// in-memory one; the real one reads the process environment for D-Bus.
var vaultKeyring = func(e *env) authenticator.Keyring {
	return authenticator.SystemKeyring{Getenv: e.getenv}
}

// scryptWorkFactor is the scrypt cost of new passphrase vaults (0: age's default).
// Only tests change it, to keep passphrase tests fast.
var scryptWorkFactor = 0

// openVault opens the vault of OTPAIR_HOME (or the default data folder) and tells the
// user on stderr when it is protected by a passphrase rather than the keyring, and why.
func openVault(ctx context.Context, e *env) (*authenticator.Vault, error) {
	return openVaultWith(ctx, e, passphrasePrompt(e))
}

func openVaultWith(ctx context.Context, e *env, pass authenticator.PassphraseFunc) (*authenticator.Vault, error) {
	dir, err := authenticator.DefaultDir(e.getenv)
	if err != nil {
		return nil, err
	}
	v, err := authenticator.Open(ctx, vaultOptions(e, dir, pass))
	if err != nil {
		return nil, err
	}
	// Which protection a vault has is news once: when the vault is made (noteCreated)
	// or rekeyed (the rekey says so). Later it is said to a person at a terminal, not
	// to a script's log on every run.
	if st := v.Status(); st.Protection == authenticator.ProtectionPassphrase && isTerminal(e.stderr) {
		if st.Exists {
			notice(e, "otpair: vault protected by a passphrase: %s", st.Reason)
		} else {
			notice(e, "otpair: passphrase mode: %s, so a new vault is protected by a passphrase (age scrypt)", st.Reason)
		}
	}
	return v, nil
}

// notice writes one line of news to stderr that -q silences: which protection the
// vault uses, where it was created. Warnings and errors are not notices.
func notice(e *env, format string, args ...any) {
	if !e.quiet {
		safetext.Fprintf(e.stderr, format+"\n", args...)
	}
}

// vaultOptions are the options every command opens the vault in dir with.
func vaultOptions(e *env, dir string, pass authenticator.PassphraseFunc) authenticator.Options {
	kr := vaultKeyring(e)
	if sk, ok := kr.(authenticator.SystemKeyring); ok && e.noPrompt {
		sk.NoPrompt, sk.Timeout = true, completionKeyringTimeout
		kr = sk
	}
	return authenticator.Options{
		Dir:              dir,
		Keyring:          kr,
		Passphrase:       pass,
		Now:              e.now,
		ScryptWorkFactor: scryptWorkFactor,
		IdentityCache:    vaultIdentityCache(e),
		OnLockWait: func() {
			safetext.Fprintf(e.stderr, "otpair: waiting for another otpair process to finish with the vault (%s); Ctrl-C gives up\n", filepath.Join(dir, authenticator.LockFileName))
		},
	}
}

// noteCreated tells the user where a vault that did not exist before a write now is.
func noteCreated(e *env, v *authenticator.Vault, existed bool) {
	st := v.Status()
	if existed || !st.Exists {
		return
	}
	switch st.Protection {
	case authenticator.ProtectionKeyring:
		notice(e, "otpair: created vault %s; its key is in the OS keyring (service %s, username %s)", st.Path, st.KeyringService, st.KeyringUser)
	default:
		notice(e, "otpair: created vault %s, protected by a passphrase (passphrase mode: %s)", st.Path, st.Reason)
	}
}

// vaultHelp is what `otpair vault -h` says beside the list of its commands.
const vaultHelp = `The vault holds every account in one age-encrypted file; its key is in the OS keyring
or, where no keyring answers, sealed with a passphrase of at least 8 characters
(docs/vault.md). 'otpair vault rekey' moves it from one to the other; when vault.age is
missing, restore it from a backup or start over with 'otpair vault reset'.

Environment:
  OTPAIR_HOME            the data folder (default: otpair in the user's config folder)
  OTPAIR_PASSPHRASE      the passphrase of a passphrase vault, and of a new one; without
                         it otpair asks on the terminal, and fails at once without one
  OTPAIR_NEW_PASSPHRASE  the new passphrase of 'vault rekey --passphrase' (and of a new
                         vault); without it otpair asks on the terminal, twice

The variables keep passphrases out of the process list; a passphrase given in them is
not checked twice, so set them with care. Ctrl-C or SIGTERM ends a prompt or a wait for
another otpair's lock, and otpair exits with 130 or 143.`

// runVaultReset is `otpair vault reset`: the deliberate way to start over when
// vault.age is missing, setting aside (never deleting) the files of the old vault.
func runVaultReset(ctx context.Context, e *env) error {
	dir, err := authenticator.DefaultDir(e.getenv)
	if err != nil {
		return err
	}
	res, err := authenticator.ResetWith(ctx, dir, e.now(), vaultIdentityCache(e))
	if err != nil {
		return err
	}
	if len(res.Moved) == 0 {
		safetext.Fprintf(e.stdout, "nothing to set aside in %s: the next import starts a new vault\n", dir)
		return nil
	}
	for _, m := range res.Moved {
		safetext.Fprintf(e.stdout, "moved %s to %s\n", m[0], m[1])
	}
	if res.KeyringUser != "" {
		safetext.Fprintf(e.stdout, "kept the keyring item service %s, username %s: it opens backups of the old vault.age\n", res.KeyringService, res.KeyringUser)
	}
	safetext.Fprintln(e.stdout, "the next import starts a new vault with a new key; to go back, rename the files back and restore vault.age")
	return nil
}

// vaultInfoJSON is `otpair vault info --json` (stable).
type vaultInfoJSON struct {
	Path           string `json:"path"`
	Exists         bool   `json:"exists"`
	Protection     string `json:"protection"` // "keyring", "passphrase" or "" (no vault yet: see will_use)
	WillUse        string `json:"will_use,omitempty"`
	Reason         string `json:"reason,omitempty"`
	Accounts       int    `json:"accounts"` // -1 when the vault could not be opened
	KeyringService string `json:"keyring_service,omitempty"`
	KeyringUser    string `json:"keyring_user,omitempty"`
	// UnlockedUntil is when the key 'otpair unlock' kept runs out (RFC 3339); absent
	// when the vault is not unlocked.
	UnlockedUntil string `json:"unlocked_until,omitempty"`
	Error         string `json:"error,omitempty"` // why the vault could not be opened
	// Missing names the vault's files that should be there and are not: "vault.age"
	// beside vault.json or identity.age (restore it, or vault reset), "identity.age" of a
	// passphrase vault, "vault.json" of a keyring vault.
	Missing []string `json:"missing,omitempty"`
}

func protectionName(p authenticator.Protection) string {
	switch p {
	case authenticator.ProtectionKeyring:
		return "keyring"
	case authenticator.ProtectionPassphrase:
		return "passphrase"
	}
	return ""
}

// runVaultInfo is `otpair vault info [--json]`: where the vault is, its protection
// (read from the file's header, so it works with the keyring down) and, when it opens,
// how many accounts it holds.
func runVaultInfo(ctx context.Context, e *env, asJSON bool) error {
	dir, err := authenticator.DefaultDir(e.getenv)
	if err != nil {
		return err
	}
	st, inspectErr := authenticator.Inspect(dir)
	info := vaultInfoJSON{Path: st.Path, Exists: st.Exists, Protection: protectionName(st.Protection), Accounts: st.Accounts,
		KeyringService: st.KeyringService, KeyringUser: st.KeyringUser, Missing: st.Missing}
	var openErr error
	if inspectErr == nil {
		// Opening counts the accounts; for a new vault it says which protection it would get.
		quiet := *e
		quiet.stderr = io.Discard
		if !st.Exists {
			quiet.getenv = func(k string) string {
				if k == "OTPAIR_PASSPHRASE" {
					return ""
				}
				return e.getenv(k)
			}
		}
		v, err := openVault(ctx, &quiet)
		if err != nil {
			openErr = err
		} else {
			s := v.Status()
			info.Reason, info.Accounts = s.Reason, s.Accounts
			if !s.Exists {
				// The keyring item is named when the vault is created, not before.
				info.WillUse = protectionName(s.Protection)
			}
		}
	} else {
		openErr = inspectErr
	}
	if openErr != nil {
		info.Error, info.Accounts = openErr.Error(), -1
	}
	until := unlockedUntil(e, dir)
	if !until.IsZero() {
		info.UnlockedUntil = until.Format(time.RFC3339)
	}
	if asJSON {
		if err := writeJSON(e.stdout, info); err != nil {
			return err
		}
	} else {
		safetext.Fprintf(e.stdout, "vault:      %s\n", info.Path)
		switch {
		case !info.Exists && len(info.Missing) > 0:
			safetext.Fprintf(e.stdout, "protection: %s (of the vault whose file is missing)\n", describeProtection(info.Protection))
		case !info.Exists && info.WillUse != "":
			safetext.Fprintf(e.stdout, "protection: none yet (no vault); a new vault will use the %s: %s\n", describeProtection(info.WillUse), info.Reason)
		case !info.Exists:
			safetext.Fprintf(e.stdout, "protection: none yet (no vault)\n")
		default:
			safetext.Fprintf(e.stdout, "protection: %s\n", describeProtection(info.Protection))
		}
		if info.KeyringUser != "" {
			safetext.Fprintf(e.stdout, "keyring:    service %s, username %s\n", info.KeyringService, info.KeyringUser)
		}
		if info.Accounts >= 0 {
			safetext.Fprintf(e.stdout, "accounts:   %d\n", info.Accounts)
		}
		if line := unlockedLine(until, st); line != "" {
			safetext.Fprintf(e.stdout, "unlocked:   %s\n", line)
		}
		for _, m := range info.Missing {
			fix := "restore it from a backup"
			if m == authenticator.VaultFileName {
				fix += ", or run '" + authenticator.ResetCommand + "' to start over"
			}
			safetext.Fprintf(e.stdout, "missing:    %s (%s)\n", m, fix)
		}
	}
	if openErr != nil {
		return openErr
	}
	return nil
}

func describeProtection(name string) string {
	switch name {
	case "keyring":
		return "OS keyring (age X25519 identity in the keyring)"
	case "passphrase":
		return "passphrase (age scrypt)"
	}
	return name
}

// runVaultRekey is `otpair vault rekey --keyring|--passphrase`: the one way a vault
// moves between protections.
func runVaultRekey(ctx context.Context, e *env, to authenticator.Protection) error {
	v, err := openVault(ctx, e)
	if err != nil {
		return err
	}
	note, err := v.Rekey(ctx, to)
	if err != nil {
		return err
	}
	st := v.Status()
	safetext.Fprintf(e.stdout, "vault %s is now protected by the %s\n", st.Path, describeProtection(protectionName(to)))
	if note != "" {
		safetext.Fprintf(e.stderr, "otpair: %s\n", note)
	}
	return nil
}
