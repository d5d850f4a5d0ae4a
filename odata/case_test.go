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
