package graphapi

import (
	"net/url"
	"slices"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// A pattern is the path shape of endpoints: segments separated by "/",
// each a literal or one of these parameters:
//
//	{version}  beta or v1.0
//	{owner}    me, or users/{key}: the user whose profile it is
//	{user}     a user's id or user principal name
//	{facet}    a collection of the profile: the name of a navigation row of
//	           graphprofile.ProfileType (positions, skills…), in any case
//	{id}       an item's id
//
// A key may also be written in OData's parenthesis form after a literal or
// a collection that a parameter follows: users('{key}'), positions('{id}').
type pattern struct {
	text     string
	segments []string
}

// keyKind is how a path segment was written: as a segment of its own, or
// as a key in parentheses, positional (users('…')) or named by its
// property (users(id='…'), users(userPrincipalName='…'), positions(id='…')).
type keyKind uint8

const (
	notKey keyKind = iota
	// keyAny is a key without a name: for users an id or a principal
	// name, as /users/{key} is.
	keyAny
	// keyID is the key property by name: (id='…').
	keyID
	// keyPrincipalName is user's alternate key (the CSDL's
	// Org.OData.Core.V1.AlternateKeys): (userPrincipalName='…').
	keyPrincipalName
)

// property is the property a key of this kind is a value of, as
// graphprofile.ProfileRef.KeyProperty names it ("" for either).
func (k keyKind) property() string {
	switch k {
	case keyID:
		return graphprofile.KeyByID
	case keyPrincipalName:
		return graphprofile.KeyByPrincipalName
	}
	return ""
}

// route is what a request path addresses: the pattern it matched and the
// values of the pattern's parameters.
type route struct {
	pattern *pattern
	version string                  // "beta" or "v1.0"
	user    graphprofile.ProfileRef // from {owner}, {user} or a literal "me"
	hasUser bool                    // the path names one user: false for the directory as a whole
	itemID  string                  // {id}
	// collection is the profile's collection {facet} named, with the
	// schema's spelling of its name.
	collection graphprofile.Collection
}

// meAlias is what the Go and Python SDKs send for /me when their URL-replace
// middleware is not installed; Graph treats it as /me, and so do we.
const meAlias = "me-token-to-replace"

// versions are what {version} matches.
var versions = []string{"beta", "v1.0"}

// version returns the version a segment names, in its canonical form.
func version(segment string) (string, bool) {
	for _, v := range versions {
		if strings.EqualFold(segment, v) {
			return v, true
		}
	}
	return "", false
}

// compilePattern splits a pattern's text into segments.
func compilePattern(text string) *pattern {
	return &pattern{text: text, segments: strings.Split(strings.TrimPrefix(text, "/"), "/")}
}

// match matches the path's segments and returns the route, or how many
// segments matched before one did not (the deepest mismatch names the
// segment of the error). keys[i] says whether path[i] was written as a key in
// parentheses: only a parameter takes one, never a literal ($count), a
// version, a collection or "me".
func (p *pattern) match(path []string, keys []keyKind) (route, int, bool) {
	rt := route{pattern: p}
	i := 0
	for _, seg := range p.segments {
		if i >= len(path) {
			return route{}, i, false
		}
		if keys[i] != notKey && seg != "{user}" && seg != "{id}" && seg != "{owner}" {
			return route{}, i, false
		}
		switch seg {
		case "{version}":
			v, ok := version(path[i])
			if !ok {
				return route{}, i, false
			}
			rt.version = v
		case "{owner}":
			switch {
			case keys[i] != notKey:
				return route{}, i, false
			case strings.EqualFold(path[i], "me"):
				rt.user, rt.hasUser = graphprofile.ProfileRef{Me: true}, true
			case strings.EqualFold(path[i], "users") && i+1 < len(path):
				i++
				if odataSegment(path[i], keys[i]) {
					return route{}, i, false
				}
				rt.user, rt.hasUser = graphprofile.ProfileRef{UserKey: path[i], KeyProperty: keys[i].property()}, true
			default:
				return route{}, i, false
			}
		case "{user}":
			if odataSegment(path[i], keys[i]) {
				return route{}, i, false
			}
			rt.user, rt.hasUser = graphprofile.ProfileRef{UserKey: path[i], KeyProperty: keys[i].property()}, true
		case "{facet}":
			c, ok := graphprofile.FindCollection(path[i])
			if !ok {
				return route{}, i, false
			}
			rt.collection = c
		case "{id}":
			if odataSegment(path[i], keys[i]) {
				return route{}, i, false
			}
			rt.itemID = path[i]
		default:
			// Segments ignore case, as Graph's do (keys and ids do not).
			if !strings.EqualFold(path[i], seg) {
				return route{}, i, false
			}
			if v, ok := version(seg); ok {
				rt.version = v
			}
			if seg == "me" {
				rt.user, rt.hasUser = graphprofile.ProfileRef{Me: true}, true
			}
		}
		i++
	}
	if i != len(path) {
		return route{}, i, false
	}
	return rt, i, true
}

// odataSegment reports whether seg, where a user's key or an item's id
// goes, is one of OData's "$" segments ($ref, $value…), never a key
// written bare: a pattern with it as a literal ($count) is listed first,
// and a key of such a name is written in parentheses, users('$ref'),
// positions('$ref') (keySegment). Another key that begins with "$" ($u1:
// a fixtures file may give one) is a key bare too, as the server writes
// it in a Location.
func odataSegment(seg string, key keyKind) bool {
	return key == notKey && isODataSegmentName(seg)
}

// odataSegmentNames are the "$" names of OData 4.01's URL path segments
// (resource paths, their ends, and the service's own), in lower case.
var odataSegmentNames = []string{"$ref", "$value", "$count", "$batch", "$metadata", "$entity", "$all",
	"$crossjoin", "$each", "$filter", "$query", "$root", "$apply", "$index", "$links", "$id"}

// isODataSegmentName reports whether seg is one of odataSegmentNames, in
// any case (segments ignore case), or one of them with a function's or
// parameters' parentheses ($crossjoin(…), $filter(…)).
func isODataSegmentName(seg string) bool {
	if !strings.HasPrefix(seg, "$") {
		return false
	}
	name, _, _ := strings.Cut(seg, "(")
	return slices.ContainsFunc(odataSegmentNames, func(n string) bool { return strings.EqualFold(n, name) })
}

// keySegment is the path of the entity of collection name whose key is
// key, as the server writes it in a URL: name/key, or name('key') for a
// key that would read as an OData segment (a user whose id is "$ref").
func keySegment(name, key string) string {
	if isODataSegmentName(key) {
		return name + "('" + url.PathEscape(odataQuoted(key)) + "')"
	}
	return name + "/" + url.PathEscape(key)
}

// router matches paths against the patterns of an endpoint table, in the
// table's order: a pattern with a literal where another has a parameter
// ($count, {id}) is listed first.
type router struct {
	patterns []*pattern
	// keyed are the literals and collections a parameter follows: only they
	// take a key in parentheses. They are found ignoring case as match
	// finds segments (strings.EqualFold), so a name that routes without a
	// key routes with one.
	keyed []string
}

// isKeyed reports whether a key in parentheses may follow name.
func (r *router) isKeyed(name string) bool {
	for _, k := range r.keyed {
		if strings.EqualFold(name, k) {
			return true
		}
	}
	return false
}

// addKeyed adds name to the names a key may follow.
func (r *router) addKeyed(name string) {
	if !r.isKeyed(name) {
		r.keyed = append(r.keyed, name)
	}
}

func newRouter(patterns []*pattern) *router {
	r := &router{}
	for _, p := range patterns {
		if len(r.patterns) == 0 || r.patterns[len(r.patterns)-1] != p {
			r.patterns = append(r.patterns, p)
		}
		for i, seg := range p.segments[:len(p.segments)-1] {
			next := p.segments[i+1]
			if !strings.HasPrefix(seg, "{") && (next == "{user}" || next == "{id}") {
				r.addKeyed(seg)
			}
			if seg == "{facet}" && next == "{id}" {
				for _, c := range graphprofile.ProfileCollections() {
					r.addKeyed(c.Name)
				}
			}
			if next == "{owner}" {
				r.addKeyed("users")
			}
		}
	}
	return r
}

// route maps a request path to a route. It returns a Graph error for any
// path graphprofile does not serve, never a bare 404: an invalid version,
// or the first segment no pattern goes on with.
func (r *router) route(escapedPath string) (route, error) {
	segments, origins, keys, err := r.splitPath(escapedPath)
	if err != nil {
		return route{}, err
	}
	if _, ok := version(first(segments)); !ok {
		version := ""
		if len(origins) > 0 {
			version = origins[0]
		}
		return route{}, graphprofile.Errorf(graphprofile.CodeBadRequest, "Invalid version: '%s'. The versions this service serves are 'beta' and 'v1.0'.", version)
	}
	deepest := 0
	for _, p := range r.patterns {
		rt, depth, ok := p.match(segments, keys)
		if ok {
			return rt, nil
		}
		deepest = max(deepest, depth)
	}
	return route{}, notFoundSegment(origins[min(deepest, len(origins)-1)])
}

// splitPath splits an escaped path into unescaped segments, ignoring one
// trailing slash, with a key in parentheses after a keyed literal split off
// as a segment of its own. origins[i] is the segment as written that
// segments[i] came from, for error messages; keys[i] says that segments[i]
// is such a key (and how it was written), which only a parameter of a
// pattern matches (positions('$count') is the item "$count", not the count).
func (r *router) splitPath(escapedPath string) (segments, origins []string, keys []keyKind, err error) {
	p := strings.TrimPrefix(escapedPath, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil, nil, nil, nil
	}
	// A keyed segment may become two: room for that once, not per segment.
	n := strings.Count(p, "/") + 2
	segments, origins, keys = make([]string, 0, n), make([]string, 0, n), make([]keyKind, 0, n)
	for s := range strings.SplitSeq(p, "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, nil, nil, graphprofile.Errorf(graphprofile.CodeBadRequest, "The request path has an invalid escape in segment '%s'.", s)
		}
		if u == "" {
			return nil, nil, nil, graphprofile.Errorf(graphprofile.CodeBadRequest, "The request path has an empty segment.")
		}
		name, key, property, hasKey := splitKey(u)
		if !hasKey || !r.isKeyed(name) {
			segments, origins, keys = append(segments, u), append(origins, u), append(keys, notKey)
			continue
		}
		kind := keyOf(name, property)
		if key == "" || kind == notKey {
			return nil, nil, nil, notFoundSegment(u)
		}
		segments, origins, keys = append(segments, name, key), append(origins, u, u), append(keys, notKey, kind)
	}
	// users/me-token-to-replace is /me, and only /me: no DELETE either.
	for i := 0; i+1 < len(segments); i++ {
		if strings.EqualFold(segments[i], "users") && strings.EqualFold(segments[i+1], meAlias) && keys[i+1].property() == "" {
			segments = append(segments[:i:i], append([]string{"me"}, segments[i+2:]...)...)
			origins = append(origins[:i:i], append([]string{origins[i+1]}, origins[i+2:]...)...)
			keys = append(keys[:i:i], append([]keyKind{notKey}, keys[i+2:]...)...)
		}
	}
	return segments, origins, keys, nil
}

