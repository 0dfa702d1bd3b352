package authenticator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/otpair/otpair/authenticator/identitycache"
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
	// ErrPassphraseTooShort: a new passphrase has fewer than MinPassphraseLen
	// characters.
	ErrPassphraseTooShort = fmt.Errorf("a new vault passphrase needs at least %d characters", MinPassphraseLen)
)

// MinPassphraseLen is the fewest characters a new vault passphrase may have. scrypt
// slows guessing down, it does not make a short passphrase long.
const MinPassphraseLen = 8

// CheckNewPassphrase refuses a passphrase too short to protect a vault. Every new
// passphrase goes through it (a new vault, a rekey), whoever supplied it; prompts may
// call it first to ask again.
func CheckNewPassphrase(pass string) error {
	if utf8.RuneCountInString(pass) < MinPassphraseLen {
		return ErrPassphraseTooShort
	}
	return nil
}

// PassphraseRequest says why a passphrase is asked for.
type PassphraseRequest struct {
	Path string // the vault file
	// New is true when the passphrase will protect a vault from now on (a new vault, or
	// a rekey): a prompt should ask twice, and one shorter than MinPassphraseLen is
	// refused.
	New bool
	// Current is how the vault is protected now: ProtectionPassphrase when the vault
	// already has a passphrase (for New, a rekey replaces it), ProtectionKeyring, or 0
	// when the vault does not exist yet.
	Current Protection
}

// PassphraseFunc supplies the vault passphrase. It returns ErrPassphraseNeeded (or "")
// when it has none to give, and should return when ctx ends (Ctrl-C). It may be called
// while the vault holds its locks: it must not call the Vault's methods other than
// Status.
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
	// OnLockWait, if not nil, is called when a change has to wait for another process
	// that holds vault.lock (once per wait), so the user can be told why nothing
	// happens. The wait ends when the lock is free or ctx ends.
	OnLockWait func()
	// IdentityCache, if not nil, is asked before scrypt when a passphrase vault is
	// opened: an identity that CacheIdentity kept there for this vault (otpair unlock)
	// opens it without the passphrase. An entry that does not open the vault is
	// removed; a cache that does not answer is passed over. A rekey forgets the entry.
	IdentityCache identitycache.Cache
}

// lockGaveUp is the error of a wait for vault.lock that ctx ended: it names the lock
// and carries ctx's cause (the signal, for the CLI).
func lockGaveUp(ctx context.Context, path string) error {
	return fmt.Errorf("gave up waiting for another otpair process to release %s: %w", path, context.Cause(ctx))
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
	opts       Options
	dir        string
	path       string
	now        func() time.Time
	mu         sync.Mutex
	prot       Protection
	why        string // why this protection, in words
	keyringErr error  // why a new vault could not use the keyring, if so
	meta       *meta  // nil until vault.json exists
	newID      string // the id a new vault.json will get

	x25519    *age.X25519Identity // the vault's key, once read or created; nil for a legacy vault
	identity  age.Identity        // opens the vault; nil until known
	recipient age.Recipient       // seals the vault; nil until known (and for a legacy vault)
	cachedAs  string              // the identity cache's name for x25519 as unwrapped from identity.age; "" otherwise
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

	// status is what Status reports, published whenever mu is released, so that Status
	// never waits for mu: a PassphraseFunc may call it while the vault asks.
	status atomic.Pointer[Status]
	// readLimit is how large a vault file this Vault reads: maxVaultBytes, or the
	// higher limit Repair was given.
	readLimit int64
}

// Open opens the vault in opts.Dir, or prepares a new one if there is none yet (nothing
// is written until the first change). An existing vault is unlocked with the protection
// vault.json records: the keyring identity, or identity.age and the passphrase (one
// scrypt). A new vault takes the keyring if it answers and a passphrase otherwise;
// Status says which and why.
func Open(ctx context.Context, opts Options) (*Vault, error) {
	return open(ctx, opts, maxVaultBytes)
}

