package graphapi_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestAllowedAudiencesDecideWhoSees checks who sees which position.
func TestAllowedAudiencesDecideWhoSees(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	audiences := []string{"me", "family", "contacts", "groupMembers", "organization", "federatedOrganizations", "everyone",
		"contacts,organization", "family,groupMembers", "unknownFutureValue", "cleared"}
	idOf := map[string]string{}
	for _, a := range audiences {
		body := `{"allowedAudiences":"` + a + `"}`
		if a == "cleared" {
			body = `{}`
		}
		id := s.create(owner, "/me", body)["id"].(string)
		if a == "cleared" {
			if resp := s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + id, token: owner, body: `{"allowedAudiences":null}`}); resp.status != 200 {
				t.Fatalf("clearing allowedAudiences: %d %s", resp.status, resp.body)
			}
		}
		idOf[a] = id
	}
	visibleToOthers := []string{"organization", "federatedOrganizations", "everyone", "contacts,organization"}

	callers := []struct {
		name    string
		token   string
		profile string
		sees    []string
	}{
		{"owner", owner, "/me", audiences},
		{"owner by own UPN with User.Read", s.delegated(tenantA, userA1, "User.Read"), "/users/" + upnOf(userA1), audiences},
		{"colleague with User.Read.All", s.delegated(tenantA, userA2, "User.Read.All"), "/users/" + userA1, visibleToOthers},
		{"colleague with User.ReadBasic.All", s.delegated(tenantA, userA2, "User.ReadBasic.All"), "/users/" + upnOf(userA1), visibleToOthers},
		{"app with User.Read.All", s.application(tenantA, "User.Read.All"), "/users/" + userA1, audiences},
		{"app with User.ReadWrite.All", s.application(tenantA, "User.ReadWrite.All"), "/users/" + userA1, audiences},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			base := "/beta" + c.profile + "/profile/positions"
			list := s.do(request{path: base, token: c.token})
			if list.status != http.StatusOK {
				t.Fatalf("list: %d %s", list.status, list.body)
			}
			var listed []string
			for _, p := range list.json(t)["value"].([]any) {
				listed = append(listed, p.(map[string]any)["id"].(string))
			}
			for _, a := range audiences {
				want := slices.Contains(c.sees, a)
				if got := slices.Contains(listed, idOf[a]); got != want {
					t.Errorf("allowedAudiences %q: listed %v, want %v", a, got, want)
				}
				resp := s.do(request{path: base + "/" + idOf[a], token: c.token})
				if want && (resp.status != http.StatusOK || resp.json(t)["id"] != idOf[a]) {
					t.Errorf("allowedAudiences %q: GET %d %s, want 200 with the position", a, resp.status, resp.body)
				}
				if !want {
					// Hidden is as unknown: the same 404, naming the id.
					if msg := expectError(t, resp, http.StatusNotFound, "itemNotFound"); msg != "The workPosition '"+idOf[a]+"' does not exist in this profile." {
						t.Errorf("allowedAudiences %q: message %q", a, msg)
					}
				}
			}
		})
	}

	// A hidden position cannot be changed or deleted by another user, even with User.ReadWrite.All.
	writer := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	base := "/beta/users/" + userA1 + "/profile/positions/"
	expectError(t, s.do(request{method: http.MethodPatch, path: base + idOf["family"], token: writer, body: `{"isCurrent":true}`}), http.StatusNotFound, "itemNotFound")
	expectError(t, s.do(request{method: http.MethodDelete, path: base + idOf["me"], token: writer}), http.StatusNotFound, "itemNotFound")
	for _, a := range []string{"family", "me"} {
		p := s.do(request{path: "/beta/me/profile/positions/" + idOf[a], token: owner})
		if p.status != http.StatusOK || p.json(t)["isCurrent"] != nil {
			t.Errorf("hidden position %q was touched: %d %s", a, p.status, p.body)
		}
	}
	// A visible one can.
	if resp := s.do(request{method: http.MethodPatch, path: base + idOf["everyone"], token: writer, body: `{"isCurrent":true}`}); resp.status != http.StatusOK ||
		resp.json(t)["isCurrent"] != true || get(resp.json(t), "lastModifiedBy", "user", "id") != userA2 {
		t.Errorf("PATCH of a visible position: %d %s", resp.status, resp.body)
	}
	if p := s.do(request{path: "/beta/me/profile/positions/" + idOf["everyone"], token: owner}); p.status != http.StatusOK || p.json(t)["isCurrent"] != true ||
		get(p.json(t), "lastModifiedBy", "user", "id") != userA2 || get(p.json(t), "createdBy", "user", "id") != userA1 {
		t.Errorf("the visible position after another user's PATCH: %d %s", p.status, p.body)
	}
	if resp := s.do(request{method: http.MethodDelete, path: base + idOf["organization"], token: writer}); resp.status != http.StatusNoContent {
		t.Errorf("DELETE of a visible position: %d %s", resp.status, resp.body)
	}
	expectError(t, s.do(request{path: "/beta/me/profile/positions/" + idOf["organization"], token: owner}), http.StatusNotFound, "itemNotFound")
}

