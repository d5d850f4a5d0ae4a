package odata_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// TestQueryIsCompiledOnce pins issue 4's "evaluating a query must not
// re-parse or re-plan per row": a parsed query's $filter and $orderby are
// evaluated over each position by what was compiled once, so running the
// same query over 3,000 more positions allocates, for each, a small part of
// what parsing the query allocates (a value boxed, a string lowered), where
// a re-parse or a re-plan per position would cost at least a whole parse
// each. The page itself is the same 100 positions either way.
func TestQueryIsCompiledOnce(t *testing.T) {
	few, many := benchPositions(1000), benchPositions(4000)
	for _, tc := range []struct{ name, raw string }{
		{"filter", "$filter=" + url.QueryEscape(benchFilter) + "&$top=100"},
		{"filter and orderby", "$filter=" + url.QueryEscape(benchFilter) + "&$orderby=" + url.QueryEscape(benchOrderBy) + "&$top=100"},
		{"filter, orderby and count", "$filter=" + url.QueryEscape(benchFilter) + "&$orderby=" + url.QueryEscape(benchOrderBy) + "&$top=100&$count=true"},
		{"lambdas and functions", "$filter=" + url.QueryEscape("colleagues/any(p: tolower(p/displayName) eq 'ann') or not categories/all(c: contains(c,'e'))") + "&$top=100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := odata.Parse(tc.raw, graphprofile.WorkPositionType, listOptions...)
			if err != nil {
				t.Fatal(err)
			}
			allocs := func(items []graphprofile.Object) float64 {
				return testing.AllocsPerRun(20, func() {
					res, err := q.Apply(context.Background(), items, "tenant/user")
					if err != nil || len(res.Items) != 100 {
						t.Fatalf("%d items, %v", len(res.Items), err)
					}
				})
			}
			parse := testing.AllocsPerRun(20, func() {
				if _, err := odata.Parse(tc.raw, graphprofile.WorkPositionType, listOptions...); err != nil {
					t.Fatal(err)
				}
			})
			a, b := allocs(few), allocs(many)
			if perRow := (b - a) / float64(len(many)-len(few)); perRow > parse/4 {
				t.Errorf("%.0f allocations over %d positions, %.0f over %d: %.2f more a position, a parse of the query being %.0f (want under a quarter of it: the query is compiled once)",
					a, len(few), b, len(many), perRow, parse)
			}
		})
	}
}
