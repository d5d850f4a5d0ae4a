package graphapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/graphprofile/graphprofile/token"
)

// TestApplicationClaimsHeldToTheirLimits: what an application changes
// records the application in the item (lastModifiedBy.application: its
// display name, from app_displayname or name, and its id, from appid or
// azp), so a change is refused, 400 and nothing written, when those claims
// do not fit what an item holds of an identity (1,024 characters, no NUL),
// as a signed-in user's name, upn and oid are held to the directory's; the
// token's reads, which record nothing, are served. Before, an application
// token whose app_displayname held a NUL (or 2,000 characters) wrote it
// into the items it changed, and an export of the profile no longer loaded
// back (the fixtures' decoder refuses it).
func TestApplicationClaimsHeldToTheirLimits(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(owner, "/me", `{"detail":{"jobTitle":"Engineer"}}`)["id"].(string)
	itemPath := "/beta/users/" + userA1 + "/profile/positions/" + id

	now := time.Now()
	app := func(edit func(jwt.MapClaims)) string {
		claims := jwt.MapClaims{
			"iss": token.DevIssuerURL(tenantA), "aud": "https://graph.microsoft.com", "tid": tenantA,
			"appid": appID, "app_displayname": "Test App", "roles": []string{"User.ReadWrite.All"},
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
		edit(claims)
		return s.signDev(claims)
	}
	long := strings.Repeat("é", 1025)
	tests := []struct {
		name  string
		edit  func(jwt.MapClaims)
		claim string
	}{
		{"a NUL in app_displayname", func(c jwt.MapClaims) { c["app_displayname"] = "evil\x00app" }, "app_displayname"},
		{"a NUL in name, without app_displayname", func(c jwt.MapClaims) { delete(c, "app_displayname"); c["name"] = "evil\x00app" }, "app_displayname"},
		{"app_displayname of 1025 characters", func(c jwt.MapClaims) { c["app_displayname"] = long }, "app_displayname"},
		{"a NUL in appid", func(c jwt.MapClaims) { c["appid"] = "c0c0\x00" }, "appid"},
		{"azp of 1025 characters", func(c jwt.MapClaims) { delete(c, "appid"); c["azp"] = long }, "appid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := app(tc.edit)
			msg := expectError(t, s.do(request{method: http.MethodPatch, path: itemPath, token: tok, body: `{"isCurrent":true}`}), http.StatusBadRequest, "BadRequest")
			if !strings.HasPrefix(msg, "The access token's "+tc.claim) {
				t.Errorf("PATCH: message %q, want one about the %s claim", msg, tc.claim)
			}
			for _, path := range []string{itemPath, "/beta/users"} {
				if resp := s.do(request{path: path, token: tok}); resp.status != http.StatusOK {
					t.Errorf("GET %s: %d %s, want 200", path, resp.status, resp.body)
				}
			}
		})
	}
	// Nothing was written: the item is as its owner left it.
	got := s.do(request{path: "/beta/me/profile/positions/" + id, token: owner}).json(t)
	if by := get(got, "lastModifiedBy", "application"); by != nil || got["isCurrent"] != nil {
		t.Errorf("after the refused changes: lastModifiedBy.application %v, isCurrent %v; want both null", by, got["isCurrent"])
	}
	// At the limits, the application changes the item and is recorded.
	atLimit := strings.Repeat("é", 1024)
	resp := s.do(request{method: http.MethodPatch, path: itemPath, token: app(func(c jwt.MapClaims) { c["app_displayname"] = atLimit; c["appid"] = atLimit }), body: `{"isCurrent":true}`})
	if resp.status != http.StatusOK {
		t.Fatalf("PATCH at the limits: %d %s", resp.status, resp.body)
	}
	if name := get(resp.json(t), "lastModifiedBy", "application", "displayName"); name != atLimit {
		t.Errorf("lastModifiedBy.application.displayName %.20v…, want the token's", name)
	}
}
