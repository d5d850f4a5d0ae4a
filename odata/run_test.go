package odata_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// sliceSource is a Source over items sorted in the default order (read
// backwards when descending, ties still by id), counting the entities it
// delivers.
type sliceSource struct {
	items     []graphprofile.Object // createdDateTime, then id
	delivered int
}

func newSliceSource(items []graphprofile.Object) *sliceSource {
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b graphprofile.Object) int {
		if c := a["createdDateTime"].(time.Time).Compare(b["createdDateTime"].(time.Time)); c != 0 {
			return c
		}
		return strings.Compare(a["id"].(string), b["id"].(string))
	})
	return &sliceSource{items: sorted}
}

func (s *sliceSource) scan(after []any, descending bool, visit func(graphprofile.Object) (bool, error)) error {
	items := s.items
	if descending {
		items = slices.Clone(items)
		slices.SortStableFunc(items, func(a, b graphprofile.Object) int {
			return b["createdDateTime"].(time.Time).Compare(a["createdDateTime"].(time.Time))
		})
	}
	var at time.Time
	var id string
	if after != nil {
		// As a store's source does: a token's keys of another type (a
		// forged one's) are refused.
		var okAt, okID bool
		if len(after) == 2 {
			at, okAt = after[0].(time.Time)
			id, okID = after[1].(string)
		}
		if !okAt || !okID {
			return odata.BadSkipToken()
		}
	}
	for _, it := range items {
		if after != nil {
			c := it["createdDateTime"].(time.Time).Compare(at)
			if descending {
				c = -c
			}
			if c < 0 || (c == 0 && it["id"].(string) <= id) {
				continue
			}
		}
		s.delivered++
		more, err := visit(it)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// pages walks a list to its end, following each page's $skiptoken, with
// answer (Run or Apply), and returns the count and the ids of every page.
func pages(t *testing.T, raw string, answer func(odata.Query) (odata.Result, error)) [][]string {
	t.Helper()
	var out [][]string
	token := ""
	for range 100 {
		query := raw
		if token != "" {
			query += "&$skiptoken=" + url.QueryEscape(token)
		}
		res, err := answer(mustParse(t, query))
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		// The page's @odata.count first (-1: none), then its ids.
		ids := []string{fmt.Sprintf("count=%d", res.Count)}
		for _, it := range res.Items {
			ids = append(ids, it["id"].(string))
		}
		out = append(out, ids)
		if res.NextSkipToken == "" {
			return out
		}
		token = res.NextSkipToken
	}
	t.Fatalf("%s: more than 100 pages", raw)
	return nil
}

// TestRunAnswersAsApply checks that reading a list as far as its page
// (Run) answers exactly what reading it whole does (Apply): every filter of
// odata's table, page sizes, $skip, and $orderby and $count, which read it
// all.
func TestRunAnswersAsApply(t *testing.T) {
	items := dataset()
	queries := []string{"", "$top=1", "$top=3", "$top=999", "$skip=2&$top=2", "$skip=7",
		"$orderby=detail/layer desc&$top=2", "$count=true&$top=3", "$orderby=createdDateTime&$top=2", "$orderby=createdDateTime desc&$top=3",
		"$orderby=createdDateTime desc&$top=1", "$orderby=createdDateTime desc&$skip=3&$top=2", "$orderby=createdDateTime desc",
		"$orderby=createdDateTime desc&$top=2&$filter=" + url.QueryEscape("isCurrent eq true"),
		"$orderby=detail/layer&$top=1", "$orderby=detail/layer desc&$skip=2&$top=2", "$orderby=detail/layer&$skip=7&$top=3",
		"$orderby=detail/jobTitle&$top=3&$count=true", "$orderby=isCurrent desc,detail/layer&$top=2",
		"$count=true&$skip=1&$top=2&$filter=" + url.QueryEscape("isCurrent eq true"), "$orderby=detail/layer&$top=999", "$skip=99&$count=true",
		"$orderby=createdDateTime,id&$top=2", "$orderby=createdDateTime desc,id&$top=2", "$orderby=createdDateTime desc,id asc&$skip=1&$top=3",
		// A $skip past every int: what the heap keeps is not $skip+$top+1.
		"$orderby=detail/layer&$skip=9223372036854775807&$top=999", "$skip=9223372036854775807"}
	for _, c := range filterMatchCases {
		queries = append(queries, "$filter="+url.QueryEscape(c.filter)+"&$top=2")
	}
	for _, raw := range queries {
		t.Run(raw, func(t *testing.T) {
			run := pages(t, raw, func(q odata.Query) (odata.Result, error) {
				return q.Run(context.Background(), newSliceSource(items).scan, "b")
			})
			apply := pages(t, raw, func(q odata.Query) (odata.Result, error) {
				return q.Apply(context.Background(), items, "b")
			})
			if fmt.Sprint(run) != fmt.Sprint(apply) {
				t.Errorf("Run's pages %v, Apply's %v", run, apply)
			}
		})
	}
}

// TestRunAnswersAsApplyAtRandom walks random lists (many ties in every
// key, nulls among them) in pages of random sizes, with and without
// $skip, $count and a filter, in every order Run reads differently (the
// default, newest first, another key either way), and checks each page
// against Apply's: the heap that keeps a page must keep exactly the
// entities the whole sort would have put there. The seed is fixed.
func TestRunAnswersAsApplyAtRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2026))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	orders := []string{"", "$orderby=createdDateTime desc", "$orderby=createdDateTime,id", "$orderby=createdDateTime desc,id", "$orderby=detail/layer", "$orderby=detail/layer desc",
		"$orderby=isCurrent desc,detail/layer", "$orderby=detail/jobTitle"}
	for round := range 60 {
		n := rng.IntN(90) // pages() walks at most 100 pages
		items := make([]graphprofile.Object, n)
		for i := range items {
			detail := graphprofile.Object{}
			if rng.IntN(4) > 0 {
				detail["layer"] = int64(rng.IntN(5))
			}
			if rng.IntN(3) > 0 {
				detail["jobTitle"] = fmt.Sprintf("Job %d", rng.IntN(6))
			}
			items[i] = graphprofile.Object{"id": fmt.Sprintf("r%03d-%d", rng.IntN(1000), i),
				"createdDateTime": start.Add(time.Duration(rng.IntN(20)) * time.Second),
				"isCurrent":       rng.IntN(2) == 0, "detail": detail}
		}
		query := fmt.Sprintf("%s&$top=%d", orders[rng.IntN(len(orders))], 1+rng.IntN(12))
		if rng.IntN(3) == 0 {
			query += fmt.Sprintf("&$skip=%d", rng.IntN(15))
		}
		if rng.IntN(3) == 0 {
			query += "&$count=true"
		}
		if rng.IntN(3) == 0 {
			query += "&$filter=" + url.QueryEscape("isCurrent eq true")
		}
		query = strings.TrimPrefix(query, "&")
		run := pages(t, query, func(q odata.Query) (odata.Result, error) {
			return q.Run(context.Background(), newSliceSource(items).scan, "b")
		})
		apply := pages(t, query, func(q odata.Query) (odata.Result, error) {
			return q.Apply(context.Background(), items, "b")
		})
		if fmt.Sprint(run) != fmt.Sprint(apply) {
			t.Errorf("round %d, %d items, %s:\nRun's pages   %v\nApply's pages %v", round, n, query, run, apply)
		}
	}
}

