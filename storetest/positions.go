package storetest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

func testRoundTrip(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	minimal := graphprofile.Item{
		"id":                   guid(201),
		"createdDateTime":      base,
		"lastModifiedDateTime": base,
	}
	numbers := position(guid(202), base.Add(time.Second), "numbers")
	numbers["inference"] = graphprofile.Object{"confidenceScore": 1e-7, "userHasVerifiedAccuracy": false}
	numbers["detail"].(graphprofile.Object)["layer"] = int64(2147483647)
	numbers2 := position(guid(203), base, "numbers")
	numbers2["inference"] = graphprofile.Object{"confidenceScore": 0.0}
	numbers2["detail"].(graphprofile.Object)["layer"] = int64(0)
	numbers3 := position(guid(204), base, "numbers")
	numbers3["inference"] = graphprofile.Object{"confidenceScore": 1e21}
	empty := position(guid(205), base, "")
	empty["categories"] = []any{}
	empty["colleagues"] = []any{}
	empty["sources"] = []any{}
	empty["source"] = graphprofile.Object{"type": []any{}}
	empty["detail"] = graphprofile.Object{}
	times := position(guid(206), time.Date(1970, 1, 1, 0, 0, 0, 100, time.UTC), "times")
	times["lastModifiedDateTime"] = time.Date(2262, 1, 1, 23, 59, 59, 999999900, time.UTC)
	times["detail"].(graphprofile.Object)["startMonthYear"] = graphprofile.Date("0001-01-01")
	special := position(guid(207), base, "\"quoted\" \\back\\slash\\ /slash/ \x00\x7f \ufeff 𝄞 \u2028")
	special["categories"] = []any{"", " ", "\"", "\\", "\n", "<script>", "日本語", "🎉"}
	special["manager"] = graphprofile.Object{"displayName": "O'Brien; DROP TABLE positions; --", "relationship": "unknownFutureValue"}
	// The extremes of each type: Edm.Double's largest, smallest and
	// negative zero (its sign kept), Edm.Int32's least, Edm.Date's last
	// day and a leap day, and the earliest instant a store keeps, before
	// 1970, created and last modified.
	extremes := position(guid(209), time.Date(1677, 9, 21, 0, 12, 43, 145224200, time.UTC), "extremes")
	extremes["lastModifiedDateTime"] = time.Date(1969, 12, 31, 23, 59, 59, 999999900, time.UTC)
	extremes["inference"] = graphprofile.Object{"confidenceScore": math.Copysign(0, -1), "userHasVerifiedAccuracy": true}
	extremes["detail"].(graphprofile.Object)["layer"] = int64(math.MinInt32)
	extremes["detail"].(graphprofile.Object)["startMonthYear"] = graphprofile.Date("2024-02-29")
	extremes["detail"].(graphprofile.Object)["endMonthYear"] = graphprofile.Date("9999-12-31")
	largest := position(guid(210), base, "largest double")
	largest["inference"] = graphprofile.Object{"confidenceScore": math.MaxFloat64}
	smallest := position(guid(211), base, "smallest double")
	smallest["inference"] = graphprofile.Object{"confidenceScore": math.SmallestNonzeroFloat64}
	audiences := position(guid(208), base, "flags")
	audiences["allowedAudiences"] = "family,contacts,groupMembers,organization,federatedOrganizations,everyone"

	tests := []struct {
		name string
		p    graphprofile.Item
	}{
		{"Full", fullPosition(guid(200))},
		{"Minimal", minimal},
		{"Numbers", numbers},
		{"Zeros", numbers2},
		{"LargeDouble", numbers3},
		{"EmptyCollectionsAndObjects", empty},
		{"TimeExtremes", times},
		{"SpecialStrings", special},
		{"AllAudiences", audiences},
		{"Extremes", extremes},
		{"LargestDouble", largest},
		{"SmallestDouble", smallest},
		{"NonGUIDID", position("Some Id/With?Odd#Chars%20", base, "odd id")},
	}
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := clone(tc.p)
			mustCreate(t, s, owner, tc.p)
			wantPosition(t, "the position given to CreateItem", tc.p, want)
			wantPosition(t, "GetItem", mustGet(t, s, owner, want.ID()), want)
			var listed graphprofile.Item
			for _, p := range mustList(t, s, owner) {
				if p.ID() == want.ID() {
					listed = p
				}
			}
			if listed == nil {
				t.Fatalf("ListItems lacks %s", want.ID())
			}
			wantPosition(t, "ListItems", listed, want)
		})
	}

	t.Run("ListsAreTheCallers", func(t *testing.T) {
		// Positions may be shared with a store's cache (callers must not
		// change them), but a returned list is the caller's to filter in
		// place, as the service does.
		first := mustList(t, s, owner)
		want := slices.Clone(first)
		for i := range first {
			first[i] = nil
		}
		_ = append(first[:0], want[len(want)-1])
		again := mustList(t, s, owner)
		if len(again) != len(want) {
			t.Fatalf("list has %d positions after the caller changed an earlier list, want %d", len(again), len(want))
		}
		for i := range want {
			if again[i].ID() != want[i].ID() {
				t.Errorf("list[%d] = %s after the caller changed an earlier list, want %s", i, again[i].ID(), want[i].ID())
			}
		}
	})
}

