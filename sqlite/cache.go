package sqlite

import (
	"container/list"
	"slices"
	"sync"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
)

// Bounds of the read cache, whatever the size of the database and of any
// one profile: at most 10,000 items taking at most 16 MiB decoded
// (itemSize: about three times their stored documents, ten times for a
// document of many empty strings and objects), 20,000 collections known (most
// with their generation only), 20,000 users taking at most 20 MiB
// (userSize). The least recently used go first.
const (
	maxCachedItems       = 10000
	maxCachedItemBytes   = 16 << 20
	maxCachedCollections = 20000
	maxCachedUsers       = 20000
	// maxCachedUserBytes bounds what the cached users take (userSize): a
	// user of the people directory takes about 1 KB, but one with every
	// property at its longest in four-byte characters about 25 KB, and
	// 20,000 of those held 500 MB.
	maxCachedUserBytes = 20 << 20
	// maxLookupsPerUser bounds the keys (an id, principal names in the
	// cases clients send) FindUser remembers for one user.
	maxLookupsPerUser = 4
	// wholeCollectionLimit is the most items a collection may hold to be
	// cached whole: a list of it is then read from memory. Of a bigger one
	// the first wholeCollectionLimit items are cached (its head: lists
	// start there, and most never go further), the rest is read from the
	// database in pages, and the items GetItem read are cached one by one.
	wholeCollectionLimit = 200
)

// CacheBytes is the most a Store's read cache holds, its items and users
// decoded: what a process keeps live, and its collector marks, with the
// cache full.
const CacheBytes = maxCachedItemBytes + maxCachedUserBytes

// readCache keeps what reads found: users, whole collections of profiles
// (of up to wholeCollectionLimit items), the heads of bigger ones and single
// items, so that reading
// them again needs no query and no decoding. It is correct because one
// process owns an SQLite file and every write goes through this store: the
// writer applies each committed change of items to the cache in commit
// order, before the write is acknowledged, and writes of users drop the
// users, so a caller never reads older data than it wrote. A read that ran
// against the database while a write committed must not put what it read
// into the cache: generations tell.
type readCache struct {
	mu sync.Mutex

	usersGen  uint64 // moves on every write of users
	users     map[graphprofile.UserKey]*cachedUser
	found     map[string]graphprofile.UserKey // FindUser's answers: tenant, NUL, key
	userLRU   list.List                       // of *cachedUser, the most recently used first
	userBytes int                             // the cached users' sizes, with their lookups'

	// profiles are the collections of each profile the cache knows, by the
	// collection's name.
	profiles    map[graphprofile.UserKey]map[string]*cachedCollection
	collections int       // in profiles
	lru         list.List // of *cachedCollection, the most recently used first
	items       int       // held by the collections, whole or one by one
	bytes       int       // their stored documents' bytes

	// What writes being committed change is "in flux" (enterFlux): from
	// just before their commit until the writer has brought the cache up
	// to date, the cache answers nothing of it and takes nothing of it
	// from reads, which go to the database, where the commit shows at
	// once. Else, between the commit and the cache's update, a read from
	// the database answered the new data and a later one from the cache
	// the old.
	profileFlux map[graphprofile.UserKey]int // profiles being written, and by how many writes
	usersFlux   int                          // writes of users being committed
	allFlux     int                          // writes of everything (a load, a reset) being committed
}

// fluxScope is what a write changes, as the cache keeps it in flux while
// the write is committed: items of the profile of owner (when profile),
// users, or everything.
type fluxScope struct {
	owner   graphprofile.UserKey
	profile bool
	users   bool
	all     bool
}

// profileFluxOf is the scope of a write of owner's items.
func profileFluxOf(owner graphprofile.UserKey) fluxScope {
	return fluxScope{owner: owner, profile: true}
}

// empty reports whether the write changes nothing the cache holds.
func (f fluxScope) empty() bool { return !f.profile && !f.users && !f.all }

