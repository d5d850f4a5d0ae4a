package graphapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/graphapi"
)

const pageOrigin = "https://app.example.test"

// headerList splits a comma-separated header (all its lines) into trimmed
// names.
func headerList(h http.Header, name string) []string {
	var out []string
	for _, line := range h.Values(name) {
		for item := range strings.SplitSeq(line, ",") {
			out = append(out, strings.TrimSpace(item))
		}
	}
	return out
}

// containsFold reports whether list holds name, ignoring case.
func containsFold(list []string, name string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, name) })
}

// TestCORSPreflight: a browser's preflight gets 204 and what the page may
// send, on every path (served or not, the probes too), without a token.
func TestCORSPreflight(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(tok, "/me", `{}`)["id"].(string)
	paths := []string{
		"/beta/me/profile/positions",
		"/beta/me/profile/positions/" + id,
		"/beta/users/" + userA1 + "/profile/positions/$count",
		"/beta/users",
		"/v1.0/me",
		"/healthz",
		"/readyz",
		"/beta/nowhere",
		"/nowhere",
	}
	for _, path := range paths {
		for _, method := range []string{"GET", "POST", "PATCH", "DELETE"} {
			t.Run(method+" "+path, func(t *testing.T) {
				resp := s.do(request{method: http.MethodOptions, path: path, header: map[string]string{
					"Origin":                         pageOrigin,
					"Access-Control-Request-Method":  method,
					"Access-Control-Request-Headers": "authorization,content-type,if-match,sdkversion,client-request-id,x-page-trace",
				}})
				if resp.status != http.StatusNoContent || len(resp.body) != 0 {
					t.Fatalf("status %d, body %q; want 204 and no body", resp.status, resp.body)
				}
				h := resp.header
				if got := h.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("Access-Control-Allow-Origin %q, want *", got)
				}
				methods := headerList(h, "Access-Control-Allow-Methods")
				for _, m := range []string{"GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS", method} {
					if !slices.Contains(methods, m) {
						t.Errorf("Access-Control-Allow-Methods %v lacks %s", methods, m)
					}
				}
				allowed := headerList(h, "Access-Control-Allow-Headers")
				for _, name := range []string{"Authorization", "Content-Type", "client-request-id", "If-Match", "If-None-Match", "Prefer", "ConsistencyLevel", "SdkVersion", "x-page-trace"} {
					if !containsFold(allowed, name) {
						t.Errorf("Access-Control-Allow-Headers %v lacks %s", allowed, name)
					}
				}
				if got := h.Get("Access-Control-Max-Age"); got != "3600" {
					t.Errorf("Access-Control-Max-Age %q, want 3600", got)
				}
				if h.Get("Access-Control-Allow-Credentials") != "" {
					t.Error("credentials allowed: the identity is a token, never a cookie")
				}
				if !guidPattern.MatchString(h.Get("request-id")) {
					t.Errorf("request-id %q", h.Get("request-id"))
				}
			})
		}
	}

	// A preflight that asks for no header is allowed Graph clients' own,
	// as docs/decisions.md lists them.
	resp := s.do(request{method: http.MethodOptions, path: "/beta/me", header: map[string]string{"Origin": pageOrigin, "Access-Control-Request-Method": "GET"}})
	if got, want := resp.header.Get("Access-Control-Allow-Headers"), "Authorization, Content-Type, Content-Encoding, Accept, client-request-id, return-client-request-id, If-Match, If-None-Match, Prefer, ConsistencyLevel, SdkVersion, OData-Version, OData-MaxVersion, Cache-Control"; got != want {
		t.Errorf("Access-Control-Allow-Headers %q, want %q", got, want)
	}

	// Request headers that are not HTTP tokens are not echoed.
	resp = s.do(request{method: http.MethodOptions, path: "/beta/me", header: map[string]string{
		"Origin": pageOrigin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization, bad header, x-ok",
	}})
	if allowed := headerList(resp.header, "Access-Control-Allow-Headers"); containsFold(allowed, "bad header") || !containsFold(allowed, "x-ok") {
		t.Errorf("Access-Control-Allow-Headers %v", allowed)
	}
	// A name requested twice, in any case, or already among Graph's, is
	// allowed once.
	resp = s.do(request{method: http.MethodOptions, path: "/beta/me", header: map[string]string{
		"Origin": pageOrigin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Ok, x-ok, AUTHORIZATION, x-OK",
	}})
	seen := map[string]bool{}
	for _, name := range headerList(resp.header, "Access-Control-Allow-Headers") {
		if key := strings.ToLower(name); seen[key] {
			t.Errorf("Access-Control-Allow-Headers names %s twice: %q", name, resp.header.Values("Access-Control-Allow-Headers"))
		} else {
			seen[key] = true
		}
	}
	if !seen["x-ok"] || !seen["authorization"] {
		t.Errorf("Access-Control-Allow-Headers %q lacks x-ok or authorization", resp.header.Values("Access-Control-Allow-Headers"))
	}
}

