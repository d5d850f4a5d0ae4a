package odata

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
)

// Page sizes: Graph's default and its limit for $top.
const (
	DefaultPageSize = 100
	MaxPageSize     = 999
)

// Option is a system query option a resource may allow.
type Option string

// The system query options graphprofile knows.
const (
	OptFilter    Option = "filter"
	OptOrderBy   Option = "orderby"
	OptSelect    Option = "select"
	OptTop       Option = "top"
	OptSkip      Option = "skip"
	OptCount     Option = "count"
	OptSkipToken Option = "skiptoken"
	OptExpand    Option = "expand"
	// OptFormat ($format) is allowed on every resource: each answers JSON,
	// and $format may only ask for that (checkFormat).
	OptFormat Option = "format"
	// OptXMLFormat is no query option but what a resource that answers
	// XML ($metadata) allows of $format: xml (or application/xml) as well
	// as json.
	OptXMLFormat Option = "format=xml"
	// OptSkipToRefuse is no query option either but what a resource that
	// pages with $skiptoken only (Graph's directory) allows of $skip: it
	// is read, for Restrictions.Skip to refuse with the resource's own
	// error, and is not among the options an error says it supports.
	OptSkipToRefuse Option = "skip=refused"
)

// servedOptions are the system query options graphprofile implements
// (somewhere; each resource allows some of them).
var servedOptions = []Option{OptFilter, OptOrderBy, OptSelect, OptTop, OptSkip, OptCount, OptSkipToken, OptExpand, OptFormat}

// otherOptions are OData's other system query options: known, never served.
var otherOptions = map[string]bool{
	"search": true, "levels": true, "compute": true, "apply": true,
	"deltatoken": true, "index": true, "schemaversion": true, "id": true,
}

// unservedAlias are the unserved options that, like the served ones, are
// recognised without their "$" (Graph's beta endpoint makes it optional);
// the other names without "$" stay free for custom query options.
var unservedAlias = map[string]bool{"search": true}

// Query is the parsed system query options of one request.
type Query struct {
	Filter    *Filter  // nil: every entity
	OrderBy   *OrderBy // where $orderby is allowed, never nil: the default is createdDateTime, then id
	Select    []string // nil: every property; else the named ones, in the order given, in the schema's casing, each once
	Top       int      // the page size
	topGiven  bool     // Top is the request's $top, not the default
	Skip      int
	skipGiven bool // the request gave $skip (Restrictions.Skip)
	Count     bool
	SkipToken string
	Expand    []Expansion // nil: no $expand

	maxWork int                // the filter's evaluation budget; zero: MaxFilterWork
	entity  *graphprofile.Type // the entities' type, for the size of a page (entitySize)
}

// Parse reads the system query options of rawQuery (an URL's RawQuery) for
// entities of type t, allowing only the options in allowed. As on Graph's
// beta endpoint, the "$" prefix is optional and names ignore case. Options
// that are not system query options (no "$", not a known name) are custom
// options and are ignored. Everything else that cannot be honoured is a
// BadRequest: an unknown or unsupported "$" option, one not allowed here, an
// option given twice, a bad value.
func Parse(rawQuery string, t *graphprofile.Type, allowed ...Option) (Query, error) {
	q := Query{Top: DefaultPageSize, entity: t}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(rawKey)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return Query{}, badRequest("The query string has an invalid escape in '%s'.", part)
		}
		name := strings.ToLower(strings.TrimPrefix(key, "$"))
		dollar := strings.HasPrefix(key, "$")
		served := slices.Contains(servedOptions, Option(name))
		switch {
		case !dollar && !served && !unservedAlias[name]:
			continue // a custom query option
		case name == "search":
			return Query{}, badRequest("The query option '$%s' is not supported on this resource.", name)
		case !served && otherOptions[name]:
			return Query{}, badRequest("The query option '$%s' is not supported by this service.", name)
		case !served:
			return Query{}, badRequest("The query option '%s' is not a known system query option; this resource supports %s.", key, list(allowed))
		case name == string(OptFormat):
			if seen[name] {
				return Query{}, badRequest("The query option '$%s' is given more than once.", name)
			}
			seen[name] = true
			if err := checkFormat(value, slices.Contains(allowed, OptXMLFormat)); err != nil {
				return Query{}, err
			}
			continue
		case !slices.Contains(allowed, Option(name)) && (name != string(OptSkip) || !slices.Contains(allowed, OptSkipToRefuse)):
			return Query{}, badRequest("The query option '$%s' is not supported on this resource; it supports %s.", name, list(allowed))
		case seen[name]:
			return Query{}, badRequest("The query option '$%s' is given more than once.", name)
		}
		seen[name] = true
		if err := q.set(Option(name), value, t); err != nil {
			return Query{}, err
		}
	}
	if q.OrderBy == nil && slices.Contains(allowed, OptOrderBy) {
		ob, err := defaultOrderBy(t)
		if err != nil {
			return Query{}, err
		}
		q.OrderBy = ob
	}
	return q, nil
}

