package odata_test

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// profileOptions are the options GET profile allows.
var profileOptions = []odata.Option{odata.OptSelect, odata.OptExpand}

// everyCollection is what $expand=* expands: every collection of the
// profile, in schema order.
func everyCollection() []odata.Expansion {
	var all []odata.Expansion
	for _, c := range graphprofile.ProfileCollections() {
		all = append(all, odata.Expansion{Property: c.Name})
	}
	return all
}

// TestParseExpand: $expand names navigation properties, * all of them, and
// a nested $select the properties of the expanded entities.
func TestParseExpand(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []odata.Expansion
	}{
		{"", nil},
		{"$expand=positions", []odata.Expansion{{Property: "positions"}}},
		{"expand=positions", []odata.Expansion{{Property: "positions"}}},
		{"$EXPAND=" + url.QueryEscape(" positions "), []odata.Expansion{{Property: "positions"}}},
		{"$expand=*", everyCollection()},
		{"$expand=" + url.QueryEscape("positions($select=id,isCurrent)"), []odata.Expansion{{Property: "positions", Select: []string{"id", "isCurrent"}}}},
		{"$expand=" + url.QueryEscape("positions(select=detail)"), []odata.Expansion{{Property: "positions", Select: []string{"detail"}}}},
		{"$expand=" + url.QueryEscape("positions($select=*)"), []odata.Expansion{{Property: "positions"}}},
		{"$select=id&$expand=positions", []odata.Expansion{{Property: "positions"}}},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			q, err := odata.Parse(tc.raw, graphprofile.ProfileType, profileOptions...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(q.Expand, tc.want) {
				t.Errorf("Expand = %#v, want %#v", q.Expand, tc.want)
			}
		})
	}
}

// TestParseExpandErrors: what cannot be expanded is a BadRequest naming
// it; a navigation property can be $selected like any other.
func TestParseExpandErrors(t *testing.T) {
	for _, tc := range []struct {
		value     string
		pos       int // of the part the message names; -1: none named
		fragments []string
	}{
		{"nonsense", 0, []string{"could not find a navigation property named 'nonsense' on type 'microsoft.graph.profile'"}},
		{"id", 0, []string{"could not find a navigation property named 'id'"}},
		{"Positions,positions", 10, []string{"'positions' is expanded more than once"}},
		{"", 0, []string{"expected a navigation property"}},
		{"positions,", 10, []string{"expected a navigation property between commas"}},
		{"positions,positions", 10, []string{"'positions' is expanded more than once"}},
		{"*,positions", 2, []string{"'positions' is expanded more than once"}},
		{"positions/detail", 0, []string{"'positions/detail' is a path"}},
		{"positions($select=id", 20, []string{"missing ')'"}},
		{"positions)", 9, []string{"unbalanced ')'"}},
		{"positions($select=id)x", 0, []string{"expected ')' after the options of 'positions'"}},
		{"positions($select=id)($select=detail)", 21, []string{"Syntax error in $expand at position 21: unexpected '(' after the options of 'positions'"}},
		{"positions($select=id)()", 21, []string{"Syntax error in $expand at position 21: unexpected '(' after the options of 'positions'"}},
		{"positions($filter=isCurrent)", 10, []string{"the nested option '$filter' is not supported; only $select is"}},
		{"positions($top=1)", 10, []string{"the nested option '$top' is not supported"}},
		{"positions($select=id;$select=detail)", 21, []string{"the nested $select is given more than once"}},
		{"positions($select=bogus)", -1, []string{"Parsing OData Select and Expand failed: Could not find a property named 'bogus' on type 'microsoft.graph.workPosition'."}},
		{"positions($select=detail/jobTitle)", -1, []string{"selects inside a property"}},
		{"*($levels=2)", 0, []string{"'*' takes no nested options"}},
		// Where the options start, past spaces the parser skips.
		{"positions ($top=1)", 11, []string{"the nested option '$top' is not supported"}},
		{" positions($top=1)", 11, []string{"the nested option '$top' is not supported"}},
		{"positions($select=id; $top=1)", 22, []string{"the nested option '$top' is not supported"}},
		{"positions( $select=id;$select=detail)", 22, []string{"the nested $select is given more than once"}},
	} {
		t.Run(tc.value, func(t *testing.T) {
			q, err := odata.Parse("$expand="+url.QueryEscape(tc.value), graphprofile.ProfileType, profileOptions...)
			if err == nil {
				t.Fatalf("accepted: %+v", q)
			}
			badRequest(t, err, tc.pos, tc.fragments...)
		})
	}
	// $expand only where a resource allows it.
	_, err := odata.Parse("$expand=positions", graphprofile.WorkPositionType, listOptions...)
	if err == nil {
		t.Fatal("$expand accepted on a positions list")
	}
	badRequest(t, err, -1, "'$expand' is not supported on this resource")
	q, err := odata.Parse("$select=positions", graphprofile.ProfileType, profileOptions...)
	if err != nil || !reflect.DeepEqual(q.Select, []string{"positions"}) || q.Expand != nil {
		t.Errorf("$select=positions: %+v, %v", q, err)
	}
}

// TestParseExpandIgnoresCase: navigation names ignore case, as Graph's
// names do, and the query keeps the schema's spelling.
func TestParseExpandIgnoresCase(t *testing.T) {
	q, err := odata.Parse("$EXPAND="+url.QueryEscape("Positions($SELECT=IsCurrent)"), graphprofile.ProfileType, profileOptions...)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Expand) != 1 || q.Expand[0].Property != "positions" || len(q.Expand[0].Select) != 1 || q.Expand[0].Select[0] != "isCurrent" {
		t.Errorf("$expand=Positions($select=IsCurrent): %+v", q.Expand)
	}
}
