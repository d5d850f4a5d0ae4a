package graphapi_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/internal/memtest"
	"github.com/graphprofile/graphprofile/token"
)

const adminToken = "admin-secret-token-0123456789"

// withAdmin turns the admin API on, with a clock that the service, the
// validator and the test's issuer all read.
func withAdmin(clock *graphprofile.Clock) serverOption {
	return func(srv *graphapi.Server) {
		srv.AdminToken = adminToken
		srv.Clock = clock
		srv.Service.Now = clock.Now
		srv.Authenticator.(*token.Validator).Now = clock.Now
	}
}

// newAdminServer is a test server with the admin API on.
func newAdminServer(t *testing.T, opts ...serverOption) (*testServer, *graphprofile.Clock) {
	t.Helper()
	clock := &graphprofile.Clock{}
	s := newTestServer(t, append([]serverOption{withAdmin(clock)}, opts...)...)
	s.dev.Now = clock.Now
	return s, clock
}

// TestAdminOff: without an admin token /_admin/… is a path like any other
// the server does not serve, with or without a token.
func TestAdminOff(t *testing.T) {
	s := newTestServer(t)
	for _, tok := range []string{"", adminToken} {
		for _, path := range []string{"/_admin/reset", "/_admin/requests", "/_admin/clock"} {
			resp := s.do(request{method: http.MethodPost, path: path, token: tok})
			msg := expectError(t, resp, http.StatusBadRequest, "BadRequest")
			if !strings.Contains(msg, "Invalid version: '_admin'") {
				t.Errorf("%s: message %q", path, msg)
			}
		}
	}
}

// TestAdminRefusals: the admin token first, on every path; then paths,
// methods, query parameters and bodies refused as Graph refuses them.
func TestAdminRefusals(t *testing.T) {
	s, _ := newAdminServer(t)
	userToken := s.delegated(tenantA, userA1, "User.ReadWrite.All")
	a1 := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.create(a1, "/me", `{"detail":{"jobTitle":"Kept"}}`)
	tests := []struct {
		name    string
		req     request
		status  int
		code    string
		message string
	}{
		{"no token", request{method: http.MethodPost, path: "/_admin/reset"}, 401, "InvalidAuthenticationToken",
			"The admin API needs the server's admin token (serve --admin-token) as a bearer token."},
		{"a Graph token", request{method: http.MethodPost, path: "/_admin/reset", token: userToken}, 401, "InvalidAuthenticationToken",
			"The admin API needs the server's admin token (serve --admin-token) as a bearer token."},
		{"a wrong token", request{method: http.MethodPost, path: "/_admin/reset", token: adminToken + "x"}, 401, "InvalidAuthenticationToken",
			"The admin API needs the server's admin token (serve --admin-token) as a bearer token."},
		{"a prefix of the token", request{method: http.MethodPost, path: "/_admin/reset", token: adminToken[:10]}, 401, "InvalidAuthenticationToken",
			"The admin API needs the server's admin token (serve --admin-token) as a bearer token."},
		{"the token as Basic", request{method: http.MethodPost, path: "/_admin/reset", header: map[string]string{"Authorization": "Basic " + adminToken}}, 401, "InvalidAuthenticationToken",
			"The admin API needs the server's admin token (serve --admin-token) as a bearer token."},
		{"an unknown path without a token", request{path: "/_admin/nothing"}, 401, "InvalidAuthenticationToken",
			"The admin API needs the server's admin token (serve --admin-token) as a bearer token."},
		{"an unknown path", request{path: "/_admin/nothing", token: adminToken}, 400, "BadRequest",
			"Resource not found for the segment 'nothing'."},
		{"the prefix alone", request{path: "/_admin", token: adminToken}, 400, "BadRequest",
			"Resource not found for the segment '_admin'."},
		{"GET reset", request{path: "/_admin/reset", token: adminToken}, 405, "Request_BadRequest",
			"Specified HTTP method is not allowed for the request target."},
		{"PATCH clock", request{method: http.MethodPatch, path: "/_admin/clock", token: adminToken}, 405, "Request_BadRequest",
			"Specified HTTP method is not allowed for the request target."},
		{"an unknown filter", request{path: "/_admin/requests?user=x", token: adminToken}, 400, "BadRequest",
			"The query parameter 'user' is not supported by GET /_admin/requests."},
		{"a bad status filter", request{path: "/_admin/requests?status=4x", token: adminToken}, 400, "BadRequest",
			"The status filter '4x' is neither a status (404) nor a class of statuses (4xx)."},
		// A parameter given twice would be read as its first value alone:
		// status=404&status=200 listed the 404s, silently.
		{"a filter twice", request{path: "/_admin/requests?status=404&status=200", token: adminToken}, 400, "BadRequest",
			"The query parameter 'status' was specified more than once, but it must be specified at most once."},
		{"a path filter twice", request{path: "/_admin/requests?path=a&path=b", token: adminToken}, 400, "BadRequest",
			"The query parameter 'path' was specified more than once, but it must be specified at most once."},
		{"a tenant twice", request{path: "/_admin/users?tenantId=a&tenantId=b", token: adminToken}, 400, "BadRequest",
			"The query parameter 'tenantId' was specified more than once, but it must be specified at most once."},
		{"a user twice", request{path: "/_admin/fixtures?tenantId=a&userId=b&userId=c", token: adminToken}, 400, "BadRequest",
			"The query parameter 'userId' was specified more than once, but it must be specified at most once."},
		{"a query on reset", request{method: http.MethodPost, path: "/_admin/reset?tenantId=x", token: adminToken}, 400, "BadRequest",
			"The query parameter 'tenantId' is not supported by POST /_admin/reset."},
		{"reset, not JSON", request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: "tenantId=x", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupportedMediaType",
			"The content type 'application/x-www-form-urlencoded' is not supported; this request needs 'application/json'."},
		{"reset, an unknown property", request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: `{"tenant":"x"}`}, 400, "BadRequest",
			"The property 'tenant' does not exist on type 'graphprofile.adminReset'. Make sure to only use property names that are defined by the type or mark the type as open type."},
		{"reset, a number", request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: `{"tenantId":1}`}, 400, "BadRequest",
			"Invalid value for property 'tenantId' of type 'graphprofile.adminReset': expected a JSON string (Edm.String), found a number."},
		{"clock, neither", request{method: http.MethodPut, path: "/_admin/clock", token: adminToken, body: `{}`}, 400, "BadRequest",
			"The body must have either \"now\" (an RFC 3339 time, e.g. \"2030-01-01T00:00:00Z\") or \"advance\" (a duration, e.g. \"90s\")."},
		{"clock, no body", request{method: http.MethodPut, path: "/_admin/clock", token: adminToken}, 400, "BadRequest",
			"The body must have either \"now\" (an RFC 3339 time, e.g. \"2030-01-01T00:00:00Z\") or \"advance\" (a duration, e.g. \"90s\")."},
		{"clock, both", request{method: http.MethodPut, path: "/_admin/clock", token: adminToken, body: `{"now":"2030-01-01T00:00:00Z","advance":"1s"}`}, 400, "BadRequest",
			"The body must have either \"now\" (an RFC 3339 time, e.g. \"2030-01-01T00:00:00Z\") or \"advance\" (a duration, e.g. \"90s\")."},
		{"clock, not a time", request{method: http.MethodPut, path: "/_admin/clock", token: adminToken, body: `{"now":"2030-01-01"}`}, 400, "BadRequest",
			"\"now\" is not an RFC 3339 time such as \"2030-01-01T00:00:00Z\": '2030-01-01'."},
		{"clock, not a duration", request{method: http.MethodPost, path: "/_admin/clock", token: adminToken, body: `{"advance":"90"}`}, 400, "BadRequest",
			"\"advance\" is not a duration such as \"90s\", \"15m\" or \"-1h\": '90'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.do(tt.req)
			if msg := expectError(t, resp, tt.status, tt.code); msg != tt.message {
				t.Errorf("message %q, want %q", msg, tt.message)
			}
			if tt.status == http.StatusMethodNotAllowed && resp.header.Get("Allow") == "" {
				t.Error("a 405 without Allow")
			}
		})
	}
	// A refused call does nothing: no reset, whatever its body asked.
	if got := s.positionTitles(t, a1, "/me"); strings.Join(got, ",") != "Kept" {
		t.Errorf("positions after the refused calls: %v, want [Kept]", got)
	}
	if got := s.do(request{path: "/_admin/reset", token: adminToken}).header.Get("Allow"); got != "POST" {
		t.Errorf("Allow of /_admin/reset %q, want POST", got)
	}
	if got := s.do(request{method: http.MethodPatch, path: "/_admin/clock", token: adminToken}).header.Get("Allow"); got != "GET, PUT, POST, DELETE" {
		t.Errorf("Allow of /_admin/clock %q", got)
	}
}

// positionTitles lists the job titles of profile's positions.
func (s *testServer) positionTitles(t *testing.T, tok, profile string) []string {
	t.Helper()
	resp := s.do(request{path: "/beta" + profile + "/profile/positions", token: tok})
	if resp.status != http.StatusOK {
		t.Fatalf("list %s: %d %s", profile, resp.status, resp.body)
	}
	titles := []string{}
	for _, p := range resp.json(t)["value"].([]any) {
		titles = append(titles, get(p, "detail", "jobTitle").(string))
	}
	return titles
}