// TestRunReadsOnlyThePage checks that a page in the default order reads
// the entities up to the page and one more, from the $skiptoken's position,
// however long the list.
func TestRunReadsOnlyThePage(t *testing.T) {
	items := make([]graphprofile.Object, 100000)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = graphprofile.Object{"id": fmt.Sprintf("i%06d", i), "createdDateTime": start.Add(time.Duration(i) * time.Second), "isCurrent": i%1000 == 999}
	}
	src := newSliceSource(items)
	q := mustParse(t, "$top=10")
	res, err := q.Run(context.Background(), src.scan, "b")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 10 || src.delivered != 11 || res.NextSkipToken == "" {
		t.Fatalf("first page: %d items, %d read, next %q; want 10, 11 and a token", len(res.Items), src.delivered, res.NextSkipToken)
	}
	src.delivered = 0
	next := mustParse(t, "$top=10&$skiptoken="+url.QueryEscape(res.NextSkipToken))
	res, err = next.Run(context.Background(), src.scan, "b")
	if err != nil || len(res.Items) != 10 || res.Items[0]["id"] != "i000010" || src.delivered != 11 {
		t.Fatalf("second page: %v, %d items from %v, %d read", err, len(res.Items), res.Items[0]["id"], src.delivered)
	}
	// A filter reads until its page is full: 3 matches, one per 1,000.
	src.delivered = 0
	res, err = mustParse(t, "$top=3&$filter=isCurrent eq true").Run(context.Background(), src.scan, "b")
	if err != nil || len(res.Items) != 3 || src.delivered != 4000 {
		t.Fatalf("filtered page: %v, %d items, %d read; want 3 and 4,000", err, len(res.Items), src.delivered)
	}
	// $count reads everything.
	src.delivered = 0
	res, err = mustParse(t, "$top=10&$count=true").Run(context.Background(), src.scan, "b")
	if err != nil || res.Count != 100000 || src.delivered != 100000 {
		t.Fatalf("$count: %v, count %d, %d read", err, res.Count, src.delivered)
	}
	// Newest first reads the page from the end, and its next page after it.
	src.delivered = 0
	res, err = mustParse(t, "$orderby=createdDateTime desc&$top=10").Run(context.Background(), src.scan, "b")
	if err != nil || len(res.Items) != 10 || res.Items[0]["id"] != "i099999" || src.delivered != 11 || res.NextSkipToken == "" {
		t.Fatalf("newest first: %v, %d items from %v, %d read, next %q; want 10 from i099999, 11 read and a token", err, len(res.Items), res.Items[0]["id"], src.delivered, res.NextSkipToken)
	}
	src.delivered = 0
	next = mustParse(t, "$orderby=createdDateTime desc&$top=10&$skiptoken="+url.QueryEscape(res.NextSkipToken))
	res, err = next.Run(context.Background(), src.scan, "b")
	if err != nil || len(res.Items) != 10 || res.Items[0]["id"] != "i099989" || src.delivered != 11 {
		t.Fatalf("newest first, second page: %v, %d items from %v, %d read", err, len(res.Items), res.Items[0]["id"], src.delivered)
	}
	// The same orders with the id that breaks their ties written out (as
	// clients add it for stable pages) are the same orders: read as far as
	// the page, and their tokens go on where they stopped.
	for _, tc := range []struct{ orderby, first, second string }{
		{"createdDateTime,id", "i000000", "i000010"},
		{"createdDateTime asc,id asc", "i000000", "i000010"},
		{"createdDateTime desc,id", "i099999", "i099989"},
		{"CreatedDateTime desc,ID asc", "i099999", "i099989"},
	} {
		src.delivered = 0
		res, err := mustParse(t, "$orderby="+tc.orderby+"&$top=10").Run(context.Background(), src.scan, "b")
		if err != nil || len(res.Items) != 10 || res.Items[0]["id"] != tc.first || src.delivered != 11 || res.NextSkipToken == "" {
			t.Fatalf("%s: %v, %d items, %d read, next %q; want 10 from %s, 11 read and a token", tc.orderby, err, len(res.Items), src.delivered, res.NextSkipToken, tc.first)
		}
		src.delivered = 0
		res, err = mustParse(t, "$orderby="+tc.orderby+"&$top=10&$skiptoken="+url.QueryEscape(res.NextSkipToken)).Run(context.Background(), src.scan, "b")
		if err != nil || len(res.Items) != 10 || res.Items[0]["id"] != tc.second || src.delivered != 11 {
			t.Fatalf("%s, second page: %v, %d items, %d read; want 10 from %s, 11 read", tc.orderby, err, len(res.Items), src.delivered, tc.second)
		}
	}
	// With id descending the ties go the other way: no index order, every
	// entity read.
	src.delivered = 0
	if _, err := mustParse(t, "$orderby=createdDateTime,id desc&$top=10").Run(context.Background(), src.scan, "b"); err != nil || src.delivered != 100000 {
		t.Fatalf("createdDateTime,id desc: %v, %d read; want every entity", err, src.delivered)
	}
}

