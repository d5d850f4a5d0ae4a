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
