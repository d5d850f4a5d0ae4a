package graphapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/odata"
	"github.com/prometheus/client_golang/prometheus"
)

// listedPositions returns the positions a GET of the list shows the
// caller, as decoded JSON, @odata.etag included.
func listedPositions(t *testing.T, s *testServer, tok, profile string) []any {
	t.Helper()
	resp := s.do(request{path: "/beta" + profile + "/profile/positions", token: tok})
	if resp.status != http.StatusOK {
		t.Fatalf("list: %d %s", resp.status, resp.body)
	}
	return resp.json(t)["value"].([]any)
}

// TestGetProfile checks GET …/profile: Graph's constant id, the positions
// inline exactly as the caller's list shows them (allowedAudiences
// decides), and the context rooted at the owner's object id, through every
// way of naming the owner.
func TestGetProfile(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, body := range []string{
		readTestdata(t, "seed/create-request.json"),
		`{"allowedAudiences":"me","detail":{"jobTitle":"hidden"}}`,
		`{"allowedAudiences":"everyone","isCurrent":true}`,
	} {
		s.create(owner, "/me", body)
	}
	wantContext := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/$entity"

	for _, tc := range []struct {
		name, token, profile string
		positions            int
	}{
		{"owner by /me", owner, "/me", 3},
		{"owner by id", owner, "/users/" + userA1, 3},
		{"owner by UPN in upper case", s.delegated(tenantA, userA1, "User.Read"), "/users/" + strings.ToUpper(upnOf(userA1)), 3},
		{"owner by key in parentheses", owner, "/users('" + userA1 + "')", 3},
		{"owner by the SDKs' /me alias", owner, "/users/me-token-to-replace", 3},
		{"colleague with User.Read.All", s.delegated(tenantA, userA2, "User.Read.All"), "/users/" + userA1, 2},
		{"colleague with User.ReadBasic.All", s.delegated(tenantA, userA2, "User.ReadBasic.All"), "/users/" + userA1, 2},
		{"app with User.Read.All", s.application(tenantA, "User.Read.All"), "/users/" + userA1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(request{path: "/beta" + tc.profile + "/profile", token: tc.token})
			if resp.status != http.StatusOK {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
			checkCommonHeaders(t, resp)
			if keys := objectKeys(t, resp.body); strings.Join(keys, ",") != "@odata.context,"+profileKeys() {
				t.Errorf("keys %v, want @odata.context,%s", keys, profileKeys())
			}
			body := resp.json(t)
			if body["@odata.context"] != wantContext || body["id"] != "profileId" {
				t.Errorf("context %v, id %v; want %s, profileId", body["@odata.context"], body["id"], wantContext)
			}
			positions, _ := body["positions"].([]any)
			if len(positions) != tc.positions {
				t.Errorf("%d positions, want %d: %s", len(positions), tc.positions, resp.body)
			}
			if want := listedPositions(t, s, tc.token, tc.profile); !reflect.DeepEqual(positions, want) {
				t.Errorf("positions differ from the list:\n got %v\nwant %v", positions, want)
			}
			for _, raw := range rawPositions(t, resp.body) {
				if keys := objectKeys(t, raw); keys[0] != "@odata.etag" || keys[1] != "id" {
					t.Errorf("position keys start %v, want @odata.etag, id", keys[:2])
				}
			}
		})
	}

	t.Run("EmptyProfile", func(t *testing.T) {
		tok := s.delegated(tenantB, userB1, "User.Read")
		resp := s.do(request{path: "/beta/me/profile", token: tok})
		want := `{"@odata.context":"` + s.url + `/beta/$metadata#users('` + userB1 + `')/profile/$entity","id":"profileId"`
		for _, c := range graphprofile.ProfileCollections() {
			want += `,"` + c.Name + `":[]`
		}
		if resp.status != http.StatusOK || string(resp.body) != want+"}" {
			t.Errorf("%d %s", resp.status, resp.body)
		}
	})
}

