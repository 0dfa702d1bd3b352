package authenticator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"filippo.io/age"
)

// Names of the files in the data folder.
const (
	VaultFileName = "vault.age"  // the age-encrypted accounts
	MetaFileName  = "vault.json" // which keyring item holds the key; never a secret
	LockFileName  = "vault.lock" // flock'd by every writer
)

// KeyringService is the service name of otpair's keyring item.
const KeyringService = "otpair"

// Errors callers branch on. Messages are safe to show: none carries a secret.
var (
	// ErrPassphraseNeeded: the vault needs a passphrase and none was given (no
	// Options.Passphrase, or it returned this error or an empty string).
	ErrPassphraseNeeded = errors.New("vault passphrase needed")
	// ErrWrongPassphrase: the passphrase does not open the vault.
	ErrWrongPassphrase = errors.New("wrong passphrase for the vault")
	// ErrWrongKey: the keyring's identity does not open the vault (the vault was
	// encrypted to another key).
	ErrWrongKey = errors.New("the vault is encrypted to another key than the otpair identity in the OS keyring")
	// ErrIdentityMissing: the vault is keyring-protected but the keyring has no identity
	// for it (or vault.json, which names the item, is gone).
	ErrIdentityMissing = errors.New("the OS keyring holds no otpair identity for this vault")
	// ErrCorrupt: the vault file is not a readable age file or its contents do not parse.
	ErrCorrupt = errors.New("vault is damaged")
	// ErrNotFound: no account has that id or matches that query.
	ErrNotFound = errors.New("no such account")
)

// PassphraseRequest says why a passphrase is asked for.
type PassphraseRequest struct {
	Path string // the vault file
	// New is true when the passphrase will protect a vault from now on (a new vault, or
	// a rekey): a prompt should ask twice.
	New bool
}

// PassphraseFunc supplies the vault passphrase. It returns ErrPassphraseNeeded (or "")
// when it has none to give.
type PassphraseFunc func(ctx context.Context, req PassphraseRequest) (string, error)

// Options configure Open.
type Options struct {
	// Dir is the data folder (see DefaultDir). Required.
	Dir string
	// Keyring holds the identity of a keyring-protected vault. nil means no keyring:
	// new vaults take a passphrase and keyring vaults cannot be opened.
	Keyring Keyring
	// Passphrase is asked only when a passphrase is needed: opening a passphrase vault,
	// the first write of a new passphrase vault, Rekey.
	Passphrase PassphraseFunc
	// Now stamps new accounts (nil: time.Now).
	Now func() time.Time
	// ScryptWorkFactor is log2 of scrypt's N for passphrase encryption; 0 means age's
	// default (18, about a second). Tests lower it; users have no reason to.
	ScryptWorkFactor int
}

// DefaultDir is the data folder: $OTPAIR_HOME, else otpair under os.UserConfigDir.
func DefaultDir(getenv func(string) string) (string, error) {
	if d := getenv("OTPAIR_HOME"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the data folder (set OTPAIR_HOME): %w", err)
	}
	return filepath.Join(base, "otpair"), nil
}

// meta is vault.json: the vault's id and the keyring item it names. It holds nothing
// secret: the item's name is not its value.
type meta struct {
	Format         string `json:"format"`
	ID             string `json:"id"`
	KeyringService string `json:"keyring_service"`
	KeyringUser    string `json:"keyring_user"`
}

const metaFormat = "otpair-vault-meta/1"

// Vault is the encrypted store of accounts. Its methods are safe for concurrent use,
// and any number of processes may use the same vault: every change re-reads the file
// under the lock. Snapshots (Accounts) reflect the file as of the call.
type Vault struct {
	opts  Options
	dir   string
	path  string
	now   func() time.Time
	mu    sync.Mutex
	prot  Protection
	why   string // why this protection, in words
	meta  *meta  // nil until vault.json exists
	newID string // the id a new vault.json will get

	x25519    *age.X25519Identity // keyring mode, once read or created
	identity  age.Identity        // opens the vault; nil until known
	recipient age.Recipient       // seals the vault; nil until known
	cipher    []byte              // the vault file as last read or written; nil: none
	accounts  []Account           // its contents
}

