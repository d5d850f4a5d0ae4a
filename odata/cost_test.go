package odata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// costly returns n positions with 100 categories each: the collections
// nested lambdas multiply the work over.
func costly(n int) []graphprofile.Object {
	categories := make([]any, 100)
	for i := range categories {
		categories[i] = fmt.Sprintf("c%02d", i)
	}
	items := make([]graphprofile.Object, n)
	for i := range items {
		items[i] = graphprofile.Object{"id": fmt.Sprintf("p%05d", i), "createdDateTime": time.Unix(int64(i), 0).UTC(), "categories": categories}
	}
	return items
}

func parseList(t *testing.T, raw string) Query {
	t.Helper()
	q, err := Parse(raw, graphprofile.WorkPositionType, OptFilter, OptOrderBy, OptTop)
	if err != nil {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	return q
}

func wantBadRequest(t *testing.T, err error, fragment string) {
	t.Helper()
	var e *graphprofile.Error
	if !errors.As(err, &e) || e.Code != graphprofile.CodeBadRequest || !strings.Contains(e.Message, fragment) {
		t.Fatalf("error %v, want a BadRequest saying %q", err, fragment)
	}
}

// TestLambdaNesting checks that lambda operators nest at most
// MaxLambdaNesting deep: each level multiplies the work by a collection's
// size.
func TestLambdaNesting(t *testing.T) {
	nested := func(depth int) string {
		expr := "v0 eq 'c01'"
		for i := depth - 1; i >= 0; i-- {
			expr = fmt.Sprintf("categories/any(v%d: %s)", i, expr)
		}
		return expr
	}
	for depth := 1; depth <= 6; depth++ {
		expr := nested(depth)
		_, err := Parse("$filter="+escape(expr), graphprofile.WorkPositionType, OptFilter)
		if depth <= MaxLambdaNesting {
			if err != nil {
				t.Errorf("%d levels (%s): %v", depth, expr, err)
			}
			continue
		}
		wantBadRequest(t, err, fmt.Sprintf("at most %d may be nested", MaxLambdaNesting-1))
	}
	// The attack's form: 100 levels.
	_, err := Parse("$filter="+escape(nested(100)), graphprofile.WorkPositionType, OptFilter)
	if err == nil {
		t.Fatal("100 nested lambdas parsed")
	}
	wantBadRequest(t, err, fmt.Sprintf("at most %d may be nested", MaxLambdaNesting-1))
}

func escape(s string) string { return strings.NewReplacer(" ", "%20", "'", "%27").Replace(s) }

// TestFilterWorkBudget checks that a filter whose evaluation would take
// more than MaxFilterWork steps is a 400 for lists and counts alike, and
// one within it answers exactly.
func TestFilterWorkBudget(t *testing.T) {
	// Per entity: the outer any() and its collection (2), its body, the
	// inner any() and its collection, for each of 100 categories (100 × 2),
	// and the inner body's 7 terms (and, eq, b, a, eq, a, 'c99') for each
	// of 100 × 100: 70,202 steps.
	const filter = "$filter=categories/any(a:categories/any(b:b eq a and a eq 'c99'))"
	const perEntity = 2 + 100*2 + 100*100*7
	within := costly(MaxFilterWork / perEntity)
	over := costly(MaxFilterWork/perEntity + 1)

	q := parseList(t, filter+"&$top=999")
	res, err := q.Apply(t.Context(), within, "b")
	if err != nil || len(res.Items) != len(within) {
		t.Fatalf("within the budget: %d items, %v; want %d", len(res.Items), err, len(within))
	}
	if n, err := q.CountMatching(t.Context(), sourceOf(within)); err != nil || n != len(within) {
		t.Fatalf("count within the budget: %d, %v", n, err)
	}
	_, err = q.Apply(t.Context(), over, "b")
	wantBadRequest(t, err, "evaluation steps")
	_, err = q.CountMatching(t.Context(), sourceOf(over))
	wantBadRequest(t, err, "evaluation steps")
	// Without lambdas, each entity is its filter's terms: here 3.
	plain := parseList(t, "$filter=id eq 'p00001'")
	if n, err := plain.CountMatching(t.Context(), sourceOf(costly(5000))); err != nil || n != 1 {
		t.Errorf("a plain filter over 5,000: %d, %v", n, err)
	}
}

// TestSharedWorkBudget: the filters of requests that share a WorkBudget
// (the items of one $batch) do together no more work than one request's
// filter may: each is bounded by MaxFilterWork as ever, and once their
// shared budget is spent the next is refused, however cheap.
func TestSharedWorkBudget(t *testing.T) {
	const filter = "$filter=categories/any(a:categories/any(b:b eq a and a eq 'c99'))"
	const perEntity = 2 + 100*2 + 100*100*7
	// Six tenths of the budget each: the first passes, the second does not.
	items := costly(MaxFilterWork * 6 / 10 / perEntity)
	q := parseList(t, filter+"&$top=999")
	ctx := WithWorkBudget(t.Context(), NewWorkBudget())
	if n, err := q.CountMatching(ctx, sourceOf(items)); err != nil || n != len(items) {
		t.Fatalf("the first filter of the budget: %d, %v; want %d", n, err, len(items))
	}
	_, err := q.Apply(ctx, items, "b")
	wantBadRequest(t, err, "together")
	if _, err := parseList(t, "$filter=id eq 'p00001'").CountMatching(ctx, sourceOf(items[:1])); err == nil {
		t.Error("a cheap filter after the shared budget is spent was answered")
	}
	// Apart from the shared budget, each filter has its own, as before.
	if n, err := q.CountMatching(t.Context(), sourceOf(items)); err != nil || n != len(items) {
		t.Errorf("the same filter on its own: %d, %v", n, err)
	}
	// Two filters sharing a budget at once spend it once: they cannot both
	// be answered (both may be refused, each having drawn part of it).
	shared := WithWorkBudget(t.Context(), NewWorkBudget())
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := q.CountMatching(shared, sourceOf(items)); errs <- err }()
	}
	if err1, err2 := <-errs, <-errs; err1 == nil && err2 == nil {
		t.Error("two filters of six tenths of a budget each, at once on one budget, were both answered")
	}
}

