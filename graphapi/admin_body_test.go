package graphapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// goInternals are bits of text that only Go's encoding/json and reflection
// write: an error message that holds one speaks of the server's code, not
// of the request.
var goInternals = []string{"struct", "Go value", "Go struct", "json:", "unmarshal", "graphapi.", "main."}

// checkNoGoInternals fails the test when msg holds one of goInternals.
func checkNoGoInternals(t *testing.T, msg string) {
	t.Helper()
	for _, bit := range goInternals {
		if strings.Contains(msg, bit) {
			t.Errorf("message %q holds %q, a Go internal", msg, bit)
		}
	}
}

// TestAdminResetRefusesUnclearBodies: only no body (or white space alone)
// or {} resets every tenant; a body that names no tenant in any other way (an empty or null
// tenantId, a key twice, an unknown property, an annotation, a value that
// is not an object) is a 400 that names the problem, and no tenant loses
// anything.
func TestAdminResetRefusesUnclearBodies(t *testing.T) {
	s, _ := newAdminServer(t)
	a1 := s.delegated(tenantA, userA1, "User.ReadWrite")
	b1 := s.delegated(tenantB, userB1, "User.ReadWrite")
	s.create(a1, "/me", `{"detail":{"jobTitle":"A1"}}`)
	s.create(b1, "/me", `{"detail":{"jobTitle":"B1"}}`)

	for _, tc := range []struct {
		name, body string
		want       []string // in the message
	}{
		{"an empty tenantId", `{"tenantId":""}`, []string{"tenantId", "POST /_admin/reset", "{}"}},
		{"an empty tenantId, blanks around", ` { "tenantId" : "" } `, []string{"tenantId"}},
		{"a null tenantId", `{"tenantId":null}`, []string{"tenantId", "null"}},
		{"tenantId twice, the second empty", `{"tenantId":"` + tenantA + `","tenantId":""}`, []string{"'tenantId'", "more than once"}},
		{"tenantId twice, the same", `{"tenantId":"` + tenantA + `","tenantId":"` + tenantA + `"}`, []string{"'tenantId'", "more than once"}},
		{"tenantId twice, in two cases", `{"tenantId":"` + tenantA + `","TenantId":""}`, []string{"'TenantId'", "more than once"}},
		{"an unknown property", `{"tenant":"` + tenantA + `"}`, []string{"'tenant'", "does not exist"}},
		{"an unknown property beside tenantId", `{"tenantId":"` + tenantA + `","all":true}`, []string{"'all'", "does not exist"}},
		{"an annotation", `{"tenantId@odata.note":"x"}`, []string{"'tenantId@odata.note'", "does not exist"}},
		{"an array", `[]`, []string{"JSON object"}},
		{"an array of an object", `[{"tenantId":"` + tenantA + `"}]`, []string{"JSON object"}},
		{"a string", `"` + tenantA + `"`, []string{"JSON object"}},
		{"null", `null`, []string{"JSON object"}},
		{"a number", `0`, []string{"JSON object"}},
		{"a number for tenantId", `{"tenantId":1}`, []string{"'tenantId'", "JSON string"}},
		{"an object for tenantId", `{"tenantId":{}}`, []string{"'tenantId'", "JSON string"}},
		{"two objects", `{} {}`, []string{"not valid JSON"}},
		{"not JSON", `{"tenantId":`, []string{"not valid JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: tc.body})
			msg := expectError(t, resp, http.StatusBadRequest, "BadRequest")
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q, want %q in it", msg, want)
				}
			}
			checkNoGoInternals(t, msg)
			if got := s.positionTitles(t, a1, "/me"); strings.Join(got, ",") != "A1" {
				t.Errorf("tenant A after the refused reset: %v, want [A1]", got)
			}
			if got := s.positionTitles(t, b1, "/me"); strings.Join(got, ",") != "B1" {
				t.Errorf("tenant B after the refused reset: %v, want [B1]", got)
			}
		})
	}

	// The one tenant named, in any case of the property's name, goes alone.
	resp := s.do(request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: `{"TENANTID":"` + tenantA + `"}`})
	if resp.status != http.StatusNoContent {
		t.Fatalf("reset of tenant A: %d %s", resp.status, resp.body)
	}
	if got := s.positionTitles(t, a1, "/me"); len(got) != 0 {
		t.Errorf("tenant A after its reset: %v, want none", got)
	}
	if got := s.positionTitles(t, b1, "/me"); strings.Join(got, ",") != "B1" {
		t.Errorf("tenant B after tenant A's reset: %v, want [B1]", got)
	}

	// A body of white space alone holds no JSON value, as no body holds
	// none: it resets every tenant, as no body does (docs/admin-api.md).
	resp = s.do(request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: " \r\n\t "})
	if resp.status != http.StatusNoContent {
		t.Fatalf("reset with a body of white space: %d %s", resp.status, resp.body)
	}
	if got := s.positionTitles(t, b1, "/me"); len(got) != 0 {
		t.Errorf("tenant B after a reset with a body of white space: %v, want none", got)
	}
}

