package odata

import (
	"slices"
	"strings"
	"unicode"

	"github.com/graphprofile/graphprofile"
)

// OrderBy is a compiled $orderby: keys compared in turn, then id, so the
// order is total.
type OrderBy struct {
	text string
	keys []orderKey
}

type orderKey struct {
	text string
	get  evalFunc
	t    valueType
	desc bool
}

// DefaultOrderBy is the order of a list without $orderby: createdDateTime,
// then id; by id alone for a type without createdDateTime (users).
const DefaultOrderBy = "createdDateTime"

// defaultOrderBy is the order of a list of t without $orderby.
func defaultOrderBy(t *graphprofile.Type) (*OrderBy, error) {
	if ob, ok := defaultOrders[t]; ok {
		return ob, nil
	}
	return compileDefaultOrderBy(t)
}

func compileDefaultOrderBy(t *graphprofile.Type) (*OrderBy, error) {
	if t.Property(DefaultOrderBy) == nil {
		return &OrderBy{}, nil
	}
	return ParseOrderBy(DefaultOrderBy, t)
}

// defaultOrders holds the default order of every type a list is served
// of (the profile's collections, users), compiled once when the program
// starts and only read after: nearly every list uses it, and compiling it
// was a sixth of a list's allocations. An OrderBy is never changed after
// it is compiled, so requests share these.
var defaultOrders = func() map[*graphprofile.Type]*OrderBy {
	orders := map[*graphprofile.Type]*OrderBy{}
	types := []*graphprofile.Type{graphprofile.UserType}
	for _, c := range graphprofile.ProfileCollections() {
		types = append(types, c.Type)
	}
	for _, t := range types {
		ob, err := compileDefaultOrderBy(t)
		if err != nil {
			panic("odata: the default order of " + t.Name + ": " + err.Error())
		}
		orders[t] = ob
	}
	return orders
}()

// Properties returns the property paths the order compares, in order (id,
// which always ends it, is not among them unless named).
func (ob *OrderBy) Properties() []string {
	names := make([]string, len(ob.keys))
	for i, k := range ob.keys {
		names[i] = k.text
	}
	return names
}

// Key returns the property of the order's one key, in the schema's
// spelling, and whether it is descending; ok is false when the order has
// no key or more than one.
func (ob *OrderBy) Key() (property string, descending, ok bool) {
	if len(ob.keys) != 1 {
		return "", false, false
	}
	return ob.keys[0].text, ob.keys[0].desc, true
}

// ParseOrderBy parses "path [asc|desc], …" over entities of type t. Each
// path must lead to a single primitive value.
func ParseOrderBy(expr string, t *graphprofile.Type) (*OrderBy, error) {
	const option = "$orderby"
	ob := &OrderBy{text: expr}
	c := &compiler{option: option, root: t}
	offset := 0
	for part := range strings.SplitSeq(expr, ",") {
		trimmed := strings.TrimLeftFunc(part, unicode.IsSpace) // as strings.Fields splits
		pos := offset + len(part) - len(trimmed)
		offset += len(part) + 1
		fields := strings.Fields(part)
		if len(fields) == 0 || len(fields) > 2 {
			return nil, syntaxError(option, pos, "expected 'property [asc|desc]' between commas")
		}
		desc := false
		if len(fields) == 2 {
			switch strings.ToLower(fields[1]) { // in any case, as Graph reads it
			case "asc":
			case "desc":
				desc = true
			default:
				return nil, syntaxError(option, pos+strings.LastIndex(trimmed, fields[1]), "expected asc or desc but found '"+fields[1]+"'")
			}
		}
		n, err := parseExpressionAt(option, expr[:pos+len(fields[0])], pos)
		if err != nil {
			return nil, err
		}
		path, ok := n.(*pathNode)
		if !ok {
			return nil, queryError(option, pos, "'%s' is not a property path", fields[0])
		}
		path.pos = pos
		key, err := c.path(path)
		if err != nil {
			return nil, err
		}
		switch key.t.kind {
		case kComplex, kCollection:
			return nil, queryError(option, pos, "'%s' is %s; order by a property that holds a single value", key.text, key.t)
		}
		// A key named again can change no order, and every comparison of
		// tied entities would evaluate it again: thousands of one key
		// made a sort of a thousand entities take seconds.
		if slices.ContainsFunc(ob.keys, func(k orderKey) bool { return k.text == key.property }) {
			return nil, queryError(option, pos, "'%s' is named more than once; order by each property once", key.property)
		}
		// The key is named in the schema's spelling, as Properties
		// returns it to a resource's Restrictions.
		ob.keys = append(ob.keys, orderKey{text: key.property, get: key.eval, t: key.t, desc: desc})
	}
	return ob, nil
}

// appendKeyValues appends the values of obj the order compares, id last.
func (ob *OrderBy) appendKeyValues(vals []any, obj graphprofile.Object) []any {
	e := env{root: obj}
	for _, k := range ob.keys {
		vals = append(vals, k.get(&e))
	}
	return append(vals, obj["id"])
}

// compareKeys orders two key tuples: each key in turn (nulls first when
// ascending, last when descending, as OData says), then id ascending.
func (ob *OrderBy) compareKeys(a, b []any) int {
	for i, k := range ob.keys {
		c := compareNullable(k.t, a[i], b[i])
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	last := len(ob.keys)
	return compareNullable(valueType{kind: kString}, a[last], b[last])
}

func compareNullable(t valueType, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	case t.kind == kEnum:
		av, bv := flagsValue(t.edm, a.(string)), flagsValue(t.edm, b.(string))
		switch {
		case av < bv:
			return -1
		case av > bv:
			return 1
		}
		return 0
	}
	return compareValues(a, b)
}

// String returns the expression as given.
func (ob *OrderBy) String() string { return ob.text }
