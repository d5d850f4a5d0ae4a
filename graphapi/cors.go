package graphapi

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Cross-origin resource sharing, as Graph answers browsers. The identity is
// a bearer token the page sends, never a cookie the browser adds by itself,
// so any origin may call by default: a page can do no more than its token
// allows. Credentials (cookies) are never allowed.

// corsExposedHeaders are the response headers a page may read: Graph's own
// list (as Microsoft's dev-proxy mirrors it in its Graph mocks).
const corsExposedHeaders = "ETag, Location, Preference-Applied, Content-Range, request-id, client-request-id, ReadWriteConsistencyToken, SdkVersion, WWW-Authenticate, x-ms-client-gcc-tenant, Retry-After"

// corsAllowedMethods are the methods a preflight allows: every method a
// Graph client sends, whether or not the path serves it, so that the page
// reads the 405 in Graph's envelope instead of an opaque CORS failure.
const corsAllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// corsAllowedHeaders are the request headers Graph clients send; a
// preflight allows them and whatever else it asks for (see preflight).
var corsAllowedHeaders = []string{
	"Authorization", "Content-Type", "Content-Encoding", "Accept", "client-request-id",
	"return-client-request-id", "If-Match", "If-None-Match", "Prefer", "ConsistencyLevel",
	"SdkVersion", "OData-Version", "OData-MaxVersion", "Cache-Control",
}

// corsMaxAge is how long (seconds) a browser may keep a preflight's answer:
// an hour spares a preflight per request, and a changed --cors-origins
// reaches every browser within it (Chromium keeps at most two hours).
const corsMaxAge = 3600

// corsPolicy is which origins may read responses. The zero value allows
// any origin.
type corsPolicy struct {
	only map[string]bool // the allowed origins in lower case; nil: any origin
}

// CheckCORSOrigins reports what is wrong with origins as
// Server.CORSOrigins, before Open would.
func CheckCORSOrigins(origins []string) error {
	_, err := newCORSPolicy(origins)
	return err
}

// newCORSPolicy reads Server.CORSOrigins: none, or "*" among them, is any
// origin; else each must be an origin as browsers send it,
// scheme://host[:port].
func newCORSPolicy(origins []string) (corsPolicy, error) {
	only := map[string]bool{}
	anyOrigin := len(origins) == 0
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if o == "*" {
			anyOrigin = true
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" ||
			(u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return corsPolicy{}, fmt.Errorf("CORS origin %q: want * or an origin as browsers send it, scheme://host[:port], e.g. https://app.example.com", o)
		}
		if !isASCII(u.Host) {
			// A browser's Origin names such a host in its ASCII form
			// (xn--…): this one would never match.
			return corsPolicy{}, fmt.Errorf("CORS origin %q: write an internationalized host as browsers send it, in its ASCII form (xn--…)", o)
		}
		// An origin is compared whole, never as a pattern: a "*" in a
		// host, or a port no browser sends, would start a server that
		// no page can call.
		if !originHost(u.Hostname()) || !originPort(u.Port()) {
			return corsPolicy{}, fmt.Errorf("CORS origin %q: want * or an origin as browsers send it, scheme://host[:port], a host name or IP address and a port of 1–65535, no pattern (list each origin)", o)
		}
		only[serializedOrigin(u)] = true
	}
	if anyOrigin {
		return corsPolicy{}, nil
	}
	return corsPolicy{only: only}, nil
}

// serializedOrigin is u's origin as browsers send it (RFC 6454 6.1): in
// lower case, and without the port when it is the scheme's default (or
// empty), which a browser's Origin never names.
func serializedOrigin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 literal
	}
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

// originHost reports whether a browser may name host in an Origin: an IPv6
// literal, or a name of letters, digits, '-', '_' and '.' (an IPv4
// address is one).
func originHost(host string) bool {
	if strings.Contains(host, ":") {
		return net.ParseIP(host) != nil
	}
	return host != "" && !strings.ContainsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	})
}

// originPort reports whether a browser may name port in an Origin: none,
// or 1–65535 as a browser writes it, without leading zeros.
func originPort(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == port
}

// isASCII reports whether s has only ASCII characters.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// allowOrigin returns the Access-Control-Allow-Origin for a request from
// origin ("" when it sent none), or "" when that origin may not read.
func (p corsPolicy) allowOrigin(origin string) string {
	switch {
	case p.only == nil:
		return "*"
	case origin != "" && p.only[strings.ToLower(origin)]:
		return origin
	}
	return ""
}

// setCORSHeaders adds to h what lets the page that sent r read the
// response: every response, errors included, carries them.
func (p corsPolicy) setCORSHeaders(h http.Header, r *http.Request) {
	if p.only != nil {
		// The answer depends on the Origin: caches must keep them apart.
		addVary(h, "Origin")
	}
	allow := p.allowOrigin(r.Header.Get("Origin"))
	if allow == "" {
		return
	}
	if allow == "*" {
		h["Access-Control-Allow-Origin"] = anyOrigin
	} else {
		h["Access-Control-Allow-Origin"] = []string{allow}
	}
	h["Access-Control-Expose-Headers"] = corsExposedHeaderValues // shared, as response.go's noCache
}

var (
	anyOrigin               = []string{"*"}
	corsExposedHeaderValues = []string{corsExposedHeaders}
)

// isPreflight reports whether r is a CORS preflight: an OPTIONS request
// with Origin and Access-Control-Request-Method, sent by a browser, so
// never an item of a $batch (the browser preflights the batch).
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" &&
		batchOriginOf(r.Context()).itemID == ""
}

// preflight answers a preflight from an allowed origin, on any path and
// without a token (browsers send none): 204 with what the page may send.
// It returns false, having written nothing, for an origin not allowed.
func (p corsPolicy) preflight(w http.ResponseWriter, r *http.Request) bool {
	if p.allowOrigin(r.Header.Get("Origin")) == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", corsAllowedMethods)
	h.Set("Access-Control-Allow-Headers", allowedRequestHeaders(r.Header.Values("Access-Control-Request-Headers")))
	h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
	addVary(h, "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// allowedRequestHeaders is Graph clients' headers, then those of requested
// (a preflight's Access-Control-Request-Headers) not among them: a page's
// own headers (tracing, say) carry no identity, so refusing them would only
// break the page. Names that are not HTTP tokens are left out.
func allowedRequestHeaders(requested []string) string {
	names := append([]string(nil), corsAllowedHeaders...)
	known := make(map[string]bool, len(names))
	for _, n := range names {
		known[strings.ToLower(n)] = true
	}
	for _, line := range requested {
		for name := range strings.SplitSeq(line, ",") {
			name = strings.TrimSpace(name)
			if name == "" || !isToken(name) || known[strings.ToLower(name)] {
				continue
			}
			known[strings.ToLower(name)] = true
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// isToken reports whether s is an HTTP token (RFC 9110 5.6.2), as a header
// name must be.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return s != ""
}
