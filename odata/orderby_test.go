package odata_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// TestOrderByErrors: refused $orderby values are BadRequests naming the
// offending key and its byte offset in the whole $orderby.
func TestOrderByErrors(t *testing.T) {
	for _, tc := range []struct {
		expr      string
		pos       int
		fragments []string
	}{
		{"foo", 0, []string{"could not find a property named 'foo' on type 'microsoft.graph.workPosition'"}},
		{"createdDateTime, detail/foo desc", 17, []string{"'foo'", "'microsoft.graph.positionDetail'"}},
		{"detail", 0, []string{"'detail' is microsoft.graph.positionDetail", "a single value"}},
		{"id,  detail/company/address", 5, []string{"'detail/company/address' is microsoft.graph.physicalAddress"}},
		{"categories", 0, []string{"'categories' is Collection(Edm.String)"}},
		{"colleagues desc", 0, []string{"'colleagues' is Collection(microsoft.graph.relatedPerson)"}},
		{"colleagues/displayName", 0, []string{"goes into the collection before 'displayName'"}},
		{"categories/any()", 0, []string{"'categories/any()' is not a property path"}},
		{"detail/layer desc, 'x'", 19, []string{"'x'", "is not a property path"}},
		{"isCurrent up", 10, []string{"expected asc or desc but found 'up'"}},
		{"id, isCurrent\tdescending", 14, []string{"found 'descending'"}},
		{"id asc desc", 0, []string{"expected 'property [asc|desc]' between commas"}},
		{"detail/layer eq 1", 0, []string{"between commas"}},
		{"", 0, []string{"between commas"}},
		{"isCurrent,,id", 10, []string{"between commas"}},
		{"isCurrent,", 10, []string{"between commas"}},
		{" , id", 1, []string{"between commas"}},
		{"createdDateTime, detail/la;yer", 26, []string{"unexpected character ';'"}},
		{"createdDateTime, (detail/layer", 30, []string{"expected ')'"}},
		{"id, 'open", 4, []string{"not closed"}},
		{"\tdetail/nope", 1, []string{"'nope'"}},
		{"id, detail/", 11, []string{"a property name after '/'"}},
		{"isCurrent/x", 0, []string{"'isCurrent/x' goes into Edm.Boolean"}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			ob, err := odata.ParseOrderBy(tc.expr, graphprofile.WorkPositionType)
			if err == nil {
				t.Fatalf("ParseOrderBy(%q) = %v, want an error", tc.expr, ob)
			}
			badRequest(t, err, tc.pos, tc.fragments...)
			if !strings.Contains(graphprofile.ErrorMessage(err), "$orderby") {
				t.Errorf("message %q does not name $orderby", graphprofile.ErrorMessage(err))
			}
		})
	}
}

// TestApplyNeedsOrderBy: a query parsed without $orderby allowed cannot be
// paged, and says so instead of panicking.
func TestApplyNeedsOrderBy(t *testing.T) {
	q, err := odata.Parse("$filter=isCurrent", graphprofile.WorkPositionType, odata.OptFilter)
	if err != nil {
		t.Fatal(err)
	}
	if q.OrderBy != nil {
		t.Fatalf("OrderBy = %v without $orderby allowed", q.OrderBy)
	}
	if _, err := q.Apply(context.Background(), dataset(), "b"); err == nil || err.Error() != "odata: Apply needs a query parsed with $orderby allowed" {
		t.Errorf("Apply without an order: %v, want the error saying it needs $orderby", err)
	}
	if _, err := q.Run(context.Background(), nil, "b"); err == nil || err.Error() != "odata: Run needs a query parsed with $orderby allowed" {
		t.Errorf("Run without an order: %v, want the error saying it needs $orderby", err)
	}
}

