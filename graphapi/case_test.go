package graphapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestNamesIgnoreCase checks that path segments, query option names and
// property names (in $select, $filter, $orderby and bodies) ignore case,
// as Graph documents, and that answers always use the schema's spelling.
func TestNamesIgnoreCase(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	admin := s.application(tenantA, "User.ReadWrite.All")

	created := s.do(request{method: http.MethodPost, path: "/BETA/ME/Profile/Positions", token: tok,
		body: `{"IsCurrent":true,"AllowedAudiences":"everyone","DETAIL":{"JobTitle":"Engineer","Company":{"DisplayName":"Contoso"}},"Categories":["a"]}`})
	if created.status != http.StatusCreated {
		t.Fatalf("create with names in other cases: %d %s", created.status, created.body)
	}
	p := created.json(t)
	id := p["id"].(string)
	for _, want := range []string{`"isCurrent":true`, `"allowedAudiences":"everyone"`, `"jobTitle":"Engineer"`, `"displayName":"Contoso"`, `"categories":["a"]`} {
		if !strings.Contains(string(created.body), want) {
			t.Errorf("the answer lacks %s in the schema's spelling: %s", want, created.body)
		}
	}
	for _, bad := range []string{"IsCurrent", "DETAIL", "JobTitle", "AllowedAudiences"} {
		if strings.Contains(string(created.body), `"`+bad+`"`) {
			t.Errorf("the answer spells %q as the client did: %s", bad, created.body)
		}
	}

	for _, path := range []string{
		"/beta/me/profile/positions/" + id,
		"/BETA/ME/PROFILE/POSITIONS/" + id,
		"/Beta/Users/" + userA1 + "/Profile/Positions/" + id,
		"/beta/USERS('" + userA1 + "')/profile/POSITIONS('" + id + "')",
		"/beta/Users/ME-TOKEN-TO-REPLACE/profile/positions/" + id,
	} {
		if resp := s.do(request{path: path, token: tok}); resp.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, resp.status, resp.body)
		} else if got := resp.json(t); got["id"] != id || get(got, "detail", "jobTitle") != "Engineer" {
			t.Errorf("GET %s answers %s, want position %s", path, resp.body, id)
		}
	}
	if resp := s.do(request{path: "/beta/me/profile/positions/$COUNT", token: tok}); resp.status != http.StatusOK || string(resp.body) != "1" {
		t.Errorf("$COUNT: %d %s", resp.status, resp.body)
	}

	// Query option names and the property names in them.
	sel := s.do(request{path: "/beta/me/profile/positions/" + id + "?$SELECT=ID,IsCurrent", token: tok})
	if sel.status != http.StatusOK {
		t.Fatalf("$SELECT: %d %s", sel.status, sel.body)
	}
	got := sel.json(t)
	if !strings.HasSuffix(got["@odata.context"].(string), "/profile/positions(id,isCurrent)/$entity") || got["isCurrent"] != true || got["id"] != id {
		t.Errorf("$SELECT=ID,IsCurrent: %s", sel.body)
	}
	if _, ok := got["detail"]; ok {
		t.Errorf("$select kept an unselected property: %s", sel.body)
	}
	s.create(tok, "/me", `{"isCurrent":false,"detail":{"jobTitle":"Other","layer":2}}`)
	for _, query := range []string{
		"$Filter=IsCurrent eq true",
		"$filter=DETAIL/JOBTITLE eq 'Engineer'",
		"$filter=Categories/any(c:c eq 'a')",
		"$OrderBy=Detail/JobTitle&$Top=1",
	} {
		resp := s.do(request{path: "/beta/me/profile/positions?" + strings.ReplaceAll(query, " ", "%20"), token: tok})
		if ids := idsOf(t, resp); len(ids) != 1 || ids[0] != id {
			t.Errorf("%s: %v, want [%s]", query, ids, id)
		}
	}

	// PATCH bodies, and one property twice in two spellings.
	patched := s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + id, token: tok, body: `{"ISCURRENT":false,"detail":{"JOBTITLE":"Lead"}}`})
	if patched.status != http.StatusOK || patched.json(t)["isCurrent"] != false || !strings.Contains(string(patched.body), `"jobTitle":"Lead","layer":null`) {
		t.Errorf("PATCH with names in other cases: %d %s", patched.status, patched.body)
	}
	msg := expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + id, token: tok, body: `{"isCurrent":true,"IsCurrent":false}`}),
		http.StatusBadRequest, "BadRequest")
	if msg != "The property 'IsCurrent' appears more than once in an object of type 'microsoft.graph.workPosition'." {
		t.Errorf("one property twice: %q", msg)
	}

	// The users directory too.
	user := s.do(request{method: http.MethodPost, path: "/V1.0/USERS", token: admin, body: `{"DisplayName":"Case Test","UserPrincipalName":"case@contoso.test","AccountEnabled":true}`})
	if user.status != http.StatusCreated || !strings.Contains(string(user.body), `"displayName":"Case Test"`) {
		t.Fatalf("POST /V1.0/USERS: %d %s", user.status, user.body)
	}
	if resp := s.do(request{path: "/v1.0/Users/CASE@contoso.test", token: admin}); resp.status != http.StatusOK {
		t.Errorf("GET a user by its principal name in another case: %d %s", resp.status, resp.body)
	} else if u := resp.json(t); u["id"] != user.json(t)["id"] || u["userPrincipalName"] != "case@contoso.test" || u["displayName"] != "Case Test" {
		t.Errorf("GET a user by its principal name in another case answers %s, want the user created", resp.body)
	}
}

