package graphapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestKeyInParenthesesIsAKey checks that a key written in parentheses is
// only ever a key: positions('$count') names the item whose id is
// "$count", not the collection's count, and users('$count') the user
// "$count", not the directory's count.
func TestKeyInParenthesesIsAKey(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite", "User.Read.All")
	s.create(tok, "/me", `{}`)

	for _, path := range []string{
		"/beta/me/profile/positions('$count')",
		"/beta/me/profile/positions($count)",
		"/beta/me/profile/positions('$COUNT')",
		"/beta/users('" + userA1 + "')/profile/skills('$count')",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
			t.Run(method+" "+path, func(t *testing.T) {
				body := ""
				if method == http.MethodPatch {
					body = `{}`
				}
				msg := expectError(t, s.do(request{method: method, path: path, token: tok, body: body}), http.StatusNotFound, "itemNotFound")
				typ, key := "workPosition", "$count"
				if strings.Contains(path, "skills") {
					typ = "skillProficiency"
				}
				if strings.Contains(path, "$COUNT") {
					key = "$COUNT"
				}
				if want := "The " + typ + " '" + key + "' does not exist in this profile."; msg != want {
					t.Errorf("message %q, want %q", msg, want)
				}
			})
		}
	}
	// The created position is still the profile's one position: no PATCH
	// or DELETE above reached it.
	if list := s.do(request{path: "/beta/me/profile/positions", token: tok}).json(t)["value"].([]any); len(list) != 1 || !guidPattern.MatchString(get(list[0], "id").(string)) {
		t.Errorf("positions after the refused requests: %v", list)
	}
	for _, path := range []string{"/beta/users('$count')", "/v1.0/users($count)", "/beta/users('$count')/profile/positions"} {
		t.Run("GET "+path, func(t *testing.T) {
			msg := expectError(t, s.do(request{path: path, token: tok}), http.StatusNotFound, "Request_ResourceNotFound")
			if want := "Resource '$count' does not exist or one of its queried reference-property objects are not present."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
}

// TestKeyedNamesFoldAsPathsDo checks that a segment a key in parentheses
// follows is recognised by the same case folding as the segment without
// one: a path that routes as positions/{id} routes as positions('{id}').
func TestKeyedNamesFoldAsPathsDo(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(tok, "/me", `{}`)["id"].(string)
	// U+017F LATIN SMALL LETTER LONG S folds to s, as Go's EqualFold (the
	// router's "ignoring case") has it.
	for _, tc := range []struct{ segment, key string }{
		{"/beta/me/profile/po%C5%BFitions/" + id, "/beta/me/profile/po%C5%BFitions('" + id + "')"},
		{"/beta/u%C5%BFers/" + userA1 + "/profile/positions/" + id, "/beta/u%C5%BFers('" + userA1 + "')/profile/positions/" + id},
	} {
		seg := s.do(request{path: tc.segment, token: tok})
		key := s.do(request{path: tc.key, token: tok})
		if seg.status != http.StatusOK || key.status != seg.status || string(key.body) != string(seg.body) {
			t.Errorf("GET %s: %d %s\nGET %s: %d %s", tc.segment, seg.status, seg.body, tc.key, key.status, key.body)
		} else if got := seg.json(t)["id"]; got != id {
			t.Errorf("GET %s answers position %v, want %s", tc.segment, got, id)
		}
	}
}

// TestNamedKeys checks OData's named key forms: positions(id='…') and
// users(id='…') as the key property's name, and users(userPrincipalName='…'),
// the alternate key the CSDL declares on user (Org.OData.Core.V1.AlternateKeys).
func TestNamedKeys(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite", "User.Read.All")
	other := s.delegated(tenantA, userA2, "User.ReadWrite")
	id := s.create(tok, "/me", `{"detail":{"jobTitle":"Engineer"}}`)["id"].(string)
	s.create(other, "/me", `{"detail":{"jobTitle":"Other"}}`)

	plain := s.do(request{path: "/beta/me/profile/positions/" + id, token: tok})
	if plain.status != http.StatusOK {
		t.Fatalf("get: %d %s", plain.status, plain.body)
	}
	if got := plain.json(t); got["id"] != id || get(got, "detail", "jobTitle") != "Engineer" {
		t.Fatalf("get answers %v, want position %s, Engineer", got, id)
	}
	for _, path := range []string{
		"/beta/me/profile/positions(id='" + id + "')",
		"/beta/me/profile/positions(ID='" + id + "')",
		"/beta/users(id='" + userA1 + "')/profile/positions(id='" + id + "')",
		"/beta/users(userPrincipalName='" + upnOf(userA1) + "')/profile/positions('" + id + "')",
		"/beta/users(userprincipalname='" + upnOf(userA1) + "')/profile/positions/" + id,
		// A user's id is a GUID, which names the user in any case.
		"/beta/users(id='" + strings.ToUpper(userA1) + "')/profile/positions/" + id,
		"/beta/users/" + strings.ToUpper(userA1) + "/profile/positions/" + id,
	} {
		t.Run("GET "+path, func(t *testing.T) {
			resp := s.do(request{path: path, token: tok})
			if resp.status != http.StatusOK || string(resp.body) != string(plain.body) {
				t.Errorf("%d %s\nwant 200 %s", resp.status, resp.body, plain.body)
			}
		})
	}
	// Another user's profile by its principal name, through the alternate key.
	resp := s.do(request{path: "/beta/users(userPrincipalName='" + upnOf(userA2) + "')/profile/positions", token: tok})
	if resp.status != http.StatusOK {
		t.Fatalf("other's positions by principal name: %d %s", resp.status, resp.body)
	}
	if got, want := resp.json(t)["@odata.context"], s.url+"/beta/$metadata#users('"+userA2+"')/profile/positions"; got != want {
		t.Errorf("@odata.context %q, want %q", got, want)
	}
	resp = s.do(request{path: "/v1.0/users(userPrincipalName='" + upnOf(userA2) + "')", token: tok})
	if resp.status != http.StatusOK || resp.json(t)["id"] != userA2 {
		t.Fatalf("user by principal name: %d %s", resp.status, resp.body)
	}
	resp = s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions(id='" + id + "')", token: tok, body: `{"detail":{"role":"lead"}}`})
	if resp.status != http.StatusOK {
		t.Fatalf("patch by named key: %d %s", resp.status, resp.body)
	}
	if got := s.do(request{path: "/beta/me/profile/positions/" + id, token: tok}).json(t); get(got, "detail", "role") != "lead" || get(got, "detail", "jobTitle") != "Engineer" {
		t.Errorf("after the patch by named key: %v, want role lead and jobTitle Engineer", got["detail"])
	}
	// An object id is not a principal name, nor the other way round.
	for _, path := range []string{
		"/beta/users(userPrincipalName='" + userA2 + "')/profile/positions",
		"/beta/users(userPrincipalName='" + userA1 + "')/profile/positions",
		"/beta/users(id='" + upnOf(userA2) + "')/profile/positions",
		"/beta/users(id='" + upnOf(userA1) + "')/profile/positions",
	} {
		t.Run("GET "+path, func(t *testing.T) {
			msg := expectError(t, s.do(request{path: path, token: tok}), http.StatusNotFound, "Request_ResourceNotFound")
			key := path[strings.Index(path, "='")+2 : strings.Index(path, "')")]
			if want := "Resource '" + key + "' does not exist or one of its queried reference-property objects are not present."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
	// A key property the type does not have.
	for _, tc := range []struct{ path, segment string }{
		{"/beta/me/profile/positions(userPrincipalName='" + id + "')", "positions(userPrincipalName='" + id + "')"},
		{"/beta/users(mail='x@contoso.test')/profile", "users(mail='x@contoso.test')"},
		{"/beta/me/profile/positions(id='')", "positions(id='')"},
	} {
		t.Run("GET "+tc.path, func(t *testing.T) {
			msg := expectError(t, s.do(request{path: tc.path, token: tok}), http.StatusBadRequest, "BadRequest")
			if want := "Resource not found for the segment '" + tc.segment + "'."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
	resp = s.do(request{method: http.MethodDelete, path: "/beta/me/profile/positions(id='" + id + "')", token: tok})
	if resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("delete by named key: %d %s", resp.status, resp.body)
	}
	if msg := expectError(t, s.do(request{path: "/beta/me/profile/positions/" + id, token: tok}), http.StatusNotFound, "itemNotFound"); msg != "The workPosition '"+id+"' does not exist in this profile." {
		t.Errorf("the position deleted by named key: message %q", msg)
	}
}

// TestPathShapes pins what docs/decisions.md ("Paths and errors") says of
// paths that are not served or not readable: each refusal the server
// answers is a Graph error naming what it refuses, and a request line
// net/http cannot read is net/http's plain 400.
func TestPathShapes(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(tok, "/me", `{}`)["id"].(string)
	items := "/beta/me/profile/positions"

	for _, tc := range []struct{ path, message string }{
		{items + "/" + id + "/detail/jobTitle", "Resource not found for the segment 'detail'."},
		{items + "/" + id + "/$value", "Resource not found for the segment '$value'."},
		{items + "/" + id + "/$ref", "Resource not found for the segment '$ref'."},
		{items + "/" + id + "/$count", "Resource not found for the segment '$count'."},
		// A $ segment where an item's id goes is OData's, never an id
		// (positions('$ref') is the item "$ref"): it was "itemNotFound".
		{items + "/$ref", "Resource not found for the segment '$ref'."},
		{items + "/$value", "Resource not found for the segment '$value'."},
		{"/beta/me/profile/skills/$metadata", "Resource not found for the segment '$metadata'."},
		// Nor where a user's key goes (users('$ref') is the user "$ref").
		{"/beta/users/$ref", "Resource not found for the segment '$ref'."},
		{"/v1.0/users/$value", "Resource not found for the segment '$value'."},
		{"/beta/users/$metadata/profile/positions", "Resource not found for the segment '$metadata'."},
		{"/beta/users/$ref/profile", "Resource not found for the segment '$ref'."},
		{"/beta/me/profile/$count", "Resource not found for the segment '$count'."},
		// An OData segment with a key is no item's id either.
		{items + "/$filter(x)", "Resource not found for the segment '$filter(x)'."},
		{"/beta/me/./profile", "Resource not found for the segment '.'."},
		{"/beta/me/profile/positions/x/../" + id, "Resource not found for the segment '..'."},
		{"/beta//me/profile", "The request path has an empty segment."},
		{items + "//", "The request path has an empty segment."},
		{items + "?$filter=%zz", "The query string has an invalid escape in '$filter=%zz'."},
	} {
		t.Run(tc.path, func(t *testing.T) {
			msg := expectError(t, s.rawGet(tc.path, tok), http.StatusBadRequest, "BadRequest")
			if msg != tc.message {
				t.Errorf("message %q, want %q", msg, tc.message)
			}
		})
	}
	if resp := s.rawGet(items+"/", tok); resp.status != http.StatusOK {
		t.Errorf("GET %s/: %d %s", items, resp.status, resp.body)
	} else if list := resp.json(t)["value"].([]any); len(list) != 1 || get(list[0], "id") != id {
		t.Errorf("GET %s/ lists %v, want position %s", items, list, id)
	}
	if resp := s.rawGet(items+"/"+id+"/", tok); resp.status != http.StatusOK {
		t.Errorf("GET %s/%s/: %d %s", items, id, resp.status, resp.body)
	} else if got := resp.json(t)["id"]; got != id {
		t.Errorf("GET %s/%s/ answers position %v", items, id, got)
	}
	// The key is the byte 0xff, not UTF-8: the message names it as JSON
	// can carry it, U+FFFD.
	if msg := expectError(t, s.rawGet(items+"/%ff", tok), http.StatusNotFound, "itemNotFound"); msg != "The workPosition '\uFFFD' does not exist in this profile." {
		t.Errorf("GET %s/%%ff: message %q", items, msg)
	}
	for _, path := range []string{items + "/%", items + "/%zz", items + "/a\x01b", items + "/a b"} {
		t.Run(path, func(t *testing.T) {
			resp := s.rawGet(path, tok)
			if resp.status != http.StatusBadRequest || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain") {
				t.Errorf("%d %q %s, want net/http's plain 400", resp.status, resp.header.Get("Content-Type"), resp.body)
			}
		})
	}
}

// rawGet sends a GET of path exactly as written (no client cleans or
// escapes it) on a connection of its own.
func (s *testServer) rawGet(path, tok string) *response {
	s.t.Helper()
	u, err := url.Parse(s.url)
	if err != nil {
		s.t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", path, u.Host, tok)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		s.t.Fatalf("GET %q: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// TestKeysBeginningWithDollar: a key that begins with "$" but names none of
// OData's segments is a key written bare too (/users/$u1, positions/$x),
// so that the Location of an item of user "$u1" leads to it; only OData's
// own segments ($ref, $value, $count…) are never keys written bare, and a
// user or item of such an id is written in parentheses where the server
// writes its URL.
func TestKeysBeginningWithDollar(t *testing.T) {
	s, _ := newAdminServer(t)
	doc := `{"tenants":[{"id":"` + tenantA + `","users":[
		{"id":"$u1","displayName":"Dollar","userPrincipalName":"dollar@contoso.test","profile":{"positions":[{"id":"$x","detail":{"jobTitle":"X"}}]}},
		{"id":"$ref","displayName":"Ref","userPrincipalName":"ref@contoso.test"}]}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: doc}); resp.status != http.StatusNoContent {
		t.Fatalf("loading the fixtures: %d %s", resp.status, resp.body)
	}
	tok := s.delegated(tenantA, userA1, "User.ReadWrite.All")
	for _, path := range []string{"/beta/users/$u1/profile/positions/$x", "/beta/users/%24u1/profile/positions/%24x", "/beta/users('$u1')/profile/positions('$x')"} {
		if resp := s.rawGet(path, tok); resp.status != http.StatusOK || resp.json(t)["id"] != "$x" {
			t.Errorf("GET %s: %d %s", path, resp.status, resp.body)
		}
	}
	if resp := s.rawGet("/beta/users/dollar@contoso.test", tok); resp.status != http.StatusOK || resp.json(t)["id"] != "$u1" {
		t.Errorf("GET the user by name: %d %s", resp.status, resp.body)
	}
	for _, owner := range []string{"$u1", "$ref"} {
		created := s.do(request{method: http.MethodPost, path: "/beta/users('" + owner + "')/profile/positions", token: tok, body: `{}`})
		if created.status != http.StatusCreated {
			t.Fatalf("POST for %s: %d %s", owner, created.status, created.body)
		}
		location := created.header.Get("Location")
		if !strings.HasPrefix(location, s.url) {
			t.Fatalf("Location %q", location)
		}
		if resp := s.rawGet(strings.TrimPrefix(location, s.url), tok); resp.status != http.StatusOK || resp.json(t)["id"] != created.json(t)["id"] {
			t.Errorf("GET the Location %s of a position of %s: %d %s", location, owner, resp.status, resp.body)
		}
	}
}

// TestKeyWithDoubledQuote: a quote in a key in parentheses is written
// twice, as in OData's string literal, and the key read with one: the
// user o'brien@contoso.com, by key and by userPrincipalName.
func TestKeyWithDoubledQuote(t *testing.T) {
	s := newTestServer(t)
	app := s.application(tenantA, "User.ReadWrite.All")
	created := s.do(request{method: http.MethodPost, path: "/beta/users", token: app,
		body: `{"displayName":"Pat O'Brien","userPrincipalName":"o'brien@contoso.com"}`})
	if created.status != http.StatusCreated {
		t.Fatalf("POST /users: %d %s", created.status, created.body)
	}
	id := created.json(t)["id"].(string)
	for _, path := range []string{"/beta/users('o''brien@contoso.com')", "/beta/users(userPrincipalName='o''brien@contoso.com')"} {
		resp := s.do(request{path: path, token: app})
		if resp.status != http.StatusOK || get(resp.json(t), "id") != id {
			t.Errorf("GET %s: %d %s, want the user %s", path, resp.status, resp.body, id)
		}
	}
}

// TestMeTokenOnlyAsASegment: the Go SDK's placeholder for /me
// (users/me-token-to-replace) stands for the caller only as a bare
// segment; named as a key's value (users(id='me-token-to-replace')) it is
// an id like any other, of nobody.
func TestMeTokenOnlyAsASegment(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite.All")
	s.create(tok, "/me", `{}`)
	if got := idsOf(t, s.do(request{path: "/beta/users/me-token-to-replace/profile/positions", token: tok})); len(got) != 1 {
		t.Fatalf("the placeholder as a segment lists %v, want the caller's one position", got)
	}
	expectError(t, s.do(request{path: "/beta/users(id='me-token-to-replace')/profile/positions", token: tok}), http.StatusNotFound, "Request_ResourceNotFound")
}
