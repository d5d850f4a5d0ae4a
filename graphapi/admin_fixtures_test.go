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