// TestFilterStopsWhenCanceled checks that evaluation stops soon after the
// request's context ends, however much work remains.
func TestFilterStopsWhenCanceled(t *testing.T) {
	q := parseList(t, "$filter=categories/any(a:categories/any(b:b eq a and a eq 'none'))")
	q.maxWork = 1 << 62    // no budget: only the context can stop it
	items := costly(20000) // about 200 million steps

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	if _, err := q.Apply(ctx, items, "b"); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled before: %v, want context.Canceled", err)
	}
	t.Logf("canceled before the start: returned after %v", time.Since(start))

	for _, call := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"list", func(ctx context.Context) error { _, err := q.Apply(ctx, items, "b"); return err }},
		{"count", func(ctx context.Context) error { _, err := q.CountMatching(ctx, sourceOf(items)); return err }},
	} {
		t.Run(call.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- call.run(ctx) }()
			time.Sleep(50 * time.Millisecond)
			canceled := time.Now()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("error %v, want context.Canceled", err)
				}
				if after := time.Since(canceled); after > 100*time.Millisecond {
					t.Errorf("stopped %v after the cancel, want within 100 ms", after)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("evaluation went on 10 s after the cancel")
			}
		})
	}
}

// sourceOf delivers items in their order, ignoring after and the order
// asked for (counts read from the first).
func sourceOf(items []graphprofile.Object) Source {
	return func(_ []any, _ bool, visit func(graphprofile.Object) (bool, error)) error {
		for _, obj := range items {
			if goOn, err := visit(obj); err != nil || !goOn {
				return err
			}
		}
		return nil
	}
}

// TestFilterWorkCountsTermsAndStrings replays a filter that was cheap in
// entities and lambda items but dear in everything else: two hundred
// string functions over kilobyte names in each lambda item. The work
// counts each term and the bytes the functions read, so it is a 400 soon,
// and the same data with a filter of one term is answered.
func TestFilterWorkCountsTermsAndStrings(t *testing.T) {
	colleagues := make([]any, 100)
	for i := range colleagues {
		colleagues[i] = graphprofile.Object{"displayName": strings.Repeat("a", 1023) + "b"}
	}
	items := make([]graphprofile.Object, 100)
	for i := range items {
		items[i] = graphprofile.Object{"id": fmt.Sprintf("p%05d", i), "createdDateTime": time.Unix(int64(i), 0).UTC(), "colleagues": colleagues}
	}
	term := "contains(tolower(c/displayName),'" + strings.Repeat("a", 40) + "c')"
	terms := make([]string, 200)
	for i := range terms {
		terms[i] = term
	}
	dear := parseList(t, "$filter="+escape("colleagues/any(c:"+strings.Join(terms, " or ")+")"))
	_, err := dear.CountMatching(t.Context(), sourceOf(items))
	wantBadRequest(t, err, "evaluation steps")

	one := parseList(t, "$filter="+escape("colleagues/any(c:"+term+")"))
	if n, err := one.CountMatching(t.Context(), sourceOf(items)); err != nil || n != 0 {
		t.Fatalf("one term over the same data: %d, %v", n, err)
	}
}

