package graphapi_test

import (
	"net/http"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/token"
)

// TestIdentityTakeoverRefused replays the attack of a user who renames
// themself to a newcomer's user principal name before the newcomer signs
// in: with only User.ReadWrite, the directory's identity properties are not
// theirs to change, and the newcomer's name stays the newcomer's.
func TestIdentityTakeoverRefused(t *testing.T) {
	s := newTestServer(t)
	attacker := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, body := range []string{
		`{"userPrincipalName":"newhire@contoso.test"}`,
		`{"accountEnabled":false}`,
		`{"mail":"newhire@contoso.test"}`,
		`{"displayName":"New Hire"}`,
		`{"mailNickname":"newhire"}`,
		`{"jobTitle":"CEO"}`,
		`{"givenName":"New","surname":"Hire"}`,
		`{"passwordProfile":{"password":"x"}}`,
	} {
		for _, path := range []string{"/beta/me", "/v1.0/me", "/beta/users/" + userA1, "/beta/users/" + upnOf(userA1)} {
			resp := s.do(request{method: http.MethodPatch, path: path, token: attacker, body: body})
			if msg := expectError(t, resp, http.StatusForbidden, "Authorization_RequestDenied"); msg != "Insufficient privileges to complete the operation." {
				t.Errorf("PATCH %s %s: message %q", path, body, msg)
			}
		}
	}
	// An empty change is no change of identity.
	if resp := s.do(request{method: http.MethodPatch, path: "/beta/me", token: attacker, body: `{}`}); resp.status != http.StatusNoContent {
		t.Errorf("PATCH /me {}: %d %s", resp.status, resp.body)
	}

	// The newcomer signs in: its principal name is its own.
	newcomerID := "0e0e0e0e-0000-4000-8000-00000000000e"
	newcomer, err := s.dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: newcomerID, UserPrincipalName: "newhire@contoso.test",
		DisplayName: "New Hire", Scopes: []string{"User.ReadWrite"}})
	if err != nil {
		t.Fatal(err)
	}
	s.create(newcomer, "/me", `{"allowedAudiences":"me","detail":{"jobTitle":"Private"}}`)
	reader := s.application(tenantA, "User.Read.All")
	if got := s.do(request{path: "/beta/users/newhire@contoso.test", token: reader}).json(t); got["id"] != newcomerID {
		t.Errorf("users/newhire@contoso.test is %v, want the newcomer %s", got["id"], newcomerID)
	}
	if got := s.do(request{path: "/beta/users/" + userA1, token: reader}).json(t); got["userPrincipalName"] != upnOf(userA1) || got["displayName"] != "User a1a1" ||
		got["accountEnabled"] != true || got["mail"] != nil || got["mailNickname"] != nil || got["jobTitle"] != nil || got["givenName"] != nil || got["surname"] != nil {
		t.Errorf("the attacker's own user changed: %v", got)
	}
	// The newcomer's private position is the newcomer's alone.
	expectError(t, s.do(request{path: "/beta/users/newhire@contoso.test/profile/positions", token: attacker}), http.StatusForbidden, "Authorization_RequestDenied")
	mine := s.do(request{path: "/beta/users/newhire@contoso.test/profile/positions", token: newcomer})
	if ids := idsOf(t, mine); len(ids) != 1 {
		t.Errorf("the newcomer lists %v through its principal name", ids)
	}

	// An organisation's administrator may change identity properties.
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	if resp := s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1, token: admin, body: `{"jobTitle":"Buyer","accountEnabled":false}`}); resp.status != http.StatusNoContent {
		t.Errorf("the administrator's PATCH: %d %s", resp.status, resp.body)
	}
	app := s.application(tenantA, "User.ReadWrite.All")
	if resp := s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1, token: app, body: `{"displayName":"Renamed"}`}); resp.status != http.StatusNoContent {
		t.Errorf("the application's PATCH: %d %s", resp.status, resp.body)
	}
	if got := s.do(request{path: "/beta/users/" + userA1, token: reader}).json(t); got["jobTitle"] != "Buyer" || got["accountEnabled"] != false || got["displayName"] != "Renamed" {
		t.Errorf("after the administrator's and the application's PATCH: %v", got)
	}
	// A user principal name is never two users'.
	if msg := expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1, token: admin, body: `{"userPrincipalName":"NEWHIRE@contoso.test"}`}),
		http.StatusBadRequest, "Request_BadRequest"); msg != "Another object with the same value for property userPrincipalName already exists." {
		t.Errorf("a taken userPrincipalName: message %q", msg)
	}
	if got := s.do(request{path: "/beta/users/newhire@contoso.test", token: reader}).json(t); got["id"] != newcomerID {
		t.Errorf("after the refused rename, users/newhire@contoso.test is %v, want the newcomer %s", got["id"], newcomerID)
	}
	if got := s.do(request{path: "/beta/users/" + userA1, token: reader}).json(t); got["userPrincipalName"] != upnOf(userA1) {
		t.Errorf("the refused rename renamed %s: %v", userA1, got)
	}
}

