package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/authenticator/identitycache"
	"github.com/otpair/otpair/internal/safetext"
)

// otpair unlock and otpair lock: a passphrase vault's key kept in the Linux kernel
// keyring for a while, so that the commands that follow skip scrypt (docs/vault.md).

func init() {
	registerCmd(groupVault, newUnlockCmd)
	registerCmd(groupVault, newLockCmd)
}

// defaultUnlockFor is how long `otpair unlock` keeps the key unless told otherwise.
const defaultUnlockFor = 15 * time.Minute

// vaultIdentityCache is where unlocked vault keys wait: the session keyring of the
// Linux kernel (on other systems, a cache that has nothing and says so).
var vaultIdentityCache = func(e *env) identitycache.Cache {
	return identitycache.Kernel{Now: e.now}
}

func newUnlockCmd(e *env) *cobra.Command {
	var d time.Duration
	c := &cobra.Command{
		Use:   "unlock [--for 15m]",
		Short: "keep a passphrase vault's key in the kernel keyring for a while, so commands skip the passphrase (Linux)",
		Long: "The key waits in the session keyring of the Linux kernel, which forgets it when the\n" +
			"time is up; until then otpair commands of the same session open the vault without the\n" +
			"passphrase and without scrypt. 'otpair lock' forgets it at once, and so does a rekey.\n" +
			"Processes of the same user in the same session can read it, as with ssh-agent\n" +
			"(docs/vault.md). The passphrase is always asked (or read from $" + envPassphrase + "), even\n" +
			"when the vault is unlocked already: unlock again to keep the key longer.",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if d <= 0 || d > identitycache.MaxTTL {
				return usageError("--for %v: want a time above 0 and at most %v, such as 15m or 2h", d, identitycache.MaxTTL)
			}
			return runUnlock(c.Context(), e, d)
		},
	}
	c.Flags().DurationVar(&d, "for", defaultUnlockFor, "how long the kernel keeps the key (at most 24h; rounded up to whole seconds)")
	return c
}

func newLockCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "forget the key 'otpair unlock' kept, at once",
		Args:  noArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runLock(e) },
	}
}

// keyringNeeded is the error of unlock and lock where there is no kernel keyring to
// keep a key in.
func keyringNeeded(cmd string) error {
	if err := identitycache.Available(); errors.Is(err, identitycache.ErrUnsupported) {
		return fmt.Errorf("otpair %s needs the Linux kernel keyring; not available on %s", cmd, runtime.GOOS)
	} else if err != nil {
		return fmt.Errorf("otpair %s needs the Linux kernel keyring: %w", cmd, err)
	}
	return nil
}

// runUnlock is `otpair unlock [--for D]`: the vault is opened with its passphrase (never
// from the cache: unlocking proves the passphrase) and its key kept for d.
func runUnlock(ctx context.Context, e *env, d time.Duration) error {
	if err := keyringNeeded("unlock"); err != nil {
		return err
	}
	dir, err := authenticator.DefaultDir(e.getenv)
	if err != nil {
		return err
	}
	// Say what there is to unlock before anyone types a passphrase.
	st, err := authenticator.Inspect(dir)
	if err != nil {
		return err
	}
	switch {
	case !st.Exists:
		return fmt.Errorf("vault %s: %w: there is no vault yet", st.Path, authenticator.ErrNothingToUnlock)
	case st.Protection == authenticator.ProtectionKeyring:
		return fmt.Errorf("vault %s: %w: it is protected by the OS keyring, which already keeps its key", st.Path, authenticator.ErrNothingToUnlock)
	}
	opts := vaultOptions(e, dir, passphrasePrompt(e))
	opts.IdentityCache = nil
	v, err := authenticator.Open(ctx, opts)
	if err != nil {
		return err
	}
	until, err := v.CacheIdentity(vaultIdentityCache(e), d)
	if err != nil {
		return err
	}
	safetext.Fprintf(e.stdout, "unlocked vault %s until %s; 'otpair lock' locks it sooner\n", st.Path, until.Local().Format(unlockTimeFormat))
	return nil
}

// unlockTimeFormat is how unlock and vault info write the expiry.
const unlockTimeFormat = "2006-01-02 15:04:05 MST"

// runLock is `otpair lock`: the cached key is revoked at once. A vault that was not
// unlocked is no error: after lock, the vault is locked either way.
func runLock(e *env) error {
	if err := keyringNeeded("lock"); err != nil {
		return err
	}
	dir, err := authenticator.DefaultDir(e.getenv)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, authenticator.VaultFileName)
	found, err := authenticator.ForgetIdentity(dir, vaultIdentityCache(e))
	if err != nil {
		return err
	}
	if found {
		safetext.Fprintf(e.stdout, "locked vault %s: the kernel keyring no longer holds its key\n", path)
	} else {
		safetext.Fprintf(e.stdout, "vault %s was not unlocked\n", path)
	}
	return nil
}

// unlockedUntil is when the vault in dir stops being unlocked, or the zero time when it
// is not (or cannot be: no kernel keyring, a keyring vault).
func unlockedUntil(e *env, dir string) time.Time {
	until, err := authenticator.CachedUntil(dir, vaultIdentityCache(e))
	if err != nil {
		return time.Time{}
	}
	return until
}

// unlockedLine is vault info's word on unlock for the vault st: until when, "no" for a
// passphrase vault that is not unlocked, or "" where unlock does not apply.
func unlockedLine(until time.Time, st authenticator.Status) string {
	switch {
	case !until.IsZero():
		return "until " + until.Local().Format(unlockTimeFormat) + " ('otpair lock' locks it now)"
	case st.Exists && st.Protection == authenticator.ProtectionPassphrase && identitycache.Available() == nil:
		return "no ('otpair unlock' keeps its key in the kernel keyring for a while)"
	}
	return ""
}
