package storetest

// This file makes valid values of any type of the schema table, for the
// tests that run over every collection of the profile (the contract suite
// here, graphapi's HTTP tests, graphprofile-bench's profile workload): an
// item with every settable property set, each enum member, a nested
// property to patch, a property to filter on. It reads only the schema, so
// a facet type added to the table is tested by the same code, with no test
// data written by hand. It lives in storetest, not a package of its own,
// because storetest imports only the root package and the standard library.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
)

// maxDepth bounds the nesting of generated complex values: the schema's
// types are a few levels deep and not recursive; the bound only guards
// against a table that one day is.
const maxDepth = 6

// Inherited reports whether a facet's property of this name is one it
// inherits from itemFacet or entity: what is a type's own is the rest.
func Inherited(name string) bool { return graphprofile.InheritedFacetProperty(name) }

// Settable reports whether a client may set p in a body: it is not
// server-managed, write-only or a navigation property.
func Settable(p *graphprofile.Property) bool {
	return !p.ServerManaged && !p.WriteOnly && !p.Navigation
}

// SampleObject returns a value of complex or entity type t with every settable
// property set, nested complex values and collections whole; n makes the
// values of one call differ from another's.
func SampleObject(t *graphprofile.Type, n int) graphprofile.Object {
	return full(t, n, 0)
}

func full(t *graphprofile.Type, n, depth int) graphprofile.Object {
	obj := graphprofile.Object{}
	if depth > maxDepth {
		return obj
	}
	for i := range t.Properties {
		p := &t.Properties[i]
		if Settable(p) {
			obj[p.Name] = value(p, n, depth)
		}
	}
	return obj
}

// SampleValue returns a valid value of property p: a collection of two
// elements for a collection.
func SampleValue(p *graphprofile.Property, n int) any { return value(p, n, 0) }

func value(p *graphprofile.Property, n, depth int) any {
	if p.Collection {
		return []any{single(p, n, depth), single(p, n+1, depth)}
	}
	return single(p, n, depth)
}

func single(p *graphprofile.Property, n, depth int) any {
	t := p.Type
	switch t.Kind {
	case graphprofile.KindString:
		s := fmt.Sprintf("%s %d «é» 日本", p.Name, n)
		if p.MaxLength > 0 && utf8.RuneCountInString(s) > p.MaxLength {
			s = string([]rune(s)[:p.MaxLength])
		}
		return s
	case graphprofile.KindBoolean:
		return n%2 == 0
	case graphprofile.KindInt32:
		return int64(n + 1)
	case graphprofile.KindDouble:
		return float64(n) + 0.5
	case graphprofile.KindDate:
		return graphprofile.Date(fmt.Sprintf("%04d-%02d-%02d", 2000+n%100, 1+n%12, 1+n%28))
	case graphprofile.KindDateTimeOffset:
		return time.Date(2020, 1, 2, 3, 4, 5, 123456700, time.UTC).Add(time.Duration(n) * time.Hour)
	case graphprofile.KindEnum:
		return enumValue(t, n)
	case graphprofile.KindComplex:
		return full(t, n, depth+1)
	}
	panic(fmt.Sprintf("storetest: %s of kind %d: a kind the generator does not know", t.Name, t.Kind))
}

// EnumMembers returns the members of enum t a client may send: all but
// unknownFutureValue, which Graph's evolvable enums reserve.
func EnumMembers(t *graphprofile.Type) []string {
	var ms []string
	for _, m := range t.Members {
		if m != "unknownFutureValue" {
			ms = append(ms, m)
		}
	}
	return ms
}

// enumValue is a member of t that n picks; for a flags enum, two members
// combined, in its canonical form (one member when the other is the value
// 0, allowedAudiences' me).
func enumValue(t *graphprofile.Type, n int) string {
	ms := EnumMembers(t)
	if t.IsFlags && len(ms) > 1 {
		v, _ := graphprofile.EnumValue(t, ms[n%len(ms)]+","+ms[(n+1)%len(ms)])
		return v
	}
	return ms[n%len(ms)]
}

// PropertyPath is the way to a property inside an item: property names, outermost
// first, as $filter and $select write it with "/".
type PropertyPath []string

func (p PropertyPath) String() string { return strings.Join(p, "/") }