// TestDefaultOrderShared: a list without $orderby gets its type's default
// order, compiled once and shared by every request: createdDateTime (then
// id) where the type has it, id alone for users; a type the server does not
// list (here positionDetail) gets it compiled on the spot.
func TestDefaultOrderShared(t *testing.T) {
	types := []*graphprofile.Type{graphprofile.UserType}
	for _, c := range graphprofile.ProfileCollections() {
		types = append(types, c.Type)
	}
	for _, typ := range types {
		first, err := odata.Parse("", typ, odata.OptOrderBy)
		if err != nil {
			t.Fatalf("%s: %v", typ.Name, err)
		}
		second, err := odata.Parse("$top=5", typ, odata.OptOrderBy, odata.OptTop)
		if err != nil {
			t.Fatalf("%s: %v", typ.Name, err)
		}
		if first.OrderBy == nil || first.OrderBy != second.OrderBy {
			t.Errorf("%s: the default order is compiled per request (%p, %p)", typ.Name, first.OrderBy, second.OrderBy)
		}
		want := []string{odata.DefaultOrderBy}
		if typ == graphprofile.UserType {
			want = []string{} // a user has no createdDateTime
		}
		if got := first.OrderBy.Properties(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: default order by %q, want %q", typ.Name, got, want)
		}
		given, err := odata.Parse("$orderby=id", typ, odata.OptOrderBy)
		if err != nil {
			t.Fatalf("%s: %v", typ.Name, err)
		}
		if given.OrderBy == first.OrderBy {
			t.Errorf("%s: a given $orderby answered with the default", typ.Name)
		}
	}
	detail := graphprofile.WorkPositionType.Property("detail").Type
	q, err := odata.Parse("", detail, odata.OptOrderBy)
	if err != nil || q.OrderBy == nil || len(q.OrderBy.Properties()) != 0 {
		t.Errorf("positionDetail: %v, %v", q.OrderBy, err)
	}
}

// TestOrderByNameIsNameKey: the engine orders users by displayName or
// userPrincipalName as graphprofile.UserNameKey keys them (byte order of
// the lower case; a user without the name first), ids ascending within a
// key, descending alike (a user without the name last): the order the
// stores keep an index in (Store.ScanUsersByName, whose contract suite
// holds the stores to that same order), so a page a store reads is the
// page the engine would answer.
func TestOrderByNameIsNameKey(t *testing.T) {
	names := []string{
		"adele vance", "Adele Vance", "ADELE VANCE", "Adele", "adèle", "Émile", "émile", "Emile", "emile",
		"Zoë", "zoe", "ZOË", "Łukasz", "łukasz", "Lukasz", "Σοφία", "σοφία", "ΣΟΦΊΑ", "İlker", "ilker", "Ilker",
		"ẞtraße", "ßtraße", "Ǆemal", "ǆemal", "Ǳ", "😀 Smile", "a", "A", "b", "B", "z", "Z", "~", "",
	}
	for _, property := range []string{"displayName", "userPrincipalName"} {
		var users []graphprofile.Object
		type position struct{ key, id string }
		var positions []position
		for i := range 3 * len(names) {
			u := graphprofile.User{ID: fmt.Sprintf("user-%03x", (i*7919)%4096), DisplayName: names[i%len(names)]}
			if property == "userPrincipalName" {
				u.DisplayName, u.UserPrincipalName = "", names[i%len(names)]
			}
			users = append(users, u.Object())
			key, _ := graphprofile.UserNameKey(u, property)
			positions = append(positions, position{key, u.ID})
		}
		for _, descending := range []bool{false, true} {
			orderBy := property
			if descending {
				orderBy += "%20desc"
			}
			q, err := odata.Parse("$orderby="+orderBy+"&$top=999", graphprofile.UserType, odata.OptOrderBy, odata.OptTop)
			if err != nil {
				t.Fatal(err)
			}
			res, err := q.Apply(context.Background(), users, "users")
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(positions)
			slices.SortFunc(want, func(a, b position) int {
				c := strings.Compare(a.key, b.key)
				if descending {
					c = -c
				}
				if c != 0 {
					return c
				}
				return strings.Compare(a.id, b.id)
			})
			if len(res.Items) != len(want) {
				t.Fatalf("%s, descending %v: %d users answered, want %d", property, descending, len(res.Items), len(want))
			}
			for i, obj := range res.Items {
				if obj["id"] != want[i].id {
					t.Fatalf("%s, descending %v: at %d the engine has %v (%q), the key order %s (%q)",
						property, descending, i, obj["id"], obj[property], want[i].id, want[i].key)
				}
			}
		}
	}
}