// enterFlux puts what the writes of scopes change in flux: run by the
// writer just before the commit of those writes, under one lock for all.
func (c *readCache) enterFlux(scopes []fluxScope) {
	if len(scopes) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range scopes {
		c.moveFluxLocked(f, 1)
	}
}

// leaveFlux ends enterFlux(scopes): run by the writer once the commit has
// ended and, when it succeeded, the cache is brought up to date. A write
// of users leaves no user cached (they are rare: a first sign-in, the
// directory API, an import).
func (c *readCache) leaveFlux(scopes []fluxScope) {
	if len(scopes) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range scopes {
		c.moveFluxLocked(f, -1)
		if f.users || f.all {
			c.clearUsersLocked()
		}
	}
}

// moveFluxLocked counts the writes of f in flux up (by 1) or down (by
// -1), and moves the generations of what they change, so that a read that
// took one before cannot put what it read into the cache after.
func (c *readCache) moveFluxLocked(f fluxScope, by int) {
	if f.all {
		c.allFlux += by
		for _, collections := range c.profiles {
			for _, e := range collections {
				e.gen++
			}
		}
	}
	if f.users || f.all {
		c.usersFlux += by
		c.usersGen++
	}
	if f.profile {
		if c.profileFlux == nil {
			c.profileFlux = make(map[graphprofile.UserKey]int)
		}
		if c.profileFlux[f.owner] += by; c.profileFlux[f.owner] == 0 {
			delete(c.profileFlux, f.owner)
		}
		for _, e := range c.profiles[f.owner] {
			e.gen++
		}
	}
}

// profileInFluxLocked reports whether a write of owner's profile is being
// committed.
func (c *readCache) profileInFluxLocked(owner graphprofile.UserKey) bool {
	return c.allFlux > 0 || c.profileFlux[owner] > 0
}

// usersInFluxLocked reports whether a write of users is being committed.
func (c *readCache) usersInFluxLocked() bool { return c.allFlux > 0 || c.usersFlux > 0 }

// cachedUser is a user and the FindUser keys that found it.
type cachedUser struct {
	user    graphprofile.User
	lookups []string
	elem    *list.Element
	size    int // userSize of user, and its lookups' bytes
}

// userSize is about what a cached user takes in memory: its strings and
// its details.
func userSize(u graphprofile.User) int {
	return 256 + len(u.TenantID) + len(u.ID) + len(u.UserPrincipalName) + len(u.DisplayName) +
		len(u.Mail) + len(u.MailNickname) + len(u.GivenName) + len(u.Surname) + len(u.JobTitle) +
		valueSize(map[string]any(u.Details))
}

// valueSize is about what a decoded JSON value takes in memory, held in
// an interface (a map's value, an array's element): a string its header
// and bytes, an array its elements' interfaces, a map its header and at
// least a group of 8 slots (a key's string header and a value's
// interface each), another value 16 bytes.
func valueSize(v any) int {
	switch v := v.(type) {
	case string:
		return 16 + len(v)
	case []any:
		n := 24
		for _, e := range v {
			n += 16 + valueSize(e)
		}
		return n
	case []string:
		n := 24
		for _, e := range v {
			n += 16 + len(e)
		}
		return n
	case map[string]any:
		if len(v) == 0 {
			return 48
		}
		n := 48 + 40*max(len(v), 8)
		for k, e := range v {
			n += len(k) + valueSize(e)
		}
		return n
	case graphprofile.Object:
		return valueSize(map[string]any(v))
	case graphprofile.Item:
		return valueSize(map[string]any(v))
	}
	return 16
}

// cachedCollection is what the cache holds of one collection of one
// profile: the whole collection, or its head and some of its items, or
// nothing but its generation.
type cachedCollection struct {
	owner graphprofile.UserKey
	kind  string
	gen   uint64 // moves on every change of the collection
	// whole, when complete, is the collection in list order. It is never
	// changed in place (a change makes a new slice), so a reader may keep
	// it after the lock is released.
	whole    []cachedItem
	complete bool
	// head, when not complete, is the collection's first items in list
	// order (at most wholeCollectionLimit; nil: not cached), never changed
	// in place either: a scan from before its last item reads it from
	// memory and the rest from the database after its last item.
	head []cachedItem
	// single are items cached one by one (when not complete).
	single       map[string]cachedItem
	items, bytes int
	elem         *list.Element
}

