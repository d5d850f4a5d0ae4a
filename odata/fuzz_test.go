package odata_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// The seed corpora are committed under testdata/fuzz/<FuzzName>/ (replayed
// by go test); FuzzParseFilter's f.Add seeds add the filters of
// filterMatchCases.

var errorPosition = regexp.MustCompile(`at position (\d+):`)

// checkRefusal fails unless err is a BadRequest *graphprofile.Error; for
// $filter and $orderby (expr != "") its message must name one position
// inside the expression.
func checkRefusal(t *testing.T, err error, option, expr string) {
	t.Helper()
	var e *graphprofile.Error
	if !errors.As(err, &e) || e.Code != graphprofile.CodeBadRequest || e.Message == "" {
		t.Fatalf("refusal is not a BadRequest *graphprofile.Error: %#v", err)
	}
	if option == "" {
		return
	}
	if !strings.Contains(e.Message, option) {
		t.Fatalf("message %q does not name %s", e.Message, option)
	}
	m := errorPosition.FindAllStringSubmatch(e.Message, -1)
	if len(m) != 1 {
		t.Fatalf("message %q names %d positions, want 1", e.Message, len(m))
	}
	if pos, _ := strconv.Atoi(m[0][1]); pos > len(expr) {
		t.Fatalf("message %q names a position after the end of %q (%d bytes)", e.Message, expr, len(expr))
	}
}

// FuzzParseFilter: any expression is either refused with a BadRequest that
// names a position in it, or compiled into a Filter that evaluates every
// position of the data set without panicking, the same way twice.
func FuzzParseFilter(f *testing.F) {
	for _, tc := range filterMatchCases {
		f.Add(tc.filter)
	}
	items := dataset()
	f.Fuzz(func(t *testing.T, expr string) {
		filter, err := odata.ParseFilter(expr, graphprofile.WorkPositionType)
		if err != nil {
			checkRefusal(t, err, "$filter", expr)
			return
		}
		if filter.String() != expr {
			t.Fatalf("String() = %q, want %q", filter.String(), expr)
		}
		for _, p := range items {
			if filter.Match(p) != filter.Match(p) {
				t.Fatalf("%s: Match is not deterministic", p["id"])
			}
		}
		filter.Match(graphprofile.Object{})
	})
}

// FuzzParseOrderBy: any $orderby is either refused with a BadRequest that
// names a position in it, or orders the data set totally: every position
// once, and walking it page by page with tokens gives the same order.
func FuzzParseOrderBy(f *testing.F) {
	items := dataset()
	for _, expr := range []string{"createdDateTime", "createdDateTime desc", "detail/layer desc, id", "detail/jobTitle asc,isCurrent desc",
		"allowedAudiences", "inference/confidenceScore desc", "detail/startMonthYear", "DETAIL/JOBTITLE DESC", "id desc", "detail/company/address/city"} {
		f.Add(expr, uint8(2))
	}
	f.Fuzz(func(t *testing.T, expr string, top uint8) {
		ob, err := odata.ParseOrderBy(expr, graphprofile.WorkPositionType)
		if err != nil {
			checkRefusal(t, err, "$orderby", expr)
			return
		}
		if ob.String() != expr {
			t.Fatalf("String() = %q, want %q", ob.String(), expr)
		}
		q := odata.Query{OrderBy: ob, Top: odata.MaxPageSize}
		all, err := q.Apply(context.Background(), items, "b")
		if err != nil {
			t.Fatal(err)
		}
		whole := idsOf(all.Items)
		if len(all.Items) != len(items) || all.NextSkipToken != "" {
			t.Fatalf("%d items, token %q", len(all.Items), all.NextSkipToken)
		}
		q.Top = 1 + int(top)%5
		var walked []graphprofile.Object
		for range len(items) + 1 {
			page, err := q.Apply(context.Background(), items, "b")
			if err != nil {
				t.Fatalf("page %d: %v", len(walked)/q.Top+1, err)
			}
			walked = append(walked, page.Items...)
			if page.NextSkipToken == "" {
				break
			}
			q.SkipToken = page.NextSkipToken
		}
		if idsOf(walked) != whole {
			t.Fatalf("walked %s\nwant %s", idsOf(walked), whole)
		}
	})
}

