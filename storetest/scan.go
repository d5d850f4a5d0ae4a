package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// pagesOfItems is more items than any store reads in one page (stores read
// pages of growing size, up to a few hundred rows): a scan of them crosses
// pages.
const pagesOfItems = 600

// scanIDs returns the ids ScanItems visits in owner's positions in list
// order after `after`, stopping after limit items (0: none).
func scanIDs(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, after *graphprofile.ItemPosition, limit int) []string {
	t.Helper()
	return scanIDsIn(t, s, owner, graphprofile.OldestFirst, after, limit)
}

// scanIDsIn is scanIDs in order.
func scanIDsIn(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, limit int) []string {
	t.Helper()
	var ids []string
	err := s.ScanItems(t.Context(), owner, workPositions, order, after, func(it graphprofile.Item) (bool, error) {
		ids = append(ids, it.ID())
		return limit == 0 || len(ids) < limit, nil
	})
	if err != nil {
		t.Fatalf("ScanItems(%v, order %d, after %v): %v", owner, order, after, err)
	}
	return ids
}

// wantStoredItems checks that a scan of owner's positions in order starts
// with the items want, whole, as they were stored.
func wantStoredItems(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, order graphprofile.ItemOrder, want []graphprofile.Item) {
	t.Helper()
	n := 0
	err := s.ScanItems(t.Context(), owner, workPositions, order, nil, func(it graphprofile.Item) (bool, error) {
		wantPosition(t, "item "+it.ID(), it, want[n])
		n++
		return n < len(want), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("the scan in order %d visited %d items, want %d", order, n, len(want))
	}
}

// positionOf is the position of it, which must have one.
func positionOf(t *testing.T, it graphprofile.Item) *graphprofile.ItemPosition {
	t.Helper()
	p, err := graphprofile.PositionOf(it)
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

// createConcurrently creates items in owner's positions from a few
// goroutines (a store that commits writes in groups takes them faster).
func createConcurrently(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, items []graphprofile.Item) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(items))
	const workers = 8
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(items); i += workers {
				if err := s.CreateItem(t.Context(), owner, workPositions, items[i], 0); err != nil {
					errs <- fmt.Errorf("CreateItem %s: %w", items[i].ID(), err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// testScanItems: ScanItems visits a collection in list order and newest
// first from any position, across pages, stops when told, and a position
// stays valid across deletes and inserts.
func testScanItems(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	ctx := t.Context()
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	other := mustEnsure(t, s, megan(tenantA)).Key()

	// Items in groups of three with one createdDateTime (ties go by id),
	// created in no order; ids whose byte order is not their number's.
	var items []graphprofile.Item
	for i := range pagesOfItems {
		items = append(items, position(fmt.Sprintf("item-%x", i), base.Add(time.Duration(i/3)*time.Millisecond), "scan"))
	}
	shuffled := slices.Clone(items)
	for i := range shuffled {
		j := (i * 7919) % len(shuffled)
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	}
	createConcurrently(t, s, owner, shuffled)
	mustCreate(t, s, other, position("megans", base, "other")) // another profile: not Adele's
	want := slices.Clone(items)
	slices.SortFunc(want, func(a, b graphprofile.Item) int {
		return cmpPositions(*positionOf(t, a), *positionOf(t, b))
	})
	wantOrder := make([]string, len(want))
	for i, it := range want {
		wantOrder[i] = it.ID()
	}

	t.Run("Whole", func(t *testing.T) {
		if got := scanIDs(t, s, owner, nil, 0); !slices.Equal(got, wantOrder) {
			t.Errorf("ScanItems visited %d items, want %d in list order (first difference at %d)", len(got), len(wantOrder), firstDifference(got, wantOrder))
		}
		wantStoredItems(t, s, owner, graphprofile.OldestFirst, want[:5])
	})
	t.Run("FromAnyPosition", func(t *testing.T) {
		// After each of these items, and at every page boundary a store
		// might have: the rest, in order.
		for _, i := range []int{0, 1, 2, 3, 15, 16, 17, 63, 64, 79, 80, 81, 99, 100, 127, 128, 199, 200, 201, 255, 256, 257, 299, 300, 335, 336, 337, 499, 500, 511, 512, 591, 592, 593, 598, 599} {
			got := scanIDs(t, s, owner, positionOf(t, want[i]), 0)
			if !slices.Equal(got, wantOrder[i+1:]) {
				t.Errorf("after item %d: %d items, want %d (first difference at %d)", i, len(got), len(wantOrder)-i-1, firstDifference(got, wantOrder[i+1:]))
			}
		}
		// Positions that are no item's: between two items, before all,
		// after all.
		between := *positionOf(t, want[10])
		between.ID += "\x00"
		if got := scanIDs(t, s, owner, &between, 0); !slices.Equal(got, wantOrder[11:]) {
			t.Errorf("after a position between items 10 and 11: first difference at %d", firstDifference(got, wantOrder[11:]))
		}
		if got := scanIDs(t, s, owner, &graphprofile.ItemPosition{Created: base.UnixNano() - 1, ID: "zzz"}, 0); !slices.Equal(got, wantOrder) {
			t.Errorf("after a position before every item: %d items, want all %d", len(got), len(wantOrder))
		}
		if got := scanIDs(t, s, owner, &graphprofile.ItemPosition{Created: base.Add(time.Hour).UnixNano()}, 0); len(got) != 0 {
			t.Errorf("after a position after every item: %d items, want none", len(got))
		}
	})
	t.Run("StopsEarly", func(t *testing.T) {
		for _, limit := range []int{1, 10, 11, 16, 17, 80, 81, 255, 256, 257, 300, 336, 337} {
			if got := scanIDs(t, s, owner, nil, limit); !slices.Equal(got, wantOrder[:limit]) {
				t.Errorf("stopping after %d: visited %d items", limit, len(got))
			}
		}
		refused := errors.New("refused")
		n := 0
		err := s.ScanItems(ctx, owner, workPositions, graphprofile.OldestFirst, nil, func(graphprofile.Item) (bool, error) {
			n++
			if n == 300 {
				return true, refused
			}
			return true, nil
		})
		if err != refused || n != 300 {
			t.Errorf("a visit's error: ScanItems returned %v after %d visits, want it as is after 300", err, n)
		}
	})
	t.Run("NewestFirst", func(t *testing.T) {
		// createdDateTime descending; items of one time still by id.
		newest := slices.Clone(want)
		slices.SortStableFunc(newest, func(a, b graphprofile.Item) int {
			return -cmp.Compare(positionOf(t, a).Created, positionOf(t, b).Created)
		})
		newestOrder := make([]string, len(newest))
		for i, it := range newest {
			newestOrder[i] = it.ID()
		}
		if newestOrder[0] != "item-255" || newestOrder[1] != "item-256" || newestOrder[2] != "item-257" {
			t.Fatalf("the test's newest order starts %v", newestOrder[:3])
		}
		scan := func(after *graphprofile.ItemPosition, limit int) []string {
			t.Helper()
			return scanIDsIn(t, s, owner, graphprofile.NewestFirst, after, limit)
		}
		if got := scan(nil, 0); !slices.Equal(got, newestOrder) {
			t.Errorf("ScanItems newest first visited %d items, want %d (first difference at %d)", len(got), len(newestOrder), firstDifference(got, newestOrder))
		}
		for _, i := range []int{0, 1, 2, 3, 15, 16, 17, 79, 80, 81, 255, 256, 257, 335, 336, 337, 591, 592, 593, 598, 599} {
			if got := scan(positionOf(t, newest[i]), 0); !slices.Equal(got, newestOrder[i+1:]) {
				t.Errorf("newest first after item %d: %d items, want %d (first difference at %d)", i, len(got), len(newestOrder)-i-1, firstDifference(got, newestOrder[i+1:]))
			}
		}
		between := *positionOf(t, newest[10])
		between.ID += "\x00"
		if got := scan(&between, 0); !slices.Equal(got, newestOrder[11:]) {
			t.Errorf("newest first after a position between items 10 and 11: first difference at %d", firstDifference(got, newestOrder[11:]))
		}
		if got := scan(&graphprofile.ItemPosition{Created: base.Add(time.Hour).UnixNano()}, 0); !slices.Equal(got, newestOrder) {
			t.Errorf("newest first after a position newer than every item: %d items, want all %d", len(got), len(newestOrder))
		}
		if got := scan(&graphprofile.ItemPosition{Created: base.UnixNano() - 1, ID: "zzz"}, 0); len(got) != 0 {
			t.Errorf("newest first after a position older than every item: %d items, want none", len(got))
		}
		for _, limit := range []int{1, 2, 3, 4, 16, 17, 80, 81, 256, 257, 337} {
			if got := scan(nil, limit); !slices.Equal(got, newestOrder[:limit]) {
				t.Errorf("newest first, stopping after %d: visited %v…", limit, got[:min(len(got), 4)])
			}
		}
		wantStoredItems(t, s, owner, graphprofile.NewestFirst, newest[:5])
	})
	t.Run("PagingAcrossWrites", func(t *testing.T) {
		// A client pages through 50 at a time while items come and go: each
		// page goes on after the last one it saw, whether that one was
		// deleted or not, and sees what was committed since.
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		var items []graphprofile.Item
		for i := range 300 {
			items = append(items, position(fmt.Sprintf("p%03d", i), base.Add(time.Duration(i)*time.Second), "paged"))
		}
		createConcurrently(t, s, owner, items)
		page1 := scanIDs(t, s, owner, nil, 50)
		last := mustGet(t, s, owner, page1[49])
		// The last item seen is deleted, one ahead is deleted, one is
		// inserted ahead and one behind.
		for _, id := range []string{"p049", "p120"} {
			if err := s.DeleteItem(ctx, owner, workPositions, id, nil); err != nil {
				t.Fatal(err)
			}
		}
		mustCreate(t, s, owner, position("ahead", base.Add(100*time.Second+time.Millisecond), "paged"))
		mustCreate(t, s, owner, position("behind", base.Add(10*time.Second+time.Millisecond), "paged"))
		rest := scanIDs(t, s, owner, positionOf(t, last), 0)
		var wantRest []string
		for i := 50; i < 300; i++ {
			if i == 120 {
				continue
			}
			wantRest = append(wantRest, fmt.Sprintf("p%03d", i))
			if i == 100 {
				wantRest = append(wantRest, "ahead")
			}
		}
		if !slices.Equal(rest, wantRest) {
			t.Errorf("after a deleted position: first difference at %d of %d (got %d items)", firstDifference(rest, wantRest), len(wantRest), len(rest))
		}
	})
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		if got := scanIDs(t, s, owner, nil, 0); len(got) != 0 {
			t.Errorf("ScanItems of an empty collection visited %v", got)
		}
		if got := scanIDs(t, s, owner, &graphprofile.ItemPosition{Created: base.UnixNano(), ID: "x"}, 0); len(got) != 0 {
			t.Errorf("ScanItems of an empty collection after a position visited %v", got)
		}
		if got := scanIDsIn(t, s, owner, graphprofile.NewestFirst, nil, 0); len(got) != 0 {
			t.Errorf("ScanItems newest first of an empty collection visited %v", got)
		}
	})
	t.Run("UnknownOwner", func(t *testing.T) {
		visited := false
		visit := func(graphprofile.Item) (bool, error) { visited = true; return true, nil }
		for _, order := range []graphprofile.ItemOrder{graphprofile.OldestFirst, graphprofile.NewestFirst} {
			for _, after := range []*graphprofile.ItemPosition{nil, {Created: base.UnixNano(), ID: "x"}} {
				for _, key := range []graphprofile.UserKey{
					{TenantID: tenantA, UserID: guid(999)},
					{TenantID: tenantB, UserID: owner.UserID}, // Adele's id in another tenant
				} {
					wantNotFound(t, fmt.Sprintf("ScanItems of %v in order %d after %v", key, order, after), s.ScanItems(ctx, key, workPositions, order, after, visit))
				}
			}
		}
		if visited {
			t.Error("ScanItems of an unknown owner visited an item")
		}
		// And of a user deleted after its collection was read.
		mustCreateUser(t, s, graphprofile.User{TenantID: tenantA, ID: "gone", DisplayName: "Gone"})
		gone := graphprofile.UserKey{TenantID: tenantA, UserID: "gone"}
		mustCreate(t, s, gone, position("g", base, "gone"))
		scanIDs(t, s, gone, nil, 0)
		if err := s.DeleteUser(ctx, gone); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, "ScanItems of a deleted user", s.ScanItems(ctx, gone, workPositions, graphprofile.OldestFirst, nil, visit))
		if visited {
			t.Error("ScanItems of a deleted user visited an item")
		}
	})
}

// cmpPositions is the list order of positions: createdDateTime, then id in
// byte order.
func cmpPositions(a, b graphprofile.ItemPosition) int {
	if a.Created != b.Created {
		if a.Created < b.Created {
			return -1
		}
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}

// firstDifference returns the first index where got and want differ.
func firstDifference(got, want []string) int {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return i
		}
	}
	return min(len(got), len(want))
}