// TestRunHoldsOnlyThePage checks that a query no index serves (another
// $orderby, $count=true) reads every entity but holds only what its page
// may: once the source has delivered the last of 20,000 entities, at most
// $skip + $top + 1 of them (and the one being delivered) are still
// reachable. Each entity carries a marker the test holds weakly.
func TestRunHoldsOnlyThePage(t *testing.T) {
	type marker struct{ _ [64]byte }
	const n = 20000
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		query string
		keep  int
	}{
		{"$orderby=detail/layer desc&$top=10", 11},
		{"$count=true&$top=10", 11},
		{"$orderby=detail/layer&$skip=5&$top=10&$filter=isCurrent eq true", 16},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var alive int
			src := func(_ []any, _ bool, visit func(graphprofile.Object) (bool, error)) error {
				markers := make([]weak.Pointer[marker], 0, n)
				for i := range n {
					m := &marker{}
					markers = append(markers, weak.Make(m))
					obj := graphprofile.Object{"id": fmt.Sprintf("i%06d", i), "createdDateTime": start.Add(time.Duration(i) * time.Second),
						"isCurrent": i%2 == 0, "detail": graphprofile.Object{"layer": int64(i * 7919 % n)}, "marker": m}
					if goOn, err := visit(obj); err != nil || !goOn {
						return err
					}
				}
				runtime.GC()
				for _, w := range markers {
					if w.Value() != nil {
						alive++
					}
				}
				return nil
			}
			res, err := mustParse(t, tc.query).Run(context.Background(), src, "b")
			if err != nil || len(res.Items) != 10 {
				t.Fatalf("%v, %d items", err, len(res.Items))
			}
			if alive > tc.keep+1 {
				t.Errorf("%d of %d entities still held after the source's last, want at most %d", alive, n, tc.keep+1)
			}
		})
	}
}