// TestPersonalAccountsReachOnlyTheirOwn checks that in the personal-account
// tenant no scope reaches another person's profile or user, for reading or
// writing, and that the refusal is the same whether that person exists.
func TestPersonalAccountsReachOnlyTheirOwn(t *testing.T) {
	s := newTestServer(t)
	const (
		owner   = "d1d1d1d1-0000-4000-8000-0000000000d1"
		other   = "d2d2d2d2-0000-4000-8000-0000000000d2"
		nobody  = "d3d3d3d3-0000-4000-8000-0000000000d3"
		ownerUP = "user-d1d1@contoso.test"
	)
	personal := graphprofile.PersonalAccountsTenantID
	ownerTok := s.delegated(personal, owner, "User.ReadWrite")
	p := s.create(ownerTok, "/me", `{"allowedAudiences":"everyone","detail":{"jobTitle":"Mine"}}`)
	id := p["id"].(string)
	before := s.do(request{path: "/beta/me/profile/positions/" + id, token: ownerTok}).body

	intruder := s.delegated(personal, other, "User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All")
	for _, target := range []string{owner, ownerUP, nobody, "nobody@contoso.test"} {
		base := "/beta/users/" + target
		for _, req := range []request{
			{path: base},
			{method: http.MethodPatch, path: base, body: `{}`},
			{method: http.MethodDelete, path: base},
			{path: base + "/profile/positions"},
			{path: base + "/profile/positions/$count"},
			{method: http.MethodPost, path: base + "/profile/positions", body: `{}`},
			{path: base + "/profile/positions/" + id},
			{method: http.MethodPatch, path: base + "/profile/positions/" + id, body: `{}`},
			{method: http.MethodPatch, path: base + "/profile/positions/" + id, body: `{"detail":{"jobTitle":"Taken"}}`},
			{method: http.MethodDelete, path: base + "/profile/positions/" + id},
		} {
			req.token = intruder
			t.Run(req.method+" "+req.path, func(t *testing.T) {
				if msg := expectError(t, s.do(req), http.StatusForbidden, "Authorization_RequestDenied"); msg != "Insufficient privileges to complete the operation." {
					t.Errorf("message %q", msg)
				}
			})
		}
	}
	if after := s.do(request{path: "/beta/me/profile/positions/" + id, token: ownerTok}).body; string(after) != string(before) {
		t.Errorf("the owner's position changed:\nbefore %s\nafter  %s", before, after)
	}
	if got := s.do(request{path: "/beta/me", token: ownerTok}); got.status != http.StatusOK || got.json(t)["id"] != owner {
		t.Errorf("the owner's user after the intruder: %d %s", got.status, got.body)
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: ownerTok})); len(ids) != 1 || ids[0] != id {
		t.Errorf("the owner's profile after the intruder holds %v, want only %s", ids, id)
	}
	// The intruder's own profile still works with the same token.
	own := s.create(intruder, "/me", `{"detail":{"jobTitle":"Own"}}`)
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: intruder})); len(ids) != 1 || ids[0] != own["id"] {
		t.Errorf("the intruder's own profile holds %v, want only %v", ids, own["id"])
	}
}

