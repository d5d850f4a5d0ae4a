package graphapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// TestSelfServiceProperties holds PATCH /me with User.ReadWrite to
// docs/permissions.md's table ("Which properties of a user who may
// change"), one row a property: the self-service four change (204), every
// other property of the user is the directory's, 403
// Authorization_RequestDenied with nothing changed (issue 11). The table
// is written here on its own, not read from the schema's SelfService
// marks, and every writable property of graphprofile.UserType must have a
// row, so a property added to the user needs a decision here too.
func TestSelfServiceProperties(t *testing.T) {
	tests := []struct {
		property string
		value    any
		self     bool // the user may change it about themself
	}{
		{"userPrincipalName", "someone.else@contoso.test", false},
		{"accountEnabled", false, false},
		{"mail", "someone.else@contoso.test", false},
		{"mailNickname", "someone", false},
		{"displayName", "Someone Else", false},
		{"givenName", "Someone", false},
		{"surname", "Else", false},
		{"jobTitle", "CEO", false},
		{"passwordProfile", map[string]any{"password": "xWwvJ]6NMw+bWH-d"}, false},
		{"usageLocation", "US", false},
		{"department", "Sales", false},
		{"companyName", "Contoso", false},
		{"employeeId", "E-7", false},
		{"employeeType", "Contractor", false},
		{"employeeHireDate", "2020-01-02T03:04:05Z", false},
		{"city", "Redmond", false},
		{"state", "WA", false},
		{"country", "US", false},
		{"streetAddress", "1 Microsoft Way", false},
		{"postalCode", "98052", false},
		{"faxNumber", "+1 425 555 0199", false},
		{"businessPhones", []any{"+1 425 555 0109"}, true},
		{"mobilePhone", "+1 425 555 0101", true},
		{"officeLocation", "18/2111", true},
		{"preferredLanguage", "en-GB", true},
	}
	rows := map[string]bool{}
	for _, tc := range tests {
		rows[tc.property] = true
	}
	for _, p := range graphprofile.UserType.Properties {
		if p.Name != "id" && !p.ServerManaged && !rows[p.Name] {
			t.Errorf("the user's property %s has no row: may a user change it about themself?", p.Name)
		}
	}

	s := newTestServer(t)
	self := s.delegated(tenantA, userA1, "User.ReadWrite")
	// The user themself however addressed: /me, their id, their principal
	// name (the same rule, docs/permissions.md says).
	for _, path := range []string{"/beta/me", "/v1.0/users/" + userA1, "/beta/users/" + upnOf(userA1)} {
		for _, tc := range tests {
			selfServiceRow(t, s, self, path, tc.property, tc.value, tc.self)
		}
	}
}

// selfServiceRow sends PATCH path {property: value} with tok, the user's own
// User.ReadWrite, and checks that it changed the property (self) or was
// refused with nothing changed.
func selfServiceRow(t *testing.T, s *testServer, tok, path, property string, value any, self bool) {
	t.Run(path+" "+property, func(t *testing.T) {
		body := mustJSON(t, map[string]any{property: value})
		before := s.do(request{path: "/beta/me?$select=" + property, token: tok}).json(t)[property]
		resp := s.do(request{method: http.MethodPatch, path: path, token: tok, body: string(body)})
		after := s.do(request{path: "/beta/me?$select=" + property, token: tok}).json(t)[property]
		if self {
			if resp.status != http.StatusNoContent {
				t.Fatalf("PATCH %s %s: %d %s, want 204", path, body, resp.status, resp.body)
			}
			if got, want := mustJSON(t, after), mustJSON(t, value); string(got) != string(want) {
				t.Errorf("after PATCH %s %s: %s = %s", path, body, property, got)
			}
			return
		}
		if msg := expectError(t, resp, http.StatusForbidden, "Authorization_RequestDenied"); msg != "Insufficient privileges to complete the operation." {
			t.Errorf("PATCH %s %s: message %q", path, body, msg)
		}
		if got, was := mustJSON(t, after), mustJSON(t, before); string(got) != string(was) {
			t.Errorf("a refused PATCH %s %s changed %s from %s to %s", path, body, property, was, got)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
