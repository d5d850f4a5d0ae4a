package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// testItems runs the item contract over every collection of ProfileType:
// the tests grow with the schema table, and no collection is tested by
// hand. (The position tests beside it test one collection in depth.)
func testItems(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	RunItems(t, open, graphprofile.ProfileCollections())
}

// RunItems runs the item contract over each of collections: what a store
// must do for the items of any collection, whatever its type. Run runs it
// over every collection of ProfileType; a store's own tests may run it
// over more (a collection of a test's own type).
func RunItems(t *testing.T, open func(t *testing.T) graphprofile.Store, collections []graphprofile.Collection) {
	for _, c := range collections {
		t.Run(c.Name, func(t *testing.T) {
			t.Run("RoundTrip", func(t *testing.T) { testItemRoundTrip(t, open, c) })
			t.Run("EnumMembers", func(t *testing.T) { testItemEnums(t, open, c) })
			t.Run("UpdateNested", func(t *testing.T) { testItemUpdateNested(t, open, c) })
			t.Run("Delete", func(t *testing.T) { testItemDelete(t, open, c) })
			t.Run("Collections", func(t *testing.T) { testItemCollections(t, open, c) })
			t.Run("ListProfile", func(t *testing.T) { testListProfile(t, open, c) })
		})
	}
}

// testItemRoundTrip: an item with every property set, one with only what
// the service always sets, and one whose nested values are empty read back
// exactly as given, from Get and List, in list order.
func testItemRoundTrip(t *testing.T, open func(t *testing.T) graphprofile.Store, c graphprofile.Collection) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	full := StoredSample(c.Type, guid(1), base.Add(2*time.Second), 1)
	full["lastModifiedDateTime"] = base.Add(36*time.Hour + 100*time.Nanosecond)
	minimal := graphprofile.Item{"id": guid(2), "createdDateTime": base, "lastModifiedDateTime": base}
	empty := StoredSample(c.Type, guid(3), base.Add(time.Second), 3)
	for name, v := range empty {
		switch v.(type) {
		case graphprofile.Object:
			if !c.Type.Property(name).ServerManaged {
				empty[name] = graphprofile.Object{}
			}
		case []any:
			empty[name] = []any{}
		}
	}
	want := []graphprofile.Item{minimal, empty, full} // list order
	for _, it := range []graphprofile.Item{full, minimal, empty} {
		given := clone(it)
		if err := s.CreateItem(t.Context(), owner, c, it, 0); err != nil {
			t.Fatalf("CreateItem(%s, %s): %v", c.Name, it.ID(), err)
		}
		wantPosition(t, "the item given to CreateItem", it, given)
	}
	for _, w := range want {
		got, err := s.GetItem(t.Context(), owner, c, w.ID())
		if err != nil {
			t.Fatalf("GetItem(%s, %s): %v", c.Name, w.ID(), err)
		}
		wantPosition(t, "GetItem "+w.ID(), got, w)
	}
	list := mustListItems(t, s, owner, c)
	wantIDs(t, "ListItems", list, minimal.ID(), empty.ID(), full.ID())
	for i := range list {
		wantPosition(t, "ListItems "+want[i].ID(), list[i], want[i])
	}
}

// testItemEnums: each member of each enum of the type's own properties
// (nested ones too) is stored and read back.
func testItemEnums(t *testing.T, open func(t *testing.T) graphprofile.Store, c graphprofile.Collection) {
	paths := EnumPaths(c.Type)
	if len(paths) == 0 {
		t.Skipf("%s has no enum property of its own", c.Type.ShortName())
	}
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	n := 0
	for _, path := range paths {
		for _, member := range path.Property(c.Type).Type.Members {
			n++
			it := StoredSample(c.Type, fmt.Sprintf("%s-%s", path, member), base.Add(time.Duration(n)), n)
			path.Set(graphprofile.Object(it), member)
			if err := s.CreateItem(t.Context(), owner, c, it, 0); err != nil {
				t.Fatalf("CreateItem with %s = %s: %v", path, member, err)
			}
			got, err := s.GetItem(t.Context(), owner, c, it.ID())
			if err != nil {
				t.Fatalf("GetItem with %s = %s: %v", path, member, err)
			}
			if v, _ := path.Get(graphprofile.Object(got)); v != member {
				t.Errorf("%s = %v after a round trip, want %s", path, v, member)
			}
		}
	}
}

