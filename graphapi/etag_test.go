package graphapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var etagPattern = regexp.MustCompile(`^"[0-9a-z]+"$`)

// staleETag is the message of a 412 for a position whose ETag an
// If-Match does not name.
const staleETag = "The If-Match header does not match the current ETag of the workPosition; read it again and retry."

// checkETagKept checks that the item at path still has the ETag etag: a
// refused write left it as it was.
func checkETagKept(t *testing.T, s *testServer, tok, path, etag string) {
	t.Helper()
	resp := s.do(request{path: path, token: tok})
	if resp.status != http.StatusOK || resp.header.Get("ETag") != etag {
		t.Errorf("after a refused write: %d, ETag %q, want 200 and the ETag %q it had: %s", resp.status, resp.header.Get("ETag"), etag, resp.body)
	}
}

func TestETagsAndIfMatch(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{}`})
	created := resp.json(t)
	etag := resp.header.Get("ETag")
	if !etagPattern.MatchString(etag) || created["@odata.etag"] != etag {
		t.Fatalf("create: ETag %q, @odata.etag %v", etag, created["@odata.etag"])
	}
	if keys := objectKeys(t, resp.body); keys[0] != "@odata.context" || keys[1] != "@odata.etag" {
		t.Errorf("keys start %v", keys[:2])
	}
	path := "/beta/me/profile/positions/" + created["id"].(string)
	get := s.do(request{path: path, token: tok})
	if get.header.Get("ETag") != etag || get.json(t)["@odata.etag"] != etag {
		t.Errorf("GET ETag %q / %v, want the create's %q", get.header.Get("ETag"), get.json(t)["@odata.etag"], etag)
	}
	list := s.do(request{path: "/beta/me/profile/positions", token: tok}).json(t)
	if got := list["value"].([]any)[0].(map[string]any)["@odata.etag"]; got != etag {
		t.Errorf("list @odata.etag %v, want %q", got, etag)
	}

	// Every update changes the ETag, even one that changes no value.
	seen := map[string]bool{etag: true}
	current := etag
	for range 5 {
		resp := s.do(request{method: http.MethodPatch, path: path, token: tok, body: `{}`, header: map[string]string{"If-Match": current}})
		if resp.status != http.StatusOK {
			t.Fatalf("PATCH with the current ETag: %d %s", resp.status, resp.body)
		}
		next := resp.header.Get("ETag")
		if seen[next] || resp.json(t)["@odata.etag"] != next {
			t.Fatalf("ETag %q after an update is not new (or the body says %v)", next, resp.json(t)["@odata.etag"])
		}
		seen[next] = true
		current = next
	}
	// A PATCH ignores If-None-Match (docs/decisions.md): it answers the
	// item it changed, never 304.
	for _, inm := range []string{"*", current} {
		resp := s.do(request{method: http.MethodPatch, path: path, token: tok, body: `{"detail":{"jobTitle":"Unconditional"}}`, header: map[string]string{"If-None-Match": inm}})
		if resp.status != http.StatusOK || resp.json(t)["detail"].(map[string]any)["jobTitle"] != "Unconditional" || resp.header.Get("ETag") == current {
			t.Fatalf("PATCH with If-None-Match %s: %d %s", inm, resp.status, resp.body)
		}
		current = resp.header.Get("ETag")
	}

	tests := []struct {
		name    string
		ifMatch string
		status  int
	}{
		{"stale", etag, http.StatusPreconditionFailed},
		{"garbage", `"nope"`, http.StatusPreconditionFailed},
		{"one of a list", `"nope", CURRENT`, http.StatusOK},
		{"weak form", "W/CURRENT", http.StatusOK},
		{"star", "*", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run("PATCH "+tc.name, func(t *testing.T) {
			ifMatch := strings.ReplaceAll(tc.ifMatch, "CURRENT", current)
			resp := s.do(request{method: http.MethodPatch, path: path, token: tok, body: `{"isCurrent":true}`, header: map[string]string{"If-Match": ifMatch}})
			if tc.status == http.StatusPreconditionFailed {
				if msg := expectError(t, resp, http.StatusPreconditionFailed, "preconditionFailed"); msg != staleETag {
					t.Errorf("message %q, want %q", msg, staleETag)
				}
				checkETagKept(t, s, tok, path, current)
				return
			}
			if resp.status != tc.status {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
			if body := resp.json(t); body["isCurrent"] != true || body["@odata.etag"] == current || body["@odata.etag"] != resp.header.Get("ETag") {
				t.Errorf("answer %v with ETag %q, want isCurrent true and a new ETag (was %q)", body, resp.header.Get("ETag"), current)
			}
			current = resp.header.Get("ETag")
		})
	}
	if msg := expectError(t, s.do(request{method: http.MethodDelete, path: path, token: tok, header: map[string]string{"If-Match": etag}}), http.StatusPreconditionFailed, "preconditionFailed"); msg != staleETag {
		t.Errorf("DELETE with a stale ETag: message %q, want %q", msg, staleETag)
	}
	checkETagKept(t, s, tok, path, current)
	if resp := s.do(request{method: http.MethodDelete, path: path, token: tok, header: map[string]string{"If-Match": current}}); resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("DELETE with the current ETag: %d %s", resp.status, resp.body)
	}
	gone := "The workPosition '" + created["id"].(string) + "' does not exist in this profile."
	if msg := expectError(t, s.do(request{path: path, token: tok}), http.StatusNotFound, "itemNotFound"); msg != gone {
		t.Errorf("GET after the DELETE: message %q, want %q", msg, gone)
	}
	if msg := expectError(t, s.do(request{method: http.MethodDelete, path: path, token: tok, header: map[string]string{"If-Match": "*"}}), http.StatusNotFound, "itemNotFound"); msg != gone {
		t.Errorf("DELETE If-Match * of a deleted position: message %q, want %q", msg, gone)
	}
}

// TestETagLists: If-Match and If-None-Match are lists (RFC 9110 13.1.1,
// 13.1.2), on one field line or several: PATCH and DELETE go ahead when
// any listed tag is the current one and are 412 when none is; a GET is
// 304 when any is; a $batch item's If-Match is a list too.
func TestETagLists(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	created := s.create(tok, "/me", `{}`)
	path := "/beta/me/profile/positions/" + created["id"].(string)
	current := created["@odata.etag"].(string)
	for _, tc := range []struct {
		name   string
		method string
		lines  []string // one field line each; CURRENT is the current ETag
		status int
	}{
		{"PATCH, one line, current first", http.MethodPatch, []string{`CURRENT, "x"`}, http.StatusOK},
		{"PATCH, one line, current last", http.MethodPatch, []string{`"x",CURRENT`}, http.StatusOK},
		{"PATCH, two lines, current first", http.MethodPatch, []string{`CURRENT`, `"x"`}, http.StatusOK},
		{"PATCH, two lines, current last", http.MethodPatch, []string{`"x"`, `W/"y", CURRENT`}, http.StatusOK},
		{"PATCH, two lines, current in neither", http.MethodPatch, []string{`"x"`, `"y"`}, http.StatusPreconditionFailed},
		{"PATCH, a list with empty elements", http.MethodPatch, []string{` , "x",, CURRENT ,`}, http.StatusOK},
		{"GET, two lines, current last", http.MethodGet, []string{`"x"`, `CURRENT`}, http.StatusNotModified},
		{"GET, two lines, current in neither", http.MethodGet, []string{`"x"`, `"y"`}, http.StatusOK},
		{"DELETE, two lines, current in neither", http.MethodDelete, []string{`"x"`, `"y"`}, http.StatusPreconditionFailed},
		// A field that lists no tag at all is a list that names none (RFC
		// 9110 5.6.1, 13.1.1), as one of empty elements is: 412, never an
		// unconditional write; for If-None-Match, the answer itself.
		{"PATCH, an empty field", http.MethodPatch, []string{``}, http.StatusPreconditionFailed},
		{"PATCH, a field of blanks", http.MethodPatch, []string{" \t "}, http.StatusPreconditionFailed},
		{"PATCH, a field of commas", http.MethodPatch, []string{` , ,`}, http.StatusPreconditionFailed},
		{"PATCH, two empty fields", http.MethodPatch, []string{``, ``}, http.StatusPreconditionFailed},
		{"DELETE, an empty field", http.MethodDelete, []string{``}, http.StatusPreconditionFailed},
		{"GET, an empty field", http.MethodGet, []string{``}, http.StatusOK},
		{"DELETE, two lines, current last", http.MethodDelete, []string{`"x"`, `CURRENT`}, http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := http.Header{}
			name := "If-Match"
			if tc.method == http.MethodGet {
				name = "If-None-Match"
			}
			for _, line := range tc.lines {
				lines.Add(name, strings.ReplaceAll(line, "CURRENT", current))
			}
			req := request{method: tc.method, path: path, token: tok, headerLines: lines}
			if tc.method == http.MethodPatch {
				req.body = `{"isCurrent":true}`
			}
			resp := s.do(req)
			if tc.status == http.StatusPreconditionFailed {
				if msg := expectError(t, resp, tc.status, "preconditionFailed"); msg != staleETag {
					t.Errorf("message %q, want %q", msg, staleETag)
				}
				checkETagKept(t, s, tok, path, current)
				return
			}
			if resp.status != tc.status {
				t.Fatalf("%s with %s %q: %d, want %d: %s", tc.method, name, lines.Values(name), resp.status, tc.status, resp.body)
			}
			switch tc.status {
			case http.StatusOK:
				if body := resp.json(t); body["id"] != created["id"] || (tc.method == http.MethodPatch && body["isCurrent"] != true) {
					t.Errorf("%s answers %v, want the position", tc.method, body)
				}
			case http.StatusNotModified:
				if len(resp.body) != 0 || resp.header.Get("ETag") != current {
					t.Errorf("304 with body %q and ETag %q, want none and %q", resp.body, resp.header.Get("ETag"), current)
				}
			case http.StatusNoContent:
				if got := s.do(request{path: path, token: tok}); got.status != http.StatusNotFound {
					t.Errorf("GET after the DELETE: %d %s", got.status, got.body)
				}
			}
			if tc.method == http.MethodPatch {
				current = resp.header.Get("ETag")
			}
		})
	}

	// In a $batch, an item's If-Match is one line, a list like any.
	created = s.create(tok, "/me", `{}`)
	item := "/me/profile/positions/" + created["id"].(string)
	answer := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"PATCH","url":"`+item+`","headers":{"Content-Type":"application/json","If-Match":`+strconvQuote(`"x", `+created["@odata.etag"].(string))+`},"body":{"isCurrent":true}},
		{"id":"2","method":"DELETE","url":"`+item+`","headers":{"If-Match":"\"x\", \"y\""},"dependsOn":["1"]},
		{"id":"3","method":"DELETE","url":"`+item+`","headers":{"If-Match":""},"dependsOn":["1"]}
	]}`)
	status, headers, body := answer.item(t, "1")
	if status != http.StatusOK || body["isCurrent"] != true || body["id"] != created["id"] {
		t.Errorf("a batch's PATCH with the current ETag in a list: %d %v", status, body)
	}
	if status, _, body := answer.item(t, "2"); status != http.StatusPreconditionFailed || get(body, "error", "code") != "preconditionFailed" || get(body, "error", "message") != staleETag {
		t.Errorf("a batch's DELETE with a list without the current ETag: %d %v", status, body)
	}
	if status, _, body := answer.item(t, "3"); status != http.StatusPreconditionFailed || get(body, "error", "code") != "preconditionFailed" {
		t.Errorf("a batch's DELETE with an empty If-Match: %d %v", status, body)
	}
	checkETagKept(t, s, tok, "/beta"+item, headers["ETag"])
}

