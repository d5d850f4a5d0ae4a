package graphapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/odata"
)

// createN creates n positions with jobTitle "Job i" and layer i, and
// returns their ids in creation (list) order.
func createN(t *testing.T, s *testServer, tok string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = s.create(tok, "/me", `{"isCurrent":`+strconv.FormatBool(i%2 == 0)+`,"detail":{"jobTitle":"Job `+strconv.Itoa(i)+`","layer":`+strconv.Itoa(i)+`},"allowedAudiences":"everyone"}`)["id"].(string)
	}
	return ids
}

func idsOf(t *testing.T, resp *response) []string {
	t.Helper()
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	var ids []string
	for _, p := range resp.json(t)["value"].([]any) {
		ids = append(ids, p.(map[string]any)["id"].(string))
	}
	return ids
}

// follow GETs an absolute nextLink of the test server.
func (s *testServer) follow(t *testing.T, next, tok string) *response {
	t.Helper()
	u, err := url.Parse(next)
	if err != nil || u.Scheme+"://"+u.Host != s.url {
		t.Fatalf("nextLink %q is not an absolute URL of the server %s", next, s.url)
	}
	return s.do(request{path: u.EscapedPath() + "?" + u.RawQuery, token: tok})
}

func TestFilterOrderByAndSelectOverHTTP(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	ids := createN(t, s, tok, 6)
	base := "/beta/me/profile/positions"
	tests := []struct {
		query string
		want  []string
	}{
		{"$filter=isCurrent%20eq%20true", []string{ids[0], ids[2], ids[4]}},
		{"filter=isCurrent eq false", []string{ids[1], ids[3], ids[5]}},
		{"$FILTER=detail/layer+ge+4", []string{ids[4], ids[5]}},
		{"$filter=startswith(detail/jobTitle,'Job 1')", []string{ids[1]}},
		{"$orderby=detail/layer desc", []string{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"orderby=isCurrent desc,detail/layer desc", []string{ids[4], ids[2], ids[0], ids[5], ids[3], ids[1]}},
		{"$filter=isCurrent eq true&$orderby=detail/jobTitle desc&custom=ignored", []string{ids[4], ids[2], ids[0]}},
		{"$skip=4", []string{ids[4], ids[5]}},
		{"$top=2&$skip=1", []string{ids[1], ids[2]}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			query := strings.ReplaceAll(tc.query, " ", "%20")
			if got := idsOf(t, s.do(request{path: base + "?" + query, token: tok})); !slices.Equal(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}

	t.Run("$select on a list", func(t *testing.T) {
		resp := s.do(request{path: base + "?$select=isCurrent,detail&$top=1", token: tok})
		if resp.status != http.StatusOK {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
		body := resp.json(t)
		if want := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/positions(isCurrent,detail)"; body["@odata.context"] != want {
			t.Errorf("@odata.context %v, want %v", body["@odata.context"], want)
		}
		var raw struct{ Value []json.RawMessage }
		if err := json.Unmarshal(resp.body, &raw); err != nil || len(raw.Value) != 1 {
			t.Fatalf("value: %v %s", err, resp.body)
		}
		if keys := objectKeys(t, raw.Value[0]); !slices.Equal(keys, []string{"@odata.etag", "id", "detail", "isCurrent"}) {
			t.Errorf("selected keys %v, want [id detail isCurrent]", keys)
		}
	})
	t.Run("$select on a get", func(t *testing.T) {
		resp := s.do(request{path: base + "/" + ids[1] + "?$select=id,isCurrent", token: tok})
		if resp.status != http.StatusOK {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
		if keys := objectKeys(t, resp.body); !slices.Equal(keys, []string{"@odata.context", "@odata.etag", "id", "isCurrent"}) {
			t.Errorf("keys %v", keys)
		}
		if want := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/positions(id,isCurrent)/$entity"; resp.json(t)["@odata.context"] != want {
			t.Errorf("@odata.context %v, want %v", resp.json(t)["@odata.context"], want)
		}
	})
}

// TestPagingWithNextLinks walks a list page by page and checks nextLink,
// $count and the $count segment.
func TestPagingWithNextLinks(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	ids := createN(t, s, tok, 11)
	base := "/beta/users/" + upnOf(userA1) + "/profile/positions"

	resp := s.do(request{path: base + "?$top=4&$count=true&$filter=detail/layer%20ge%201&custom=x", token: tok})
	var walked []string
	for page := 0; ; page++ {
		walked = append(walked, idsOf(t, resp)...)
		body := resp.json(t)
		count, hasCount := body["@odata.count"]
		if page == 0 && (!hasCount || count != 10.0) {
			t.Errorf("first page @odata.count = %v (present %v), want 10", count, hasCount)
		}
		if page > 0 && hasCount {
			t.Errorf("page %d carries @odata.count", page)
		}
		next, ok := body["@odata.nextLink"].(string)
		if !ok {
			break
		}
		for _, want := range []string{"$top=4", "$count=true", "$filter=detail/layer%20ge%201", "custom=x", "$skiptoken="} {
			if !strings.Contains(next, want) {
				t.Errorf("nextLink %q lacks %q", next, want)
			}
		}
		if keys := objectKeys(t, resp.body); !slices.Equal(keys[:2], []string{"@odata.context", "@odata.count"}) && page == 0 {
			t.Errorf("first page keys %v", keys)
		}
		resp = s.follow(t, next, tok)
		if page > 5 {
			t.Fatal("too many pages")
		}
	}
	if !slices.Equal(walked, ids[1:]) {
		t.Errorf("walked %v\nwant %v", walked, ids[1:])
	}

	for _, tc := range []struct {
		query string
		want  string
	}{{"", "11"}, {"?$filter=isCurrent%20eq%20true", "6"}, {"?filter=detail/layer%20lt%203", "3"}} {
		resp := s.do(request{path: base + "/$count" + tc.query, token: tok})
		if resp.status != http.StatusOK || string(resp.body) != tc.want || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain") {
			t.Errorf("$count%s: %d %q %q, want %s as text/plain", tc.query, resp.status, resp.body, resp.header.Get("Content-Type"), tc.want)
		}
	}
	if msg := expectError(t, s.do(request{path: base + "/$count?$top=2", token: tok}), http.StatusBadRequest, "BadRequest"); msg != "The query option '$top' is not supported on this resource; it supports $filter." {
		t.Errorf("$count?$top=2: message %q", msg)
	}
	post := s.do(request{method: http.MethodPost, path: base + "/$count", token: tok, body: `{}`})
	if msg := expectError(t, post, http.StatusMethodNotAllowed, "Request_BadRequest"); msg != "Specified HTTP method is not allowed for the request target." {
		t.Errorf("POST $count: message %q", msg)
	}
	if allow := post.header.Get("Allow"); allow != "GET" {
		t.Errorf("POST $count: Allow %q, want GET", allow)
	}
	if got := s.do(request{path: base + "/$count", token: tok}); string(got.body) != "11" {
		t.Errorf("$count after the refused POST: %q, want 11", got.body)
	}

	// A nextLink leaves $skip out: its $skiptoken positions the next page.
	resp = s.do(request{path: base + "?$skip=2&$top=3", token: tok})
	if next, _ := resp.json(t)["@odata.nextLink"].(string); !strings.Contains(next, "$top=3") || strings.Contains(strings.ToLower(next), "skip=") {
		t.Errorf("nextLink after $skip=2&$top=3: %q, want $top without $skip", next)
	}

	// Without options a list is at most 100 long, and says so with a nextLink.
	createN(t, s, tok, 95)
	resp = s.do(request{path: base, token: tok})
	if got := idsOf(t, resp); len(got) != 100 {
		t.Errorf("default page holds %d positions, want 100", len(got))
	}
	next, _ := resp.json(t)["@odata.nextLink"].(string)
	if got := idsOf(t, s.follow(t, next, tok)); len(got) != 6 {
		t.Errorf("second default page holds %d, want 6", len(got))
	}
}

func TestPagingSurvivesInsertsAndDeletes(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	initial := createN(t, s, tok, 9)
	base := "/beta/me/profile/positions"
	resp := s.do(request{path: base + "?$top=3", token: tok})
	seen := map[string]int{}
	deleted := map[string]bool{}
	for round := 0; ; round++ {
		for _, id := range idsOf(t, resp) {
			seen[id]++
		}
		// Between pages: delete one position already returned and one not
		// yet returned, and add a new one.
		if round == 0 {
			for _, id := range []string{initial[0], initial[7]} {
				s.do(request{method: http.MethodDelete, path: base + "/" + id, token: tok})
				deleted[id] = true
			}
		}
		s.create(tok, "/me", `{}`)
		next, ok := resp.json(t)["@odata.nextLink"].(string)
		if !ok {
			break
		}
		resp = s.follow(t, next, tok)
	}
	for _, id := range initial {
		if deleted[id] && id == initial[7] {
			continue
		}
		if seen[id] != 1 {
			t.Errorf("position %s, there throughout, was listed %d times", id, seen[id])
		}
	}
}

func TestQueryOptionErrors(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	other := s.delegated(tenantA, userA2, "User.ReadWrite")
	id := createN(t, s, tok, 3)[0]
	createN(t, s, other, 3)
	base := "/beta/me/profile/positions"

	page := s.do(request{path: base + "?$top=1", token: tok}).json(t)
	next, _ := page["@odata.nextLink"].(string)
	u, _ := url.Parse(next)
	token := u.Query().Get("$skiptoken")
	tampered := []byte(token)
	tampered[2] ^= 1

	tests := []struct {
		name, path, method, fragment string
	}{
		{"unknown $ option", base + "?$foo=1", "", "'$foo'"},
		{"$expand", base + "?$expand=detail", "", "'$expand' is not supported on this resource"},
		{"expand without $", base + "?expand=detail", "", "'$expand' is not supported on this resource"},
		{"$search", base + "?$search=%22x%22", "", "'$search' is not supported on this resource"},
		{"$top too large", base + "?$top=1000", "", "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."},
		{"$top zero", base + "?$top=0", "", "Invalid page size"},
		{"$skip negative", base + "?$skip=-1", "", "$skip"},
		{"$count not a boolean", base + "?$count=yes", "", "$count"},
		{"type error", base + "?$filter=isCurrent%20eq%20'yes'", "", "position 10"},
		{"unknown property", base + "?$filter=foo%20eq%201", "", "'foo'"},
		{"unknown $orderby property", base + "?$orderby=foo", "", "'foo'"},
		{"unknown $select property", base + "?$select=foo", "", "'foo'"},
		{"$filter twice", base + "?$filter=isCurrent&filter=isCurrent", "", "more than once"},
		{"$filter on a get", base + "/" + id + "?$filter=isCurrent", "", "'$filter' is not supported on this resource"},
		{"$top on a get", base + "/" + id + "?$top=1", "", "'$top'"},
		{"$select on a create", base + "?$select=id", http.MethodPost, "'$select'"},
		// $skip on the users list is Graph's directory error,
		// Request_BadRequest: TestUsersQueryErrors.
		{"tampered $skiptoken", base + "?$top=1&$skiptoken=" + url.QueryEscape(string(tampered)), "", "$skiptoken"},
		{"garbage $skiptoken", base + "?$skiptoken=abc", "", "$skiptoken"},
		{"another list's $skiptoken", "/beta/users/" + userA2 + "/profile/positions?$top=1&$skiptoken=" + url.QueryEscape(token), "", "$skiptoken"},
		{"a $skiptoken with another $filter", base + "?$top=1&$filter=isCurrent&$skiptoken=" + url.QueryEscape(token), "", "$skiptoken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			caller := tok
			if strings.Contains(tc.path, "/users/"+userA2) || strings.HasPrefix(tc.path, "/beta/users?") {
				caller = s.delegated(tenantA, userA1, "User.ReadWrite.All")
			}
			req := request{method: tc.method, path: tc.path, token: caller}
			if tc.method == http.MethodPost {
				req.body = `{}`
			}
			msg := expectError(t, s.do(req), http.StatusBadRequest, "BadRequest")
			if !strings.Contains(msg, tc.fragment) {
				t.Errorf("message %q does not contain %q", msg, tc.fragment)
			}
		})
	}
	// The untampered token works.
	if got := idsOf(t, s.follow(t, next, tok)); len(got) != 1 {
		t.Errorf("the nextLink itself gives %v", got)
	}
}

func TestHiddenPositionsAreNotCounted(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, a := range []string{"everyone", "me", "family", "organization"} {
		s.create(owner, "/me", `{"allowedAudiences":"`+a+`"}`)
	}
	reader := s.delegated(tenantA, userA2, "User.Read.All")
	base := "/beta/users/" + userA1 + "/profile/positions"
	if got := s.do(request{path: base + "?$count=true", token: reader}).json(t)["@odata.count"]; got != 2.0 {
		t.Errorf("@odata.count for a colleague %v, want 2", got)
	}
	if resp := s.do(request{path: base + "/$count", token: reader}); string(resp.body) != "2" {
		t.Errorf("$count for a colleague %q, want 2", resp.body)
	}
	if resp := s.do(request{path: base + "/$count", token: owner}); string(resp.body) != "4" {
		t.Errorf("$count for the owner %q, want 4", resp.body)
	}
}

// TestBigItemsPagedByBytes: items near the largest body are listed in
// pages of at most odata.MaxPageBytes (past the first ten), each with a
// nextLink, however big $top is, and the pages give every item once.
func TestBigItemsPagedByBytes(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	// 100 colleagues (the most) of 1,000-character names: about 110 KB an
	// item, 38 to a page.
	colleague := `{"displayName":"` + strings.Repeat("n", 1000) + `","relationship":"colleague"}`
	body := `{"colleagues":[` + strings.Repeat(colleague+",", 99) + colleague + `]}`
	var want []string
	for range 80 {
		want = append(want, s.create(tok, "/me", body)["id"].(string))
	}
	var got []string
	pages := 0
	for next := "/beta/me/profile/positions?$top=999"; next != ""; pages++ {
		var resp *response
		if pages == 0 {
			resp = s.do(request{path: next, token: tok})
		} else {
			resp = s.follow(t, next, tok)
		}
		ids := idsOf(t, resp)
		if len(ids) == 0 || len(ids) == len(want) || len(resp.body) > odata.MaxPageBytes+len(body)*2 {
			t.Fatalf("page %d: %d items in %d bytes", pages, len(ids), len(resp.body))
		}
		got = append(got, ids...)
		next, _ = resp.json(t)["@odata.nextLink"].(string)
	}
	if pages < 2 || !slices.Equal(got, want) {
		t.Errorf("%d pages gave %v, want %v", pages, got, want)
	}
}

// TestSkipTokensOfAnotherStoreRefused: a $skiptoken is bound to the store
// its server serves (Server.SkipTokenSecret, which serve derives from the
// store's development key), not only to its list: one from a server of
// another store is 400 though its list's tenant, user and query are the
// same, and so is one forged with the MAC's construction, which is in the
// source, but without the store's secret. A server of the same store (the
// same secret) takes it.
func TestSkipTokensOfAnotherStoreRefused(t *testing.T) {
	secret := func(b string) serverOption {
		return func(srv *graphapi.Server) { srv.SkipTokenSecret = []byte(b) }
	}
	a := newTestServer(t, secret("store A"))
	b := newTestServer(t, secret("store B"))
	sameAsA := newTestServer(t, secret("store A"))
	var next string
	for _, s := range []*testServer{a, b, sameAsA} {
		tok := s.delegated(tenantA, userA1, "User.ReadWrite")
		for range 3 {
			s.create(tok, "/me", `{"detail":{"jobTitle":"Engineer"}}`)
		}
		if s == a {
			page := s.do(request{path: "/beta/me/profile/positions?$top=1&$select=id", token: tok}).json(t)
			next, _ = page["@odata.nextLink"].(string)
			if next == "" {
				t.Fatalf("no nextLink: %v", page)
			}
		}
	}
	u, err := url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	if msg := expectError(t, b.do(request{path: u.RequestURI(), token: b.delegated(tenantA, userA1, "User.ReadWrite")}), http.StatusBadRequest, "BadRequest"); !strings.Contains(msg, "$skiptoken") {
		t.Errorf("another store's $skiptoken: message %q", msg)
	}
	// A server of the same store takes it, whatever its items (its list
	// goes on after the keys the token carries).
	if resp := sameAsA.do(request{path: u.RequestURI(), token: sameAsA.delegated(tenantA, userA1, "User.ReadWrite")}); resp.status != http.StatusOK {
		t.Errorf("the same store's $skiptoken on another server: %d %s", resp.status, resp.body)
	}
}

// TestCountOfNothingIsZero: $count=true on a collection with no items (or
// none the caller may see) says "@odata.count":0, not nothing: a client
// reads a missing count as "not counted".
func TestCountOfNothingIsZero(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.create(owner, "/me", `{"allowedAudiences":"me"}`)
	reader := s.delegated(tenantA, userA2, "User.Read.All")
	for _, tc := range []struct{ name, path, tok string }{
		{"an empty profile", "/beta/me/profile/positions?$count=true", reader},
		{"only items hidden from the caller", "/beta/users/" + userA1 + "/profile/positions?$count=true", reader},
		{"a filter that matches nothing", "/beta/me/profile/positions?$count=true&$filter=isCurrent%20eq%20true", owner},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := s.do(request{path: tc.path, token: tc.tok}).json(t)
			count, ok := body["@odata.count"]
			if value, _ := body["value"].([]any); !ok || count != 0.0 || len(value) != 0 {
				t.Errorf("%s: @odata.count %v (present %v), value %v; want 0 and no items", tc.path, count, ok, body["value"])
			}
		})
	}
}