// BenchmarkFilterBudget measures how long a filter that spends the whole
// of MaxFilterWork takes, for filters of different kinds of terms: what
// MaxFilterWork's comment promises (b.N runs of the whole budget; the
// ns/step metric is the time over MaxFilterWork).
func BenchmarkFilterBudget(b *testing.B) {
	colleagues := make([]any, 100)
	for i := range colleagues {
		colleagues[i] = graphprofile.Object{"displayName": fmt.Sprintf("Colleague Number %03d Of Many", i), "relationship": "colleague"}
	}
	long := make([]any, 100)
	for i := range long {
		long[i] = graphprofile.Object{"displayName": strings.Repeat("a", 1023) + "b"}
	}
	categories := costly(1)[0]["categories"]
	entity := func(i int, colleagues []any) graphprofile.Object {
		return graphprofile.Object{"id": fmt.Sprintf("p%07d", i), "createdDateTime": time.Unix(int64(i), 0).UTC(), "isCurrent": i%2 == 0,
			"detail":     graphprofile.Object{"jobTitle": "Senior Engineer", "company": graphprofile.Object{"displayName": "Contoso", "address": graphprofile.Object{"city": "Oslo"}}},
			"colleagues": colleagues, "categories": categories}
	}
	many := func(n int, colleagues []any) []graphprofile.Object {
		items := make([]graphprofile.Object, n)
		for i := range items {
			items[i] = entity(i, colleagues)
		}
		return items
	}
	term := "contains(tolower(c/displayName),'" + strings.Repeat("a", 40) + "c')"
	terms := make([]string, 200)
	for i := range terms {
		terms[i] = term
	}
	for _, bench := range []struct {
		name, filter string
		items        []graphprofile.Object
	}{
		{"plain", "isCurrent eq true and detail/company/address/city eq 'Bergen'", many(MaxFilterWork/7+1, nil)},
		{"functions", "startswith(tolower(detail/jobTitle),'junior') or endswith(toupper(detail/company/displayName),'X')", many(MaxFilterWork/9+1, nil)},
		{"nested lambdas", "categories/any(a:categories/any(b:b eq a and a eq 'none'))", many(MaxFilterWork/70202+1, nil)},
		{"lambda over objects", "colleagues/any(c:c/relationship eq 'manager' and startswith(c/displayName,'Z'))", many(MaxFilterWork/(2+100*7)+1, colleagues)},
		{"long strings", "colleagues/any(c:" + strings.Join(terms, " or ") + ")", many(100, long)},
	} {
		q, err := Parse("$filter="+escape(bench.filter), graphprofile.WorkPositionType, OptFilter)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bench.name, func(b *testing.B) {
			for b.Loop() {
				_, err := q.CountMatching(b.Context(), sourceOf(bench.items))
				var e *graphprofile.Error
				if !errors.As(err, &e) {
					b.Fatalf("the filter did not spend the budget: %v", err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/MaxFilterWork, "ns/step")
		})
	}
}

// TestFilterSizeBounded: what parsing and compiling a filter costs is
// bounded by the filter's terms, whatever the URL holds: a chain of or's is
// no nesting the parser counts, and 131,000 of them (a 1 MiB $batch item
// URL, 1.6 KB gzipped) took 1 s of CPU and 260 MB to parse and compile
// (each link a frame of every recursion). A filter of more than
// MaxFilterTokens tokens is refused, and the text a compiled expression
// keeps for messages is clipped at every level (not×99 around a long
// literal kept 99 copies of it).
func TestFilterSizeBounded(t *testing.T) {
	long := "true" + strings.Repeat(" or true", MaxFilterTokens/2)
	if _, err := ParseFilter(long, graphprofile.WorkPositionType); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d", MaxFilterTokens)) {
		t.Errorf("a chain of %d or's: %v, want it refused for its size", MaxFilterTokens/2, err)
	}
	within := "true" + strings.Repeat(" or true", MaxFilterTokens/2-10)
	if _, err := ParseFilter(within, graphprofile.WorkPositionType); err != nil {
		t.Errorf("a chain within the bound: %v", err)
	}

	text := strings.Repeat("not (", 45) + "detail/jobTitle eq '" + strings.Repeat("x", 100_000) + "'" + strings.Repeat(")", 45)
	n, err := parseExpression("$filter", text)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{option: "$filter", root: graphprofile.WorkPositionType}
	x, err := c.boolean(n, "$filter")
	if err != nil {
		t.Fatal(err)
	}
	if len(x.text) > 2*maxTextLen {
		t.Errorf("the compiled text is %d bytes, want it clipped near %d", len(x.text), maxTextLen)
	}
}

