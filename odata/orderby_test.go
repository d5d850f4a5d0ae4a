package odata_test

import (
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// TestOrderBy orders the data set (storetest.QueryDataset) by each
// $orderby and checks the exact order: nulls first ascending and last
// descending, ties broken by id ascending whatever the direction.
func TestOrderBy(t *testing.T) {
	items := dataset()
	for _, tc := range []struct{ orderby, ids string }{
		// Default and explicit createdDateTime; p05 and p06 were created at the same instant.
		{"", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
		{"createdDateTime", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
		{"createdDateTime asc", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
		{"createdDateTime desc", "p12 p11 p10 p08 p07 p05 p06 p04 p03 p02 p01 p09"},
		{"id desc", "p12 p11 p10 p09 p08 p07 p06 p05 p04 p03 p02 p01"},
		{"lastModifiedDateTime desc", "p11 p12 p10 p08 p07 p05 p06 p04 p03 p02 p01 p09"},
		// Numbers, nulls first ascending.
		{"detail/layer", "p03 p04 p06 p08 p10 p11 p12 p09 p07 p02 p01 p05"},
		{"detail/layer asc", "p03 p04 p06 p08 p10 p11 p12 p09 p07 p02 p01 p05"},
		{"detail/layer desc", "p05 p01 p02 p07 p09 p03 p04 p06 p08 p10 p11 p12"},
		{"inference/confidenceScore desc", "p01 p05 p08 p02 p03 p04 p06 p07 p09 p10 p11 p12"},
		// Strings: ordinal, case-sensitive ('e' after every capital).
		{"detail/jobTitle", "p04 p08 p11 p12 p09 p02 p05 p07 p03 p01 p10 p06"},
		{"detail/jobTitle desc", "p06 p01 p10 p03 p07 p05 p02 p09 p04 p08 p11 p12"},
		{"detail/company/address/city", "p03 p04 p05 p06 p07 p09 p10 p11 p12 p02 p01 p08"},
		// Dates.
		{"detail/startMonthYear", "p03 p04 p06 p08 p09 p11 p12 p07 p02 p01 p05 p10"},
		// Enums: by the members' numeric (flags) values, not by name.
		{"allowedAudiences", "p04 p06 p11 p01 p10 p12 p03 p07 p05 p02 p09 p08"},
		{"allowedAudiences desc", "p08 p02 p09 p05 p07 p03 p01 p10 p12 p11 p06 p04"},
		{"manager/relationship desc", "p01 p02 p03 p04 p05 p06 p07 p08 p09 p10 p11 p12"},
		// Booleans: null, false, true.
		{"isCurrent", "p03 p08 p12 p02 p05 p07 p11 p01 p04 p06 p09 p10"},
		// Several keys.
		{"isCurrent desc, detail/layer", "p04 p06 p10 p09 p01 p11 p07 p02 p05 p03 p08 p12"},
		{"isCurrent desc,detail/layer desc", "p01 p09 p04 p06 p10 p05 p02 p07 p11 p03 p08 p12"},
		{"detail/company/displayName desc, createdDateTime", "p03 p02 p10 p05 p01 p09 p04 p06 p07 p08 p11 p12"},
		{" allowedAudiences  desc ,  id desc ", "p08 p09 p02 p05 p07 p03 p12 p10 p01 p11 p06 p04"},
		{"(detail/layer) desc", "p05 p01 p02 p07 p09 p03 p04 p06 p08 p10 p11 p12"},
		{"createdDateTime desc, id desc", "p12 p11 p10 p08 p07 p06 p05 p04 p03 p02 p01 p09"},
	} {
		t.Run(tc.orderby, func(t *testing.T) {
			raw := "$top=999"
			if tc.orderby != "" {
				raw += "&$orderby=" + tc.orderby
			}
			q := mustParse(t, raw)
			want := tc.orderby
			if want == "" {
				want = odata.DefaultOrderBy
			}
			if q.OrderBy.String() != want {
				t.Errorf("String() = %q, want %q", q.OrderBy.String(), want)
			}
			res, err := q.Apply(items, "b")
			if err != nil {
				t.Fatal(err)
			}
			if got := idsOf(res.Items); got != tc.ids {
				t.Errorf("$orderby=%s\n got %s\nwant %s", tc.orderby, got, tc.ids)
			}
			// The order does not depend on the order of the input.
			reversed := make([]graphprofile.Object, len(items))
			for i, p := range items {
				reversed[len(items)-1-i] = p
			}
			res, err = q.Apply(reversed, "b")
			if err != nil {
				t.Fatal(err)
			}
			if got := idsOf(res.Items); got != tc.ids {
				t.Errorf("reversed input: got %s", got)
			}
		})
	}
}

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
		{"isCurrent DESC", 10, []string{"found 'DESC'"}},
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
	if _, err := q.Apply(dataset(), "b"); err == nil {
		t.Error("Apply without an order succeeded")
	}
}
