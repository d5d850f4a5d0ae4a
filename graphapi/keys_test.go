package graphapi_test

import (
	"net/http"
	"testing"
)

// TestKeyInParenthesesIsAKey checks that a key written in parentheses is
// only ever a key: positions('$count') names the item whose id is
// "$count", not the collection's count, and users('$count') the user
// "$count", not the directory's count.
func TestKeyInParenthesesIsAKey(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite", "User.Read.All")
	s.create(tok, "/me", `{}`)

	for _, path := range []string{
		"/beta/me/profile/positions('$count')",
		"/beta/me/profile/positions($count)",
		"/beta/me/profile/positions('$COUNT')",
		"/beta/users('" + userA1 + "')/profile/skills('$count')",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
			t.Run(method+" "+path, func(t *testing.T) {
				body := ""
				if method == http.MethodPatch {
					body = `{}`
				}
				expectError(t, s.do(request{method: method, path: path, token: tok, body: body}), http.StatusNotFound, "itemNotFound")
			})
		}
	}
	for _, path := range []string{"/beta/users('$count')", "/v1.0/users($count)", "/beta/users('$count')/profile/positions"} {
		t.Run("GET "+path, func(t *testing.T) {
			msg := expectError(t, s.do(request{path: path, token: tok}), http.StatusNotFound, "Request_ResourceNotFound")
			if want := "Resource '$count' does not exist or one of its queried reference-property objects are not present."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
}

// TestNamedKeys checks OData's named key forms: positions(id='…') and
// users(id='…') as the key property's name, and users(userPrincipalName='…'),
// the alternate key the CSDL declares on user (Org.OData.Core.V1.AlternateKeys).
func TestNamedKeys(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite", "User.Read.All")
	other := s.delegated(tenantA, userA2, "User.ReadWrite")
	id := s.create(tok, "/me", `{"detail":{"jobTitle":"Engineer"}}`)["id"].(string)
	s.create(other, "/me", `{"detail":{"jobTitle":"Other"}}`)

	plain := s.do(request{path: "/beta/me/profile/positions/" + id, token: tok})
	if plain.status != http.StatusOK {
		t.Fatalf("get: %d %s", plain.status, plain.body)
	}
	for _, path := range []string{
		"/beta/me/profile/positions(id='" + id + "')",
		"/beta/me/profile/positions(ID='" + id + "')",
		"/beta/users(id='" + userA1 + "')/profile/positions(id='" + id + "')",
		"/beta/users(userPrincipalName='" + upnOf(userA1) + "')/profile/positions('" + id + "')",
		"/beta/users(userprincipalname='" + upnOf(userA1) + "')/profile/positions/" + id,
	} {
		t.Run("GET "+path, func(t *testing.T) {
			resp := s.do(request{path: path, token: tok})
			if resp.status != http.StatusOK || string(resp.body) != string(plain.body) {
				t.Errorf("%d %s\nwant 200 %s", resp.status, resp.body, plain.body)
			}
		})
	}
	// Another user's profile by its principal name, through the alternate key.
	resp := s.do(request{path: "/beta/users(userPrincipalName='" + upnOf(userA2) + "')/profile/positions", token: tok})
	if resp.status != http.StatusOK {
		t.Fatalf("other's positions by principal name: %d %s", resp.status, resp.body)
	}
	if got, want := resp.json(t)["@odata.context"], s.url+"/beta/$metadata#users('"+userA2+"')/profile/positions"; got != want {
		t.Errorf("@odata.context %q, want %q", got, want)
	}
	resp = s.do(request{path: "/v1.0/users(userPrincipalName='" + upnOf(userA2) + "')", token: tok})
	if resp.status != http.StatusOK || resp.json(t)["id"] != userA2 {
		t.Fatalf("user by principal name: %d %s", resp.status, resp.body)
	}
	resp = s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions(id='" + id + "')", token: tok, body: `{"detail":{"role":"lead"}}`})
	if resp.status != http.StatusOK {
		t.Fatalf("patch by named key: %d %s", resp.status, resp.body)
	}
	// An object id is not a principal name, nor the other way round.
	for _, path := range []string{
		"/beta/users(userPrincipalName='" + userA2 + "')/profile/positions",
		"/beta/users(userPrincipalName='" + userA1 + "')/profile/positions",
		"/beta/users(id='" + upnOf(userA2) + "')/profile/positions",
		"/beta/users(id='" + upnOf(userA1) + "')/profile/positions",
	} {
		t.Run("GET "+path, func(t *testing.T) {
			expectError(t, s.do(request{path: path, token: tok}), http.StatusNotFound, "Request_ResourceNotFound")
		})
	}
	// A key property the type does not have.
	for _, tc := range []struct{ path, segment string }{
		{"/beta/me/profile/positions(userPrincipalName='" + id + "')", "positions(userPrincipalName='" + id + "')"},
		{"/beta/users(mail='x@contoso.test')/profile", "users(mail='x@contoso.test')"},
		{"/beta/me/profile/positions(id='')", "positions(id='')"},
	} {
		t.Run("GET "+tc.path, func(t *testing.T) {
			msg := expectError(t, s.do(request{path: tc.path, token: tok}), http.StatusBadRequest, "BadRequest")
			if want := "Resource not found for the segment '" + tc.segment + "'."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
	resp = s.do(request{method: http.MethodDelete, path: "/beta/me/profile/positions(id='" + id + "')", token: tok})
	if resp.status != http.StatusNoContent {
		t.Fatalf("delete by named key: %d %s", resp.status, resp.body)
	}
}
