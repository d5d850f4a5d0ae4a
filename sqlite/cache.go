package sqlite

import (
	"slices"
	"sync"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
)

// Bounds of the read cache, whatever the size of the database: about 30 MB
// of decoded items and 10 MB of users at most (measured with
// scripts/bench-scale: the server's whole RSS stays under 150 MB with a
// million positions).
const (
	maxCachedItems = 10000
	maxCachedUsers = 20000
)

// readCache keeps the users and the lists of items (one per collection of
// a profile) that reads asked for, so that reading them again needs no query and no decoding. It is
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

	// profiles are the cached collections of each profile, by the
	// collection's name.
	profiles  map[graphprofile.UserKey]map[string]*cachedItems
	itemCount int // items held by profiles
}

// cachedItems is one collection of one user's profile, in list order, or
// only the collection's generation while nothing is cached.
type cachedItems struct {
	gen    uint64
	list   []graphprofile.Item
	cached bool
}

func newReadCache() *readCache {
	return &readCache{
		users:    make(map[graphprofile.UserKey]graphprofile.User),
		found:    make(map[string]graphprofile.UserKey),
		profiles: make(map[graphprofile.UserKey]map[string]*cachedItems),
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

// items returns the cached items of collection kind of owner, as a slice of
// its own.
func (c *readCache) items(owner graphprofile.UserKey, kind string) ([]graphprofile.Item, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.profiles[owner][kind]
	if !ok || !e.cached {
		return nil, false
	}
	return slices.Clone(e.list), true
}

// itemsGeneration is taken before reading owner's items of collection kind
// from the database.
func (c *readCache) itemsGeneration(owner graphprofile.UserKey, kind string) (*cachedItems, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	collections, ok := c.profiles[owner]
	if !ok {
		if len(c.profiles) >= maxCachedUsers {
			c.evictLocked(owner, 0)
		}
		collections = make(map[string]*cachedItems, 1)
		c.profiles[owner] = collections
	}
	e, ok := collections[kind]
	if !ok {
		e = &cachedItems{}
		collections[kind] = e
	}
	return e, e.gen
}

// evictLocked forgets the cached collections of arbitrary profiles other
// than keep (Go's map order is random: a fair choice) until there is room
// for more items and one more profile.
func (c *readCache) evictLocked(keep graphprofile.UserKey, more int) {
	for key, collections := range c.profiles {
		if c.itemCount+more <= maxCachedItems && len(c.profiles) < maxCachedUsers {
			return
		}
		if key != keep {
			for _, e := range collections {
				c.itemCount -= len(e.list)
			}
			delete(c.profiles, key)
		}
	}
}

// addItems caches owner's items of collection kind, read at (e, gen),
// unless the collection was written or evicted since.
func (c *readCache) addItems(owner graphprofile.UserKey, kind string, e *cachedItems, gen uint64, list []graphprofile.Item) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.profiles[owner][kind] != e || e.gen != gen || e.cached || len(list) > maxCachedItems {
		return
	}
	c.evictLocked(owner, len(list))
	e.list, e.cached = slices.Clone(list), true
	c.itemCount += len(list)
}

// dropProfile forgets owner's items of every collection: called after a
// write of a whole profile (DeleteProfile, DeleteUser).
func (c *readCache) dropProfile(owner graphprofile.UserKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.profiles[owner] {
		e.gen++
		c.itemCount -= len(e.list)
		e.list, e.cached = nil, false
	}
}

// changeItem applies a committed change of item id of collection kind of
// owner to the cache: it is its new value, nil when it was deleted. The
// writer calls it in commit order, so a cached collection stays exactly the
// database's; the generation moves, so a read that began before the change
// cannot put an older list back. A collection that grows past
// smallCollectionLimit, or past the cache's room, is dropped instead (it is
// loaded again when read).
func (c *readCache) changeItem(owner graphprofile.UserKey, kind, id string, it graphprofile.Item) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.profiles[owner][kind]
	if !ok {
		return
	}
	e.gen++
	if !e.cached {
		return
	}
	list := make([]graphprofile.Item, 0, len(e.list)+1)
	for _, q := range e.list {
		if q.ID() != id {
			list = append(list, q)
		}
	}
	if it != nil {
		i, _ := slices.BinarySearchFunc(list, it, compareItems)
		list = slices.Insert(list, i, it)
	}
	c.itemCount += len(list) - len(e.list)
	e.list = list
	if len(list) > smallCollectionLimit || c.itemCount > maxCachedItems {
		c.itemCount -= len(list)
		e.list, e.cached = nil, false
	}
}
