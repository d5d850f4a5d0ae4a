package graphapi_test

import (
	"net/http"
	"testing"
)

// The contract's known quirks of the profile's facets (section 8 of
// graph-profile-positions.md): which graphprofile copies and which it
// answers as documented instead, over HTTP.

// TestEnumsAnsweredByName (quirk 1): Graph's facet service once answered
// a skill's "proficiency": "expert" as "4", its underlying value, and
// refused the documented members generalProfessional and
// advancedProfessional with 400 UnknownError and an empty message.
// graphprofile takes a member by its name or by its value (OData's
// enumValue), always answers the name, takes every documented member, and
// refuses a value that is neither with 400 BadRequest naming the property
// and the members (docs/decisions.md, "The JSON contract"); a refused
// create creates nothing.
func TestEnumsAnsweredByName(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	skills := "/beta/me/profile/skills"
	for _, tc := range []struct{ sent, want string }{
		{"expert", "expert"},
		{"4", "expert"},
		{"0", "elementary"},
		{"generalProfessional", "generalProfessional"},
		{"advancedProfessional", "advancedProfessional"},
		{"unknownFutureValue", "unknownFutureValue"},
	} {
		resp := s.do(request{method: http.MethodPost, path: skills, token: tok, body: `{"displayName":"Go","proficiency":"` + tc.sent + `"}`})
		if resp.status != http.StatusCreated {
			t.Fatalf("proficiency %q: %d %s", tc.sent, resp.status, resp.body)
		}
		created := resp.json(t)
		if created["proficiency"] != tc.want {
			t.Errorf("proficiency %q answered %v, want %q", tc.sent, created["proficiency"], tc.want)
		}
		if got := s.do(request{path: skills + "/" + created["id"].(string), token: tok}).json(t)["proficiency"]; got != tc.want {
			t.Errorf("proficiency %q reads back %v, want %q", tc.sent, got, tc.want)
		}
	}
	before := len(idsOf(t, s.do(request{path: skills, token: tok})))
	for _, value := range []string{"guru", "6", "Expert"} {
		msg := expectError(t, s.do(request{method: http.MethodPost, path: skills, token: tok, body: `{"displayName":"Go","proficiency":"` + value + `"}`}), http.StatusBadRequest, "BadRequest")
		if want := "Invalid value '" + value + "' for property 'proficiency' of type 'microsoft.graph.skillProficiency': expected one of elementary, limitedWorking, generalProfessional, advancedProfessional, expert, unknownFutureValue."; msg != want {
			t.Errorf("proficiency %q: message %q, want %q", value, msg, want)
		}
	}
	if after := len(idsOf(t, s.do(request{path: skills, token: tok}))); after != before {
		t.Errorf("refused creates changed the skills from %d to %d", before, after)
	}

	// "Watch for similar behaviour with allowedAudiences": a flags value by
	// its number is answered as its members' names.
	for sent, want := range map[string]string{"10": "contacts,organization", "32": "everyone", "organization": "organization"} {
		if got := s.create(tok, "/me", `{"allowedAudiences":"`+sent+`"}`)["allowedAudiences"]; got != want {
			t.Errorf("allowedAudiences %q answered %v, want %q", sent, got, want)
		}
	}
	msg := expectError(t, s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{"allowedAudiences":"friends"}`}), http.StatusBadRequest, "BadRequest")
	if want := "Invalid value 'friends' for property 'allowedAudiences' of type 'microsoft.graph.workPosition': expected one of me, family, contacts, groupMembers, organization, federatedOrganizations, everyone, unknownFutureValue, or a comma-separated combination of them."; msg != want {
		t.Errorf("allowedAudiences 'friends': message %q, want %q", msg, want)
	}
}

// TestDocsArtefactsOverHTTP (quirk 6): what the docs get wrong is answered
// as the schema says. The docs' placeholder "datetime-value" is no
// Edm.Date (400); profileSourceAnnotation's key is the CSDL's `sourceId`,
// not the docs' `id` (400 for a property the type does not have);
// `source` in the docs' personDataSource form is taken and answered in the
// Prod schema's personDataSources form; lastModifiedDateTime is the time of
// the last change, not of the creation; categories, colleagues and manager
// never set are null.
func TestDocsArtefactsOverHTTP(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	positions := "/beta/me/profile/positions"
	for _, tc := range []struct{ body, message string }{
		{`{"detail":{"startMonthYear":"datetime-value"}}`,
			"Invalid value 'datetime-value' for property 'startMonthYear' of type 'microsoft.graph.positionDetail': expected an Edm.Date in the form YYYY-MM-DD."},
		{`{"sources":[{"id":"4ce763dd-9214-4eff-af7c-da491cc3782d"}]}`,
			"The property 'id' does not exist on type 'microsoft.graph.profileSourceAnnotation'. Make sure to only use property names that are defined by the type or mark the type as open type."},
	} {
		msg := expectError(t, s.do(request{method: http.MethodPost, path: positions, token: tok, body: tc.body}), http.StatusBadRequest, "BadRequest")
		if msg != tc.message {
			t.Errorf("POST %s: message %q, want %q", tc.body, msg, tc.message)
		}
	}
	if ids := idsOf(t, s.do(request{path: positions, token: tok})); len(ids) != 0 {
		t.Errorf("refused creates created %v", ids)
	}

	created := s.create(tok, "/me", `{"detail":{"startMonthYear":"2019-06-01"},`+
		`"sources":[{"sourceId":"4ce763dd-9214-4eff-af7c-da491cc3782d","isDefaultSource":true,"properties":["detail"]}],`+
		`"source":{"@odata.type":"#microsoft.graph.personDataSource","type":"User"}}`)
	want := map[string]string{
		"detail.startMonthYear": `"2019-06-01"`,
		"sources":               `[{"isDefaultSource":true,"properties":["detail"],"sourceId":"4ce763dd-9214-4eff-af7c-da491cc3782d"}]`,
		"source":                `{"type":["User"]}`,
		"categories":            `null`,
		"colleagues":            `null`,
		"manager":               `null`,
	}
	got := map[string]string{
		"detail.startMonthYear": jsonOf(get(created, "detail", "startMonthYear")),
		"sources":               jsonOf(created["sources"]),
		"source":                jsonOf(created["source"]),
	}
	for _, k := range []string{"categories", "colleagues", "manager"} {
		v, present := created[k]
		if !present {
			t.Errorf("%s is absent, want null", k)
		}
		got[k] = jsonOf(v)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}

	path := positions + "/" + created["id"].(string)
	updated := s.do(request{method: http.MethodPatch, path: path, token: tok, body: `{"isCurrent":true}`})
	if updated.status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", updated.status, updated.body)
	}
	u := updated.json(t)
	if u["createdDateTime"] != created["createdDateTime"] {
		t.Errorf("createdDateTime moved from %v to %v", created["createdDateTime"], u["createdDateTime"])
	}
	if c, m := u["createdDateTime"].(string), u["lastModifiedDateTime"].(string); m <= c {
		t.Errorf("lastModifiedDateTime %s is not after createdDateTime %s: it is the time of the last change", m, c)
	}
}

// TestMeWithAppTokenOnEveryOperation (quirk 7): /me with an app-only token
// is Graph's 400 BadRequest "/me request is only valid with delegated
// authentication flow." for every operation on the profile and its
// positions, whatever the body (docs/permissions.md's order of checks: it
// comes right after the token, before the permission and the body), even
// with the roles that reach every profile by /users/{id}; nothing changes.
func TestMeWithAppTokenOnEveryOperation(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(owner, "/me", `{}`)["id"].(string)
	app := s.application(tenantA, "User.ReadWrite.All")
	const meMessage = "/me request is only valid with delegated authentication flow."
	for _, req := range []request{
		{path: "/beta/me/profile/positions"},
		{path: "/beta/me/profile/positions/$count"},
		{path: "/beta/me/profile/positions/" + id},
		{method: http.MethodPost, path: "/beta/me/profile/positions", body: `{}`},
		{method: http.MethodPost, path: "/beta/me/profile/positions", body: `{"foo":1}`},
		{method: http.MethodPost, path: "/beta/me/profile/positions", body: `{}`, header: map[string]string{"Content-Type": ""}},
		{method: http.MethodPatch, path: "/beta/me/profile/positions/" + id, body: `{"isCurrent":true}`},
		{method: http.MethodDelete, path: "/beta/me/profile/positions/" + id},
		{path: "/beta/me/profile"},
		{method: http.MethodDelete, path: "/beta/me/profile"},
		// Graph's front door answers /me before the workload reads the
		// query: a query it would refuse does not come first.
		{path: "/beta/me/profile/positions?$top=0"},
		{path: "/beta/me/profile/positions?$foo=1"},
		{path: "/beta/me/profile/positions?$filter=bogus%20eq%201"},
		{path: "/beta/me/profile/positions/" + id + "?$select=bogus"},
		{path: "/beta/me?$select=bogus"},
		{path: "/v1.0/me"},
	} {
		req.token = app
		t.Run(req.method+" "+req.path+" "+req.body, func(t *testing.T) {
			if msg := expectError(t, s.do(req), http.StatusBadRequest, "BadRequest"); msg != meMessage {
				t.Errorf("message %q, want %q", msg, meMessage)
			}
		})
	}
	// The same app reaches the profile by the owner's id.
	if ids := idsOf(t, s.do(request{path: "/beta/users/" + userA1 + "/profile/positions", token: app})); len(ids) != 1 || ids[0] != id {
		t.Errorf("by id the app lists %v, want only %s", ids, id)
	}
	if got := s.do(request{path: "/beta/me/profile/positions/" + id, token: owner}); got.status != http.StatusOK || got.json(t)["isCurrent"] != nil {
		t.Errorf("after the refused requests the position reads %d %s", got.status, got.body)
	}
}