// TestUsersQueryNamesIgnoreCase: the property names of a users query are
// matched without regard to case, as in every other query: the
// directory's rules of what may be filtered and ordered (which name each
// property in the schema's spelling) apply to `DisplayName` as to
// `displayName`, and the errors name the property as the schema does.
func TestUsersQueryNamesIgnoreCase(t *testing.T) {
	s, reader := newDirectory(t)
	tests := []struct {
		query    string
		advanced bool
		want     []string // in order with $orderby, else sorted
	}{
		{"$filter=DISPLAYNAME eq 'Adele Vance'", false, []string{"Adele Vance"}},
		{"$filter=startswith(DisplayName,'ale')", false, []string{"Alex Wilber"}},
		{"$filter=AccountEnabled eq false", false, []string{"Alex Wilber"}},
		{"$filter=Department in ('Retail')", false, []string{"Adele Vance"}},
		{"$filter=BusinessPhones/any(p:p eq '+1 425 555 0109')", false, []string{"Adele Vance"}},
		{"$filter=ID in ('nobody')", false, nil},
		{"$filter=OfficeLocation eq '18/2111'&$count=true", true, []string{"Adele Vance"}},
		{"$filter=endswith(MAIL,'@contoso.test') and Department eq 'Marketing'&$count=true", true, []string{"Alex Wilber", "megan Bowen"}},
		{"$orderby=DISPLAYNAME desc&$top=2", false, []string{"megan Bowen", "Diego Siciliani"}},
		{"$orderby=UserPrincipalName", false, []string{"Adele Vance", "Alex Wilber", "Diego Siciliani", "megan Bowen"}},
		{"$filter=Department eq 'Marketing'&$orderby=DisplayName&$count=true", true, []string{"Alex Wilber", "megan Bowen"}},
	}
	for _, tc := range tests {
		req := request{path: "/beta/users?" + escapeQuery(tc.query), token: reader}
		if tc.advanced {
			req.header = eventual
		}
		resp := s.do(req)
		if resp.status != http.StatusOK {
			t.Errorf("%s: %d %s", tc.query, resp.status, resp.body)
			continue
		}
		got := displayNames(t, resp)
		if !strings.Contains(tc.query, "$orderby") {
			slices.Sort(got) // by id: the order of the directory's ids
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	if resp := s.do(request{path: "/beta/users/$count?" + escapeQuery("$filter=DisplayName eq 'Alex Wilber'"), token: reader, header: eventual}); resp.status != http.StatusOK || string(resp.body) != "1" {
		t.Errorf("/users/$count with DisplayName: %d %s", resp.status, resp.body)
	}
	// What the directory does not serve is refused whatever the case, and
	// named in the schema's spelling.
	for query, want := range map[string]string{
		"$orderby=CITY":                                  "Unsupported sort property 'city' for 'User'.",
		"$filter=startswith(ID,'a')":                     "Unsupported or invalid query filter clause specified for property 'id' of resource 'User'.",
		"$filter=MobilePhone eq '1'":                     "Unsupported or invalid query filter clause specified for property 'mobilePhone' of resource 'User'.",
		"$filter=City eq 'Redmond'&$orderby=DisplayName": "Sorting not supported for current query.",
	} {
		msg := expectError(t, s.do(request{path: "/beta/users?" + escapeQuery(query), token: reader}), http.StatusBadRequest, "Request_UnsupportedQuery")
		if msg != want {
			t.Errorf("%s: %q, want %q", query, msg, want)
		}
	}
}
