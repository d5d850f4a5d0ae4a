package graphapi_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/internal/logtest"
	"github.com/graphprofile/graphprofile/token"
	"github.com/prometheus/client_golang/prometheus"
)

// logBuffer is the log that handlers of concurrent requests share, read
// as access log lines.
type logBuffer struct{ logtest.Buffer }

// accessLines waits until the log holds n lines (a line is written once
// its request is answered, so just after the client has its answer) and
// returns them decoded.
func (b *logBuffer) accessLines(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		text := strings.TrimSpace(b.String())
		var lines []string
		if text != "" {
			lines = strings.Split(text, "\n")
		}
		if len(lines) >= n || time.Now().After(deadline) {
			if len(lines) != n {
				t.Fatalf("%d access log lines, want %d:\n%s", len(lines), n, text)
			}
			out := make([]map[string]any, n)
			for i, line := range lines {
				if err := json.Unmarshal([]byte(line), &out[i]); err != nil {
					t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
				}
			}
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func withAccessLog(w *logBuffer) serverOption {
	return func(srv *graphapi.Server) {
		srv.AccessLog = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
}

// TestAccessLog: one line per request at INFO with the request's values
// (and one per item of a $batch, naming the batch), none of a health
// probe at INFO, and never the token.
func TestAccessLog(t *testing.T) {
	logs := &logBuffer{}
	s := newTestServer(t, withAccessLog(logs))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	app := s.application(tenantB, "User.Read.All")
	// An app token as Entra mints one: its oid is the app's service
	// principal, no person, and the log's oid is for signed-in users.
	appWithOID, err := s.dev.Mint(token.MintRequest{TenantID: tenantB, AppID: appID, ObjectID: "5e000000-0000-4000-8000-00000000005e", Roles: []string{"User.Read.All"}})
	if err != nil {
		t.Fatal(err)
	}
	gzipped := true

	type want struct {
		method, path, route, tenant, oid, appid string
		status                                  int
	}
	const (
		itemsRoute = "/beta/{owner}/profile/{facet}"
		itemRoute  = "/beta/{owner}/profile/{facet}/{id}"
	)
	tests := []struct {
		name string
		req  request
		want want
	}{
		{"create, gzipped", request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{"detail":{"jobTitle":"Engineer"}}`, gzipped: gzipped, header: map[string]string{"client-request-id": "client-1"}},
			want{http.MethodPost, "/beta/me/profile/positions", itemsRoute, tenantA, userA1, "", http.StatusCreated}},
		{"not found, with a query", request{path: "/beta/me/profile/positions/nope?$select=id", token: tok},
			want{http.MethodGet, "/beta/me/profile/positions/nope?$select=id", itemRoute, tenantA, userA1, "", http.StatusNotFound}},
		{"no token", request{path: "/beta/me/profile/positions"},
			want{http.MethodGet, "/beta/me/profile/positions", itemsRoute, "", "", "", http.StatusUnauthorized}},
		{"application", request{path: "/v1.0/users", token: app},
			want{http.MethodGet, "/v1.0/users", "/{version}/users", tenantB, "", appID, http.StatusOK}},
		{"application with its service principal's oid", request{path: "/v1.0/users", token: appWithOID},
			want{http.MethodGet, "/v1.0/users", "/{version}/users", tenantB, "", appID, http.StatusOK}},
		{"a path not served", request{path: "/beta/nothing"},
			want{http.MethodGet, "/beta/nothing", "", "", "", "", http.StatusBadRequest}},
		{"a browser's preflight", request{method: http.MethodOptions, path: "/beta/me/profile/positions",
			header: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH"}},
			want{http.MethodOptions, "/beta/me/profile/positions", "/beta/{owner}/profile/{facet}", "", "", "", http.StatusNoContent}},
	}
	var ids []string
	for _, tt := range tests {
		resp := s.do(tt.req)
		if resp.status != tt.want.status {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, resp.status, tt.want.status, resp.body)
		}
		ids = append(ids, resp.header.Get("request-id"))
		s.do(request{path: "/healthz"}) // at DEBUG: no line
	}
	byID := map[any]map[string]any{}
	for _, line := range logs.accessLines(t, len(tests)) {
		byID[line["request-id"]] = line
	}
	for i, tt := range tests {
		line := byID[ids[i]]
		wantValues := map[string]any{
			"level": "INFO", "msg": "request", "method": tt.want.method, "path": tt.want.path,
			"status": float64(tt.want.status), "route": tt.want.route, "tenant": tt.want.tenant,
			"oid": tt.want.oid, "appid": tt.want.appid, "request-id": ids[i],
		}
		for k, v := range wantValues {
			if line[k] != v {
				t.Errorf("%s: %s = %v, want %v (line %v)", tt.name, k, line[k], v, line)
			}
		}
		if d, ok := line["duration_ms"].(float64); !ok || d < 0 {
			t.Errorf("%s: duration_ms %v", tt.name, line["duration_ms"])
		}
		wantClientID := ids[i]
		if tt.req.header["client-request-id"] != "" {
			wantClientID = tt.req.header["client-request-id"]
		}
		if line["client-request-id"] != wantClientID {
			t.Errorf("%s: client-request-id %v, want %v", tt.name, line["client-request-id"], wantClientID)
		}
	}

	// What was logged so far is checked for secrets below, with the batch's.
	logged := logs.String()

	// A batch: its own line, and one per item naming it.
	logs.Reset()
	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[
		{"id":"1","method":"GET","url":"/me/profile/positions"},
		{"id":"2","method":"GET","url":"/me/profile/positions/nope"}]}`})
	if resp.status != http.StatusOK {
		t.Fatalf("batch: %d %s", resp.status, resp.body)
	}
	batchID := resp.header.Get("request-id")
	lines := logs.accessLines(t, 3)
	byItem := map[string]map[string]any{}
	for _, line := range lines {
		if line["request-id"] == batchID {
			if line["route"] != "/{version}/$batch" || line["status"] != float64(200) || line["batch"] != nil {
				t.Errorf("the batch's line: %v", line)
			}
			continue
		}
		if line["batch"] != batchID {
			t.Errorf("an item's line does not name its batch %s: %v", batchID, line)
		}
		byItem[line["batch-item"].(string)] = line
	}
	if l := byItem["1"]; l == nil || l["status"] != float64(200) || l["path"] != "/beta/me/profile/positions" || l["route"] != itemsRoute || l["oid"] != userA1 {
		t.Errorf("item 1's line: %v", l)
	}
	if l := byItem["2"]; l == nil || l["status"] != float64(404) || l["route"] != itemRoute {
		t.Errorf("item 2's line: %v", l)
	}

	// No token and no body (the create's jobTitle), in any request's line.
	logged += logs.String()
	for _, secret := range []string{tok, app, appWithOID, "Bearer", "Engineer"} {
		if strings.Contains(logged, secret) {
			t.Errorf("the access log holds %q", secret)
		}
	}
}

// TestAccessLogOff: a server without AccessLog logs no request to its
// Logger.
func TestAccessLogOff(t *testing.T) {
	logs := &logBuffer{}
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	s.do(request{path: "/beta/me/profile/positions", token: s.delegated(tenantA, userA1, "User.Read")})
	if strings.Contains(logs.String(), `"msg":"request"`) {
		t.Errorf("a server without AccessLog logged requests:\n%s", logs)
	}
}

// TestAccessLogRedactsQueryCredentials: a token or password a client put
// in the query string (access_token=… is how some clients send a bearer
// token) is logged as [redacted], in any case, on any path, and in a
// $batch item's line; the rest of the query is logged as sent.
func TestAccessLogRedactsQueryCredentials(t *testing.T) {
	logs := &logBuffer{}
	s := newTestServer(t, withAccessLog(logs))
	tok := s.delegated(tenantA, userA1, "User.Read")
	tests := []struct{ path, logged string }{
		{"/_admin/tenants?access_token=SECRET-1", "/_admin/tenants?access_token=[redacted]"},
		{"/beta/me/profile/positions?$select=id&ACCESS_TOKEN=SECRET-2&$top=1", "/beta/me/profile/positions?$select=id&ACCESS_TOKEN=[redacted]&$top=1"},
		{"/beta/me?id_token=SECRET-3&Refresh_Token=SECRET-4", "/beta/me?id_token=[redacted]&Refresh_Token=[redacted]"},
		{"/beta/me?code=SECRET-5&state=kept", "/beta/me?code=[redacted]&state=kept"},
		{"/beta/me?client_secret=SECRET-6&token=SECRET-7&password=SECRET-8", "/beta/me?client_secret=[redacted]&token=[redacted]&password=[redacted]"},
		{"/beta/me?access%5Ftoken=SECRET-9", "/beta/me?access%5Ftoken=[redacted]"},
		{"/beta/me?password=SECRET-10&password=SECRET-11", "/beta/me?password=[redacted]&password=[redacted]"},
		// Not credentials: a paging token, a filter naming code, an
		// empty value, a name alone.
		{"/beta/me/profile/positions?$skiptoken=kept&$filter=code%20eq%20'x'", "/beta/me/profile/positions?$skiptoken=kept&$filter=code%20eq%20'x'"},
		{"/beta/me?codes=kept&password=&token", "/beta/me?codes=kept&password=&token"},
	}
	var ids []string
	for _, tt := range tests {
		ids = append(ids, s.do(request{path: tt.path, token: tok}).header.Get("request-id"))
	}
	batch := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok,
		body: `{"requests":[{"id":"1","method":"GET","url":"/me?access_token=SECRET-12&$select=id"}]}`})
	if batch.status != http.StatusOK {
		t.Fatalf("batch: %d %s", batch.status, batch.body)
	}
	byID := map[any]map[string]any{}
	var item map[string]any
	for _, line := range logs.accessLines(t, len(tests)+2) {
		if line["batch-item"] == "1" {
			item = line
		}
		byID[line["request-id"]] = line
	}
	for i, tt := range tests {
		if got := byID[ids[i]]["path"]; got != tt.logged {
			t.Errorf("GET %s logged path %v, want %s", tt.path, got, tt.logged)
		}
	}
	if item == nil || item["path"] != "/beta/me?access_token=[redacted]&$select=id" {
		t.Errorf("the batch item's line: %v", item)
	}
	if at := strings.Index(logs.String(), "SECRET"); at >= 0 {
		t.Errorf("the access log holds a secret: …%s…", logs.String()[max(at-100, 0):min(at+100, len(logs.String()))])
	}
}

// TestAccessLogBatchItemsNotRun: every item of a $batch has its line, the
// ones answered without running too (a failed dependency's 424, a batch
// inside the batch), with the item's method and URL, the batch's caller
// and the route its path matches, and each counts in the metrics.
func TestAccessLogBatchItemsNotRun(t *testing.T) {
	logs := &logBuffer{}
	s := newTestServer(t, withAccessLog(logs))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[
		{"id":"1","method":"PATCH","url":"/me/profile/positions/nope","headers":{"Content-Type":"application/json"},"body":{}},
		{"id":"2","method":"delete","url":"me/profile/positions/nope?x=1","dependsOn":["1"]},
		{"id":"3","method":"POST","url":"/$batch","headers":{"Content-Type":"application/json"},"body":{"requests":[]}}]}`})
	if resp.status != http.StatusOK {
		t.Fatalf("batch: %d %s", resp.status, resp.body)
	}
	batchID := resp.header.Get("request-id")
	byItem := map[string]map[string]any{}
	for _, line := range logs.accessLines(t, 4) {
		if item, ok := line["batch-item"].(string); ok {
			if line["batch"] != batchID {
				t.Errorf("item %s's line does not name its batch %s: %v", item, batchID, line)
			}
			byItem[item] = line
		}
	}
	for _, want := range []struct {
		item, method, path, route string
		status                    int
	}{
		{"1", "PATCH", "/beta/me/profile/positions/nope", "/beta/{owner}/profile/{facet}/{id}", 404},
		{"2", "DELETE", "/beta/me/profile/positions/nope?x=1", "/beta/{owner}/profile/{facet}/{id}", 424},
		{"3", "POST", "/beta/$batch", "/{version}/$batch", 400},
	} {
		l := byItem[want.item]
		if l == nil {
			t.Errorf("item %s has no line of the access log", want.item)
			continue
		}
		if l["method"] != want.method || l["path"] != want.path || l["route"] != want.route || l["status"] != float64(want.status) || l["oid"] != userA1 || l["tenant"] != tenantA {
			t.Errorf("item %s's line: %v; want %s %s, route %s, status %d, the batch's caller", want.item, l, want.method, want.path, want.route, want.status)
		}
	}
}

// TestAccessLogCutsLongValues: what a client chooses (a path, a
// client-request-id, a $batch item's URL, id and headers) takes a bounded
// part of its line, so that a small request cannot write a big log: 20
// items of a gzipped $batch with URLs of 45 KB each, 2 KB on the wire,
// wrote 900 KB of log.
func TestAccessLogCutsLongValues(t *testing.T) {
	logs := &logBuffer{}
	s := newTestServer(t, withAccessLog(logs))
	tok := s.delegated(tenantA, userA1, "User.Read")
	long := strings.Repeat("é", 30_000) // 60 KB, two bytes a character
	direct := s.do(request{path: "/beta/me?q=" + long, token: tok, header: map[string]string{"client-request-id": strings.Repeat("c", 50_000)}})
	if direct.status != http.StatusOK {
		t.Fatalf("GET: %d %s", direct.status, direct.body)
	}
	itemID := strings.Repeat("i", 1000)
	batch := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok,
		body: `{"requests":[{"id":"` + itemID + `","method":"GET","url":"me?q=` + long + `","headers":{"client-request-id":"` + strings.Repeat("d", 50_000) + `"}}]}`})
	if batch.status != http.StatusOK {
		t.Fatalf("batch: %d %s", batch.status, batch.body)
	}
	// A token's claims, which an issuer that lets a caller choose its
	// app's id (azp) or a holder of the development key may make long.
	app, err := s.dev.Mint(token.MintRequest{TenantID: tenantA, AppID: strings.Repeat("A", 3_000), Roles: []string{"User.Read.All"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.do(request{path: "/beta/users", token: app}); got.status != http.StatusOK {
		t.Fatalf("GET /beta/users with an app id of 3,000 characters: %d %s", got.status, got.body)
	}
	lines := logs.accessLines(t, 4)
	for _, line := range lines {
		path, _ := line["path"].(string)
		if !strings.HasPrefix(path, "/beta/me?q=%C3%A9") && !strings.HasPrefix(path, "/beta/me?q=é") && path != "/beta/$batch" && path != "/beta/users" {
			t.Errorf("path %.80q…: want the request's", path)
		}
		for name, limit := range map[string]int{"path": 2048, "client-request-id": 128, "batch-item": 128, "method": 128, "appid": 128, "tenant": 128, "oid": 128} {
			v, _ := line[name].(string)
			if len(v) > limit+len("…[123456 bytes]") {
				t.Errorf("%s of %d bytes: %.80q…", name, len(v), v)
			}
			if len(v) > limit && (!strings.HasSuffix(v, " bytes]") || !utf8.ValidString(v)) {
				t.Errorf("%s cut as %q…%q: want whole characters and the length it had", name, v[:40], v[len(v)-40:])
			}
		}
	}
	if n := len(logs.String()); n > 8<<10 {
		t.Errorf("4 lines of log take %d bytes", n)
	}
}

// TestAccessLogNamesTheProbesRoutes: the health probes and the metrics
// scrape, logged at DEBUG, name their route as every served path does (as
// their metrics count them), where "" is a path not served.
func TestAccessLogNamesTheProbesRoutes(t *testing.T) {
	logs := &logBuffer{}
	s := newTestServer(t, withMetrics(prometheus.NewRegistry(), true), func(srv *graphapi.Server) {
		srv.AccessLog = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	paths := []string{"/healthz", "/readyz", graphapi.MetricsPath}
	for _, p := range paths {
		if resp := s.do(request{path: p}); resp.status != http.StatusOK {
			t.Fatalf("GET %s: %d", p, resp.status)
		}
	}
	// A browser's preflight of them is counted under their route too, as
	// a plain OPTIONS is.
	for _, p := range paths {
		preflight := request{method: http.MethodOptions, path: p, header: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}}
		if resp := s.do(preflight); resp.status != http.StatusNoContent {
			t.Fatalf("the preflight of %s: %d", p, resp.status)
		}
	}
	for i, line := range logs.accessLines(t, 2*len(paths)) {
		want := paths[i%len(paths)]
		if line["path"] != want || line["route"] != want {
			t.Errorf("line %d: %v %v, route %v; want %s as its route", i, line["method"], line["path"], line["route"], want)
		}
	}
}
