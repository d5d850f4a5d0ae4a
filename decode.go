package graphprofile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting in a request body. The schema itself is five
// levels deep; the bound only matters for values that are skipped
// (annotations, server-managed properties), whose depth the schema does not limit.
const maxJSONDepth = 64

// ByteOrderMark is U+FEFF in UTF-8: what a text saved as "UTF-8 with BOM"
// starts with. JSON's RFC lets a parser skip it, and Graph's readers do, so
// a request body, a fixtures file and a users import file may start with
// one (SkipByteOrderMark); anywhere else it is a character like any other.
const ByteOrderMark = "\uFEFF"

// SkipByteOrderMark returns data without the ByteOrderMark it starts with,
// if it does.
func SkipByteOrderMark(data []byte) []byte {
	if len(data) >= len(ByteOrderMark) && string(data[:len(ByteOrderMark)]) == ByteOrderMark {
		return data[len(ByteOrderMark):]
	}
	return data
}

// DecodeBody decodes and validates a POST or PATCH body of an entity of type
// t (a facet type such as WorkPositionType, or UserType). It returns the properties the body sets,
// with nil for properties it sets to null. Values for server-managed
// properties and instance annotations are ignored; @odata.type must name the
// expected type. Every failure is an *Error with CodeBadRequest whose message
// names the property and the problem.
func DecodeBody(t *Type, data []byte) (Object, error) {
	d := decoder{data: data}
	return d.document(t)
}

// DecodePlainBody decodes a body of the server's own API (the admin API's),
// a JSON object of type t, as DecodeBody does, except that a key with '@'
// is an unknown property like any other: such a body is plain JSON, not
// OData, so it has no annotations, and a control that skipped a key it
// does not know would do what the caller did not ask.
func DecodePlainBody(t *Type, data []byte) (Object, error) {
	d := decoder{data: data, plain: true}
	return d.document(t)
}

// JSONReader reads a JSON document whose shape the schema does not
// describe (a $batch's envelope) by the decoder's rules, with its
// messages: syntax, UTF-8 and nesting are checked as DecodeBody checks
// them, and an object's member names must be unique ignoring case, as a
// body's property names must. Its caller walks the document, reading each
// value with the method for what Next says it is; a value of a kind it
// does not expect it reads with Skip, which reports a malformed one.
type JSONReader struct{ d decoder }

// NewJSONReader reads data.
func NewJSONReader(data []byte) *JSONReader { return &JSONReader{d: decoder{data: data}} }

// Next names the next value as the decoder's messages do: "an object",
// "an array", "a string", "a number", "a boolean" or "null"; "" when what
// comes next is not a JSON value (Skip says why).
func (r *JSONReader) Next() string {
	d := &r.d
	d.skipSpace()
	switch c := d.peek(); {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == '-' || '0' <= c && c <= '9':
		return "a number"
	}
	start := d.pos
	defer func() { d.pos = start }()
	switch {
	case d.literal("true"), d.literal("false"):
		return "a boolean"
	case d.literal("null"):
		return "null"
	}
	return ""
}

// Object reads an object, calling member with each member's name, for it
// to read the member's value. A name that repeats an earlier one, ignoring
// case, is refused, naming the object as what ("the batch").
func (r *JSONReader) Object(what string, member func(name string) error) error {
	d := &r.d
	d.skipSpace()
	if d.peek() != '{' {
		return d.syntaxError("expected an object")
	}
	seen := map[string]bool{}
	return d.skipContainer('}', func() error {
		d.skipSpace()
		if d.peek() != '"' {
			return d.syntaxError("expected a property name")
		}
		d.mark = d.pos
		name, err := d.string()
		if err != nil {
			return err
		}
		key := strings.ToLower(name)
		if seen[key] {
			return duplicateProperty(name, what)
		}
		seen[key] = true
		d.skipSpace()
		if d.peek() != ':' {
			return d.syntaxError("expected ':' after a property name")
		}
		d.pos++
		d.skipSpace()
		return member(name)
	})
}

// Array reads an array, calling element with each element's index, for it
// to read the element.
func (r *JSONReader) Array(element func(i int) error) error {
	d := &r.d
	d.skipSpace()
	if d.peek() != '[' {
		return d.syntaxError("expected an array")
	}
	i := 0
	return d.skipContainer(']', func() error {
		d.skipSpace()
		err := element(i)
		i++
		return err
	})
}

