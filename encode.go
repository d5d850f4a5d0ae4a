package graphprofile

import (
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Annotation is an instance annotation written before an object's
// properties, such as "@odata.context".
type Annotation struct {
	Name  string
	Value string
}

// EncodeOptions says how AppendObjectJSON writes an object.
type EncodeOptions struct {
	// Annotations are written first, in order, as string values.
	Annotations []Annotation
	// OmitNulls leaves out unset properties; Graph's responses show them as
	// null, stores need not keep them.
	OmitNulls bool
	// NullWhenUnset names top-level properties written as null when unset
	// even with OmitNulls: where null says something absence does not (a
	// fixtures file's cleared allowedAudiences, which a load would otherwise
	// default).
	NullWhenUnset []string
	// Select, when not nil, names the only top-level properties written
	// ($select), besides id, which is always written unless SelectExactly.
	Select []string
	// SelectExactly writes only what Select names, id too: the directory's
	// answers, where Graph gives a $select exactly what it names.
	SelectExactly bool
}

// AppendObjectJSON appends obj, a value of complex or entity type t, as JSON:
// every property of t in schema order, null when unset (unless
// opts.OmitNulls; [] for a NotNull collection), nested values likewise.
func AppendObjectJSON(buf []byte, t *Type, obj Object, opts EncodeOptions) []byte {
	buf = append(buf, '{')
	first := true
	for _, a := range opts.Annotations {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = AppendJSONString(buf, a.Name)
		buf = append(buf, ':')
		buf = AppendJSONString(buf, a.Value)
	}
	nested := EncodeOptions{OmitNulls: opts.OmitNulls}
	for i := range t.Properties {
		prop := &t.Properties[i]
		if (prop.WriteOnly && opts.Select == nil) || (opts.Select != nil && (opts.SelectExactly || prop.Name != "id") && !slices.Contains(opts.Select, prop.Name)) {
			continue
		}
		v, set := obj[prop.Name]
		if prop.WriteOnly {
			v, set = nil, false // selected, it is null whatever obj holds
		}
		if (!set || v == nil) && opts.OmitNulls && !slices.Contains(opts.NullWhenUnset, prop.Name) {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = AppendJSONString(buf, prop.Name)
		buf = append(buf, ':')
		if !set || v == nil {
			if prop.Collection && prop.NotNull {
				// The CSDL promises a collection, never null: an
				// unset one has no items.
				buf = append(buf, "[]"...)
			} else {
				buf = append(buf, "null"...)
			}
			continue
		}
		if prop.Collection {
			buf = append(buf, '[')
			for j, item := range v.([]any) {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = appendValue(buf, prop.Type, item, nested)
			}
			buf = append(buf, ']')
			continue
		}
		buf = appendValue(buf, prop.Type, v, nested)
	}
	return append(buf, '}')
}

// dateTimeOffsetLayout is Graph's form: UTC with seven fractional digits.
const dateTimeOffsetLayout = "2006-01-02T15:04:05.0000000Z"

// FormatDateTimeOffset writes t as Graph writes an Edm.DateTimeOffset: in
// UTC, with seven fractional digits.
func FormatDateTimeOffset(t time.Time) string { return t.UTC().Format(dateTimeOffsetLayout) }

func appendValue(buf []byte, t *Type, v any, opts EncodeOptions) []byte {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...)
	case string:
		return AppendJSONString(buf, v)
	case Date:
		return AppendJSONString(buf, string(v))
	case bool:
		return strconv.AppendBool(buf, v)
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case float64:
		return appendFloat(buf, v)
	case time.Time:
		buf = append(buf, '"')
		buf = v.UTC().AppendFormat(buf, dateTimeOffsetLayout)
		return append(buf, '"')
	case Object:
		return AppendObjectJSON(buf, t, v, opts)
	}
	panic("graphprofile: value of unexpected Go type in an Object")
}

// appendFloat writes f as encoding/json does: the shortest representation,
// in exponent form only for very large or small magnitudes.
func appendFloat(buf []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(buf)
		if n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string. Unlike encoding/json it does not
// escape <, > and &, as Graph does not; it escapes U+2028 and U+2029 so the
// output is also valid JavaScript.
func AppendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' || (r == utf8.RuneError && size == 1) {
			buf = append(buf, s[start:i]...)
			if r == utf8.RuneError {
				buf = append(buf, `\ufffd`...)
			} else {
				buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// ApproxEncodedSize is about how many bytes AppendObjectJSON writes for
// obj, of type t: every property of t (of sel, when not nil), a null for
// each obj does not hold, nested values by their own types. ApproxJSONSize
// counts only what obj holds, a fraction of an answer for a sparse item:
// a position of an id and a time is 60 of its 700 bytes.
func ApproxEncodedSize(t *Type, obj Object, sel []string) int {
	n := 1 // {
	for i := range t.Properties {
		p := &t.Properties[i]
		if (p.WriteOnly && sel == nil) || (sel != nil && !slices.Contains(sel, p.Name)) {
			continue
		}
		n += len(p.Name) + 4 // "name": and a comma or the closing brace
		v, set := obj[p.Name]
		switch {
		case !set || v == nil:
			n += 4 // null, or [] for a collection never null
		case p.Collection:
			items, _ := v.([]any)
			n += 2
			for _, item := range items {
				n += 1 + approxValueSize(p.Type, item)
			}
		default:
			n += approxValueSize(p.Type, v)
		}
	}
	return n
}

// approxValueSize is ApproxEncodedSize of v, of type t, when it is an
// object, and ApproxJSONSize of it otherwise.
func approxValueSize(t *Type, v any) int {
	if o, ok := v.(Object); ok && t != nil && len(t.Properties) > 0 {
		return ApproxEncodedSize(t, o, nil)
	}
	return ApproxJSONSize(v)
}

// ApproxJSONSize is about how many bytes v takes as JSON: its strings as
// AppendJSONString writes them (escapes included), property names' bytes
// and a few for everything else (the nulls of properties it does not
// hold left out). It bounds the size of a page of items without encoding
// them.
func ApproxJSONSize(v any) int {
	switch v := v.(type) {
	case string:
		return jsonStringSize(v)
	case Date:
		return len(v) + 2
	case time.Time:
		return len(`"2006-01-02T15:04:05.0000000Z"`)
	case Object:
		n := 2
		for name, x := range v {
			n += len(name) + 4 + ApproxJSONSize(x)
		}
		return n
	case []any:
		n := 2
		for _, x := range v {
			n += 1 + ApproxJSONSize(x)
		}
		return n
	}
	return 8 // a number, a boolean, null
}

// jsonStringSize is how many bytes AppendJSONString writes for s: a
// control character is six (\u0001; \n, \r and \t two), a quote or a
// backslash two, U+2028 and U+2029 six, a byte that is not UTF-8 six
// (\ufffd). Counted as their bytes, strings of control characters made a
// page bounded at 4 MiB of estimates 23 MB written.
func jsonStringSize(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n++
			case c < 0x20:
				n += 5
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' || (r == utf8.RuneError && size == 1) {
			n += 6 - size
		}
		i += size
	}
	return n
}