// Open opens the vault in opts.Dir, or prepares a new one if there is none yet (nothing
// is written until the first change). An existing vault is unlocked with the protection
// its header names: the keyring identity, or the passphrase. A new vault takes the
// keyring if it answers and a passphrase otherwise; Status says which and why.
func Open(ctx context.Context, opts Options) (*Vault, error) {
	if opts.Dir == "" {
		return nil, errors.New("open vault: no data folder given")
	}
	v := &Vault{opts: opts, dir: opts.Dir, path: filepath.Join(opts.Dir, VaultFileName), now: opts.Now}
	if v.now == nil {
		v.now = time.Now
	}
	m, err := readMeta(v.dir)
	if err != nil {
		return nil, err
	}
	v.meta = m
	cipher, err := readVaultFile(v.path)
	if err != nil {
		return nil, err
	}
	if cipher != nil {
		accounts, err := v.unlock(ctx, cipher)
		if err != nil {
			return nil, err
		}
		v.cipher, v.accounts = cipher, accounts
		return v, nil
	}
	// No vault yet: probe the keyring once to choose the protection.
	if opts.Keyring == nil {
		v.prot, v.why = ProtectionPassphrase, "no OS keyring is configured"
		return v, nil
	}
	s, err := opts.Keyring.Get(ctx, KeyringService, v.keyringUser())
	switch {
	case err == nil:
		id, perr := age.ParseX25519Identity(s)
		if perr != nil {
			return nil, fmt.Errorf("open vault: the keyring item %s/%s is not an age identity: delete it and retry", KeyringService, v.keyringUser())
		}
		v.x25519 = id
		v.prot, v.why = ProtectionKeyring, "the OS keyring is available"
	case errors.Is(err, ErrKeyringItemNotFound):
		v.prot, v.why = ProtectionKeyring, "the OS keyring is available"
	case errors.Is(err, ErrKeyringUnavailable):
		v.prot, v.why = ProtectionPassphrase, err.Error()
	default:
		return nil, fmt.Errorf("open vault: %w", err)
	}
	return v, nil
}

// keyringUser names the keyring item of this vault: one per vault id, so that several
// data folders (OTPAIR_HOME) on one machine do not share a key.
func (v *Vault) keyringUser() string {
	if v.meta != nil {
		return v.meta.KeyringUser
	}
	if v.newID == "" {
		var b [8]byte
		rand.Read(b[:])
		v.newID = hex.EncodeToString(b[:])
	}
	return "vault-" + v.newID
}

// unlock decrypts an existing vault with the protection its header names, fetching the
// keyring identity or asking for the passphrase as needed, and parses it.
func (v *Vault) unlock(ctx context.Context, cipher []byte) ([]Account, error) {
	p, err := headerProtection(cipher)
	if err != nil {
		return nil, v.damaged(err)
	}
	if v.identity == nil || p != v.prot {
		if err := v.acquire(ctx, p); err != nil {
			return nil, err
		}
	}
	return v.decode(cipher)
}

// decode decrypts and parses cipher with the identity already held.
func (v *Vault) decode(cipher []byte) ([]Account, error) {
	plain, err := decrypt(cipher, v.identity, v.prot)
	switch {
	case errors.Is(err, ErrWrongPassphrase):
		return nil, fmt.Errorf("open vault %s: %w (nothing was changed)", v.path, err)
	case errors.Is(err, ErrWrongKey):
		return nil, fmt.Errorf("open vault %s: %w; nothing was changed: restore the keyring item it was made with, or the vault from a backup", v.path, err)
	case err != nil:
		return nil, v.damaged(err)
	}
	accounts, err := unmarshalAccounts(plain)
	clear(plain)
	if err != nil {
		return nil, v.damaged(fmt.Errorf("%w: %v", ErrCorrupt, err))
	}
	return accounts, nil
}