// TestRunStopsOnBudgetAndContext checks that a filter that matches
// nothing stops at the work budget, and a canceled request at once.
func TestRunStopsOnBudgetAndContext(t *testing.T) {
	// isCurrent eq true is 3 steps an entity.
	const perEntity = 3
	items := make([]graphprofile.Object, odata.MaxFilterWork/perEntity+10)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = graphprofile.Object{"id": fmt.Sprintf("i%08d", i), "createdDateTime": start.Add(time.Duration(i) * time.Millisecond)}
	}
	src := newSliceSource(items)
	_, err := mustParse(t, "$top=1&$filter=isCurrent eq true").Run(context.Background(), src.scan, "b")
	var e *graphprofile.Error
	if !errors.As(err, &e) || e.Code != graphprofile.CodeBadRequest || src.delivered > odata.MaxFilterWork/perEntity+1 {
		t.Fatalf("a filter matching nothing over more than the budget: %v after %d", err, src.delivered)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src.delivered = 0
	_, err = mustParse(t, "$top=1&$filter=isCurrent eq true").Run(ctx, src.scan, "b")
	if !errors.Is(err, context.Canceled) || src.delivered > 2048 {
		t.Fatalf("canceled: %v after %d", err, src.delivered)
	}
	// Without a filter, a read of every entity (another order) stops at
	// once too.
	src.delivered = 0
	_, err = mustParse(t, "$top=1&$orderby=id desc").Run(ctx, src.scan, "b")
	if !errors.Is(err, context.Canceled) || src.delivered > 1 {
		t.Fatalf("canceled, without a filter: %v after %d", err, src.delivered)
	}
}

