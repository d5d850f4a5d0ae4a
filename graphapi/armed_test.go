package graphapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestArmedFaults: POST /_admin/faults fails the next matching requests
// (each $batch item on its own) and then lets them through; DELETE
// disarms; only with the admin token.
func TestArmedFaults(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	arm := func(body string) *response {
		return s.do(request{method: http.MethodPost, path: "/_admin/faults", token: adminToken, body: body})
	}
	list := func() *response { return s.do(request{path: "/beta/me/profile/positions", token: tok}) }

	if resp := arm(`{"fault":"429;retry-after=2","count":2,"method":"get","path":"/PROFILE/positions"}`); resp.status != http.StatusNoContent {
		t.Fatalf("arm: %d %s", resp.status, resp.body)
	}
	// A POST does not match; the next two GETs fail, the third is served.
	created := s.create(tok, "/me", `{}`)
	for i := range 2 {
		resp := list()
		expectError(t, resp, http.StatusTooManyRequests, "TooManyRequests")
		if ra := resp.header.Get("Retry-After"); ra != "2" {
			t.Errorf("GET %d: Retry-After %q, want 2", i, ra)
		}
	}
	if resp := list(); resp.status != http.StatusOK || !containsID(resp.json(t)["value"], created["id"].(string)) {
		t.Fatalf("after the armed faults: %d %s, want the list with %v", resp.status, resp.body, created["id"])
	}

	// In a $batch, the item is failed, not the batch.
	arm(`{"fault":"503","path":"positions"}`)
	// (The items run at once: either may be the one failed.)
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions"},{"id":"2","method":"GET","url":"/me/profile/positions"}]}`)
	statuses := map[int]int{}
	for _, id := range []string{"1", "2"} {
		status, headers, body := a.item(t, id)
		statuses[status]++
		if status == http.StatusServiceUnavailable && (headers["Retry-After"] == "" || get(body, "error", "code") != "serviceNotAvailable") {
			t.Errorf("batch item %s: 503 without Retry-After or serviceNotAvailable: %v %v", id, headers, body)
		}
		if status == http.StatusOK && !containsID(body["value"], created["id"].(string)) {
			t.Errorf("batch item %s: 200 without the list: %v", id, body)
		}
	}
	if statuses[http.StatusServiceUnavailable] != 1 || statuses[http.StatusOK] != 1 {
		t.Errorf("batch items answered %v, want one 503 and one 200", statuses)
	}

	// DELETE disarms.
	arm(`{"fault":"504","count":5}`)
	if resp := s.do(request{method: http.MethodDelete, path: "/_admin/faults", token: adminToken}); resp.status != http.StatusNoContent {
		t.Fatalf("disarm: %d %s", resp.status, resp.body)
	}
	if resp := list(); resp.status != http.StatusOK {
		t.Errorf("after DELETE /_admin/faults: %d", resp.status)
	}

	// A path as sent (%40) or decoded (@) matches, as the journal's path
	// filter does: a test may copy either from the journal.
	escaped := "/beta/users/" + strings.Replace(upnOf(userA1), "@", "%40", 1) + "/profile/positions"
	for _, path := range []string{upnOf(userA1), strings.Replace(upnOf(userA1), "@", "%40", 1)} {
		arm(`{"fault":"503","path":"` + path + `"}`)
		expectError(t, s.do(request{path: escaped, token: tok}), http.StatusServiceUnavailable, "serviceNotAvailable")
		if resp := s.do(request{path: escaped, token: tok}); resp.status != http.StatusOK {
			t.Errorf("after the fault armed on %s: %d %s", path, resp.status, resp.body)
		}
	}

	for _, tc := range []struct{ body, want string }{
		{`{"fault":"418"}`, "not a fault"},
		{`{"fault":"429","count":-1}`, "count"},
		{`{"fault":"429","times":1}`, "times"},
		// A method no request can have would arm a fault that never fires.
		{`{"fault":"429","method":"get "}`, "method"},
		{`{"fault":"429","method":"G E T"}`, "method"},
		{`{"fault":"429","method":"GET\r\n"}`, "method"},
	} {
		if msg := expectError(t, arm(tc.body), http.StatusBadRequest, "BadRequest"); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: message %q, want %q in it", tc.body, msg, tc.want)
		}
	}
	expectError(t, s.do(request{method: http.MethodPost, path: "/_admin/faults", token: tok, body: `{"fault":"429"}`}), http.StatusUnauthorized, "InvalidAuthenticationToken")
}