// open is Open reading a vault file of up to readLimit bytes.
func open(ctx context.Context, opts Options, readLimit int64) (*Vault, error) {
	if opts.Dir == "" {
		return nil, errors.New("open vault: no data folder given")
	}
	v := &Vault{opts: opts, dir: opts.Dir, path: filepath.Join(opts.Dir, VaultFileName), now: opts.Now, readLimit: readLimit}
	if v.now == nil {
		v.now = time.Now
	}
	m, err := readMeta(v.dir)
	if err != nil {
		return nil, err
	}
	v.meta = m
	cipher, err := readVaultFile(v.path, v.readLimit)
	if err != nil {
		return nil, err
	}
	defer v.publish()
	if cipher != nil {
		accounts, err := v.unlock(ctx, cipher)
		if err != nil {
			return nil, err
		}
		v.cipher, v.accounts = cipher, accounts
		return v, nil
	}
	if err := absentVault(v.dir, m); err != nil {
		return nil, err
	}
	if m != nil {
		// A creation a crash interrupted: it keeps the protection it chose, and the
		// key it made (never replaced).
		if has, err := identityFileExists(v.dir); err != nil {
			return nil, err
		} else if has || m.Protection == metaPassphrase {
			v.prot, v.why = ProtectionPassphrase, "the vault was being created with a passphrase"
			return v, nil
		}
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
		v.prot, v.why, v.keyringErr = ProtectionPassphrase, err.Error(), err
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
	if err := v.acquire(ctx, cipher, p, legacy); err != nil {
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
	plain, err := decrypt(cipher, v.identity, v.readLimit)
	switch {
	case errors.Is(err, errTooLong):
		return nil, fmt.Errorf("open vault %s: %w: its contents are more than the %s otpair reads; %s", v.path, ErrVaultTooLarge, sizeText(v.readLimit), tooLargeHint(v.readLimit))
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
	return fmt.Errorf("open vault %s: %w; otpair leaves it untouched: restore it from a backup, or move it aside and run '%s' to start a new vault", v.path, err, ResetCommand)
}

// acquire gets what opens a vault of protection p (cipher is the vault file as read):
// the keyring identity named by vault.json, identity.age's identity (from the identity
// cache if it holds one that opens cipher, else unwrapped with the passphrase), or
// (legacy) the passphrase.
func (v *Vault) acquire(ctx context.Context, cipher []byte, p Protection, legacy bool) error {
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
		if v.meta != nil && v.meta.Rekeyed {
			v.why = "'otpair vault rekey --keyring' moved the vault's key to the OS keyring"
		}
	case legacy:
		pass, err := v.askPassphrase(ctx, PassphraseRequest{Current: ProtectionPassphrase})
		if err != nil {
			return err
		}
		id, err := newScryptIdentity(pass)
		if err != nil {
			return err
		}
		v.prot, v.x25519, v.identity, v.recipient, v.wrapped = ProtectionPassphrase, nil, id, nil, nil
		v.legacy, v.pass, v.cachedAs = true, pass, ""
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
		name := cacheName(v.dir, v.meta, b)
		id, _ := cachedKey(v.opts.IdentityCache, name, cipher)
		if id == nil {
			pass, err := v.askPassphrase(ctx, PassphraseRequest{Current: ProtectionPassphrase})
			if err != nil {
				return err
			}
			id, err = unwrapIdentity(b, pass)
			switch {
			case errors.Is(err, ErrWrongPassphrase):
				return fmt.Errorf("open vault %s: %w (nothing was changed)", v.path, err)
			case err != nil:
				return fmt.Errorf("open vault %s: %s: %w; otpair leaves it untouched: restore it from a backup", v.path, idPath, err)
			}
		}
		v.setKey(ProtectionPassphrase, id)
		v.cachedAs = name
		v.why = "the vault was created with a passphrase ('otpair vault rekey --keyring' moves it to the OS keyring)"
		if v.meta != nil && v.meta.Rekeyed {
			v.why = "'otpair vault rekey --passphrase' sealed the vault's key with a passphrase ('otpair vault rekey --keyring' moves it back to the OS keyring)"
		}
	}
	return nil
}

// setKey makes id the vault's key, held in protection p.
func (v *Vault) setKey(p Protection, id *age.X25519Identity) {
	v.prot, v.x25519, v.identity, v.recipient = p, id, id, id.Recipient()
	v.legacy, v.pass, v.wrapped, v.cachedAs = false, "", nil, ""
}

// askPassphrase asks opts.Passphrase (req.Path is filled in). A new passphrase shorter
// than MinPassphraseLen is refused here, whoever supplied it.
func (v *Vault) askPassphrase(ctx context.Context, req PassphraseRequest) (string, error) {
	if v.opts.Passphrase == nil {
		return "", fmt.Errorf("vault %s: %w", v.path, ErrPassphraseNeeded)
	}
	req.Path = v.path
	pass, err := v.opts.Passphrase(ctx, req)
	if err != nil {
		return "", fmt.Errorf("vault %s: %w", v.path, err)
	}
	if pass == "" {
		return "", fmt.Errorf("vault %s: %w", v.path, ErrPassphraseNeeded)
	}
	if req.New {
		if err := CheckNewPassphrase(pass); err != nil {
			return "", fmt.Errorf("vault %s: %w (nothing was changed)", v.path, err)
		}
	}
	return pass, nil
}

// newVaultKey gives a vault that does not exist yet its passphrase key: the one in
// identity.age if a creation a crash interrupted left it (asked for as an existing
// passphrase: that key is never replaced), else a new one (newPassphraseKey).
func (v *Vault) newVaultKey(ctx context.Context) error {
	b, err := readIdentityFile(v.dir)
	if err != nil {
		return err
	}
	if b == nil {
		return v.newPassphraseKey(ctx)
	}
	pass, err := v.askPassphrase(ctx, PassphraseRequest{Current: ProtectionPassphrase})
	if err != nil {
		return err
	}
	id, err := unwrapIdentity(b, pass)
	if err != nil {
		return fmt.Errorf("vault %s: %s, left by a creation that did not finish: %w; otpair never replaces it: run '%s' to set it aside", v.path, IdentityFileName, err, ResetCommand)
	}
	v.setKey(ProtectionPassphrase, id)
	return nil
}

// newPassphraseKey asks for a new passphrase, makes a fresh X25519 identity sealed with
// it and makes that the vault's key; identity.age is written with the vault's next write.
func (v *Vault) newPassphraseKey(ctx context.Context) error {
	pass, err := v.askPassphrase(ctx, PassphraseRequest{New: true, Current: v.current()})
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

// readVaultFile returns the vault bytes, or nil if there is no vault yet. A file
// larger than limit is ErrVaultTooLarge.
func readVaultFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read vault: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > limit {
		return nil, fmt.Errorf("read vault %s: %w: the file is %s, more than the %s otpair reads; %s",
			path, ErrVaultTooLarge, sizeText(st.Size()), sizeText(limit), tooLargeHint(limit))
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read vault: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read vault %s: %w: more than the %s otpair reads; %s", path, ErrVaultTooLarge, sizeText(limit), tooLargeHint(limit))
	}
	if len(b) == 0 {
		// Never produced by otpair (writes are atomic): treat as damaged, not as "none".
		return []byte{}, nil
	}
	return b, nil
}

// Status describes the vault for `otpair vault info` and the TUI status bar.
type Status struct {
	Path       string     // the vault file
	Exists     bool       // false until the first account is stored
	Protection Protection // how it is (or will be) protected
	Reason     string     // why that protection
	// KeyringErr is why a new vault could not use the OS keyring (a *KeyringError from
	// SystemKeyring, which says whether it is missing or only locked), nil otherwise.
	KeyringErr error
	Accounts   int // as of the last read
	// KeyringService and KeyringUser name the keyring item (keyring protection only).
	KeyringService, KeyringUser string
	// Missing names the files of the vault that should be there and are not (Inspect
	// only): vault.age beside vault.json or identity.age (ErrVaultMissing),
	// identity.age of a passphrase vault, vault.json of a keyring vault.
	Missing []string
}

// Status reports where the vault is, how it is protected and why, as of the last
// operation that finished. It never waits: it may be called from a PassphraseFunc
// while the vault is asking.
func (v *Vault) Status() Status {
	if s := v.status.Load(); s != nil {
		return *s
	}
	return Status{Path: v.path}
}

// hold takes mu; release publishes the status and releases it.
func (v *Vault) hold() { v.mu.Lock() }

func (v *Vault) release() {
	v.publish()
	v.mu.Unlock()
}

// publish stores what Status reports. It runs with mu held (or before the vault is
// shared).
func (v *Vault) publish() {
	s := Status{Path: v.path, Exists: v.cipher != nil, Protection: v.prot, Reason: v.why, KeyringErr: v.keyringErr, Accounts: len(v.accounts)}
	if v.prot == ProtectionKeyring {
		s.KeyringService, s.KeyringUser = KeyringService, v.keyringUser()
	}
	v.status.Store(&s)
}

// current is the vault's protection now, for a PassphraseRequest: 0 before the vault
// exists.
func (v *Vault) current() Protection {
	if v.cipher == nil {
		return 0
	}
	return v.prot
}

// Dir is the data folder.
func (v *Vault) Dir() string { return v.dir }

// Accounts returns every account in the order they were added, re-reading the vault if
// another process changed it.
func (v *Vault) Accounts(ctx context.Context) ([]Account, error) {
	v.hold()
	defer v.release()
	cipher, err := readVaultFile(v.path, v.readLimit)
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
		// Still no vault: but another process may have left vault.json or identity.age
		// since Open looked.
		m, err := readMeta(v.dir)
		if err != nil {
			return err
		}
		return absentVault(v.dir, m)
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
	v.hold()
	defer v.release()
	if err := os.MkdirAll(v.dir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(v.dir, LockFileName), v.opts.OnLockWait)
	if err != nil {
		return err
	}
	defer unlock()
	atomicfile.RemoveStale(v.path)
	atomicfile.RemoveStale(filepath.Join(v.dir, IdentityFileName))
	atomicfile.RemoveStale(filepath.Join(v.dir, MetaFileName))
	cipher, err := readVaultFile(v.path, v.readLimit)
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

// write seals accounts to the current recipient and replaces the vault file. A new
// vault records vault.json first (Creating, with its protection); a pending
// identity.age (a new passphrase vault, or the move of a legacy one) comes next, then
// vault.json's protection, then vault.age, so a crash in between leaves the old vault
// as it was (a legacy vault's header still says scrypt) or a creation that the next
// write finishes with the same key.
func (v *Vault) write(accounts []Account) error {
	if v.cipher == nil {
		if err := v.ensureMeta(metaProtection(v.prot)); err != nil {
			return err
		}
	}
	moving := v.wrapped != nil || v.legacy
	if v.wrapped != nil {
		if err := writeNewIdentityFile(v.dir, v.wrapped); err != nil {
			return err
		}
		if err := step("identity"); err != nil {
			return err
		}
	}
	if moving {
		if err := v.setMeta(metaPassphrase, ""); err != nil {
			return err
		}
		if err := step("meta"); err != nil {
			return err
		}
	}
	if err := v.writeVault(accounts, v.recipient); err != nil {
		return err
	}
	if moving {
		v.setKey(ProtectionPassphrase, v.x25519)
	}
	if v.prot == ProtectionKeyring {
		// A crash during a rekey from a passphrase can leave identity.age behind; the
		// vault no longer opens with it.
		os.Remove(filepath.Join(v.dir, IdentityFileName))
	}
	return nil
}

// writeNewIdentityFile writes identity.age for a new key where there is none: an
// identity.age already there may be the only key to a backup, so it is never replaced
// (only a rekey, asked for by the user, replaces it). It runs under the lock.
func writeNewIdentityFile(dir string, b []byte) error {
	path := filepath.Join(dir, IdentityFileName)
	switch _, err := os.Lstat(path); {
	case err == nil:
		return fmt.Errorf("write %s: it exists (another otpair made it); otpair never replaces a vault key: nothing was written, try again", path)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("write %s: %w", IdentityFileName, err)
	}
	return nil
}

// writeVault seals accounts to rs and replaces vault.age; the first write of a new
// vault then clears vault.json's Creating.
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
	if int64(len(cipher)) > maxVaultBytes {
		// The reader would refuse it: every later command would fail.
		return fmt.Errorf("write vault: %w: it would be %s, more than the %s otpair reads; nothing was written",
			ErrVaultTooLarge, sizeText(int64(len(cipher))), sizeText(maxVaultBytes))
	}
	if err := atomicfile.Write(v.path, cipher); err != nil {
		return fmt.Errorf("write vault: %w", err)
	}
	v.cipher, v.accounts = cipher, accounts
	return v.created()
}

// prepareKey sets up the key of a vault that has no recipient yet: a new vault
// (vault.json, then the keyring identity, reused if a crashed earlier attempt left one;
// or the passphrase key of newVaultKey, asked for before anything is written), or a
// legacy passphrase vault about to move to identity.age (legacyKey). It runs under the
// lock.
func (v *Vault) prepareKey(ctx context.Context) error {
	if v.legacy {
		return v.legacyKey()
	}
	switch v.prot {
	case ProtectionKeyring:
		if err := v.ensureMeta(metaKeyring); err != nil {
			return err
		}
		if v.x25519 == nil {
			id, err := v.keyringIdentity(ctx)
			if err != nil {
				return err
			}
			v.x25519 = id
		}
		if err := v.setMeta(metaKeyring, ""); err != nil {
			return err
		}
		v.setKey(ProtectionKeyring, v.x25519)
	default:
		return v.newVaultKey(ctx)
	}
	return nil
}

// legacyKey is the key a legacy vault moves to: identity.age if one is there and opens
// with the vault's passphrase (a move a crash interrupted), else a new identity sealed
// with that passphrase. An identity.age that does not open with it (left by a rekey a
// crash interrupted, or the key of a newer vault that an old backup was restored over)
// is set aside as identity.age.old-TIME, never replaced.
func (v *Vault) legacyKey() error {
	b, err := readIdentityFile(v.dir)
	if err != nil {
		return err
	}
	if b != nil {
		id, err := unwrapIdentity(b, v.pass)
		if err == nil {
			v.x25519, v.recipient, v.wrapped = id, id.Recipient(), nil
			return nil
		}
		if err := setAside(filepath.Join(v.dir, IdentityFileName), v.now()); err != nil {
			return fmt.Errorf("vault %s: %s does not open with the vault's passphrase, and setting it aside failed: %w", v.path, IdentityFileName, err)
		}
	}
	id, b, err := v.newWrappedKey(v.pass)
	if err != nil {
		return err
	}
	v.x25519, v.recipient, v.wrapped = id, id.Recipient(), b
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

// Unlock makes sure the vault can be written: for a new passphrase vault it asks for the
// passphrase now rather than at the first change, and seals a new key with it (the one
// scrypt), so the first change is quick. The TUI calls it right after Open so that
// ErrPassphraseNeeded comes back at once. It writes nothing.
func (v *Vault) Unlock(ctx context.Context) error {
	v.hold()
	defer v.release()
	if v.recipient != nil || v.legacy || v.prot != ProtectionPassphrase || v.cipher != nil {
		return nil
	}
	return v.newVaultKey(ctx)
}
