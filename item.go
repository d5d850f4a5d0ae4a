package graphprofile

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Object is a complex or entity value: the properties that are set, keyed by
// name. A property that is not set is absent. Values are nil (only in a
// decoded PATCH body, where it means "clear this"), string, bool, int64
// (Edm.Int32), float64 (Edm.Double), Date, time.Time (Edm.DateTimeOffset), a
// string of enum member names, Object, or []any for collections.
type Object map[string]any

// Date is an Edm.Date in its wire form "YYYY-MM-DD". Dates of years 0001-9999
// compare correctly as strings.
type Date string

// Item is one item of a profile's collection (a facet: a position, a
// skill, an email…): every set property of the collection's entity type,
// server-managed ones included. Every facet type inherits id,
// createdDateTime and lastModifiedDateTime from itemFacet and entity, so
// what a Store and the service need of an item is the same for all.
type Item Object

// ID returns the item's id.
func (it Item) ID() string { s, _ := it["id"].(string); return s }

// CreatedDateTime returns when the item was created.
func (it Item) CreatedDateTime() time.Time { t, _ := it["createdDateTime"].(time.Time); return t }

// LastModifiedDateTime returns when the item last changed.
func (it Item) LastModifiedDateTime() time.Time {
	t, _ := it["lastModifiedDateTime"].(time.Time)
	return t
}

// firstKeptInstant and lastKeptInstant are the first and the last instant,
// at the 100 ns every time is kept to, that an int64 of Unix nanoseconds
// (CreatedUnixNano, the ETag) holds.
var (
	firstKeptInstant = time.Unix(0, math.MinInt64).Truncate(100 * time.Nanosecond).Add(100 * time.Nanosecond).UTC()
	lastKeptInstant  = time.Unix(0, math.MaxInt64).Truncate(100 * time.Nanosecond).UTC()
)

// checkKeptInstant refuses a write that would give an item's name
// (createdDateTime, lastModifiedDateTime) the time t when t is past the
// latest instant the server keeps: a clock the admin API set close to 2262
// that ticked past it, or an update of an item a fixture last changed
// then (an update moves the time on). Past it, the ETag's nanoseconds
// would wrap around and the stores' order would break.
func checkKeptInstant(name string, t time.Time) error {
	if t.After(lastKeptInstant) {
		return Errorf(CodeBadRequest, "The %s of this change would be %s, past %s, the latest instant the server keeps.",
			name, t.Format(dateTimeOffsetLayout), lastKeptInstant.Format(dateTimeOffsetLayout))
	}
	return nil
}

// CreatedUnixNano returns createdDateTime in Unix nanoseconds, the form
// stores order by; an error when it is unset or outside what an int64 holds
// (years 1678 to 2262).
func (it Item) CreatedUnixNano() (int64, error) {
	t, ok := it["createdDateTime"].(time.Time)
	if !ok {
		return 0, fmt.Errorf("item %q has no createdDateTime", it.ID())
	}
	if t.Before(time.Unix(0, math.MinInt64)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, fmt.Errorf("item %q: createdDateTime %v is out of range", it.ID(), t)
	}
	return t.UnixNano(), nil
}

// ETag returns the item's entity tag, quoted as the ETag header and
// @odata.etag carry it. It is derived from lastModifiedDateTime, which every
// update moves strictly forward (Service.UpdateItem), so it changes with
// every update and needs no storage of its own.
func (it Item) ETag() string {
	return `"` + strconv.FormatInt(it.LastModifiedDateTime().UnixNano()/100, 36) + `"`
}

// CheckNoETag applies ifMatch, a request's If-Match header, to a write of
// what has no entity tag (what names it: "a user", "a profile", "a
// collection"): only "*", or no If-Match, is met; any entity tag, or a
// field that lists none, is preconditionFailed (RFC 9110 13.1.1).
func CheckNoETag(ifMatch, what string) error {
	if strings.TrimSpace(ifMatch) != "" && !ETagListed(ifMatch, "") {
		return Errorf(CodePreconditionFailed, "The If-Match header does not match: %s has no ETag; send If-Match: * or none.", what)
	}
	return nil
}