func (v *Vault) damaged(err error) error {
	return fmt.Errorf("open vault %s: %w; otpair leaves it untouched: restore it from a backup, or move it aside to start a new vault", v.path, err)
}

// acquire gets what opens a vault of protection p: the keyring identity named by
// vault.json, or the passphrase.
func (v *Vault) acquire(ctx context.Context, p Protection) error {
	switch p {
	case ProtectionKeyring:
		if v.meta == nil {
			// Another process may have created the vault since Open.
			m, err := readMeta(v.dir)
			if err != nil {
				return err
			}
			v.meta = m
		}
		if v.meta == nil {
			return fmt.Errorf("open vault %s: %w: %s, which names the keyring item, is missing", v.path, ErrIdentityMissing, filepath.Join(v.dir, MetaFileName))
		}
		if v.opts.Keyring == nil {
			return fmt.Errorf("open vault %s: the vault is protected by the OS keyring: %w: no keyring is configured", v.path, ErrKeyringUnavailable)
		}
		s, err := v.opts.Keyring.Get(ctx, v.meta.KeyringService, v.meta.KeyringUser)
		switch {
		case errors.Is(err, ErrKeyringItemNotFound):
			return fmt.Errorf("open vault %s: %w (item service=%s username=%s)", v.path, ErrIdentityMissing, v.meta.KeyringService, v.meta.KeyringUser)
		case errors.Is(err, ErrKeyringUnavailable):
			return fmt.Errorf("open vault %s: the vault is protected by the OS keyring: %w. otpair never switches a keyring vault to a passphrase by itself: unlock or start the keyring, or run 'otpair vault rekey --passphrase' where it works", v.path, err)
		case err != nil:
			return fmt.Errorf("open vault %s: %w", v.path, err)
		}
		id, err := age.ParseX25519Identity(s)
		if err != nil {
			return fmt.Errorf("open vault %s: the keyring item %s/%s is not an age identity", v.path, v.meta.KeyringService, v.meta.KeyringUser)
		}
		v.x25519, v.identity, v.recipient = id, id, id.Recipient()
		v.prot, v.why = ProtectionKeyring, "the vault was created with the OS keyring"
	case ProtectionPassphrase:
		pass, err := v.askPassphrase(ctx, false)
		if err != nil {
			return err
		}
		if err := v.usePassphrase(pass); err != nil {
			return err
		}
		v.prot, v.why = ProtectionPassphrase, "the vault was created with a passphrase ('otpair vault rekey --keyring' moves it to the OS keyring)"
	}
	return nil
}

func (v *Vault) askPassphrase(ctx context.Context, isNew bool) (string, error) {
	if v.opts.Passphrase == nil {
		return "", fmt.Errorf("vault %s: %w", v.path, ErrPassphraseNeeded)
	}
	pass, err := v.opts.Passphrase(ctx, PassphraseRequest{Path: v.path, New: isNew})
	if err != nil {
		return "", fmt.Errorf("vault %s: %w", v.path, err)
	}
	if pass == "" {
		return "", fmt.Errorf("vault %s: %w", v.path, ErrPassphraseNeeded)
	}
	return pass, nil
}

func (v *Vault) usePassphrase(pass string) error {
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return fmt.Errorf("passphrase: %w", err)
	}
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return fmt.Errorf("passphrase: %w", err)
	}
	if wf := v.opts.ScryptWorkFactor; wf > 0 {
		r.SetWorkFactor(wf)
	}
	v.identity, v.recipient = id, r
	return nil
}

// readVaultFile returns the vault bytes, or nil if there is no vault yet.
func readVaultFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read vault: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxVaultBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read vault: %w", err)
	}
	if len(b) > maxVaultBytes {
		return nil, fmt.Errorf("read vault %s: larger than %d MB, not an otpair vault", path, maxVaultBytes>>20)
	}
	if len(b) == 0 {
		// Never produced by otpair (writes are atomic): treat as damaged, not as "none".
		return []byte{}, nil
	}
	return b, nil
}

