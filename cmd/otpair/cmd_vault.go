package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/safetext"
)

func init() {
	register(command{name: "vault", summary: "vault info (where, which protection, how many accounts) and vault rekey", run: runVault})
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
	v, err := authenticator.Open(ctx, authenticator.Options{
		Dir:              dir,
		Keyring:          vaultKeyring(e),
		Passphrase:       pass,
		Now:              e.now,
		ScryptWorkFactor: scryptWorkFactor,
	})
	if err != nil {
		return nil, err
	}
	if st := v.Status(); st.Protection == authenticator.ProtectionPassphrase {
		if st.Exists {
			safetext.Fprintf(e.stderr, "otpair: vault protected by a passphrase (%s)\n", st.Reason)
		} else {
			safetext.Fprintf(e.stderr, "otpair: passphrase mode: %s, so a new vault is protected by a passphrase (age scrypt)\n", st.Reason)
		}
	}
	return v, nil
}

// noteCreated tells the user where a vault that did not exist before a write now is.
func noteCreated(e *env, v *authenticator.Vault, existed bool) {
	st := v.Status()
	if existed || !st.Exists {
		return
	}
	switch st.Protection {
	case authenticator.ProtectionKeyring:
		safetext.Fprintf(e.stderr, "otpair: created vault %s; its key is in the OS keyring (service %s, username %s)\n", st.Path, st.KeyringService, st.KeyringUser)
	default:
		safetext.Fprintf(e.stderr, "otpair: created vault %s, protected by a passphrase\n", st.Path)
	}
}

// passphrasePrompt gives the vault passphrase: OTPAIR_PASSPHRASE if set (scripts), else
// a prompt without echo when stdin is a terminal (twice for a new passphrase).
func passphrasePrompt(e *env) authenticator.PassphraseFunc {
	return func(ctx context.Context, req authenticator.PassphraseRequest) (string, error) {
		if p := e.getenv("OTPAIR_PASSPHRASE"); p != "" {
			return p, nil
		}
		fd, ok := terminalFD(e.stdin)
		if !ok {
			return "", fmt.Errorf("%w: set OTPAIR_PASSPHRASE, or run otpair in a terminal to be asked", authenticator.ErrPassphraseNeeded)
		}
		prompt := "Passphrase for " + req.Path + ": "
		if req.New {
			prompt = "New passphrase for " + req.Path + ": "
		}
		p, err := readHidden(e, fd, prompt)
		if err != nil || !req.New {
			return p, err
		}
		again, err := readHidden(e, fd, "Repeat the passphrase: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("the two passphrases differ")
		}
		return p, nil
	}
}

func terminalFD(r io.Reader) (int, bool) {
	f, ok := r.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

func readHidden(e *env, fd int, prompt string) (string, error) {
	safetext.Fprint(e.stderr, prompt)
	b, err := term.ReadPassword(fd)
	safetext.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read from the terminal: %w", err)
	}
	return string(b), nil
}

// readLine reads one line from stdin (a confirmation or a piped secret).
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 1<<16)).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("nothing on standard input")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func runVault(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("vault info [--json] | vault rekey --keyring|--passphrase")
	}
	switch args[0] {
	case "info":
		return runVaultInfo(ctx, e, args[1:])
	case "rekey":
		return runVaultRekey(ctx, e, args[1:])
	case "-h", "-help", "--help":
		safetext.Fprintln(e.stderr, "Usage: otpair vault info [--json] | otpair vault rekey --keyring|--passphrase")
		return flag.ErrHelp
	}
	return usageError("unknown vault command %q (want info or rekey)", args[0])
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
	Error          string `json:"error,omitempty"` // why the vault could not be opened
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
func runVaultInfo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "vault info", "[--json]")
	asJSON := fs.Bool("json", false, "print JSON: path, exists, protection, reason, accounts, keyring_service, keyring_user, error")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError("vault info takes no arguments")
	}
	dir, err := authenticator.DefaultDir(e.getenv)
	if err != nil {
		return err
	}
	st, inspectErr := authenticator.Inspect(dir)
	info := vaultInfoJSON{Path: st.Path, Exists: st.Exists, Protection: protectionName(st.Protection), Accounts: st.Accounts,
		KeyringService: st.KeyringService, KeyringUser: st.KeyringUser}
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
	if *asJSON {
		if err := writeJSON(e.stdout, info); err != nil {
			return err
		}
	} else {
		safetext.Fprintf(e.stdout, "vault:      %s\n", info.Path)
		switch {
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
func runVaultRekey(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "vault rekey", "--keyring|--passphrase")
	toKeyring := fs.Bool("keyring", false, "protect the vault with a new key in the OS keyring")
	toPass := fs.Bool("passphrase", false, "protect the vault with a new passphrase (asked twice, or OTPAIR_NEW_PASSPHRASE)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *toKeyring == *toPass {
		return usageError("give exactly one of --keyring and --passphrase")
	}
	to := authenticator.ProtectionKeyring
	if *toPass {
		to = authenticator.ProtectionPassphrase
	}
	var v *authenticator.Vault
	old := passphrasePrompt(e)
	// A new passphrase comes from OTPAIR_NEW_PASSPHRASE, else the prompt, else (for a
	// vault that has no passphrase yet) OTPAIR_PASSPHRASE; the old one, which opens a
	// passphrase vault, from OTPAIR_PASSPHRASE or the prompt.
	newPass := func(ctx context.Context, req authenticator.PassphraseRequest) (string, error) {
		if !req.New {
			return old(ctx, req)
		}
		if p := e.getenv("OTPAIR_NEW_PASSPHRASE"); p != "" {
			return p, nil
		}
		if _, ok := terminalFD(e.stdin); ok {
			return passphrasePrompt(&env{stdin: e.stdin, stderr: e.stderr, getenv: func(string) string { return "" }})(ctx, req)
		}
		if p := e.getenv("OTPAIR_PASSPHRASE"); p != "" && v != nil && (!v.Status().Exists || v.Status().Protection != authenticator.ProtectionPassphrase) {
			return p, nil
		}
		return "", fmt.Errorf("%w: set OTPAIR_NEW_PASSPHRASE, or run otpair in a terminal to be asked", authenticator.ErrPassphraseNeeded)
	}
	v, err = openVaultWith(ctx, e, newPass)
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