// cachedItem is an item, its place in the list order and its size
// (itemSize).
type cachedItem struct {
	item     graphprofile.Item
	position graphprofile.ItemPosition
	size     int
}

// newCachedItem is the cache's entry for it at position, read from or
// written as a stored document of docSize bytes.
func newCachedItem(it graphprofile.Item, position graphprofile.ItemPosition, docSize int) cachedItem {
	return cachedItem{item: it, position: position, size: itemSize(it, docSize)}
}

// itemSize is what a cached item is counted for against
// maxCachedItemBytes: about what it takes in memory decoded, and no less
// than its stored document. Decoded, an item takes about three times its
// document, but one of many empty strings or objects ten times or more
// (an interface and a map for each "{}"): counted by their documents,
// 10,000 such items held 120 MB.
func itemSize(it graphprofile.Item, docSize int) int {
	return max(docSize, valueSize(map[string]any(it)))
}

func newReadCache() *readCache {
	return &readCache{
		users:    make(map[graphprofile.UserKey]*cachedUser),
		found:    make(map[string]graphprofile.UserKey),
		profiles: make(map[graphprofile.UserKey]map[string]*cachedCollection),
	}
}

func lookupKey(tenantID, key string) string { return tenantID + "\x00" + key }

// user returns the cached user key.
func (c *readCache) user(key graphprofile.UserKey) (graphprofile.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[key]
	if !ok || c.usersInFluxLocked() {
		return graphprofile.User{}, false
	}
	c.userLRU.MoveToFront(e.elem)
	return stored.CopyUser(e.user), true
}

// findUser returns what Store.FindUser answered for the same key before.
// (A user cached by id alone cannot answer: a FindUser by that key might
// have found another user whose id it is not.)
func (c *readCache) findUser(tenantID, key string) (graphprofile.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.found[lookupKey(tenantID, key)]
	if !ok || c.usersInFluxLocked() {
		return graphprofile.User{}, false
	}
	e := c.users[k]
	c.userLRU.MoveToFront(e.elem)
	return stored.CopyUser(e.user), true
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
	if gen != c.usersGen || c.usersInFluxLocked() {
		return
	}
	size := userSize(u)
	if size > maxCachedUserBytes/64 {
		return // a few such users would push out everything else
	}
	e, ok := c.users[u.Key()]
	if !ok {
		e = &cachedUser{}
		e.elem = c.userLRU.PushFront(e)
		c.users[u.Key()] = e
	} else {
		c.userLRU.MoveToFront(e.elem)
	}
	e.user = stored.CopyUser(u)
	if lookup != "" {
		k := lookupKey(u.TenantID, lookup)
		if _, known := c.found[k]; !known {
			if len(e.lookups) == maxLookupsPerUser {
				delete(c.found, e.lookups[0])
				e.lookups = slices.Delete(e.lookups, 0, 1)
			}
			e.lookups = append(e.lookups, k)
			c.found[k] = u.Key()
		}
	}
	for _, k := range e.lookups {
		size += 64 + len(k)
	}
	c.userBytes += size - e.size
	e.size = size
	for len(c.users) > maxCachedUsers || c.userBytes > maxCachedUserBytes {
		c.forgetUserLocked(c.userLRU.Back().Value.(*cachedUser))
	}
}

func (c *readCache) forgetUserLocked(e *cachedUser) {
	for _, k := range e.lookups {
		delete(c.found, k)
	}
	c.userLRU.Remove(e.elem)
	delete(c.users, e.user.Key())
	c.userBytes -= e.size
}