// FuzzParse: any query string is either refused with a BadRequest, or
// parsed into a query whose pages, followed to the end, hold each match
// once.
func FuzzParse(f *testing.F) {
	items := dataset()
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, err := odata.Parse(rawQuery, graphprofile.WorkPositionType, listOptions...)
		if err != nil {
			checkRefusal(t, err, "", "")
			return
		}
		if q.Top < 1 || q.Top > odata.MaxPageSize || q.Skip < 0 || q.OrderBy == nil {
			t.Fatalf("parsed into %+v", q)
		}
		matching := 0
		for _, p := range items {
			if q.Filter == nil || q.Filter.Match(p) {
				matching++
			}
		}
		res, err := q.Apply(context.Background(), items, "b")
		if err != nil {
			if q.SkipToken == "" {
				t.Fatalf("Apply without a $skiptoken: %v", err)
			}
			checkRefusal(t, err, "", "")
			return
		}
		if q.SkipToken != "" {
			return // a token that happens to be valid: nothing more to check
		}
		if q.Count && res.Count != matching || !q.Count && res.Count != -1 {
			t.Fatalf("Count %d, %d match", res.Count, matching)
		}
		seen := map[any]bool{}
		total := 0
		for page := 0; ; page++ {
			if len(res.Items) > q.Top {
				t.Fatalf("page of %d, $top=%d", len(res.Items), q.Top)
			}
			for _, p := range res.Items {
				if seen[p["id"]] {
					t.Fatalf("%s twice", p["id"])
				}
				seen[p["id"]] = true
			}
			total += len(res.Items)
			if res.NextSkipToken == "" {
				break
			}
			if page > len(items) {
				t.Fatal("the walk does not end")
			}
			next, err := odata.Parse(rawQuery+"&$skiptoken="+url.QueryEscape(res.NextSkipToken), graphprofile.WorkPositionType, listOptions...)
			if err != nil {
				t.Fatalf("the next page's query: %v", err)
			}
			if res, err = next.Apply(context.Background(), items, "b"); err != nil {
				t.Fatalf("the next page: %v", err)
			}
			if res.Count != -1 {
				t.Fatalf("page %d has Count %d", page+2, res.Count)
			}
		}
		if want := max(0, matching-q.Skip); total != want {
			t.Fatalf("walked %d, want %d (%d match, $skip=%d)", total, want, matching, q.Skip)
		}
	})
}