// String reads a string.
func (r *JSONReader) String() (string, error) {
	d := &r.d
	d.skipSpace()
	if d.peek() != '"' {
		return "", d.syntaxError("expected a string")
	}
	return d.string()
}

// Raw reads any value and returns it as written.
func (r *JSONReader) Raw() ([]byte, error) {
	d := &r.d
	d.skipSpace()
	start := d.pos
	if _, err := d.skipValue(); err != nil {
		return nil, err
	}
	return d.data[start:d.pos], nil
}

// Body reads any value and returns it as written, as Raw does, but with
// its nesting bounded as a body's is from the value itself, not from the
// document around it: the value is a body of its own (a $batch item's),
// which may be as deep as a body sent alone.
func (r *JSONReader) Body() ([]byte, error) {
	depth := r.d.depth
	r.d.depth = 0
	raw, err := r.Raw()
	r.d.depth = depth
	return raw, err
}

// Skip reads any value and names it as Next does.
func (r *JSONReader) Skip() (string, error) { return r.d.skipValue() }

// End checks that nothing but whitespace follows what was read.
func (r *JSONReader) End() error {
	r.d.skipSpace()
	if r.d.pos < len(r.d.data) {
		return r.d.syntaxError("unexpected data after the JSON value")
	}
	return nil
}

// AppendStoredItem appends to buf the form a Store keeps an item of type t
// in: its JSON, server-managed properties included, unset properties left
// out. DecodeStoredItem reads it back unchanged.
func AppendStoredItem(buf []byte, t *Type, it Item) []byte {
	return AppendObjectJSON(buf, t, Object(it), EncodeOptions{OmitNulls: true})
}

// DecodeStoredItem decodes an item of type t as AppendStoredItem wrote it,
// server-managed properties included. A failure is an internal error (a
// corrupt store), never the caller's BadRequest.
func DecodeStoredItem(t *Type, data []byte) (Item, error) {
	d := decoder{data: data, stored: true}
	obj, err := d.document(t)
	if err != nil {
		return nil, fmt.Errorf("a stored %s does not decode: %s", t.ShortName(), err.Error())
	}
	return Item(obj), nil
}

// decoder is a recursive-descent JSON parser guided by the schema: it checks
// syntax, types, enum members and property names in one pass and builds
// Objects directly. Unlike encoding/json it rejects duplicate keys and invalid
// UTF-8, and its errors speak OData.
type decoder struct {
	data   []byte
	pos    int
	depth  int
	stored bool // decoding what a Store wrote: server-managed properties are read, not skipped
	// managed: server-managed properties are read, not skipped, and
	// validated like the others (fixtures keep ids and timestamps).
	managed bool
	// plain: the body is plain JSON, not OData (DecodePlainBody): a key
	// with '@' is a property name, not an annotation.
	plain bool
	// mark is where the property name or value being decoded starts: what
	// an error is about. Fixtures turn it into a line and a column.
	mark int
	// syntax is the problem of the last syntax error, without the
	// request body's wording around it.
	syntax string
}

func (d *decoder) document(t *Type) (Object, error) {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return nil, Errorf(CodeBadRequest, "The request body is empty; it must be a JSON object of type '%s'.", t.Name)
	}
	if d.data[d.pos] != '{' {
		if _, err := d.skipValue(); err != nil {
			return nil, err
		}
		return nil, Errorf(CodeBadRequest, "The request body must be a JSON object of type '%s'.", t.Name)
	}
	obj, err := d.object(t)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos < len(d.data) {
		return nil, d.syntaxError("unexpected data after the JSON object")
	}
	return obj, nil
}

