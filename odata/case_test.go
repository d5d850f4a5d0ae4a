package odata_test

import (
	"slices"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// TestNamesIgnoreCase checks that property names in $select, $filter and
// $orderby ignore case, as Graph's do, and that what the query keeps is the
// schema's own spelling.
func TestNamesIgnoreCase(t *testing.T) {
	q, err := odata.Parse("$SELECT=ID,IsCurrent,isCURRENT,Detail&$Filter=IsCurrent eq true and DETAIL/JobTitle eq 'Engineer'&$OrderBy=Detail/Layer desc", graphprofile.WorkPositionType, listOptions...)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"id", "isCurrent", "detail"}; !slices.Equal(q.Select, want) {
		t.Errorf("$select = %q, want the schema's names %q", q.Select, want)
	}
	items := []graphprofile.Object{
		{"id": "a", "isCurrent": true, "detail": graphprofile.Object{"jobTitle": "Engineer", "layer": int64(1)}},
		{"id": "b", "isCurrent": true, "detail": graphprofile.Object{"jobTitle": "Engineer", "layer": int64(2)}},
		{"id": "c", "isCurrent": false, "detail": graphprofile.Object{"jobTitle": "Engineer", "layer": int64(3)}},
		{"id": "d", "isCurrent": true, "detail": graphprofile.Object{"jobTitle": "engineer", "layer": int64(4)}},
	}
	res, err := q.Apply(t.Context(), items, "b")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range res.Items {
		ids = append(ids, o["id"].(string))
	}
	if want := []string{"b", "a"}; !slices.Equal(ids, want) {
		t.Errorf("ids %q, want %q (string values keep their case)", ids, want)
	}
	// An unknown name is still unknown, whatever its case.
	_, err = odata.Parse("$select=IDX", graphprofile.WorkPositionType, listOptions...)
	if err == nil {
		t.Fatal("$select=IDX parsed")
	}
	badRequest(t, err, -1, "Parsing OData Select and Expand failed: Could not find a property named 'IDX' on type 'microsoft.graph.workPosition'.")
}

// TestOperatorsIgnoreCase: the logical, comparison and membership
// operators, the literals true, false and null, any and all, and asc and
// desc are read in any case, as Graph reads them: its own documentation's
// examples of advanced queries write "NOT startsWith(…)", "NOT(… eq …)"
// and "… OR …". Each query in capitals finds what it does in lower case.
func TestOperatorsIgnoreCase(t *testing.T) {
	items := []graphprofile.Object{
		{"id": "a", "isCurrent": true, "allowedAudiences": "organization", "detail": graphprofile.Object{"jobTitle": "Engineer", "layer": int64(1)}, "colleagues": []any{graphprofile.Object{"displayName": "Ada"}}},
		{"id": "b", "isCurrent": false, "allowedAudiences": "me", "detail": graphprofile.Object{"jobTitle": "Manager", "layer": int64(2)}},
		{"id": "c", "isCurrent": true, "allowedAudiences": "everyone", "detail": graphprofile.Object{"jobTitle": "Director", "layer": int64(3)}},
		{"id": "d", "detail": graphprofile.Object{"jobTitle": "Engineer", "layer": int64(4)}},
	}
	ids := func(query string) []string {
		t.Helper()
		q, err := odata.Parse(query, graphprofile.WorkPositionType, listOptions...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		res, err := q.Apply(t.Context(), items, "")
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var got []string
		for _, o := range res.Items {
			got = append(got, o["id"].(string))
		}
		return got
	}
	for _, tc := range []struct{ upper, lower string }{
		{"$filter=NOT startsWith(detail/jobTitle, 'Eng')", "$filter=not startswith(detail/jobTitle, 'Eng')"},
		{"$filter=isCurrent NE null AND NOT(detail/jobTitle EQ 'Engineer')", "$filter=isCurrent ne null and not(detail/jobTitle eq 'Engineer')"},
		{"$filter=detail/layer GT 3 OR detail/layer LE 1", "$filter=detail/layer gt 3 or detail/layer le 1"},
		{"$filter=detail/layer GE 2 And detail/layer Lt 3", "$filter=detail/layer ge 2 and detail/layer lt 3"},
		{"$filter=detail/jobTitle IN ('Manager', 'Director')", "$filter=detail/jobTitle in ('Manager', 'Director')"},
		{"$filter=allowedAudiences HAS 'organization'", "$filter=allowedAudiences has 'organization'"},
		{"$filter=isCurrent EQ TRUE", "$filter=isCurrent eq true"},
		{"$filter=isCurrent Eq False", "$filter=isCurrent eq false"},
		{"$filter=isCurrent eq NULL", "$filter=isCurrent eq null"},
		{"$filter=colleagues/ANY(c: c/displayName EQ 'Ada')", "$filter=colleagues/any(c: c/displayName eq 'Ada')"},
		{"$filter=colleagues/All(c: c/displayName Eq 'Ada')", "$filter=colleagues/all(c: c/displayName eq 'Ada')"},
		{"$orderby=detail/layer DESC", "$orderby=detail/layer desc"},
		{"$orderby=detail/jobTitle ASC,detail/layer Desc", "$orderby=detail/jobTitle asc,detail/layer desc"},
	} {
		got, want := ids(tc.upper), ids(tc.lower)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: %q; %s: %q (want the same, and some)", tc.upper, got, tc.lower, want)
		}
	}
}
