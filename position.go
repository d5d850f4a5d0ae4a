package graphprofile

import (
	"fmt"
	"math"
	"strconv"
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

// WorkPosition is one position in a user's profile: every set property of
// microsoft.graph.workPosition (WorkPositionType), server-managed ones
// included.
type WorkPosition Object

// ID returns the position's id.
func (p WorkPosition) ID() string { s, _ := p["id"].(string); return s }

// CreatedDateTime returns when the position was created.
func (p WorkPosition) CreatedDateTime() time.Time { t, _ := p["createdDateTime"].(time.Time); return t }

// LastModifiedDateTime returns when the position last changed.
func (p WorkPosition) LastModifiedDateTime() time.Time {
	t, _ := p["lastModifiedDateTime"].(time.Time)
	return t
}

// CreatedUnixNano returns createdDateTime in Unix nanoseconds, the form
// stores order by; an error when it is unset or outside what an int64 holds
// (years 1678 to 2262).
func (p WorkPosition) CreatedUnixNano() (int64, error) {
	t, ok := p["createdDateTime"].(time.Time)
	if !ok {
		return 0, fmt.Errorf("position %q has no createdDateTime", p.ID())
	}
	if t.Before(time.Unix(0, math.MinInt64)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, fmt.Errorf("position %q: createdDateTime %v is out of range", p.ID(), t)
	}
	return t.UnixNano(), nil
}

// ETag returns the position's entity tag, quoted as the ETag header and
// @odata.etag carry it. It is derived from lastModifiedDateTime, which every
// update moves strictly forward (Service.UpdatePosition), so it changes with
// every update and needs no storage of its own.
func (p WorkPosition) ETag() string {
	return `"` + strconv.FormatInt(p.LastModifiedDateTime().UnixNano()/100, 36) + `"`
}

// DefaultAllowedAudiences is what a new position's allowedAudiences is when
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