func (q *Query) set(opt Option, value string, t *graphprofile.Type) error {
	var err error
	switch opt {
	case OptFilter:
		q.Filter, err = ParseFilter(value, t)
	case OptOrderBy:
		q.OrderBy, err = ParseOrderBy(value, t)
	case OptSelect:
		q.Select, err = parseSelect(value, t)
	case OptTop:
		n, convErr := strconv.Atoi(value)
		if convErr != nil || n < 1 || n > MaxPageSize {
			return pageSizeError{badRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", value, MaxPageSize)}
		}
		q.Top, q.topGiven = n, true
	case OptSkip:
		n, convErr := strconv.Atoi(value)
		if convErr != nil || n < 0 {
			return badRequest("Invalid value '%s' for $skip: it must be a whole number, 0 or more.", value)
		}
		q.Skip, q.skipGiven = n, true
	case OptCount:
		// As Graph's OData library reads it: spaces around the value
		// trimmed, then true or false in lower case only.
		switch strings.TrimSpace(value) {
		case "true":
			q.Count = true
		case "false":
		default:
			return badRequest("Invalid value '%s' for $count: it must be true or false.", value)
		}
	case OptSkipToken:
		if value == "" {
			return badRequest("The $skiptoken is empty.")
		}
		q.SkipToken = value
	case OptExpand:
		q.Expand, err = parseExpand(value, t)
	}
	return err
}

// checkFormat accepts a $format that asks for what every resource answers,
// OData's JSON: "json" or the media type application/json, in any case,
// with parameters that do not ask for another form (odata.metadata other
// than minimal, IEEE754Compatible=true); and, where xml is true (the
// resource answers XML), "xml" or application/xml. Anything else is a
// BadRequest.
func checkFormat(value string, xml bool) error {
	if xml {
		mediaType, _, err := mime.ParseMediaType(value)
		if strings.EqualFold(strings.TrimSpace(value), "xml") || (err == nil && mediaType == "application/xml") {
			return nil
		}
	}
	refuse := badRequest("The $format '%s' is not supported; this service answers JSON only ($format=json or application/json).", value)
	if xml {
		refuse = badRequest("The $format '%s' is not supported; this resource answers XML ($format=xml or application/xml).", value)
	}
	if strings.EqualFold(strings.TrimSpace(value), "json") {
		return nil
	}
	mediaType, params, err := mime.ParseMediaType(value)
	if err != nil || mediaType != "application/json" {
		return refuse
	}
	for name, v := range params {
		switch {
		case (name == "odata.metadata" || name == "metadata") && !strings.EqualFold(v, "minimal"),
			name == "ieee754compatible" && !strings.EqualFold(v, "false"):
			return refuse
		}
	}
	return nil
}

// PreferMaxPageSize applies a client's preference (Prefer:
// odata.maxpagesize=n) for pages of n: the page size becomes n, as $top=n
// would make it, unless $top asks for fewer. It reports whether the page
// size changed.
func (q *Query) PreferMaxPageSize(n int) bool {
	size := n
	if q.topGiven {
		size = min(q.Top, n)
	}
	if size == q.Top {
		return false
	}
	q.Top = size
	return true
}

// parseSelect reads $select: top-level property names of t, or *.
func parseSelect(value string, t *graphprofile.Type) ([]string, error) {
	var names []string
	all := false
	offset := 0
	for part := range strings.SplitSeq(value, ",") {
		pos := offset + len(part) - len(strings.TrimLeftFunc(part, unicode.IsSpace))
		offset += len(part) + 1
		name := strings.TrimSpace(part)
		switch {
		case name == "*":
			all = true // every property; the other names must still be valid
			continue
		case name == "":
			return nil, syntaxError("$select", pos, "expected a property name between commas")
		case strings.Contains(name, "/"):
			return nil, queryError("$select", pos, "'%s' selects inside a property; select whole top-level properties of %s", name, t.Name)
		}
		p := t.Property(name) // ignoring case, as Graph does
		// A write-only property (passwordProfile) is selected too: its
		// value is null.
		if p == nil {
			// Graph's OData parser's own words, with no position.
			return nil, graphprofile.Errorf(graphprofile.CodeBadRequest,
				"Parsing OData Select and Expand failed: Could not find a property named '%s' on type '%s'.", name, t.Name)
		}
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	if all {
		return nil, nil
	}
	return names, nil
}

// BadSkipToken is the error of a $skiptoken that is not one of this
// request's pages.
func BadSkipToken() error {
	return badRequest("The $skiptoken is not valid for this request; follow @odata.nextLink as it was given.")
}

// pageSizeError is the error of a $top that is no page size (1 to
// MaxPageSize): BadRequest, which a resource's Restrictions may answer with
// its own code (Restrictions.ParseError).
type pageSizeError struct{ err error }

func (e pageSizeError) Error() string { return e.err.Error() }
func (e pageSizeError) Unwrap() error { return e.err }

func badRequest(format string, args ...any) error {
	return graphprofile.Errorf(graphprofile.CodeBadRequest, format, args...)
}

func list(opts []Option) string {
	if len(opts) == 0 {
		return "no query options"
	}
	var names []string
	for _, o := range opts {
		if o != OptXMLFormat && o != OptSkipToRefuse {
			names = append(names, "$"+string(o))
		}
	}
	if len(names) == 0 {
		return "no query options"
	}
	return strings.Join(names, ", ")
}

// Result is one page of a list.
type Result struct {
	Items []graphprofile.Object
	// Count is the number of entities matching the filter, on all pages
	// (when $count=true was asked; -1 otherwise).
	Count int
	// NextSkipToken continues the list after Items; empty on the last page.
	NextSkipToken string
}

// CountMatching returns how many of the entities src delivers the filter
// selects (all without one), reading them one at a time: memory stays that
// of one entity whatever the list's size. Errors: BadRequest when the
// filter needs more than MaxFilterWork steps; ctx's error when it ends
// first; src's.
func (q Query) CountMatching(ctx context.Context, src Source) (int, error) {
	var e *env
	if q.Filter != nil {
		e = q.Filter.newEnv(ctx, q.work())
	}
	n := 0
	err := src(nil, false, func(obj graphprofile.Object) (bool, error) {
		ok, err := q.admits(ctx, e, obj)
		if err != nil {
			return false, err
		}
		if ok {
			n++
		}
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// work is the evaluation budget of q's filter.
func (q Query) work() int {
	if q.maxWork > 0 {
		return q.maxWork
	}
	return MaxFilterWork
}

// Apply filters, orders and pages items, held whole and sorted: the plain
// statement of a query's answer, which Run's (a page read from a Source,
// holding at most the page) must equal, and the differential and
// integration tests hold it to. binding names what the list is of
// (tenant, user), so that a $skiptoken of another list is refused. Paging is
// keyset-based: a $skiptoken holds the order keys of the last entity of its
// page and the next page starts after them, so entities inserted or deleted
// meanwhile never make the walk repeat or skip one that was there throughout.
// Errors: BadRequest for a bad $skiptoken or a filter over MaxFilterWork;
// ctx's error when it ends first.
func (q Query) Apply(ctx context.Context, items []graphprofile.Object, binding string) (Result, error) {
	if q.OrderBy == nil {
		return Result{}, fmt.Errorf("odata: Apply needs a query parsed with $orderby allowed")
	}
	matched := make([]ranked, 0, len(items))
	var e *env
	if q.Filter != nil {
		e = q.Filter.newEnv(ctx, q.work())
	}
	keys := make([]any, 0, len(items)*(len(q.OrderBy.keys)+1))
	for _, obj := range items {
		ok, err := q.admits(ctx, e, obj)
		if err != nil {
			return Result{}, err
		}
		if ok {
			keys = q.OrderBy.appendKeyValues(keys, obj)
			matched = append(matched, ranked{obj: obj, keys: keys[len(keys)-len(q.OrderBy.keys)-1:]})
		}
	}
	slices.SortFunc(matched, func(a, b ranked) int { return q.OrderBy.compareKeys(a.keys, b.keys) })

	count := -1
	if q.Count && q.SkipToken == "" {
		count = len(matched)
	}
	start := q.Skip
	if q.SkipToken != "" {
		after, err := q.decodeSkipToken(binding)
		if err != nil {
			return Result{}, err
		}
		after = q.resolveAfter(after, func(id string) graphprofile.Object {
			for _, obj := range items {
				if obj["id"] == id {
					return obj
				}
			}
			return nil
		})
		start = sort.Search(len(matched), func(i int) bool { return q.OrderBy.compareKeys(matched[i].keys, after) > 0 })
	}
	return q.pageOf(matched, start, max(q.Top, 1), count, false, binding), nil
}

// skipTokenKey authenticates skip tokens, with the binding their caller
// gives: the MAC makes a tampered or foreign token a clean 400 instead of a
// wrong page. The key itself is no secret (it is in the source); what a
// token must not be forged without is in the binding (graphapi binds
// tokens to its store's secret, Server.SkipTokenSecret).
var skipTokenKey = []byte("graphprofile $skiptoken v1")

// skipTokenPayload is what a $skiptoken carries: the order keys of the last
// entity of the page, each tagged with its type.
type skipTokenPayload struct {
	Keys []string `json:"k"`
}

func (q Query) tokenBinding(binding string) []byte {
	filter := ""
	if q.Filter != nil {
		filter = q.Filter.String()
	}
	return []byte(binding + "\x00" + filter + "\x00" + q.OrderBy.String())
}

// SkipTokenAfter returns the $skiptoken of the page of q's list (binding
// names it, as for Apply) that starts right after obj: what a nextLink
// carries to go on from obj. GET …/profile gives it to a collection it
// shows only the start of.
func (q Query) SkipTokenAfter(binding string, obj graphprofile.Object) string {
	return q.encodeSkipToken(binding, q.OrderBy.appendKeyValues(nil, obj))
}

// A $skiptoken carries its order keys whole up to maxTokenKeyBytes of
// them. Past it (an $orderby of long strings: descriptions of thousands of
// characters), the string keys longer than cutKeyBytes share that bound
// (at least cutKeyBytes each), each longer than its share carried cut to
// its start with its digest (a cutKey), and the entity's id, carried
// whole, finds its keys again (resolveAfter): a nextLink of the keys' whole size (160 KB for a
// page ordered by 23 such keys) would pass the request head's bound, and
// the server would refuse its own nextLink.
const (
	maxTokenKeyBytes = 2 << 10
	cutKeyBytes      = 64
)

// cutKey is a string order key as a $skiptoken carries a long one past
// maxTokenKeyBytes: its start, and a digest of the whole key, which tells
// whether the entity's key is still the one the token was made after (a
// start alone would take a key changed to one that starts the same, but
// sorts elsewhere, as the place to go on from, and pass over every entity
// between).
type cutKey struct {
	start  string
	digest string // keyDigest of the whole key; "" in a token of an earlier version
}

// keyDigest is what a cutKey carries of its whole key: 64 bits of its
// SHA-256, in 11 characters.
func keyDigest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// keyDigestLen is the length of a keyDigest.
const keyDigestLen = 11

func (q Query) encodeSkipToken(binding string, keys []any) string {
	p := skipTokenPayload{Keys: make([]string, len(keys))}
	size := 0
	for i, k := range keys {
		p.Keys[i] = tagKey(k)
		size += len(p.Keys[i])
	}
	if size > maxTokenKeyBytes {
		// The long keys share the bound: the longer their starts, the
		// fewer entities a cut key leaves resolveAfter unsure of.
		long := 0
		for _, k := range keys[:len(keys)-1] {
			if s, ok := k.(string); ok && len(s) > cutKeyBytes {
				long++
			}
		}
		cut := max(cutKeyBytes, maxTokenKeyBytes/max(long, 1))
		for i, k := range keys[:len(keys)-1] { // the id stays whole
			if s, ok := k.(string); ok && len(s) > cut {
				p.Keys[i] = "h" + keyDigest(s) + cutUTF8(s, cut)
			}
		}
	}
	// Without HTML's escapes: "<" as \u003c would take six bytes of a
	// token for one.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(p) // strings only: cannot fail
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	mac := hmac.New(sha256.New, skipTokenKey)
	mac.Write(q.tokenBinding(binding))
	mac.Write(data)
	return base64.RawURLEncoding.EncodeToString(data) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

func (q Query) decodeSkipToken(binding string) ([]any, error) {
	invalid := BadSkipToken()
	payloadPart, macPart, ok := strings.Cut(q.SkipToken, ".")
	if !ok {
		return nil, invalid
	}
	data, err1 := base64.RawURLEncoding.DecodeString(payloadPart)
	sum, err2 := base64.RawURLEncoding.DecodeString(macPart)
	if err1 != nil || err2 != nil {
		return nil, invalid
	}
	mac := hmac.New(sha256.New, skipTokenKey)
	mac.Write(q.tokenBinding(binding))
	mac.Write(data)
	if !hmac.Equal(sum, mac.Sum(nil)[:16]) {
		return nil, invalid
	}
	var p skipTokenPayload
	if err := json.Unmarshal(data, &p); err != nil || len(p.Keys) != len(q.OrderBy.keys)+1 {
		return nil, invalid
	}
	keys := make([]any, len(p.Keys))
	for i, s := range p.Keys {
		k, err := untagKey(s)
		if err != nil {
			return nil, invalid
		}
		// The key must be of the order key's type (id last: a string), so a
		// forged token cannot make the comparison meet a value it cannot order.
		want := valueType{kind: kString}
		if i < len(q.OrderBy.keys) {
			want = q.OrderBy.keys[i].t
		}
		if k != nil && !keyFits(want, k) {
			return nil, invalid
		}
		if _, cut := k.(cutKey); cut && i == len(q.OrderBy.keys) {
			return nil, invalid // the id is carried whole
		}
		keys[i] = k
	}
	return keys, nil
}

// cutUTF8 returns the longest start of s of at most n bytes that ends
// between two runes.
func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:min(n, len(s))]
}

// resolveAfter returns after, the keys of a $skiptoken, with its cut keys
// (cutKey) made whole: the keys of the entity the token was made after,
// which find finds by its id (nil: none to look in), if its keys still
// match the token's (each cut key its own, by its start and digest, every
// other key equal). Else (the entity was deleted or changed between the two pages)
// each cut key becomes the bound before every string that starts with it
// (past them all when descending), so that the next page starts before
// every entity whose keys match the token's up to there: some may come
// again, none is passed over.
func (q Query) resolveAfter(after []any, find func(id string) graphprofile.Object) []any {
	if !slices.ContainsFunc(after, func(k any) bool { _, cut := k.(cutKey); return cut }) {
		return after
	}
	if id, ok := after[len(after)-1].(string); ok && find != nil {
		if obj := find(id); obj != nil {
			keys := q.OrderBy.appendKeyValues(nil, obj)
			if q.matchesCut(after, keys) {
				return keys
			}
		}
	}
	resolved := slices.Clone(after)
	for i, k := range after {
		if c, cut := k.(cutKey); cut {
			// No valid UTF-8 holds the byte 0xFF: c + "\xff" is past
			// every string that starts with c, and before any other after
			// them.
			resolved[i] = c.start
			if q.OrderBy.keys[i].desc {
				resolved[i] = c.start + "\xff"
			}
		}
	}
	return resolved
}

// matchesCut reports whether keys (an entity's, id last) are those a
// $skiptoken's after carries: each cut key the start of the entity's
// string and its digest that string's, every other key equal.
func (q Query) matchesCut(after, keys []any) bool {
	for i, k := range after[:len(after)-1] {
		if c, cut := k.(cutKey); cut {
			if s, ok := keys[i].(string); !ok || !strings.HasPrefix(s, c.start) || (c.digest != "" && keyDigest(s) != c.digest) {
				return false
			}
		} else if compareNullable(q.OrderBy.keys[i].t, keys[i], k) != 0 {
			return false
		}
	}
	return true
}

// keyFits reports whether v is a value of an order key of type t.
func keyFits(t valueType, v any) bool {
	switch v.(type) {
	case string:
		return t.kind == kString || (t.kind == kEnum && validEnum(t.edm, v.(string)))
	case cutKey:
		return t.kind == kString
	case graphprofile.Date:
		return t.kind == kDate
	case float64:
		return t.kind == kNumber
	case bool:
		return t.kind == kBool
	case time.Time:
		return t.kind == kDateTime
	}
	return false
}

func validEnum(t *graphprofile.Type, s string) bool {
	canonical, ok := graphprofile.EnumValue(t, s)
	return ok && canonical == s
}

// tagKey writes an order key as a string that says its type.
func tagKey(v any) string {
	switch v := v.(type) {
	case nil:
		return "z"
	case string:
		return "s" + v
	case graphprofile.Date:
		return "d" + string(v)
	case float64:
		return "n" + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "b" + strconv.FormatBool(v)
	case time.Time:
		return "t" + v.UTC().Format(time.RFC3339Nano)
	}
	panic(fmt.Sprintf("odata: order key of type %T", v))
}

func untagKey(s string) (any, error) {
	if s == "" {
		return nil, fmt.Errorf("empty key")
	}
	v := s[1:]
	switch s[0] {
	case 'z':
		return nil, nil
	case 's':
		return v, nil
	case 'c': // a token of an earlier version: the start alone
		return cutKey{start: v}, nil
	case 'h':
		if len(v) < keyDigestLen {
			return nil, fmt.Errorf("cut key without its digest")
		}
		return cutKey{start: v[keyDigestLen:], digest: v[:keyDigestLen]}, nil
	case 'd':
		return graphprofile.Date(v), nil
	case 'n':
		f, err := strconv.ParseFloat(v, 64)
		if err == nil && math.IsNaN(f) {
			// NaN orders nowhere: no value is after it or before it.
			return nil, fmt.Errorf("NaN key")
		}
		return f, err
	case 'b':
		return strconv.ParseBool(v)
	case 't':
		return time.Parse(time.RFC3339Nano, v)
	}
	return nil, fmt.Errorf("unknown key tag %q", s[0])
}