// first is the first of segments, or "".
func first(segments []string) string {
	if len(segments) == 0 {
		return ""
	}
	return segments[0]
}

// splitKey splits OData's key forms name('key') (a quote in key doubled)
// and name(property='key'): property is "" in the first.
func splitKey(segment string) (name, key, property string, hasKey bool) {
	open := strings.IndexByte(segment, '(')
	if open < 0 || !strings.HasSuffix(segment, ")") {
		return segment, "", "", false
	}
	inner := segment[open+1 : len(segment)-1]
	if eq := strings.IndexByte(inner, '='); eq > 0 && isIdentifier(inner[:eq]) {
		property, inner = inner[:eq], inner[eq+1:]
	}
	if len(inner) >= 2 && inner[0] == '\'' && inner[len(inner)-1] == '\'' {
		inner = strings.ReplaceAll(inner[1:len(inner)-1], "''", "'")
	}
	return segment[:open], inner, property, true
}

// keyOf is the kind of a key in parentheses after the keyed segment name,
// named by property ("" when positional), or notKey when name's type has
// no such key: an entity's key is its id, and a user's also its principal
// name (names ignore case, as everywhere).
func keyOf(name, property string) keyKind {
	switch {
	case property == "":
		return keyAny
	case strings.EqualFold(property, "id"):
		return keyID
	case strings.EqualFold(property, "userPrincipalName") && strings.EqualFold(name, "users"):
		return keyPrincipalName
	}
	return notKey
}

// isIdentifier reports whether s is an OData simple identifier (ASCII).
func isIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && (i == 0 || !('0' <= c && c <= '9')) {
			return false
		}
	}
	return s != ""
}

func notFoundSegment(segment string) error {
	return graphprofile.Errorf(graphprofile.CodeBadRequest, "Resource not found for the segment '%s'.", segment)
}