// object parses a JSON object of complex type t; d.pos is at '{'. Its
// opening (depth, the bracket, an empty object) reads like array's: the two
// are JSON's two containers, and each fills its own result its own way.
func (d *decoder) object(t *Type) (Object, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // '{'
	obj := make(Object, 8)
	var skipped map[string]bool // keys present but not stored, for the duplicate check
	d.skipSpace()
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return obj, nil
	}
	for {
		d.skipSpace()
		if d.peek() != '"' {
			return nil, d.syntaxError("expected a property name")
		}
		keyAt := d.pos
		d.mark = keyAt
		key, err := d.string()
		if err != nil {
			return nil, err
		}
		// Names ignore case, as Graph's do; what is kept is the schema's
		// spelling, so IsCurrent and isCurrent are one property, twice.
		prop := t.Property(key)
		name := key
		if prop != nil {
			name = prop.Name
		}
		_, dup := obj[name]
		if dup || skipped[name] {
			return nil, duplicateProperty(key, "an object of type '"+t.Name+"'")
		}
		d.skipSpace()
		if d.peek() != ':' {
			return nil, d.syntaxError("expected ':' after a property name")
		}
		d.pos++
		d.skipSpace()
		d.mark = d.pos

		switch {
		case strings.Contains(key, "@") && !d.plain:
			if key == "@odata.type" {
				if err := d.odataType(t); err != nil {
					return nil, err
				}
			} else if _, err := d.skipValue(); err != nil { // other annotations are ignored
				return nil, err
			}
			if skipped == nil {
				skipped = make(map[string]bool)
			}
			skipped[key] = true
		case prop == nil:
			d.mark = keyAt
			return nil, Errorf(CodeBadRequest, "The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", key, t.Name)
		case prop.ServerManaged && !d.stored && !d.managed:
			if _, err := d.skipValue(); err != nil {
				return nil, err
			}
			if skipped == nil {
				skipped = make(map[string]bool)
			}
			skipped[name] = true
		default:
			v, err := d.property(t, prop)
			if err != nil {
				return nil, err
			}
			if v == nil && d.stored {
				// A stored item keeps no nulls (a document of an older
				// version may hold some): null and absent mean the same.
				if skipped == nil {
					skipped = make(map[string]bool)
				}
				skipped[name] = true
				break
			}
			obj[name] = v
		}

		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return obj, nil
		default:
			return nil, d.syntaxError("expected ',' or '}' in an object")
		}
	}
}

// duplicateProperty is the error of a property name that appears twice
// in an object, what.
func duplicateProperty(name, what string) error {
	return Errorf(CodeBadRequest, "The property '%s' appears more than once in %s.", name, what)
}

// olderPersonDataSource is the older schema's type of itemFacet/source,
// {"type": "x"}: the decoder reads its values, annotation included, as
// PersonDataSourcesType's.
const olderPersonDataSource = "microsoft.graph.personDataSource"

// odataType checks an @odata.type annotation of an object of type t.
func (d *decoder) odataType(t *Type) error {
	if d.peek() != '"' {
		return Errorf(CodeBadRequest, "The value of '@odata.type' must be a string naming type '%s'.", t.Name)
	}
	name, err := d.string()
	if err != nil {
		return err
	}
	short := strings.TrimPrefix(name, "#")
	if t == PersonDataSourcesType && (short == olderPersonDataSource || short == "graph."+strings.TrimPrefix(olderPersonDataSource, "microsoft.graph.")) {
		// The older schema's type of source, whose SDKs stamp it on the value.
		return nil
	}
	if short != t.Name && short != "graph."+t.ShortName() {
		return Errorf(CodeBadRequest, "A value of type '%s' was found, but a value of type '%s' was expected.", short, t.Name)
	}
	return nil
}

// property parses the value of prop, a property of type owner.
func (d *decoder) property(owner *Type, prop *Property) (any, error) {
	if d.literal("null") {
		return nil, nil
	}
	if !prop.Collection {
		return d.value(owner, prop)
	}
	if d.peek() != '[' {
		if prop.Type == StringType && owner == PersonDataSourcesType {
			// The older personDataSource form {"type": "x"} of the same data.
			v, err := d.value(owner, prop)
			if err != nil {
				return nil, err
			}
			return []any{v}, nil
		}
		return nil, d.typeError(owner, prop, "a JSON array")
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++ // '['
	items := []any{}
	d.skipSpace()
	if d.peek() == ']' {
		d.pos++
		d.depth--
		return items, nil
	}
	for {
		d.skipSpace()
		start := d.pos
		d.mark = start
		if d.literal("null") {
			return nil, Errorf(CodeBadRequest, "The collection property '%s' of type '%s' cannot contain null.", prop.Name, owner.Name)
		}
		v, err := d.value(owner, prop)
		if err != nil {
			return nil, err
		}
		if len(items) == prop.maxItems() && !d.stored {
			d.mark = start
			return nil, Errorf(CodeBadRequest, "The collection property '%s' of type '%s' has more than %d items.", prop.Name, owner.Name, prop.maxItems())
		}
		items = append(items, v)
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return items, nil
		default:
			return nil, d.syntaxError("expected ',' or ']' in an array")
		}
	}
}