// testScanUsers: ScanUsers visits a tenant's users in id order from any
// id, across pages, stops when told, and sees no other tenant's.
func testScanUsers(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	ctx := t.Context()
	var batch []graphprofile.User
	var wantOrder []string
	for i := range pagesOfItems {
		u := graphprofile.User{ID: fmt.Sprintf("user-%x", i), DisplayName: fmt.Sprint("User ", i)}
		batch = append(batch, u)
		wantOrder = append(wantOrder, u.ID)
	}
	slices.Sort(wantOrder)
	if err := s.ImportUsers(ctx, tenantA, batch); err != nil {
		t.Fatal(err)
	}
	mustEnsure(t, s, adele(tenantB)) // another tenant's
	scan := func(tenant, afterID string, limit int) []string {
		t.Helper()
		var ids []string
		err := s.ScanUsers(ctx, tenant, afterID, func(u graphprofile.User) (bool, error) {
			if u.TenantID != tenant {
				t.Errorf("ScanUsers(%s) visited %s of tenant %s", tenant, u.ID, u.TenantID)
			}
			ids = append(ids, u.ID)
			return limit == 0 || len(ids) < limit, nil
		})
		if err != nil {
			t.Fatalf("ScanUsers(%s, after %q): %v", tenant, afterID, err)
		}
		return ids
	}
	if got := scan(tenantA, "", 0); !slices.Equal(got, wantOrder) {
		t.Errorf("ScanUsers visited %d users, want %d in id order (first difference at %d)", len(got), len(wantOrder), firstDifference(got, wantOrder))
	}
	for _, i := range []int{0, 1, 15, 16, 17, 79, 80, 81, 127, 128, 255, 256, 257, 335, 336, 337, 511, 512, 591, 592, 598, 599} {
		if got := scan(tenantA, wantOrder[i], 0); !slices.Equal(got, wantOrder[i+1:]) {
			t.Errorf("after user %d: %d users, want %d", i, len(got), len(wantOrder)-i-1)
		}
	}
	if got := scan(tenantA, wantOrder[10]+"\x00", 0); !slices.Equal(got, wantOrder[11:]) {
		t.Errorf("after an id between users 10 and 11: first difference at %d", firstDifference(got, wantOrder[11:]))
	}
	for _, limit := range []int{1, 16, 17, 80, 81, 256, 257, 336, 337} {
		if got := scan(tenantA, "", limit); !slices.Equal(got, wantOrder[:limit]) {
			t.Errorf("stopping after %d: visited %d users", limit, len(got))
		}
	}
	if got := scan(tenantA, "zzz", 0); len(got) != 0 {
		t.Errorf("after the last id: %v", got)
	}
	if got := scan(tenantB, "", 0); !slices.Equal(got, []string{adele(tenantB).ID}) {
		t.Errorf("ScanUsers of tenant B = %v, want Adele alone", got)
	}
	if got := scan("no-such-tenant", "", 0); len(got) != 0 {
		t.Errorf("ScanUsers of an unknown tenant = %v, want none", got)
	}
	refused := errors.New("refused")
	if err := s.ScanUsers(ctx, tenantA, "", func(graphprofile.User) (bool, error) { return true, refused }); err != refused {
		t.Errorf("a visit's error: ScanUsers returned %v, want it as is", err)
	}
	// The users are the stored ones, whole.
	full := mustCreateUser(t, s, fullUser(tenantB, 50))
	var got []graphprofile.User
	if err := s.ScanUsers(ctx, tenantB, adele(tenantB).ID, func(u graphprofile.User) (bool, error) {
		got = append(got, u)
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	wantUsers(t, "ScanUsers after Adele", got, []graphprofile.User{full})
}

// wantFull checks that err is CreateItem's refusal of an item its
// collection has no room for.
func wantFull(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, graphprofile.ErrCollectionFull) {
		t.Errorf("%s: error %v, want ErrCollectionFull", what, err)
	}
}

// testMaxItems: CreateItem's limit on a collection's size holds exactly,
// per collection of a profile, and a place freed (a delete, the profile or
// the user deleted) is a place again.
func testMaxItems(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	ctx := t.Context()
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	other := mustEnsure(t, s, megan(tenantA)).Key()
	const limit = 5
	create := func(owner graphprofile.UserKey, c graphprofile.Collection, id string) error {
		return s.CreateItem(ctx, owner, c, position(id, base, "limited"), limit)
	}
	fill := func(owner graphprofile.UserKey, c graphprofile.Collection, prefix string) {
		t.Helper()
		for i := range limit {
			if err := create(owner, c, fmt.Sprint(prefix, i)); err != nil {
				t.Fatalf("create %d of %d in %s: %v", i+1, limit, c.Name, err)
			}
		}
	}
	fill(owner, workPositions, "p")
	err := create(owner, workPositions, "one-more")
	wantFull(t, "the item after the limit", err)
	if err != nil && !strings.Contains(err.Error(), "5") {
		t.Errorf("the refusal %q does not say the limit", err)
	}
	_, err = s.GetItem(ctx, owner, workPositions, "one-more")
	wantNotFound(t, "GetItem of the refused item", err)
	if n := len(mustList(t, s, owner)); n != limit {
		t.Errorf("%d items after the refusal, want %d", n, limit)
	}

	// Other collections and other profiles have their own places; no limit
	// is no limit.
	skills := graphprofile.Collection{Name: "skills", Type: workPositions.Type}
	fill(owner, skills, "s")
	fill(other, workPositions, "m")
	wantFull(t, "another collection past the limit", create(owner, skills, "s-more"))
	for _, unlimited := range []int{0, -1} {
		if err := s.CreateItem(ctx, owner, workPositions, position(fmt.Sprint("unlimited", unlimited), base, "x"), unlimited); err != nil {
			t.Errorf("CreateItem with maxItems %d: %v", unlimited, err)
		}
	}
	wantFull(t, "a limited create after unlimited ones", create(owner, workPositions, "again"))

	// An unknown owner's refusal is not-found, not full.
	wantNotFound(t, "CreateItem for an unknown owner", create(graphprofile.UserKey{TenantID: tenantA, UserID: guid(999)}, workPositions, "x"))

	// A delete frees a place, once; a create that fails otherwise (an id
	// taken) takes none.
	if err := s.DeleteItem(ctx, other, workPositions, "m0", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteItem(ctx, other, workPositions, "m0", nil); !errors.Is(err, graphprofile.ErrNotFound) {
		t.Fatalf("deleting a deleted item: %v", err)
	}
	kept := errors.New("kept")
	if err := s.DeleteItem(ctx, other, workPositions, "m1", func(graphprofile.Item) error { return kept }); err != kept {
		t.Fatalf("a refused delete: %v, want the check's error as is", err)
	}
	if _, err := s.GetItem(ctx, other, workPositions, "m1"); err != nil {
		t.Fatalf("the item a refused delete kept: %v", err)
	}
	if err := create(other, workPositions, "m1"); errors.Is(err, graphprofile.ErrCollectionFull) {
		t.Errorf("CreateItem of a taken id: %v, want the id's error", err)
	} else {
		wantInternal(t, "CreateItem of a taken id", err)
	}
	if err := create(other, workPositions, "m-new"); err != nil {
		t.Errorf("the create after a delete: %v", err)
	}
	wantFull(t, "the create after that", create(other, workPositions, "m-newer"))
	// An update takes no place.
	if _, err := s.UpdateItem(ctx, other, workPositions, "m1", func(it graphprofile.Item) (graphprofile.Item, error) { return clone(it), nil }); err != nil {
		t.Fatal(err)
	}
	wantFull(t, "a create after an update", create(other, workPositions, "m-after-update"))

	// A deleted profile has every place again, of every collection.
	if err := s.DeleteProfile(ctx, owner); err != nil {
		t.Fatal(err)
	}
	fill(owner, workPositions, "p")
	fill(owner, skills, "s")
	wantFull(t, "past the limit after DeleteProfile", create(owner, workPositions, "more"))

	// A user deleted and recorded again has an empty profile.
	if err := s.DeleteUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	mustEnsure(t, s, megan(tenantA))
	fill(other, workPositions, "m")
	wantFull(t, "past the limit after DeleteUser", create(other, workPositions, "more"))
}

// testMaxItemsAcross: concurrent creates, spread over the stores open
// returns (several servers on one database), never pass the limit, and
// every place is taken; while creates and deletes race, the collection
// never holds more than the limit.
func testMaxItemsAcross(t *testing.T, open func(t *testing.T) []graphprofile.Store) {
	stores := open(t)
	ctx := t.Context()
	owner := mustEnsure(t, stores[0], adele(tenantA)).Key()
	const limit, creators = 10, 40

	var created, full atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, creators)
	for i := range creators {
		wg.Go(func() {
			err := stores[i%len(stores)].CreateItem(ctx, owner, workPositions, position(fmt.Sprint("c", i), base, "race"), limit)
			switch {
			case err == nil:
				created.Add(1)
			case errors.Is(err, graphprofile.ErrCollectionFull):
				full.Add(1)
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if created.Load() != limit || full.Load() != creators-limit {
		t.Errorf("%d concurrent creates with a limit of %d: %d created, %d refused; want %d and %d",
			creators, limit, created.Load(), full.Load(), limit, creators-limit)
	}
	for k, s := range stores {
		if n := len(mustList(t, s, owner)); n != limit {
			t.Errorf("store %d lists %d items, want %d", k, n, limit)
		}
	}

	// Each racer deletes an item of its own and creates others, while a
	// reader watches the collection's size.
	stop := make(chan struct{})
	over := make(chan int, 1)
	var watcher sync.WaitGroup
	watcher.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if items, err := graphprofile.AllItems(ctx, stores[0], owner, workPositions); err == nil && len(items) > limit {
				select {
				case over <- len(items):
				default:
				}
			}
		}
	})
	errs = make(chan error, limit)
	for i := range limit {
		wg.Go(func() {
			s := stores[i%len(stores)]
			mine := fmt.Sprint("c", i)
			for round := range 10 {
				// Whoever holds an item frees it; anyone may take a place.
				if err := s.DeleteItem(ctx, owner, workPositions, mine, nil); err != nil && !errors.Is(err, graphprofile.ErrNotFound) {
					errs <- err
					return
				}
				mine = fmt.Sprintf("r%d-%d", i, round)
				err := s.CreateItem(ctx, owner, workPositions, position(mine, base, "race"), limit)
				if err != nil && !errors.Is(err, graphprofile.ErrCollectionFull) {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	watcher.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case n := <-over:
		t.Errorf("the collection held %d items at once, over the limit of %d", n, limit)
	default:
	}
	n := len(mustList(t, stores[0], owner))
	if n > limit {
		t.Errorf("%d items at the end, over the limit of %d", n, limit)
	}
	// The places the racers left are free: exactly limit-n more fit.
	for i := range limit - n {
		if err := stores[i%len(stores)].CreateItem(ctx, owner, workPositions, position(fmt.Sprint("last", i), base, "race"), limit); err != nil {
			t.Errorf("filling the free place %d of %d: %v", i+1, limit-n, err)
		}
	}
	wantFull(t, "past the limit after the race", stores[0].CreateItem(ctx, owner, workPositions, position("over", base, "race"), limit))
}