// testItemUpdateNested: UpdateItem stores what update makes of the current
// item (a nested property changed, its sibling kept), in Get and List.
func testItemUpdateNested(t *testing.T, open func(t *testing.T) graphprofile.Store, c graphprofile.Collection) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	it := StoredSample(c.Type, guid(1), base, 1)
	if err := s.CreateItem(t.Context(), owner, c, clone(it), 0); err != nil {
		t.Fatal(err)
	}
	nested, first, second := NestedProperties(c.Type)
	changed := SampleValue(append(nested, first).Property(c.Type), 2)
	patch := graphprofile.Object{}
	append(nested, first).Set(patch, changed)
	later := base.Add(time.Hour)
	got, err := s.UpdateItem(t.Context(), owner, c, guid(1), func(cur graphprofile.Item) (graphprofile.Item, error) {
		next := graphprofile.MergePatch(c.Type, graphprofile.Object(cur), patch)
		next["lastModifiedDateTime"] = later
		return graphprofile.Item(next), nil
	})
	if err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	want := clone(it)
	append(nested, first).Set(graphprofile.Object(want), changed)
	want["lastModifiedDateTime"] = later
	wantPosition(t, "UpdateItem's result", got, want)
	wantPosition(t, "GetItem after UpdateItem", mustGetItem(t, s, owner, c, guid(1)), want)
	wantPosition(t, "ListItems after UpdateItem", mustListItems(t, s, owner, c)[0], want)
	if v, _ := append(nested, second).Get(graphprofile.Object(got)); v == nil {
		t.Errorf("%s/%s was lost by updating %s/%s", nested, second, nested, first)
	}

	_, err = s.UpdateItem(t.Context(), owner, c, guid(404), func(cur graphprofile.Item) (graphprofile.Item, error) { return cur, nil })
	wantNotFound(t, "UpdateItem of a missing item", err)
}