// dropUsers forgets every cached user.
func (c *readCache) dropUsers() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearUsersLocked()
}

func (c *readCache) clearUsersLocked() {
	c.usersGen++
	clear(c.users)
	clear(c.found)
	c.userLRU.Init()
	c.userBytes = 0
}

// first returns what the cache holds of the start of collection kind of
// owner: the whole collection (complete) or its head; ok is false when it
// holds neither.
func (c *readCache) first(owner graphprofile.UserKey, kind string) (list []cachedItem, complete, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.profiles[owner][kind]
	switch {
	case !ok || c.profileInFluxLocked(owner):
		return nil, false, false
	case e.complete:
		c.lru.MoveToFront(e.elem)
		return e.whole, true, true
	case e.head != nil:
		c.lru.MoveToFront(e.elem)
		return e.head, false, true
	}
	return nil, false, false
}

// item returns item id of collection kind of owner when the cache knows
// it: known says whether the cache can answer, found whether there is
// such an item (a collection cached whole knows which items it lacks).
func (c *readCache) item(owner graphprofile.UserKey, kind, id string) (it graphprofile.Item, found, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.profiles[owner][kind]
	if !ok || c.profileInFluxLocked(owner) {
		return nil, false, false
	}
	if e.complete {
		c.lru.MoveToFront(e.elem)
		for _, ci := range e.whole {
			if ci.position.ID == id { // the item's id, without a lookup in its map
				return ci.item, true, true
			}
		}
		return nil, false, true
	}
	if ci, ok := e.single[id]; ok {
		c.lru.MoveToFront(e.elem)
		return ci.item, true, true
	}
	for _, ci := range e.head {
		if ci.position.ID == id {
			c.lru.MoveToFront(e.elem)
			return ci.item, true, true
		}
	}
	return nil, false, false
}

// collection returns the cache's entry of collection kind of owner, made
// when there is none, and its generation: taken before reading from the
// database what is to be cached (addWhole, addItem).
func (c *readCache) collection(owner graphprofile.UserKey, kind string) (*cachedCollection, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	collections, ok := c.profiles[owner]
	if !ok {
		collections = make(map[string]*cachedCollection, 1)
		c.profiles[owner] = collections
	}
	e, ok := collections[kind]
	if !ok {
		e = &cachedCollection{owner: owner, kind: kind}
		e.elem = c.lru.PushFront(e)
		collections[kind] = e
		c.collections++
		c.evictLocked(e, "")
	} else {
		c.lru.MoveToFront(e.elem)
	}
	return e, e.gen
}

// currentLocked reports whether e, taken at generation gen, is still the
// cache's entry for its collection and unchanged since.
func (c *readCache) currentLocked(e *cachedCollection, gen uint64) bool {
	return c.profiles[e.owner][e.kind] == e && e.gen == gen && !c.profileInFluxLocked(e.owner)
}

// addWhole caches list, the whole collection of e in list order read at
// generation gen, unless the collection changed or was evicted since, or
// is too big to be cached whole.
func (c *readCache) addWhole(e *cachedCollection, gen uint64, list []cachedItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.currentLocked(e, gen) || e.complete || len(list) > wholeCollectionLimit {
		return
	}
	bytes := 0
	for _, ci := range list {
		bytes += ci.size
	}
	if bytes > maxCachedItemBytes/4 {
		return // a few big items would push out everything else
	}
	c.setLocked(e, list)
	c.evictLocked(e, "")
}

// addHead caches head, the first items of the collection of e in list
// order read at generation gen (more follow), unless the collection
// changed or was evicted since.
func (c *readCache) addHead(e *cachedCollection, gen uint64, head []cachedItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.currentLocked(e, gen) || e.complete || len(head) == 0 || len(head) > wholeCollectionLimit {
		return
	}
	bytes := 0
	for _, ci := range head {
		bytes += ci.size
	}
	if bytes > maxCachedItemBytes/4 {
		return
	}
	c.setHeadLocked(e, head)
	c.evictLocked(e, "")
}

