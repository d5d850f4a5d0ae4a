package odata_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

const (
	benchFilter  = "isCurrent eq true and startswith(detail/jobTitle,'Eng') or categories/any(c: c eq 'remote')"
	benchOrderBy = "detail/company/displayName desc, createdDateTime"
)

// benchPositions is n varied positions of one user, as a store returns
// them.
func benchPositions(n int) []graphprofile.Object {
	rng := rand.New(rand.NewPCG(1, 2))
	titles := []string{"Engineer", "Engineering Manager", "Designer", "Senior Engineer", "engineer", "Intern", "Architect"}
	companies := []string{"Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove"}
	categories := []string{"remote", "part-time", "engineering", "design", "contract"}
	audiences := []string{"me", "organization", "contacts,organization", "everyone", "family"}
	by := graphprofile.Object{"user": graphprofile.Object{"id": "owner", "displayName": "Owner"}}
	items := make([]graphprofile.Object, n)
	for i := range items {
		created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(5*365*24)) * time.Hour)
		p := graphprofile.Object{
			"id": fmt.Sprintf("%08x-0000-4000-8000-%012x", rng.Uint32(), i), "createdDateTime": created, "lastModifiedDateTime": created,
			"createdBy": by, "lastModifiedBy": by, "allowedAudiences": audiences[rng.IntN(len(audiences))],
		}
		if rng.IntN(4) > 0 {
			p["isCurrent"] = rng.IntN(2) == 0
		}
		var cats []any
		for _, c := range categories {
			if rng.IntN(4) == 0 {
				cats = append(cats, c)
			}
		}
		if cats != nil {
			p["categories"] = cats
		}
		if rng.IntN(10) > 0 {
			d := graphprofile.Object{
				"jobTitle": titles[rng.IntN(len(titles))], "layer": int64(rng.IntN(8)),
				"startMonthYear": graphprofile.Date(fmt.Sprintf("%d-%02d-01", 2000+rng.IntN(24), 1+rng.IntN(12))),
			}
			if rng.IntN(5) > 0 {
				d["company"] = graphprofile.Object{"displayName": companies[rng.IntN(len(companies))], "address": graphprofile.Object{"city": "Oslo"}}
			}
			p["detail"] = d
		}
		if rng.IntN(3) == 0 {
			p["colleagues"] = []any{graphprofile.Object{"displayName": "Ann", "relationship": "colleague"}}
		}
		items[i] = p
	}
	return items
}

// BenchmarkListQuery is one list request over 1,000 positions of one user:
// parse the query string, then filter, order and take the first page of 100.
func BenchmarkListQuery(b *testing.B) {
	items := benchPositions(1000)
	raw := "$filter=" + url.QueryEscape(benchFilter) + "&$orderby=" + url.QueryEscape(benchOrderBy) + "&$top=100&$count=true"
	q, err := odata.Parse(raw, graphprofile.WorkPositionType, listOptions...)
	if err != nil {
		b.Fatal(err)
	}
	res, err := q.Apply(context.Background(), items, "tenant/user")
	if err != nil || len(res.Items) != 100 || res.NextSkipToken == "" {
		b.Fatalf("%d items, token %q, %v", len(res.Items), res.NextSkipToken, err)
	}
	b.Logf("%d of %d positions match", res.Count, len(items))
	b.ReportAllocs()
	for b.Loop() {
		q, err := odata.Parse(raw, graphprofile.WorkPositionType, listOptions...)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := q.Apply(context.Background(), items, "tenant/user"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListQueryNextPage is the same list request for a later page
// (with its $skiptoken).
func BenchmarkListQueryNextPage(b *testing.B) {
	items := benchPositions(1000)
	raw := "$filter=" + url.QueryEscape(benchFilter) + "&$orderby=" + url.QueryEscape(benchOrderBy) + "&$top=100"
	q, err := odata.Parse(raw, graphprofile.WorkPositionType, listOptions...)
	if err != nil {
		b.Fatal(err)
	}
	res, err := q.Apply(context.Background(), items, "tenant/user")
	if err != nil || res.NextSkipToken == "" {
		b.Fatal(err)
	}
	raw += "&$skiptoken=" + url.QueryEscape(res.NextSkipToken)
	b.ReportAllocs()
	for b.Loop() {
		q, err := odata.Parse(raw, graphprofile.WorkPositionType, listOptions...)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := q.Apply(context.Background(), items, "tenant/user"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilterMatch is the cost of evaluating a compiled filter on one
// position (ns/op and allocs/op are per position).
func BenchmarkFilterMatch(b *testing.B) {
	items := benchPositions(1000)
	for _, expr := range []string{
		benchFilter,
		"isCurrent eq true and startswith(detail/jobTitle,'Eng')",
		"detail/layer ge 3 and detail/company/displayName eq 'Contoso'",
		"tolower(detail/jobTitle) eq 'engineer'",
	} {
		f, err := odata.ParseFilter(expr, graphprofile.WorkPositionType)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				f.Match(items[i%len(items)])
				i++
			}
		})
	}
}

// BenchmarkParseFilter is the cost of parsing and compiling the list
// benchmark's filter.
func BenchmarkParseFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := odata.ParseFilter(benchFilter, graphprofile.WorkPositionType); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPageToken is what a page of a big list in the default order
// costs beside its items: its $skiptoken made, then read back for the next
// page (the lopsided workload's pages, $top=10), over two positions.
func BenchmarkPageToken(b *testing.B) {
	items := benchPositions(1000)
	q, err := odata.Parse("$top=10", graphprofile.WorkPositionType, listOptions...)
	if err != nil {
		b.Fatal(err)
	}
	res, err := q.Apply(context.Background(), items, "tenant/user")
	if err != nil || res.NextSkipToken == "" {
		b.Fatal(err)
	}
	next := q
	next.SkipToken = res.NextSkipToken
	b.ReportAllocs()
	for b.Loop() {
		if token := q.SkipTokenAfter("tenant/user", items[500]); token == "" {
			b.Fatal("no token")
		}
		if _, err := next.Apply(context.Background(), items[:2], "tenant/user"); err != nil {
			b.Fatal(err)
		}
	}
}
