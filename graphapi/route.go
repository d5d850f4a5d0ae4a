package graphapi

import (
	"net/url"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// routeKind is the kind of resource a path addresses.
type routeKind int

const (
	routePositions      routeKind = iota // …/profile/positions
	routePosition                        // …/profile/positions/{id}
	routePositionsCount                  // …/profile/positions/$count
	routeUsers                           // /users
	routeMe                              // /me
	routeUser                            // /users/{id | userPrincipalName}
)

// route is what a request path addresses.
type route struct {
	kind       routeKind
	version    string // "beta" or "v1.0"
	user       graphprofile.ProfileRef
	positionID string
}

// addressesUser reports whether the route names one user (and its
// profile); the others address the directory as a whole.
func (rt route) addressesUser() bool { return rt.kind != routeUsers }

// meAlias is what the Go and Python SDKs send for /me when their URL-replace
// middleware is not installed; Graph treats it as /me, and so do we.
const meAlias = "me-token-to-replace"

// parseRoute maps a request path to a route. It returns a Graph error for
// any path graphprofile does not serve, never a bare 404. Served:
//
//	/{beta,v1.0}/users
//	/{beta,v1.0}/users/{id | userPrincipalName}, /{beta,v1.0}/me
//	/beta/me/profile/positions[/{id} | /$count]
//	/beta/users/{id | userPrincipalName}/profile/positions[/{id} | /$count]
//
// workPosition does not exist in v1.0. Keys may also be written in OData's
// parenthesis form: users('{key}'), positions('{id}').
func parseRoute(escapedPath string) (route, error) {
	segments, err := splitPath(escapedPath)
	if err != nil {
		return route{}, err
	}
	if len(segments) == 0 || (segments[0] != "beta" && segments[0] != "v1.0") {
		version := ""
		if len(segments) > 0 {
			version = segments[0]
		}
		return route{}, graphprofile.Errorf(graphprofile.CodeBadRequest, "Invalid version: '%s'. The versions this service serves are 'beta' and 'v1.0'.", version)
	}
	rt := route{version: segments[0]}
	rest := segments[1:]
	if len(rest) == 0 {
		return route{}, notFoundSegment(rt.version)
	}

	switch name, key, hasKey := splitKey(rest[0]); {
	case name == "me" && !hasKey:
		rt.user.Me = true
		rest = rest[1:]
	case name == "users" && hasKey:
		rt.user.UserKey = key
		rest = rest[1:]
	case name == "users" && len(rest) == 1:
		rt.kind = routeUsers
		return rt, nil
	case name == "users":
		rt.user.UserKey = rest[1]
		rest = rest[2:]
	default:
		return route{}, notFoundSegment(rest[0])
	}
	if rt.user.UserKey == meAlias {
		rt.user = graphprofile.ProfileRef{Me: true}
	}
	if len(rest) == 0 {
		rt.kind = routeUser
		if rt.user.Me {
			rt.kind = routeMe
		}
		return rt, nil
	}
	if rest[0] != "profile" || rt.version != "beta" {
		return route{}, notFoundSegment(rest[0])
	}
	rest = rest[1:]
	if len(rest) == 0 {
		return route{}, notFoundSegment("profile")
	}
	name, key, hasKey := splitKey(rest[0])
	if name != "positions" {
		return route{}, notFoundSegment(rest[0])
	}
	rest = rest[1:]
	rt.kind = routePositions
	switch {
	case hasKey && key == "":
		return route{}, notFoundSegment(segments[len(segments)-len(rest)-1])
	case hasKey:
		rt.kind, rt.positionID = routePosition, key
	case len(rest) > 0 && rest[0] == "$count":
		rt.kind = routePositionsCount
		rest = rest[1:]
	case len(rest) > 0:
		rt.kind, rt.positionID = routePosition, rest[0]
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return route{}, notFoundSegment(rest[0])
	}
	return rt, nil
}

// splitPath splits an escaped path into unescaped segments, ignoring one
// trailing slash.
func splitPath(escapedPath string) ([]string, error) {
	p := strings.TrimPrefix(escapedPath, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil, nil
	}
	raw := strings.Split(p, "/")
	out := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, graphprofile.Errorf(graphprofile.CodeBadRequest, "The request path has an invalid escape in segment '%s'.", s)
		}
		if u == "" {
			return nil, graphprofile.Errorf(graphprofile.CodeBadRequest, "The request path has an empty segment.")
		}
		out[i] = u
	}
	return out, nil
}

// splitKey splits OData's key form name('key') (with ” for a quote in key).
func splitKey(segment string) (name, key string, hasKey bool) {
	open := strings.IndexByte(segment, '(')
	if open < 0 || !strings.HasSuffix(segment, ")") {
		return segment, "", false
	}
	inner := segment[open+1 : len(segment)-1]
	if len(inner) >= 2 && inner[0] == '\'' && inner[len(inner)-1] == '\'' {
		inner = strings.ReplaceAll(inner[1:len(inner)-1], "''", "'")
	}
	return segment[:open], inner, true
}

func notFoundSegment(segment string) error {
	return graphprofile.Errorf(graphprofile.CodeBadRequest, "Resource not found for the segment '%s'.", segment)
}