// value parses one non-null value of prop's type (one element, for a collection).
func (d *decoder) value(owner *Type, prop *Property) (any, error) {
	t := prop.Type
	switch t.Kind {
	case KindComplex:
		if d.peek() != '{' {
			return nil, d.typeError(owner, prop, "a JSON object")
		}
		return d.object(t)
	case KindBoolean:
		if d.literal("true") {
			return true, nil
		}
		if d.literal("false") {
			return false, nil
		}
		return nil, d.typeError(owner, prop, "true or false")
	case KindInt32, KindDouble:
		c := d.peek()
		if c != '-' && (c < '0' || c > '9') {
			return nil, d.typeError(owner, prop, "a JSON number")
		}
		text, err := d.number()
		if err != nil {
			return nil, err
		}
		if t.Kind == KindInt32 {
			n, err := strconv.ParseInt(text, 10, 32)
			if err != nil {
				return nil, Errorf(CodeBadRequest, "Invalid value %s for property '%s' of type '%s': expected an Edm.Int32, a whole number from %d to %d.", text, prop.Name, owner.Name, math.MinInt32, math.MaxInt32)
			}
			return n, nil
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, Errorf(CodeBadRequest, "Invalid value %s for property '%s' of type '%s': the number is out of the range of an Edm.Double.", text, prop.Name, owner.Name)
		}
		return f, nil
	}
	// The remaining kinds are JSON strings.
	if d.peek() != '"' {
		return nil, d.typeError(owner, prop, "a JSON string")
	}
	s, err := d.string()
	if err != nil {
		return nil, err
	}
	// Limits bound what clients send; what a store was given reads back.
	// Not every store can hold a NUL, and no person's name or title has
	// one: refused alike whatever the store. (What an SQLite store holds
	// from before is still read.)
	if !d.stored {
		switch prop.stringFault(s) {
		case stringTooLong:
			return nil, Errorf(CodeBadRequest, "The value of property '%s' of type '%s' is longer than its limit of %d characters.", prop.Name, owner.Name, prop.maxLength())
		case stringHasNUL:
			return nil, Errorf(CodeBadRequest, "The value of property '%s' of type '%s' contains a NUL character (U+0000), which is not allowed.", prop.Name, owner.Name)
		}
	}
	switch t.Kind {
	case KindDate:
		if !ValidDate(s) {
			return nil, Errorf(CodeBadRequest, "Invalid value '%s' for property '%s' of type '%s': expected an Edm.Date in the form YYYY-MM-DD.", s, prop.Name, owner.Name)
		}
		return Date(s), nil
	case KindDateTimeOffset:
		tm, err := ParseDateTimeOffset(s)
		// What a store was given before the range was checked still reads,
		// also a year FormatDateTimeOffset wrote outside 0 to 9999.
		if err != nil && d.stored {
			tm, err = parseStoredWideYear(s)
		}
		if err != nil || !d.stored && !ValidDateTimeOffset(tm) {
			return nil, Errorf(CodeBadRequest, "Invalid value '%s' for property '%s' of type '%s': expected an Edm.DateTimeOffset.", s, prop.Name, owner.Name)
		}
		return tm.UTC(), nil
	case KindEnum:
		v, ok := EnumValue(t, s)
		if !ok {
			return nil, Errorf(CodeBadRequest, "Invalid value '%s' for property '%s' of type '%s': %s", s, prop.Name, owner.Name, enumExpectation(t))
		}
		return v, nil
	}
	return s, nil
}