// TestAdminReset: one tenant's users and profiles go, the other's stay;
// then every tenant's; the server serves on as a new one.
func TestAdminReset(t *testing.T) {
	s, _ := newAdminServer(t)
	a1 := s.delegated(tenantA, userA1, "User.ReadWrite")
	b1 := s.delegated(tenantB, userB1, "User.ReadWrite")
	appA := s.application(tenantA, "User.ReadWrite.All")
	s.create(a1, "/me", `{"detail":{"jobTitle":"A1"}}`)
	s.create(b1, "/me", `{"detail":{"jobTitle":"B1"}}`)
	resp := s.do(request{method: http.MethodPost, path: "/v1.0/users", token: appA, body: `{"accountEnabled":true,"displayName":"New","mailNickname":"new","userPrincipalName":"new@contoso.test","passwordProfile":{"password":"x1!Aaaaaaaaa"}}`})
	if resp.status != http.StatusCreated {
		t.Fatalf("create a user: %d %s", resp.status, resp.body)
	}
	// Read before, so that what the store cached must go too.
	if got := s.positionTitles(t, a1, "/me"); strings.Join(got, ",") != "A1" {
		t.Fatalf("before reset: %v", got)
	}

	resp = s.do(request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: `{"tenantId":"` + tenantA + `"}`})
	if resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("reset of a tenant: %d %s", resp.status, resp.body)
	}
	users := s.do(request{path: "/v1.0/users", token: appA}).json(t)["value"].([]any)
	if len(users) != 0 {
		t.Errorf("the reset tenant's users: %v", users)
	}
	if msg := expectError(t, s.do(request{path: "/beta/users/" + userA1 + "/profile/positions", token: appA}), http.StatusNotFound, "Request_ResourceNotFound"); msg != "Resource '"+userA1+"' does not exist or one of its queried reference-property objects are not present." {
		t.Errorf("a reset tenant's user: message %q", msg)
	}
	// The user signs in again, to an empty profile.
	if got := s.positionTitles(t, a1, "/me"); len(got) != 0 {
		t.Errorf("after reset: %v", got)
	}
	if got := s.positionTitles(t, b1, "/me"); strings.Join(got, ",") != "B1" {
		t.Errorf("the other tenant after reset: %v", got)
	}

	// Every tenant: without a body, and with an empty object.
	for _, body := range []string{"", `{}`} {
		s.create(b1, "/me", `{"detail":{"jobTitle":"B2"}}`)
		resp = s.do(request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: body})
		if resp.status != http.StatusNoContent {
			t.Fatalf("reset of every tenant (body %q): %d %s", body, resp.status, resp.body)
		}
		if got := s.positionTitles(t, b1, "/me"); len(got) != 0 {
			t.Errorf("tenant B after a reset of every tenant (body %q): %v", body, got)
		}
	}
	s.create(a1, "/me", `{"detail":{"jobTitle":"again"}}`)
	if got := s.positionTitles(t, a1, "/me"); strings.Join(got, ",") != "again" {
		t.Errorf("a new position after reset: %v", got)
	}
}

// journalEntry is an entry of GET /_admin/requests as a client reads it.
type journalEntry struct {
	Seq        int     `json:"seq"`
	Time       string  `json:"time"`
	DurationMS float64 `json:"durationMs"`
	RequestID  string  `json:"requestId"`
	Route      string  `json:"route"`
	Caller     struct {
		TenantID string `json:"tenantId"`
		OID      string `json:"oid"`
		AppID    string `json:"appId"`
	} `json:"caller"`
	Request struct {
		Method        string              `json:"method"`
		URL           string              `json:"url"`
		Headers       map[string][]string `json:"headers"`
		Body          string              `json:"body"`
		BodyBase64    []byte              `json:"bodyBase64"`
		BodyTruncated bool                `json:"bodyTruncated"`
		BodyWithheld  string              `json:"bodyWithheld"`
	} `json:"request"`
	Response struct {
		Status        int                 `json:"status"`
		Headers       map[string][]string `json:"headers"`
		Body          string              `json:"body"`
		BodyTruncated bool                `json:"bodyTruncated"`
	} `json:"response"`
}