func TestHealthAndReadiness(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp := s.do(request{path: path})
		if resp.status != http.StatusOK || string(resp.body) != "ok\n" {
			t.Errorf("GET %s: %d %q", path, resp.status, resp.body)
		}
	}
	resp := s.do(request{method: http.MethodPost, path: "/readyz", body: `{}`})
	if msg := expectError(t, resp, http.StatusMethodNotAllowed, "Request_BadRequest"); msg != "Specified HTTP method is not allowed for the request target." {
		t.Errorf("POST /readyz: message %q", msg)
	}
	if allow := resp.header.Get("Allow"); allow != "GET" {
		t.Errorf("POST /readyz: Allow %q, want GET", allow)
	}
}

// TestCreatesHonourIfMatch: a create (POST to a collection of the profile,
// POST /users, and the same as a $batch item) is a write to a collection,
// which has no entity tag, as a user or a profile has none: If-Match: *
// (or none) creates, and any entity tag, or a field that lists none, is
// 412 preconditionFailed with nothing created (RFC 9110 13.1.1, as
// TestUserWritesHonourIfMatch has it for a user's writes). It was ignored
// and the item created. If-None-Match is ignored on a create, as on PATCH
// and DELETE (docs/decisions.md).
func TestCreatesHonourIfMatch(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	const positions = "/beta/me/profile/positions"
	userBody := func(n int) string {
		return fmt.Sprintf(`{"accountEnabled":true,"displayName":"New %d","mailNickname":"new%d","userPrincipalName":"new%d@contoso.test","passwordProfile":{"password":"xWwvJ]6NMw+bWH-d"}}`, n, n, n)
	}
	count := func(path, token string) int {
		resp := s.do(request{path: path, token: token, header: map[string]string{"ConsistencyLevel": "eventual"}})
		if resp.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.status, resp.body)
		}
		return len(resp.json(t)["value"].([]any))
	}
	for i, tc := range []struct {
		name   string
		path   string
		token  string
		header http.Header
		want   int
	}{
		{"a position, a tag", positions, tok, http.Header{"If-Match": {`"x"`}}, http.StatusPreconditionFailed},
		{"a position, a weak tag", positions, tok, http.Header{"If-Match": {`W/"x"`}}, http.StatusPreconditionFailed},
		{"a position, two tags", positions, tok, http.Header{"If-Match": {`"x", "y"`}}, http.StatusPreconditionFailed},
		{"a position, an empty field", positions, tok, http.Header{"If-Match": {" "}}, http.StatusPreconditionFailed},
		{"a skill, a tag", "/beta/me/profile/skills", tok, http.Header{"If-Match": {`"x"`}}, http.StatusPreconditionFailed},
		{"a user, a tag", "/beta/users", admin, http.Header{"If-Match": {`"x"`}}, http.StatusPreconditionFailed},
		{"a user, an empty field", "/beta/users", admin, http.Header{"If-Match": {""}}, http.StatusPreconditionFailed},
		{"a position, *", positions, tok, http.Header{"If-Match": {"*"}}, http.StatusCreated},
		{"a position, none", positions, tok, nil, http.StatusCreated},
		{"a position, If-None-Match *", positions, tok, http.Header{"If-None-Match": {"*"}}, http.StatusCreated},
		{"a position, If-None-Match a tag", positions, tok, http.Header{"If-None-Match": {`"x"`}}, http.StatusCreated},
		{"a user, *", "/beta/users", admin, http.Header{"If-Match": {"*"}}, http.StatusCreated},
		{"a user, If-None-Match *", "/beta/users", admin, http.Header{"If-None-Match": {"*"}}, http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, list := `{"displayName":"x"}`, "/beta/me/profile/skills"
			switch tc.path {
			case positions:
				body, list = `{"detail":{"jobTitle":"x"}}`, positions
			case "/beta/users":
				body, list = userBody(i), "/beta/users"
			}
			before := count(list, admin)
			if list != "/beta/users" {
				before = count(list, tc.token)
			}
			resp := s.do(request{method: http.MethodPost, path: tc.path, token: tc.token, body: body, headerLines: tc.header})
			after := count(list, admin)
			if list != "/beta/users" {
				after = count(list, tc.token)
			}
			if tc.want == http.StatusCreated {
				if resp.status != http.StatusCreated || after != before+1 {
					t.Fatalf("%d, %d items after %d: %s, want 201 and one more", resp.status, after, before, resp.body)
				}
				return
			}
			// In Graph's words for what has no ETag, as for a user or a
			// profile, naming the collection.
			if msg := expectError(t, resp, tc.want, "preconditionFailed"); msg != "The If-Match header does not match: a collection has no ETag; send If-Match: * or none." {
				t.Errorf("message %q", msg)
			}
			if after != before {
				t.Errorf("a refused create left %d items, where there were %d", after, before)
			}
		})
	}

	// As a $batch item: that item's 412, nothing created.
	before := count(positions, tok)
	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[` +
		`{"id":"1","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json","If-Match":"\"x\""},"body":{}},` +
		`{"id":"2","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json","If-Match":"*"},"body":{}}]}`})
	if resp.status != http.StatusOK {
		t.Fatalf("$batch: %d %s", resp.status, resp.body)
	}
	var statuses []float64
	for _, r := range resp.json(t)["responses"].([]any) {
		statuses = append(statuses, r.(map[string]any)["status"].(float64))
	}
	if !slices.Equal(statuses, []float64{412, 201}) {
		t.Errorf("$batch statuses %v, want [412 201]", statuses)
	}
	if after := count(positions, tok); after != before+1 {
		t.Errorf("after the $batch: %d positions, want %d", after, before+1)
	}
}