// TestTenantsAreApart checks that a caller of tenant A, even with
// User.ReadWrite.All, cannot reach tenant B's users, and that a user
// principal name may exist in both.
func TestTenantsAreApart(t *testing.T) {
	s := newTestServer(t)
	const upn = "same@contoso.test"
	for _, tc := range []struct{ tenant, user string }{{tenantA, userA1}, {tenantB, userB1}} {
		tok, err := s.dev.Mint(mintDelegated(tc.tenant, tc.user, upn, "User.ReadWrite"))
		if err != nil {
			t.Fatal(err)
		}
		s.create(tok, "/users/"+upn, `{"allowedAudiences":"everyone","detail":{"jobTitle":"`+tc.tenant+`"}}`)
	}
	for _, caller := range []struct{ name, token string }{
		{"delegated User.ReadWrite.All", s.delegated(tenantA, userA2, "User.ReadWrite.All")},
		{"application User.ReadWrite.All", s.application(tenantA, "User.ReadWrite.All")},
	} {
		t.Run(caller.name, func(t *testing.T) {
			for _, path := range []string{"/beta/users/" + userB1, "/beta/users/" + userB1 + "/profile/positions", "/v1.0/users/" + userB1} {
				expectError(t, s.do(request{path: path, token: caller.token}), http.StatusNotFound, "Request_ResourceNotFound")
			}
			expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/users/" + userB1, token: caller.token, body: `{"jobTitle":"x"}`}), http.StatusNotFound, "Request_ResourceNotFound")
			expectError(t, s.do(request{method: http.MethodDelete, path: "/beta/users/" + userB1, token: caller.token}), http.StatusNotFound, "Request_ResourceNotFound")
			if got := s.do(request{path: "/beta/users/" + userB1, token: s.application(tenantB, "User.Read.All")}); got.status != http.StatusOK || got.json(t)["jobTitle"] != nil {
				t.Errorf("tenant B's user after tenant A's PATCH and DELETE: %d %s", got.status, got.body)
			}
			// By UPN, tenant A's caller reaches tenant A's user, never B's.
			resp := s.do(request{path: "/beta/users/" + upn + "/profile/positions", token: caller.token})
			if resp.status != http.StatusOK {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
			positions := resp.json(t)["value"].([]any)
			if len(positions) != 1 || get(positions[0], "detail", "jobTitle") != tenantA {
				t.Errorf("by UPN: %s", resp.body)
			}
			users := s.do(request{path: "/beta/users", token: s.application(tenantA, "User.Read.All")}).json(t)["value"].([]any)
			for _, u := range users {
				if u.(map[string]any)["id"] == userB1 {
					t.Errorf("tenant B's user listed in tenant A")
				}
			}
		})
	}
}

// TestClearedAudiencesSurviveExportAndLoad: an item whose allowedAudiences
// its owner cleared is its owner's alone; an export of the profile and a
// load of that export (the admin API's, as serve --fixtures and
// graphprofile export do) must keep it so, not give it a create's default
// of organization, which showed it to everyone of the tenant.
func TestClearedAudiencesSurviveExportAndLoad(t *testing.T) {
	s, _ := newAdminServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	colleague := s.delegated(tenantA, userA2, "User.Read.All")
	var paths []string
	for _, c := range []string{"positions", "skills", "phones"} {
		created := s.do(request{method: http.MethodPost, path: "/beta/me/profile/" + c, token: owner, body: `{"allowedAudiences":"everyone"}`})
		if created.status != http.StatusCreated {
			t.Fatalf("create in %s: %d %s", c, created.status, created.body)
		}
		path := "/profile/" + c + "/" + created.json(t)["id"].(string)
		if resp := s.do(request{method: http.MethodPatch, path: "/beta/me" + path, token: owner, body: `{"allowedAudiences":null}`}); resp.status != http.StatusOK {
			t.Fatalf("clearing allowedAudiences: %d %s", resp.status, resp.body)
		}
		paths = append(paths, path)
	}
	check := func(when string) {
		t.Helper()
		for _, path := range paths {
			mine := s.do(request{path: "/beta/me" + path, token: owner})
			if mine.status != http.StatusOK || mine.json(t)["allowedAudiences"] != nil {
				t.Errorf("%s: the owner's GET %s: %d %s, want allowedAudiences null", when, path, mine.status, mine.body)
			}
			if resp := s.do(request{path: "/beta/users/" + userA1 + path, token: colleague}); resp.status != http.StatusNotFound {
				t.Errorf("%s: a colleague's GET %s: %d %s, want 404: the item is its owner's alone", when, path, resp.status, resp.body)
			}
		}
	}
	check("before the export")
	export := func() string {
		t.Helper()
		resp := s.do(request{path: "/_admin/fixtures?tenantId=" + tenantA + "&userId=" + userA1, token: adminToken})
		if resp.status != http.StatusOK {
			t.Fatalf("export: %d %s", resp.status, resp.body)
		}
		return string(resp.body)
	}
	exported := export()
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: exported}); resp.status != http.StatusNoContent {
		t.Fatalf("loading the export: %d %s", resp.status, resp.body)
	}
	check("after a load of the export")
	if again := export(); again != exported {
		t.Errorf("export → load → export changed the file:\n%s\nthen\n%s", exported, again)
	}
}