// TestNextLinkDropsSkipWhateverItsSpelling: a page's @odata.nextLink
// carries the query without $skip, however the request spelled it (escaped
// as %24skip, or in capitals): the link's $skiptoken already says where the
// next page starts, and a $skip kept beside it would skip again, so items
// would never be listed.
func TestNextLinkDropsSkipWhateverItsSpelling(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	ids := createN(t, s, tok, 5)
	for _, query := range []string{"$top=2&$skip=1", "%24top=2&%24skip=1", "$TOP=2&$SKIP=1", "%24Top=2&%24SKIP=1"} {
		t.Run(query, func(t *testing.T) {
			var walked []string
			resp := s.do(request{path: "/beta/me/profile/positions?" + query, token: tok})
			for page := 0; ; page++ {
				if page > 5 {
					t.Fatal("nextLink does not end")
				}
				walked = append(walked, idsOf(t, resp)...)
				next, _ := resp.json(t)["@odata.nextLink"].(string)
				if next == "" {
					break
				}
				if u, err := url.Parse(next); err != nil || strings.Contains(strings.ToLower(u.RawQuery), "skip=") || strings.Contains(strings.ToLower(u.RawQuery), "%24skip") {
					t.Fatalf("nextLink %q keeps $skip", next)
				}
				resp = s.follow(t, next, tok)
			}
			if want := ids[1:]; !slices.Equal(walked, want) {
				t.Errorf("walked %v, want every position after the first, %v", walked, want)
			}
		})
	}
}