// journal reads GET /_admin/requests with query.
func (s *testServer) journal(t *testing.T, query string) []journalEntry {
	t.Helper()
	resp := s.do(request{path: "/_admin/requests" + query, token: adminToken})
	if resp.status != http.StatusOK {
		t.Fatalf("journal%s: %d %s", query, resp.status, resp.body)
	}
	var body struct {
		Requests []journalEntry `json:"requests"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		t.Fatal(err)
	}
	return body.Requests
}

// TestAdminJournal: the requests the application sent, newest first, with
// their headers (the token redacted), bodies (decompressed), answers and
// caller; filtered by path, method and status; cleared by DELETE; the
// admin API's own requests left out.
func TestAdminJournal(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	created := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, gzipped: true,
		body: `{"detail":{"jobTitle":"Engineer"}}`, header: map[string]string{"client-request-id": "client-1", "Accept-Encoding": "gzip"}})
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	notFound := s.do(request{path: "/beta/me/profile/positions/nope", token: tok})
	s.do(request{path: "/_admin/clock", token: adminToken}) // not journaled
	s.do(request{path: "/healthz"})                         // not journaled

	entries := s.journal(t, "")
	if len(entries) != 2 {
		t.Fatalf("%d entries, want 2: %+v", len(entries), entries)
	}
	// Newest first.
	nf, cr := entries[0], entries[1]
	if nf.Seq != cr.Seq+1 || nf.RequestID != notFound.header.Get("request-id") || nf.Response.Status != 404 ||
		nf.Request.Method != "GET" || nf.Request.URL != "/beta/me/profile/positions/nope" || nf.Route != "/beta/{owner}/profile/{facet}/{id}" {
		t.Errorf("the 404's entry: %+v", nf)
	}
	if !strings.Contains(nf.Response.Body, `"code":"itemNotFound"`) {
		t.Errorf("the 404's answer: %s", nf.Response.Body)
	}

	if cr.RequestID != created.header.Get("request-id") || cr.Request.Method != "POST" || cr.Request.URL != "/beta/me/profile/positions" ||
		cr.Response.Status != 201 || cr.Caller.TenantID != tenantA || cr.Caller.OID != userA1 || cr.Caller.AppID != "" {
		t.Errorf("the create's entry: %+v", cr)
	}
	if got := cr.Request.Headers["Authorization"]; len(got) != 1 || got[0] != "Bearer [redacted]" {
		t.Errorf("the create's Authorization in the journal: %v", got)
	}
	if got := cr.Request.Headers["Client-Request-Id"]; len(got) != 1 || got[0] != "client-1" {
		t.Errorf("the create's client-request-id: %v", got)
	}
	if cr.Request.Body != `{"detail":{"jobTitle":"Engineer"}}` {
		t.Errorf("the create's body, decompressed: %q", cr.Request.Body)
	}
	if got := cr.Response.Headers["Location"]; len(got) != 1 || !strings.Contains(got[0], "/profile/positions/") {
		t.Errorf("the create's answer's Location: %v", cr.Response.Headers)
	}
	var answer map[string]any
	if err := json.Unmarshal([]byte(cr.Response.Body), &answer); err != nil || get(answer, "detail", "jobTitle") != "Engineer" {
		t.Errorf("the create's answer: %v %s", err, cr.Response.Body)
	}
	when, err := time.Parse(time.RFC3339Nano, cr.Time)
	if err != nil || time.Since(when) > time.Minute || cr.DurationMS <= 0 {
		t.Errorf("the create's time %q and duration %v", cr.Time, cr.DurationMS)
	}
	raw := s.do(request{path: "/_admin/requests", token: adminToken}).body
	if strings.Contains(string(raw), tok) {
		t.Error("the journal holds the token")
	}

	// Filters.
	for _, tt := range []struct {
		query string
		want  []int // statuses
	}{
		{"?method=post", []int{201}},
		{"?method=GET", []int{404}},
		{"?status=404", []int{404}},
		{"?status=4xx", []int{404}},
		{"?status=2XX", []int{201}},
		{"?status=500", nil},
		{"?path=/NOPE", []int{404}},
		{"?path=profile/positions", []int{404, 201}},
		{"?path=positions&method=POST&status=201", []int{201}},
		{"?path=/v1.0", nil},
	} {
		var got []int
		for _, e := range s.journal(t, tt.query) {
			got = append(got, e.Response.Status)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("journal%s: statuses %v, want %v", tt.query, got, tt.want)
		}
	}

	// Cleared.
	resp := s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
	if resp.status != http.StatusNoContent {
		t.Fatalf("clearing the journal: %d %s", resp.status, resp.body)
	}
	if entries := s.journal(t, ""); len(entries) != 0 {
		t.Errorf("after DELETE: %+v", entries)
	}
	s.do(request{path: "/beta/me", token: tok})
	if entries := s.journal(t, ""); len(entries) != 1 || entries[0].Request.URL != "/beta/me" || entries[0].Seq != cr.Seq+2 {
		t.Errorf("after DELETE and a request: %+v", entries)
	}
}

// TestAdminJournalBounds: the journal keeps the last JournalSize
// requests, and a body's first 64 KiB, cut on a character, marked so; a
// body refused unread is there too.
func TestAdminJournalBounds(t *testing.T) {
	s, _ := newAdminServer(t, func(srv *graphapi.Server) { srv.JournalSize = 3 })
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for i := range 5 {
		s.do(request{path: fmt.Sprintf("/beta/me/profile/positions?$top=%d", i+1), token: tok})
	}
	entries := s.journal(t, "")
	var urls []string
	for _, e := range entries {
		urls = append(urls, e.Request.URL)
	}
	if want := "[/beta/me/profile/positions?$top=5 /beta/me/profile/positions?$top=4 /beta/me/profile/positions?$top=3]"; fmt.Sprint(urls) != want {
		t.Errorf("journal of 3 after 5 requests: %v, want %v", urls, want)
	}

	// 100 KB of "é" (two bytes each): refused by the schema's limits or
	// not, its first 64 KiB are kept.
	big := `{"detail":{"jobTitle":"` + strings.Repeat("é", 50000) + `"}}`
	s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: big})
	// Refused before its body is read: no token.
	s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", body: `{"detail":{}}`})
	entries = s.journal(t, "?method=POST")
	if len(entries) != 2 {
		t.Fatalf("%d POSTs in the journal", len(entries))
	}
	unread, cut := entries[0], entries[1]
	if unread.Response.Status != 401 || unread.Request.Body != `{"detail":{}}` {
		t.Errorf("a body refused unread: %d %q", unread.Response.Status, unread.Request.Body)
	}
	if !cut.Request.BodyTruncated || len(cut.Request.Body) > 64<<10 || len(cut.Request.Body) < 64<<10-4 || !strings.HasPrefix(big, cut.Request.Body) {
		t.Errorf("a 100 KB body in the journal: %d bytes, truncated %v", len(cut.Request.Body), cut.Request.BodyTruncated)
	}

	// The cut is at 64 KiB exactly: a body of 64 KiB is kept whole, one
	// byte more is cut to 64 KiB.
	for _, size := range []int{64 << 10, 64<<10 + 1} {
		body := `{"detail":{"jobTitle":"` + strings.Repeat("x", size-len(`{"detail":{"jobTitle":""}}`)) + `"}}`
		s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: body})
		e := s.journal(t, "?method=POST")[0]
		if want := body[:min(size, 64<<10)]; e.Request.Body != want || e.Request.BodyTruncated != (size > 64<<10) {
			t.Errorf("a body of %d bytes in the journal: %d bytes, truncated %v; want %d, %v", size, len(e.Request.Body), e.Request.BodyTruncated, len(want), size > 64<<10)
		}
	}
}

// TestAdminClock: the clock the server's timestamps, ETags and token
// checks read is set, advanced and returned to real time.
func TestAdminClock(t *testing.T) {
	s, _ := newAdminServer(t)
	clock := func(method, body string) map[string]any {
		t.Helper()
		resp := s.do(request{method: method, path: "/_admin/clock", token: adminToken, body: body})
		if resp.status != http.StatusOK {
			t.Fatalf("%s clock %s: %d %s", method, body, resp.status, resp.body)
		}
		return resp.json(t)
	}
	state := clock(http.MethodGet, "")
	now, err := time.Parse(time.RFC3339Nano, state["now"].(string))
	if err != nil || time.Since(now) > time.Minute || state["realTime"] != true || state["offset"] != "0s" {
		t.Errorf("the clock at first: %v", state)
	}

	state = clock(http.MethodPut, `{"now":"2030-01-01T00:00:00Z"}`)
	if !strings.HasPrefix(state["now"].(string), "2030-01-01T00:00:0") || state["realTime"] != false {
		t.Errorf("the clock set: %v", state)
	}
	// Tokens minted now are issued at the server's time.
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	p := s.create(tok, "/me", `{"detail":{"jobTitle":"Then"}}`)
	if created := p["createdDateTime"].(string); !strings.HasPrefix(created, "2030-01-01T00:00:0") || p["lastModifiedDateTime"] != created {
		t.Errorf("created at %v, modified %v: want the set clock's time", created, p["lastModifiedDateTime"])
	}

	state = clock(http.MethodPost, `{"advance":"90s"}`)
	if !strings.HasPrefix(state["now"].(string), "2030-01-01T00:01:3") {
		t.Errorf("the clock advanced by 90s: %v", state)
	}
	resp := s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + p["id"].(string), token: tok, body: `{"detail":{"jobTitle":"Later"}}`})
	if resp.status != http.StatusOK {
		t.Fatalf("update: %d %s", resp.status, resp.body)
	}
	updated := resp.json(t)
	if modified := updated["lastModifiedDateTime"].(string); !strings.HasPrefix(modified, "2030-01-01T00:01:3") || updated["createdDateTime"] != p["createdDateTime"] {
		t.Errorf("updated at %v (created %v): want 90 s later", modified, updated["createdDateTime"])
	}
	if resp.header.Get("ETag") == "" || resp.header.Get("ETag") == get(p, "@odata.etag") {
		t.Errorf("the ETag did not change: %q", resp.header.Get("ETag"))
	}

	// The token (an hour's, and five minutes' leeway) expires when the
	// clock passes it, and is valid again back at its time.
	clock(http.MethodPost, `{"advance":"2h"}`)
	if msg := expectError(t, s.do(request{path: "/beta/me", token: tok}), http.StatusUnauthorized, "InvalidAuthenticationToken"); msg != "Lifetime validation failed, the token is expired." {
		t.Errorf("a token past exp and the skew: message %q", msg)
	}
	clock(http.MethodPost, `{"advance":"-2h"}`)
	if resp := s.do(request{path: "/beta/me", token: tok}); resp.status != http.StatusOK {
		t.Errorf("the token back at its time: %d %s", resp.status, resp.body)
	} else if me := resp.json(t); me["id"] != userA1 || me["userPrincipalName"] != upnOf(userA1) {
		t.Errorf("the token back at its time answers %v, want user %s", me, userA1)
	}

	// Back to real time: the token of 2030 is not valid yet.
	state = clock(http.MethodDelete, "")
	now, _ = time.Parse(time.RFC3339Nano, state["now"].(string))
	if time.Since(now) > time.Minute || state["realTime"] != true {
		t.Errorf("the clock back to real time: %v", state)
	}
	if msg := expectError(t, s.do(request{path: "/beta/me", token: tok}), http.StatusUnauthorized, "InvalidAuthenticationToken"); msg != "Lifetime validation failed, the token is not yet valid." {
		t.Errorf("a token before nbf and the skew: message %q", msg)
	}
}

// TestAdminClockRange: a "now" or "advance" that would have the clock
// read an instant it cannot (the server keeps times as nanoseconds since
// 1970 in 64 bits, and the clock within 292 years of real time) is a 400
// naming the instant and the range, and the clock is left as it was: not
// clamped to the nearest instant, not wrapped around.
func TestAdminClockRange(t *testing.T) {
	s, _ := newAdminServer(t)
	setClock := func(body string) {
		t.Helper()
		if resp := s.do(request{method: http.MethodPut, path: "/_admin/clock", token: adminToken, body: body}); resp.status != http.StatusOK {
			t.Fatalf("PUT clock %s: %d %s", body, resp.status, resp.body)
		}
	}
	for _, tc := range []struct {
		name, start, method, body string
		want                      []string // in the message
	}{
		{"now in 9999", `{"now":"2030-01-01T00:00:00Z"}`, http.MethodPut, `{"now":"9999-12-31T23:59:59Z"}`,
			[]string{`"now"`, "9999-12-31T23:59:59Z", "2262-04-11T23:47:16Z", "not changed"}},
		{"now in year 1", `{"now":"2030-01-01T00:00:00Z"}`, http.MethodPut, `{"now":"0001-01-01T00:00:00Z"}`,
			[]string{`"now"`, "0001-01-01T00:00:00Z", "2262-04-11T23:47:16Z", "not changed"}},
		{"now a nanosecond past 2262", `{"now":"2030-01-01T00:00:00Z"}`, http.MethodPost, `{"now":"2262-04-11T23:47:16.854775808Z"}`,
			[]string{`"now"`, "2262-04-11T23:47:16.854775808Z"}},
		// From 1900 the offset, -127 years less 292, would wrap around.
		{"back 2562047h from 1900", `{"now":"1900-01-01T00:00:00Z"}`, http.MethodPost, `{"advance":"-2562047h"}`,
			[]string{`"advance"`, "-2562047h", "not changed"}},
		{"forward 2562047h from 2030", `{"now":"2030-01-01T00:00:00Z"}`, http.MethodPost, `{"advance":"2562047h"}`,
			[]string{`"advance" 2562047h would take it to 2322-`, "2262-04-11T23:47:16Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setClock(tc.start)
			before := s.do(request{path: "/_admin/clock", token: adminToken}).json(t)
			resp := s.do(request{method: tc.method, path: "/_admin/clock", token: adminToken, body: tc.body})
			msg := expectError(t, resp, http.StatusBadRequest, "BadRequest")
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q, want %q in it", msg, want)
				}
			}
			checkNoGoInternals(t, msg)
			after := s.do(request{path: "/_admin/clock", token: adminToken}).json(t)
			// The same offset from real time, so the same reading but
			// for the moment that passed.
			if after["offset"] != before["offset"] || after["now"].(string)[:18] != before["now"].(string)[:18] {
				t.Errorf("the clock after a refused change: %v, was %v", after, before)
			}
		})
	}

	// Within the range, far from now: accepted as asked.
	setClock(`{"now":"2262-04-11T23:00:00Z"}`)
	if now := s.do(request{path: "/_admin/clock", token: adminToken}).json(t)["now"].(string); !strings.HasPrefix(now, "2262-04-11T23:00:0") {
		t.Errorf("set to 2262-04-11T23:00:00Z, the clock reads %s", now)
	}
	setClock(`{"now":"1800-01-01T00:00:00Z"}`)
	if now := s.do(request{path: "/_admin/clock", token: adminToken}).json(t)["now"].(string); !strings.HasPrefix(now, "1800-01-01T00:00:0") {
		t.Errorf("set to 1800-01-01T00:00:00Z, the clock reads %s", now)
	}
}

// TestAdminClockNowForms: "now" is read as a body's times are
// (graphprofile.ParseDateTimeOffset): an offset is the instant it names,
// the seconds may be left out, and what is no such time (a one-digit hour,
// a comma before the fraction, which Go's parser alone takes) is a 400
// that leaves the clock as it was.
func TestAdminClockNowForms(t *testing.T) {
	s, _ := newAdminServer(t)
	for _, tc := range []struct {
		now  string
		want string // the clock's reading's prefix; empty: refused
	}{
		{"2030-01-01T10:00:00Z", "2030-01-01T10:00:0"},
		{"2030-01-01T10:00:00.5+05:30", "2030-01-01T04:30:0"},
		{"2030-01-01T10:00Z", "2030-01-01T10:00:0"},
		{"2030-01-01T1:00:00Z", ""},
		{"2030-01-01T10:00:00,5Z", ""},
		{"2030-01-01t10:00:00Z", ""},
		{"2030-01-01T10:00:00", ""},
		{"2030-01-01", ""},
	} {
		t.Run(tc.now, func(t *testing.T) {
			reset := s.do(request{method: http.MethodPut, path: "/_admin/clock", token: adminToken, body: `{"now":"2040-06-01T00:00:00Z"}`})
			if reset.status != http.StatusOK {
				t.Fatalf("PUT clock: %d %s", reset.status, reset.body)
			}
			resp := s.do(request{method: http.MethodPut, path: "/_admin/clock", token: adminToken, body: `{"now":"` + tc.now + `"}`})
			if tc.want == "" {
				msg := expectError(t, resp, http.StatusBadRequest, "BadRequest")
				if !strings.Contains(msg, tc.now) {
					t.Errorf("message %q, want the value in it", msg)
				}
				if now := s.do(request{path: "/_admin/clock", token: adminToken}).json(t)["now"].(string); !strings.HasPrefix(now, "2040-06-01T00:00:0") {
					t.Errorf("after a refused %q the clock reads %s", tc.now, now)
				}
				return
			}
			if resp.status != http.StatusOK {
				t.Fatalf("PUT clock %q: %d %s", tc.now, resp.status, resp.body)
			}
			if now := resp.json(t)["now"].(string); !strings.HasPrefix(now, tc.want) {
				t.Errorf("set to %q, the clock reads %s; want %s…", tc.now, now, tc.want)
			}
		})
	}
}

// TestAdminClockUnset: a server without a Clock shows real time and
// refuses to set it.
func TestAdminClockUnset(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) { srv.AdminToken = adminToken })
	resp := s.do(request{path: "/_admin/clock", token: adminToken})
	if resp.status != http.StatusOK || resp.json(t)["realTime"] != true {
		t.Errorf("GET clock without a Clock: %d %s", resp.status, resp.body)
	}
	if msg := expectError(t, s.do(request{method: http.MethodPut, path: "/_admin/clock", token: adminToken, body: `{"advance":"1s"}`}), http.StatusNotImplemented, "notImplemented"); msg != "This server's clock cannot be set: it was started without one (graphapi.Server.Clock)." {
		t.Errorf("setting a server's clock it has not: message %q", msg)
	}
}

// TestAdminJournalBatchCredentials: a $batch is one entry of the journal
// (its items are not entries of their own), and the credentials in its
// items' headers keep only their scheme there, as the batch's own
// Authorization does: whatever the header's case or escaping, whether the
// batch ran, was refused, was refused unread, was gzipped or was cut at 64
// KiB, and wherever the body was sent. Nothing else of the body changes.
func TestAdminJournalBatchCredentials(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	// Each secret is replaced by what the journal shows of it.
	shown := strings.NewReplacer(
		"SECRET-LOWER", "[redacted]", "SECRET-ESCAPED", "[redacted]", "SECRET-PROXY", "[redacted]",
		"SECRET-REFUSED", "[redacted]", "SECRET-UNREAD", "[redacted]", "SECRET-GZIP", "[redacted]",
		"SECRET-ARRAY", "[redacted]", "SECRET-ELSEWHERE", "[redacted]", "SECRET", "[redacted]")
	item := func(id, headers string) string {
		return `{"id":"` + id + `","method":"GET","url":"/me","headers":{` + headers + `}}`
	}
	ran := `{"requests":[` + strings.Join([]string{
		item("1", `"Authorization":"Bearer SECRET","client-request-id":"kept"`),
		item("2", `"authorization": "Bearer SECRET-LOWER"`),
		item("3", `"\u0041UTHORIZATION":"Bearer SECRET-ESCAPED"`),
		item("4", `"Proxy-Authorization":"Basic SECRET-PROXY"`),
	}, ",") + `]}`
	refused := `{"requests":[{"id":"1","method":"GET","headers":{"Authorization":"Bearer SECRET-REFUSED"}}]}`
	unread := `{"requests":[` + item("1", `"Authorization":"Bearer SECRET-UNREAD"`) + `]}`
	zipped := `{"requests":[` + item("1", `"Authorization":"Bearer SECRET-GZIP"`) + `]}`
	array := `{"requests":[` + item("1", `"Authorization":["Bearer SECRET-ARRAY"]`) + `]}`
	elsewhere := `{"requests":[` + item("1", `"Authorization":"Bearer SECRET-ELSEWHERE"`) + `]}`
	// The secret straddles the 64 KiB the journal keeps of a body.
	before := `{"requests":[{"id":"1","method":"GET","url":"/me?pad=`
	after := `"},` + `{"id":"2","method":"GET","url":"/me","headers":{"Authorization":"Bearer `
	cut := before + strings.Repeat("x", 64<<10-10-len(before)-len(after)) + after + "SECRET-CUT-0123456789-0123456789" + `"}}]}`

	for _, tc := range []struct {
		name, path, body string
		status           int
		token            string
		gzipped          bool
	}{
		{"run", "/beta/$batch", ran, http.StatusOK, tok, false},
		{"refused", "/beta/$batch", refused, http.StatusBadRequest, tok, false},
		{"refused unread", "/beta/$batch", unread, http.StatusUnauthorized, "", false},
		{"gzipped", "/beta/$batch", zipped, http.StatusOK, tok, true},
		{"an array", "/beta/$batch", array, http.StatusBadRequest, tok, false},
		{"another path", "/beta/me/$batch", elsewhere, http.StatusBadRequest, tok, false},
		{"cut", "/beta/$batch", cut, http.StatusOK, tok, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp := s.do(request{method: http.MethodPost, path: tc.path, token: tc.token, body: tc.body, gzipped: tc.gzipped}); resp.status != tc.status {
				t.Fatalf("%d, want %d: %s", resp.status, tc.status, resp.body)
			}
			entries := s.journal(t, "")
			if len(entries) != 1 || entries[0].Request.URL != tc.path {
				t.Fatalf("the journal after one batch: %+v", entries)
			}
			got := entries[0].Request
			want := shown.Replace(tc.body)
			if tc.name == "cut" {
				want = before + strings.Repeat("x", 64<<10-10-len(before)-len(after)) + after + "[redacted]"
			}
			if got.Body != want || got.BodyTruncated != (tc.name == "cut") {
				t.Errorf("the batch's body in the journal (truncated %v):\n%s\nwant\n%s", got.BodyTruncated, tail(got.Body), tail(want))
			}
			raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body)
			if at := strings.Index(raw, "SECRET"); at >= 0 {
				t.Errorf("the journal holds a secret: …%s…", raw[max(at-100, 0):min(at+100, len(raw))])
			}
			s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
		})
	}
}

// TestAdminJournalWithholdsBodiesItCannotRead: a body the journal cannot
// decompress (an encoding other than one layer of gzip, or not what its
// Content-Encoding says) cannot be redacted either: it is withheld, with
// the reason, where it was kept as sent (bodyBase64), a $batch item's
// token readable by decompressing it.
func TestAdminJournalWithholdsBodiesItCannotRead(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	batch := []byte(`{"requests":[{"id":"1","method":"GET","url":"/me","headers":{"Authorization":"Bearer SECRET"}}]}`)
	var zlibbed, gzipped, twice bytes.Buffer
	zw := zlib.NewWriter(&zlibbed)
	_, _ = zw.Write(batch)
	_ = zw.Close()
	gz := gzip.NewWriter(&gzipped)
	_, _ = gz.Write(batch)
	_ = gz.Close()
	gz = gzip.NewWriter(&twice)
	_, _ = gz.Write(gzipped.Bytes())
	_ = gz.Close()
	for _, tc := range []struct{ name, encoding, body string }{
		{"deflate", "deflate", zlibbed.String()},
		{"gzip twice", "gzip, gzip", twice.String()},
		{"gzip in gzip under one name", "gzip", twice.String()},
		{"zlib called gzip", "gzip", zlibbed.String()},
		{"brotli", "br", zlibbed.String()},
		// A gzip header, and then no deflate stream: nothing to show.
		{"a gzip header alone", "gzip", gzipped.String()[:10] + "not deflate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
			s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: tc.body,
				header: map[string]string{"Content-Encoding": tc.encoding}})
			entries := s.journal(t, "")
			if len(entries) != 1 {
				t.Fatalf("the journal after one batch: %+v", entries)
			}
			got := entries[0].Request
			if got.Body != "" || len(got.BodyBase64) != 0 || !strings.Contains(got.BodyWithheld, "Content-Encoding") {
				t.Errorf("a body sent with Content-Encoding %q it cannot read: body %q, bodyBase64 %d bytes, bodyWithheld %q; want it withheld, saying why",
					tc.encoding, got.Body, len(got.BodyBase64), got.BodyWithheld)
			}
		})
	}
}