func testCreate(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("UnknownOwner", func(t *testing.T) {
		s := open(t)
		mustEnsure(t, s, adele(tenantA))
		for _, owner := range []graphprofile.UserKey{
			{TenantID: tenantA, UserID: guid(77)},
			{TenantID: tenantB, UserID: guid(1)},
		} {
			err := s.CreateItem(t.Context(), owner, workPositions, position(guid(100), base, "x"), 0)
			wantNotFound(t, fmt.Sprintf("CreateItem for %v", owner), err)
			_, err = s.GetItem(t.Context(), owner, workPositions, guid(100))
			wantNotFound(t, "GetItem after a failed create", err)
		}
		wantIDs(t, "ListItems of the existing user", mustList(t, s, adele(tenantA).Key()))
	})

	t.Run("DuplicateID", func(t *testing.T) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		first := position(guid(100), base, "first")
		mustCreate(t, s, owner, first)
		// Ids are the server's GUIDs: one taken is the server's failure,
		// not the caller's, and no retry cures it.
		wantInternal(t, "CreateItem with an existing id", s.CreateItem(t.Context(), owner, workPositions, position(guid(100), base.Add(time.Hour), "second"), 0))
		wantPosition(t, "GetItem after a duplicate create", mustGet(t, s, owner, guid(100)), first)
		wantIDs(t, "ListItems", mustList(t, s, owner), guid(100))
	})

	t.Run("SameIDForTwoOwners", func(t *testing.T) {
		s := open(t)
		owners := []graphprofile.UserKey{
			mustEnsure(t, s, adele(tenantA)).Key(),
			mustEnsure(t, s, megan(tenantA)).Key(),
			mustEnsure(t, s, adele(tenantB)).Key(),
		}
		for i, o := range owners {
			mustCreate(t, s, o, position(guid(100), base, fmt.Sprint("job ", i)))
		}
		for i, o := range owners {
			wantPosition(t, fmt.Sprint("GetItem of owner ", i), mustGet(t, s, o, guid(100)), position(guid(100), base, fmt.Sprint("job ", i)))
		}
	})
}

