package graphapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// Claims of the Graph contract's operations on positions and of the
// profile entity (graph-profile-positions.md, sections 4 and 5) that no
// other test pins by themselves.

// TestDeleteTakesAnyOrNoContentType: Graph's Delete workPosition page lists
// "Content-Type: application/json. Required." among its request headers
// though a DELETE has no body; the contract says not to enforce it. A
// DELETE of a position, or of the whole profile, with that header, with
// another media type or without one is 204 with no body (and so no
// Content-Type or OData-Version), and what it named is gone.
func TestDeleteTakesAnyOrNoContentType(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, contentType := range []string{"application/json", "text/plain", ""} {
		t.Run("Content-Type "+contentType, func(t *testing.T) {
			id := s.create(tok, "/me", `{}`)["id"].(string)
			path := "/beta/me/profile/positions/" + id
			resp := s.do(request{method: http.MethodDelete, path: path, token: tok, header: map[string]string{"Content-Type": contentType}})
			if resp.status != http.StatusNoContent || len(resp.body) != 0 {
				t.Fatalf("DELETE of the position: %d %q, want 204 and no body", resp.status, resp.body)
			}
			checkCommonHeaders(t, resp)
			// decisions.md: "a 204 has neither body nor OData-Version".
			for _, name := range []string{"Content-Type", "OData-Version"} {
				if got := resp.header.Values(name); len(got) != 0 {
					t.Errorf("the 204 carries %s %q", name, got)
				}
			}
			if msg := expectError(t, s.do(request{path: path, token: tok}), http.StatusNotFound, "itemNotFound"); msg != "The workPosition '"+id+"' does not exist in this profile." {
				t.Errorf("GET of the deleted position: message %q", msg)
			}

			s.create(tok, "/me", `{}`)
			resp = s.do(request{method: http.MethodDelete, path: "/beta/me/profile", token: tok, header: map[string]string{"Content-Type": contentType}})
			if resp.status != http.StatusNoContent || len(resp.body) != 0 {
				t.Fatalf("DELETE of the profile: %d %q, want 204 and no body", resp.status, resp.body)
			}
			if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 0 {
				t.Errorf("positions after DELETE of the profile: %v, want none", ids)
			}
		})
	}
}

// TestUpdateSetsSource: the Update workPosition page's property table
// leaves out `source`, which the create table has; docs/decisions.md makes
// every property but the five server-managed ones client-settable ("the
// issue names the five server-managed properties and says client-settable:
// the rest"), so a PATCH sets it as a POST does: in the docs' older
// personDataSource form (with or without its @odata.type) or the Prod
// schema's, answered and stored in the Prod form, and null clears it.
func TestUpdateSetsSource(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	created := s.create(tok, "/me", `{"source":{"type":"LinkedIn"}}`)
	if got := jsonOf(created["source"]); got != `{"type":["LinkedIn"]}` {
		t.Errorf("created source %s, want {\"type\":[\"LinkedIn\"]}", got)
	}
	path := "/beta/me/profile/positions/" + created["id"].(string)
	for _, tc := range []struct{ body, want string }{
		{`{"source":{"type":"HR"}}`, `{"type":["HR"]}`},
		{`{"source":{"@odata.type":"#microsoft.graph.personDataSource","type":"Sync"}}`, `{"type":["Sync"]}`},
		{`{"source":{"type":["User","Sync"]}}`, `{"type":["User","Sync"]}`},
		{`{"source":null}`, `null`},
	} {
		resp := s.do(request{method: http.MethodPatch, path: path, token: tok, body: tc.body})
		if resp.status != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", tc.body, resp.status, resp.body)
		}
		if got := jsonOf(resp.json(t)["source"]); got != tc.want {
			t.Errorf("PATCH %s answered source %s, want %s", tc.body, got, tc.want)
		}
		if got := jsonOf(s.do(request{path: path, token: tok}).json(t)["source"]); got != tc.want {
			t.Errorf("after PATCH %s, source reads %s, want %s", tc.body, got, tc.want)
		}
	}
}

