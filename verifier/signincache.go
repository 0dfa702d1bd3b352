package verifier

import "sync"

// DefaultSignInCache is how many users' rows and sealed seeds a Local keeps between
// sign-ins unless LocalOptions.SignInCache says otherwise: at a few hundred bytes each,
// a few tens of megabytes at most.
const DefaultSignInCache = 1 << 16

// signInCache keeps, per login id, the user row and the sealed seeds the last sign-in
// read, so that the next sign-in of the same user saves that read. Nothing in it is
// trusted without the database's word: the attempt charge (one statement a sign-in
// runs anyway) returns the ids of the user's seeds as they are now, and an entry whose
// seeds differ is read again; a user deleted meanwhile fails the charge with
// ErrUnknownUser and is read again; an entry that says "locked" is read again before
// anything else. So other processes sharing the database, or other calls of this one,
// can change the user at any time. The seeds stay sealed: the cache holds nothing a
// copy of the database would not.
type signInCache struct {
	mu  sync.RWMutex
	m   map[string]signInEntry
	max int // 0: the cache is off
}

// signInEntry is what a sign-in needs of a user: the row and both seeds (nil where
// there is none). An entry is never changed in place; put replaces it.
type signInEntry struct {
	rec             UserRecord
	active, pending *SealedSeed
}

func newSignInCache(max int) *signInCache {
	if max < 0 {
		max = 0
	}
	return &signInCache{m: make(map[string]signInEntry), max: max}
}

func (c *signInCache) get(loginID string) (signInEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[loginID]
	c.mu.RUnlock()
	return e, ok
}

// put stores e under loginID; when the cache is full it first drops an arbitrary
// entry (map iteration order), which is as good as any policy for a cache whose
// misses cost one read.
func (c *signInCache) put(loginID string, e signInEntry) {
	if c.max == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[loginID]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[loginID] = e
}

func (c *signInCache) drop(loginID string) {
	c.mu.Lock()
	delete(c.m, loginID)
	c.mu.Unlock()
}

// seedsMatch reports whether the entry's seeds are the ones an attempt charge saw.
func (e signInEntry) seedsMatch(a Attempt) bool {
	return seedID(e.active) == a.ActiveSeedID && seedID(e.pending) == a.PendingSeedID
}

func seedID(s *SealedSeed) string {
	if s == nil {
		return ""
	}
	return s.ID
}