func testList(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	type item struct {
		id      string
		created time.Time
	}
	tests := []struct {
		name   string
		insert []item // in this order
		want   []string
	}{
		{"Empty", nil, nil},
		{"One", []item{{"p1", base}}, []string{"p1"}},
		{"EqualTimesByID", []item{
			{guid(3), base}, {guid(1), base}, {guid(12), base}, {guid(2), base}, {guid(11), base},
		}, []string{guid(1), guid(2), guid(3), guid(11), guid(12)}},
		{"TimesOutOfOrder", []item{
			{guid(1), base.Add(3 * time.Hour)}, {guid(2), base.Add(-24 * time.Hour)}, {guid(3), base}, {guid(4), base.Add(time.Hour)},
		}, []string{guid(2), guid(3), guid(4), guid(1)}},
		{"TimeBeforeID", []item{
			{"a", base.Add(200 * time.Nanosecond)}, {"b", base.Add(100 * time.Nanosecond)}, {"c", base},
		}, []string{"c", "b", "a"}},
		{"Mixed", []item{
			{"d", base.Add(time.Minute)}, {"b", base}, {"c", base.Add(time.Minute)}, {"a", base.Add(time.Minute)}, {"e", base},
		}, []string{"b", "e", "a", "c", "d"}},
		{"YearsApart", []item{
			{"x", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, {"y", time.Date(1999, 12, 31, 23, 59, 59, 999999900, time.UTC)}, {"z", base},
		}, []string{"y", "z", "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			owner := mustEnsure(t, s, adele(tenantA)).Key()
			byID := map[string]graphprofile.Item{}
			for _, it := range tc.insert {
				p := position(it.id, it.created, "job "+it.id)
				byID[it.id] = clone(p)
				mustCreate(t, s, owner, p)
			}
			ps := mustList(t, s, owner)
			if len(ps) != len(tc.want) {
				t.Fatalf("ListItems returned %d positions, want %d", len(ps), len(tc.want))
			}
			wantIDs(t, "ListItems", ps, tc.want...)
			for _, p := range ps {
				wantPosition(t, "listed "+p.ID(), p, byID[p.ID()])
			}
		})
	}

	t.Run("UnknownUser", func(t *testing.T) {
		s := open(t)
		mustEnsure(t, s, adele(tenantA))
		ps, err := graphprofile.AllItems(t.Context(), s, graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, workPositions)
		wantNotFound(t, fmt.Sprintf("ListItems of an unknown user = %v", ps), err)
	})
}

// others are the owners that must not see adele(tenantA)'s positions.
var others = []struct {
	name string
	user graphprofile.User
}{
	{"OtherUser", megan(tenantA)},
	{"OtherTenant", adele(tenantB)},
}

func testIsolation(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	for _, o := range others {
		t.Run(o.name, func(t *testing.T) {
			s := open(t)
			owner := mustEnsure(t, s, adele(tenantA)).Key()
			other := mustEnsure(t, s, o.user).Key()
			mine := position(guid(100), base, "mine")
			theirs := position(guid(101), base, "theirs")
			mustCreate(t, s, owner, mine)
			mustCreate(t, s, other, theirs)

			_, err := s.GetItem(t.Context(), other, workPositions, mine.ID())
			wantNotFound(t, "GetItem by another owner", err)
			wantIDs(t, "ListItems of the other owner", mustList(t, s, other), theirs.ID())
			wantIDs(t, "ListItems of the owner", mustList(t, s, owner), mine.ID())

			called := false
			_, err = s.UpdateItem(t.Context(), other, workPositions, mine.ID(), func(p graphprofile.Item) (graphprofile.Item, error) {
				called = true
				p["isCurrent"] = false
				return p, nil
			})
			wantNotFound(t, "UpdateItem by another owner", err)
			if called {
				t.Error("UpdateItem by another owner called update")
			}
			wantNotFound(t, "DeleteItem by another owner", s.DeleteItem(t.Context(), other, workPositions, mine.ID(), nil))
			called = false
			err = s.DeleteItem(t.Context(), other, workPositions, mine.ID(), func(graphprofile.Item) error { called = true; return nil })
			wantNotFound(t, "DeleteItem with a check by another owner", err)
			if called {
				t.Error("DeleteItem by another owner called check")
			}

			wantPosition(t, "the owner's position", mustGet(t, s, owner, mine.ID()), mine)
			wantPosition(t, "the other's position", mustGet(t, s, other, theirs.ID()), theirs)
		})
	}

	t.Run("SameIDDifferentOwners", func(t *testing.T) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		var keys []graphprofile.UserKey
		for _, o := range others {
			keys = append(keys, mustEnsure(t, s, o.user).Key())
		}
		for i, k := range append([]graphprofile.UserKey{owner}, keys...) {
			mustCreate(t, s, k, position(guid(100), base, fmt.Sprint("job ", i)))
		}
		if _, err := s.UpdateItem(t.Context(), owner, workPositions, guid(100), func(p graphprofile.Item) (graphprofile.Item, error) {
			p["detail"] = graphprofile.Object{"jobTitle": "updated"}
			return p, nil
		}); err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
		// The update is the owner's alone: the other owners' items of the
		// same id, in the owner's tenant too, are as they were.
		for i, k := range keys {
			wantPosition(t, "an other owner's position after the owner's update", mustGet(t, s, k, guid(100)), position(guid(100), base, fmt.Sprint("job ", i+1)))
		}
		if err := s.DeleteItem(t.Context(), keys[0], workPositions, guid(100), nil); err != nil {
			t.Fatalf("DeleteItem: %v", err)
		}
		if got := mustGet(t, s, owner, guid(100))["detail"]; Diff(graphprofile.Object{"jobTitle": "updated"}, got) != "" {
			t.Errorf("owner's detail = %v, want the update", got)
		}
		wantIDs(t, "ListItems of the deleting owner", mustList(t, s, keys[0]))
		for i, k := range keys[1:] {
			wantPosition(t, "an untouched owner's position", mustGet(t, s, k, guid(100)), position(guid(100), base, fmt.Sprint("job ", i+2)))
		}
	})
}

