package verifier

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Signing keys are numbered per algorithm. Key 0 is the value under
// metaSigningKey(alg), as databases written before rotation existed hold it; key n ≥ 1
// is under metaSigningKeyN(alg, n) and is created only through InitMeta, so however
// many instances rotate at once, one key per number ever exists and all of them agree
// on it. The newest key signs. The value of key n ≥ 1 records, outside its sealed
// part, when it was created, which is when key n-1 was retired: one atomic write
// decides both the new key and the old one's retirement. A retired key stays published
// (and verifies) until retirement + max(SessionTTL, RefreshTTL) + KeyReload: its last
// tokens may have been signed up to KeyReload after the retirement by an instance that
// had not reloaded yet.

// DefaultKeyReload is how long a Local trusts its cached signing keys before it reads
// them again (another instance may have rotated).
const DefaultKeyReload = time.Minute

// unknownKidReload is the least time between two reloads caused by tokens naming a
// key this instance does not know, so a flood of made-up kids cannot hammer the
// database.
const unknownKidReload = time.Second

func metaSigningKeyN(alg string, n int) string {
	if n == 0 {
		return metaSigningKey(alg)
	}
	return metaSigningKey(alg) + ":" + strconv.Itoa(n)
}

// rotatedAAD binds a numbered key's ciphertext to its name and creation time, so
// neither can be changed in the database without the key failing to open.
func rotatedAAD(name string, created int64) string {
	return name + "@" + strconv.FormatInt(created, 10)
}

// encodeRotated and decodeRotated are the stored form of key n ≥ 1: its creation time
// (Unix seconds) and the sealed PKCS #8 key, "created.keyID.nonce.ciphertext".
func encodeRotated(created int64, keyID string, nonce, ct []byte) []byte {
	return append([]byte(strconv.FormatInt(created, 10)+"."), encodeSealed(keyID, nonce, ct)...)
}

func decodeRotated(v []byte) (created int64, keyID string, nonce, ct []byte, err error) {
	head, rest, ok := strings.Cut(string(v), ".")
	if !ok {
		return 0, "", nil, nil, errors.New("malformed rotated signing key")
	}
	created, err = strconv.ParseInt(head, 10, 64)
	if err != nil {
		return 0, "", nil, nil, errors.New("malformed rotated signing key: creation time")
	}
	keyID, nonce, ct, err = decodeSealed([]byte(rest))
	return created, keyID, nonce, ct, err
}

// ringKey is one numbered key as the ring knows it.
type ringKey struct {
	created time.Time // zero for key 0
	raw     []byte    // the stored value (nil for key 0), opened while the key is published
	s       *signer   // nil until opened; never opened once out of the overlap
}

// keySet is an immutable snapshot of the keys of one algorithm: index n is key n.
type keySet struct {
	keys     []ringKey
	byKid    map[string]int
	loadedAt time.Time
}

// published reports whether key n signs (the newest) or still verifies at now.
func (ks *keySet) published(n int, now time.Time, overlap time.Duration) bool {
	return n == len(ks.keys)-1 || now.Before(ks.keys[n+1].created.Add(overlap))
}

// keyring holds the signing keys of one algorithm: the newest signs, every published
// one verifies. It reloads from the Store when its snapshot is older than reload
// (checked on use against the injected clock, no timer), and when a token names an
// unknown kid (at most once per unknownKidReload).
type keyring struct {
	st      Store
	seal    *sealer
	alg     string
	clock   Clock
	issuer  string
	overlap time.Duration // how long a retired key stays published
	reload  time.Duration
	parser  *jwt.Parser

	set atomic.Pointer[keySet]

	mu          sync.Mutex // serializes reloads and rotations
	lastKidLoad time.Time  // last reload caused by an unknown kid; under mu
	lastTry     time.Time  // last reload attempt of any kind; under mu
}

