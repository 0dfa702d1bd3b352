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

	"github.com/otpair/otpair/internal/atomicfile"
)

// Names of the files in the data folder.
const (
	VaultFileName = "vault.age"  // the age-encrypted accounts
	MetaFileName  = "vault.json" // where the key lives (keyring item or identity.age); never a secret
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
	// ErrWrongKey: the identity in the keyring item or in identity.age does not open
	// the vault (the vault was encrypted to another key).
	ErrWrongKey = errors.New("the vault is encrypted to another key than its otpair identity")
	// ErrIdentityMissing: the vault's identity is not where vault.json says it is: the
	// keyring has no item for a keyring vault (or vault.json, which names the item, is
	// gone), or identity.age is gone for a passphrase vault.
	ErrIdentityMissing = errors.New("the vault's otpair identity is missing")
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
	// ScryptWorkFactor is log2 of scrypt's N for sealing identity.age; 0 means age's
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

// meta is vault.json: the vault's id, the keyring item it names and where the vault's
// key lives. It holds nothing secret: the item's name is not its value.
type meta struct {
	Format         string `json:"format"`
	ID             string `json:"id"`
	KeyringService string `json:"keyring_service"`
	KeyringUser    string `json:"keyring_user"`
	// Protection is "keyring" or "passphrase" (identity.age); "" in vaults written
	// before it was recorded, which are keyring vaults unless the vault file itself is
	// sealed with a passphrase.
	Protection string `json:"protection,omitempty"`
}

const metaFormat = "otpair-vault-meta/1"

// Values of meta.Protection.
const (
	metaKeyring    = "keyring"
	metaPassphrase = "passphrase"
)

// Vault is the encrypted store of accounts. Its methods are safe for concurrent use,
// and any number of processes may use the same vault: every change re-reads the file
// under the lock. Snapshots (Accounts) reflect the file as of the call.
//
// Both protections encrypt the vault to an X25519 identity; they differ in where it
// lives: a keyring item, or identity.age sealed with the passphrase. A passphrase vault
// thus runs scrypt once when it is opened, not on every write. A vault written by
// older otpair versions with the passphrase directly (a scrypt stanza in vault.age)
// still opens, and moves to identity.age at its next write.
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

	x25519    *age.X25519Identity // the vault's key, once read or created; nil for a legacy vault
	identity  age.Identity        // opens the vault; nil until known
	recipient age.Recipient       // seals the vault; nil until known (and for a legacy vault)
	cipher    []byte              // the vault file as last read or written; nil: none
	accounts  []Account           // its contents

	// legacy: vault.age is sealed with the passphrase directly (older otpair); pass is
	// kept only until the next write moves the key into identity.age.
	legacy bool
	pass   string
	// wrapped is identity.age to be written before the next vault write (a new
	// passphrase vault, or the move of a legacy one), sealing x25519.
	wrapped []byte
	// stale: the files may be between two steps of a failed rekey; the next refresh
	// reads them afresh even if vault.age looks unchanged.
	stale bool
}

// Open opens the vault in opts.Dir, or prepares a new one if there is none yet (nothing
// is written until the first change). An existing vault is unlocked with the protection
// vault.json records: the keyring identity, or identity.age and the passphrase (one
// scrypt). A new vault takes the keyring if it answers and a passphrase otherwise;
// Status says which and why.
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

// detectProtection says how the existing vault in dir (its bytes in cipher) is
// protected, from durable facts only: a scrypt stanza in vault.age is a legacy
// passphrase vault; otherwise vault.json records the protection (a vault.json from
// before it was recorded means the keyring; no vault.json at all means identity.age if
// there is one). Nothing is guessed from what happens to answer: a passphrase vault
// without identity.age, or a keyring vault without its item, is an error later, never
// the other protection.
func detectProtection(dir string, m *meta, cipher []byte) (p Protection, legacy bool, err error) {
	s, err := headerSealing(cipher)
	if err != nil {
		return 0, false, err
	}
	if s == sealedScrypt {
		return ProtectionPassphrase, true, nil
	}
	if m == nil {
		has, err := identityFileExists(dir)
		if err != nil {
			return 0, false, err
		}
		if has {
			return ProtectionPassphrase, false, nil
		}
		return ProtectionKeyring, false, nil
	}
	switch m.Protection {
	case metaPassphrase:
		return ProtectionPassphrase, false, nil
	case metaKeyring, "":
		return ProtectionKeyring, false, nil
	}
	return 0, false, fmt.Errorf("read %s: unknown protection %q", filepath.Join(dir, MetaFileName), m.Protection)
}

