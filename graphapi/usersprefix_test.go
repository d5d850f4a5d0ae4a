package graphapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// TestUsersFoundByPrefix: a users list or count whose $filter requires
// that the display name or the user principal name start with (or equal)
// one of some literals, the web page's search and a people picker's
// ("startswith(displayName,'…') or startswith(userPrincipalName,'…')"), reads
// only the users the store finds on those keys' indexes
// (Store.ScanUsersByPrefix), no scan of the directory; every page, its
// nextLink, @odata.count and /$count are those of the server that scans
// every user (graphapi.ScanUsersOnly), in any order, for a user with every
// permission or the basic one. A filter that requires no such prefix
// still scans, and so does a list that stops at its page (no $count, the
// default order) when the prefixes find many users for the page.
func TestUsersFoundByPrefix(t *testing.T) {
	store, fast, scan := lookupServers(t)
	names := []string{"adele vance", "Adele Vance", "ADELE VANCE", "Émile", "émile", "Emile", "Zoë", "zoe", "ZOË",
		"Łukasz", "lukasz", "Σοφία", "σοφία", "İlker", "ilker", "ẞtraße", "ßtraße", "😀", "a", "B", "Megan Bowen", "megan", ""}
	principals := []string{"adele", "Adele.Vance", "émile", "EMILE", "zoë", "megan.bowen", "mb", "łukasz", "σοφία", "person"}
	users := make([]graphprofile.User, 700)
	for i := range users {
		users[i] = graphprofile.User{TenantID: tenantA, ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", (i*7919)%65536),
			DisplayName: names[i%len(names)], UserPrincipalName: fmt.Sprintf("%s%d@contoso.test", principals[i%len(principals)], i), JobTitle: []string{"Engineer", "Designer"}[i%2]}
	}
	if err := store.ImportUsers(t.Context(), tenantA, users); err != nil {
		t.Fatal(err)
	}
	full, basic := fast.application(tenantA, "User.Read.All"), fast.delegated(tenantA, userA1, "User.ReadBasic.All")
	page := func(filter string) string {
		return "$filter=" + url.QueryEscape(filter)
	}
	for _, c := range []struct {
		query  string
		token  string
		byKeys bool // answered from the prefixes' users alone
	}{
		{page("startswith(displayName,'m') or startswith(userPrincipalName,'m')") + "&$select=id,displayName,userPrincipalName,jobTitle&$orderby=displayName&$count=true&$top=25", full, true},
		{page("startswith(displayName,'AD') or startswith(userPrincipalName,'AD')") + "&$orderby=displayName%20desc&$count=true&$top=10&$select=id", basic, true},
		{page("startswith(displayName,'é')") + "&$top=7&$select=id,displayName", full, true},
		{page("startswith(displayName,'é')") + "&$top=7&$count=true&$select=id,displayName", full, true},
		{page("startsWith(userPrincipalName,'ÉMILE')") + "&$top=9&$select=id", full, true},
		{page("startswith(displayName,'σ') and jobTitle eq 'Engineer'") + "&$count=true&$top=5&$select=id", full, true},
		{page("displayName eq 'Adele Vance' or displayName in ('zoe', 'A')") + "&$orderby=displayName&$count=true&$top=20&$select=id", full, true},
		{page("startswith(displayName,'😀') or startswith(userPrincipalName,'person1')") + "&$count=true&$top=11&$select=id", basic, true},
		{page("startswith(displayName,'nobody')") + "&$count=true&$select=id", full, true},
		// A list that stops at its page: from the prefixes when they find
		// few users for it, else a scan that stops at the page.
		{page("startswith(displayName,'😀')") + "&$top=25&$select=id", full, true},
		{page("startswith(displayName,'a')") + "&$top=2&$select=id", full, false},
		{page("startswith(displayName,'m') or startswith(jobTitle,'D')") + "&$count=true&$top=25&$select=id", full, false},
		{page("startswith(displayName,'')") + "&$count=true&$top=25&$select=id", full, false},
		{page("not startswith(displayName,'a')") + "&$count=true&$top=50&$select=id", full, false},
		// Operators in capitals, as Graph's own examples write them, are
		// the same query, answered the same way.
		{page("startsWith(displayName,'m') OR startsWith(userPrincipalName,'m')") + "&$orderby=displayName%20DESC&$count=true&$top=25&$select=id", full, true},
		{page("NOT startsWith(displayName,'a')") + "&$count=true&$top=50&$select=id", full, false},
	} {
		path := "/v1.0/users?" + c.query
		store.visited.Store(0)
		got, gotCount, links := walkUsers(t, fast, path, c.token, eventual)
		if v := store.visited.Load(); c.byKeys && v != 0 {
			t.Errorf("%s: the store's ScanUsers visited %d users; want none (the prefixes' indexes)", c.query, v)
		} else if !c.byKeys && v == 0 {
			t.Errorf("%s: the store's ScanUsers visited no user; this filter needs a scan", c.query)
		}
		want, wantCount, wantLinks := walkUsers(t, scan, path, c.token, eventual)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d users listed, want %d as a scan lists them (first difference at %d)", c.query, len(got), len(want), firstDiff(got, want))
		}
		if gotCount != wantCount {
			t.Errorf("%s: @odata.count %d, want %d", c.query, gotCount, wantCount)
		}
		if !slices.Equal(links, wantLinks) {
			t.Errorf("%s: nextLinks differ from a scan's:\n%q\n%q", c.query, links, wantLinks)
		}
		if strings.Contains(c.query, "$count=true") && len(want) == 0 && c.query != page("startswith(displayName,'nobody')")+"&$count=true&$select=id" {
			t.Errorf("%s: the scan lists no user; the case tests nothing", c.query)
		}
	}

	// GET /users/$count with such a filter counts the prefixes' users.
	filter := url.QueryEscape("startswith(displayName,'m') or startswith(userPrincipalName,'m')")
	store.visited.Store(0)
	got := fast.do(request{path: "/v1.0/users/$count?$filter=" + filter, token: full, header: eventual})
	visited := store.visited.Load()
	want := scan.do(request{path: "/v1.0/users/$count?$filter=" + filter, token: full, header: eventual})
	if got.status != http.StatusOK || string(got.body) != string(want.body) || string(want.body) == "0" {
		t.Errorf("/users/$count: %d %q; the scan's %d %q", got.status, got.body, want.status, want.body)
	}
	if v := visited; v != 0 {
		t.Errorf("/users/$count with prefixes: the store's ScanUsers visited %d users; want none", v)
	}
}