// EnumValue validates s as a value of enum t and returns its canonical form:
// for a flags enum, the members of the combination's value in declared
// order, without repeats and without the member of value 0 (allowedAudiences'
// me), which adds nothing to others and stands only for the value 0, as
// OData writes a flags value. A member may be named or given by its value,
// an integer (OData's enumValue: Graph's own facet service once answered
// "proficiency": "4"); the canonical form always names it.
func EnumValue(t *Type, s string) (string, bool) {
	if !t.IsFlags {
		for _, m := range t.Members {
			if s == m {
				return s, true
			}
		}
		if value, ok := enumMemberValue(s); ok {
			for _, m := range t.Members {
				if v, _ := t.MemberValue(m); v == value {
					return m, true
				}
			}
		}
		return "", false
	}
	var value, declared int64
	for _, m := range t.Members {
		v, _ := t.MemberValue(m)
		declared |= v
	}
	for part := range strings.SplitSeq(s, ",") {
		v, ok := t.MemberValue(part)
		if !ok {
			// A value of the combination: only of declared members' bits.
			if v, ok = enumMemberValue(part); !ok || v < 0 || v&^declared != 0 {
				return "", false
			}
		}
		value |= v
	}
	var b strings.Builder
	for _, m := range t.Members {
		v, _ := t.MemberValue(m)
		if v == value || (v != 0 && value&v == v) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m)
		}
	}
	return b.String(), true
}

// enumMemberValue parses OData's enumMemberValue, an int64 in decimal with
// an optional sign.
func enumMemberValue(s string) (int64, bool) {
	if s == "" || (s[0] != '+' && s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func enumExpectation(t *Type) string {
	msg := "expected one of " + strings.Join(t.Members, ", ")
	if t.IsFlags {
		msg += ", or a comma-separated combination of them"
	}
	return msg + "."
}

// ValidDate reports whether s is an Edm.Date YYYY-MM-DD of a year 0001-9999
// (in a body and in a $filter literal alike).
func ValidDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range []byte(s) {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	if s[:4] == "0000" {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// ParseDateTimeOffset reads s as an Edm.DateTimeOffset, in a body and in
// a $filter literal alike: OData's dateTimeOffsetValue as Graph's OData
// library reads it, RFC 3339 with an offset whose seconds may be left out
// (2024-01-01T10:00Z; the library pads them), 'T' and 'Z' in upper case
// (XML Schema's dateTime, which it parses with). The time keeps s's offset;
// ValidDateTimeOffset says whether Graph holds it.
func ParseDateTimeOffset(s string) (time.Time, error) {
	// The shape is checked first: time.Parse also takes a one-digit hour
	// and a comma before the fraction, which none of those forms has.
	withSeconds, ok := dateTimeOffsetShape(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%q is not in the form YYYY-MM-DDThh:mm[:ss[.fffffff]](Z|±hh:mm)", s)
	}
	if withSeconds {
		return time.Parse(time.RFC3339Nano, s)
	}
	return time.Parse(dateTimeOffsetWithoutSeconds, s)
}

// parseStoredWideYear reads a time FormatDateTimeOffset wrote with a year
// outside 0 to 9999, which time.Parse does not take: five digits or more,
// or a minus sign ("10000-01-01T13:59:59.0000000Z",
// "-0001-12-31T00:00:00.0000000Z"). Versions before the range of an
// Edm.DateTimeOffset was checked stored such times (a body's
// "9999-12-31T23:59:59-14:00" is the year 10000 in UTC), and what a store
// holds must read back, or the user holding it could not be read, nor a
// migration that reads every user run.
func parseStoredWideYear(s string) (time.Time, error) {
	bad := fmt.Errorf("%q is not a stored Edm.DateTimeOffset", s)
	digits, negative := strings.CutPrefix(s, "-")
	end := strings.IndexByte(digits, '-')
	if end < 4 || !strings.HasSuffix(s, "Z") {
		return time.Time{}, bad
	}
	for _, c := range []byte(digits[:end]) {
		if c < '0' || c > '9' {
			return time.Time{}, bad
		}
	}
	year, err := strconv.Atoi(digits[:end])
	if err != nil {
		return time.Time{}, bad
	}
	if negative {
		year = -year
	}
	// The rest read in a leap year, then moved to the year given: the day
	// must be one of that year (no 29 February of a common year).
	rest, err := time.Parse(time.RFC3339Nano, "2000"+digits[end:])
	if err != nil {
		return time.Time{}, bad
	}
	t := time.Date(year, rest.Month(), rest.Day(), rest.Hour(), rest.Minute(), rest.Second(), rest.Nanosecond(), time.UTC)
	if t.Day() != rest.Day() {
		return time.Time{}, bad
	}
	return t, nil
}

// dateTimeOffsetWithoutSeconds is an Edm.DateTimeOffset without its
// seconds, in time.Parse's terms.
const dateTimeOffsetWithoutSeconds = "2006-01-02T15:04Z07:00"

// dateTimeOffsetShape reports whether s has the shape of an
// Edm.DateTimeOffset, YYYY-MM-DDThh:mm[:ss[.f…]](Z|±hh:mm), every number
// of its digits, and whether it gives the seconds; whether the numbers make
// a time is time.Parse's to say.
func dateTimeOffsetShape(s string) (withSeconds, ok bool) {
	digits := func(s string) bool {
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return false
			}
		}
		return s != ""
	}
	if len(s) < 17 || !digits(s[:4]) || s[4] != '-' || !digits(s[5:7]) || s[7] != '-' || !digits(s[8:10]) ||
		s[10] != 'T' || !digits(s[11:13]) || s[13] != ':' || !digits(s[14:16]) {
		return false, false
	}
	rest := s[16:]
	if rest[0] == ':' {
		if len(rest) < 3 || !digits(rest[1:3]) {
			return false, false
		}
		withSeconds, rest = true, rest[3:]
		if fraction, ok := strings.CutPrefix(rest, "."); ok {
			end := strings.IndexAny(fraction, "Z+-")
			if end < 0 || !digits(fraction[:end]) {
				return false, false
			}
			rest = fraction[end:]
		}
	}
	if rest == "Z" {
		return withSeconds, true
	}
	return withSeconds, len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:3]) && rest[3] == ':' && digits(rest[4:6])
}

