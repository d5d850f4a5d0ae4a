package graphapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// orderedDirectory imports n users into tenantA of store, named from a
// few names that differ in case and beyond ASCII (many users to a name, so
// that equal names tie by id across pages), some without a display name.
func orderedDirectory(t *testing.T, store graphprofile.Store, n int) []graphprofile.User {
	t.Helper()
	names := []string{"adele vance", "Adele Vance", "ADELE VANCE", "Émile", "émile", "Emile", "Zoë", "zoe", "ZOË",
		"Łukasz", "lukasz", "Σοφία", "σοφία", "İlker", "ilker", "ẞtraße", "ßtraße", "😀", "a", "B", ""}
	// Principal names in any case, and none for one user in 12 (more
	// than a store's first page of them), which both orders put first
	// (last descending).
	stems := []string{"person", "Person", "PERSON", "émile", "Émile", "zoë", "ZOË", "łukasz", "σοφία", "İlker", "ß", "😀"}
	users := make([]graphprofile.User, n)
	for i := range users {
		users[i] = graphprofile.User{TenantID: tenantA, ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", (i*7919)%65536),
			DisplayName: names[i%len(names)]}
		if i%12 != 5 {
			users[i].UserPrincipalName = fmt.Sprintf("%s%d@contoso.test", stems[i%len(stems)], i)
		}
	}
	if err := store.ImportUsers(t.Context(), tenantA, users); err != nil {
		t.Fatal(err)
	}
	return users
}

// walkUsers follows path's nextLinks to the end on s, returning the ids of
// every page in order, the @odata.count of the first page (-1: none) and
// the links it followed.
func walkUsers(t *testing.T, s *testServer, path, token string, header map[string]string) (ids []string, count int, links []string) {
	t.Helper()
	count = -1
	for next := path; next != ""; {
		resp := s.do(request{path: next, token: token, header: header})
		if resp.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, resp.status, resp.body)
		}
		body := resp.json(t)
		for _, u := range body["value"].([]any) {
			ids = append(ids, u.(map[string]any)["id"].(string))
		}
		if c, ok := body["@odata.count"].(float64); ok {
			if next != path {
				t.Errorf("@odata.count on a page after the first: %s", next)
			}
			count = int(c)
		}
		link, _ := body["@odata.nextLink"].(string)
		next = strings.TrimPrefix(link, s.url)
		if link != "" {
			links = append(links, next)
		}
	}
	return ids, count, links
}

