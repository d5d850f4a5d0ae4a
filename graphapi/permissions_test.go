package graphapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/token"
)

// TestPermissionMatrix walks every cell of the permission matrix over HTTP:
// each operation, each kind of caller, each permission, on the caller's own
// profile and on another user's.
func TestPermissionMatrix(t *testing.T) {
	// The matrix of the workPosition API issue, as written there.
	matrix := map[string]map[string]string{
		"list":   {"work": "User.Read User.ReadWrite User.ReadBasic.All User.Read.All User.ReadWrite.All", "personal": "User.Read User.ReadWrite", "app": "User.Read.All User.ReadWrite.All"},
		"get":    {"work": "User.Read User.ReadWrite User.ReadBasic.All User.Read.All User.ReadWrite.All", "personal": "User.Read User.ReadWrite", "app": "User.Read.All User.ReadWrite.All"},
		"create": {"work": "User.ReadWrite User.ReadWrite.All", "personal": "User.ReadWrite", "app": ""},
		// The Update workPosition page gives personal accounts
		// User.ReadWrite.All too (on their own profile only), the others not.
		"update": {"work": "User.ReadWrite User.ReadWrite.All", "personal": "User.ReadWrite User.ReadWrite.All", "app": "User.ReadWrite.All"},
		"delete": {"work": "User.ReadWrite User.ReadWrite.All", "personal": "User.ReadWrite", "app": "User.ReadWrite.All"},
		// The profile: reading it is reading its positions, deleting it is
		// deleting a position.
		"get profile":    {"work": "User.Read User.ReadWrite User.ReadBasic.All User.Read.All User.ReadWrite.All", "personal": "User.Read User.ReadWrite", "app": "User.Read.All User.ReadWrite.All"},
		"delete profile": {"work": "User.ReadWrite User.ReadWrite.All", "personal": "User.ReadWrite", "app": "User.ReadWrite.All"},
	}
	// The AgentIdUser.* scopes that Graph's current rendered pages add as
	// higher privileged permissions for list, get, update and delete are not
	// in the matrix (the contract's Permissions section keeps those
	// pages as background only): they grant nothing.
	permissions := []string{"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Mail.Read", "Directory.Read.All",
		"AgentIdUser.ReadWrite.All", "AgentIdUser.ReadWrite.IdentityParentedBy"}
	tenants := map[string]string{"work": tenantA, "personal": graphprofile.PersonalAccountsTenantID, "app": tenantA}
	const owner, other = userA1, userA2

	s := newTestServer(t)
	for op, kinds := range matrix {
		for kind, allowedList := range kinds {
			allowed := strings.Fields(allowedList)
			tenant := tenants[kind]
			ownerToken := s.delegated(tenant, owner, "User.ReadWrite")
			for _, permission := range permissions {
				for _, own := range []bool{true, false} {
					if kind == "app" && own {
						continue // an app has no profile of its own
					}
					name := fmt.Sprintf("%s/%s/%s/own=%v", op, kind, permission, own)
					t.Run(name, func(t *testing.T) {
						var caller, profile string
						switch {
						case kind == "app":
							caller, profile = s.application(tenant, permission), "/users/"+owner
						case own:
							caller, profile = s.delegated(tenant, owner, permission), "/me"
						default:
							caller, profile = s.delegated(tenant, other, permission), "/users/"+owner
						}
						id := s.create(ownerToken, "/me", `{}`)["id"].(string)
						base := "/beta" + profile + "/profile/positions"
						req, success := map[string]request{
							"list":           {path: base, token: caller},
							"get":            {path: base + "/" + id, token: caller},
							"create":         {method: http.MethodPost, path: base, token: caller, body: `{}`},
							"update":         {method: http.MethodPatch, path: base + "/" + id, token: caller, body: `{"isCurrent":true}`},
							"delete":         {method: http.MethodDelete, path: base + "/" + id, token: caller},
							"get profile":    {path: "/beta" + profile + "/profile", token: caller},
							"delete profile": {method: http.MethodDelete, path: "/beta" + profile + "/profile", token: caller},
						}[op], map[string]int{"list": 200, "get": 200, "create": 201, "update": 200, "delete": 204, "get profile": 200, "delete profile": 204}[op]

						// A personal account reaches only its own profile.
						want := false
						for _, p := range allowed {
							want = want || (p == permission && (own || (strings.HasSuffix(p, ".All") && kind != "personal")))
						}
						resp := s.do(req)
						if want {
							if resp.status != success {
								t.Fatalf("allowed: status %d, want %d: %s", resp.status, success, resp.body)
							}
							checkAllowed(t, s, op, resp, id, ownerToken)
							return
						}
						msg := expectError(t, resp, http.StatusForbidden, "Authorization_RequestDenied")
						if msg != "Insufficient privileges to complete the operation." {
							t.Errorf("message %q", msg)
						}
						// A refused write changed nothing.
						check := s.do(request{path: "/beta/me/profile/positions/" + id, token: ownerToken})
						if check.status != http.StatusOK || check.json(t)["isCurrent"] != nil {
							t.Errorf("refused %s changed the position: %d %s", op, check.status, check.body)
						}
					})
				}
			}
		}
	}
}