// TestProfileSelectAndExpand checks $select and $expand on the profile:
// what each shows and the context URL OData 4.0 writes for it.
func TestProfileSelectAndExpand(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.create(owner, "/me", `{"isCurrent":true,"detail":{"jobTitle":"Engineer"}}`)
	base := s.url + "/beta/$metadata#users('" + userA1 + "')/profile"

	for _, tc := range []struct {
		query       string
		context     string
		keys        string // the profile's keys after @odata.context
		positionKey string // the keys of a position, when shown
	}{
		{"", "/$entity", profileKeys(), "all"},
		{"$select=id", "(id)/$entity", "id", ""},
		{"$select=positions", "(positions)/$entity", "id,positions", "all"},
		{"select=id,positions", "(id,positions)/$entity", "id,positions", "all"},
		{"$select=*", "/$entity", profileKeys(), "all"},
		{"$expand=positions", "/$entity", "id,positions", "all"},
		{"$expand=*", "/$entity", profileKeys(), "all"},
		{"$select=id&$expand=positions", "(id)/$entity", "id,positions", "all"},
		{"$expand=positions($select=isCurrent)", "(positions(isCurrent))/$entity", "id,positions", "@odata.etag,id,isCurrent"},
		{"$select=positions&$expand=positions(select=detail,isCurrent)", "(positions(detail,isCurrent))/$entity", "id,positions", "@odata.etag,id,detail,isCurrent"},
		{"$select=id&$expand=positions($select=id)", "(id,positions(id))/$entity", "id,positions", "@odata.etag,id"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			resp := s.do(request{path: "/beta/me/profile?" + tc.query, token: owner})
			if resp.status != http.StatusOK {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
			if got := resp.json(t)["@odata.context"]; got != base+tc.context {
				t.Errorf("context %v, want %s", got, base+tc.context)
			}
			if keys := objectKeys(t, resp.body); strings.Join(keys[1:], ",") != tc.keys {
				t.Errorf("keys %v, want @odata.context,%s", keys, tc.keys)
			}
			if tc.positionKey == "" {
				return
			}
			positions := rawPositions(t, resp.body)
			if len(positions) != 1 {
				t.Fatalf("%d positions, want 1", len(positions))
			}
			keys := objectKeys(t, positions[0])
			want := "@odata.etag,id,allowedAudiences,inference,createdDateTime,createdBy,lastModifiedDateTime,lastModifiedBy,source,sources,isSearchable,categories,detail,manager,colleagues,isCurrent"
			if tc.positionKey != "all" {
				want = tc.positionKey
			}
			if strings.Join(keys, ",") != want {
				t.Errorf("position keys %v, want %s", keys, want)
			}
		})
	}

	for _, tc := range []struct{ query, fragment string }{
		{"$expand=nonsense", "could not find a navigation property named 'nonsense' on type 'microsoft.graph.profile'"},
		{"$expand=id", "could not find a navigation property named 'id'"},
		{"$expand=positions($filter=isCurrent)", "only $select is"},
		{"$expand=positions($select=bogus)", "'bogus' on type 'microsoft.graph.workPosition'"},
		{"$select=nonsense", "Parsing OData Select and Expand failed: Could not find a property named 'nonsense' on type 'microsoft.graph.profile'."},
		{"$filter=id eq 'x'", "'$filter' is not supported on this resource; it supports $select, $expand"},
		{"$top=1", "'$top' is not supported on this resource"},
		{"$orderby=id", "'$orderby' is not supported on this resource"},
		{"$search=x", "'$search' is not supported"},
		{"$expand=positions&$expand=positions", "'$expand' is given more than once"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			query := strings.ReplaceAll(tc.query, " ", "%20")
			msg := expectError(t, s.do(request{path: "/beta/me/profile?" + query, token: owner}), http.StatusBadRequest, "BadRequest")
			if !strings.Contains(msg, tc.fragment) {
				t.Errorf("message %q lacks %q", msg, tc.fragment)
			}
		})
	}
}

// profileKeys are the keys of a whole profile: id, then every collection
// of ProfileType, in schema order.
func profileKeys() string {
	keys := []string{"id"}
	for _, c := range graphprofile.ProfileCollections() {
		keys = append(keys, c.Name)
	}
	return strings.Join(keys, ",")
}

// rawPositions returns the positions of a profile body as JSON, as sent.
func rawPositions(t *testing.T, body []byte) []json.RawMessage {
	t.Helper()
	var profile struct {
		Positions []json.RawMessage `json:"positions"`
	}
	if err := json.Unmarshal(body, &profile); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return profile.Positions
}

