package graphapi_test

import (
	"net/http"
	"strconv"
	"testing"
)

// TestAuthorizationOnEveryEndpoint walks every endpoint with every kind of
// caller (OWASP API1: authorization is enforced on the object, not the
// path): the target is always user A1's profile and user record, addressed
// by its id, so only who asks decides.
func TestAuthorizationOnEveryEndpoint(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	callers := []struct{ name, token string }{
		{"owner", owner},
		{"same tenant, no .All", s.delegated(tenantA, userA2, "User.ReadWrite")},
		{"same tenant, .All", s.delegated(tenantA, userA2, "User.ReadWrite.All")},
		{"other tenant, .All", s.delegated(tenantB, userB1, "User.ReadWrite.All")},
		{"app with roles", s.application(tenantA, "User.ReadWrite.All")},
		{"app without roles", s.application(tenantA)},
		{"no token", ""},
	}
	admin := s.application(tenantA, "User.ReadWrite.All")
	n := 0
	// newPosition and newUser make what a destructive request consumes: a
	// position of A1 visible to the organization, or a user of tenant A.
	newPosition := func() string {
		return s.create(owner, "/me", `{"allowedAudiences":"organization"}`)["id"].(string)
	}
	newUser := func() string {
		n++
		return s.do(request{method: http.MethodPost, path: "/beta/users", token: admin,
			body: `{"displayName":"T","userPrincipalName":"target` + strconv.Itoa(n) + `@contoso.test"}`}).json(t)["id"].(string)
	}
	positions := "/beta/users/" + userA1 + "/profile/positions"
	s.do(request{path: "/beta/me", token: owner}) // A1 exists from the start
	endpoints := []struct {
		name string
		req  func() request
		want []int // per caller, in the order of callers
	}{
		{"list positions", func() request { return request{path: positions} },
			[]int{200, 403, 200, 404, 200, 403, 401}},
		{"count positions", func() request { return request{path: positions + "/$count"} },
			[]int{200, 403, 200, 404, 200, 403, 401}},
		{"get a position", func() request { return request{path: positions + "/" + newPosition()} },
			[]int{200, 403, 200, 404, 200, 403, 401}},
		{"create a position", func() request { return request{method: http.MethodPost, path: positions, body: `{}`} },
			[]int{201, 403, 201, 404, 403, 403, 401}},
		{"update a position", func() request {
			return request{method: http.MethodPatch, path: positions + "/" + newPosition(), body: `{"isCurrent":true}`}
		}, []int{200, 403, 200, 404, 200, 403, 401}},
		{"delete a position", func() request { return request{method: http.MethodDelete, path: positions + "/" + newPosition()} },
			[]int{204, 403, 204, 404, 204, 403, 401}},
		{"list users", func() request { return request{path: "/beta/users"} },
			[]int{403, 403, 200, 200, 200, 403, 401}},
		{"create a user", func() request {
			n++
			return request{method: http.MethodPost, path: "/beta/users", body: `{"displayName":"N","userPrincipalName":"new` + strconv.Itoa(n) + `@contoso.test"}`}
		}, []int{403, 403, 201, 201, 201, 403, 401}},
		{"get a user", func() request { return request{path: "/beta/users/" + userA1} },
			[]int{200, 403, 200, 404, 200, 403, 401}},
		// jobTitle is the directory's to change, not the user's.
		{"update a user", func() request {
			return request{method: http.MethodPatch, path: "/beta/users/" + userA1, body: `{"jobTitle":"x"}`}
		},
			[]int{403, 403, 204, 404, 204, 403, 401}},
		{"update a user, no property", func() request {
			return request{method: http.MethodPatch, path: "/beta/users/" + userA1, body: `{}`}
		},
			[]int{204, 403, 204, 404, 204, 403, 401}},
		{"delete a user", func() request { return request{method: http.MethodDelete, path: "/beta/users/" + newUser()} },
			[]int{403, 403, 204, 404, 204, 403, 401}},
		{"get /me", func() request { return request{path: "/beta/me"} },
			[]int{200, 200, 200, 200, 400, 400, 401}},
	}
	for _, e := range endpoints {
		for i, c := range callers {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				req := e.req()
				req.token = c.token
				resp := s.do(req)
				if resp.status != e.want[i] {
					t.Fatalf("status %d, want %d: %s", resp.status, e.want[i], resp.body)
				}
				if resp.status >= 400 {
					checkEnvelope(t, resp)
				}
			})
		}
	}
}