// TestCORSActualResponses: every answer a page can get, successes and
// Graph errors alike, lets it read the body and Graph's headers.
func TestCORSActualResponses(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	other := s.delegated(tenantA, userA2, "User.Read")
	id := s.create(tok, "/me", `{}`)["id"].(string)
	origin := map[string]string{"Origin": pageOrigin}
	tests := []struct {
		name   string
		req    request
		status int
	}{
		{"list", request{path: "/beta/me/profile/positions", token: tok}, http.StatusOK},
		{"get", request{path: "/beta/me/profile/positions/" + id, token: tok}, http.StatusOK},
		{"create", request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{}`}, http.StatusCreated},
		{"update", request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + id, token: tok, body: `{}`}, http.StatusOK},
		{"HEAD", request{method: http.MethodHead, path: "/beta/me/profile/positions", token: tok}, http.StatusOK},
		{"no token: 401", request{path: "/beta/me/profile/positions"}, http.StatusUnauthorized},
		{"another's profile: 403", request{path: "/beta/users/" + userA1 + "/profile/positions", token: other}, http.StatusForbidden},
		{"unknown position: 404", request{path: "/beta/me/profile/positions/nope", token: tok}, http.StatusNotFound},
		{"unknown path: 400", request{path: "/beta/nowhere", token: tok}, http.StatusBadRequest},
		{"wrong method: 405", request{method: http.MethodPut, path: "/beta/me/profile/positions", token: tok, body: `{}`}, http.StatusMethodNotAllowed},
		{"health", request{path: "/healthz"}, http.StatusOK},
		{"OPTIONS without a preflight", request{method: http.MethodOptions, path: "/beta/me"}, http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.header = origin
			resp := s.do(tc.req)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			checkGraphCORS(t, resp)
		})
	}
}

// graphsExposeHeaders is Graph's Access-Control-Expose-Headers, as
// Microsoft's dev-proxy mirrors it, in its order.
const graphsExposeHeaders = "ETag, Location, Preference-Applied, Content-Range, request-id, client-request-id, ReadWriteConsistencyToken, SdkVersion, WWW-Authenticate, x-ms-client-gcc-tenant, Retry-After"

// checkGraphCORS checks that resp, an answer to a page of any origin,
// lets that page read it as Graph's do: Access-Control-Allow-Origin *, and
// exactly Graph's list of exposed headers as dev-proxy mirrors it
// (reference 6.2; docs/decisions.md: "We send exactly these").
func checkGraphCORS(t *testing.T, resp *response) {
	t.Helper()
	if got := resp.header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin %q, want *", got)
	}
	if got := resp.header.Values("Access-Control-Expose-Headers"); len(got) != 1 || got[0] != graphsExposeHeaders {
		t.Errorf("Access-Control-Expose-Headers %q, want [%s]", got, graphsExposeHeaders)
	}
}

// TestCORSOrigins: with CORSOrigins set, only those origins' pages may
// read (the origin is echoed, and responses vary by it); others are served
// as any client is, without the headers that would let their page read.
func TestCORSOrigins(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.CORSOrigins = []string{pageOrigin, "http://localhost:3000/"}
	})
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, origin := range []string{pageOrigin, "http://localhost:3000", "HTTPS://App.Example.Test"} {
		t.Run("allowed "+origin, func(t *testing.T) {
			resp := s.do(request{path: "/beta/me/profile/positions", token: tok, header: map[string]string{"Origin": origin}})
			if resp.status != http.StatusOK || resp.header.Get("Access-Control-Allow-Origin") != origin {
				t.Errorf("%d, Access-Control-Allow-Origin %q, want %q", resp.status, resp.header.Get("Access-Control-Allow-Origin"), origin)
			}
			if !containsFold(headerList(resp.header, "Vary"), "Origin") {
				t.Errorf("Vary %v lacks Origin", resp.header.Values("Vary"))
			}
			if !containsFold(headerList(resp.header, "Access-Control-Expose-Headers"), "ETag") {
				t.Errorf("Access-Control-Expose-Headers %q", resp.header.Get("Access-Control-Expose-Headers"))
			}
			pre := s.do(request{method: http.MethodOptions, path: "/beta/me/profile/positions", header: map[string]string{
				"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type",
			}})
			if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != origin || pre.header.Get("Access-Control-Allow-Methods") == "" {
				t.Errorf("preflight: %d %v", pre.status, pre.header)
			}
		})
	}
	for _, origin := range []string{"https://evil.example.test", "https://app.example.test:8443", "http://app.example.test", "null", ""} {
		t.Run("refused "+origin, func(t *testing.T) {
			resp := s.do(request{path: "/beta/me/profile/positions", token: tok, header: map[string]string{"Origin": origin}})
			if resp.status != http.StatusOK {
				t.Errorf("status %d: a request is served whoever's page sent it", resp.status)
			}
			for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers"} {
				if got := resp.header.Get(name); got != "" {
					t.Errorf("%s %q sent to an origin not allowed", name, got)
				}
			}
			pre := s.do(request{method: http.MethodOptions, path: "/beta/me/profile/positions", header: map[string]string{
				"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization",
			}})
			for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"} {
				if got := pre.header.Get(name); got != "" {
					t.Errorf("preflight: %s %q sent to an origin not allowed", name, got)
				}
			}
		})
	}
}

// TestCORSOriginsChecked: Open refuses what no browser sends as an Origin.
func TestCORSOriginsChecked(t *testing.T) {
	for _, bad := range []string{"app.example.test", "https://app.example.test/path", "ftp://app.example.test", "https://", "https://:443", "https://bücher.example.test", "https://u@app.example.test", "https://app.example.test?x=1",
		// A pattern, a port no browser sends, a host no browser names.
		"https://*.example.test", "https://app.example.test:99999", "https://app.example.test:0", "https://app.example.test:08080", "https://app%20x.example.test", "https://app!.example.test", "http://[::g]"} {
		srv := &graphapi.Server{Addr: "127.0.0.1:0", CORSOrigins: []string{pageOrigin, bad}}
		err := srv.Open()
		if err == nil {
			srv.Close(t.Context())
			t.Errorf("Open with CORS origin %q succeeded", bad)
			continue
		}
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("Open with %q: %v, want the origin named", bad, err)
		}
		if graphapi.CheckCORSOrigins([]string{bad}) == nil {
			t.Errorf("CheckCORSOrigins(%q) = nil", bad)
		}
	}
	for _, good := range [][]string{nil, {"*"}, {"http://localhost:8080", "https://app.example.test/"}, {"*", "https://app.example.test"}, {"http://127.0.0.1:3000", "http://[::1]:8080", "https://my_app.example.test:65535"}} {
		if err := graphapi.CheckCORSOrigins(good); err != nil {
			t.Errorf("CheckCORSOrigins(%q): %v", good, err)
		}
	}
}

// TestHEAD: HEAD works wherever GET does, with GET's status and headers
// (Content-Length included) and no body; compressed or not.
func TestHEAD(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	var id string
	for i := range 5 {
		id = s.create(tok, "/me", `{"detail":{"jobTitle":"Engineer `+string(rune('A'+i))+`","description":"`+strings.Repeat("x", 300)+`"}}`)["id"].(string)
	}
	paths := []string{
		"/beta/me/profile/positions",
		"/beta/me/profile/positions?$top=2&$select=id,detail",
		"/beta/me/profile/positions/" + id,
		"/beta/me/profile/positions/$count",
		"/beta/users/" + userA1 + "/profile/positions",
		"/beta/me",
		"/v1.0/users",
		"/beta/me/profile/positions/nope", // 404
		"/beta/nowhere",                   // 400
		"/healthz",
		"/readyz",
	}
	for _, path := range paths {
		for _, encoding := range []string{"identity", "gzip"} {
			t.Run(path+" "+encoding, func(t *testing.T) {
				h := map[string]string{"Accept-Encoding": encoding, "client-request-id": "same-for-both"}
				get := s.do(request{path: path, token: tok, header: h})
				head := s.do(request{method: http.MethodHead, path: path, token: tok, header: h})
				if head.status != get.status {
					t.Errorf("HEAD status %d, GET %d", head.status, get.status)
				}
				if len(head.body) != 0 {
					t.Errorf("HEAD sent a body: %q", head.body)
				}
				if got, want := head.header.Get("Content-Length"), get.header.Get("Content-Length"); got == "" || got != want {
					t.Errorf("HEAD Content-Length %q, GET %q (body %d bytes)", got, want, len(get.body))
				}
				for name := range get.header {
					switch name {
					case "Date", "Request-Id", "Content-Length":
						continue
					}
					if !slices.Equal(head.header.Values(name), get.header.Values(name)) {
						t.Errorf("%s: HEAD %q, GET %q", name, head.header.Values(name), get.header.Values(name))
					}
				}
				if len(head.header) != len(get.header) {
					t.Errorf("HEAD headers %v\nGET headers %v", head.header, get.header)
				}
			})
		}
	}
	// Without a token HEAD is GET's 401; on a path without GET, 405.
	if resp := s.do(request{method: http.MethodHead, path: "/beta/me/profile/positions"}); resp.status != http.StatusUnauthorized || resp.header.Get("WWW-Authenticate") == "" {
		t.Errorf("HEAD without a token: %d %v", resp.status, resp.header)
	}
}

// TestOPTIONS: an OPTIONS that is no preflight answers 204 with the methods
// the path serves, without a token; a path not served is Graph's 400.
func TestOPTIONS(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct{ path, allow string }{
		{"/beta/me/profile/positions", "GET, POST"},
		{"/beta/users/" + userA1 + "/profile/positions/x", "GET, PATCH, DELETE"},
		{"/beta/me/profile/positions/$count", "GET"},
		{"/v1.0/users", "GET, POST"},
		{"/healthz", "GET"},
	} {
		resp := s.do(request{method: http.MethodOptions, path: tc.path})
		if resp.status != http.StatusNoContent || resp.header.Get("Allow") != tc.allow || len(resp.body) != 0 {
			t.Errorf("OPTIONS %s: %d, Allow %q, body %q; want 204, %q", tc.path, resp.status, resp.header.Get("Allow"), resp.body, tc.allow)
		}
	}
	if msg := expectError(t, s.do(request{method: http.MethodOptions, path: "/beta/nowhere"}), http.StatusBadRequest, "BadRequest"); msg != "Resource not found for the segment 'nowhere'." {
		t.Errorf("OPTIONS /beta/nowhere: message %q", msg)
	}
	// An OPTIONS with an Origin but no Access-Control-Request-Method is no
	// preflight (a page's own OPTIONS, which the browser preflights first):
	// it is answered as OPTIONS is, with CORS's headers for an actual
	// response, not a preflight's.
	resp := s.do(request{method: http.MethodOptions, path: "/beta/me/profile/positions", header: map[string]string{"Origin": pageOrigin}})
	if resp.status != http.StatusNoContent || resp.header.Get("Allow") != "GET, POST" || resp.header.Get("Access-Control-Allow-Methods") != "" ||
		resp.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("OPTIONS with an Origin only: %d, Allow %q, Access-Control-Allow-Methods %q, Access-Control-Allow-Origin %q; want 204, GET, POST, none, *",
			resp.status, resp.header.Get("Allow"), resp.header.Get("Access-Control-Allow-Methods"), resp.header.Get("Access-Control-Allow-Origin"))
	}
}

// TestOPTIONSAsterisk: "OPTIONS *" (RFC 9110 9.3.7: a question about the
// server as a whole) is answered by the server as any OPTIONS is: 204
// with Allow, here the methods of the endpoint table, a request-id and
// CORS's headers, a preflight's for a page's preflight. net/http answered
// it before any handler, a bare 200 with no request-id or CORS header,
// and neither the access log nor the journal saw it.
func TestOPTIONSAsterisk(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.CORSOrigins = []string{pageOrigin}
	})
	tests := []struct {
		name        string
		header      map[string]string
		allowOrigin string
		allowMethod string
	}{
		{"plain", nil, "", ""},
		{"a page's own OPTIONS", map[string]string{"Origin": pageOrigin}, pageOrigin, ""},
		{"a preflight", map[string]string{"Origin": pageOrigin, "Access-Control-Request-Method": "GET"}, pageOrigin, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hr, err := http.NewRequest(http.MethodOptions, s.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			hr.URL.Path, hr.URL.Opaque = "", "*" // the request line's target is "*"
			for k, v := range tc.header {
				hr.Header.Set(k, v)
			}
			resp, err := s.client.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("status %d, want 204", resp.StatusCode)
			}
			if tc.allowMethod == "" && resp.Header.Get("Allow") != "GET, POST, PATCH, DELETE" {
				t.Errorf("Allow %q, want %q", resp.Header.Get("Allow"), "GET, POST, PATCH, DELETE")
			}
			if !guidPattern.MatchString(resp.Header.Get("request-id")) {
				t.Errorf("request-id %q, want a GUID", resp.Header.Get("request-id"))
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.allowOrigin)
			}
			if got := resp.Header.Get("Access-Control-Allow-Methods"); got != tc.allowMethod {
				t.Errorf("Access-Control-Allow-Methods %q, want %q", got, tc.allowMethod)
			}
		})
	}
}

// TestVaryIsOneFieldLine: an answer that varies by more than one request
// header (Origin under CORSOrigins, Accept-Encoding on every body,
// Access-Control-Request-Headers on a preflight) says so in one Vary field
// line, not one line each: a list split over lines means the same to RFC
// 9110, but caches that read only a header's first line (Varnish without
// std.collect) would keep gzip answers for clients that do not take it.
func TestVaryIsOneFieldLine(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.CORSOrigins = []string{pageOrigin}
	})
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	created := s.create(tok, "/me", `{"detail":{"jobTitle":"Vary"}}`)
	item := "/beta/me/profile/positions/" + created["id"].(string)
	etag := s.do(request{path: item, token: tok}).header.Get("ETag")
	origin := map[string]string{"Origin": pageOrigin}
	tests := []struct {
		name string
		req  request
		want []string
	}{
		{"list", request{path: "/beta/me/profile/positions", token: tok, header: origin}, []string{"Origin", "Accept-Encoding"}},
		{"404", request{path: "/beta/me/profile/positions/nope", token: tok, header: origin}, []string{"Origin", "Accept-Encoding"}},
		{"304", request{path: item, token: tok, header: map[string]string{"Origin": pageOrigin, "If-None-Match": etag}}, []string{"Origin", "Accept-Encoding"}},
		{"preflight", request{method: http.MethodOptions, path: "/beta/me", header: map[string]string{
			"Origin": pageOrigin, "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization"}},
			[]string{"Origin", "Access-Control-Request-Headers"}},
		{"other origin", request{path: "/beta/me/profile/positions", token: tok, header: map[string]string{"Origin": "https://other.example.test"}}, []string{"Origin", "Accept-Encoding"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(tc.req)
			lines := resp.header.Values("Vary")
			if len(lines) != 1 {
				t.Fatalf("%d: %d Vary field lines %q, want one", resp.status, len(lines), lines)
			}
			for _, name := range tc.want {
				if !containsFold(headerList(resp.header, "Vary"), name) {
					t.Errorf("Vary %q lacks %s", lines[0], name)
				}
			}
		})
	}
}

// TestCORSOriginsDefaultPort: an origin configured with its scheme's
// default port (or an empty one) is the origin browsers send without it
// (RFC 6454 6.1 leaves the default port out): it used to be kept as
// written, and no browser's Origin ever matched it.
func TestCORSOriginsDefaultPort(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.CORSOrigins = []string{"https://app.example.test:443", "http://localhost:80/", "http://[::1]:80", "https://empty.example.test:"}
	})
	for _, origin := range []string{"https://app.example.test", "http://localhost", "http://[::1]", "https://empty.example.test"} {
		resp := s.do(request{path: "/healthz", header: map[string]string{"Origin": origin}})
		if got := resp.header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("Origin %s: Access-Control-Allow-Origin %q, want it echoed", origin, got)
		}
	}
	// A port other than the default stays part of the origin.
	for _, origin := range []string{"https://app.example.test:8443", "http://localhost:8080", "https://app.example.test:80"} {
		resp := s.do(request{path: "/healthz", header: map[string]string{"Origin": origin}})
		if got := resp.header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Origin %s: Access-Control-Allow-Origin %q, want none", origin, got)
		}
	}
}

// TestBatchItemIsNoPreflight: a browser preflights the $batch, never an
// item in its body, so an OPTIONS item that carries Origin and
// Access-Control-Request-Method is answered as any OPTIONS item: 204 with
// Allow on a path served, Graph's 400 on one not served. It used to be
// taken for a preflight: 204 with nothing (the CORS headers are the
// exchange's, left out of an item's answer) whatever its path.
func TestBatchItemIsNoPreflight(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"OPTIONS","url":"/me","headers":{"Origin":"`+pageOrigin+`","Access-Control-Request-Method":"PATCH"}},
		{"id":"2","method":"OPTIONS","url":"/nowhere","headers":{"Origin":"`+pageOrigin+`","Access-Control-Request-Method":"PATCH"}}]}`)
	if status, h, _ := a.item(t, "1"); status != http.StatusNoContent || h["Allow"] != "GET, PATCH" {
		t.Errorf("OPTIONS /me: %d %v, want 204 with Allow: GET, PATCH", status, h)
	}
	if status, _, body := a.item(t, "2"); status != http.StatusBadRequest || body == nil {
		t.Errorf("OPTIONS /nowhere: %d %v, want Graph's 400", status, body)
	}
}

// TestCORSBatchAndAdmin: a page that batches, or a test page that drives
// the admin API, is preflighted on those paths as on any other (204 from
// any path, before routing and without a token, with POST and the
// headers the page asks for), and the answers that follow carry CORS's
// headers, errors included: the $batch's 400 and 415, and the admin
// API's 401.
func TestCORSBatchAndAdmin(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, path := range []string{"/beta/$batch", "/v1.0/$batch", "/BETA/$batch", "/_admin/reset", "/_admin/requests", "/_admin/faults"} {
		t.Run("preflight "+path, func(t *testing.T) {
			resp := s.do(request{method: http.MethodOptions, path: path, header: map[string]string{
				"Origin": pageOrigin, "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "authorization,content-type,sdkversion,client-request-id,retry-attempt",
			}})
			if resp.status != http.StatusNoContent || len(resp.body) != 0 {
				t.Fatalf("status %d, body %q; want 204 and no body", resp.status, resp.body)
			}
			if got := resp.header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want *", got)
			}
			if methods := headerList(resp.header, "Access-Control-Allow-Methods"); !slices.Contains(methods, "POST") || !slices.Contains(methods, "DELETE") {
				t.Errorf("Access-Control-Allow-Methods %v lacks POST or DELETE", methods)
			}
			allowed := headerList(resp.header, "Access-Control-Allow-Headers")
			for _, name := range []string{"Authorization", "Content-Type", "SdkVersion", "client-request-id", "retry-attempt"} {
				if !containsFold(allowed, name) {
					t.Errorf("Access-Control-Allow-Headers %v lacks %s", allowed, name)
				}
			}
			if got := resp.header.Get("Access-Control-Max-Age"); got != "3600" {
				t.Errorf("Access-Control-Max-Age %q, want 3600", got)
			}
		})
	}
	origin := map[string]string{"Origin": pageOrigin}
	for _, tc := range []struct {
		name   string
		req    request
		status int
	}{
		{"batch", request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[{"id":"1","method":"GET","url":"/me"}]}`}, http.StatusOK},
		{"batch refused: 400", request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[]}`}, http.StatusBadRequest},
		{"batch without a token: 401", request{method: http.MethodPost, path: "/v1.0/$batch", body: `{"requests":[{"id":"1","method":"GET","url":"/me"}]}`}, http.StatusUnauthorized},
		{"batch GET: 405", request{path: "/beta/$batch", token: tok}, http.StatusMethodNotAllowed},
		{"admin without its token: 401", request{path: "/_admin/requests"}, http.StatusUnauthorized},
		{"admin with its token", request{path: "/_admin/requests", token: adminToken}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.header = origin
			resp := s.do(tc.req)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			checkGraphCORS(t, resp)
		})
	}
}