// testItemDelete: DeleteItem removes one item; its check sees the item and
// may refuse.
func testItemDelete(t *testing.T, open func(t *testing.T) graphprofile.Store, c graphprofile.Collection) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	for i := range 2 {
		if err := s.CreateItem(t.Context(), owner, c, StoredSample(c.Type, guid(i), base.Add(time.Duration(i)), i), 0); err != nil {
			t.Fatal(err)
		}
	}
	refused := errors.New("refused")
	err := s.DeleteItem(t.Context(), owner, c, guid(0), func(it graphprofile.Item) error {
		if it.ID() != guid(0) {
			t.Errorf("check called with %q, want %q", it.ID(), guid(0))
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("DeleteItem with a refusing check: %v, want its error", err)
	}
	wantIDs(t, "ListItems after a refused delete", mustListItems(t, s, owner, c), guid(0), guid(1))
	if err := s.DeleteItem(t.Context(), owner, c, guid(0), nil); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	wantIDs(t, "ListItems after DeleteItem", mustListItems(t, s, owner, c), guid(1))
	_, err = s.GetItem(t.Context(), owner, c, guid(0))
	wantNotFound(t, "GetItem of a deleted item", err)
	wantNotFound(t, "DeleteItem of a deleted item", s.DeleteItem(t.Context(), owner, c, guid(0), nil))
}

// testItemCollections: the collections of one profile are apart: an id
// may be used in each, an item is read, changed and deleted only through
// its own collection, and DeleteProfile empties every one of them, a list
// read before it included.
func testItemCollections(t *testing.T, open func(t *testing.T) graphprofile.Store, c graphprofile.Collection) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	// A collection of the store's only: stores keep any collection alike.
	other := graphprofile.Collection{Name: c.Name + "Other", Type: c.Type}
	if c.Name != workPositions.Name {
		other = workPositions
	}
	mine := StoredSample(c.Type, guid(1), base, 1)
	theirs := StoredSample(other.Type, guid(1), base, 2)
	if err := s.CreateItem(t.Context(), owner, c, clone(mine), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateItem(t.Context(), owner, other, clone(theirs), 0); err != nil {
		t.Fatalf("CreateItem of the same id in %s: %v", other.Name, err)
	}
	wantPosition(t, "GetItem in "+c.Name, mustGetItem(t, s, owner, c, guid(1)), mine)
	wantPosition(t, "GetItem in "+other.Name, mustGetItem(t, s, owner, other, guid(1)), theirs)
	wantIDs(t, "ListItems of "+c.Name, mustListItems(t, s, owner, c), guid(1))

	if err := s.DeleteItem(t.Context(), owner, other, guid(1), nil); err != nil {
		t.Fatal(err)
	}
	wantPosition(t, "GetItem in "+c.Name+" after deleting "+other.Name+"'s", mustGetItem(t, s, owner, c, guid(1)), mine)
	if err := s.CreateItem(t.Context(), owner, other, clone(theirs), 0); err != nil {
		t.Fatal(err)
	}
	// Read both first, so a store that keeps what it read must forget both.
	wantIDs(t, "ListItems of "+c.Name+" before DeleteProfile", mustListItems(t, s, owner, c), guid(1))
	wantIDs(t, "ListItems of "+other.Name+" before DeleteProfile", mustListItems(t, s, owner, other), guid(1))
	if err := s.DeleteProfile(t.Context(), owner); err != nil {
		t.Fatal(err)
	}
	for _, coll := range []graphprofile.Collection{c, other} {
		if list := mustListItems(t, s, owner, coll); list == nil || len(list) != 0 {
			t.Errorf("ListItems of %s after DeleteProfile = %v, want an empty slice", coll.Name, list)
		}
		_, err := s.GetItem(t.Context(), owner, coll, guid(1))
		wantNotFound(t, "GetItem of "+coll.Name+" after DeleteProfile", err)
	}
	_, err := graphprofile.AllItems(t.Context(), s, graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, c)
	wantNotFound(t, "ListItems of an unknown user", err)
}

// testListProfile: ListProfile answers, in the order asked, what ListItems
// answers for each collection (an empty slice for an empty one), for a
// profile with items, one without, and no user at all.
func testListProfile(t *testing.T, open func(t *testing.T) graphprofile.Store, c graphprofile.Collection) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	other := graphprofile.Collection{Name: c.Name + "Other", Type: c.Type}
	empty := graphprofile.Collection{Name: c.Name + "Empty", Type: c.Type}
	for i := range 3 {
		// Created out of id order, so the list order (createdDateTime, then id) shows.
		if err := s.CreateItem(t.Context(), owner, c, StoredSample(c.Type, guid(3-i), base.Add(time.Duration(i%2)*time.Second), i), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateItem(t.Context(), owner, other, StoredSample(other.Type, guid(9), base, 9), 0); err != nil {
		t.Fatal(err)
	}
	asked := []graphprofile.Collection{other, empty, c}
	lists, err := s.ListProfile(t.Context(), owner, asked, 0)
	if err != nil {
		t.Fatalf("ListProfile: %v", err)
	}
	if len(lists) != len(asked) {
		t.Fatalf("ListProfile = %d lists, want %d", len(lists), len(asked))
	}
	for i, coll := range asked {
		want := mustListItems(t, s, owner, coll)
		if lists[i] == nil || len(lists[i]) != len(want) {
			t.Errorf("ListProfile's %s = %v, want %d items (an empty slice when none)", coll.Name, lists[i], len(want))
			continue
		}
		for j := range want {
			wantPosition(t, fmt.Sprintf("ListProfile's %s item %d", coll.Name, j), lists[i][j], want[j])
		}
	}
	wantIDs(t, "ListProfile's "+c.Name, lists[2], guid(1), guid(3), guid(2))

	m := mustEnsure(t, s, megan(tenantA)).Key()
	lists, err = s.ListProfile(t.Context(), m, asked, 0)
	if err != nil || len(lists) != len(asked) {
		t.Fatalf("ListProfile of an empty profile = %v, %v", lists, err)
	}
	for i, list := range lists {
		if list == nil || len(list) != 0 {
			t.Errorf("ListProfile of an empty profile: %s = %v, want an empty slice", asked[i].Name, list)
		}
	}
	_, err = s.ListProfile(t.Context(), graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, asked, 0)
	wantNotFound(t, "ListProfile of an unknown user", err)

	// With a limit: the first items of each collection.
	lists, err = s.ListProfile(t.Context(), owner, asked, 2)
	if err != nil || len(lists) != len(asked) {
		t.Fatalf("ListProfile with a limit of 2 = %v, %v", lists, err)
	}
	wantIDs(t, "ListProfile's "+other.Name+" with a limit of 2", lists[0], guid(9))
	if lists[1] == nil || len(lists[1]) != 0 {
		t.Errorf("ListProfile's %s with a limit of 2 = %v, want an empty slice", empty.Name, lists[1])
	}
	wantIDs(t, "ListProfile's "+c.Name+" with a limit of 2", lists[2], guid(1), guid(3))
	_, err = s.ListProfile(t.Context(), graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, asked, 2)
	wantNotFound(t, "ListProfile of an unknown user with a limit", err)
}

func mustGetItem(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, c graphprofile.Collection, id string) graphprofile.Item {
	t.Helper()
	it, err := s.GetItem(t.Context(), owner, c, id)
	if err != nil {
		t.Fatalf("GetItem(%v, %s, %s): %v", owner, c.Name, id, err)
	}
	return it
}

func mustListItems(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, c graphprofile.Collection) []graphprofile.Item {
	t.Helper()
	list, err := graphprofile.AllItems(t.Context(), s, owner, c)
	if err != nil {
		t.Fatalf("ListItems(%v, %s): %v", owner, c.Name, err)
	}
	return list
}