// TestAdminJournalShowsBodiesItCanRead: a body sent as identity, or as
// gzip under either of its names, is shown as text, redacted; decompressed,
// it is cut at 64 KiB like any other, however small it came.
func TestAdminJournalShowsBodiesItCanRead(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	batch := `{"requests":[{"id":"1","method":"GET","url":"/me","headers":{"Authorization":"Bearer SECRET"}}]}`
	shown := strings.Replace(batch, "Bearer SECRET", "Bearer [redacted]", 1)
	var gzipped bytes.Buffer
	gz := gzip.NewWriter(&gzipped)
	_, _ = gz.Write([]byte(batch))
	_ = gz.Close()
	for _, tc := range []struct{ encoding, body string }{
		{"identity", batch},
		{"gzip", gzipped.String()},
		{"x-gzip", gzipped.String()},
	} {
		s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
		s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: tc.body,
			header: map[string]string{"Content-Encoding": tc.encoding}})
		entries := s.journal(t, "")
		if len(entries) != 1 {
			t.Fatalf("the journal after one batch: %+v", entries)
		}
		if got := entries[0].Request; got.Body != shown || got.BodyWithheld != "" || got.BodyTruncated {
			t.Errorf("a body sent with Content-Encoding %s: body %q, withheld %q, truncated %v; want %s", tc.encoding, got.Body, got.BodyWithheld, got.BodyTruncated, shown)
		}
	}

	big := `{"detail":{"jobTitle":"` + strings.Repeat("x", 100<<10) + `"}}`
	s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: big, gzipped: true})
	if got := s.journal(t, "?method=POST")[0].Request; got.Body != big[:64<<10] || !got.BodyTruncated {
		t.Errorf("100 KB gzipped to a few: %d bytes shown, truncated %v; want its first 64 KiB, truncated", len(got.Body), got.BodyTruncated)
	}
}

