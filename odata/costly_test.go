package odata_test

import (
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// TestCostly: a query is costly when it has a filter to evaluate or must
// read every entity (another order, $count=true), not when it reads its
// page in the default order or its reverse, whatever its $top, $skip or
// $select.
func TestCostly(t *testing.T) {
	countOptions := []odata.Option{odata.OptFilter}
	tests := []struct {
		query   string
		options []odata.Option
		want    bool
	}{
		{"", listOptions, false},
		{"$top=5&$skip=2&$select=id", listOptions, false},
		{"$orderby=createdDateTime", listOptions, false},
		{"$filter=detail/jobTitle eq 'x'", listOptions, true},
		{"$orderby=createdDateTime desc", listOptions, false},
		{"$orderby=createdDateTime desc&$count=true", listOptions, true},
		// id is every order's tie-break: written out, the order is the same.
		{"$orderby=createdDateTime desc,id", listOptions, false},
		{"$orderby=createdDateTime,id asc", listOptions, false},
		{"$orderby=createdDateTime,id desc", listOptions, true},
		{"$orderby=createdDateTime,detail/jobTitle", listOptions, true},
		{"$orderby=detail/jobTitle", listOptions, true},
		{"$count=true", listOptions, true},
		{"", countOptions, false},
		{"$filter=categories/any(c:c eq 'x')", countOptions, true},
	}
	for _, tt := range tests {
		q, err := odata.Parse(tt.query, graphprofile.WorkPositionType, tt.options...)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.query, err)
		}
		if got := q.Costly(); got != tt.want {
			t.Errorf("Parse(%q).Costly() = %v, want %v", tt.query, got, tt.want)
		}
	}
}