// TestFilterWorkBudgetIsInclusive: a filter may take exactly its budget's
// steps; one more is a 400.
func TestFilterWorkBudgetIsInclusive(t *testing.T) {
	q := parseList(t, "$filter=true&$top=999") // one step per entity
	q.maxWork = 3
	if res, err := q.Apply(t.Context(), costly(3), "b"); err != nil || len(res.Items) != 3 {
		t.Fatalf("3 steps within a budget of 3: %d items, %v; want 3", len(res.Items), err)
	}
	_, err := q.Apply(t.Context(), costly(4), "b")
	wantBadRequest(t, err, "evaluation steps")

	// A lambda operator is two steps (the operator and its collection);
	// any() visits no item.
	q = parseList(t, "$filter=categories/any()&$top=999")
	q.maxWork = 2 * 3
	if res, err := q.Apply(t.Context(), costly(3), "b"); err != nil || len(res.Items) != 3 {
		t.Fatalf("any() over 3 entities within a budget of 6: %d items, %v; want 3", len(res.Items), err)
	}
	q.maxWork--
	_, err = q.Apply(t.Context(), costly(3), "b")
	wantBadRequest(t, err, "evaluation steps")
}

// TestSharedWorkBudgetGrantsWhatIsLeft: under a $batch's shared budget a
// filter still stops at its own budget, with its own 400 however much the
// batch has left, and gets no more steps than the batch has left, which
// is the batch's 400.
func TestSharedWorkBudgetGrantsWhatIsLeft(t *testing.T) {
	q := parseList(t, "$filter=true&$top=999") // one step per entity
	q.maxWork = 3
	_, err := q.Apply(WithWorkBudget(t.Context(), NewWorkBudget()), costly(4), "b")
	wantBadRequest(t, err, "evaluation steps over this collection")

	q.maxWork = 10
	low := NewWorkBudget()
	low.left.Store(3)
	ctx := WithWorkBudget(t.Context(), low)
	if res, err := q.Apply(ctx, costly(3), "b"); err != nil || len(res.Items) != 3 {
		t.Fatalf("3 steps of the 3 the batch has left: %d items, %v; want 3", len(res.Items), err)
	}
	_, err = q.Apply(ctx, costly(1), "b")
	wantBadRequest(t, err, "together")
	low.left.Store(3)
	_, err = q.Apply(ctx, costly(4), "b")
	wantBadRequest(t, err, "together")
}

// TestStringFunctionsPayForTheirBytes: a string function takes a step
// more for every stringStepBytes bytes it reads, of its literal as of the
// value it looks into: contains(id,'x…') over 6-byte ids with a 58-byte
// literal is its 3 terms and 64/32 = 2 steps an entity.
func TestStringFunctionsPayForTheirBytes(t *testing.T) {
	q := parseList(t, "$filter="+escape("contains(id,'"+strings.Repeat("x", 58)+"')")+"&$top=999")
	q.maxWork = 3 * 5
	if res, err := q.Apply(t.Context(), costly(3), "b"); err != nil || len(res.Items) != 0 {
		t.Fatalf("3 entities of 5 steps within a budget of 15: %d items, %v; want none and no error", len(res.Items), err)
	}
	q.maxWork--
	_, err := q.Apply(t.Context(), costly(3), "b")
	wantBadRequest(t, err, "evaluation steps")

	// tolower of a 128-byte title: 4 terms and 128/32 = 4 steps an entity.
	titled := costly(2)
	for _, it := range titled {
		it["detail"] = graphprofile.Object{"jobTitle": strings.Repeat("A", 128)}
	}
	q = parseList(t, "$filter="+escape("tolower(detail/jobTitle) eq 'x'")+"&$top=999")
	q.maxWork = 2 * 8
	if res, err := q.Apply(t.Context(), titled, "b"); err != nil || len(res.Items) != 0 {
		t.Fatalf("2 entities of 8 steps within a budget of 16: %d items, %v; want none and no error", len(res.Items), err)
	}
	q.maxWork--
	_, err = q.Apply(t.Context(), titled, "b")
	wantBadRequest(t, err, "evaluation steps")
}
