package sqlite

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/memtest"
	"github.com/graphprofile/graphprofile/storetest"
)

// workPositions is the profile's positions collection.
var workPositions, _ = graphprofile.FindCollection("positions")

// TestCacheReadYourWrites hammers one profile with writers and readers at
// once: every writer must read back its own acknowledged change at once
// (from the cache or the database, it cannot tell), and at the end the
// cached profile must equal the database's. A small collection is cached
// whole; a big one (past wholeCollectionLimit) item by item.
func TestCacheReadYourWrites(t *testing.T) {
	for _, size := range []int{5, wholeCollectionLimit + 50} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { testCacheReadYourWrites(t, size) })
	}
}

func testCacheReadYourWrites(t *testing.T, size int) {
	s := openTemp(t)
	ctx := t.Context()
	owner, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range size {
		p := graphprofile.Item{"id": fmt.Sprintf("p%d", i), "createdDateTime": base.Add(time.Duration(i) * time.Second),
			"lastModifiedDateTime": base, "categories": []any{}}
		if err := s.CreateItem(ctx, owner.Key(), workPositions, p, 0); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	stop := make(chan struct{})
	for range 4 { // readers keep filling the cache
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := graphprofile.AllItems(ctx, s, owner.Key(), workPositions); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 8 {
		writers.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("p%d", (w+i)%5)
				mine := fmt.Sprintf("w%d-%d", w, i)
				_, err := s.UpdateItem(ctx, owner.Key(), workPositions, id, func(cur graphprofile.Item) (graphprofile.Item, error) {
					next := graphprofile.Item{}
					for k, v := range cur {
						next[k] = v
					}
					next["categories"] = append(slices.Clone(cur["categories"].([]any)), mine)
					return next, nil
				})
				if err != nil {
					errs <- err
					return
				}
				got, err := s.GetItem(ctx, owner.Key(), workPositions, id)
				if err != nil || !slices.Contains(got["categories"].([]any), any(mine)) {
					errs <- fmt.Errorf("GetPosition right after the update lacks %s: %v %v", mine, got["categories"], err)
					return
				}
				list, err := graphprofile.AllItems(ctx, s, owner.Key(), workPositions)
				found := false
				for _, p := range list {
					found = found || (p.ID() == id && slices.Contains(p["categories"].([]any), any(mine)))
				}
				if err != nil || !found {
					errs <- fmt.Errorf("ListPositions right after the update lacks %s: %v", mine, err)
					return
				}
				if i%5 == 0 { // creates and deletes too
					extra := graphprofile.Item{"id": mine, "createdDateTime": base.Add(time.Hour), "lastModifiedDateTime": base}
					if err := s.CreateItem(ctx, owner.Key(), workPositions, extra, 0); err != nil {
						errs <- err
						return
					}
					if _, err := s.GetItem(ctx, owner.Key(), workPositions, mine); err != nil {
						errs <- fmt.Errorf("GetPosition right after the create: %v", err)
						return
					}
					if err := s.DeleteItem(ctx, owner.Key(), workPositions, mine, nil); err != nil {
						errs <- err
						return
					}
					if _, err := s.GetItem(ctx, owner.Key(), workPositions, mine); err == nil {
						errs <- fmt.Errorf("GetPosition right after the delete found %s", mine)
						return
					}
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The cache holds exactly what the database holds.
	cached, err := graphprofile.AllItems(ctx, s, owner.Key(), workPositions)
	if err != nil {
		t.Fatal(err)
	}
	// What the database holds, read past the cache.
	rows, err := s.rdb.QueryContext(ctx, `SELECT document FROM items WHERE tenant_id = ? AND user_id = ? AND kind = 'positions' ORDER BY created_at, id`, owner.TenantID, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	var stored []graphprofile.Item
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			t.Fatal(err)
		}
		p, err := store.DecodeItem(workPositions, doc)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, p)
	}
	rows.Close()
	if len(cached) != len(stored) {
		t.Fatalf("cache has %d positions, database %d", len(cached), len(stored))
	}
	total := 0
	for i := range stored {
		a, b := cached[i]["categories"].([]any), stored[i]["categories"].([]any)
		if cached[i].ID() != stored[i].ID() || !slices.Equal(a, b) {
			t.Errorf("position %d: cache %s %v, database %s %v", i, cached[i].ID(), a, stored[i].ID(), b)
		}
		total += len(b)
	}
	if total != 8*25 {
		t.Errorf("%d categories in all, want %d: updates were lost", total, 8*25)
	}
}

// TestOneProcessOwnsTheDatabase: a second Open of an open database is
// refused (its cache would not see the first one's writes); after Close it
// works.
func TestOneProcessOwnsTheDatabase(t *testing.T) {
	s := openTemp(t)
	if _, err := Open(t.Context(), s.path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(t.Context(), s.path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}

// cachedPosition is a cache entry of a position of size bytes.
func cachedPosition(id string, at int64, size int) cachedItem {
	it := graphprofile.Item{"id": id, "createdDateTime": time.Unix(0, at).UTC()}
	return cachedItem{item: it, position: graphprofile.ItemPosition{Created: at, ID: id}, size: size}
}

// wantWithinBounds checks the cache's totals against its bounds and
// against what its collections hold.
func wantWithinBounds(t *testing.T, c *readCache) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	items, bytes, collections := 0, 0, 0
	for _, profile := range c.profiles {
		for _, e := range profile {
			collections++
			items += len(e.whole) + len(e.head) + len(e.single)
			for _, ci := range e.whole {
				bytes += ci.size
			}
			for _, ci := range e.head {
				bytes += ci.size
			}
			for _, ci := range e.single {
				bytes += ci.size
			}
		}
	}
	if items != c.items || bytes != c.bytes || collections != c.collections || collections != c.lru.Len() {
		t.Errorf("totals %d items, %d bytes, %d collections (%d in the LRU list); counted %d, %d, %d",
			c.items, c.bytes, c.collections, c.lru.Len(), items, bytes, collections)
	}
	if items > maxCachedItems || bytes > maxCachedItemBytes || collections > maxCachedCollections {
		t.Errorf("the cache holds %d items of %d bytes in %d collections, over its bounds (%d, %d, %d)",
			items, bytes, collections, maxCachedItems, maxCachedItemBytes, maxCachedCollections)
	}
	if len(c.users) > maxCachedUsers || len(c.users) != c.userLRU.Len() {
		t.Errorf("%d users cached (%d in the LRU list), at most %d", len(c.users), c.userLRU.Len(), maxCachedUsers)
	}
	userBytes := 0
	for _, e := range c.users {
		userBytes += e.size
	}
	if userBytes != c.userBytes || userBytes > maxCachedUserBytes {
		t.Errorf("the users cached take %d bytes (%d counted), at most %d", userBytes, c.userBytes, maxCachedUserBytes)
	}
	for k, key := range c.found {
		if _, ok := c.users[key]; !ok {
			t.Errorf("FindUser key %q names a user no longer cached", k)
		}
	}
}

// TestCacheBounds: whatever is read, and however big one profile is, the
// cache stays within its bounds, and what was used last stays.
func TestCacheBounds(t *testing.T) {
	t.Run("ItemsOfOneProfile", func(t *testing.T) {
		// One huge collection read item by item: the items read last stay.
		c := newReadCache()
		owner := graphprofile.UserKey{TenantID: tenant, UserID: "big"}
		for i := range 3 * maxCachedItems {
			e, gen := c.collection(owner, "positions")
			c.addItem(e, gen, cachedPosition(fmt.Sprint("p", i), int64(i), 500))
		}
		wantWithinBounds(t, c)
		if _, found, _ := c.item(owner, "positions", fmt.Sprint("p", 3*maxCachedItems-1)); !found {
			t.Error("the item read last is not cached")
		}
	})
	t.Run("Collections", func(t *testing.T) {
		// Many profiles, each read whole; one read again and again stays.
		c := newReadCache()
		hot := graphprofile.UserKey{TenantID: tenant, UserID: "hot"}
		for i := range 2 * maxCachedCollections {
			for _, owner := range []graphprofile.UserKey{{TenantID: tenant, UserID: fmt.Sprint("u", i)}, hot} {
				e, gen := c.collection(owner, "skills")
				if _, _, ok := c.first(owner, "skills"); !ok {
					c.addWhole(e, gen, []cachedItem{cachedPosition("a", 1, 100), cachedPosition("b", 2, 100)})
				}
			}
		}
		wantWithinBounds(t, c)
		if _, complete, ok := c.first(hot, "skills"); !ok || !complete {
			t.Error("the collection read all along was evicted")
		}
	})
	t.Run("Bytes", func(t *testing.T) {
		// Big items: the bytes bound holds before the items bound, and an
		// item or collection too big for a fair share is not cached.
		c := newReadCache()
		for i := range 200 {
			owner := graphprofile.UserKey{TenantID: tenant, UserID: fmt.Sprint("u", i)}
			e, gen := c.collection(owner, "positions")
			c.addItem(e, gen, cachedPosition("p", 1, 512<<10))
		}
		wantWithinBounds(t, c)
		owner := graphprofile.UserKey{TenantID: tenant, UserID: "huge"}
		e, gen := c.collection(owner, "positions")
		c.addItem(e, gen, cachedPosition("p", 1, maxCachedItemBytes/4+1))
		if _, found, _ := c.item(owner, "positions", "p"); found {
			t.Error("an item of a quarter of the cache was cached")
		}
		e, gen = c.collection(owner, "skills")
		whole := make([]cachedItem, wholeCollectionLimit)
		for i := range whole {
			whole[i] = cachedPosition(fmt.Sprintf("s%03d", i), int64(i), 100<<10)
		}
		c.addWhole(e, gen, whole)
		if _, _, ok := c.first(owner, "skills"); ok {
			t.Error("a collection of 20 MB was cached whole")
		}
		wantWithinBounds(t, c)
	})
	t.Run("Users", func(t *testing.T) {
		c := newReadCache()
		for i := range 2 * maxCachedUsers {
			u := graphprofile.User{TenantID: tenant, ID: fmt.Sprint("u", i), UserPrincipalName: fmt.Sprint("u", i, "@contoso.com")}
			for _, lookup := range []string{u.ID, u.UserPrincipalName, "U" + u.UserPrincipalName, "x" + u.ID, "y" + u.ID} {
				c.addUser(c.usersGeneration(), u, lookup)
			}
			c.user(graphprofile.UserKey{TenantID: tenant, UserID: "u0"}) // used all along
		}
		wantWithinBounds(t, c)
		if _, ok := c.user(graphprofile.UserKey{TenantID: tenant, UserID: "u0"}); !ok {
			t.Error("the user read all along was evicted")
		}
		if n := len(c.users[graphprofile.UserKey{TenantID: tenant, UserID: "u0"}].lookups); n > maxLookupsPerUser {
			t.Errorf("%d FindUser keys of one user, at most %d", n, maxLookupsPerUser)
		}
	})
}

// TestCacheBigCollection: a collection past wholeCollectionLimit is never
// cached whole: its first wholeCollectionLimit items are (its head), which
// writes keep exact, and the rest is listed from the database; a small
// collection that grows past the limit keeps its head.
func TestCacheBigCollection(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	owner, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	key := owner.Key()
	for i := range wholeCollectionLimit {
		if err := s.CreateItem(ctx, key, workPositions, storetest.Position(fmt.Sprintf("p%03d", i), t0.Add(time.Duration(i)*time.Second)), 0); err != nil {
			t.Fatal(err)
		}
	}
	cachedItems := func() int {
		s.cache.mu.Lock()
		defer s.cache.mu.Unlock()
		return s.cache.items
	}
	if _, err := graphprofile.AllItems(ctx, s, key, workPositions); err != nil {
		t.Fatal(err)
	}
	if _, complete, _ := s.cache.first(key, workPositions.Name); !complete || cachedItems() != wholeCollectionLimit {
		t.Fatalf("a collection of %d items is not cached whole after a list", wholeCollectionLimit)
	}
	// One more: the collection is too big to be cached whole.
	if err := s.CreateItem(ctx, key, workPositions, storetest.Position("p200", t0.Add(time.Hour)), 0); err != nil {
		t.Fatal(err)
	}
	head, complete, ok := s.cache.first(key, workPositions.Name)
	if !ok || complete || len(head) != wholeCollectionLimit || head[len(head)-1].position.ID != "p199" || cachedItems() != wholeCollectionLimit {
		t.Errorf("a collection of %d items: cached whole %v, a head of %d items, %d items cached; want its first %d as its head", wholeCollectionLimit+1, complete, len(head), cachedItems(), wholeCollectionLimit)
	}
	list, err := graphprofile.AllItems(ctx, s, key, workPositions)
	if err != nil || len(list) != wholeCollectionLimit+1 || list[len(list)-1].ID() != "p200" {
		t.Fatalf("the list after the create: %d items, %v", len(list), err)
	}
	if cachedItems() != wholeCollectionLimit {
		t.Errorf("listing a big collection left %d items cached, want its head of %d", cachedItems(), wholeCollectionLimit)
	}
	// An item created before the head's last goes into it (the last falls
	// off); one after it leaves it be.
	if err := s.CreateItem(ctx, key, workPositions, storetest.Position("p000a", t0.Add(time.Second/2)), 0); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := s.cache.first(key, workPositions.Name); len(head) != wholeCollectionLimit || head[1].position.ID != "p000a" || head[len(head)-1].position.ID != "p198" {
		t.Errorf("the head after an item created inside it: %d items, second %s, last %s", len(head), head[1].position.ID, head[len(head)-1].position.ID)
	}
	list, err = graphprofile.AllItems(ctx, s, key, workPositions)
	if err != nil || len(list) != wholeCollectionLimit+2 || list[1].ID() != "p000a" || list[len(list)-2].ID() != "p199" {
		t.Fatalf("the list after a create inside the head: %d items, %v", len(list), err)
	}
	// A scan from inside the head goes on in the database after it.
	var after []string
	from := graphprofile.ItemPosition{Created: t0.Add(198 * time.Second).UnixNano(), ID: "p198"}
	if err := s.ScanItems(ctx, key, workPositions, graphprofile.OldestFirst, &from, func(it graphprofile.Item) (bool, error) {
		after = append(after, it.ID())
		return true, nil
	}); err != nil || len(after) != 2 || after[0] != "p199" || after[1] != "p200" {
		t.Errorf("a scan after p198: %v, %v; want p199 (past the head) and p200", after, err)
	}

	// GetItem caches what it reads, and writes keep it exact.
	if _, err := s.GetItem(ctx, key, workPositions, "p100"); err != nil {
		t.Fatal(err)
	}
	if it, found, known := s.cache.item(key, workPositions.Name, "p100"); !known || !found || it.ID() != "p100" {
		t.Fatalf("GetItem did not cache p100")
	}
	if _, err := s.UpdateItem(ctx, key, workPositions, "p100", func(it graphprofile.Item) (graphprofile.Item, error) {
		next := graphprofile.Item{}
		for k, v := range it {
			next[k] = v
		}
		next["isCurrent"] = false
		return next, nil
	}); err != nil {
		t.Fatal(err)
	}
	if it, found, _ := s.cache.item(key, workPositions.Name, "p100"); !found || it["isCurrent"] != false {
		t.Errorf("the cached p100 after its update: %v", it["isCurrent"])
	}
	if err := s.DeleteItem(ctx, key, workPositions, "p100", nil); err != nil {
		t.Fatal(err)
	}
	if _, found, known := s.cache.item(key, workPositions.Name, "p100"); found || known {
		t.Error("the deleted p100 is still cached")
	}
	if _, err := s.GetItem(ctx, key, workPositions, "p100"); !errors.Is(err, graphprofile.ErrNotFound) {
		t.Errorf("GetItem of the deleted p100: %v", err)
	}
	if cachedItems() != wholeCollectionLimit-1 {
		t.Errorf("%d items cached, want the head less p100: %d", cachedItems(), wholeCollectionLimit-1)
	}
}

// TestCacheChangesOfWholeCollections: the changes the writer applies to a
// collection cached whole keep it in list order, whatever their place (new
// items at the end are appended, the rest make a new slice), and never
// change a slice a reader already took.
func TestCacheChangesOfWholeCollections(t *testing.T) {
	c := newReadCache()
	owner := graphprofile.UserKey{TenantID: tenant, UserID: "u"}
	e, gen := c.collection(owner, "positions")
	c.addWhole(e, gen, append(make([]cachedItem, 0, 16), cachedPosition("b", 20, 10), cachedPosition("d", 40, 10)))

	ids := func(list []cachedItem) string {
		var out []string
		for _, ci := range list {
			out = append(out, ci.position.ID)
		}
		return strings.Join(out, " ")
	}
	changes := []struct {
		name   string
		id     string
		change cachedItem // item nil: deleted
		want   string
	}{
		{"new at the end", "e", cachedPosition("e", 50, 10), "b d e"},
		{"new at the end again", "f", cachedPosition("f", 60, 10), "b d e f"},
		{"new in the middle", "c", cachedPosition("c", 30, 10), "b c d e f"},
		{"new at the start", "a", cachedPosition("a", 10, 10), "a b c d e f"},
		{"same time, id after the last's", "g", cachedPosition("g", 60, 10), "a b c d e f g"},
		{"same time, id before the last's", "ee", cachedPosition("ee", 60, 10), "a b c d e ee f g"},
		{"the last one changed", "g", cachedPosition("g", 60, 99), "a b c d e ee f g"},
		{"the last one deleted", "g", cachedItem{}, "a b c d e ee f"},
		{"new at the end after a delete", "h", cachedPosition("h", 70, 10), "a b c d e ee f h"},
	}
	var taken [][]cachedItem // what readers took, and what it held then
	var held []string
	for _, ch := range changes {
		list, complete, ok := c.first(owner, "positions")
		if !ok || !complete {
			t.Fatalf("before %q: the collection is not cached whole", ch.name)
		}
		taken, held = append(taken, list), append(held, ids(list))
		c.changeItem(owner, "positions", ch.id, ch.change)
		list, _, _ = c.first(owner, "positions")
		if got := ids(list); got != ch.want {
			t.Errorf("after %q the collection is %q, want %q", ch.name, got, ch.want)
		}
		if ch.id == "g" && ch.change.item != nil && list[len(list)-1].size != ch.change.size {
			t.Errorf("after %q the cached item is not the new one", ch.name)
		}
	}
	for i, list := range taken {
		if got := ids(list); got != held[i] {
			t.Errorf("a reader's slice taken before %q changed: %q, was %q", changes[i].name, got, held[i])
		}
	}
	wantWithinBounds(t, c)
}

// TestCacheHeadOfBigItems: the first read of a collection of big items
// (more than the cache keeps of one collection, maxCachedItemBytes/4, in
// its first wholeCollectionLimit items) reads and caches its head only as
// far as the cache keeps it, not wholeCollectionLimit items it would then
// drop: a scan that visits one item reads about 12 MiB, whatever the
// collection, and the next finds its head cached.
func TestCacheHeadOfBigItems(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	owner, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	key := owner.Key()
	const items, size = 30, 800 << 10 // 24 MB, twice maxCachedItemBytes/4
	for i := range items {
		it := storetest.Position(fmt.Sprintf("p%03d", i), t0.Add(time.Duration(i)*time.Second))
		it["detail"] = graphprofile.Object{"description": strings.Repeat("d", size)}
		if err := s.CreateItem(ctx, key, workPositions, it, 0); err != nil {
			t.Fatal(err)
		}
	}
	s.cache.dropProfile(key)
	var visited []string
	if err := s.ScanItems(ctx, key, workPositions, graphprofile.OldestFirst, nil, func(it graphprofile.Item) (bool, error) {
		visited = append(visited, it.ID())
		return false, nil
	}); err != nil || len(visited) != 1 || visited[0] != "p000" {
		t.Fatalf("a scan of one item: %v, %v", visited, err)
	}
	head, complete, ok := s.cache.first(key, workPositions.Name)
	bytes := 0
	for _, ci := range head {
		bytes += ci.size
	}
	if !ok || complete || len(head) == 0 || len(head) == items || bytes > maxCachedItemBytes/4 {
		t.Errorf("after a scan of one item the cache holds a head of %d items of %d (%d bytes; cached: %v, whole: %v), want the first items up to %d bytes",
			len(head), items, bytes, ok, complete, maxCachedItemBytes/4)
	}
	list, err := graphprofile.AllItems(ctx, s, key, workPositions)
	if err != nil || len(list) != items || list[items-1].ID() != fmt.Sprintf("p%03d", items-1) {
		t.Fatalf("the list after: %d items, %v", len(list), err)
	}
}

// TestCacheUsersMemory: the users cached are bounded in bytes, not only in
// users. A user with its long properties at their longest in four-byte
// characters takes about 25 KB: 20,000 of them, read by principal name
// (GET /v1.0/users/{upn}), took serve's RSS to 615 MB.
func TestCacheUsersMemory(t *testing.T) {
	c := newReadCache()
	before := memtest.HeapInUse()
	long := strings.Repeat("\U0001F600", 1024)
	for i := range 4000 {
		u := graphprofile.User{TenantID: tenant, ID: fmt.Sprint("u", i), UserPrincipalName: fmt.Sprint("u", i, "@contoso.com"),
			DisplayName: strings.Repeat("\U0001F600", 256), Details: graphprofile.Object{}}
		for _, name := range []string{"officeLocation", "employeeType", "faxNumber", "preferredLanguage", "streetAddress"} {
			u.Details[name] = strings.Clone(long)
		}
		c.addUser(c.usersGeneration(), u, u.UserPrincipalName)
	}
	grown := int64(memtest.HeapInUse()) - int64(before)
	wantWithinBounds(t, c)
	runtime.KeepAlive(c)
	if limit := int64(maxCachedUserBytes + 16<<20); grown > limit {
		t.Errorf("the heap grew %d MB with 4,000 users of 25 KB cached; want at most %d MB (the users' %d MiB and some)", grown>>20, limit>>20, maxCachedUserBytes>>20)
	}
}

// TestCacheItemsMemory: the items cached are bounded by what they take in
// memory, decoded, not by their stored documents alone. A position of 100
// empty categories and 100 empty colleagues is a document of 1 KB and a
// decoded item of about 10 KB: 10,000 of them (50 profiles of 200, listed)
// held 120 MB of live heap and took serve's RSS to 154 MB, past the 100
// MiB heap limit it had then, where the documents' 16 MiB was meant to be about 48
// MiB decoded (the bound then; maxCachedItemBytes now).
func TestCacheItemsMemory(t *testing.T) {
	doc := []byte(`{"id":"x","allowedAudiences":"organization","categories":[` + strings.Repeat(`"",`, 99) + `""],"colleagues":[` + strings.Repeat(`{},`, 99) + `{}]}`)
	c := newReadCache()
	before := memtest.HeapInUse()
	for u := range 50 {
		owner := graphprofile.UserKey{TenantID: tenant, UserID: fmt.Sprint("u", u)}
		e, gen := c.collection(owner, workPositions.Name)
		whole := make([]cachedItem, 0, wholeCollectionLimit)
		for i := range wholeCollectionLimit {
			it, err := store.DecodeItem(workPositions, doc)
			if err != nil {
				t.Fatal(err)
			}
			whole = append(whole, newCachedItem(it, graphprofile.ItemPosition{Created: int64(i), ID: fmt.Sprintf("p%03d", i)}, len(doc)))
		}
		c.addWhole(e, gen, whole)
	}
	grown := int64(memtest.HeapInUse()) - int64(before)
	wantWithinBounds(t, c)
	runtime.KeepAlive(c)
	if limit := int64(maxCachedItemBytes + 8<<20); grown > limit {
		t.Errorf("the heap grew %d MB with 10,000 items of 1 KB documents cached; want at most %d MB (about %d MiB decoded and some)", grown>>20, limit>>20, maxCachedItemBytes>>20)
	}
}

// TestCacheCollectionsGrownByWrites: what the cache holds of one
// collection stays within maxCachedItemBytes/4 however it got there. A
// collection is cached whole, or its head, only up to that when read; but
// the writes applied to it afterwards (creates appended to a collection
// cached whole, items put into its head) were not bounded in bytes: a
// profile listed once while empty, then given 60 positions of 1 MiB, held
// 60 MiB in the cache, past its 48 MiB then, every other profile's collections
// evicted for it.
func TestCacheCollectionsGrownByWrites(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	owner, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	key := owner.Key()
	collectionBytes := func() (whole bool, bytes int) {
		s.cache.mu.Lock()
		defer s.cache.mu.Unlock()
		e, ok := s.cache.profiles[key][workPositions.Name]
		if !ok {
			return false, 0
		}
		return e.complete, e.bytes
	}
	create := func(id string, at time.Time) {
		t.Helper()
		it := storetest.Position(id, at)
		it["detail"] = graphprofile.Object{"description": strings.Repeat("d", 1<<20-4096)}
		if err := s.CreateItem(ctx, key, workPositions, it, 0); err != nil {
			t.Fatal(err)
		}
	}

	// Cached whole while empty, then created at its end.
	if list, err := graphprofile.AllItems(ctx, s, key, workPositions); err != nil || len(list) != 0 {
		t.Fatalf("the empty list: %v, %v", list, err)
	}
	const items = 60
	for i := range items {
		create(fmt.Sprintf("p%03d", i), t0.Add(time.Duration(i)*time.Second))
	}
	wantWithinBounds(t, s.cache)
	if whole, bytes := collectionBytes(); bytes > maxCachedItemBytes/4 {
		t.Errorf("after %d creates of 1 MiB the cache holds %d bytes of the collection (whole: %v), want at most %d", items, bytes, whole, maxCachedItemBytes/4)
	}

	// Its head cached, then created inside the head (an earlier
	// createdDateTime), each pushing the head's last item out only when
	// it has wholeCollectionLimit items.
	s.cache.dropProfile(key)
	if err := s.ScanItems(ctx, key, workPositions, graphprofile.OldestFirst, nil, func(graphprofile.Item) (bool, error) { return false, nil }); err != nil {
		t.Fatal(err)
	}
	for i := range items {
		create(fmt.Sprintf("q%03d", i), t0.Add(-time.Duration(i+1)*time.Second))
	}
	wantWithinBounds(t, s.cache)
	if whole, bytes := collectionBytes(); bytes > maxCachedItemBytes/4 {
		t.Errorf("after %d creates of 1 MiB inside its head the cache holds %d bytes of the collection (whole: %v), want at most %d", items, bytes, whole, maxCachedItemBytes/4)
	}
	list, err := graphprofile.AllItems(ctx, s, key, workPositions)
	if err != nil || len(list) != 2*items || list[0].ID() != fmt.Sprintf("q%03d", items-1) || list[2*items-1].ID() != fmt.Sprintf("p%03d", items-1) {
		t.Fatalf("the list after: %d items, %v", len(list), err)
	}
}

// TestCacheItemUpdatedPastTheQuarter: an item bigger than
// maxCachedItemBytes/4 is not cached alone (addItem), nor when an update
// makes one cached alone that big: it was put in place of the old one.
func TestCacheItemUpdatedPastTheQuarter(t *testing.T) {
	c := newReadCache()
	owner := graphprofile.UserKey{TenantID: tenant, UserID: "u"}
	e, gen := c.collection(owner, workPositions.Name)
	it := storetest.Position("p1", t0)
	pos := graphprofile.ItemPosition{Created: 1, ID: "p1"}
	c.addItem(e, gen, newCachedItem(it, pos, 1000))
	if _, found, known := c.item(owner, workPositions.Name, "p1"); !found || !known {
		t.Fatal("the item read is not cached")
	}
	c.changeItem(owner, workPositions.Name, "p1", newCachedItem(it, pos, maxCachedItemBytes/4+1))
	if _, _, known := c.item(owner, workPositions.Name, "p1"); known {
		t.Errorf("an item of %d bytes, updated, is cached alone; want it forgotten, as addItem would not cache it", maxCachedItemBytes/4+1)
	}
	wantWithinBounds(t, c)
}

// TestCacheTakesNothingReadBeforeAWrite: what a read found is not cached
// when what it read was written, or forgotten by the cache, after the
// read began: a user read before a write of users, a collection, its head
// or an item read before the profile was dropped (DeleteProfile,
// DeleteUser, a load).
func TestCacheTakesNothingReadBeforeAWrite(t *testing.T) {
	owner := graphprofile.UserKey{TenantID: tenant, UserID: "u"}
	user := graphprofile.User{TenantID: tenant, ID: "u", UserPrincipalName: "u@contoso.test", DisplayName: "Before"}
	items := []cachedItem{cachedPosition("a", 1, 10), cachedPosition("b", 2, 10)}
	tests := []struct {
		name string
		// read takes what a read takes before it reads, lets the write
		// happen, and then caches what it read; cached reports whether
		// the cache answers it.
		read   func(c *readCache, write func())
		cached func(c *readCache) bool
	}{
		{"a user", func(c *readCache, write func()) {
			gen := c.usersGeneration()
			write()
			c.addUser(gen, user, user.UserPrincipalName)
		}, func(c *readCache) bool {
			_, byKey := c.user(user.Key())
			_, found := c.findUser(tenant, user.UserPrincipalName)
			return byKey || found
		}},
		{"a collection whole", func(c *readCache, write func()) {
			e, gen := c.collection(owner, workPositions.Name)
			write()
			c.addWhole(e, gen, items)
		}, func(c *readCache) bool {
			_, _, ok := c.first(owner, workPositions.Name)
			return ok
		}},
		{"a collection's head", func(c *readCache, write func()) {
			e, gen := c.collection(owner, workPositions.Name)
			write()
			c.addHead(e, gen, items)
		}, func(c *readCache) bool {
			_, _, ok := c.first(owner, workPositions.Name)
			return ok
		}},
		{"an item", func(c *readCache, write func()) {
			e, gen := c.collection(owner, workPositions.Name)
			write()
			c.addItem(e, gen, items[0])
		}, func(c *readCache) bool {
			_, _, known := c.item(owner, workPositions.Name, "a")
			return known
		}},
	}
	writes := []struct {
		name  string
		write func(c *readCache)
	}{
		{"a write of users", func(c *readCache) {
			f := []fluxScope{{users: true}}
			c.enterFlux(f)
			c.leaveFlux(f)
		}},
		{"the profile dropped", func(c *readCache) { c.dropProfile(owner) }},
	}
	for _, tc := range tests {
		for _, w := range writes {
			if (tc.name == "a user") != (w.name == "a write of users") {
				continue
			}
			t.Run(tc.name+" read before "+w.name, func(t *testing.T) {
				c := newReadCache()
				tc.read(c, func() { w.write(c) })
				if tc.cached(c) {
					t.Errorf("%s read before %s is cached", tc.name, w.name)
				}
				wantWithinBounds(t, c)
			})
		}
	}
}

// fillCache caches whole collections of other profiles, of up to
// wholeCollectionLimit items, until the cache holds n items.
func fillCache(c *readCache, n int) {
	for i := 0; c.items < n; i++ {
		owner := graphprofile.UserKey{TenantID: tenant, UserID: fmt.Sprint("filler", i)}
		e, gen := c.collection(owner, workPositions.Name)
		whole := make([]cachedItem, min(wholeCollectionLimit, n-c.items))
		for j := range whole {
			whole[j] = cachedPosition(fmt.Sprintf("f%03d", j), int64(j), 10)
		}
		c.addWhole(e, gen, whole)
	}
}

// TestCacheBoundsHoldWhateverGrowsIt: with the cache full, whatever adds
// to it (a collection read whole, a head read, an item read alone, a
// create applied to a collection cached whole) makes it forget the least
// recently used, so that it stays within its bounds and holds what was
// added.
func TestCacheBoundsHoldWhateverGrowsIt(t *testing.T) {
	owner := graphprofile.UserKey{TenantID: tenant, UserID: "grown"}
	a, b := cachedPosition("a", 10, 10), cachedPosition("b", 20, 10)
	// held is what the cache holds of the grown collection.
	held := func(c *readCache) string {
		list, complete, ok := c.first(owner, workPositions.Name)
		var out []string
		for _, ci := range list {
			out = append(out, ci.position.ID)
		}
		switch {
		case ok && complete:
			return "whole " + strings.Join(out, " ")
		case ok:
			return "head " + strings.Join(out, " ")
		}
		if _, found, _ := c.item(owner, workPositions.Name, "a"); found {
			return "item a"
		}
		return "nothing"
	}
	tests := []struct {
		name  string
		setup func(c *readCache, e *cachedCollection, gen uint64) // before the cache is full
		grow  func(c *readCache, e *cachedCollection, gen uint64)
		want  string
	}{
		{"a collection read whole", nil, func(c *readCache, e *cachedCollection, gen uint64) {
			c.addWhole(e, gen, []cachedItem{a, b})
		}, "whole a b"},
		{"a head read", nil, func(c *readCache, e *cachedCollection, gen uint64) {
			c.addHead(e, gen, []cachedItem{a, b})
		}, "head a b"},
		{"an item read alone", nil, func(c *readCache, e *cachedCollection, gen uint64) {
			c.addItem(e, gen, a)
		}, "item a"},
		{"a create at the end of a collection cached whole", func(c *readCache, e *cachedCollection, gen uint64) {
			c.addWhole(e, gen, []cachedItem{a})
		}, func(c *readCache, _ *cachedCollection, _ uint64) {
			c.changeItem(owner, workPositions.Name, "b", b)
		}, "whole a b"},
		{"a create inside a cached head", func(c *readCache, e *cachedCollection, gen uint64) {
			c.addHead(e, gen, []cachedItem{a, cachedPosition("z", 1000, 10)})
		}, func(c *readCache, _ *cachedCollection, _ uint64) {
			c.changeItem(owner, workPositions.Name, "b", b)
		}, "head a b z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newReadCache()
			e, gen := c.collection(owner, workPositions.Name)
			if tc.setup != nil {
				tc.setup(c, e, gen)
				e, gen = c.collection(owner, workPositions.Name)
			}
			fillCache(c, maxCachedItems)
			tc.grow(c, e, gen)
			wantWithinBounds(t, c)
			if got := held(c); got != tc.want {
				t.Errorf("the grown collection: the cache holds %q of it, want %q", got, tc.want)
			}
		})
	}
}

// TestCacheKeepsTheItemJustRead: when one collection alone is past the
// cache's bounds (its items read one by one), its other items go, not the
// item just read, nor the collection.
func TestCacheKeepsTheItemJustRead(t *testing.T) {
	c := newReadCache()
	owner := graphprofile.UserKey{TenantID: tenant, UserID: "big"}
	const size = maxCachedItemBytes / 4 // four fit
	for i := range 100 {
		e, gen := c.collection(owner, workPositions.Name)
		id := fmt.Sprint("p", i)
		c.addItem(e, gen, cachedPosition(id, int64(i), size))
		if _, found, _ := c.item(owner, workPositions.Name, id); !found {
			t.Fatalf("the item just read, %s, is not cached", id)
		}
		if want := min(i+1, 4); c.items != want {
			t.Fatalf("after %d items read the cache holds %d, want %d", i+1, c.items, want)
		}
	}
	wantWithinBounds(t, c)
}

// TestCacheHeadOfAFirstRead: the first read of a collection of more than
// wholeCollectionLimit items caches its first wholeCollectionLimit items
// as its head, and GetItem caches an item past the head; a collection
// whose first item alone is past what the cache keeps of a collection
// caches no head, and takes writes and reads after.
func TestCacheHeadOfAFirstRead(t *testing.T) {
	t.Run("a big collection", func(t *testing.T) {
		s := openTemp(t)
		ctx := t.Context()
		owner, err := s.EnsureUser(ctx, adele)
		if err != nil {
			t.Fatal(err)
		}
		key := owner.Key()
		for i := range wholeCollectionLimit + 1 {
			if err := s.CreateItem(ctx, key, workPositions, storetest.Position(fmt.Sprintf("p%03d", i), t0.Add(time.Duration(i)*time.Second)), 0); err != nil {
				t.Fatal(err)
			}
		}
		s.cache.dropProfile(key)
		if list, err := graphprofile.AllItems(ctx, s, key, workPositions); err != nil || len(list) != wholeCollectionLimit+1 {
			t.Fatalf("the list: %d items, %v", len(list), err)
		}
		head, complete, ok := s.cache.first(key, workPositions.Name)
		if !ok || complete || len(head) != wholeCollectionLimit || head[len(head)-1].position.ID != "p199" {
			t.Errorf("after the first list the cache holds a head of %d items (cached %v, whole %v), want the first %d", len(head), ok, complete, wholeCollectionLimit)
		}
		if _, err := s.GetItem(ctx, key, workPositions, "p200"); err != nil {
			t.Fatal(err)
		}
		if it, found, known := s.cache.item(key, workPositions.Name, "p200"); !known || !found || it.ID() != "p200" {
			t.Error("GetItem of an item past the head did not cache it")
		}
	})
	t.Run("a first item too big", func(t *testing.T) {
		s := openTemp(t)
		ctx := t.Context()
		owner, err := s.EnsureUser(ctx, adele)
		if err != nil {
			t.Fatal(err)
		}
		key := owner.Key()
		big := storetest.Position("p0", t0)
		big["detail"] = graphprofile.Object{"description": strings.Repeat("d", maxCachedItemBytes/4+1)}
		if err := s.CreateItem(ctx, key, workPositions, big, 0); err != nil {
			t.Fatal(err)
		}
		s.cache.dropProfile(key)
		if list, err := graphprofile.AllItems(ctx, s, key, workPositions); err != nil || len(list) != 1 {
			t.Fatalf("the list: %d items, %v", len(list), err)
		}
		if head, _, ok := s.cache.first(key, workPositions.Name); ok {
			t.Errorf("a collection whose first item is too big to cache has a head of %d items cached", len(head))
		}
		if err := s.CreateItem(ctx, key, workPositions, storetest.Position("p1", t0.Add(time.Second)), 0); err != nil {
			t.Fatal(err)
		}
		if list, err := graphprofile.AllItems(ctx, s, key, workPositions); err != nil || len(list) != 2 || list[1].ID() != "p1" {
			t.Errorf("the list after a create: %d items, %v", len(list), err)
		}
	})
}

// TestCacheUserOfEnsureUser: EnsureUser of a user already recorded, the
// call of every request, reads it once and caches it: the next
// EnsureUser, and the check of an owner by the item calls, take it from
// memory. (A user EnsureUser records is not cached: a write of users
// leaves none cached.)
func TestCacheUserOfEnsureUser(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	recorded, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.cache.user(adele.Key()); ok {
		t.Fatal("the user EnsureUser recorded is cached")
	}
	got, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recorded, got) {
		t.Fatalf("EnsureUser of the recorded user = %+v, want %+v", got, recorded)
	}
	cached, ok := s.cache.user(adele.Key())
	if !ok {
		t.Fatal("the user EnsureUser read is not cached")
	}
	if !reflect.DeepEqual(recorded, cached) {
		t.Errorf("the cached user = %+v, want %+v", cached, recorded)
	}
}
