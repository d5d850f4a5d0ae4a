package odata

import (
	"container/heap"
	"context"
	"math"
	"slices"

	"github.com/graphprofile/graphprofile"
)

// selectPage answers q as Apply does, reading every entity src delivers in
// the default order but keeping only those its page may hold: the first
// $skip + $top + 1 matches in q's order (after a $skiptoken, the first
// $top + 1 after it), in a heap whose top is the last of them. Memory is
// the page's whatever the list's size; the work is the list's. For a query
// no index serves: another $orderby, or $count=true, which counts every
// match.
func (q Query) selectPage(ctx context.Context, src Source, binding string) (Result, error) {
	var after []any
	if q.SkipToken != "" {
		var err error
		if after, err = q.decodeSkipToken(binding); err != nil {
			return Result{}, err
		}
		// A token of cut keys (resolveAfter): its entity is found by a
		// read of the list before the page's, which only such a token
		// costs.
		var found graphprofile.Object
		after = q.resolveAfter(after, func(id string) graphprofile.Object {
			err = src(nil, false, func(obj graphprofile.Object) (bool, error) {
				if obj["id"] == id {
					found = obj
					return false, nil
				}
				return true, ctx.Err()
			})
			return found
		})
		if err != nil {
			return Result{}, err
		}
	}
	// A page after a $skiptoken starts at the token, as Apply's does.
	skip, top := q.Skip, max(q.Top, 1)
	if after != nil {
		skip = 0
	}
	keep := math.MaxInt
	if skip < math.MaxInt-top-1 {
		keep = skip + top + 1 // one more: is there a next page?
	}
	var e *env
	if q.Filter != nil {
		e = q.Filter.newEnv(ctx, q.work())
	}
	best := &pageHeap{order: q.OrderBy, size: q.entitySize}
	matched := 0
	beyond := false // matches were let go to keep the heap within its bytes
	var keys []any
	err := src(nil, false, func(obj graphprofile.Object) (bool, error) {
		if ok, err := q.admits(ctx, e, obj); err != nil {
			return false, err
		} else if !ok {
			return true, nil
		}
		matched++
		keys = q.OrderBy.appendKeyValues(keys[:0], obj)
		if after != nil && q.OrderBy.compareKeys(keys, after) <= 0 {
			return true, nil
		}
		switch {
		case best.Len() < keep:
			best.push(ranked{obj: obj, keys: slices.Clone(keys)})
		case q.OrderBy.compareKeys(keys, best.entries[0].keys) < 0:
			// Before the last kept: it takes that one's place.
			best.replaceLast(obj, keys)
		default:
			return true, nil
		}
		// Past twice a page's bytes (the page and what may follow it), the
		// last kept go, while the skipped and one more stay: they would
		// not fit in the page anyway, and what comes after them in order
		// is read again for the next page. From then on the heap keeps no
		// more entities than it holds.
		for best.bytes > 2*MaxPageBytes && best.Len() > skip+2 {
			best.popLast()
			keep, beyond = best.Len(), true
		}
		return true, nil
	})
	if err != nil {
		return Result{}, err
	}

	kept := best.entries
	slices.SortFunc(kept, func(a, b ranked) int { return q.OrderBy.compareKeys(a.keys, b.keys) })
	count := -1
	if q.Count && after == nil {
		count = matched
	}
	return q.pageOf(kept, skip, top, count, beyond, binding), nil
}

// admits reports whether obj passes q's filter, evaluated in e (nil: no
// filter, every entity passes), or the error that ends the evaluation:
// the filter's budget spent, or ctx's end.
func (q Query) admits(ctx context.Context, e *env, obj graphprofile.Object) (bool, error) {
	if e == nil {
		return true, ctx.Err()
	}
	ok := q.Filter.matchIn(e, obj)
	if e.stopped != nil {
		return false, stopError(e.stopped)
	}
	return ok, nil
}

// pageOf is the page of sorted (matches in q's order) from start: at most
// top of them within MaxPageBytes, and the $skiptoken of the next page
// when sorted goes on or, beyond says, matches after all of sorted exist;
// count is @odata.count's value (-1: none).
func (q Query) pageOf(sorted []ranked, start, top, count int, beyond bool, binding string) Result {
	start = min(start, len(sorted))
	end := min(start+top, len(sorted))
	res := Result{Count: count, Items: make([]graphprofile.Object, 0, end-start)}
	size := pageBytes{size: q.entitySize}
	for _, r := range sorted[start:end] {
		if !size.admits(res.Items, r.obj) {
			break
		}
		res.Items = append(res.Items, r.obj)
	}
	end = start + len(res.Items)
	if end > start && (end < len(sorted) || beyond) {
		res.NextSkipToken = q.encodeSkipToken(binding, sorted[end-1].keys)
	}
	return res
}

