package graphapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// route is what a request path addresses.
type route struct {
	profile    graphprofile.ProfileRef
	positionID string // empty: the positions collection
}

// meAlias is what the Go and Python SDKs send for /me when their URL-replace
// middleware is not installed; Graph treats it as /me, and so do we.
const meAlias = "me-token-to-replace"

// parseRoute maps a request path to a route. It returns a Graph error for
// any path graphprofile does not serve, never a bare 404.
//
// Served, under /beta only (workPosition does not exist in v1.0):
//
//	/me/profile/positions[/{id}]
//	/users/{id | userPrincipalName}/profile/positions[/{id}]
//
// Keys may also be written in OData's parenthesis form: users('{key}'),
// positions('{id}').
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
	version, rest := segments[0], segments[1:]
	if len(rest) == 0 {
		return route{}, notFoundSegment(version)
	}

	var rt route
	switch name, key, hasKey := splitKey(rest[0]); {
	case name == "me" && !hasKey:
		rt.profile.Me = true
		rest = rest[1:]
	case name == "users" && hasKey:
		rt.profile.UserKey = key
		rest = rest[1:]
	case name == "users" && len(rest) > 1:
		rt.profile.UserKey = rest[1]
		rest = rest[2:]
	default:
		return route{}, notFoundSegment(rest[0])
	}
	if rt.profile.UserKey == meAlias {
		rt.profile = graphprofile.ProfileRef{Me: true}
	}
	// Both /me and /users/{key} exist in v1.0, but profile does not.
	if len(rest) == 0 {
		return route{}, notFoundSegment(lastSegment(segments))
	}
	if rest[0] != "profile" || version != "beta" {
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
	switch {
	case hasKey && key == "":
		return route{}, notFoundSegment(segments[len(segments)-len(rest)-1])
	case hasKey:
		rt.positionID = key
	case len(rest) > 0:
		rt.positionID = rest[0]
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

func lastSegment(segments []string) string { return segments[len(segments)-1] }

func notFoundSegment(segment string) error {
	return graphprofile.Errorf(graphprofile.CodeBadRequest, "Resource not found for the segment '%s'.", segment)
}

// allowedMethods are the methods each kind of route serves.
func (rt route) allowedMethods() []string {
	if rt.positionID == "" {
		return []string{http.MethodGet, http.MethodPost}
	}
	return []string{http.MethodGet, http.MethodPatch, http.MethodDelete}
}