// TestArmedFaultsSpentInOrder: faults armed first are spent first, and
// spending one leaves those armed after it armed (docs/admin-api.md).
func TestArmedFaultsSpentInOrder(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, body := range []string{`{"fault":"429;retry-after=3","path":"positions"}`, `{"fault":"503","path":"positions"}`, `{"fault":"504","path":"positions"}`} {
		if resp := s.do(request{method: http.MethodPost, path: "/_admin/faults", token: adminToken, body: body}); resp.status != http.StatusNoContent {
			t.Fatalf("arm %s: %d %s", body, resp.status, resp.body)
		}
	}
	for _, want := range []struct {
		status int
		code   string
	}{{http.StatusTooManyRequests, "TooManyRequests"}, {http.StatusServiceUnavailable, "serviceNotAvailable"}, {http.StatusGatewayTimeout, "UnknownError"}} {
		expectError(t, s.do(request{path: "/beta/me/profile/positions", token: tok}), want.status, want.code)
	}
	if resp := s.do(request{path: "/beta/me/profile/positions", token: tok}); resp.status != http.StatusOK {
		t.Errorf("after the three armed faults: %d %s, want 200", resp.status, resp.body)
	}
}

// TestArmedFaultsAtMostAThousand: 1,000 faults may be armed at once, the
// next is refused (400, naming the limit and how to clear them), and
// DELETE /_admin/faults makes room again.
func TestArmedFaultsAtMostAThousand(t *testing.T) {
	s, _ := newAdminServer(t)
	arm := func() *response {
		return s.do(request{method: http.MethodPost, path: "/_admin/faults", token: adminToken, body: `{"fault":"503","path":"/nothing/served"}`})
	}
	for i := range 1000 {
		if resp := arm(); resp.status != http.StatusNoContent {
			t.Fatalf("arm %d: %d %s", i+1, resp.status, resp.body)
		}
	}
	if msg := expectError(t, arm(), http.StatusBadRequest, "BadRequest"); msg != "1000 faults are armed already, the most there may be; DELETE /_admin/faults clears them." {
		t.Errorf("the 1001st fault: message %q", msg)
	}
	s.do(request{method: http.MethodDelete, path: "/_admin/faults", token: adminToken})
	if resp := arm(); resp.status != http.StatusNoContent {
		t.Errorf("arm after DELETE: %d %s", resp.status, resp.body)
	}
}

// TestArmedFaultsTakeTheHeadersSpaces: a fault is read as the header's
// value is, spaces around its parts allowed (a value read from a file or
// a template may carry them), latency included.
func TestArmedFaultsTakeTheHeadersSpaces(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.Read")
	for _, body := range []string{`{"fault":" latency= 1ms ","path":"positions"}`, `{"fault":" 429 ; retry-after=2 ","path":"positions"}`} {
		if resp := s.do(request{method: http.MethodPost, path: "/_admin/faults", token: adminToken, body: body}); resp.status != http.StatusNoContent {
			t.Fatalf("arm %s: %d %s", body, resp.status, resp.body)
		}
	}
	if resp := s.do(request{path: "/beta/me/profile/positions", token: tok}); resp.status != http.StatusOK {
		t.Errorf("the delayed request: %d %s", resp.status, resp.body)
	}
	resp := s.do(request{path: "/beta/me/profile/positions", token: tok})
	expectError(t, resp, http.StatusTooManyRequests, "TooManyRequests")
	if got := resp.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}
}

// TestArmedFaultSparesTheBatch: a fault armed for any path fails a $batch's
// item, never the $batch itself (docs/admin-api.md).
func TestArmedFaultSparesTheBatch(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.Read")
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/faults", token: adminToken, body: `{"fault":"503"}`}); resp.status != http.StatusNoContent {
		t.Fatalf("arm: %d %s", resp.status, resp.body)
	}
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions"}]}`)
	if status, _, body := a.item(t, "1"); status != http.StatusServiceUnavailable || get(body, "error", "code") != "serviceNotAvailable" {
		t.Errorf("the batch's item: %d %v, want the armed 503", status, body)
	}
	if resp := s.do(request{path: "/beta/me/profile/positions", token: tok}); resp.status != http.StatusOK {
		t.Errorf("after the fault was spent: %d %s", resp.status, resp.body)
	}
}