func readMeta(dir string) (*meta, error) {
	path := filepath.Join(dir, MetaFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil || m.Format != metaFormat || m.KeyringUser == "" || m.KeyringService == "" {
		return nil, fmt.Errorf("read %s: not an otpair vault description; it names the keyring item that opens the vault, restore it from a backup", path)
	}
	return &m, nil
}

// Status describes the vault for `otpair vault info` and the TUI status bar.
type Status struct {
	Path       string     // the vault file
	Exists     bool       // false until the first account is stored
	Protection Protection // how it is (or will be) protected
	Reason     string     // why that protection
	Accounts   int        // as of the last read
	// KeyringService and KeyringUser name the keyring item (keyring protection only).
	KeyringService, KeyringUser string
}

// Status reports where the vault is, how it is protected and why.
func (v *Vault) Status() Status {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := Status{Path: v.path, Exists: v.cipher != nil, Protection: v.prot, Reason: v.why, Accounts: len(v.accounts)}
	if v.prot == ProtectionKeyring {
		s.KeyringService, s.KeyringUser = KeyringService, v.keyringUser()
	}
	return s
}

// Dir is the data folder.
func (v *Vault) Dir() string { return v.dir }

// Accounts returns every account in the order they were added, re-reading the vault if
// another process changed it.
func (v *Vault) Accounts(ctx context.Context) ([]Account, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	cipher, err := readVaultFile(v.path)
	if err != nil {
		return nil, err
	}
	if err := v.refresh(ctx, cipher); err != nil {
		return nil, err
	}
	return slices.Clone(v.accounts), nil
}

// refresh brings the cached accounts up to date with cipher (the file as just read).
func (v *Vault) refresh(ctx context.Context, cipher []byte) error {
	switch {
	case cipher == nil && v.cipher != nil:
		return fmt.Errorf("vault %s was removed since otpair opened it; refusing to start an empty one in its place", v.path)
	case cipher == nil:
		return nil
	case v.cipher != nil && bytes.Equal(cipher, v.cipher):
		return nil
	}
	accounts, err := v.unlock(ctx, cipher)
	if err != nil {
		return err
	}
	v.cipher, v.accounts = cipher, accounts
	return nil
}

// update is the read-modify-write at the heart of every change: under the lock, re-read
// the vault, apply fn to a copy of its accounts, and if fn reports a change, write the
// result atomically. A vault that fails to open is never written.
func (v *Vault) update(ctx context.Context, fn func(accounts []Account) ([]Account, bool, error)) error {
	return v.locked(ctx, func() error {
		next, changed, err := fn(slices.Clone(v.accounts))
		if err != nil || !changed {
			return err
		}
		if v.recipient == nil {
			if err := v.prepareNew(ctx); err != nil {
				return err
			}
		}
		return v.write(next)
	})
}

// locked runs fn under the vault lock with the cached accounts freshly re-read from the
// file. A vault that fails to open stops here, before fn can write anything.
func (v *Vault) locked(ctx context.Context, fn func() error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := os.MkdirAll(v.dir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(v.dir, LockFileName))
	if err != nil {
		return err
	}
	defer unlock()
	removeStaleTemps(v.path)
	cipher, err := readVaultFile(v.path)
	if err != nil {
		return err
	}
	if err := v.refresh(ctx, cipher); err != nil {
		return err
	}
	return fn()
}

// write seals accounts to the current recipient and replaces the vault file.
func (v *Vault) write(accounts []Account) error {
	plain, err := marshalAccounts(accounts)
	if err != nil {
		return fmt.Errorf("encode vault: %w", err)
	}
	cipher, err := encrypt(plain, v.recipient)
	clear(plain)
	if err != nil {
		return err
	}
	if err := writeAtomic(v.path, cipher); err != nil {
		return fmt.Errorf("write vault: %w", err)
	}
	v.cipher, v.accounts = cipher, accounts
	return nil
}

// prepareNew sets up the protection of a vault being created: vault.json, then the
// keyring identity (reused if a crashed earlier attempt left one) or the passphrase.
// It runs under the lock.
func (v *Vault) prepareNew(ctx context.Context) error {
	if err := v.ensureMeta(); err != nil {
		return err
	}
	switch v.prot {
	case ProtectionKeyring:
		if v.x25519 == nil {
			id, err := v.keyringIdentity(ctx)
			if err != nil {
				return err
			}
			v.x25519 = id
		}
		v.identity, v.recipient = v.x25519, v.x25519.Recipient()
	default:
		pass, err := v.askPassphrase(ctx, true)
		if err != nil {
			return err
		}
		return v.usePassphrase(pass)
	}
	return nil
}

// keyringIdentity reads this vault's identity from the keyring, or makes and stores a
// new one. A keyring that answered at Open and fails now is an error, never a fallback.
func (v *Vault) keyringIdentity(ctx context.Context) (*age.X25519Identity, error) {
	kr := v.opts.Keyring
	if kr == nil {
		return nil, fmt.Errorf("create vault: %w: no keyring is configured", ErrKeyringUnavailable)
	}
	s, err := kr.Get(ctx, KeyringService, v.meta.KeyringUser)
	switch {
	case err == nil:
		id, err := age.ParseX25519Identity(s)
		if err != nil {
			return nil, fmt.Errorf("the keyring item %s/%s is not an age identity: delete it and retry", KeyringService, v.meta.KeyringUser)
		}
		return id, nil
	case !errors.Is(err, ErrKeyringItemNotFound):
		return nil, fmt.Errorf("store the vault key: %w (nothing was written)", err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("generate vault key: %w", err)
	}
	if err := kr.Set(ctx, KeyringService, v.meta.KeyringUser, id.String()); err != nil {
		return nil, fmt.Errorf("store the vault key: %w (nothing was written)", err)
	}
	return id, nil
}

// ensureMeta writes vault.json if it does not exist yet. It runs under the lock.
func (v *Vault) ensureMeta() error {
	if v.meta != nil {
		return nil
	}
	m, err := readMeta(v.dir)
	if err != nil {
		return err
	}
	if m == nil {
		user := v.keyringUser()
		m = &meta{Format: metaFormat, ID: v.newID, KeyringService: KeyringService, KeyringUser: user}
		b, _ := json.MarshalIndent(m, "", "  ")
		if err := writeAtomic(filepath.Join(v.dir, MetaFileName), append(b, '\n')); err != nil {
			return fmt.Errorf("write vault description: %w", err)
		}
	}
	v.meta = m
	return nil
}

// Unlock makes sure the vault can be written: for a new passphrase vault it asks for the
// passphrase now rather than at the first change. The TUI calls it right after Open so
// that ErrPassphraseNeeded comes back at once. It writes nothing.
func (v *Vault) Unlock(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.recipient != nil || v.prot != ProtectionPassphrase {
		return nil
	}
	pass, err := v.askPassphrase(ctx, true)
	if err != nil {
		return err
	}
	return v.usePassphrase(pass)
}

// Inspect describes the vault in dir without unlocking it: where it is, whether it
// exists and which protection its header names. Accounts is -1 (unknown) for an
// existing vault. It works when the keyring is unreachable or no passphrase is at hand.
func Inspect(dir string) (Status, error) {
	st := Status{Path: filepath.Join(dir, VaultFileName)}
	m, err := readMeta(dir)
	if err != nil {
		return st, err
	}
	cipher, err := readVaultFile(st.Path)
	if err != nil {
		return st, err
	}
	if cipher == nil {
		return st, nil
	}
	st.Exists, st.Accounts = true, -1
	p, err := headerProtection(cipher)
	if err != nil {
		return st, fmt.Errorf("vault %s: %w", st.Path, err)
	}
	st.Protection = p
	if p == ProtectionKeyring && m != nil {
		st.KeyringService, st.KeyringUser = m.KeyringService, m.KeyringUser
	}
	return st, nil
}