// testInvalidPositions: a position without an id or a createdDateTime the
// store can order by is refused as an internal failure (the service never
// makes one), and nothing is stored.
func testInvalidPositions(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	good := position(guid(100), base, "good")
	mustCreate(t, s, owner, clone(good))
	with := func(k string, v any) graphprofile.Item {
		p := position(guid(101), base, "bad")
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	tests := []struct {
		name string
		p    graphprofile.Item
	}{
		{"NoID", with("id", nil)},
		{"NoCreatedDateTime", with("createdDateTime", nil)},
		{"CreatedOutOfRange", with("createdDateTime", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantInternal(t, "CreateItem", s.CreateItem(t.Context(), owner, workPositions, tc.p, 0))
			_, err := s.UpdateItem(t.Context(), owner, workPositions, good.ID(), func(graphprofile.Item) (graphprofile.Item, error) {
				q := clone(tc.p)
				if _, ok := q["id"]; ok {
					q["id"] = good.ID()
				}
				return q, nil
			})
			wantInternal(t, "UpdateItem to an invalid position", err)
		})
	}
	ps := mustList(t, s, owner)
	wantIDs(t, "ListItems", ps, good.ID())
	if len(ps) == 1 {
		wantPosition(t, "the valid position", ps[0], good)
	}
}

var errRefused = errors.New("storetest: update refused")

// positionKey addresses a position.
type positionKey struct {
	owner graphprofile.UserKey
	id    string
}

// unknownPositions address no position of a store where owner has guid(100)
// and guid(101) and nobody else has any: an unknown id, no id, an unknown
// owner, the owner's id in another tenant.
func unknownPositions(owner graphprofile.UserKey) []positionKey {
	return []positionKey{
		{owner, guid(999)},
		{owner, ""},
		{graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, guid(100)},
		{graphprofile.UserKey{TenantID: tenantB, UserID: owner.UserID}, guid(100)},
	}
}

// withNeighbour returns a new store in which adele(tenantA) has p, every
// property set (guid(100)), and a neighbour created a minute later
// (guid(101)) that the tests of p must leave alone.
func withNeighbour(t *testing.T, open func(t *testing.T) graphprofile.Store) (s graphprofile.Store, owner graphprofile.UserKey, p graphprofile.Item) {
	s = open(t)
	owner = mustEnsure(t, s, adele(tenantA)).Key()
	p = fullPosition(guid(100))
	mustCreate(t, s, owner, clone(p))
	mustCreate(t, s, owner, position(guid(101), base.Add(time.Minute), "neighbour"))
	return s, owner, p
}

func testUpdate(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	setup := func(t *testing.T) (graphprofile.Store, graphprofile.UserKey, graphprofile.Item) {
		return withNeighbour(t, open)
	}
	later := base.Add(48 * time.Hour)

	tests := []struct {
		name   string
		update func(p graphprofile.Item) graphprofile.Item
	}{
		{"ChangeNested", func(p graphprofile.Item) graphprofile.Item {
			p["detail"].(graphprofile.Object)["jobTitle"] = "Principal engineer"
			p["detail"].(graphprofile.Object)["layer"] = int64(4)
			p["lastModifiedDateTime"] = later
			p["lastModifiedBy"] = graphprofile.Object{"user": graphprofile.Object{"id": guid(2), "displayName": "Megan Bowen"}}
			return p
		}},
		{"RemoveProperties", func(p graphprofile.Item) graphprofile.Item {
			delete(p, "manager")
			delete(p, "inference")
			delete(p["detail"].(graphprofile.Object), "company")
			p["lastModifiedDateTime"] = later
			return p
		}},
		{"ReplaceCollections", func(p graphprofile.Item) graphprofile.Item {
			p["categories"] = []any{}
			p["colleagues"] = []any{graphprofile.Object{"displayName": "Nestor Wilke", "relationship": "assistant"}}
			p["allowedAudiences"] = "everyone"
			return p
		}},
		{"NoChange", func(p graphprofile.Item) graphprofile.Item { return p }},
		{"NewValue", func(p graphprofile.Item) graphprofile.Item {
			return graphprofile.Item{
				"id":                   p.ID(),
				"createdDateTime":      p.CreatedDateTime(),
				"lastModifiedDateTime": later,
				"isCurrent":            false,
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, owner, p := setup(t)
			var gotCur graphprofile.Item
			want := tc.update(clone(p))
			got, err := s.UpdateItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
				gotCur = clone(cur)
				return tc.update(cur), nil
			})
			if err != nil {
				t.Fatalf("UpdateItem: %v", err)
			}
			wantPosition(t, "the position update was called with", gotCur, p)
			wantPosition(t, "UpdateItem's result", got, want)
			wantPosition(t, "GetItem after UpdateItem", mustGet(t, s, owner, p.ID()), want)
			wantIDs(t, "ListItems after UpdateItem", mustList(t, s, owner), guid(100), guid(101))
			wantPosition(t, "the neighbour", mustGet(t, s, owner, guid(101)), position(guid(101), base.Add(time.Minute), "neighbour"))
		})
	}

	t.Run("UpdateError", func(t *testing.T) {
		s, owner, p := setup(t)
		got, err := s.UpdateItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
			cur["isCurrent"] = false
			return cur, errRefused
		})
		if !errors.Is(err, errRefused) || err != errRefused {
			t.Errorf("UpdateItem error = %v, want update's error as is", err)
		}
		if got != nil {
			t.Errorf("UpdateItem result = %v, want nil", got)
		}
		wantPosition(t, "GetItem after a refused update", mustGet(t, s, owner, p.ID()), p)
	})

	t.Run("Unknown", func(t *testing.T) {
		s, owner, _ := setup(t)
		for _, k := range unknownPositions(owner) {
			called := false
			_, err := s.UpdateItem(t.Context(), k.owner, workPositions, k.id, func(p graphprofile.Item) (graphprofile.Item, error) {
				called = true
				return p, nil
			})
			wantNotFound(t, fmt.Sprintf("UpdateItem(%v, %q)", k.owner, k.id), err)
			if called {
				t.Errorf("UpdateItem(%v, %q) called update", k.owner, k.id)
			}
		}
	})

	t.Run("ChangesOrder", func(t *testing.T) {
		s, owner, p := setup(t)
		if _, err := s.UpdateItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
			cur["createdDateTime"] = base.Add(time.Hour)
			return cur, nil
		}); err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
		wantIDs(t, "ListItems ordered by the new createdDateTime", mustList(t, s, owner), guid(101), guid(100))
	})

	// Readers may keep what a store returned (graphapi remembers the JSON
	// of an item by its map): a later update, even one whose function
	// changes what it is given, makes new values and leaves the items
	// handed out before as they were.
	t.Run("LeavesReadItems", func(t *testing.T) {
		s, owner, p := setup(t)
		read := mustGet(t, s, owner, p.ID())
		listed := mustList(t, s, owner)
		readBefore, listedBefore := clone(read), clones(listed)
		for range 2 {
			if _, err := s.UpdateItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
				cur["detail"].(graphprofile.Object)["jobTitle"] = "Changed in place"
				cur["lastModifiedDateTime"] = later
				return cur, nil
			}); err != nil {
				t.Fatalf("UpdateItem: %v", err)
			}
		}
		wantPosition(t, "an item GetItem returned before the update", read, readBefore)
		for i := range listed {
			wantPosition(t, "an item ListItems returned before the update", listed[i], listedBefore[i])
		}
		if got := mustGet(t, s, owner, p.ID()); got["detail"].(graphprofile.Object)["jobTitle"] != "Changed in place" {
			t.Errorf("GetItem after the update: jobTitle %v", got["detail"].(graphprofile.Object)["jobTitle"])
		}
	})

	t.Run("Sequential", func(t *testing.T) {
		s, owner, p := setup(t)
		for i := range 5 {
			got, err := s.UpdateItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
				layer, _ := cur["detail"].(graphprofile.Object)["layer"].(int64)
				if want := int64(-2147483648 + i); layer != want {
					return nil, fmt.Errorf("update %d saw layer %d, want %d", i, layer, want)
				}
				cur["detail"].(graphprofile.Object)["layer"] = layer + 1
				return cur, nil
			})
			if err != nil {
				t.Fatalf("UpdateItem %d: %v", i, err)
			}
			if l := got["detail"].(graphprofile.Object)["layer"]; l != int64(-2147483648+i+1) {
				t.Fatalf("UpdateItem %d returned layer %v", i, l)
			}
		}
	})
}