// TestDeleteProfile checks DELETE …/profile: 204, every position gone
// (those hidden from an administrator too), the user and other profiles
// untouched, If-Match as a profile without an ETag allows.
func TestDeleteProfile(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	colleague := s.delegated(tenantA, userA2, "User.ReadWrite")
	fill := func() {
		for _, audience := range []string{"organization", "me", "family"} {
			s.create(owner, "/me", `{"allowedAudiences":"`+audience+`"}`)
		}
	}
	s.create(colleague, "/me", `{}`)

	for _, tc := range []struct{ name, token, profile string }{
		{"owner by /me", owner, "/me"},
		{"owner by UPN", owner, "/users/" + upnOf(userA1)},
		{"owner by the SDKs' /me alias", owner, "/users/me-token-to-replace"},
		{"administrator, positions hidden from it too", s.delegated(tenantA, userA2, "User.ReadWrite.All"), "/users/" + userA1},
		{"app with User.ReadWrite.All", s.application(tenantA, "User.ReadWrite.All"), "/users/" + userA1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fill()
			resp := s.do(request{method: http.MethodDelete, path: "/beta" + tc.profile + "/profile", token: tc.token})
			if resp.status != http.StatusNoContent || len(resp.body) != 0 {
				t.Fatalf("%d %q, want 204 and no body", resp.status, resp.body)
			}
			checkCommonHeaders(t, resp)
			if got := listedPositions(t, s, owner, "/me"); len(got) != 0 {
				t.Errorf("the owner still sees %d positions", len(got))
			}
			if resp := s.do(request{path: "/beta/me", token: owner}); resp.status != http.StatusOK || resp.json(t)["id"] != userA1 {
				t.Errorf("the user after deleting its profile: %d %s", resp.status, resp.body)
			}
			if got := listedPositions(t, s, colleague, "/me"); len(got) != 1 {
				t.Errorf("another profile has %d positions, want 1", len(got))
			}
		})
	}

	t.Run("EmptyProfileAgain", func(t *testing.T) {
		for range 2 {
			if resp := s.do(request{method: http.MethodDelete, path: "/beta/me/profile", token: owner}); resp.status != http.StatusNoContent {
				t.Errorf("%d %s", resp.status, resp.body)
			}
		}
	})
	t.Run("IfMatch", func(t *testing.T) {
		fill()
		// An empty If-Match names no tag either: not the whole profile
		// deleted without a condition.
		for _, tag := range []string{`"x"`, `W/"x"`, ``, ` , `} {
			resp := s.do(request{method: http.MethodDelete, path: "/beta/me/profile", token: owner, headerLines: http.Header{"If-Match": {tag}}})
			if msg := expectError(t, resp, http.StatusPreconditionFailed, "preconditionFailed"); msg != "The If-Match header does not match: a profile has no ETag; send If-Match: * or none." {
				t.Errorf("If-Match %s: message %q", tag, msg)
			}
		}
		if got := listedPositions(t, s, owner, "/me"); len(got) != 3 {
			t.Errorf("a refused DELETE left %d positions, want 3", len(got))
		}
		resp := s.do(request{method: http.MethodDelete, path: "/beta/me/profile", token: owner, header: map[string]string{"If-Match": "*"}})
		if resp.status != http.StatusNoContent || len(resp.body) != 0 {
			t.Errorf("If-Match: *: %d %s", resp.status, resp.body)
		}
		if got := listedPositions(t, s, owner, "/me"); len(got) != 0 {
			t.Errorf("a DELETE with If-Match: * left %d positions, want 0", len(got))
		}
	})
	t.Run("Refusals", func(t *testing.T) {
		fill()
		expectError(t, s.do(request{method: http.MethodDelete, path: "/beta/me/profile"}), http.StatusUnauthorized, "InvalidAuthenticationToken")
		expectError(t, s.do(request{method: http.MethodDelete, path: "/beta/users/" + userA1 + "/profile", token: s.delegated(tenantA, userA2, "User.Read.All")}),
			http.StatusForbidden, "Authorization_RequestDenied")
		expectError(t, s.do(request{method: http.MethodDelete, path: "/beta/users/" + userA1 + "/profile", token: s.delegated(tenantB, userB1, "User.ReadWrite.All")}),
			http.StatusNotFound, "Request_ResourceNotFound")
		expectError(t, s.do(request{method: http.MethodDelete, path: "/beta/me/profile", token: s.application(tenantA, "User.ReadWrite.All")}),
			http.StatusBadRequest, "BadRequest")
		if msg := expectError(t, s.do(request{method: http.MethodDelete, path: "/beta/me/profile?$select=id", token: owner}), http.StatusBadRequest, "BadRequest"); msg != "The query option '$select' is not supported on this resource; it supports no query options." {
			t.Errorf("DELETE with $select: message %q", msg)
		}
		if got := listedPositions(t, s, owner, "/me"); len(got) != 3 {
			t.Errorf("refused DELETEs left %d positions, want 3", len(got))
		}
	})
}