// TestAdminJournalRedactsQueryCredentials: the journal shows a request's
// URL as the access log does, a credential in its query as [redacted].
func TestAdminJournalRedactsQueryCredentials(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.Read")
	s.do(request{path: "/beta/me?$select=id&Access_Token=SECRET-1&code=SECRET-2", token: tok})
	entries := s.journal(t, "")
	if len(entries) != 1 {
		t.Fatalf("%d entries, want 1", len(entries))
	}
	if got, want := entries[0].Request.URL, "/beta/me?$select=id&Access_Token=[redacted]&code=[redacted]"; got != want {
		t.Errorf("the URL in the journal: %s, want %s", got, want)
	}
	// A $batch's items carry their URLs in its body.
	body := `{"requests":[{"id":"1","method":"GET","url":"/me?access_token=SECRET-3&$select=id"},` +
		`{"id":"2","method":"GET","url":"/me?password=SECRET-4"}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: body}); resp.status != http.StatusOK {
		t.Fatalf("batch: %d %s", resp.status, resp.body)
	}
	entries = s.journal(t, "")
	want := `{"requests":[{"id":"1","method":"GET","url":"/me?access_token=[redacted]&$select=id"},` +
		`{"id":"2","method":"GET","url":"/me?password=[redacted]"}]}`
	if len(entries) != 2 || entries[0].Request.Body != want {
		t.Errorf("the batch's body in the journal: %+v, want %s", entries[0].Request, want)
	}
	if raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body); strings.Contains(raw, "SECRET") {
		t.Errorf("the journal holds a secret: %s", raw)
	}
}

// TestAdminJournalRedactsNextLinkCredentials: a list's @odata.nextLink
// repeats the request's query, so an answer's body in the journal shows a
// credential-like parameter as [redacted] too, as the request's URL does:
// a list's, and a $batch item's inside the batch's answer.
func TestAdminJournalRedactsNextLinkCredentials(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for range 2 {
		if resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{"detail":{"jobTitle":"x"}}`}); resp.status != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.status, resp.body)
		}
	}
	s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
	resp := s.do(request{path: "/beta/me/profile/positions?access_token=SECRET-1&$top=1", token: tok})
	if resp.status != http.StatusOK || !strings.Contains(string(resp.body), "nextLink") {
		t.Fatalf("list: %d %s", resp.status, resp.body)
	}
	resp = s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok,
		body: `{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions?$top=1&token=SECRET-2"}]}`})
	if resp.status != http.StatusOK || !strings.Contains(string(resp.body), "nextLink") {
		t.Fatalf("batch: %d %s", resp.status, resp.body)
	}
	entries := s.journal(t, "")
	if len(entries) != 2 {
		t.Fatalf("%d entries, want 2", len(entries))
	}
	for _, e := range entries {
		if !strings.Contains(e.Response.Body, "=[redacted]") {
			t.Errorf("the answer of %s in the journal: %s, want its nextLink's credential [redacted]", e.Request.URL, e.Response.Body)
		}
	}
	if raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body); strings.Contains(raw, "SECRET") {
		at := strings.Index(raw, "SECRET")
		t.Errorf("the journal holds a secret: …%s…", raw[max(at-150, 0):min(at+50, len(raw))])
	}
}

// TestAdminJournalRedactsNamesAsPHPReadsThem: a credential's name with a
// leading space, or a space or a dot for its '_' (" code", "access.token",
// "client secret"), is that credential to PHP, which drops a name's leading
// spaces and reads both as '_': its value is [redacted] in the journal as
// the plain name's is. It was shown.
func TestAdminJournalRedactsNamesAsPHPReadsThem(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
	tests := []struct{ path, want string }{
		{"/beta/me?%20code=SECRET-1&$select=id", "/beta/me?%20code=[redacted]&$select=id"},
		{"/beta/me?access.token=SECRET-2", "/beta/me?access.token=[redacted]"},
		{"/beta/me?client+secret=SECRET-3&id%2Etoken=SECRET-4", "/beta/me?client+secret=[redacted]&id%2Etoken=[redacted]"},
	}
	for _, tt := range tests {
		if resp := s.do(request{path: tt.path, token: tok}); resp.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", tt.path, resp.status, resp.body)
		}
	}
	entries := s.journal(t, "")
	if len(entries) != len(tests) {
		t.Fatalf("%d entries, want %d", len(entries), len(tests))
	}
	for i, tt := range tests {
		if got := entries[len(tests)-1-i].Request.URL; got != tt.want { // newest first
			t.Errorf("the journal shows GET %s as %s, want %s", tt.path, got, tt.want)
		}
	}
}

// tail is the end of a long text, for a failure's message.
func tail(s string) string {
	if len(s) > 400 {
		return "…" + s[len(s)-400:]
	}
	return s
}