// unlock decrypts an existing vault with the protection detectProtection names,
// fetching the keyring identity or asking for the passphrase as needed, and parses it.
// Keys already held are tried first; if another process changed them (a rekey), they
// are fetched again.
func (v *Vault) unlock(ctx context.Context, cipher []byte) ([]Account, error) {
	if err := v.reloadMeta(); err != nil {
		return nil, err
	}
	p, legacy, err := detectProtection(v.dir, v.meta, cipher)
	if errors.Is(err, ErrCorrupt) {
		return nil, v.damaged(err)
	}
	if err != nil {
		return nil, err
	}
	if v.identity != nil && p == v.prot && legacy == v.legacy {
		accounts, err := v.decode(cipher)
		if !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrWrongPassphrase) {
			return accounts, err
		}
	}
	if err := v.acquire(ctx, p, legacy); err != nil {
		return nil, err
	}
	return v.decode(cipher)
}

// reloadMeta re-reads vault.json: another process may have created it or rekeyed.
func (v *Vault) reloadMeta() error {
	m, err := readMeta(v.dir)
	if err != nil {
		return err
	}
	if m != nil {
		v.meta = m
	}
	return nil
}

// decode decrypts and parses cipher with the identity already held.
func (v *Vault) decode(cipher []byte) ([]Account, error) {
	plain, err := decrypt(cipher, v.identity, maxVaultBytes)
	switch {
	case errors.Is(err, errNoMatch) && v.legacy:
		return nil, fmt.Errorf("open vault %s: %w (nothing was changed)", v.path, ErrWrongPassphrase)
	case errors.Is(err, errNoMatch) && v.prot == ProtectionPassphrase:
		return nil, fmt.Errorf("open vault %s: %w: %s holds another key; nothing was changed: restore %s and %s from the same backup", v.path, ErrWrongKey, IdentityFileName, VaultFileName, IdentityFileName)
	case errors.Is(err, errNoMatch):
		return nil, fmt.Errorf("open vault %s: %w: the keyring item holds another key; nothing was changed: restore the keyring item it was made with, or the vault from a backup", v.path, ErrWrongKey)
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
// vault.json, identity.age opened with the passphrase, or (legacy) the passphrase.
func (v *Vault) acquire(ctx context.Context, p Protection, legacy bool) error {
	switch {
	case p == ProtectionKeyring:
		if v.meta == nil {
			return fmt.Errorf("open vault %s: %w: %s, which names the keyring item, is missing", v.path, ErrIdentityMissing, filepath.Join(v.dir, MetaFileName))
		}
		if v.opts.Keyring == nil {
			return fmt.Errorf("open vault %s: the vault is protected by the OS keyring: %w: no keyring is configured", v.path, ErrKeyringUnavailable)
		}
		s, err := v.opts.Keyring.Get(ctx, v.meta.KeyringService, v.meta.KeyringUser)
		switch {
		case errors.Is(err, ErrKeyringItemNotFound):
			return fmt.Errorf("open vault %s: %w: the OS keyring holds no item service=%s username=%s; otpair never falls back to a passphrase: restore the item, or the vault from a backup", v.path, ErrIdentityMissing, v.meta.KeyringService, v.meta.KeyringUser)
		case errors.Is(err, ErrKeyringUnavailable):
			return fmt.Errorf("open vault %s: the vault is protected by the OS keyring: %w. otpair never switches a keyring vault to a passphrase by itself: unlock or start the keyring, or run 'otpair vault rekey --passphrase' where it works", v.path, err)
		case err != nil:
			return fmt.Errorf("open vault %s: %w", v.path, err)
		}
		id, err := age.ParseX25519Identity(s)
		if err != nil {
			return fmt.Errorf("open vault %s: the keyring item %s/%s is not an age identity", v.path, v.meta.KeyringService, v.meta.KeyringUser)
		}
		v.setKey(ProtectionKeyring, id)
		v.why = "the vault was created with the OS keyring"
	case legacy:
		pass, err := v.askPassphrase(ctx, false)
		if err != nil {
			return err
		}
		id, err := newScryptIdentity(pass)
		if err != nil {
			return err
		}
		v.prot, v.x25519, v.identity, v.recipient, v.wrapped = ProtectionPassphrase, nil, id, nil, nil
		v.legacy, v.pass = true, pass
		v.why = "the vault was created with a passphrase ('otpair vault rekey --keyring' moves it to the OS keyring)"
	default:
		b, err := readIdentityFile(v.dir)
		if err != nil {
			return err
		}
		idPath := filepath.Join(v.dir, IdentityFileName)
		if b == nil {
			return fmt.Errorf("open vault %s: %w: the vault is protected by a passphrase, and %s, which holds its key sealed with the passphrase, is missing; otpair never falls back to the OS keyring: restore it from a backup", v.path, ErrIdentityMissing, idPath)
		}
		pass, err := v.askPassphrase(ctx, false)
		if err != nil {
			return err
		}
		id, err := unwrapIdentity(b, pass)
		switch {
		case errors.Is(err, ErrWrongPassphrase):
			return fmt.Errorf("open vault %s: %w (nothing was changed)", v.path, err)
		case err != nil:
			return fmt.Errorf("open vault %s: %s: %w; otpair leaves it untouched: restore it from a backup", v.path, idPath, err)
		}
		v.setKey(ProtectionPassphrase, id)
		v.why = "the vault was created with a passphrase ('otpair vault rekey --keyring' moves it to the OS keyring)"
	}
	return nil
}

// setKey makes id the vault's key, held in protection p.
func (v *Vault) setKey(p Protection, id *age.X25519Identity) {
	v.prot, v.x25519, v.identity, v.recipient = p, id, id, id.Recipient()
	v.legacy, v.pass, v.wrapped = false, "", nil
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

// newPassphraseKey asks for a new passphrase, makes a fresh X25519 identity sealed with
// it and makes that the vault's key; identity.age is written with the vault's next write.
func (v *Vault) newPassphraseKey(ctx context.Context) error {
	pass, err := v.askPassphrase(ctx, true)
	if err != nil {
		return err
	}
	id, b, err := v.newWrappedKey(pass)
	if err != nil {
		return err
	}
	v.setKey(ProtectionPassphrase, id)
	v.wrapped = b
	return nil
}

// newWrappedKey makes a fresh X25519 identity and seals it with pass (one scrypt).
func (v *Vault) newWrappedKey(pass string) (*age.X25519Identity, []byte, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, nil, fmt.Errorf("generate vault key: %w", err)
	}
	b, err := wrapIdentity(id, pass, v.opts.ScryptWorkFactor)
	if err != nil {
		return nil, nil, err
	}
	return id, b, nil
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
	case v.cipher != nil && !v.stale && bytes.Equal(cipher, v.cipher):
		return nil
	}
	accounts, err := v.unlock(ctx, cipher)
	if err != nil {
		return err
	}
	v.cipher, v.accounts, v.stale = cipher, accounts, false
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
			if err := v.prepareKey(ctx); err != nil {
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
	atomicfile.RemoveStale(v.path)
	atomicfile.RemoveStale(filepath.Join(v.dir, IdentityFileName))
	atomicfile.RemoveStale(filepath.Join(v.dir, MetaFileName))
	cipher, err := readVaultFile(v.path)
	if err != nil {
		return err
	}
	if err := v.refresh(ctx, cipher); err != nil {
		return err
	}
	return fn()
}

// testHookStep, if set, is called after each durable step of a write that touches
// more than vault.age (the names are in the callers); an error stops the write there,
// as a crash would. Only tests set it.
var testHookStep func(step string) error

func step(name string) error {
	if testHookStep != nil {
		return testHookStep(name)
	}
	return nil
}

// write seals accounts to the current recipient and replaces the vault file. A pending
// identity.age (a new passphrase vault, or the move of a legacy one) is written first,
// then vault.json, so a crash in between leaves the old vault as it was: a legacy
// vault's header still says scrypt, and a new vault does not exist yet.
func (v *Vault) write(accounts []Account) error {
	if v.wrapped != nil {
		if err := atomicfile.Write(filepath.Join(v.dir, IdentityFileName), v.wrapped); err != nil {
			return fmt.Errorf("write %s: %w", IdentityFileName, err)
		}
		if err := step("identity"); err != nil {
			return err
		}
		if err := v.setMetaProtection(metaPassphrase); err != nil {
			return err
		}
		if err := step("meta"); err != nil {
			return err
		}
	}
	if err := v.writeVault(accounts, v.recipient); err != nil {
		return err
	}
	if v.wrapped != nil {
		v.setKey(ProtectionPassphrase, v.x25519)
	}
	if v.prot == ProtectionKeyring {
		// A crash during a rekey from a passphrase can leave identity.age behind; the
		// vault no longer opens with it.
		os.Remove(filepath.Join(v.dir, IdentityFileName))
	}
	return nil
}

// writeVault seals accounts to rs and replaces vault.age.
func (v *Vault) writeVault(accounts []Account, rs ...age.Recipient) error {
	plain, err := marshalAccounts(accounts)
	if err != nil {
		return fmt.Errorf("encode vault: %w", err)
	}
	cipher, err := encrypt(plain, rs...)
	clear(plain)
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	if err := atomicfile.Write(v.path, cipher); err != nil {
		return fmt.Errorf("write vault: %w", err)
	}
	v.cipher, v.accounts = cipher, accounts
	return nil
}

// prepareKey sets up the key of a vault that has no recipient yet: a new vault
// (vault.json, then the keyring identity, reused if a crashed earlier attempt left one,
// or a new identity sealed with a new passphrase), or a legacy passphrase vault about
// to move to identity.age (sealed with the passphrase it was opened with). It runs
// under the lock.
func (v *Vault) prepareKey(ctx context.Context) error {
	if v.legacy {
		id, b, err := v.newWrappedKey(v.pass)
		if err != nil {
			return err
		}
		v.x25519, v.recipient, v.wrapped = id, id.Recipient(), b
		return nil
	}
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
		if err := v.setMetaProtection(metaKeyring); err != nil {
			return err
		}
		v.setKey(ProtectionKeyring, v.x25519)
	default:
		return v.newPassphraseKey(ctx)
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
		if err := writeMeta(v.dir, m); err != nil {
			return err
		}
	}
	v.meta = m
	return nil
}

// setMetaProtection records in vault.json where the vault's key lives. It runs under
// the lock.
func (v *Vault) setMetaProtection(p string) error {
	if err := v.ensureMeta(); err != nil {
		return err
	}
	if v.meta.Protection == p {
		return nil
	}
	m := *v.meta
	m.Protection = p
	if err := writeMeta(v.dir, &m); err != nil {
		return err
	}
	v.meta = &m
	return nil
}

func writeMeta(dir string, m *meta) error {
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := atomicfile.Write(filepath.Join(dir, MetaFileName), append(b, '\n')); err != nil {
		return fmt.Errorf("write vault description: %w", err)
	}
	return nil
}

// Unlock makes sure the vault can be written: for a new passphrase vault it asks for the
// passphrase now rather than at the first change, and seals a new key with it (the one
// scrypt), so the first change is quick. The TUI calls it right after Open so that
// ErrPassphraseNeeded comes back at once. It writes nothing.
func (v *Vault) Unlock(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.recipient != nil || v.legacy || v.prot != ProtectionPassphrase {
		return nil
	}
	return v.newPassphraseKey(ctx)
}

// Inspect describes the vault in dir without unlocking it: where it is, whether it
// exists and which protection vault.json and the vault's header name. Accounts is -1
// (unknown) for an existing vault. It works when the keyring is unreachable or no
// passphrase is at hand.
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
	p, _, err := detectProtection(dir, m, cipher)
	if err != nil {
		return st, fmt.Errorf("vault %s: %w", st.Path, err)
	}
	st.Protection = p
	if p == ProtectionKeyring && m != nil {
		st.KeyringService, st.KeyringUser = m.KeyringService, m.KeyringUser
	}
	return st, nil
}