func testDelete(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	for i := range 3 {
		mustCreate(t, s, owner, position(guid(100+i), base.Add(time.Duration(i)*time.Second), "job"))
	}
	if err := s.DeleteItem(t.Context(), owner, workPositions, guid(101), nil); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	_, err := s.GetItem(t.Context(), owner, workPositions, guid(101))
	wantNotFound(t, "GetItem after DeleteItem", err)
	wantIDs(t, "ListItems after DeleteItem", mustList(t, s, owner), guid(100), guid(102))
	wantNotFound(t, "DeleteItem again", s.DeleteItem(t.Context(), owner, workPositions, guid(101), nil))
	wantNotFound(t, "DeleteItem of an unknown id", s.DeleteItem(t.Context(), owner, workPositions, guid(999), nil))
	wantNotFound(t, "DeleteItem of an unknown owner", s.DeleteItem(t.Context(), graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, workPositions, guid(100), nil))
	_, err = s.UpdateItem(t.Context(), owner, workPositions, guid(101), func(p graphprofile.Item) (graphprofile.Item, error) { return p, nil })
	wantNotFound(t, "UpdateItem after DeleteItem", err)

	// The id can be used again.
	again := position(guid(101), base.Add(time.Hour), "again")
	mustCreate(t, s, owner, again)
	wantPosition(t, "GetItem of a re-created id", mustGet(t, s, owner, guid(101)), again)
	for _, id := range []string{guid(100), guid(101), guid(102)} {
		if err := s.DeleteItem(t.Context(), owner, workPositions, id, nil); err != nil {
			t.Fatalf("DeleteItem(%s): %v", id, err)
		}
	}
	if ps := mustList(t, s, owner); len(ps) != 0 {
		t.Errorf("ListItems after deleting all = %d positions", len(ps))
	}
}