// TestAdminJournalRedactsWholeValues: a cookie has no scheme, so nothing
// of it shows; a credential without a scheme shows nothing either, even
// when a space follows it. In the headers and in a $batch's body alike.
func TestAdminJournalRedactsWholeValues(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, tc := range []struct{ header, value, shown string }{
		{"Cookie", "session=SECRET-1; theme=dark", "[redacted]"},
		{"Proxy-Authorization", "SECRET-2.SECRET-2 trailing", "[redacted]"},
		{"Proxy-Authorization", "Basic SECRET-3", "Basic [redacted]"},
		// A scheme may hold hyphens; an empty one is no scheme.
		{"Proxy-Authorization", "X-Api-Key SECRET-4", "X-Api-Key [redacted]"},
		{"Proxy-Authorization", " SECRET-5", "[redacted]"},
	} {
		t.Run(tc.header+" "+tc.value, func(t *testing.T) {
			s.do(request{path: "/beta/me", token: tok, header: map[string]string{tc.header: tc.value}})
			s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok,
				body: `{"requests":[{"id":"1","method":"GET","url":"/me","headers":{"` + tc.header + `":"` + tc.value + `"}}]}`})
			entries := s.journal(t, "")
			if len(entries) != 2 {
				t.Fatalf("%d entries, want 2", len(entries))
			}
			if got := entries[1].Request.Headers[tc.header]; len(got) != 1 || got[0] != tc.shown {
				t.Errorf("the header in the journal: %q, want %q", got, tc.shown)
			}
			if want := `"` + tc.header + `":"` + tc.shown + `"`; !strings.Contains(entries[0].Request.Body, want) {
				t.Errorf("the batch's body in the journal: %s, want it to hold %s", entries[0].Request.Body, want)
			}
			if raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body); strings.Contains(raw, "SECRET") {
				t.Errorf("the journal holds a secret")
			}
			s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
		})
	}
}

// TestAdminJournalRedactsPasswords: a user's passwordProfile is accepted
// and never stored, logged or returned, so its password does not reach the
// journal either: a member named password (any case, escaped or not) shows
// [redacted] whole, in a request's body and in a $batch item's, the rest of
// the body as sent.
func TestAdminJournalRedactsPasswords(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite.All")
	create := `{"displayName":"Dan","userPrincipalName":"dan@contoso.com",` +
		`"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"SECRET-1 with spaces"}}`
	if resp := s.do(request{method: http.MethodPost, path: "/beta/users", token: tok, body: create}); resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	patch := `{"passwordProfile":{"PassWord":"Bearer SECRET-2"}}`
	if resp := s.do(request{method: http.MethodPatch, path: "/beta/users/dan@contoso.com", token: tok, body: patch}); resp.status != http.StatusNoContent {
		t.Fatalf("update: %d %s", resp.status, resp.body)
	}
	batch := `{"requests":[{"id":"1","method":"PATCH","url":"/users/dan@contoso.com",` +
		`"headers":{"Content-Type":"application/json"},"body":{"passwordProfile":{"p\u0061ssword":"SECRET-3"}}}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: batch}); resp.status != http.StatusOK {
		t.Fatalf("batch: %d %s", resp.status, resp.body)
	}
	entries := s.journal(t, "")
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3", len(entries))
	}
	for i, want := range []string{
		`{"requests":[{"id":"1","method":"PATCH","url":"/users/dan@contoso.com",` +
			`"headers":{"Content-Type":"application/json"},"body":{"passwordProfile":{"p\u0061ssword":"[redacted]"}}}]}`,
		`{"passwordProfile":{"PassWord":"[redacted]"}}`,
		`{"displayName":"Dan","userPrincipalName":"dan@contoso.com",` +
			`"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"[redacted]"}}`,
	} {
		if got := entries[i].Request.Body; got != want {
			t.Errorf("entry %d's body in the journal:\n%s\nwant\n%s", i, got, want)
		}
	}
	if raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body); strings.Contains(raw, "SECRET") {
		t.Errorf("the journal holds a password: %s", raw)
	}
}

// TestAdminJournalRedactsPasswordProfileOfAnotherType: a passwordProfile
// sent as a string (or an array of strings), the password itself where an
// object belongs, is refused (400), and the journal shows its value
// [redacted] as it shows a password: it showed it as sent, though a
// passwordProfile is never logged.
func TestAdminJournalRedactsPasswordProfileOfAnotherType(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite.All")
	for _, tc := range []struct{ body, found string }{
		{`{"displayName":"Eve","userPrincipalName":"eve@contoso.com","passwordProfile":"SECRET-1"}`, "a string"},
		{`{"displayName":"Eve","userPrincipalName":"eve@contoso.com","PasswordProfile":["SECRET-2"]}`, "an array"},
	} {
		msg := expectError(t, s.do(request{method: http.MethodPost, path: "/beta/users", token: tok, body: tc.body}), http.StatusBadRequest, "BadRequest")
		if want := "Invalid value for property 'passwordProfile' of type 'microsoft.graph.user': expected a JSON object (microsoft.graph.passwordProfile), found " + tc.found + "."; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	}
	entries := s.journal(t, "")
	if len(entries) != 2 {
		t.Fatalf("%d entries, want 2", len(entries))
	}
	for i, want := range []string{
		`{"displayName":"Eve","userPrincipalName":"eve@contoso.com","PasswordProfile":["[redacted]"]}`,
		`{"displayName":"Eve","userPrincipalName":"eve@contoso.com","passwordProfile":"[redacted]"}`,
	} {
		if got := entries[i].Request.Body; got != want {
			t.Errorf("entry %d's body in the journal:\n%s\nwant\n%s", i, got, want)
		}
	}
	if raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body); strings.Contains(raw, "SECRET") {
		t.Errorf("the journal holds a password: %s", raw)
	}
}

// TestAdminJournalRedactsPasswordsOfAnyKind: a password that is no JSON
// string (a number, true, a bare word in a body that is not JSON, an
// array), a passwordProfile that is a number, and a $batch item's body
// sent as a string (JSON in it, or base64 for another Content-Type) are
// refused, and the journal shows none of the passwords: it showed every
// one of them as sent.
func TestAdminJournalRedactsPasswordsOfAnyKind(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite.All")
	b64 := base64.StdEncoding.EncodeToString([]byte(`{"passwordProfile":{"password":"B64-SECRET"}}`))
	for _, tc := range []struct{ path, body, want string }{
		{"/beta/users", `{"passwordProfile":{"password":90817263}}`, `{"passwordProfile":{"password":"[redacted]"}}`},
		{"/beta/users", `{"passwordProfile":55443322,"displayName":"x"}`, `{"passwordProfile":"[redacted]","displayName":"x"}`},
		{"/beta/users", `{"passwordProfile":{"password":true}}`, `{"passwordProfile":{"password":"[redacted]"}}`},
		{"/beta/users", `{"passwordProfile":{"password":Pw-SECRET-123}}`, `{"passwordProfile":{"password":"[redacted]"}}`},
		{"/beta/users", `{"passwordProfile":{"password": [98765, "SECRET-4"] , "x":1}}`, `{"passwordProfile":{"password": ["[redacted]", "[redacted]"] , "x":1}}`},
		{"/beta/$batch", `{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":"{\"passwordProfile\":{\"password\":\"STR-SECRET\"}}"}]}`,
			`{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":"{\"passwordProfile\":{\"password\":\"[redacted]\"}}"}]}`},
		{"/beta/$batch", `{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"text/plain"},"body":"` + b64 + `"}]}`,
			`{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"text/plain"},"body":"` + base64.StdEncoding.EncodeToString([]byte(`{"passwordProfile":{"password":"[redacted]"}}`)) + `"}]}`},
		// A form, in the string or in base64, as a request's form body is.
		{"/beta/$batch", `{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":"password=FORM-SECRET-4&x=1"}]}`,
			`{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":"password=[redacted]&x=1"}]}`},
		{"/beta/$batch", `{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"application/x-www-form-urlencoded"},"body":"` + base64.StdEncoding.EncodeToString([]byte(`access_token=FORM-SECRET-5&password=FORM-SECRET-6`)) + `"}]}`,
			`{"requests":[{"id":"1","method":"POST","url":"/users","headers":{"Content-Type":"application/x-www-form-urlencoded"},"body":"` + base64.StdEncoding.EncodeToString([]byte(`access_token=[redacted]&password=[redacted]`)) + `"}]}`},
		// null holds no secret: shown as sent.
		{"/beta/users", `{"passwordProfile":null,"password":null}`, `{"passwordProfile":null,"password":null}`},
	} {
		s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
		s.do(request{method: http.MethodPost, path: tc.path, token: tok, body: tc.body})
		entries := s.journal(t, "")
		if len(entries) != 1 {
			t.Fatalf("%d entries, want 1", len(entries))
		}
		if got := entries[0].Request.Body; got != tc.want {
			t.Errorf("%s in the journal:\n%s\nwant\n%s", tc.body, got, tc.want)
		}
		raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body)
		for _, secret := range []string{"SECRET", "90817263", "55443322", "98765", b64} {
			if strings.Contains(raw, secret) {
				t.Errorf("the journal of %s holds %s", tc.body, secret)
			}
		}
	}
}

