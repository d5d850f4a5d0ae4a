package graphapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAdminFixtures: POST /_admin/fixtures loads users and profiles all or
// nothing, keeps the ids and times it is given, refuses a bad document
// with its line, column and path, and holds the server's --max-items.
func TestAdminFixtures(t *testing.T) {
	s, _ := newAdminServer(t, withMaxItems(2))
	doc := func(positions ...string) string {
		return `{"tenants":[{"id":"` + tenantA + `","users":[
  {"id":"` + userA1 + `","displayName":"User a1a1","userPrincipalName":"` + upnOf(userA1) + `",
   "profile":{"positions":[` + strings.Join(positions, ",") + `]}}]}]}`
	}
	load := func(body string) *response {
		return s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: body})
	}
	kept := `{"id":"5e0f6b8a-7c1d-4e2f-8a9b-0c1d2e3f4a5b","createdDateTime":"2021-03-04T05:06:07Z","detail":{"jobTitle":"Kept"}}`
	if resp := load(doc(kept, `{"detail":{"jobTitle":"Made"}}`)); resp.status != http.StatusNoContent {
		t.Fatalf("load: %d %s", resp.status, resp.body)
	}
	tok := s.delegated(tenantA, userA1, "User.Read")
	list := s.do(request{path: "/beta/me/profile/positions", token: tok}).json(t)
	items := list["value"].([]any)
	if len(items) != 2 {
		t.Fatalf("%d positions after the load, want 2", len(items))
	}
	first := items[0].(map[string]any)
	if first["id"] != "5e0f6b8a-7c1d-4e2f-8a9b-0c1d2e3f4a5b" || first["createdDateTime"] != "2021-03-04T05:06:07.0000000Z" || get(first, "detail", "jobTitle") != "Kept" {
		t.Errorf("the given position came back as %v", first)
	}
	if get(items[1], "detail", "jobTitle") != "Made" || !guidPattern.MatchString(get(items[1], "id").(string)) {
		t.Errorf("the made position came back as %v", items[1])
	}

	for _, tc := range []struct {
		name    string
		body    string
		status  int
		code    string
		message []string
	}{
		{"bad value", doc(`{"detail":{"jobTitle":7}}`), http.StatusBadRequest, "BadRequest", []string{"body:3:", "positions[0].detail.jobTitle"}},
		{"more than --max-items", doc(`{}`, `{}`, `{}`), http.StatusBadRequest, "BadRequest", []string{"3 items in positions", "serve --max-items"}},
		{"not JSON", `{"tenants":`, http.StatusBadRequest, "BadRequest", []string{"body:1:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := expectError(t, load(tc.body), tc.status, tc.code)
			for _, want := range tc.message {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q, want it to hold %q", msg, want)
				}
			}
			// Nothing of a refused load is stored.
			if got := len(s.do(request{path: "/beta/me/profile/positions", token: tok}).json(t)["value"].([]any)); got != 2 {
				t.Errorf("%d positions after a refused load, want the 2 before", got)
			}
		})
	}
	expectError(t, s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: tok, body: doc()}), http.StatusUnauthorized, "InvalidAuthenticationToken")
	big := fmt.Sprintf(`{"tenants":[],"pad":"%s"}`, strings.Repeat("x", 2<<20))
	if resp := load(big); resp.status == http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB fixtures document is refused as too large: fixtures may pass the 1 MiB of a Graph request")
	}
}

// TestUpdateKeepsTimesItCanKeep: an item a fixture last modified at the
// latest instant the server keeps (2262-04-11T23:47:16.8547758Z, the last
// 100 ns an int64 of Unix nanoseconds holds) cannot be given a later
// lastModifiedDateTime. An update then fails as a create past that
// instant does (500, docs/admin-api.md), and the item is left as it was:
// it was stored 200 with a time 100 ns past the range, an ETag made of
// wrapped-around nanoseconds ("-p864i6vcdrh"), and an export that the
// fixtures call refused to load again.
func TestUpdateKeepsTimesItCanKeep(t *testing.T) {
	s, _ := newAdminServer(t)
	const last = "2262-04-11T23:47:16.8547758Z"
	doc := `{"tenants":[{"id":"` + tenantA + `","users":[
  {"id":"` + userA1 + `","displayName":"User a1a1","userPrincipalName":"` + upnOf(userA1) + `",
   "profile":{"skills":[{"id":"s1","createdDateTime":"` + last + `","lastModifiedDateTime":"` + last + `","displayName":"Go"}]}}]}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: doc}); resp.status != http.StatusNoContent {
		t.Fatalf("load: %d %s", resp.status, resp.body)
	}
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	before := s.do(request{path: "/beta/me/profile/skills/s1", token: tok}).json(t)
	if before["lastModifiedDateTime"] != last {
		t.Fatalf("loaded as %v", before)
	}
	expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/me/profile/skills/s1", token: tok, body: `{"displayName":"Rust"}`}),
		http.StatusInternalServerError, "InternalError")
	after := s.do(request{path: "/beta/me/profile/skills/s1", token: tok}).json(t)
	for _, name := range []string{"lastModifiedDateTime", "@odata.etag", "displayName"} {
		if after[name] != before[name] {
			t.Errorf("%s after the refused update: %v, was %v", name, after[name], before[name])
		}
	}
	export := s.do(request{path: "/_admin/fixtures", token: adminToken})
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: string(export.body)}); resp.status != http.StatusNoContent {
		t.Errorf("the export does not load again: %d %s", resp.status, resp.body)
	}
}