// TestProfileRoutes checks the profile's paths: the methods it serves (405
// and Allow otherwise), the errors of its lookup, and v1.0, which has no
// profile.
func TestProfileRoutes(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, method := range []string{http.MethodPost, http.MethodPatch, http.MethodPut} {
		resp := s.do(request{method: method, path: "/beta/me/profile", token: tok, body: `{}`})
		expectError(t, resp, http.StatusMethodNotAllowed, "Request_BadRequest")
		if got := resp.header.Get("Allow"); got != "GET, DELETE" {
			t.Errorf("%s: Allow %q, want GET, DELETE", method, got)
		}
	}
	expectError(t, s.do(request{path: "/beta/me/profile"}), http.StatusUnauthorized, "InvalidAuthenticationToken")
	expectError(t, s.do(request{path: "/beta/users/nobody@contoso.test/profile", token: s.delegated(tenantA, userA1, "User.Read.All")}), http.StatusNotFound, "Request_ResourceNotFound")
	expectError(t, s.do(request{path: "/beta/users/" + userA2 + "/profile", token: tok}), http.StatusForbidden, "Authorization_RequestDenied")
	for _, path := range []string{"/v1.0/me/profile", "/v1.0/users/" + userA1 + "/profile"} {
		msg := expectError(t, s.do(request{path: path, token: tok}), http.StatusBadRequest, "BadRequest")
		if msg != "Resource not found for the segment 'profile'." {
			t.Errorf("%s: %q", path, msg)
		}
	}
	if resp := s.do(request{path: "/beta/me/profile/", token: tok}); resp.status != http.StatusOK || resp.json(t)["id"] != "profileId" ||
		resp.json(t)["@odata.context"] != s.url+"/beta/$metadata#users('"+userA1+"')/profile/$entity" {
		t.Errorf("with a trailing slash: %d %s", resp.status, resp.body)
	}
}