// TestPagesBoundedInBytes: a page of big items ends before $top when its
// items pass odata.MaxPageBytes, with a nextLink, in every way a page is
// made (reading only the page, selecting it from every entity, from a
// slice), and walking the pages still gives every item once, in order.
func TestPagesBoundedInBytes(t *testing.T) {
	big := strings.Repeat("x", 400<<10)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	items := make([]graphprofile.Object, 60)
	for i := range items {
		items[i] = graphprofile.Object{"id": fmt.Sprintf("p%03d", i), "createdDateTime": start.Add(time.Duration(i) * time.Second),
			"detail": graphprofile.Object{"description": big}}
	}
	src := newSliceSource(items)
	// The same ids and times without the big values: the order to expect.
	small := make([]graphprofile.Object, len(items))
	for i, it := range items {
		small[i] = graphprofile.Object{"id": it["id"], "createdDateTime": it["createdDateTime"]}
	}
	for _, query := range []string{"$top=999", "$orderby=createdDateTime desc&$top=999", "$orderby=id desc&$top=999", "$top=999&$count=true", "$top=50&$skip=5", "$orderby=id desc&$top=50&$skip=5",
		// The page after a $skip of 20 big items is all the heap keeps
		// (the skipped and two more): more follow it all the same.
		"$orderby=id desc&$top=50&$skip=20"} {
		for _, run := range []string{"Run", "Apply"} {
			t.Run(query+"/"+run, func(t *testing.T) {
				var got []string
				pages := 0
				for token := ""; ; pages++ {
					raw := query
					if token != "" {
						raw += "&$skiptoken=" + url.QueryEscape(token)
					}
					q := mustParse(t, raw)
					var res odata.Result
					var err error
					if run == "Run" {
						res, err = q.Run(t.Context(), src.scan, "b")
					} else {
						res, err = q.Apply(t.Context(), items, "b")
					}
					if err != nil {
						t.Fatal(err)
					}
					size := 0
					for _, it := range res.Items {
						size += graphprofile.ApproxJSONSize(it)
						got = append(got, it["id"].(string))
					}
					if len(res.Items) == 0 || size > odata.MaxPageBytes+graphprofile.ApproxJSONSize(res.Items[len(res.Items)-1]) {
						t.Fatalf("page %d: %d items of %d bytes; the bound is %d", pages, len(res.Items), size, odata.MaxPageBytes)
					}
					// The first page holds what fits in the bound: ten of these,
					// also when the heap lets its last go (after $skip=5 the
					// skipped are not the page's bytes), but for the heap
					// after $skip=20, which keeps the skipped and two more.
					if wantFirst := 10; pages == 0 {
						if run == "Run" && strings.Contains(query, "$skip=20") {
							wantFirst = 2
						}
						if len(res.Items) != wantFirst {
							t.Errorf("the first page holds %d items, want %d", len(res.Items), wantFirst)
						}
					}
					if token = res.NextSkipToken; token == "" {
						break
					}
				}
				// $top is the page size: the pages go on to the end.
				want := mustParse(t, strings.NewReplacer("$top=999", "$top=60", "$top=50", "$top=60").Replace(query))
				all, _ := want.Apply(t.Context(), small, "b")
				var wantIDs []string
				for _, it := range all.Items {
					wantIDs = append(wantIDs, it["id"].(string))
				}
				if pages < 2 || !slices.Equal(got, wantIDs) {
					t.Errorf("%d pages gave %v, want %v", pages+1, got, wantIDs)
				}
			})
		}
	}
}
