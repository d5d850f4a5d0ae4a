package webui

import (
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// maxTokenRequestBytes bounds the body of POST /ui/api/dev/token: a user
// id, a principal name and a display name.
const maxTokenRequestBytes = 4 << 10

// serveAPI answers the page's own JSON endpoints, name being the path
// under /ui/api/.
func (h *handler) serveAPI(w http.ResponseWriter, r *http.Request, name string) {
	switch name {
	case "config":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.fail(w, r, methodNotAllowed(w, http.MethodGet, http.MethodHead))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodGet {
			_, _ = w.Write(h.config)
		}
	case "dev/users":
		if r.Method != http.MethodGet {
			h.fail(w, r, methodNotAllowed(w, http.MethodGet))
			return
		}
		if err := h.devAllowed(r); err != nil {
			h.fail(w, r, err)
			return
		}
		users, more, err := h.options.DevSignIn.Users(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, struct {
			Value []DevUser `json:"value"`
			More  bool      `json:"more"`
		}{users, more})
	case "dev/token":
		// The same two refusals as dev/users (the method, then devAllowed),
		// each endpoint with its own method.
		if r.Method != http.MethodPost {
			h.fail(w, r, methodNotAllowed(w, http.MethodPost))
			return
		}
		if err := h.devAllowed(r); err != nil {
			h.fail(w, r, err)
			return
		}
		req, err := readTokenRequest(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		tok, err := h.options.DevSignIn.Token(r.Context(), req)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.logger().Info("web UI: development token minted", "user-id", tok.UserID, "upn", tok.UserPrincipalName, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusOK, tok)
	default:
		h.fail(w, r, notFound("The web UI's API has no endpoint '%s'.", name))
	}
}

// devAllowed refuses development sign-in, 403, unless the development
// issuer is trusted and the client is the page in a browser on this
// machine: whoever reaches these endpoints may act as anyone of the
// development tenant. A client is on this machine when it connected from a
// loopback address, through no proxy (a proxy on the same host makes every
// client look local: its forwarding headers give it away, and a proxy that
// sends none is why the operator's --trust-proxy turns all of this off),
// naming the server by a loopback name (a page of another site that
// rebinds its name to 127.0.0.1 names its own host). It is the page when
// its browser says the fetch is same-origin (Fetch Metadata; a non-browser
// client can send the header too, so this stops only other sites' pages)
// and, if it sends an Origin, that origin is the server's own.
func (h *handler) devAllowed(r *http.Request) error {
	deny := func(why string) error {
		return &uiError{http.StatusForbidden, graphprofile.Errorf(graphprofile.CodeAuthorizationDenied,
			"Development sign-in is %s. Paste a token instead (graphprofile token prints one).", why)}
	}
	if h.options.DevSignIn == nil {
		return deny("off: the server does not trust the development issuer (serve --issuer without --dev-issuer)")
	}
	if h.options.TrustProxy {
		return deny("off behind a reverse proxy (serve --trust-proxy): every client of a proxy on this machine would look local")
	}
	if !loopbackAddr(r.RemoteAddr) || forwarded(r.Header) {
		return deny("served only to clients on the server's own machine (a loopback address), since it lets anyone act as any user of the development tenant")
	}
	if !loopbackHost(r.Host) {
		return deny("served only when the page names the server by a loopback address or localhost")
	}
	if r.Header.Get("Sec-Fetch-Site") != "same-origin" {
		return deny("served only to the server's own page in a browser (a fetch with Sec-Fetch-Site: same-origin)")
	}
	if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host && origin != "https://"+r.Host {
		return deny("served only to the server's own page")
	}
	return nil
}

// forwarded reports whether h holds a forwarding header, whatever its
// values: a proxy that appends its own line (HAProxy's option forwardfor)
// keeps the client's, so a client that sends an empty one first would hide
// the proxy's from Header.Get.
func forwarded(h http.Header) bool {
	for _, name := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if _, ok := h[name]; ok {
			return true
		}
	}
	return false
}

// loopbackAddr reports whether a RemoteAddr (host:port) is a loopback
// address.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackHost reports whether a Host header names this machine: a
// loopback address or localhost (RFC 6761: always the loopback).
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// devTokenRequestType is the body of POST /ui/api/dev/token
// (DevTokenRequest), for the decoder.
var devTokenRequestType = &graphprofile.Type{Name: "graphprofile.devTokenRequest", Kind: graphprofile.KindComplex, Properties: []graphprofile.Property{
	{Name: "userId", Type: graphprofile.StringType},
	{Name: "userPrincipalName", Type: graphprofile.StringType},
	{Name: "displayName", Type: graphprofile.StringType},
}}

// readTokenRequest decodes the body of POST /ui/api/dev/token: JSON (so a
// form of another site cannot post it without CORS, which the page's API
// never grants), one object of known properties.
func readTokenRequest(r *http.Request) (DevTokenRequest, error) {
	var req DevTokenRequest
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return req, &uiError{http.StatusUnsupportedMediaType, graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The body must be application/json.")}
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxTokenRequestBytes+1))
	if err != nil {
		return req, err
	}
	if len(data) > maxTokenRequestBytes {
		return req, &uiError{http.StatusRequestEntityTooLarge, graphprofile.Errorf(graphprofile.CodeRequestEntityTooLarge, "The body is larger than %d bytes.", maxTokenRequestBytes)}
	}
	// Read by the decoder of every other body (Graph's, the admin API's),
	// as plain JSON: a name twice is refused, not "the last wins", and a
	// string that is not UTF-8 is refused, not changed into another name.
	body, err := graphprofile.DecodePlainBody(devTokenRequestType, data)
	if gerr := (*graphprofile.Error)(nil); errors.As(err, &gerr) {
		return req, &uiError{http.StatusBadRequest, gerr}
	} else if err != nil {
		return req, err
	}
	str := func(name string) string { s, _ := body[name].(string); return strings.TrimSpace(s) } // null: not given
	req.UserID, req.UserPrincipalName, req.DisplayName = str("userId"), str("userPrincipalName"), str("displayName")
	switch {
	case req.UserID == "" && req.UserPrincipalName == "":
		return req, badRequest(`Name the user: "userId", or "userPrincipalName" (and "displayName") for a new one.`)
	case req.UserID != "" && (req.UserPrincipalName != "" || req.DisplayName != ""):
		return req, badRequest(`Give "userId" alone, or "userPrincipalName" and "displayName" without it.`)
	}
	return req, nil
}