// setHeadLocked makes e (not complete) hold head as its first items,
// beside its items cached alone, and keeps the totals.
func (c *readCache) setHeadLocked(e *cachedCollection, head []cachedItem) {
	for _, ci := range e.head {
		e.items--
		e.bytes -= ci.size
		c.items--
		c.bytes -= ci.size
	}
	e.head = head
	for _, ci := range head {
		e.items++
		e.bytes += ci.size
		c.items++
		c.bytes += ci.size
	}
}

// addItem caches ci, an item of e read at generation gen, unless the
// collection changed or was evicted since.
func (c *readCache) addItem(e *cachedCollection, gen uint64, ci cachedItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.currentLocked(e, gen) || e.complete || ci.size > maxCachedItemBytes/4 {
		return
	}
	c.putSingleLocked(e, ci)
	c.evictLocked(e, ci.item.ID())
}

// setLocked makes e hold whole (complete, when not nil) and nothing else,
// and keeps the cache's totals.
func (c *readCache) setLocked(e *cachedCollection, whole []cachedItem) {
	c.items -= e.items
	c.bytes -= e.bytes
	e.whole, e.complete, e.single, e.head = whole, whole != nil, nil, nil
	e.items, e.bytes = len(whole), 0
	for _, ci := range whole {
		e.bytes += ci.size
	}
	c.items += e.items
	c.bytes += e.bytes
}

// putSingleLocked caches ci alone in e (which is not complete), in place of
// what e held of it.
func (c *readCache) putSingleLocked(e *cachedCollection, ci cachedItem) {
	c.removeSingleLocked(e, ci.item.ID())
	if e.single == nil {
		e.single = make(map[string]cachedItem, 1)
	}
	e.single[ci.item.ID()] = ci
	e.items++
	e.bytes += ci.size
	c.items++
	c.bytes += ci.size
}

// removeSingleLocked forgets item id cached alone in e.
func (c *readCache) removeSingleLocked(e *cachedCollection, id string) {
	ci, ok := e.single[id]
	if !ok {
		return
	}
	delete(e.single, id)
	e.items--
	e.bytes -= ci.size
	c.items--
	c.bytes -= ci.size
}

// overLocked reports whether the cache is past its bounds.
func (c *readCache) overLocked() bool {
	return c.items > maxCachedItems || c.bytes > maxCachedItemBytes || c.collections > maxCachedCollections
}

// evictLocked forgets the least recently used collections other than keep
// until the cache is within its bounds; when keep alone is past them (one
// profile's items read one by one), its items other than keepID go too, in
// no order.
func (c *readCache) evictLocked(keep *cachedCollection, keepID string) {
	for c.overLocked() {
		back := c.lru.Back()
		if back != nil && back.Value == keep {
			back = back.Prev()
		}
		if back == nil {
			break
		}
		c.removeLocked(back.Value.(*cachedCollection))
	}
	for id := range keep.single {
		if !c.overLocked() {
			return
		}
		if id != keepID {
			c.removeSingleLocked(keep, id)
		}
	}
	if c.overLocked() && keep.head != nil {
		c.setHeadLocked(keep, nil)
	}
}

// removeLocked forgets e: a read that took it finds it no longer current.
func (c *readCache) removeLocked(e *cachedCollection) {
	c.setLocked(e, nil)
	c.lru.Remove(e.elem)
	collections := c.profiles[e.owner]
	delete(collections, e.kind)
	if len(collections) == 0 {
		delete(c.profiles, e.owner)
	}
	c.collections--
}

// dropProfile forgets owner's items of every collection: called after a
// write of a whole profile (DeleteProfile, DeleteUser).
func (c *readCache) dropProfile(owner graphprofile.UserKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.profiles[owner] {
		c.removeLocked(e)
	}
}