// TestProfileOfBigItems checks that a profile bigger than the answers'
// budget is still answered: GET …/profile shows what fits within a page's
// bytes (odata.MaxPageBytes) and gives each collection cut short a
// "<collection>@odata.nextLink" to the rest of its list, which, followed
// page by page, reaches every item once, in order. It answered 503
// serviceNotAvailable "temporarily unavailable" with Retry-After: 1 to
// every request, on an idle server, for a profile of more than 32 MiB
// (320 positions of 100 colleagues with 1,000-character names), while its
// lists paged fine.
func TestProfileOfBigItems(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	var colleagues []string
	for i := range 100 {
		colleagues = append(colleagues, fmt.Sprintf(`{"displayName":"%s%d"}`, strings.Repeat("n", 1000), i))
	}
	big := `{"colleagues":[` + strings.Join(colleagues, ",") + `]}`
	const positions = 320
	var wantPositions []string
	for range positions {
		wantPositions = append(wantPositions, s.create(owner, "/me", big)["id"].(string))
	}
	resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/skills", token: owner, body: `{"displayName":"Go"}`})
	if resp.status != http.StatusCreated {
		t.Fatalf("create a skill: %d %s", resp.status, resp.body)
	}
	wantSkills := []string{resp.json(t)["id"].(string)}

	// "/": one trailing slash is ignored (docs/decisions.md), and the
	// nextLink is the collection's path all the same, without "//".
	for _, query := range []string{"", "/", "?$expand=positions,skills", "?$expand=positions($select=colleagues),skills", "?$expand=positions($select=isCurrent),skills"} {
		t.Run(query, func(t *testing.T) {
			resp := s.do(request{path: "/beta/me/profile" + query, token: owner})
			if resp.status != http.StatusOK {
				t.Fatalf("GET profile: %d %.300s", resp.status, resp.body)
			}
			if len(resp.body) > 32<<20 {
				t.Errorf("the profile's answer has %d bytes", len(resp.body))
			}
			var profile map[string]json.RawMessage
			if err := json.Unmarshal(resp.body, &profile); err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string][]string{"positions": wantPositions, "skills": wantSkills} {
				var items []map[string]any
				if err := json.Unmarshal(profile[name], &items); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				var got []string
				for _, it := range items {
					got = append(got, it["id"].(string))
				}
				var next string
				if raw, ok := profile[name+"@odata.nextLink"]; ok {
					if err := json.Unmarshal(raw, &next); err != nil {
						t.Fatal(err)
					}
				}
				// Only isCurrent of each position fits whole.
				cut := name == "positions" && !strings.Contains(query, "isCurrent")
				if cut && (next == "" || len(got) == positions) {
					t.Errorf("positions: %d items inline and nextLink %q; want some, and a nextLink to the rest", len(got), next)
				}
				if !cut && next != "" {
					t.Errorf("%s: nextLink %q, want every item inline", name, next)
				}
				if next != "" && strings.Contains(query, "$select=colleagues") != strings.Contains(next, "$select=colleagues&") {
					t.Errorf("%s: nextLink %q for %s", name, next, query)
				}
				for pages := 0; next != ""; pages++ {
					if !strings.HasPrefix(next, s.url+"/beta/me/profile/"+name) || pages > positions {
						t.Fatalf("%s: nextLink %q", name, next)
					}
					page := s.do(request{path: strings.TrimPrefix(next, s.url), token: owner})
					if page.status != http.StatusOK {
						t.Fatalf("%s: GET %s: %d %.300s", name, next, page.status, page.body)
					}
					var body struct {
						NextLink string           `json:"@odata.nextLink"`
						Value    []map[string]any `json:"value"`
					}
					if err := json.Unmarshal(page.body, &body); err != nil {
						t.Fatal(err)
					}
					for _, it := range body.Value {
						got = append(got, it["id"].(string))
					}
					next = body.NextLink
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: the profile and its nextLinks gave %d items, want the %d listed, in order", name, len(got), len(want))
				}
			}
		})
	}
}

// readCountingStore counts the items its scans and profile lists deliver
// (what the store read and decoded for the server), and with a gate holds
// each scan before its item gateAfter+1 until the gate opens.
type readCountingStore struct {
	graphprofile.Store
	read      atomic.Int64
	gate      chan struct{}
	gateAfter int
}

func (s *readCountingStore) ScanItems(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, visit func(graphprofile.Item) (bool, error)) error {
	n := 0
	return s.Store.ScanItems(ctx, owner, c, order, after, func(it graphprofile.Item) (bool, error) {
		s.read.Add(1)
		n++
		if s.gate != nil && n == s.gateAfter+1 {
			select {
			case <-s.gate:
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
		return visit(it)
	})
}

func (s *readCountingStore) ListProfile(ctx context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection, limit int) ([][]graphprofile.Item, error) {
	lists, err := s.Store.ListProfile(ctx, owner, collections, limit)
	for _, l := range lists {
		s.read.Add(int64(len(l)))
	}
	return lists, err
}

// TestProfileReadsWhatItShows: GET …/profile of a profile past what it
// shows (4 MiB of items) reads each collection only as far as it shows it,
// and one item more, not every item of the profile; and a read past a
// default page takes an evaluation slot, as a big page does, so that
// concurrent reads of big profiles take turns rather than each holding its
// profile at once.
func TestProfileReadsWhatItShows(t *testing.T) {
	counting := &readCountingStore{}
	s := newTestServer(t, withMetrics(prometheus.NewRegistry(), true), func(srv *graphapi.Server) {
		srv.MaxEvaluations = 1
		counting.Store = srv.Service.Store
		srv.Service = &graphprofile.Service{Store: counting}
	})
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	var colleagues []string
	for i := range 30 {
		colleagues = append(colleagues, fmt.Sprintf(`{"displayName":"%s%d"}`, strings.Repeat("n", 1000), i))
	}
	big := `{"colleagues":[` + strings.Join(colleagues, ",") + `]}`
	const positions = 300 // 9 MB of them
	for range positions {
		s.create(owner, "/me", big)
	}

	counting.read.Store(0)
	resp := s.do(request{path: "/beta/me/profile", token: owner})
	if resp.status != http.StatusOK {
		t.Fatalf("GET profile: %d %.300s", resp.status, resp.body)
	}
	shown := len(resp.json(t)["positions"].([]any))
	if shown == positions || resp.json(t)["positions@odata.nextLink"] == nil {
		t.Fatalf("the profile shows %d positions of %d, and nextLink %v", shown, positions, resp.json(t)["positions@odata.nextLink"])
	}
	// What it shows and one more, the first items of each collection
	// (graphprofile.ProfileHeadItems and one) read twice, and what the read
	// before it took an evaluation slot read (1 MiB: 34 of these items).
	if n, most := counting.read.Load(), shown+1+2*(graphprofile.ProfileHeadItems+1)+34; n > int64(most) {
		t.Errorf("the profile read %d items from the store to show %d, want at most %d", n, shown, most)
	}

	// Concurrent reads of it take turns past a default page.
	counting.gate, counting.gateAfter = make(chan struct{}), 101
	const readers = 3
	answers := make(chan *response, readers)
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() { answers <- s.do(request{path: "/beta/me/profile", token: owner}) })
	}
	waitForGauges(t, s, readers-1, 1)
	close(counting.gate)
	wg.Wait()
	close(answers)
	for got := range answers {
		if got.status != http.StatusOK || !bytes.Equal(got.body, resp.body) {
			t.Errorf("a concurrent read of the profile: %d %.300s", got.status, got.body)
		}
	}
	waitForGauges(t, s, 0, 0)
}