// ranked is an entity and the values its order compares, id last.
type ranked struct {
	obj  graphprofile.Object
	keys []any
}

// pageHeap holds the entities a page may hold, the last in order on top
// (container/heap's interface), and their size once there are
// unmeasuredPageItems of them.
type pageHeap struct {
	order    *OrderBy
	size     func(graphprofile.Object) int // an entity's, as the page writes it
	entries  []ranked
	measured bool
	bytes    int
}

// push adds r.
func (h *pageHeap) push(r ranked) {
	heap.Push(h, r)
	switch {
	case h.measured:
		h.bytes += h.size(r.obj)
	case len(h.entries) >= unmeasuredPageItems:
		h.measured = true
		for _, e := range h.entries {
			h.bytes += h.size(e.obj)
		}
	}
}

// replaceLast puts obj, with its order keys, in place of the last in order.
func (h *pageHeap) replaceLast(obj graphprofile.Object, keys []any) {
	last := &h.entries[0]
	if h.measured {
		h.bytes += h.size(obj) - h.size(last.obj)
	}
	last.obj, last.keys = obj, append(last.keys[:0], keys...)
	heap.Fix(h, 0)
}

// popLast lets the last in order go.
func (h *pageHeap) popLast() {
	r := heap.Pop(h).(ranked)
	if h.measured {
		h.bytes -= h.size(r.obj)
	}
}

func (h *pageHeap) Len() int { return len(h.entries) }
func (h *pageHeap) Less(i, j int) bool {
	return h.order.compareKeys(h.entries[i].keys, h.entries[j].keys) > 0
}
func (h *pageHeap) Swap(i, j int) { h.entries[i], h.entries[j] = h.entries[j], h.entries[i] }
func (h *pageHeap) Push(x any)    { h.entries = append(h.entries, x.(ranked)) }
func (h *pageHeap) Pop() any {
	last := h.entries[len(h.entries)-1]
	h.entries = h.entries[:len(h.entries)-1]
	return last
}

const (
	// MaxPageBytes bounds a page of more than unmeasuredPageItems items:
	// it ends before $top when its items (as written: entitySize) would
	// pass it, with a nextLink to the rest, as Graph's server-driven paging
	// may. Without it a page of $top=999 items of up to a MiB each (the
	// largest body, --max-items) was built whole, a GB, in memory.
	MaxPageBytes = 4 << 20
	// unmeasuredPageItems is how many items a page holds before its size
	// is measured: a page of a few items is small whatever they are, and
	// measuring walks every item, which a list of 10 need not pay for.
	unmeasuredPageItems = 10
)

// pageBytes is the size of a page so far, measured from its
// unmeasuredPageItems-th item on.
type pageBytes struct {
	size     func(graphprofile.Object) int // an entity's, as the page writes it
	measured bool
	n        int
}

// admits reports whether obj may follow page's items within MaxPageBytes,
// and counts it when it may.
func (b *pageBytes) admits(page []graphprofile.Object, obj graphprofile.Object) bool {
	if len(page) < unmeasuredPageItems {
		return true
	}
	if !b.measured {
		b.measured = true
		for _, it := range page {
			b.n += b.size(it)
		}
	}
	size := b.size(obj)
	if b.n+size > MaxPageBytes {
		return false
	}
	b.n += size
	return true
}

// entitySize is EntitySize of obj, one of q's entities, as q selects it.
func (q Query) entitySize(obj graphprofile.Object) int {
	if q.entity == nil || len(q.entity.Properties) == 0 {
		return graphprofile.ApproxJSONSize(obj)
	}
	return EntitySize(q.entity, obj, q.Select)
}

// EntitySize is about how many bytes a page (a list's, or a collection
// GET …/profile shows) writes of obj, an entity of type t: its
// @odata.etag, and every property of t with its null
// (graphprofile.ApproxEncodedSize), or with a $select (sel not nil) the
// properties sel names and the id, which a selection always shows. What
// obj holds alone (ApproxJSONSize) is a fraction of it for a sparse item:
// 8,000 sparse positions were shown whole by GET …/profile, 5 MB against
// its 4 MiB bound.
func EntitySize(t *graphprofile.Type, obj graphprofile.Object, sel []string) int {
	n := entityAnnotationBytes + graphprofile.ApproxEncodedSize(t, obj, sel)
	if sel != nil && !slices.Contains(sel, "id") {
		n += len(`"id":,`) + graphprofile.ApproxJSONSize(obj["id"])
	}
	return n
}

// entityAnnotationBytes is about what a page writes of an entity besides
// its properties: its @odata.etag.
const entityAnnotationBytes = 40