// TestObjectIDNeverShadowsAPrincipalName: /users/{key} finds a user by
// object id first, so a signed-in user whose token's oid were another
// user's principal name would be recorded under that id and answer for
// that user to everyone who names them. An object id holding '@' (every
// principal name does) is refused, and the name stays its owner's.
func TestObjectIDNeverShadowsAPrincipalName(t *testing.T) {
	s := newTestServer(t)
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	victim := upnOf(userA1)
	s.do(request{path: "/beta/me", token: s.delegated(tenantA, userA1, "User.Read")})
	for _, oid := range []string{victim, "Someone.Else@Contoso.Test"} {
		attacker, err := s.dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: oid, UserPrincipalName: "attacker@contoso.test",
			Scopes: []string{"User.ReadWrite"}})
		if err != nil {
			t.Fatal(err)
		}
		expectError(t, s.do(request{path: "/beta/me", token: attacker}), http.StatusUnauthorized, "InvalidAuthenticationToken")
	}
	if got := s.do(request{path: "/beta/users/" + victim, token: admin}).json(t); got["id"] != userA1 {
		t.Errorf("users/%s is %v, want %s", victim, got["id"], userA1)
	}
	reader := s.application(tenantA, "User.Read.All")
	list := s.do(request{path: "/beta/users?$select=id", token: reader})
	if ids := idsOf(t, list); len(ids) != 2 {
		t.Errorf("the directory holds %v, want the two users who signed in with object ids", ids)
	}
}

// TestLookAlikePrincipalNamesAreTwoUsers: the directory tells user
// principal names apart as the stores key them (lower case), so a name that
// only Unicode's case folding makes equal to the caller's ("ſ", the long s,
// folds to "s") is another user's, never the caller's own: the caller gets
// that user (or a refusal), not itself. POST /users takes no such name
// (ASCII alone); an issuer's sign-in may bring one.
func TestLookAlikePrincipalNamesAreTwoUsers(t *testing.T) {
	s := newTestServer(t)
	admin := s.application(tenantA, "User.ReadWrite.All")
	const lookAlike = "\u017fam@contoso.test" // ſam@contoso.test
	if resp := s.do(request{method: http.MethodPost, path: "/beta/users", token: admin,
		body: `{"displayName":"Sam","userPrincipalName":"sam@contoso.test","accountEnabled":true}`}); resp.status != http.StatusCreated {
		t.Fatalf("POST /users sam@contoso.test: %d %s", resp.status, resp.body)
	}
	expectError(t, s.do(request{method: http.MethodPost, path: "/beta/users", token: admin,
		body: `{"displayName":"Sam 2","userPrincipalName":"` + lookAlike + `","accountEnabled":true}`}), http.StatusBadRequest, "Request_BadRequest")
	signIn, err := s.dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: graphprofile.NewGUID(), UserPrincipalName: lookAlike,
		DisplayName: "Sam 2", Scopes: []string{"User.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp := s.do(request{path: "/beta/me", token: signIn}); resp.status != http.StatusOK {
		t.Fatalf("GET /me as %s: %d %s", lookAlike, resp.status, resp.body)
	}
	reader := s.application(tenantA, "User.Read.All")
	samID, _ := s.do(request{path: "/beta/users/sam@contoso.test", token: reader}).json(t)["id"].(string)
	otherID, _ := s.do(request{path: "/beta/users/" + lookAlike, token: reader}).json(t)["id"].(string)
	if samID == "" || otherID == "" || samID == otherID {
		t.Fatalf("sam is %q and the look-alike %q: want two users", samID, otherID)
	}
	sam, err := s.dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: samID, UserPrincipalName: "sam@contoso.test",
		DisplayName: "Sam", Scopes: []string{"User.Read", "User.ReadBasic.All"}})
	if err != nil {
		t.Fatal(err)
	}
	s.create(s.delegated(tenantA, samID, "User.ReadWrite"), "/me", `{"detail":{"jobTitle":"Sam's own"}}`)
	// Sam's own profile is not the look-alike's: sam may read it with
	// User.Read only as its own, so the answer is the other user's (empty) list
	// or a refusal, never sam's position.
	resp := s.do(request{path: "/beta/users/" + lookAlike + "/profile/positions", token: sam})
	if resp.status == http.StatusOK {
		if ids := idsOf(t, resp); len(ids) != 0 {
			t.Errorf("users/%s/profile/positions as sam lists %v: sam's own positions under another user's name", lookAlike, ids)
		}
	}
	if got := s.do(request{path: "/beta/users/" + lookAlike, token: sam}).json(t); got["id"] == samID {
		t.Errorf("users/%s as sam answers sam itself: %v", lookAlike, got)
	}
}
