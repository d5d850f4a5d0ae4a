package graphapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/graphprofile/graphprofile/token"
)

// TestPermissionNamesAreASCII: a token's permissions are OAuth scope
// tokens (RFC 6749 3.3: printable ASCII, separated by spaces) and are
// compared ignoring ASCII case only. A name that only Unicode's case
// folding makes a permission ("Uſer.ReadWrite.All", with U+017F LATIN
// SMALL LETTER LONG S, which folds to "s"), or two names joined by a
// whitespace character other than the space (U+00A0, a tab), is another
// name, which grants nothing: an issuer that lets its admins or users name
// scopes and roles freely would otherwise sign a token read as holding
// User.ReadWrite.All. Before, the long s was taken for User.ReadWrite.All
// (strings.EqualFold) and "User.Read\u00a0User.ReadWrite.All" for both
// (strings.Fields): either deleted another user's profile.
func TestPermissionNamesAreASCII(t *testing.T) {
	s := newTestServer(t)
	victim := s.delegated(tenantA, userA2, "User.ReadWrite")
	s.create(victim, "/me", `{"detail": {"jobTitle": "Engineer"}, "allowedAudiences": "organization"}`)

	now := time.Now()
	// signed is a token of userA1 whose claims are edited by edit; the
	// development issuer's Mint refuses such names, an issuer need not.
	signed := func(edit func(jwt.MapClaims)) string {
		claims := jwt.MapClaims{
			"iss": token.DevIssuerURL(tenantA), "aud": "https://graph.microsoft.com", "tid": tenantA, "oid": userA1,
			"upn": upnOf(userA1), "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
		edit(claims)
		return s.signDev(claims)
	}
	scopes := func(scp string) string { return signed(func(c jwt.MapClaims) { c["scp"] = scp }) }
	roles := func(roles ...string) string {
		return signed(func(c jwt.MapClaims) { delete(c, "oid"); c["appid"] = appID; c["roles"] = roles })
	}

	victimItems := "/beta/users/" + userA2 + "/profile/positions"
	tests := []struct {
		name   string
		token  string
		method string
		path   string
		status int
	}{
		{"long s in a delegated permission, read", scopes("U\u017fer.ReadWrite.All"), http.MethodGet, victimItems, http.StatusForbidden},
		{"long s in a delegated permission, delete", scopes("U\u017fer.ReadWrite.All"), http.MethodDelete, "/beta/users/" + userA2 + "/profile", http.StatusForbidden},
		{"long s in User.ReadBasic.All", scopes("User.ReadBa\u017fic.All"), http.MethodGet, victimItems, http.StatusForbidden},
		{"long s in an application role", roles("U\u017fer.Read.All"), http.MethodGet, victimItems, http.StatusForbidden},
		{"scopes joined by a no-break space", scopes("User.Read\u00a0User.ReadWrite.All"), http.MethodGet, victimItems, http.StatusForbidden},
		{"scopes joined by an em space", scopes("User.Read\u2003User.ReadWrite.All"), http.MethodGet, victimItems, http.StatusForbidden},
		{"scopes joined by a next line", scopes("User.Read\u0085User.ReadWrite.All"), http.MethodGet, victimItems, http.StatusForbidden},
		{"scopes joined by a tab", scopes("User.Read\tUser.ReadWrite.All"), http.MethodGet, victimItems, http.StatusForbidden},
		// What is a scope token still counts, in any ASCII case and
		// however many spaces separate it from the others.
		{"ASCII case ignored", scopes("user.readwrite.all"), http.MethodGet, victimItems, http.StatusOK},
		{"ASCII case ignored in a role", roles("USER.READ.ALL"), http.MethodGet, victimItems, http.StatusOK},
		{"spaces around and between", scopes("  User.Read   User.ReadWrite.All "), http.MethodGet, victimItems, http.StatusOK},
		{"own profile with a scope after a tab", scopes("User.Read\tx"), http.MethodGet, "/beta/me/profile/positions", http.StatusForbidden},
		{"own profile with the scope alone", scopes("User.Read"), http.MethodGet, "/beta/me/profile/positions", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(request{method: tc.method, path: tc.path, token: tc.token})
			if resp.status != tc.status {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, resp.status, tc.status, resp.body)
			}
			if tc.status == http.StatusForbidden {
				expectError(t, resp, http.StatusForbidden, "Authorization_RequestDenied")
			}
		})
	}
	// Nothing of the victim's profile went.
	resp := s.do(request{path: "/beta/me/profile/positions", token: victim})
	if got := len(resp.json(t)["value"].([]any)); got != 1 {
		t.Errorf("the victim's profile holds %d positions, want 1", got)
	}
}