// ETagListed reports whether list, the value of an If-Match or
// If-None-Match header (its field lines joined by commas), names etag:
// it is "*", or one of its entity tags (RFC 9110 8.8.3) is etag. A weak
// tag's W/ is ignored, as OData clients send them weak. Commas inside a
// quoted tag are the tag's, and empty elements are allowed; an element
// that is not an entity tag names nothing, the elements after it still
// count. An empty etag (no tag at all) is named by "*" only.
func ETagListed(list, etag string) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	for rest := list; rest != ""; {
		rest = strings.TrimLeft(rest, " \t,")
		opaque := strings.TrimPrefix(rest, "W/")
		end := -1
		if strings.HasPrefix(opaque, `"`) {
			end = strings.IndexByte(opaque[1:], '"')
		}
		if end < 0 {
			_, rest, _ = strings.Cut(rest, ",") // not an entity tag
			continue
		}
		tag, after := opaque[:end+2], strings.TrimLeft(opaque[end+2:], " \t")
		if after != "" && after[0] != ',' {
			_, rest, _ = strings.Cut(after, ",") // a tag followed by more than a comma
			continue
		}
		if tag == etag {
			return true
		}
		rest = after
	}
	return false
}

// Collection is one collection of a profile: a navigation row of
// ProfileType, its name (the path segment, "positions") and the entity type
// of its items (WorkPositionType). Stores key items by Name and decode them
// with Type.
type Collection struct {
	Name string
	Type *Type
}

// CollectionsOf returns the collections of a profile type: its navigation
// rows, in schema order.
func CollectionsOf(profile *Type) []Collection {
	var cs []Collection
	for _, p := range profile.Properties {
		if p.Navigation && p.Collection {
			cs = append(cs, Collection{Name: p.Name, Type: p.Type})
		}
	}
	return cs
}

// ProfileCollections returns the collections of ProfileType, in schema
// order: every collection graphprofile serves.
func ProfileCollections() []Collection { return slices.Clone(profileCollections) }

// profileCollections is CollectionsOf(ProfileType), read once: a request
// looks its collection up here, and must not build the list to do so.
var profileCollections = CollectionsOf(ProfileType)

// FindCollection returns the collection of ProfileType called name,
// ignoring case as path segments do (an exact match first).
func FindCollection(name string) (Collection, bool) {
	for _, c := range profileCollections {
		if c.Name == name {
			return c, true
		}
	}
	for _, c := range profileCollections {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Collection{}, false
}

// DefaultAllowedAudiences is what a new item's allowedAudiences is when
// the request does not set it, as the Create workPosition example shows.
const DefaultAllowedAudiences = "organization"

// MergePatch applies patch, a decoded PATCH body of type t, to obj as OData
// 4.01 §11.4.3 says and returns the result; obj is not modified. Properties
// absent from patch keep their values, also inside complex values; a
// collection replaces the stored one whole; nil clears a property or a whole
// complex value.
func MergePatch(t *Type, obj, patch Object) Object {
	out := make(Object, len(obj)+len(patch))
	for k, v := range obj {
		out[k] = v
	}
	for name, v := range patch {
		prop := t.Property(name)
		switch {
		case v == nil:
			delete(out, name)
		case prop != nil && !prop.Collection && prop.Type.Kind == KindComplex:
			sub := v.(Object)
			if cur, ok := out[name].(Object); ok {
				out[name] = MergePatch(prop.Type, cur, sub)
			} else {
				out[name] = withoutNulls(sub)
			}
		default:
			out[name] = withoutNulls(v)
		}
	}
	return out
}

// withoutNulls returns v with every nil property removed, at any depth: in a
// new value, null and absent mean the same.
func withoutNulls(v any) any {
	switch v := v.(type) {
	case Object:
		out := make(Object, len(v))
		for k, e := range v {
			if e != nil {
				out[k] = withoutNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutNulls(e)
		}
		return out
	default:
		return v
	}
}