// checkAllowed checks what an allowed operation of the matrix answered and
// left behind, read back by the owner: a read answers the position id, a
// create's new position is in the profile, an update's change is stored,
// a delete (of the position or of the whole profile) removed it.
func checkAllowed(t *testing.T, s *testServer, op string, resp *response, id, ownerToken string) {
	t.Helper()
	check := s.do(request{path: "/beta/me/profile/positions/" + id, token: ownerToken})
	switch op {
	case "list":
		if !containsID(resp.json(t)["value"], id) {
			t.Errorf("the list does not hold %s: %s", id, resp.body)
		}
	case "get":
		if got := resp.json(t); got["id"] != id {
			t.Errorf("get answered %s, want the position %s", resp.body, id)
		}
	case "get profile":
		if !containsID(resp.json(t)["positions"], id) {
			t.Errorf("the profile does not hold %s: %s", id, resp.body)
		}
	case "create":
		created, _ := resp.json(t)["id"].(string)
		if got := s.do(request{path: "/beta/me/profile/positions/" + created, token: ownerToken}); got.status != http.StatusOK || got.json(t)["id"] != created {
			t.Errorf("the created position %q does not read back: %d %s", created, got.status, got.body)
		}
	case "update":
		if resp.json(t)["isCurrent"] != true || check.status != http.StatusOK || check.json(t)["isCurrent"] != true {
			t.Errorf("the update answered %s and stored %d %s, want isCurrent true", resp.body, check.status, check.body)
		}
	case "delete", "delete profile":
		if len(resp.body) != 0 {
			t.Errorf("%s answered a body: %s", op, resp.body)
		}
		expectError(t, check, http.StatusNotFound, "itemNotFound")
	}
}

// TestDelegatedTokenRolesGrantNothing: the matrix's rows are told apart by
// the token (docs/permissions.md): one with `scp` is delegated, and its
// permissions are its scopes. Entra puts a signed-in user's app role
// assignments in a delegated token's `roles`; they are no application
// permissions: a delegated token with scp User.Read and roles
// User.ReadWrite.All reads its own profile (as User.Read) and may neither
// write it nor reach another user's (403 Authorization_RequestDenied,
// Graph's words), and /me is its own, not the app-only 400. An empty scp is
// a delegated token with no permission.
func TestDelegatedTokenRolesGrantNothing(t *testing.T) {
	s := newTestServer(t)
	other := s.delegated(tenantA, userA2, "User.ReadWrite")
	otherID := s.create(other, "/me", `{"allowedAudiences":"everyone"}`)["id"].(string)
	now := time.Now()
	signed := func(scp string) string {
		return s.signDev(jwt.MapClaims{
			"iss": token.DevIssuerURL(tenantA), "aud": "https://graph.microsoft.com", "tid": tenantA, "oid": userA1,
			"upn": upnOf(userA1), "appid": appID, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"scp": scp, "roles": []string{"User.ReadWrite.All", "User.Read.All"},
		})
	}
	reader, none := signed("User.Read"), signed("")
	own := s.create(s.delegated(tenantA, userA1, "User.ReadWrite"), "/me", `{}`)["id"].(string)
	others := "/beta/users/" + userA2 + "/profile/positions"
	for _, tc := range []struct {
		name   string
		req    request
		status int
	}{
		{"own list", request{path: "/beta/me/profile/positions", token: reader}, http.StatusOK},
		{"own get", request{path: "/beta/me/profile/positions/" + own, token: reader}, http.StatusOK},
		{"own create", request{method: http.MethodPost, path: "/beta/me/profile/positions", token: reader, body: `{}`}, http.StatusForbidden},
		{"own update", request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + own, token: reader, body: `{"isCurrent":true}`}, http.StatusForbidden},
		{"own delete", request{method: http.MethodDelete, path: "/beta/me/profile/positions/" + own, token: reader}, http.StatusForbidden},
		{"other's list", request{path: others, token: reader}, http.StatusForbidden},
		{"other's update", request{method: http.MethodPatch, path: others + "/" + otherID, token: reader, body: `{"isCurrent":true}`}, http.StatusForbidden},
		{"other's delete", request{method: http.MethodDelete, path: others + "/" + otherID, token: reader}, http.StatusForbidden},
		{"empty scp, own list", request{path: "/beta/me/profile/positions", token: none}, http.StatusForbidden},
		{"empty scp, other's list", request{path: others, token: none}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(tc.req)
			if tc.status == http.StatusOK {
				if resp.status != http.StatusOK {
					t.Fatalf("%d, want 200: %s", resp.status, resp.body)
				}
				return
			}
			if msg := expectError(t, resp, tc.status, "Authorization_RequestDenied"); msg != "Insufficient privileges to complete the operation." {
				t.Errorf("message %q", msg)
			}
		})
	}
	if resp := s.do(request{path: "/beta/me/profile/positions/" + own, token: reader}); resp.status != http.StatusOK || resp.json(t)["isCurrent"] != nil {
		t.Errorf("the refused writes changed the caller's position: %d %s", resp.status, resp.body)
	}
	if resp := s.do(request{path: others + "/" + otherID, token: other}); resp.status != http.StatusOK || resp.json(t)["isCurrent"] != nil {
		t.Errorf("the refused writes changed the other user's position: %d %s", resp.status, resp.body)
	}
}