// ValidDateTimeOffset reports whether t, as parsed with its offset, is an
// Edm.DateTimeOffset as .NET's DateTimeOffset holds one: an offset of at
// most 14 hours and an instant of the years 0001-9999 in UTC, the form it is
// kept and written in (a year 10000 would be written as five digits that no
// read decodes). A $filter literal is held to the same rule.
func ValidDateTimeOffset(t time.Time) bool {
	_, offset := t.Zone()
	if offset < -14*60*60 || offset > 14*60*60 {
		return false
	}
	year := t.UTC().Year()
	return year >= 1 && year <= 9999
}

func (d *decoder) typeError(owner *Type, prop *Property, want string) error {
	// A malformed value is a syntax error, not a type error.
	start := d.pos
	found, err := d.skipValue()
	if err != nil {
		return err
	}
	d.pos = start
	typeName := prop.Type.Name
	if prop.Collection {
		typeName = "Collection(" + typeName + ")"
	}
	return Errorf(CodeBadRequest, "Invalid value for property '%s' of type '%s': expected %s (%s), found %s.", prop.Name, owner.Name, want, typeName, found)
}

func (d *decoder) syntaxError(problem string) error {
	d.mark, d.syntax = d.pos, problem
	return Errorf(CodeBadRequest, "The request body is not valid JSON: %s at offset %d.", problem, d.pos)
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxJSONDepth {
		return Errorf(CodeBadRequest, "The request body is nested more than %d levels deep.", maxJSONDepth)
	}
	return nil
}

func (d *decoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// literal consumes word (true, false, null) if it is next.
func (d *decoder) literal(word string) bool {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return false
	}
	end := d.pos + len(word)
	if end < len(d.data) && isIdentByte(d.data[end]) {
		return false
	}
	d.pos = end
	return true
}

func isIdentByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// number consumes a JSON number and returns its text.
func (d *decoder) number() (string, error) {
	start := d.pos
	if d.peek() == '-' {
		d.pos++
	}
	switch c := d.peek(); {
	case c == '0':
		d.pos++
	case '1' <= c && c <= '9':
		d.digits()
	default:
		return "", d.syntaxError("invalid number")
	}
	if d.peek() == '.' {
		d.pos++
		if n := d.digits(); n == 0 {
			return "", d.syntaxError("invalid number")
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.pos++
		if c := d.peek(); c == '+' || c == '-' {
			d.pos++
		}
		if n := d.digits(); n == 0 {
			return "", d.syntaxError("invalid number")
		}
	}
	if isIdentByte(d.peek()) {
		return "", d.syntaxError("invalid number")
	}
	return string(d.data[start:d.pos]), nil
}

// invalidUTF8 is the syntax error of a string, begun at start and ended at
// d.pos, that holds invalid UTF-8, at the offset of its first invalid byte.
// The string is read as written: its escapes are ASCII, and what they stand
// for is whole characters, so it is valid UTF-8 exactly when its value is.
func (d *decoder) invalidUTF8(start int) error {
	for i := start; i < d.pos; {
		r, n := utf8.DecodeRune(d.data[i:d.pos])
		if r == utf8.RuneError && n == 1 {
			d.pos = i
			break
		}
		i += n
	}
	return d.syntaxError("invalid UTF-8 in a string")
}

func (d *decoder) digits() int {
	start := d.pos
	for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.pos - start
}

// string consumes a JSON string (d.pos at its opening quote) and returns its value.
func (d *decoder) string() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: no escapes.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			if !utf8.Valid(s) {
				return "", d.invalidUTF8(start)
			}
			d.pos++
			return string(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.syntaxError("control character in a string")
		}
		d.pos++
	}
	buf := make([]byte, 0, d.pos-start+16)
	buf = append(buf, d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", d.invalidUTF8(start)
			}
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.syntaxError("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++ // backslash
		if d.pos >= len(d.data) {
			break
		}
		esc := d.data[d.pos]
		d.pos++
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.syntaxError("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A surrogate pair is two escapes; a lone surrogate becomes U+FFFD, as in encoding/json.
				save := d.pos
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					d.pos += 2
					if r2, ok := d.hex4(); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
					}
				}
				d.pos = save
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.syntaxError("invalid escape in a string")
		}
	}
	return "", d.syntaxError("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.data[d.pos:d.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.pos += 4
	return rune(n), true
}

// skipContainer consumes an object or an array, from its opening character
// to closing, each member with skip.
func (d *decoder) skipContainer(closing byte, skip func() error) error {
	if err := d.enter(); err != nil {
		return err
	}
	d.pos++
	d.skipSpace()
	if d.peek() == closing {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if err := skip(); err != nil {
			return err
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
		case closing:
			d.pos++
			d.depth--
			return nil
		default:
			what := "an object"
			if closing == ']' {
				what = "an array"
			}
			return d.syntaxError(fmt.Sprintf("expected ',' or '%c' in %s", closing, what))
		}
	}
}

// skipMember consumes one "name": value member of an object.
func (d *decoder) skipMember() error {
	d.skipSpace()
	if d.peek() != '"' {
		return d.syntaxError("expected a property name")
	}
	if _, err := d.string(); err != nil {
		return err
	}
	d.skipSpace()
	if d.peek() != ':' {
		return d.syntaxError("expected ':' after a property name")
	}
	d.pos++
	_, err := d.skipValue()
	return err
}

// skipElement consumes one element of an array.
func (d *decoder) skipElement() error {
	_, err := d.skipValue()
	return err
}

// skipValue consumes any JSON value, checking its syntax, and says what it was.
func (d *decoder) skipValue() (string, error) {
	d.skipSpace()
	switch c := d.peek(); {
	case c == '{':
		return "an object", d.skipContainer('}', d.skipMember)
	case c == '[':
		return "an array", d.skipContainer(']', d.skipElement)
	case c == '"':
		_, err := d.string()
		return "a string", err
	case c == '-' || '0' <= c && c <= '9':
		_, err := d.number()
		return "a number", err
	case d.literal("true"), d.literal("false"):
		return "a boolean", nil
	case d.literal("null"):
		return "null", nil
	case c == 0:
		return "", d.syntaxError("unexpected end of input")
	default:
		return "", d.syntaxError(d.unexpected())
	}
}

// unexpected says which character at d.pos no JSON value starts with: a
// character outside ASCII whole (its first byte alone read as 'Ã' for an
// 'é'), and a byte-order mark by name, as one comes in the middle of a
// text that files saved "UTF-8 with BOM" were joined into.
func (d *decoder) unexpected() string {
	r, _ := utf8.DecodeRune(d.data[d.pos:])
	if string(r) == ByteOrderMark {
		return "unexpected byte-order mark (U+FEFF)"
	}
	return fmt.Sprintf("unexpected character %q", r)
}
