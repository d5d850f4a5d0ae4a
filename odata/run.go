package odata

import (
	"context"
	"errors"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// Source delivers the entities of a list in the list's default order
// (createdDateTime, then id; id alone for a type without createdDateTime),
// or, when descending, in createdDateTime descending, then id (asked only
// of a type with createdDateTime), starting strictly after the order keys
// after (nil: from the first; else the values of those properties, id
// last, as a $skiptoken carries them), calling visit with each until visit
// reports false or an error (which Source returns as is) or the entities
// end. A store reads only as far as visit goes.
type Source func(after []any, descending bool, visit func(graphprofile.Object) (bool, error)) error

// Run answers q over the entities src delivers. When q keeps the default
// order or its reverse (`$orderby=createdDateTime desc`, newest first; either
// with `,id` after it) and
// asks for no $count, it reads only what the page needs: from
// the $skiptoken's position on, as many entities as the filter takes to
// fill $top or MaxPageBytes (and one more, to know whether a next page exists), each
// entity the filter looks at counting against MaxFilterWork. Otherwise
// (another $orderby, $count=true) every entity is read, and only what the
// page may hold is kept (selectPage). The answer is Apply's. binding names
// the list, as for Apply. Errors: as Apply's.
func (q Query) Run(ctx context.Context, src Source, binding string) (Result, error) {
	if q.OrderBy == nil {
		return Result{}, errors.New("odata: Run needs a query parsed with $orderby allowed")
	}
	if !q.streams() {
		return q.selectPage(ctx, src, binding)
	}
	var after []any
	if q.SkipToken != "" {
		var err error
		if after, err = q.decodeSkipToken(binding); err != nil {
			return Result{}, err
		}
		// An order an index serves has no key long enough to be cut.
		after = q.resolveAfter(after, nil)
		// A Source takes createdDateTime and id: an order that names id
		// carries it twice (as its key, then as every order's last).
		if len(after) > 2 {
			after = []any{after[0], after[len(after)-1]}
		}
	}
	return q.stream(ctx, src, q.descending(), after, binding)
}

// RunOrdered answers q, which orders by one key (OrderBy.Key) or by id
// alone (a type without createdDateTime, without $orderby), as Run would,
// over a src that delivers the entities in q's own order, not the default
// one: by that key (as the engine compares it: a user's strings
// folded by graphprofile.NameKey; nulls first, or last descending), then
// id ascending, starting strictly after after's keys (those a $skiptoken
// of q carries: the key's value, then the id; nil: from the first), the
// descending argument saying whether the key is descending. It reads only
// what the page needs, as Run does in the default order. count, called
// only for a first page when q asks for $count, returns @odata.count: how
// many entities q's filter selects, which the caller counts as it can (a
// store's count of a list without a filter); it is never called
// otherwise. Errors: Run's, and count's and src's as they are.
func (q Query) RunOrdered(ctx context.Context, src Source, binding string, count func() (int, error)) (Result, error) {
	if q.OrderBy == nil || len(q.OrderBy.keys) > 1 {
		return Result{}, errors.New("odata: RunOrdered needs a query ordered by one key at most")
	}
	var after []any
	if q.SkipToken != "" {
		var err error
		if after, err = q.decodeSkipToken(binding); err != nil {
			return Result{}, err
		}
		after = q.resolveAfter(after, nil) // as Run's
	}
	descending := len(q.OrderBy.keys) == 1 && q.OrderBy.keys[0].desc
	res, err := q.stream(ctx, src, descending, after, binding)
	if err != nil {
		return Result{}, err
	}
	if q.Count && after == nil {
		if res.Count, err = count(); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// stream answers q over the entities src delivers in q's order (descending
// tells src which way), strictly after the keys after, reading as many as
// the filter takes to fill the page and one more (to know whether a next
// page exists), each entity the filter looks at counting against
// MaxFilterWork. The Result's Count is -1.
func (q Query) stream(ctx context.Context, src Source, descending bool, after []any, binding string) (Result, error) {
	var e *env
	if q.Filter != nil {
		e = q.Filter.newEnv(ctx, q.work())
	}
	// A page after a $skiptoken starts at the token, as Apply's does.
	skip, limit := q.Skip, max(q.Top, 1)
	if after != nil {
		skip = 0
	}
	res := Result{Count: -1, Items: make([]graphprofile.Object, 0, min(limit, 64))}
	more := false
	size := pageBytes{size: q.entitySize}
	err := src(after, descending, func(obj graphprofile.Object) (bool, error) {
		if ok, err := q.admits(ctx, e, obj); err != nil {
			return false, err
		} else if !ok {
			return true, nil
		}
		if skip > 0 {
			skip--
			return true, nil
		}
		if len(res.Items) == limit || !size.admits(res.Items, obj) {
			more = true
			return false, nil
		}
		res.Items = append(res.Items, obj)
		return true, nil
	})
	if err != nil {
		return Result{}, err
	}
	if more {
		last := res.Items[len(res.Items)-1]
		res.NextSkipToken = q.encodeSkipToken(binding, q.OrderBy.appendKeyValues(nil, last))
	}
	return res, nil
}

// Costly reports whether answering q may take more than reading its page:
// a filter to evaluate (up to MaxFilterWork steps), or, in another order or
// with $count=true, every entity to read. A query parsed without $orderby
// allowed (a /$count) is costly only with a filter.
func (q Query) Costly() bool {
	if q.Filter != nil {
		return true
	}
	return q.OrderBy != nil && !q.streams()
}

// ReadsAll reports whether answering q reads every entity its source
// delivers: it orders them otherwise than the default order or its
// reverse, asks for their count, or is a /$count (parsed without $orderby
// allowed). Otherwise Run reads only as far as the page.
func (q Query) ReadsAll() bool {
	return q.OrderBy == nil || !q.streams()
}

// streams reports whether q can be answered reading a Source only as far
// as its page: its order is the default one or its reverse (a Source
// delivers both), and it asks for no count of every match.
func (q Query) streams() bool {
	return !q.Count && q.listOrder()
}

// listOrder reports whether q's order is the default one or its reverse:
// no key, or createdDateTime either way, alone or followed by id
// ascending, the tie-break every order ends with anyway (clients write
// it out for stable pages).
func (q Query) listOrder() bool {
	keys := q.OrderBy.keys
	switch len(keys) {
	case 0:
		return true
	case 1:
	case 2:
		if !strings.EqualFold(keys[1].text, "id") || keys[1].desc {
			return false
		}
	default:
		return false
	}
	return strings.EqualFold(keys[0].text, DefaultOrderBy)
}

// descending reports whether q's order is the default one's reverse:
// createdDateTime descending, then id.
func (q Query) descending() bool {
	return len(q.OrderBy.keys) > 0 && q.OrderBy.keys[0].desc && q.listOrder()
}