// TestPersonalAccountOnEveryOwnRoot: "/me vs /users/{id | userPrincipalName}"
// for a personal Microsoft account: its own object id and principal name
// (in any case) name its own profile as /me does, for every operation of the
// Create and Update workPosition pages' personal-account row (User.ReadWrite)
// and of list, get and delete; the answers are rooted at its object id.
func TestPersonalAccountOnEveryOwnRoot(t *testing.T) {
	s := newTestServer(t)
	const user = "e1e1e1e1-0000-4000-8000-0000000000e1"
	tok := s.delegated(graphprofile.PersonalAccountsTenantID, user, "User.ReadWrite")
	entity := s.url + "/beta/$metadata#users('" + user + "')/profile/positions/$entity"
	for _, root := range []string{"/me", "/users/" + user, "/users/" + upnOf(user), "/users/" + strings.ToUpper(upnOf(user))} {
		t.Run(root, func(t *testing.T) {
			base := "/beta" + root + "/profile/positions"
			created := s.createAt(t, base, tok, `{"isCurrent":true}`, user)
			id, _ := created["id"].(string)
			if created["@odata.context"] != entity || get(created, "createdBy", "user", "id") != user {
				t.Errorf("create answered context %v, createdBy %v", created["@odata.context"], created["createdBy"])
			}
			if ids := idsOf(t, s.do(request{path: base, token: tok})); len(ids) != 1 || ids[0] != id {
				t.Errorf("list %v, want only %s", ids, id)
			}
			if got := s.do(request{path: base + "/" + id, token: tok}); got.status != http.StatusOK || got.json(t)["id"] != id || got.json(t)["@odata.context"] != entity {
				t.Errorf("get: %d %s", got.status, got.body)
			}
			if got := s.do(request{method: http.MethodPatch, path: base + "/" + id, token: tok, body: `{"isCurrent":false}`}); got.status != http.StatusOK || got.json(t)["isCurrent"] != false {
				t.Errorf("update: %d %s", got.status, got.body)
			}
			if got := s.do(request{method: http.MethodDelete, path: base + "/" + id, token: tok}); got.status != http.StatusNoContent || len(got.body) != 0 {
				t.Errorf("delete: %d %q", got.status, got.body)
			}
			if ids := idsOf(t, s.do(request{path: base, token: tok})); len(ids) != 0 {
				t.Errorf("list after delete %v, want none", ids)
			}
		})
	}
}

// referenceProfileCollections is the contract's table of the profile's
// navigation properties in beta-Prod (section 5), name and element type,
// written out here independently of the schema table.
var referenceProfileCollections = []struct{ name, itemType string }{
	{"account", "userAccountInformation"},
	{"addresses", "itemAddress"},
	{"anniversaries", "personAnnualEvent"},
	{"awards", "personAward"},
	{"certifications", "personCertification"},
	{"educationalActivities", "educationalActivity"},
	{"emails", "itemEmail"},
	{"interests", "personInterest"},
	{"languages", "languageProficiency"},
	{"names", "personName"},
	{"notes", "personAnnotation"},
	{"patents", "itemPatent"},
	{"phones", "itemPhone"},
	{"positions", "workPosition"},
	{"projects", "projectParticipation"},
	{"publications", "itemPublication"},
	{"skills", "skillProficiency"},
	{"webAccounts", "webAccount"},
	{"websites", "personWebsite"},
}

// TestProfileCollectionsOfTheReference holds the served profile to the
// contract's table of its navigation properties: GET …/profile answers
// "id": "profileId" and exactly these collections, in this order; each is a
// collection of its element type (a create stamped with that type is 201,
// an unknown id is 404 itemNotFound naming the type). The docs' drift is
// not served: `accounts` (CSDL `account`) and `responsibilities` (absent
// from the Prod CSDL) are Graph's 400 for a segment it does not know, and
// the docs' `personAnniversary` is not the type of `anniversaries`.
func TestProfileCollectionsOfTheReference(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	want := []string{"@odata.context", "id"}
	for _, c := range referenceProfileCollections {
		want = append(want, c.name)
	}
	resp := s.do(request{path: "/beta/me/profile", token: tok})
	if resp.status != http.StatusOK {
		t.Fatalf("GET profile: %d %s", resp.status, resp.body)
	}
	if got := objectKeys(t, resp.body); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("profile keys %v, want %v", got, want)
	}
	if id := resp.json(t)["id"]; id != "profileId" {
		t.Errorf("profile id %v, want the constant profileId", id)
	}

	for _, c := range referenceProfileCollections {
		t.Run(c.name, func(t *testing.T) {
			base := "/beta/me/profile/" + c.name
			created := s.do(request{method: http.MethodPost, path: base, token: tok, body: `{"@odata.type":"#microsoft.graph.` + c.itemType + `"}`})
			if created.status != http.StatusCreated {
				t.Fatalf("POST of a %s: %d %s", c.itemType, created.status, created.body)
			}
			if want := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/" + c.name + "/$entity"; created.json(t)["@odata.context"] != want {
				t.Errorf("@odata.context %v, want %s", created.json(t)["@odata.context"], want)
			}
			msg := expectError(t, s.do(request{path: base + "/no-such-item", token: tok}), http.StatusNotFound, "itemNotFound")
			if want := "The " + c.itemType + " 'no-such-item' does not exist in this profile."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}

	for _, segment := range []string{"accounts", "responsibilities"} {
		msg := expectError(t, s.do(request{path: "/beta/me/profile/" + segment, token: tok}), http.StatusBadRequest, "BadRequest")
		if want := "Resource not found for the segment '" + segment + "'."; msg != want {
			t.Errorf("%s: message %q, want %q", segment, msg, want)
		}
	}
	msg := expectError(t, s.do(request{method: http.MethodPost, path: "/beta/me/profile/anniversaries", token: tok, body: `{"@odata.type":"#microsoft.graph.personAnniversary"}`}), http.StatusBadRequest, "BadRequest")
	if want := "A value of type 'microsoft.graph.personAnniversary' was found, but a value of type 'microsoft.graph.personAnnualEvent' was expected."; msg != want {
		t.Errorf("personAnniversary: message %q, want %q", msg, want)
	}
}

