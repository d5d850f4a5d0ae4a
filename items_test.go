package graphprofile_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// A collection of the tests' own, of a type unlike workPosition (an enum
// of its own, a nested complex value, a collection of them), to show that
// the service's rules hold for any collection, not only those of
// ProfileType: nothing in the service is written per collection.
var (
	testLevelType = &graphprofile.Type{Name: "microsoft.graph.testLevel", Kind: graphprofile.KindEnum,
		Members: []string{"low", "high", "unknownFutureValue"}}
	testDetailType = &graphprofile.Type{Name: "microsoft.graph.testDetail", Kind: graphprofile.KindComplex, Properties: []graphprofile.Property{
		{Name: "label", Type: graphprofile.StringType},
		{Name: "level", Type: testLevelType},
	}}
	testFacetType = &graphprofile.Type{Name: "microsoft.graph.testFacet", Kind: graphprofile.KindComplex, Properties: []graphprofile.Property{
		{Name: "id", Type: graphprofile.StringType, ServerManaged: true},
		{Name: "allowedAudiences", Type: graphprofile.AllowedAudiencesType},
		{Name: "createdDateTime", Type: graphprofile.DateTimeOffsetType, ServerManaged: true},
		{Name: "createdBy", Type: graphprofile.IdentitySetType, ServerManaged: true},
		{Name: "lastModifiedDateTime", Type: graphprofile.DateTimeOffsetType, ServerManaged: true},
		{Name: "lastModifiedBy", Type: graphprofile.IdentitySetType, ServerManaged: true},
		{Name: "detail", Type: testDetailType},
		{Name: "details", Type: testDetailType, Collection: true},
	}}
	testProfileType = &graphprofile.Type{Name: "microsoft.graph.profile", Kind: graphprofile.KindComplex, Properties: []graphprofile.Property{
		{Name: "id", Type: graphprofile.StringType, ServerManaged: true},
		{Name: "positions", Type: graphprofile.WorkPositionType, Collection: true, Navigation: true},
		{Name: "testFacets", Type: testFacetType, Collection: true, Navigation: true},
	}}
)

func TestCollectionsOf(t *testing.T) {
	got := graphprofile.CollectionsOf(testProfileType)
	want := []graphprofile.Collection{workPositions, {Name: "testFacets", Type: testFacetType}}
	if !slices.Equal(got, want) {
		t.Errorf("CollectionsOf = %v, want %v", got, want)
	}
}

