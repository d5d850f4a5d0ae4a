package graphapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
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
	// effects check what a request left behind, read by someone allowed
	// to: what succeeded is done, what was refused changed nothing.
	reread := func(t *testing.T, path string) *response {
		t.Helper()
		return s.do(request{path: path, token: admin})
	}
	countA1 := func(t *testing.T) string {
		t.Helper()
		return string(reread(t, positions+"/$count").body)
	}
	var before string // A1's count of positions before a create
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
		{"create a position", func() request {
			before = countA1(t)
			return request{method: http.MethodPost, path: positions, body: `{}`}
		},
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
			n++
			return request{method: http.MethodPatch, path: "/beta/users/" + userA1, body: `{"jobTitle":"x` + strconv.Itoa(n) + `"}`}
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
	effects := map[string]func(t *testing.T, req request, resp *response){
		"get a position": func(t *testing.T, req request, resp *response) {
			if resp.status == http.StatusOK && "/beta/users/"+userA1+"/profile/positions/"+resp.json(t)["id"].(string) != req.path {
				t.Errorf("got %s for %s", resp.body, req.path)
			}
		},
		"create a position": func(t *testing.T, req request, resp *response) {
			after := countA1(t)
			if resp.status != http.StatusCreated {
				if after != before {
					t.Errorf("a refused create changed A1's count of positions from %s to %s", before, after)
				}
				return
			}
			id, _ := resp.json(t)["id"].(string)
			if got := reread(t, positions+"/"+id); got.status != http.StatusOK || got.json(t)["id"] != id {
				t.Errorf("the created position %q does not read back: %d %s", id, got.status, got.body)
			}
		},
		"update a position": func(t *testing.T, req request, resp *response) {
			got := reread(t, req.path)
			if want := map[bool]any{true: true, false: nil}[resp.status == http.StatusOK]; got.status != http.StatusOK || got.json(t)["isCurrent"] != want {
				t.Errorf("after %d, the position reads %d %s, want isCurrent %v", resp.status, got.status, got.body, want)
			}
			if resp.status == http.StatusOK && resp.json(t)["isCurrent"] != true {
				t.Errorf("the update answered %s, without its change", resp.body)
			}
		},
		"delete a position": func(t *testing.T, req request, resp *response) {
			if got, want := reread(t, req.path).status, map[bool]int{true: 404, false: 200}[resp.status == http.StatusNoContent]; got != want {
				t.Errorf("after %d, the position reads %d, want %d", resp.status, got, want)
			}
		},
		"create a user": func(t *testing.T, req request, resp *response) {
			upn := "new" + strconv.Itoa(n) + "@contoso.test"
			if resp.status != http.StatusCreated {
				if got := reread(t, "/beta/users/"+upn); got.status != http.StatusNotFound {
					t.Errorf("a refused create made %s: %d %s", upn, got.status, got.body)
				}
				return
			}
			if got := resp.json(t); got["userPrincipalName"] != upn || !guidPattern.MatchString(fmt.Sprint(got["id"])) {
				t.Errorf("the created user is %s, want %s with an id", resp.body, upn)
			}
		},
		"update a user": func(t *testing.T, req request, resp *response) {
			got := reread(t, "/beta/users/"+userA1).json(t)["jobTitle"]
			if want := "x" + strconv.Itoa(n); (resp.status == http.StatusNoContent) != (got == want) {
				t.Errorf("after %d, A1's jobTitle is %v (the request set %s)", resp.status, got, want)
			}
		},
		"delete a user": func(t *testing.T, req request, resp *response) {
			if got, want := reread(t, req.path).status, map[bool]int{true: 404, false: 200}[resp.status == http.StatusNoContent]; got != want {
				t.Errorf("after %d, the user reads %d, want %d", resp.status, got, want)
			}
		},
		"get /me": func(t *testing.T, req request, resp *response) {
			if resp.status == http.StatusOK && !slices.Contains([]string{userA1, userA2, userB1}, fmt.Sprint(resp.json(t)["id"])) {
				t.Errorf("/me is %s", resp.body)
			}
		},
	}
	// Each refusal is Graph's error for its status, in Graph's words; the
	// 404 names the user as the path gave it.
	refusals := map[int]struct{ code, message string }{
		400: {"BadRequest", "/me request is only valid with delegated authentication flow."},
		401: {"InvalidAuthenticationToken", "Access token is empty."},
		403: {"Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		404: {"Request_ResourceNotFound", "Resource '%s' does not exist or one of its queried reference-property objects are not present."},
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
					want := refusals[resp.status]
					if resp.status == http.StatusNotFound {
						want.message = fmt.Sprintf(want.message, strings.Split(req.path, "/")[3])
					}
					if msg := expectError(t, resp, resp.status, want.code); msg != want.message {
						t.Errorf("message %q, want %q", msg, want.message)
					}
				}
				if effect := effects[e.name]; effect != nil {
					effect(t, req, resp)
				}
			})
		}
	}
}