// newKeyring loads every key of alg, key 0 given (already loaded or created).
func newKeyring(ctx context.Context, st Store, seal *sealer, key0 *signer, alg string, clock Clock, issuer string, overlap, reload time.Duration) (*keyring, error) {
	r := &keyring{st: st, seal: seal, alg: alg, clock: clock, issuer: issuer, overlap: overlap, reload: reload,
		parser: newTokenParser(alg, clock, issuer)}
	r.set.Store(&keySet{keys: []ringKey{{s: key0}}, byKid: map[string]int{key0.kid: 0}})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.reloadLocked(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// reloadLocked reads the keys created since the snapshot (values never change once
// written, so only higher numbers are read), opens those now published, and installs
// the new snapshot. r.mu is held.
func (r *keyring) reloadLocked(ctx context.Context) error {
	now := r.clock()
	r.lastTry = now
	old := r.set.Load()
	keys := append([]ringKey(nil), old.keys...)
	for n := len(keys); ; n++ {
		v, err := r.st.Meta(ctx, metaSigningKeyN(r.alg, n))
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("signing key %d: %w", n, err)
		}
		created, _, _, _, err := decodeRotated(v)
		if err != nil {
			return fmt.Errorf("signing key %d: %w", n, err)
		}
		keys = append(keys, ringKey{created: time.Unix(created, 0).UTC(), raw: v})
	}
	ks := &keySet{keys: keys, byKid: make(map[string]int, 2), loadedAt: now}
	for n := len(keys) - 1; n >= 0; n-- {
		if !ks.published(n, now, r.overlap) {
			break // older keys retired even earlier
		}
		if keys[n].s == nil {
			s, err := r.open(n, keys[n].raw)
			if err != nil {
				return fmt.Errorf("signing key %d: %w", n, err)
			}
			keys[n].s = s
		}
		ks.byKid[keys[n].s.kid] = n
	}
	r.set.Store(ks)
	return nil
}

// open unseals key n ≥ 1 (key 0 is opened by loadSigner).
func (r *keyring) open(n int, v []byte) (*signer, error) {
	created, keyID, nonce, ct, err := decodeRotated(v)
	if err != nil {
		return nil, err
	}
	return openSigner(r.seal, r.alg, rotatedAAD(metaSigningKeyN(r.alg, n), created), keyID, nonce, ct, r.clock, r.issuer)
}

// fresh returns the snapshot, first reloading it when it is older than r.reload. A
// failed reload keeps the cached keys (they stay valid: a retired key remains
// published for the whole overlap) and is retried at most once per unknownKidReload;
// a reload already running elsewhere is not waited for.
func (r *keyring) fresh(ctx context.Context) *keySet {
	ks := r.set.Load()
	now := r.clock()
	if now.Sub(ks.loadedAt) < r.reload || !r.mu.TryLock() {
		return ks
	}
	defer r.mu.Unlock()
	if ks = r.set.Load(); now.Sub(ks.loadedAt) >= r.reload && now.Sub(r.lastTry) >= unknownKidReload {
		_ = r.reloadLocked(ctx) // on failure the cached set serves; see above
	}
	return r.set.Load()
}

// current is the newest key: the one that signs.
func (r *keyring) current(ctx context.Context) *signer {
	ks := r.fresh(ctx)
	return ks.keys[len(ks.keys)-1].s
}

// jwks is every published key, newest first.
func (r *keyring) jwks(ctx context.Context) JWKS {
	ks := r.fresh(ctx)
	now := r.clock()
	var out []JWK
	for n := len(ks.keys) - 1; n >= 0 && ks.keys[n].s != nil && ks.published(n, now, r.overlap); n-- {
		out = append(out, ks.keys[n].s.jwk)
	}
	return JWKS{Keys: out}
}

// lookup finds the published key named kid at now.
func (r *keyring) lookup(ks *keySet, kid string) *signer {
	n, ok := ks.byKid[kid]
	if !ok || !ks.published(n, r.clock(), r.overlap) {
		return nil
	}
	return ks.keys[n].s
}

// kidFor is the published key a token names; an unknown kid reloads the keys (another
// instance may have rotated) unless a reload for an unknown kid ran less than
// unknownKidReload ago.
func (r *keyring) kidFor(ctx context.Context, kid string) *signer {
	if s := r.lookup(r.fresh(ctx), kid); s != nil {
		return s
	}
	if len(kid) != 43 { // not a thumbprint: no key of ours, not worth a read
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.lookup(r.set.Load(), kid); s != nil { // another caller reloaded meanwhile
		return s
	}
	now := r.clock()
	if !r.lastKidLoad.IsZero() && now.Sub(r.lastKidLoad) < unknownKidReload {
		return nil
	}
	r.lastKidLoad = now
	if err := r.reloadLocked(ctx); err != nil {
		return nil // verification fails as for any unknown key
	}
	return r.lookup(r.set.Load(), kid)
}

// verify is signer.verify against every published key, chosen by the token's kid.
func (r *keyring) verify(ctx context.Context, raw, drn string) (tokenClaims, error) {
	if raw == "" {
		return tokenClaims{}, fmt.Errorf("%w: no token", ErrBadToken)
	}
	var c tokenClaims
	_, err := r.parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		s := r.kidFor(ctx, kid)
		if s == nil {
			return nil, errors.New("unknown kid")
		}
		return s.pub, nil
	})
	if err != nil {
		return tokenClaims{}, fmt.Errorf("%w: %s", ErrBadToken, tokenReason(err))
	}
	return checkClaims(c, drn)
}

// rotate creates key n+1 after the newest key n this instance can read, or adopts the
// one another instance created under that number first, and returns its kid.
func (r *keyring) rotate(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.reloadLocked(ctx); err != nil {
		return "", err
	}
	n := len(r.set.Load().keys)
	name := metaSigningKeyN(r.alg, n)
	der, err := generateKeyDER(r.alg)
	if err != nil {
		return "", err
	}
	created := r.clock().Unix()
	ct, nonce := r.seal.seal(der, rotatedAAD(name, created))
	clear(der)
	if _, err := r.st.InitMeta(ctx, name, encodeRotated(created, r.seal.keyID, nonce, ct)); err != nil {
		return "", fmt.Errorf("signing key %d: %w", n, err)
	}
	// Read it back the ordinary way: ours, or the one that won the number.
	if err := r.reloadLocked(ctx); err != nil {
		return "", err
	}
	ks := r.set.Load()
	if n >= len(ks.keys) || ks.keys[n].s == nil {
		return "", fmt.Errorf("signing key %d: not readable after it was stored", n)
	}
	return ks.keys[n].s.kid, nil
}

// RotateSigningKey creates the next signing key of the Local's algorithm and signs
// every token with it from then on. The previous key stays in the JWKS, and its tokens
// keep verifying, until it has been retired for max(SessionTTL, RefreshTTL) plus
// KeyReload. Other instances on the database pick the new key up within KeyReload, or
// at once when they see a token it signed. Rotations that race for the same next key
// number, on one instance or several, agree on one new key (the first stored wins),
// whose kid each of them returns; a rotation that starts after another finished
// creates the key after that one.
func (l *Local) RotateSigningKey(ctx context.Context) (kid string, err error) {
	kid, err = l.keys.rotate(ctx)
	if err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	return kid, nil
}
