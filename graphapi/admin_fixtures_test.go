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
		message string
	}{
		{"bad value", doc(`{"detail":{"jobTitle":7}}`), http.StatusBadRequest, "BadRequest",
			"body:3:50: tenants[0].users[0].profile.positions[0].detail.jobTitle: Invalid value for property 'jobTitle' of type 'microsoft.graph.positionDetail': expected a JSON string (Edm.String), found a number."},
		{"more than --max-items", doc(`{}`, `{}`, `{}`), http.StatusBadRequest, "BadRequest",
			"The fixtures give user '" + upnOf(userA1) + "' of tenant '" + tenantA + "' 3 items in positions, more than the 2 a collection holds on this server (serve --max-items)."},
		{"not JSON", `{"tenants":`, http.StatusBadRequest, "BadRequest", "body:1:12: tenants: not valid JSON: unexpected end of input."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := expectError(t, load(tc.body), tc.status, tc.code); msg != tc.message {
				t.Errorf("message %q, want %q", msg, tc.message)
			}
			// Nothing of a refused load is stored.
			if got := s.positionTitles(t, tok, "/me"); strings.Join(got, ",") != "Kept,Made" {
				t.Errorf("positions after a refused load %q, want the 2 before, Kept and Made", got)
			}
		})
	}
	if msg := expectError(t, s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: tok, body: doc()}), http.StatusUnauthorized, "InvalidAuthenticationToken"); msg != "The admin API needs the server's admin token (serve --admin-token) as a bearer token." {
		t.Errorf("loading fixtures with a Graph token: message %q", msg)
	}
	if got := s.positionTitles(t, tok, "/me"); strings.Join(got, ",") != "Kept,Made" {
		t.Errorf("positions after a load with a Graph token %q, want Kept and Made", got)
	}
	big := fmt.Sprintf(`{"tenants":[],"pad":"%s"}`, strings.Repeat("x", 2<<20))
	if resp := load(big); resp.status == http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB fixtures document is refused as too large: fixtures may pass the 1 MiB of a Graph request")
	}
}

// TestCreatePastTheLastInstant: a clock the admin API set to the latest
// instant the server keeps has ticked past it by the next request; a create
// then is 400 naming the time it would have given, and nothing is stored
// (it was a 500: the store refused the time). Once the clock is real time
// again, creates go on.
func TestCreatePastTheLastInstant(t *testing.T) {
	s, _ := newAdminServer(t)
	const last = "2262-04-11T23:47:16.8547758Z"
	if resp := s.do(request{method: http.MethodPut, path: "/_admin/clock", token: adminToken, body: `{"now":"` + last + `"}`}); resp.status != http.StatusOK {
		t.Fatalf("setting the clock: %d %s", resp.status, resp.body)
	}
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	msg := expectError(t, s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{}`}), http.StatusBadRequest, "BadRequest")
	given, ok := strings.CutPrefix(msg, "The createdDateTime of this change would be ")
	given, ok2 := strings.CutSuffix(given, ", past "+last+", the latest instant the server keeps.")
	// Both in Graph's form, seven digits of fraction: they compare as text.
	if !ok || !ok2 || len(given) != len(last) || given <= last {
		t.Errorf("the create past the last instant: message %q", msg)
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 0 {
		t.Errorf("the refused create stored %v", ids)
	}
	if resp := s.do(request{method: http.MethodDelete, path: "/_admin/clock", token: adminToken}); resp.status != http.StatusOK && resp.status != http.StatusNoContent {
		t.Fatalf("resetting the clock: %d %s", resp.status, resp.body)
	}
	s.create(s.delegated(tenantA, userA1, "User.ReadWrite"), "/me", `{}`)
}

// TestUpdateKeepsTimesItCanKeep: an item a fixture last modified at the
// latest instant the server keeps (2262-04-11T23:47:16.8547758Z, the last
// 100 ns an int64 of Unix nanoseconds holds) cannot be given a later
// lastModifiedDateTime. An update then is 400, as a create past that
// instant is (docs/admin-api.md), and the item is left as it was: it was
// stored 200 with a time 100 ns past the range, an ETag made of
// wrapped-around nanoseconds ("-p864i6vcdrh"), and an export that the
// fixtures call refused to load again; then it was a 500.
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
	if msg := expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/me/profile/skills/s1", token: tok, body: `{"displayName":"Rust"}`}),
		http.StatusBadRequest, "BadRequest"); msg != "The lastModifiedDateTime of this change would be 2262-04-11T23:47:16.8547759Z, past "+last+", the latest instant the server keeps." {
		t.Errorf("the update past the last instant: message %q", msg)
	}
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