// FuzzSkipToken: any $skiptoken, and any payload signed with the package's
// key, is either refused with a BadRequest or positions a page; never a
// panic. orderby picks one of a few orders, so that payloads meet keys of
// every type.
func FuzzSkipToken(f *testing.F) {
	items := dataset()
	orders := []string{"", "detail/layer desc", "detail/jobTitle", "allowedAudiences, isCurrent desc", "detail/startMonthYear, createdDateTime desc", "inference/confidenceScore"}
	queries := make([]odata.Query, len(orders))
	for i, o := range orders {
		q, err := odata.Parse("$top=3&$orderby="+url.QueryEscape(o), graphprofile.WorkPositionType, listOptions...)
		if o == "" {
			q, err = odata.Parse("$top=3", graphprofile.WorkPositionType, listOptions...)
		}
		if err != nil {
			f.Fatal(err)
		}
		queries[i] = q
	}
	// Cut keys (a token's long string keys carried cut), for the orders
	// with a string key.
	f.Add("", []byte(`{"k":["cSen","f1"]}`), uint8(2))
	f.Add("", []byte(`{"k":["corg","b","no-such-id"]}`), uint8(3))
	f.Add("", []byte(`{"k":["nNaN","sf3"]}`), uint8(5))
	f.Add("", []byte(`{"k":["n-Inf","sf3"]}`), uint8(5))
	f.Add("", []byte(`{"k":["t2024-01-02T00:00:00+01:00","sf2"]}`), uint8(0))
	f.Fuzz(func(t *testing.T, token string, payload []byte, order uint8) {
		q := queries[int(order)%len(queries)]
		for _, tok := range []string{token, odata.ForgeSkipToken(q, "b", payload)} {
			q.SkipToken = tok
			// Read whole and read as it streams (a pass of the source
			// first for a token of cut keys): the same page, or a refusal
			// of the list read whole refused as it streams too (the test
			// source, as a store, may also refuse keys of another type).
			whole, wholeErr := q.Apply(context.Background(), items, "b")
			streamed, streamedErr := q.Run(context.Background(), newSliceSource(items).scan, "b")
			for _, err := range []error{wholeErr, streamedErr} {
				if err != nil {
					checkRefusal(t, err, "", "")
				}
			}
			if wholeErr != nil && streamedErr == nil {
				t.Fatalf("read whole: %v; as it streams: the page %s", wholeErr, idsOf(streamed.Items))
			}
			if wholeErr != nil || streamedErr != nil {
				continue
			}
			if len(whole.Items) > q.Top || whole.Count != -1 {
				t.Fatalf("page of %d, Count %d", len(whole.Items), whole.Count)
			}
			if idsOf(whole.Items) != idsOf(streamed.Items) || (whole.NextSkipToken == "") != (streamed.NextSkipToken == "") {
				t.Fatalf("read whole: %s (next %q); as it streams: %s (next %q)", idsOf(whole.Items), whole.NextSkipToken, idsOf(streamed.Items), streamed.NextSkipToken)
			}
		}
	})
}

// FuzzFilterAlgebra: any filter F that parses selects the same positions
// as its logical equivalents: (F) and (F), (F) or (F), (F) and true,
// false or (F), not (not (F)), (F) eq true; and De Morgan's
// not ((F) or (F)) selects the same as not (F) and not (F).
func FuzzFilterAlgebra(f *testing.F) {
	for _, tc := range filterMatchCases {
		f.Add(tc.filter)
	}
	items := dataset()
	selected := func(expr string) (string, bool) {
		q, err := odata.Parse("$top=999&$filter="+url.QueryEscape(expr), graphprofile.WorkPositionType, listOptions...)
		if err != nil {
			return "", false
		}
		res, err := q.Apply(context.Background(), items, "b")
		if err != nil {
			return "", false
		}
		return idsOf(res.Items), true
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if _, err := odata.ParseFilter(expr, graphprofile.WorkPositionType); err != nil {
			return
		}
		want, ok := selected(expr)
		if !ok {
			return
		}
		p := "(" + expr + ")"
		for _, g := range []string{p + " and " + p, p + " or " + p, p + " and true", "false or " + p, "not (not " + p + ")", p + " eq true"} {
			got, ok := selected(g)
			if !ok {
				if _, err := odata.ParseFilter(g, graphprofile.WorkPositionType); err != nil {
					// An equivalent that does not parse (beyond a length or
					// depth bound) is no wrong answer: note it only.
					t.Logf("%q parses, %q does not: %v", expr, g, err)
				}
				continue
			}
			if got != want {
				t.Fatalf("%q selects %s, its equivalent %q selects %s", expr, want, g, got)
			}
		}
		a, okA := selected("not (" + p + " or " + p + ")")
		b, okB := selected("not " + p + " and not " + p)
		c, okC := selected("not " + p)
		if okA && okB && okC && (a != b || b != c) {
			t.Fatalf("%q: not(F or F) %s, not F and not F %s, not F %s", expr, a, b, c)
		}
	})
}