// TestProfileBoundCountsWhatIsWritten: the bound of what GET …/profile
// shows (odata.MaxPageBytes) is of the bytes its items are written in,
// every property with its null, not of the values they hold: 8,000 sparse
// positions (an id, a time and a title: 80 bytes held, 700 written) were
// shown whole, 5.6 MB against the 4 MiB bound. Escapes are written too: 999
// positions of control characters (6 KB held, 37 KB written, a \u0001 for
// each) were a profile and a $top=999 page of 23 MB.
func TestProfileBoundCountsWhatIsWritten(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        int
		position func(i int) string
	}{
		{"sparse", 8000, func(i int) string { return fmt.Sprintf(`{"detail":{"jobTitle":"p%d"}}`, i) }},
		{"escaped", 200, func(i int) string {
			return fmt.Sprintf(`{"detail":{"jobTitle":"p%d","description":"%s"}}`, i, strings.Repeat(`\u0001`, 4000))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newAdminServer(t, withMaxItems(10000))
			positions := make([]string, tc.n)
			for i := range positions {
				positions[i] = tc.position(i)
			}
			doc := `{"tenants":[{"id":"` + tenantA + `","users":[{"id":"` + userA1 + `","displayName":"Ada","userPrincipalName":"ada@a.test","profile":{"positions":[` + strings.Join(positions, ",") + `]}}]}]}`
			if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: doc}); resp.status != http.StatusNoContent {
				t.Fatalf("fixtures: %d %.300s", resp.status, resp.body)
			}
			tok := s.delegated(tenantA, userA1, "User.Read")
			for _, read := range []struct{ path, items, next string }{
				{"/beta/me/profile", "positions", "positions@odata.nextLink"},
				{"/beta/me/profile/positions?$top=999", "value", "@odata.nextLink"},
			} {
				resp := s.do(request{path: read.path, token: tok})
				if resp.status != http.StatusOK {
					t.Fatalf("GET %s: %d %.300s", read.path, resp.status, resp.body)
				}
				var answer map[string]json.RawMessage
				if err := json.Unmarshal(resp.body, &answer); err != nil {
					t.Fatal(err)
				}
				var items []json.RawMessage
				if err := json.Unmarshal(answer[read.items], &items); err != nil {
					t.Fatal(err)
				}
				shown := 0
				for _, p := range items {
					shown += len(p) + 1
				}
				if shown > odata.MaxPageBytes+odata.MaxPageBytes/10 || answer[read.next] == nil || len(items) >= tc.n {
					t.Errorf("GET %s shows %d of %d positions in %d bytes (nextLink %s); want at most about %d bytes and a nextLink", read.path, len(items), tc.n, shown, answer[read.next], odata.MaxPageBytes)
				}
			}
		})
	}
}