func testDeleteCheck(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	setup := func(t *testing.T) (graphprofile.Store, graphprofile.UserKey, graphprofile.Item) {
		return withNeighbour(t, open)
	}

	t.Run("CheckSeesPosition", func(t *testing.T) {
		s, owner, p := setup(t)
		calls := 0
		var seen graphprofile.Item
		err := s.DeleteItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) error {
			calls++
			seen = clone(cur)
			return nil
		})
		if err != nil {
			t.Fatalf("DeleteItem: %v", err)
		}
		if calls == 0 {
			t.Fatal("DeleteItem did not call check")
		}
		wantPosition(t, "the position check was called with", seen, p)
		_, err = s.GetItem(t.Context(), owner, workPositions, p.ID())
		wantNotFound(t, "GetItem after DeleteItem", err)
		wantIDs(t, "ListItems after DeleteItem", mustList(t, s, owner), guid(101))

		called := false
		err = s.DeleteItem(t.Context(), owner, workPositions, p.ID(), func(graphprofile.Item) error { called = true; return nil })
		wantNotFound(t, "DeleteItem with a check again", err)
		if called {
			t.Error("DeleteItem of a deleted position called check")
		}
	})

	t.Run("CheckError", func(t *testing.T) {
		s, owner, p := setup(t)
		errHidden := graphprofile.Errorf(graphprofile.CodeItemNotFound, "hidden")
		for _, want := range []error{errRefused, graphprofile.ErrNotFound, errHidden} {
			err := s.DeleteItem(t.Context(), owner, workPositions, p.ID(), func(graphprofile.Item) error { return want })
			if err != want {
				t.Errorf("DeleteItem error = %v, want check's error %v as is", err, want)
			}
		}
		wantPosition(t, "GetItem after refused deletes", mustGet(t, s, owner, p.ID()), p)
		wantIDs(t, "ListItems after refused deletes", mustList(t, s, owner), guid(100), guid(101))
	})

	t.Run("NilCheck", func(t *testing.T) {
		s, owner, p := setup(t)
		if err := s.DeleteItem(t.Context(), owner, workPositions, p.ID(), nil); err != nil {
			t.Fatalf("DeleteItem: %v", err)
		}
		wantIDs(t, "ListItems after DeleteItem", mustList(t, s, owner), guid(101))
	})

	t.Run("Unknown", func(t *testing.T) {
		s, owner, _ := setup(t)
		for _, k := range unknownPositions(owner) {
			called := false
			err := s.DeleteItem(t.Context(), k.owner, workPositions, k.id, func(graphprofile.Item) error { called = true; return nil })
			wantNotFound(t, fmt.Sprintf("DeleteItem(%v, %q)", k.owner, k.id), err)
			if called {
				t.Errorf("DeleteItem(%v, %q) called check", k.owner, k.id)
			}
		}
		wantIDs(t, "ListItems", mustList(t, s, owner), guid(100), guid(101))
	})
}