// TestUsersOrderedByNameFromTheIndex: `$orderby=displayName` or
// `$orderby=userPrincipalName` (asc or desc, with $count=true or not; users
// without a principal name among them) on a list without $filter is a page of the
// store's index (Store.ScanUsersByName), not a read of the whole directory
// in an evaluation slot: every page, its nextLink and @odata.count are
// those of the server that reads and orders every user in memory
// (graphapi.ScanUsersOnly, as every such list was answered before), for a
// user with every permission or the basic one, while the store visits the
// page's users and one more only. A user renamed between two pages is met
// where its new name puts it, by both alike (their tokens are one query's).
// GET /users/$count reads no user either.
func TestUsersOrderedByNameFromTheIndex(t *testing.T) {
	store, fast, scan := lookupServers(t)
	const n = 700
	orderedDirectory(t, store, n)
	full, basic := fast.application(tenantA, "User.Read.All"), fast.delegated(tenantA, userA1, "User.ReadBasic.All")
	for _, c := range []struct {
		query  string
		header map[string]string
		token  string
	}{
		{"$orderby=displayName&$top=25&$select=id,displayName", nil, full},
		{"$orderby=displayName%20desc&$top=25&$select=id,displayName", nil, full},
		{"$orderby=displayName&$count=true&$top=25&$select=id,displayName,userPrincipalName,jobTitle", eventual, full},
		{"$orderby=displayName%20desc&$count=true&$top=7&$select=id,displayName", eventual, basic},
		{"$orderby=displayName&$top=999&$select=id", nil, basic},
		{"$orderby=DISPLAYNAME%20asc&$top=100&$select=id", nil, full},
		{"$count=true&$top=50&$select=id,displayName", eventual, full},
		{"$orderby=userPrincipalName&$top=25&$select=id,userPrincipalName", nil, full},
		{"$orderby=userPrincipalName%20desc&$top=30&$select=id,userPrincipalName", nil, full},
		{"$orderby=userPrincipalName&$count=true&$top=40&$select=id", eventual, basic},
		{"$orderby=UserPrincipalName%20desc&$count=true&$top=999&$select=id", eventual, basic},
		{"$orderby=userPrincipalName%20asc&$top=7&$select=id,displayName", nil, full},
	} {
		path := "/v1.0/users?" + c.query
		store.visited.Store(0)
		store.byName.Store(0)
		got, gotCount, links := walkUsers(t, fast, path, c.token, c.header)
		if v := store.visited.Load(); v > int64(len(got)+len(links)+1) {
			t.Errorf("%s: the store's ScanUsers visited %d users for %d listed in %d pages", c.query, v, len(got), len(links)+1)
		}
		if v := store.byName.Load(); v > int64(len(got)+len(links)+1) {
			t.Errorf("%s: the store's ScanUsersByName visited %d users for %d listed in %d pages", c.query, v, len(got), len(links)+1)
		}
		want, wantCount, wantLinks := walkUsers(t, scan, path, c.token, c.header)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d users listed, want %d in the in-memory order (first difference at %d)", c.query, len(got), len(want), firstDiff(got, want))
		}
		if gotCount != wantCount {
			t.Errorf("%s: @odata.count %d, want %d", c.query, gotCount, wantCount)
		}
		if !slices.Equal(links, wantLinks) {
			t.Errorf("%s: nextLinks differ from the in-memory ones:\n%q\n%q", c.query, links, wantLinks)
		}
	}

	// Renamed between two pages: both servers go on alike from the token.
	// The fifth page of 40: past the users without a name, "a" and
	// "adele vance", so that "AAA…" goes before the token's position.
	link := "/v1.0/users?$orderby=displayName&$top=40&$select=id,displayName"
	var page []any
	for range 5 {
		body := fast.do(request{path: link, token: full}).json(t)
		link = strings.TrimPrefix(body["@odata.nextLink"].(string), fast.url)
		page = body["value"].([]any)
	}
	admin := fast.application(tenantA, "User.ReadWrite.All")
	for _, rename := range []struct{ id, name string }{
		{page[3].(map[string]any)["id"].(string), "zzz now last"},
		{page[39].(map[string]any)["id"].(string), "AAA now first"},
	} {
		if resp := fast.do(request{method: http.MethodPatch, path: "/v1.0/users/" + rename.id, token: admin, body: `{"displayName":"` + rename.name + `"}`}); resp.status != http.StatusNoContent {
			t.Fatalf("PATCH %s: %d %s", rename.id, resp.status, resp.body)
		}
	}
	got, _, _ := walkUsers(t, fast, link, full, nil)
	want, _, _ := walkUsers(t, scan, link, full, nil)
	if !slices.Equal(got, want) {
		t.Errorf("after renames between pages: %d users, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
	if !slices.Contains(got, page[3].(map[string]any)["id"].(string)) || slices.Contains(got, page[39].(map[string]any)["id"].(string)) {
		t.Errorf("after renames between pages: the user renamed to the end should follow, the one renamed to the start should not")
	}
	// A token of the other order is refused, as before.
	desc := strings.Replace(link, "$orderby=displayName", "$orderby=displayName%20desc", 1)
	if resp := fast.do(request{path: desc, token: full}); resp.status != http.StatusBadRequest {
		t.Errorf("a $skiptoken of the ascending order on the descending one: %d %s, want 400", resp.status, resp.body)
	}

	store.visited.Store(0)
	store.byName.Store(0)
	resp := fast.do(request{path: "/v1.0/users/$count", token: full, header: eventual})
	// The users imported, and the one the basic token's first request
	// recorded.
	if resp.status != http.StatusOK || string(resp.body) != fmt.Sprint(n+1) {
		t.Errorf("GET /users/$count: %d %s, want %d", resp.status, resp.body, n+1)
	}
	if v := store.visited.Load() + store.byName.Load(); v != 0 {
		t.Errorf("GET /users/$count read %d users, want the store's count", v)
	}
}

// firstDiff is where two lists of ids part.
func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