// Get returns the value at p in obj.
func (p PropertyPath) Get(obj graphprofile.Object) (any, bool) {
	var cur any = obj
	for _, name := range p {
		o, ok := cur.(graphprofile.Object)
		if !ok {
			return nil, false
		}
		if cur, ok = o[name]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Set sets the value at p in obj, making the complex values on the way.
func (p PropertyPath) Set(obj graphprofile.Object, v any) {
	for _, name := range p[:len(p)-1] {
		next, ok := obj[name].(graphprofile.Object)
		if !ok {
			next = graphprofile.Object{}
			obj[name] = next
		}
		obj = next
	}
	obj[p[len(p)-1]] = v
}

// Property returns the schema property at p in type t, or nil.
func (p PropertyPath) Property(t *graphprofile.Type) *graphprofile.Property {
	var prop *graphprofile.Property
	for _, name := range p {
		if prop = t.Property(name); prop == nil {
			return nil
		}
		t = prop.Type
	}
	return prop
}

// EnumPaths returns the path of every enum property of t's own (not inherited)
// properties, inside nested complex values too (not inside collections): a
// test sets each member of each.
func EnumPaths(t *graphprofile.Type) []PropertyPath {
	var paths []PropertyPath
	var walk func(t *graphprofile.Type, prefix PropertyPath, depth int)
	walk = func(t *graphprofile.Type, prefix PropertyPath, depth int) {
		for i := range t.Properties {
			p := &t.Properties[i]
			if !Settable(p) || p.Collection || (depth == 0 && Inherited(p.Name)) || depth > maxDepth {
				continue
			}
			path := append(prefix[:len(prefix):len(prefix)], p.Name)
			switch p.Type.Kind {
			case graphprofile.KindEnum:
				paths = append(paths, path)
			case graphprofile.KindComplex:
				walk(p.Type, path, depth+1)
			}
		}
	}
	walk(t, nil, 0)
	return paths
}

// NestedProperties returns a complex, non-collection property of t with at least two
// settable primitive properties, and the names of the first two: one of
// t's own if it has one, else the inherited inference (every facet has it),
// so that a test may PATCH one and see the other kept.
func NestedProperties(t *graphprofile.Type) (complexProp PropertyPath, first, second string) {
	candidates := func(own bool) (PropertyPath, string, string, bool) {
		for i := range t.Properties {
			p := &t.Properties[i]
			if !Settable(p) || p.Collection || p.Type.Kind != graphprofile.KindComplex || Inherited(p.Name) == own {
				continue
			}
			var names []string
			for j := range p.Type.Properties {
				q := &p.Type.Properties[j]
				if Settable(q) && !q.Collection && q.Type.Kind != graphprofile.KindComplex {
					names = append(names, q.Name)
				}
			}
			if len(names) >= 2 {
				return PropertyPath{p.Name}, names[0], names[1], true
			}
		}
		return nil, "", "", false
	}
	if path, a, b, ok := candidates(true); ok {
		return path, a, b
	}
	path, a, b, _ := candidates(false)
	return path, a, b
}

// FilterablePath returns a primitive, non-collection property of t's own (not
// inherited) to $filter on with eq: a string at the top if there is one,
// else a string one level down in a complex property of t's own, else any
// other primitive at the top; nil when t has none.
func FilterablePath(t *graphprofile.Type) PropertyPath {
	own := func(p *graphprofile.Property) bool {
		return Settable(p) && !p.Collection && !Inherited(p.Name)
	}
	for i := range t.Properties {
		if p := &t.Properties[i]; own(p) && p.Type.Kind == graphprofile.KindString {
			return PropertyPath{p.Name}
		}
	}
	for i := range t.Properties {
		p := &t.Properties[i]
		if !own(p) || p.Type.Kind != graphprofile.KindComplex {
			continue
		}
		for j := range p.Type.Properties {
			if q := &p.Type.Properties[j]; Settable(q) && !q.Collection && q.Type.Kind == graphprofile.KindString {
				return PropertyPath{p.Name, q.Name}
			}
		}
	}
	for i := range t.Properties {
		if p := &t.Properties[i]; own(p) && p.Type.Kind != graphprofile.KindComplex {
			return PropertyPath{p.Name}
		}
	}
	return nil
}

// FilterLiteral is v, a value of a primitive or enum property, as an OData
// literal in a $filter.
func FilterLiteral(v any) string {
	switch v := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case graphprofile.Date:
		return string(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	panic(fmt.Sprintf("storetest: no literal for %T", v))
}

// StoredSample returns an item of t as the service stores one: SampleObject(t, n) with
// its id, timestamps and createdBy/lastModifiedBy.
func StoredSample(t *graphprofile.Type, id string, created time.Time, n int) graphprofile.Item {
	it := graphprofile.Item(SampleObject(t, n))
	by := graphprofile.Object{"user": graphprofile.Object{"id": "00000000-0000-4000-8000-000000000001", "displayName": "Adele Vance"}}
	it["id"] = id
	it["createdDateTime"] = created
	it["lastModifiedDateTime"] = created
	it["createdBy"] = by
	it["lastModifiedBy"] = by
	return it
}
