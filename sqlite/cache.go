package sqlite

import (
	"slices"
	"sync"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
)

// Bounds of the read cache, whatever the size of the database: about 30 MB
// of decoded positions and 10 MB of users at most (measured with
// scripts/bench-scale: the server's whole RSS stays under 150 MB with a
// million positions).
const (
	maxCachedPositions = 10000
	maxCachedUsers     = 20000
)

// readCache keeps the users and the lists of positions that reads asked
// for, so that reading them again needs no query and no decoding. It is
// correct because one process owns an SQLite file and every write goes
// through this store: each write method drops what it changed once it has
// committed, before it returns, so a caller never reads older data than it
// wrote. A read that ran against the database while a write committed must
// not put what it read into the cache: generations tell.
type readCache struct {
	mu sync.Mutex

	usersGen uint64 // moves on every write of users
	users    map[graphprofile.UserKey]graphprofile.User
	found    map[string]graphprofile.UserKey // FindUser's answers: tenant, NUL, key

	profiles  map[graphprofile.UserKey]*cachedProfile
	positions int // positions held by profiles
}

// cachedProfile is one user's positions, in list order, or only the
// generation of the profile while nothing is cached.
type cachedProfile struct {
	gen    uint64
	list   []graphprofile.WorkPosition
	cached bool
}

func newReadCache() *readCache {
	return &readCache{
		users:    make(map[graphprofile.UserKey]graphprofile.User),
		found:    make(map[string]graphprofile.UserKey),
		profiles: make(map[graphprofile.UserKey]*cachedProfile),
	}
}

func lookupKey(tenantID, key string) string { return tenantID + "\x00" + key }

// user returns the cached user key.
func (c *readCache) user(key graphprofile.UserKey) (graphprofile.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[key]
	return stored.CopyUser(u), ok
}

// findUser returns what Store.FindUser answered for the same key before.
// (A user cached by id alone cannot answer: a FindUser by that key might
// have found another user whose id it is not.)
func (c *readCache) findUser(tenantID, key string) (graphprofile.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.found[lookupKey(tenantID, key)]
	if !ok {
		return graphprofile.User{}, false
	}
	u, ok := c.users[k]
	return stored.CopyUser(u), ok
}

// usersGeneration is taken before reading users from the database.
func (c *readCache) usersGeneration() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usersGen
}

// addUser caches u, read at generation gen, unless users were written
// since; lookup, when not empty, is the key FindUser found it by.
func (c *readCache) addUser(gen uint64, u graphprofile.User, lookup string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.usersGen {
		return
	}
	if len(c.users) >= maxCachedUsers || len(c.found) >= maxCachedUsers {
		c.clearUsersLocked()
	}
	c.users[u.Key()] = stored.CopyUser(u)
	if lookup != "" {
		c.found[lookupKey(u.TenantID, lookup)] = u.Key()
	}
}

// dropUsers forgets every cached user: called after any write of users
// (they are rare: a first sign-in, the directory API, an import).
func (c *readCache) dropUsers() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.usersGen++
	c.clearUsersLocked()
}

func (c *readCache) clearUsersLocked() {
	clear(c.users)
	clear(c.found)
}

// profile returns the cached positions of owner, as a slice of its own.
func (c *readCache) profile(owner graphprofile.UserKey) ([]graphprofile.WorkPosition, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.profiles[owner]
	if !ok || !p.cached {
		return nil, false
	}
	return slices.Clone(p.list), true
}

// profileGeneration is taken before reading owner's positions from the database.
func (c *readCache) profileGeneration(owner graphprofile.UserKey) (*cachedProfile, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.profiles[owner]
	if !ok {
		if len(c.profiles) >= maxCachedUsers {
			c.evictLocked(owner, 0)
		}
		p = &cachedProfile{}
		c.profiles[owner] = p
	}
	return p, p.gen
}

// evictLocked forgets arbitrary profiles other than keep (Go's map order
// is random: a fair choice) until there is room for more positions and one
// more profile.
func (c *readCache) evictLocked(keep graphprofile.UserKey, more int) {
	for key, other := range c.profiles {
		if c.positions+more <= maxCachedPositions && len(c.profiles) < maxCachedUsers {
			return
		}
		if key != keep {
			c.positions -= len(other.list)
			delete(c.profiles, key)
		}
	}
}

// addProfile caches owner's positions, read at (p, gen), unless the
// profile was written or evicted since.
func (c *readCache) addProfile(owner graphprofile.UserKey, p *cachedProfile, gen uint64, list []graphprofile.WorkPosition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.profiles[owner] != p || p.gen != gen || p.cached || len(list) > maxCachedPositions {
		return
	}
	c.evictLocked(owner, len(list))
	p.list, p.cached = slices.Clone(list), true
	c.positions += len(list)
}

// dropProfile forgets owner's positions: called after every write of them.
func (c *readCache) dropProfile(owner graphprofile.UserKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.profiles[owner]
	if !ok {
		return
	}
	p.gen++
	c.positions -= len(p.list)
	p.list, p.cached = nil, false
}

// changeProfile applies a committed change of position id of owner to the
// cache: p is its new value, nil when it was deleted. The writer calls it
// in commit order, so a cached profile stays exactly the database's; the
// generation moves, so a read that began before the change cannot put an
// older list back. A profile that grows past smallProfileLimit, or past
// the cache's room, is dropped instead (it is loaded again when read).
func (c *readCache) changeProfile(owner graphprofile.UserKey, id string, p graphprofile.WorkPosition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, ok := c.profiles[owner]
	if !ok {
		return
	}
	entry.gen++
	if !entry.cached {
		return
	}
	list := make([]graphprofile.WorkPosition, 0, len(entry.list)+1)
	for _, q := range entry.list {
		if q.ID() != id {
			list = append(list, q)
		}
	}
	if p != nil {
		i, _ := slices.BinarySearchFunc(list, p, comparePositions)
		list = slices.Insert(list, i, p)
	}
	c.positions += len(list) - len(entry.list)
	entry.list = list
	if len(list) > smallProfileLimit || c.positions > maxCachedPositions {
		c.positions -= len(list)
		entry.list, entry.cached = nil, false
	}
}