// TestWritesAnswerTheirEntityWhateverPrefer: the contract's Create answers
// 201 with the created workPosition and Update 200 (not 204) with the full
// updated one; OData lets a client ask for neither (Prefer: return=minimal,
// 204), and docs/decisions.md ignores Prefer but for odata.maxpagesize. So
// a create or an update that prefers a minimal return still answers its
// entity, with no Preference-Applied.
func TestWritesAnswerTheirEntityWhateverPrefer(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, prefer := range []string{"return=minimal", "return=representation", "return=minimal, respond-async"} {
		t.Run(prefer, func(t *testing.T) {
			header := map[string]string{"Prefer": prefer}
			resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{"isCurrent":true}`, header: header})
			if resp.status != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.status, resp.body)
			}
			created := resp.json(t)
			id, _ := created["id"].(string)
			if created["isCurrent"] != true || !guidPattern.MatchString(id) || resp.header.Get("Location") == "" {
				t.Errorf("create answered %s with Location %q", resp.body, resp.header.Get("Location"))
			}
			if got := resp.header.Values("Preference-Applied"); len(got) != 0 {
				t.Errorf("create: Preference-Applied %q, want none", got)
			}
			resp = s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + id, token: tok, body: `{"isCurrent":false}`, header: header})
			if resp.status != http.StatusOK {
				t.Fatalf("update: %d %s", resp.status, resp.body)
			}
			updated := resp.json(t)
			if updated["id"] != id || updated["isCurrent"] != false || updated["createdDateTime"] != created["createdDateTime"] {
				t.Errorf("update answered %s", resp.body)
			}
			if got := resp.header.Values("Preference-Applied"); len(got) != 0 {
				t.Errorf("update: Preference-Applied %q, want none", got)
			}
		})
	}
}

// TestSeedCreateOnAnotherUsersProfile: the Create workPosition page's
// second path, POST /users/{id | userPrincipalName}/profile/positions, by
// its work-or-school row's higher privileged permission
// (User.ReadWrite.All): the seed's request creates the position in the
// named user's profile (the context and Location name that user's object
// id, however the path named it), and createdBy and lastModifiedBy record
// who created it, the caller, not the profile's owner.
func TestSeedCreateOnAnotherUsersProfile(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.do(request{path: "/beta/me", token: owner}) // A1 exists
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	wantBy := map[string]any{"application": nil, "device": nil, "user": map[string]any{"displayName": "User " + userA2[:4], "id": userA2}}
	for _, key := range []string{userA1, upnOf(userA1), strings.ToUpper(upnOf(userA1))} {
		t.Run(key, func(t *testing.T) {
			created := s.createAt(t, "/beta/users/"+key+"/profile/positions", admin, readTestdata(t, "seed/create-request.json"), userA1)
			id, _ := created["id"].(string)
			if want := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/positions/$entity"; created["@odata.context"] != want {
				t.Errorf("@odata.context %v, want %s", created["@odata.context"], want)
			}
			for _, k := range []string{"createdBy", "lastModifiedBy"} {
				if jsonOf(created[k]) != jsonOf(wantBy) {
					t.Errorf("%s = %s, want the caller %s", k, jsonOf(created[k]), jsonOf(wantBy))
				}
			}
			if get(created, "detail", "jobTitle") != "Senior Product Branding Manager II" || created["isCurrent"] != true || created["allowedAudiences"] != "organization" {
				t.Errorf("create answered %s", jsonOf(created))
			}
			got := s.do(request{path: "/beta/me/profile/positions/" + id, token: owner})
			if got.status != http.StatusOK || jsonOf(got.json(t)["createdBy"]) != jsonOf(wantBy) {
				t.Errorf("the owner reads %d %s", got.status, got.body)
			}
			if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: admin})); len(ids) != 0 {
				t.Errorf("the caller's own profile holds %v, want none", ids)
			}
		})
	}
}
