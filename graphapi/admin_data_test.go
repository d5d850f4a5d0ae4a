package graphapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAdminData: GET /_admin/tenants counts each tenant's users,
// /_admin/users lists a tenant's users as stored, and GET /_admin/fixtures
// exports what the store holds, items of every audience included, as a
// document POST /_admin/fixtures loads again.
func TestAdminData(t *testing.T) {
	s, _ := newAdminServer(t)
	doc := `{"tenants":[
  {"id":"` + tenantA + `","users":[
    {"id":"` + userA1 + `","displayName":"Ada","userPrincipalName":"ada@a.test","jobTitle":"Analyst","profile":{
      "positions":[{"id":"p-org","allowedAudiences":"organization","detail":{"jobTitle":"Shown"}},
                   {"id":"p-me","allowedAudiences":"me","detail":{"jobTitle":"Hidden"}}],
      "skills":[{"id":"s-1","displayName":"Go"}]}},
    {"id":"` + userA2 + `","displayName":"Alan","userPrincipalName":"alan@a.test"}]},
  {"id":"` + tenantB + `","users":[{"id":"` + userB1 + `","displayName":"Bea","userPrincipalName":"bea@b.test"}]}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: doc}); resp.status != http.StatusNoContent {
		t.Fatalf("loading: %d %s", resp.status, resp.body)
	}
	admin := func(path string) *response {
		t.Helper()
		return s.do(request{path: path, token: adminToken})
	}

	var tenants struct {
		Tenants []struct {
			TenantID, ID, Issuer string
			UserCount            int
		}
	}
	decodeAdminJSON(t, admin("/_admin/tenants"), &tenants)
	if len(tenants.Tenants) != 2 {
		t.Fatalf("tenants %+v, want 2", tenants.Tenants)
	}
	for i, want := range []struct {
		id    string
		users int
	}{{tenantA, 2}, {tenantB, 1}} {
		got := tenants.Tenants[i]
		if got.TenantID != want.id || got.ID != want.id || got.Issuer != "" || got.UserCount != want.users {
			t.Errorf("tenant %d: %+v, want %s with %d users", i, got, want.id, want.users)
		}
	}

	var users struct {
		Users []map[string]any
		After string
	}
	decodeAdminJSON(t, admin("/_admin/users?tenantId="+tenantA), &users)
	if len(users.Users) != 2 || users.Users[0]["id"] != userA1 || users.Users[0]["displayName"] != "Ada" ||
		users.Users[0]["jobTitle"] != "Analyst" || users.Users[1]["userPrincipalName"] != "alan@a.test" || users.After != "" {
		t.Errorf("users of tenant A: %+v", users)
	}
	decodeAdminJSON(t, admin("/_admin/users?tenantId="+tenantA+"&after="+userA1), &users)
	if len(users.Users) != 1 || users.Users[0]["id"] != userA2 {
		t.Errorf("users of tenant A after %s: %+v", userA1, users.Users)
	}
	decodeAdminJSON(t, admin("/_admin/users?tenantId=nobody"), &users)
	if len(users.Users) != 0 {
		t.Errorf("users of a tenant nobody has: %+v", users.Users)
	}

	// One user's data as stored: the position only its owner sees too.
	var one struct {
		Tenants []struct {
			ID    string
			Users []struct {
				ID      string
				Profile map[string][]map[string]any
			}
		}
	}
	exported := admin("/_admin/fixtures?tenantId=" + tenantA + "&userId=" + userA1)
	if ct := exported.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	decodeAdminJSON(t, exported, &one)
	if len(one.Tenants) != 1 || one.Tenants[0].ID != tenantA || len(one.Tenants[0].Users) != 1 || one.Tenants[0].Users[0].ID != userA1 {
		t.Fatalf("the export of %s: %s", userA1, exported.body)
	}
	// A GUID names its user in any case, as /users/{id} and a fixtures
	// file's ids do (a file's "A1A1…" is the user a1a1…).
	upper := admin("/_admin/fixtures?tenantId=" + tenantA + "&userId=" + strings.ToUpper(userA1))
	if upper.status != http.StatusOK || !strings.Contains(string(upper.body), userA1) {
		t.Errorf("the export of %s in upper case: %d %s", userA1, upper.status, upper.body)
	}
	profile := one.Tenants[0].Users[0].Profile
	if len(profile["positions"]) != 2 || profile["positions"][1]["id"] != "p-me" || profile["positions"][1]["allowedAudiences"] != "me" || len(profile["skills"]) != 1 {
		t.Errorf("the exported profile: %v", profile)
	}
	decodeAdminJSON(t, admin("/_admin/fixtures?tenantId="+tenantB), &one)
	if len(one.Tenants) != 1 || len(one.Tenants[0].Users) != 1 || one.Tenants[0].Users[0].ID != userB1 {
		t.Errorf("the export of tenant B: %+v", one)
	}

	// A tenant nobody has exports no tenant (docs/admin-api.md), not one
	// without users.
	if got := admin("/_admin/fixtures?tenantId=nobody"); got.status != http.StatusOK || strings.Join(strings.Fields(string(got.body)), "") != `{"tenants":[]}` {
		t.Errorf("the export of a tenant nobody has: %d %s", got.status, got.body)
	}

	// The whole store, reset and loaded again, exports the same.
	all := admin("/_admin/fixtures")
	if all.status != http.StatusOK || strings.Count(string(all.body), `"displayName"`) < 3 {
		t.Fatalf("the whole export: %d %s", all.status, all.body)
	}
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/reset", token: adminToken}); resp.status != http.StatusNoContent {
		t.Fatalf("reset: %d", resp.status)
	}
	if got := admin("/_admin/fixtures"); strings.Join(strings.Fields(string(got.body)), "") != `{"tenants":[]}` {
		t.Errorf("the export of an empty store: %s", got.body)
	}
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: string(all.body)}); resp.status != http.StatusNoContent {
		t.Fatalf("loading the export: %d %s", resp.status, resp.body)
	}
	if again := admin("/_admin/fixtures"); string(again.body) != string(all.body) {
		t.Errorf("the export of the export differs:\n%s\nwant\n%s", again.body, all.body)
	}

	for _, tc := range []struct {
		name, path string
		status     int
		code       string
		message    string
	}{
		{"users without a tenant", "/_admin/users", 400, "BadRequest",
			"Name the tenant: ?tenantId= (a tenantId of GET /_admin/tenants)."},
		{"users, an unknown parameter", "/_admin/users?tenantId=" + tenantA + "&top=1", 400, "BadRequest",
			"The query parameter 'top' is not supported by GET /_admin/users."},
		{"a user without a tenant", "/_admin/fixtures?userId=" + userA1, 400, "BadRequest",
			"?userId= needs ?tenantId=, the user's tenant."},
		// An empty value is what a test sends whose variable is unset: it
		// names nobody, and must not export every tenant (or every user).
		{"users, an empty tenant", "/_admin/users?tenantId=", 400, "BadRequest",
			"Name the tenant: ?tenantId= (a tenantId of GET /_admin/tenants)."},
		{"fixtures, an empty tenant", "/_admin/fixtures?tenantId=", 400, "BadRequest",
			"The tenantId is empty. Name the tenant (a tenantId of GET /_admin/tenants), or leave ?tenantId= out to export every tenant."},
		{"fixtures, an empty tenant and a user", "/_admin/fixtures?tenantId=&userId=" + userA1, 400, "BadRequest",
			"The tenantId is empty. Name the tenant (a tenantId of GET /_admin/tenants), or leave ?tenantId= out to export every tenant."},
		{"fixtures, an empty user", "/_admin/fixtures?tenantId=" + tenantA + "&userId=", 400, "BadRequest",
			"The userId is empty. Name the user (an id or user principal name), or leave ?userId= out to export the whole tenant."},
		{"a user the tenant has not", "/_admin/fixtures?tenantId=" + tenantB + "&userId=" + userA1, 404, "Request_ResourceNotFound",
			"The tenant 'bbbbbbbb-0000-4000-8000-00000000000b' has no user 'a1a1a1a1-0000-4000-8000-0000000000a1'."},
		// A key no store holds: PostgreSQL's text cannot even compare
		// it (a 500 there, while SQLite answered an empty page).
		{"users after invalid UTF-8", "/_admin/users?tenantId=" + tenantA + "&after=zz%C3", 400, "BadRequest",
			"The query parameter 'after' holds a NUL character or invalid UTF-8, which no id has."},
		{"users of a tenant with a NUL", "/_admin/users?tenantId=a%00b", 400, "BadRequest",
			"The query parameter 'tenantId' holds a NUL character or invalid UTF-8, which no id has."},
		{"fixtures of a user of invalid UTF-8", "/_admin/fixtures?tenantId=" + tenantA + "&userId=%FF", 400, "BadRequest",
			"The query parameter 'userId' holds a NUL character or invalid UTF-8, which no id has."},
		{"tenants, a parameter", "/_admin/tenants?tenantId=" + tenantA, 400, "BadRequest",
			"The query parameter 'tenantId' is not supported by GET /_admin/tenants."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := expectError(t, admin(tc.path), tc.status, tc.code); msg != tc.message {
				t.Errorf("message %q, want %q", msg, tc.message)
			}
		})
	}
	if msg := expectError(t, s.do(request{path: "/_admin/tenants", token: s.delegated(tenantA, userA1, "User.ReadWrite.All")}), 401, "InvalidAuthenticationToken"); msg != "The admin API needs the server's admin token (serve --admin-token) as a bearer token." {
		t.Errorf("/_admin/tenants with a Graph token: message %q", msg)
	}
	if got := s.do(request{method: http.MethodDelete, path: "/_admin/fixtures", token: adminToken}).header.Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow of /_admin/fixtures %q, want GET, POST", got)
	}
}

// decodeAdminJSON decodes a 200's JSON body into v.
func decodeAdminJSON(t *testing.T, resp *response, v any) {
	t.Helper()
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.status, resp.body)
	}
	if err := json.Unmarshal(resp.body, v); err != nil {
		t.Fatalf("%v: %s", err, resp.body)
	}
}

// TestAdminUsersPagesOfAThousand: GET /_admin/users answers at
// most 1000 users a page, then "after" names where the next begins.
func TestAdminUsersPagesOfAThousand(t *testing.T) {
	s, _ := newAdminServer(t)
	var users []string
	for i := range 1001 {
		users = append(users, fmt.Sprintf(`{"displayName":"U%04d","userPrincipalName":"u%04d@contoso.com"}`, i, i))
	}
	body := `{"tenants":[{"id":"` + tenantA + `","users":[` + strings.Join(users, ",") + `]}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: body}); resp.status != http.StatusNoContent {
		t.Fatalf("loading: %d %s", resp.status, resp.body)
	}
	resp := s.do(request{path: "/_admin/users?tenantId=" + tenantA, token: adminToken})
	var page struct {
		Users []json.RawMessage `json:"users"`
		After string            `json:"after"`
	}
	if err := json.Unmarshal(resp.body, &page); err != nil || resp.status != http.StatusOK {
		t.Fatalf("GET /_admin/users: %d %v %.200s", resp.status, err, resp.body)
	}
	if len(page.Users) != 1000 || page.After == "" {
		t.Errorf("first page: %d users, after %q; want 1000 and an after", len(page.Users), page.After)
	}
}

// TestAdminTenantsOfAnIssuer: a tenant of an --issuer is listed under the
// key reset takes (tid|issuer), with id and issuer as its two parts
// (docs/admin-api.md, GET /_admin/tenants).
func TestAdminTenantsOfAnIssuer(t *testing.T) {
	s, _ := newAdminServer(t)
	const issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
	doc := `{"tenants":[{"id":"` + tenantA + `","issuer":"` + issuer + `","users":[{"displayName":"Grace","userPrincipalName":"grace@a.test"}]}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: doc}); resp.status != http.StatusNoContent {
		t.Fatalf("loading: %d %s", resp.status, resp.body)
	}
	var tenants struct {
		Tenants []map[string]any
	}
	decodeAdminJSON(t, s.do(request{path: "/_admin/tenants", token: adminToken}), &tenants)
	want := map[string]any{"tenantId": tenantA + "|" + issuer, "id": tenantA, "issuer": issuer, "userCount": float64(1)}
	if len(tenants.Tenants) != 1 || fmt.Sprint(tenants.Tenants[0]) != fmt.Sprint(want) {
		t.Errorf("tenants %v, want [%v]", tenants.Tenants, want)
	}
}