// TestAdminBodiesAreStrict: every admin call that takes a JSON body
// refuses a key given twice, an unknown property, a null and a value that
// is not an object with a 400 that names the problem without Go's words,
// and changes nothing.
func TestAdminBodiesAreStrict(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.create(tok, "/me", `{"detail":{"jobTitle":"Kept"}}`)

	for _, tc := range []struct {
		name, method, path, body string
		want                     []string // in the message
	}{
		{"clock, now twice", http.MethodPut, "/_admin/clock", `{"now":"2030-01-01T00:00:00Z","now":"2031-01-01T00:00:00Z"}`, []string{"'now'", "more than once"}},
		{"clock, advance twice", http.MethodPost, "/_admin/clock", `{"advance":"1h","advance":"-1h"}`, []string{"'advance'", "more than once"}},
		{"clock, an unknown property", http.MethodPut, "/_admin/clock", `{"now":"2030-01-01T00:00:00Z","zone":"UTC"}`, []string{"'zone'", "does not exist"}},
		{"clock, an annotation", http.MethodPut, "/_admin/clock", `{"now":"2030-01-01T00:00:00Z","now@odata.type":"x"}`, []string{"'now@odata.type'", "does not exist"}},
		{"clock, a null now", http.MethodPut, "/_admin/clock", `{"now":null}`, []string{"'now'", "null"}},
		{"clock, a null now beside advance", http.MethodPost, "/_admin/clock", `{"now":null,"advance":"1h"}`, []string{"'now'", "null"}},
		{"clock, an array", http.MethodPut, "/_admin/clock", `[]`, []string{"JSON object"}},
		{"clock, a string", http.MethodPut, "/_admin/clock", `"2030-01-01T00:00:00Z"`, []string{"JSON object"}},
		{"clock, a number for advance", http.MethodPost, "/_admin/clock", `{"advance":90}`, []string{"'advance'", "JSON string"}},
		{"faults, fault twice", http.MethodPost, "/_admin/faults", `{"fault":"429","fault":"503"}`, []string{"'fault'", "more than once"}},
		{"faults, an unknown property", http.MethodPost, "/_admin/faults", `{"fault":"429","times":2}`, []string{"'times'", "does not exist"}},
		{"faults, a null path", http.MethodPost, "/_admin/faults", `{"fault":"429","path":null}`, []string{"'path'", "null"}},
		{"faults, an array", http.MethodPost, "/_admin/faults", `[{"fault":"429"}]`, []string{"JSON object"}},
		{"faults, a string for count", http.MethodPost, "/_admin/faults", `{"fault":"429","count":"2"}`, []string{"'count'", "JSON number"}},
		{"faults, a fraction for count", http.MethodPost, "/_admin/faults", `{"fault":"429","count":1.5}`, []string{"'count'", "1.5"}},
		{"faults, a count past int64", http.MethodPost, "/_admin/faults", `{"fault":"429","count":99999999999999999999}`, []string{"'count'"}},
		// A count of 0 fails no request by its own words; arming one would
		// fail a request the test did not mean to fail.
		{"faults, a count of 0", http.MethodPost, "/_admin/faults", `{"fault":"429","count":0}`, []string{"count 0", "1 to 1000000"}},
		{"faults, a negative count", http.MethodPost, "/_admin/faults", `{"fault":"429","count":-3}`, []string{"count -3", "1 to 1000000"}},
		{"faults, a count past the most", http.MethodPost, "/_admin/faults", `{"fault":"429","count":1000001}`, []string{"count 1000001", "1 to 1000000"}},
		{"fixtures, tenants twice", http.MethodPost, "/_admin/fixtures", `{"tenants":[],"tenants":[]}`, []string{"'tenants'", "more than once"}},
		{"fixtures, an unknown property", http.MethodPost, "/_admin/fixtures", `{"tenants":[],"users":[]}`, []string{"'users'", "does not exist"}},
		{"fixtures, an array", http.MethodPost, "/_admin/fixtures", `[]`, []string{"JSON object"}},
		{"fixtures, a tenant's id twice", http.MethodPost, "/_admin/fixtures", `{"tenants":[{"id":"` + tenantA + `","id":"` + tenantB + `"}]}`, []string{"'id'", "more than once"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { // a call wrongly served must not fail the cases after it
				s.do(request{method: http.MethodDelete, path: "/_admin/clock", token: adminToken})
				s.do(request{method: http.MethodDelete, path: "/_admin/faults", token: adminToken})
			})
			resp := s.do(request{method: tc.method, path: tc.path, token: adminToken, body: tc.body})
			msg := expectError(t, resp, http.StatusBadRequest, "BadRequest")
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q, want %q in it", msg, want)
				}
			}
			checkNoGoInternals(t, msg)
			// Nothing changed: the clock is real, no fault is armed, the
			// data is there.
			clock := s.do(request{path: "/_admin/clock", token: adminToken}).json(t)
			if clock["realTime"] != true {
				t.Errorf("the clock after a refused call: %v", clock)
			}
			if got := s.positionTitles(t, tok, "/me"); strings.Join(got, ",") != "Kept" {
				t.Errorf("the profile after a refused call: %v, want [Kept] (and no fault armed)", got)
			}
		})
	}
}