// TestAdminJournalRedactsFormCredentials: a client may send its bearer
// token in a form-encoded body (RFC 6750, section 2.2: access_token=…), as
// it may in the query; the server refuses such a body (415), and the
// journal shows its credential-like parameters as [redacted], as it shows
// a URL's query.
func TestAdminJournalRedactsFormCredentials(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	// A space may come before the parameters (RFC 9110's OWS).
	for _, contentType := range []string{"application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=utf-8", "application/x-www-form-urlencoded ; charset=utf-8"} {
		t.Run(contentType, func(t *testing.T) {
			s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
			resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok,
				body: "access_token=SECRET-1&jobTitle=x&Password=SECRET-2&client_secret=SECRET-3", header: map[string]string{"Content-Type": contentType}})
			if resp.status != http.StatusUnsupportedMediaType {
				t.Fatalf("a form: %d %s", resp.status, resp.body)
			}
			entries := s.journal(t, "")
			if len(entries) != 1 {
				t.Fatalf("%d entries, want 1", len(entries))
			}
			if got, want := entries[0].Request.Body, "access_token=[redacted]&jobTitle=x&Password=[redacted]&client_secret=[redacted]"; got != want {
				t.Errorf("the form's body in the journal: %s, want %s", got, want)
			}
			if raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body); strings.Contains(raw, "SECRET") {
				t.Errorf("the journal holds a secret")
			}
		})
	}
}

// TestAdminJournalPathFilterDecoded: an SDK sends a user principal name in
// a path percent-encoded (Kiota's URI templates write @ as %40); the
// journal's path filter finds the request by the name as written, as an
// armed fault's path does, and by the path as sent too.
func TestAdminJournalPathFilterDecoded(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.Read")
	upn := upnOf(userA1)
	escaped := strings.Replace(upn, "@", "%40", 1)
	if resp := s.do(request{path: "/beta/users/" + escaped + "/profile/positions", token: tok}); resp.status != http.StatusOK {
		t.Fatalf("list: %d %s", resp.status, resp.body)
	}
	for _, filter := range []string{upn, strings.ToUpper(upn), escaped, "/beta/users/"} {
		entries := s.journal(t, "?path="+url.QueryEscape(filter))
		if len(entries) != 1 || entries[0].Request.URL != "/beta/users/"+escaped+"/profile/positions" {
			t.Errorf("path=%s: %+v, want the request to /beta/users/%s/profile/positions", filter, entries, escaped)
		}
	}
	if entries := s.journal(t, "?path=nobody"); len(entries) != 0 {
		t.Errorf("path=nobody: %+v", entries)
	}
}

// realmAuthenticator authenticates "ext:"-prefixed tokens as an external
// issuer's (Realm set, as token.Validator sets it for an --issuer) and the
// others as the development issuer's.
type realmAuthenticator struct {
	graphprofile.Authenticator
	realm string
}

func (a realmAuthenticator) Authenticate(ctx context.Context, tok string) (graphprofile.Principal, error) {
	rest, external := strings.CutPrefix(tok, "ext:")
	p, err := a.Authenticator.Authenticate(ctx, rest)
	if err == nil && external {
		p.Realm = a.realm
	}
	return p, err
}

// TestAdminJournalNamesTheCallersTenant: with an --issuer beside the
// development issuer, one tid names two tenants; the journal's caller
// names the tenant as the rest of the admin API does (GET /_admin/tenants'
// tenantId, what reset takes), so a test that resets the tenant its
// requests were made in resets that one, not the other issuer's.
func TestAdminJournalNamesTheCallersTenant(t *testing.T) {
	const realm = "https://issuer.example.test/{tenantid}/v2.0"
	s, _ := newAdminServer(t, func(srv *graphapi.Server) {
		srv.Authenticator = realmAuthenticator{Authenticator: srv.Authenticator, realm: realm}
	})
	dev := s.delegated(tenantA, userA1, "User.ReadWrite")
	external := "ext:" + dev
	s.create(dev, "/me", `{"detail":{"jobTitle":"development"}}`)
	s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken})
	s.create(external, "/me", `{"detail":{"jobTitle":"external"}}`)

	entries := s.journal(t, "")
	if len(entries) != 1 {
		t.Fatalf("%d entries, want 1: %+v", len(entries), entries)
	}
	want := tenantA + "|" + realm
	if got := entries[0].Caller.TenantID; got != want {
		t.Errorf("the external caller's tenantId in the journal: %q, want %q (the tenant as GET /_admin/tenants and reset name it)", got, want)
	}
	resp := s.do(request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: `{"tenantId":"` + entries[0].Caller.TenantID + `"}`})
	if resp.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", resp.status, resp.body)
	}
	if got := s.positionTitles(t, dev, "/me"); strings.Join(got, ",") != "development" {
		t.Errorf("the development tenant after a reset of the journal's tenant: %v", got)
	}
	if got := s.positionTitles(t, external, "/me"); len(got) != 0 {
		t.Errorf("the external issuer's tenant after a reset of the journal's tenant: %v", got)
	}
}

// TestAdminJournalHeadersMemory: the journal's 32 MiB bound holds of
// what its entries take in memory, headers included. It counted a
// header value by its length alone, so a head of 24,000 empty values
// (120 KB on the wire, no token needed) counted 24 KB and held 384 KB
// (a string header each): 300 such requests held 115 MB, 1,000 of them
// (serve's journal size) over 500 MB of RSS.
func TestAdminJournalHeadersMemory(t *testing.T) {
	s, _ := newAdminServer(t)
	const requests, values = 300, 24000
	before := memtest.HeapInUse()
	for range requests {
		req, err := http.NewRequest(http.MethodGet, s.url+"/beta/me/profile", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header["A"] = make([]string, values)
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a request of %d header values: %d, want 401", values, resp.StatusCode)
		}
	}
	grown := int64(memtest.HeapInUse()) - int64(before)
	if limit := int64(48 << 20); grown > limit {
		t.Errorf("the heap grew %d MB with the journal of %d requests of %d header values; want at most %d MB (the journal's 32 MiB and some)", grown>>20, requests, values, limit>>20)
	}
	if entries := s.journal(t, "?method=GET"); len(entries) == 0 || len(entries) >= requests {
		t.Errorf("%d of the %d requests in the journal, want some but not all", len(entries), requests)
	}
}

// TestAdminJournalAnswerBounded: the journal's answer (GET
// /_admin/requests) stays within the 32 MiB its entries are bounded by,
// whatever their bodies hold. Bodies were counted by their bytes, and
// encoding/json writes a '<' (or '>', '&', a control character) as six
// (\u003c): 600 unauthenticated POSTs of 64 KiB of '<' made an answer of
// 195 MB and took the server's RSS to 450 MB to write it.
func TestAdminJournalAnswerBounded(t *testing.T) {
	s, _ := newAdminServer(t)
	body := strings.Repeat("<", 64<<10)
	for range 150 {
		if resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", body: body}); resp.status != http.StatusUnauthorized {
			t.Fatalf("a POST without a token: %d", resp.status)
		}
	}
	resp := s.do(request{path: "/_admin/requests", token: adminToken})
	if resp.status != http.StatusOK {
		t.Fatalf("journal: %d", resp.status)
	}
	if limit := 33 << 20; len(resp.body) > limit {
		t.Errorf("the journal's answer is %d MB, want at most %d MB (its entries' 32 MiB)", len(resp.body)>>20, limit>>20)
	}
}

// TestAdminHEAD: HEAD is served wherever GET is, as that GET without the
// body (docs/decisions.md, "HEAD"), on the admin API's paths too: it was a
// 405 whose Allow listed GET.
func TestAdminHEAD(t *testing.T) {
	s, _ := newAdminServer(t)
	s.create(s.delegated(tenantA, userA1, "User.ReadWrite"), "/me", `{"detail":{"jobTitle":"Engineer"}}`)
	for _, path := range []string{"/_admin/tenants", "/_admin/users?tenantId=" + tenantA, "/_admin/fixtures", "/_admin/requests", "/_admin/clock"} {
		got := s.do(request{path: path, token: adminToken})
		head := s.do(request{method: http.MethodHead, path: path, token: adminToken})
		if got.status != http.StatusOK || head.status != http.StatusOK || len(head.body) != 0 ||
			head.header.Get("Content-Type") != got.header.Get("Content-Type") || (head.header.Get("Content-Length") != strconv.Itoa(len(got.body)) && path != "/_admin/clock") { // the clock's "now" may change its length
			t.Errorf("HEAD %s: %d, Content-Type %q, Content-Length %q, body %q; want GET's %d, %q, %d without the body",
				path, head.status, head.header.Get("Content-Type"), head.header.Get("Content-Length"), head.body, got.status, got.header.Get("Content-Type"), len(got.body))
		}
	}
	// A path that takes no GET takes no HEAD.
	resp := s.do(request{method: http.MethodHead, path: "/_admin/reset", token: adminToken})
	if resp.status != http.StatusMethodNotAllowed || resp.header.Get("Allow") != "POST" {
		t.Errorf("HEAD /_admin/reset: %d, Allow %q; want 405, POST", resp.status, resp.header.Get("Allow"))
	}
}