// TestServiceOverAnyCollection runs the item rules over both collections
// of testProfileType: create (its defaults and server-managed properties),
// the merge of a nested value, If-Match and not-found naming the type,
// visibility, and the profile read and deleted whole.
func TestServiceOverAnyCollection(t *testing.T) {
	for _, c := range graphprofile.CollectionsOf(testProfileType) {
		t.Run(c.Name, func(t *testing.T) {
			store := newMemStore(adele, megan)
			clk := &clock{at: created}
			svc := newService(store, clk)
			owner := delegated(adele, "User.ReadWrite")
			body, err := graphprofile.DecodeBody(c.Type, []byte(`{"allowedAudiences":null}`))
			if err != nil {
				t.Fatal(err)
			}
			it, err := svc.CreateItem(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.CreateItem), c, body)
			if err != nil {
				t.Fatal(err)
			}
			by := graphprofile.Object{"user": graphprofile.Object{"id": adele.ID, "displayName": adele.DisplayName}}
			want := graphprofile.Item{"id": "position-1", "allowedAudiences": "organization", "createdDateTime": created,
				"lastModifiedDateTime": created, "createdBy": by, "lastModifiedBy": by}
			if stored, _ := store.item(adele, c, "position-1"); !equalJSON(c.Type, stored, want) || !equalJSON(c.Type, it, want) {
				t.Errorf("created %v, stored %v, want %v", it, stored, want)
			}
			if _, inOther := store.item(adele, graphprofile.Collection{Name: "other"}, "position-1"); inOther {
				t.Error("the item is stored in another collection too")
			}

			// A nested merge: the type's own nested value for testFacets,
			// the inference every facet has for positions.
			nested, first, second := "detail", "label", "level"
			one, two := any("a"), any("high")
			if c.Type == graphprofile.WorkPositionType {
				nested, first, second, one, two = "inference", "confidenceScore", "userHasVerifiedAccuracy", 0.5, true
			}
			update := func(patch graphprofile.Object, ifMatch string) (graphprofile.Item, error) {
				clk.at = clk.at.Add(time.Second)
				return svc.UpdateItem(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.UpdateItem), c, "position-1", patch, ifMatch)
			}
			first1, err := update(graphprofile.Object{nested: graphprofile.Object{first: one}}, "")
			if err != nil {
				t.Fatal(err)
			}
			second1, err := update(graphprofile.Object{nested: graphprofile.Object{second: two}}, first1.ETag())
			if err != nil {
				t.Fatal(err)
			}
			if got := second1[nested].(graphprofile.Object); got[first] != one || got[second] != two {
				t.Errorf("%s after two merges = %v, want both %s and %s", nested, got, first, second)
			}
			_, err = update(graphprofile.Object{}, first1.ETag())
			wantError(t, err, graphprofile.CodePreconditionFailed,
				"The If-Match header does not match the current ETag of the "+c.Type.ShortName()+"; read it again and retry.")
			_, err = svc.GetItem(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.GetItem), c, "nope")
			wantError(t, err, graphprofile.CodeItemNotFound, "The "+c.Type.ShortName()+" 'nope' does not exist in this profile.")

			// Visibility: another user sees only what is shared with the organization.
			if _, err := update(graphprofile.Object{"allowedAudiences": "me"}, ""); err != nil {
				t.Fatal(err)
			}
			reader := delegated(megan, "User.Read.All")
			list, err := listItems(t.Context(), svc, mustAuthorize(t, svc, reader, adeles, graphprofile.ListItems), c)
			if err != nil || len(list) != 0 {
				t.Errorf("another user lists %v, %v; want nothing", list, err)
			}
			_, err = svc.GetItem(t.Context(), mustAuthorize(t, svc, reader, adeles, graphprofile.GetItem), c, "position-1")
			wantError(t, err, graphprofile.CodeItemNotFound, "The "+c.Type.ShortName()+" 'position-1' does not exist in this profile.")

			// The profile: every collection read, then deleted whole.
			collections := graphprofile.CollectionsOf(testProfileType)
			profile, err := svc.GetProfile(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.GetProfile), collections,
				func(int, graphprofile.Object) (bool, error) { return true, nil })
			if err != nil {
				t.Fatal(err)
			}
			for _, other := range collections {
				if n := len(profile.Collections[other.Name]); n != map[bool]int{true: 1, false: 0}[other == c] {
					t.Errorf("profile's %s has %d items", other.Name, n)
				}
			}
			if err := svc.DeleteProfile(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.DeleteProfile), ""); err != nil {
				t.Fatal(err)
			}
			if _, ok := store.item(adele, c, "position-1"); ok {
				t.Error("the item survived DeleteProfile")
			}
		})
	}
}

// equalJSON compares two items as the encoder writes them.
func equalJSON(t *graphprofile.Type, a, b graphprofile.Item) bool {
	enc := func(it graphprofile.Item) string {
		return string(graphprofile.AppendObjectJSON(nil, t, graphprofile.Object(it), graphprofile.EncodeOptions{OmitNulls: true}))
	}
	return enc(a) == enc(b)
}

// TestCreatedUnixNanoRange: an item's list position is its createdDateTime
// in Unix nanoseconds, so a time an int64 of them does not hold (before
// 1677, after 2262) is an error, never a position wrapped around, and so
// is no createdDateTime.
func TestCreatedUnixNanoRange(t *testing.T) {
	first, last := time.Unix(0, math.MinInt64).UTC(), time.Unix(0, math.MaxInt64).UTC()
	for _, tc := range []struct {
		name    string
		created any
		want    int64
		ok      bool
	}{
		{"the first", first, math.MinInt64, true},
		{"the last", last, math.MaxInt64, true},
		{"before the first", first.Add(-time.Nanosecond), 0, false},
		{"after the last", last.Add(time.Nanosecond), 0, false},
		{"none", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := graphprofile.Item{"id": "p1"}
			if tc.created != nil {
				it["createdDateTime"] = tc.created
			}
			got, err := it.CreatedUnixNano()
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("CreatedUnixNano() = %d, %v; want %d, ok %v", got, err, tc.want, tc.ok)
			}
			pos, err := graphprofile.PositionOf(it)
			if (err == nil) != tc.ok || pos != (graphprofile.ItemPosition{Created: tc.want, ID: map[bool]string{true: "p1"}[tc.ok]}) {
				t.Errorf("PositionOf() = %+v, %v", pos, err)
			}
		})
	}
}