// changeItem applies a committed change of item id of collection kind of
// owner to the cache: ci is its new value, ci.item nil when it was
// deleted. The writer calls it in commit order, so a collection cached
// whole stays exactly the database's and an item cached alone its row's;
// the generation moves, so a read that began before the change cannot put
// older data back. A collection cached whole that grows past
// wholeCollectionLimit is dropped (it is read in pages from then on); a new
// item of a collection not cached whole is not cached (GetItem caches it
// when it is read).
func (c *readCache) changeItem(owner graphprofile.UserKey, kind, id string, ci cachedItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.profiles[owner][kind]
	if !ok {
		return
	}
	e.gen++
	switch {
	case e.complete && ci.item != nil && len(e.whole) < wholeCollectionLimit && e.bytes+ci.size <= maxCachedItemBytes/4 &&
		(len(e.whole) == 0 || comparePositions(ci.position, e.whole[len(e.whole)-1].position) > 0):
		// A new item at the end, as most creates are: appended, in the
		// spare capacity when there is some. That leaves every slice a
		// reader took as it was (they end before it: only appends share
		// an array, every other change makes a new one), and spares each
		// create a copy of the whole collection.
		c.setLocked(e, append(e.whole, ci))
	case e.complete:
		whole := make([]cachedItem, 0, len(e.whole)+1)
		for _, q := range e.whole {
			if q.position.ID != id {
				whole = append(whole, q)
			}
		}
		if ci.item != nil {
			i, _ := slices.BinarySearchFunc(whole, ci.position, func(q cachedItem, p graphprofile.ItemPosition) int {
				return comparePositions(q.position, p)
			})
			whole = slices.Insert(whole, i, ci)
		}
		if head := headWithin(whole); len(head) < len(whole) {
			// Too big to be held whole from now on (in items or in
			// bytes, as addWhole would not cache it): its head stays.
			c.setLocked(e, nil)
			c.setHeadLocked(e, head)
		} else {
			c.setLocked(e, whole)
		}
	default:
		if e.head != nil {
			c.setHeadLocked(e, headWithin(changedHead(e.head, id, ci)))
		}
		if _, cached := e.single[id]; cached {
			if ci.item == nil || ci.size > maxCachedItemBytes/4 {
				c.removeSingleLocked(e, id) // deleted, or too big to cache (addItem)
			} else {
				c.putSingleLocked(e, ci)
			}
		}
	}
	// Every branch may have grown the cache, the head's too (an item
	// inside it is added, up to wholeCollectionLimit).
	c.evictLocked(e, id)
}

// headWithin returns the first items of list that the cache keeps of a
// collection (as addWhole and readHead keep them): at most
// wholeCollectionLimit, taking at most maxCachedItemBytes/4; nil when
// not even the first fits.
func headWithin(list []cachedItem) []cachedItem {
	bytes := 0
	for i, ci := range list {
		if bytes += ci.size; i == wholeCollectionLimit || bytes > maxCachedItemBytes/4 {
			list = list[:i]
			break
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list
}

// changedHead returns head, the first items of a collection, after the
// change of item id to ci (ci.item nil: deleted): still the collection's
// first items. An item after the head's last (a new one, mostly) leaves it
// as it is; one inside it goes in its place (the last item falling off
// past wholeCollectionLimit).
func changedHead(head []cachedItem, id string, ci cachedItem) []cachedItem {
	last := head[len(head)-1].position
	at := slices.IndexFunc(head, func(q cachedItem) bool { return q.position.ID == id })
	inside := ci.item != nil && comparePositions(ci.position, last) <= 0
	if at < 0 && !inside {
		return head
	}
	out := make([]cachedItem, 0, len(head)+1)
	for _, q := range head {
		if q.position.ID != id {
			out = append(out, q)
		}
	}
	if inside {
		i, _ := slices.BinarySearchFunc(out, ci.position, func(q cachedItem, p graphprofile.ItemPosition) int {
			return comparePositions(q.position, p)
		})
		out = slices.Insert(out, i, ci)
		if len(out) > wholeCollectionLimit {
			out = out[:wholeCollectionLimit]
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
