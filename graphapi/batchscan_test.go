package graphapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/graphapi"
)

// TestBatchScansTheDirectoryOnce: a $batch is one request, and its items'
// scans of the directory for a $filter (no lookup by id or name)
// read at most one scan's users plus BatchScanUsers more together
// (docs/decisions.md, "Costly queries take turns"): twenty counts of a
// directory of 100,000 users in a 2 KB batch took 27 s of CPU, twenty
// requests' worth. With the allowance at 4 and a directory of 4 users in
// tenant A, the first item's scan is answered, and the second's (4 users
// of the allowance), the next ones run out (400, naming the batch); the
// users the names' indexes find count too, and a lookup by key and a
// list without a filter ($count=true, $orderby=displayName) are no scan.
func TestBatchScansTheDirectoryOnce(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) { srv.BatchScanUsers = 4 })
	admin := s.application(tenantA, "User.ReadWrite.All")
	for _, body := range directoryUsers {
		if resp := s.do(request{method: http.MethodPost, path: "/beta/users", token: admin, body: body}); resp.status != http.StatusCreated {
			t.Fatalf("POST /users: %d %s", resp.status, resp.body)
		}
	}
	reader := s.application(tenantA, "User.Read.All")
	scan := "/users?$count=true&$filter=" + url.QueryEscape("accountEnabled eq true or startswith(displayName,'')")
	count := "/users/$count?$filter=" + url.QueryEscape("department ne 'none'")
	type item struct {
		url  string
		want int
	}
	tests := []struct {
		name  string
		items []item
	}{
		{"one scan", []item{{scan, http.StatusOK}}},
		{"four scans", []item{{scan, http.StatusOK}, {scan, http.StatusOK}, {count, http.StatusBadRequest}, {scan, http.StatusBadRequest}}},
		{"scans and cheap reads", []item{
			{scan, http.StatusOK}, {"/users?$top=3", http.StatusOK}, {count, http.StatusOK},
			{"/users?$filter=" + url.QueryEscape("userPrincipalName eq 'AlexW@contoso.test'"), http.StatusOK},
			{count, http.StatusBadRequest},
		}},
		{"no filter, no scan", []item{
			{"/users?$count=true&$top=1", http.StatusOK}, // the store's count and a page
			{"/users?$orderby=displayName&$count=true&$top=1", http.StatusOK},
			{scan, http.StatusOK}, {scan, http.StatusOK}, {scan, http.StatusBadRequest},
		}},
		{"names found by index", []item{
			{scan, http.StatusOK},
			{"/users/$count?$filter=" + url.QueryEscape("startswith(displayName,'a')"), http.StatusOK},            // 2 users
			{"/users?$count=true&$filter=" + url.QueryEscape("startswith(userPrincipalName,'m')"), http.StatusOK}, // 1
			{scan, http.StatusBadRequest},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var list []string
			last := 0 // the last item answered 200
			for i, it := range tt.items {
				// Each after the last one answered, so that the scans
				// come in the items' order (a failed dependency is 424).
				depends := ""
				if last > 0 {
					depends = fmt.Sprintf(`,"dependsOn":["%d"]`, last)
				}
				if it.want == http.StatusOK {
					last = i + 1
				}
				list = append(list, fmt.Sprintf(`{"id":"%d","method":"GET","url":%q,"headers":{"ConsistencyLevel":"eventual"}%s}`, i+1, it.url, depends))
			}
			got := s.sendBatch(t, "/beta/$batch", reader, `{"requests":[`+strings.Join(list, ",")+`]}`)
			if len(got.Responses) != len(tt.items) {
				t.Fatalf("%d responses, want %d: %+v", len(got.Responses), len(tt.items), got.Responses)
			}
			byID := map[string]int{} // an item's id: its answer's index
			for i, r := range got.Responses {
				byID[r.ID] = i
			}
			for i, it := range tt.items {
				r := got.Responses[byID[strconv.Itoa(i+1)]]
				if r.Status != it.want {
					t.Errorf("item %d (%s): %d %s, want %d", i+1, it.url, r.Status, r.Body, it.want)
				}
				if it.want == http.StatusBadRequest && !strings.Contains(string(r.Body), "of this $batch read more than 4 users") {
					t.Errorf("item %d: %s, want the batch's allowance named", i+1, r.Body)
				}
			}
		})
	}
	if graphapi.DefaultBatchScanUsers != 20_000 {
		t.Errorf("DefaultBatchScanUsers = %d, want the 20,000 docs/decisions.md names", graphapi.DefaultBatchScanUsers)
	}
}