// TestAdminTimesInGraphsForm: the admin API writes its instants as Graph
// writes every DateTimeOffset (UTC, seven fractional digits), as
// docs/admin-api.md shows them; the clock's and the journal's were Go's
// RFC 3339 with nine digits, trailing zeros dropped.
func TestAdminTimesInGraphsForm(t *testing.T) {
	s, _ := newAdminServer(t)
	graphForm := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`)
	// The clock runs on after it is set: the answers are checked for their
	// form and for the second they fall in.
	for _, tt := range []struct{ method, body, second string }{
		{http.MethodPut, `{"now":"2030-01-01T00:00:00.000000732Z"}`, "2030-01-01T00:00:00."},
		{http.MethodPost, `{"advance":"90s"}`, "2030-01-01T00:01:30."},
		{http.MethodPut, `{"now":"2030-01-01T00:00:00Z"}`, "2030-01-01T00:00:00."},
		{http.MethodGet, "", "2030-01-01T00:00:00."},
	} {
		resp := s.do(request{method: tt.method, path: "/_admin/clock", token: adminToken, body: tt.body})
		if resp.status != http.StatusOK {
			t.Fatalf("%s clock %s: %d %s", tt.method, tt.body, resp.status, resp.body)
		}
		if now, _ := resp.json(t)["now"].(string); !graphForm.MatchString(now) || !strings.HasPrefix(now, tt.second) {
			t.Errorf("%s clock %s: now %q, want %s in Graph's form (seven fractional digits)", tt.method, tt.body, now, tt.second)
		}
	}
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.do(request{path: "/beta/me/profile/positions", token: tok})
	resp := s.do(request{path: "/_admin/requests", token: adminToken})
	var page struct {
		Requests []struct {
			Time string `json:"time"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(resp.body, &page); err != nil || len(page.Requests) == 0 {
		t.Fatalf("the journal: %v %s", err, resp.body)
	}
	if got := page.Requests[0].Time; !graphForm.MatchString(got) || !strings.HasPrefix(got, "2030-01-01T00:00:00.") {
		t.Errorf("the journal's time %q, want the set clock's in Graph's form", got)
	}
}

// TestJournalStatusFilterRange: a status filter outside 1xx–5xx, or
// neither three digits nor a digit and xx, is refused, as the message
// says, not answered with an empty list.
func TestJournalStatusFilterRange(t *testing.T) {
	s, _ := newAdminServer(t)
	for _, f := range []string{"6xx", "9xx", "600", "999", "0xx", "000", "40x", "4x4", "x04", "4yy", "4xxx"} {
		expectError(t, s.do(request{path: "/_admin/requests?status=" + f, token: adminToken}), http.StatusBadRequest, "BadRequest")
	}
}

// TestAdminTokenOnlyAsBearer: the admin token is taken only as a
// bearer token, never under another scheme.
func TestAdminTokenOnlyAsBearer(t *testing.T) {
	s, _ := newAdminServer(t)
	for _, scheme := range []string{"Basic", "Token", "Negotiate"} {
		resp := s.do(request{path: "/_admin/clock", header: map[string]string{"Authorization": scheme + " " + adminToken}})
		expectError(t, resp, http.StatusUnauthorized, "InvalidAuthenticationToken")
	}
}

// TestJournalTimeIsWhenTheRequestCame: an entry's time is when its request
// came, not when it was answered (docs/admin-api.md): with its duration,
// it ends before the clock read after the journal, which waits for it.
func TestJournalTimeIsWhenTheRequestCame(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.Read")
	clockNow := func() time.Time {
		t.Helper()
		now, err := time.Parse(time.RFC3339Nano, s.do(request{path: "/_admin/clock", token: adminToken}).json(t)["now"].(string))
		if err != nil {
			t.Fatal(err)
		}
		return now
	}
	before := clockNow()
	// Answered 300 ms after it came: a delay that tells the two apart.
	s.do(request{path: "/beta/me/profile/positions", token: tok, header: map[string]string{graphapi.FaultHeader: "latency=300ms"}})
	entries := s.journal(t, "")
	after := clockNow()
	if len(entries) != 1 {
		t.Fatalf("%d entries, want 1", len(entries))
	}
	came, err := time.Parse(time.RFC3339Nano, entries[0].Time)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Duration(entries[0].DurationMS * float64(time.Millisecond))
	if came.Before(before) || took < 300*time.Millisecond || came.Add(took).After(after.Add(time.Millisecond)) {
		t.Errorf("entry at %s taking %s, between the clock's %s and %s: want it to come after the first and end before the second, taking 300 ms or more",
			came.Format(time.RFC3339Nano), took, before.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano))
	}
}

// TestJournalBytesGoWithTheEntries: the bytes that bound the journal are
// those of the entries it keeps, given back when an entry goes or the
// journal is cleared. Counted for every entry ever recorded, a journal
// that had seen 32 MiB would keep one entry, whatever its size.
func TestJournalBytesGoWithTheEntries(t *testing.T) {
	s, _ := newAdminServer(t, func(srv *graphapi.Server) { srv.JournalSize = 2 })
	// Counted as six bytes each (\u003c): 384 KiB an entry, 100 of them
	// 37.5 MiB in all.
	body := strings.Repeat("<", 64<<10)
	for range 100 {
		if resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", body: body}); resp.status != http.StatusUnauthorized {
			t.Fatalf("a POST without a token: %d", resp.status)
		}
	}
	if entries := s.journal(t, ""); len(entries) != 2 {
		t.Errorf("%d entries after 100 of 384 KiB in a journal of 2, want 2", len(entries))
	}

	// And DELETE /_admin/requests gives back what the entries counted: a
	// journal filled to its 32 MiB and cleared keeps a big entry and the
	// next.
	s, _ = newAdminServer(t)
	for range 100 {
		s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", body: body})
	}
	if resp := s.do(request{method: http.MethodDelete, path: "/_admin/requests", token: adminToken}); resp.status != http.StatusNoContent {
		t.Fatalf("DELETE /_admin/requests: %d", resp.status)
	}
	s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", body: body})
	s.do(request{path: "/beta/me/profile/positions"})
	if entries := s.journal(t, ""); len(entries) != 2 {
		t.Errorf("%d entries after a clear, a POST of 384 KiB and a GET, want 2", len(entries))
	}
}

// TestAdminJournalKeepsValuesNamedAsCredentials: a string value that spells
// a credential's name (a job title of "Password") is no member: the body is
// shown as sent, the member after it too.
func TestAdminJournalKeepsValuesNamedAsCredentials(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	body := `{"detail":{"jobTitle":"Password","description":"kept"},"allowedAudiences":"Authorization"}`
	s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: body})
	entries := s.journal(t, "")
	if len(entries) != 1 {
		t.Fatalf("%d entries, want 1", len(entries))
	}
	if got := entries[0].Request.Body; got != body {
		t.Errorf("the body in the journal: %s, want it as sent: %s", got, body)
	}
}

// TestAdminJournalRedactsNamesWhollyEscaped: a member's name may be written
// all in \u escapes, six bytes a character; a credential so named is
// redacted still, in a body, a $batch item's url and a $batch item's body
// written as a string.
func TestAdminJournalRedactsNamesWhollyEscaped(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	escaped := func(name string) string {
		var b strings.Builder
		for _, c := range name {
			fmt.Fprintf(&b, `\u%04x`, c)
		}
		return b.String()
	}
	s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok,
		body: `{"detail":{"jobTitle":"x"},"` + escaped("passwordProfile") + `":"SECRET-1"}`})
	s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok,
		body: `{"requests":[{"id":"1","method":"GET","` + escaped("url") + `":"/me?access_token=SECRET-2"},` +
			`{"id":"2","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"` + escaped("body") + `":"{\"password\":\"SECRET-3\"}"}]}`})
	if entries := s.journal(t, ""); len(entries) != 2 {
		t.Fatalf("%d entries, want 2", len(entries))
	}
	if raw := string(s.do(request{path: "/_admin/requests", token: adminToken}).body); strings.Contains(raw, "SECRET") {
		t.Errorf("the journal holds a secret: %s", raw)
	}
}

// TestAdminJournalBodyTextOrBase64: a body that is not UTF-8 is shown as
// bodyBase64, with body empty; a UTF-8 body cut at 64 KiB inside a
// character of four bytes is cut before it, and stays text.
func TestAdminJournalBodyTextOrBase64(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	binary := "\xff\xfe\x00binary"
	s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: binary, header: map[string]string{"Content-Type": "application/octet-stream"}})
	if got := s.journal(t, "")[0].Request; got.Body != "" || string(got.BodyBase64) != binary {
		t.Errorf("a body not UTF-8: body %q, bodyBase64 %q; want it in bodyBase64 alone", got.Body, got.BodyBase64)
	}
	// 25 bytes and then emoji of four: the 64 KiB end three bytes into one.
	text := `{"detail":{"jobTitle":"ab` + strings.Repeat("😀", 20000) + `"}}`
	s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: text})
	got := s.journal(t, "")[0].Request
	if want := text[:64<<10-3]; got.Body != want || len(got.BodyBase64) != 0 || !got.BodyTruncated {
		t.Errorf("a body cut inside an emoji: body of %d bytes, bodyBase64 of %d, truncated %v; want the %d bytes before it, as text", len(got.Body), len(got.BodyBase64), got.BodyTruncated, len(want))
	}
}
