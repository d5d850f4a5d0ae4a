package graphapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/storetest"
)

// withMaxItems sets the server's limit of items per collection of a
// profile (serve --max-items).
func withMaxItems(n int) serverOption {
	return func(s *graphapi.Server) { s.Service.MaxItems = n }
}

// TestCollectionQuota: a collection of a profile holds at most MaxItems
// items; one more is Graph's 507 quotaLimitReached, stores nothing, and
// leaves the other collections and profiles alone; a delete makes room.
func TestCollectionQuota(t *testing.T) {
	s := newTestServer(t, withMaxItems(3))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	var ids []string
	for i := range 3 {
		p := s.create(tok, "/me", fmt.Sprintf(`{"detail":{"jobTitle":"Job %d"}}`, i))
		ids = append(ids, p["id"].(string))
	}
	full := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{"detail":{"jobTitle":"One too many"}}`})
	if msg := expectError(t, full, http.StatusInsufficientStorage, "quotaLimitReached"); msg != "The maximum storage quota has been reached." {
		t.Errorf("message %q", msg)
	}
	if loc := full.header.Get("Location"); loc != "" {
		t.Errorf("a refused create has Location %q", loc)
	}
	list := s.do(request{path: "/beta/me/profile/positions", token: tok}).json(t)
	if got := len(list["value"].([]any)); got != 3 {
		t.Fatalf("after the refusal the list has %d positions, want 3", got)
	}
	for _, v := range list["value"].([]any) {
		if title := get(v, "detail", "jobTitle"); title == "One too many" {
			t.Fatal("the refused position was stored")
		}
	}

	// Another collection of the same profile, and another user's
	// positions, have their own room.
	skills := graphprofile.ProfileCollections()
	var skill graphprofile.Collection
	for _, c := range skills {
		if c.Name == "skills" {
			skill = c
		}
	}
	if resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/skills", token: tok, body: bodyOf(skill.Type, storetest.SampleObject(skill.Type, 1))}); resp.status != http.StatusCreated {
		t.Fatalf("a skill beside 3 positions: %d %s", resp.status, resp.body)
	}
	other := s.delegated(tenantA, userA2, "User.ReadWrite")
	s.create(other, "/me", `{"detail":{"jobTitle":"Someone else's"}}`)

	// A delete makes room for exactly one.
	if resp := s.do(request{method: http.MethodDelete, path: "/beta/me/profile/positions/" + ids[0], token: tok}); resp.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", resp.status, resp.body)
	}
	expectError(t, s.do(request{path: "/beta/me/profile/positions/" + ids[0], token: tok}), http.StatusNotFound, "itemNotFound")
	s.create(tok, "/me", `{"detail":{"jobTitle":"In the freed place"}}`)
	expectError(t, s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{}`}), http.StatusInsufficientStorage, "quotaLimitReached")

	// Inside a $batch the refusal is the item's answer.
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[{"id":"1","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{"detail":{"jobTitle":"Batched"}}}]}`)
	status, _, body := a.item(t, "1")
	if status != http.StatusInsufficientStorage || get(body, "error", "code") != "quotaLimitReached" ||
		get(body, "error", "message") != "The maximum storage quota has been reached." {
		t.Errorf("batched create into a full collection: %d %v", status, body)
	}
	list = s.do(request{path: "/beta/me/profile/positions", token: tok}).json(t)
	if got := len(list["value"].([]any)); got != 3 {
		t.Errorf("after the refused batched create the list has %d positions, want 3", got)
	}
	for _, v := range list["value"].([]any) {
		if title := get(v, "detail", "jobTitle"); title == "Batched" || title == "Job 0" {
			t.Errorf("the list holds %q: the refused create was stored, or the deleted position is back", title)
		}
	}
}

// countingStore counts the items a store's scans deliver and the calls
// that read whole collections or the profile.
type countingStore struct {
	graphprofile.Store
	scanned  atomic.Int64
	scans    atomic.Int64
	profiles atomic.Int64
}

func (s *countingStore) ListProfile(ctx context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection, limit int) ([][]graphprofile.Item, error) {
	s.profiles.Add(1)
	return s.Store.ListProfile(ctx, owner, collections, limit)
}

func (s *countingStore) ScanItems(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, visit func(graphprofile.Item) (bool, error)) error {
	s.scans.Add(1)
	return s.Store.ScanItems(ctx, owner, c, order, after, func(it graphprofile.Item) (bool, error) {
		s.scanned.Add(1)
		return visit(it)
	})
}

// TestListsReadThePage: a list in the default order or newest first, its
// next pages, a filtered list and a GET of one item read from the store
// about what the page needs, not the whole profile.
func TestListsReadThePage(t *testing.T) {
	var counting *countingStore
	s := newTestServer(t, func(srv *graphapi.Server) {
		counting = &countingStore{Store: srv.Service.Store}
		srv.Service.Store = counting
	})
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	const positions = 300
	for i := range positions {
		s.create(tok, "/me", fmt.Sprintf(`{"detail":{"jobTitle":"Job %03d"}}`, i))
	}

	for _, tc := range []struct {
		name     string
		path     string
		want     int   // items in the page
		maxReads int64 // the page's items, those the filter passes over, and one more (is there a next page?)
	}{
		{"first page of 10", "/beta/me/profile/positions?$top=10", 10, 11},
		{"newest first, a page of 10", "/beta/me/profile/positions?$top=10&$orderby=createdDateTime desc", 10, 11},
		{"newest first, filtered", "/beta/me/profile/positions?$top=2&$orderby=createdDateTime desc&$filter=startswith(detail/jobTitle,'Job 29')", 2, 3},
		{"a filter matching early", "/beta/me/profile/positions?$top=5&$filter=startswith(detail/jobTitle,'Job 00')", 5, 6},
		{"a filter matching late", "/beta/me/profile/positions?$top=1&$filter=detail/jobTitle eq 'Job 150' or detail/jobTitle eq 'Job 151'", 1, 153},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counting.scanned.Store(0)
			page := s.do(request{path: strings.NewReplacer(" ", "%20", "'", "%27").Replace(tc.path), token: tok}).json(t)
			if got := len(page["value"].([]any)); got != tc.want {
				t.Fatalf("%d items, want %d", got, tc.want)
			}
			if n := counting.scanned.Load(); n > tc.maxReads {
				t.Errorf("the store delivered %d items for a page of %d, want at most %d", n, tc.want, tc.maxReads)
			}
		})
	}

	// Following nextLinks, each page reads about a page: the walk reads
	// each item about once, not once per page, in either order.
	for _, walk := range []struct {
		first  string
		oldest bool
	}{
		{"/beta/me/profile/positions?$top=25", true},
		{"/beta/me/profile/positions?$top=25&$orderby=createdDateTime%20desc", false},
	} {
		counting.scanned.Store(0)
		next := walk.first
		var titles []string
		for next != "" {
			page := s.do(request{path: next, token: tok}).json(t)
			for _, v := range page["value"].([]any) {
				titles = append(titles, get(v, "detail", "jobTitle").(string))
			}
			next = ""
			if link, ok := page["@odata.nextLink"].(string); ok {
				next = link[strings.Index(link, "/beta/"):]
			}
		}
		if len(titles) != positions {
			t.Fatalf("%s: the walk saw %d positions, want %d", walk.first, len(titles), positions)
		}
		for i, title := range titles {
			n := i
			if !walk.oldest {
				n = positions - 1 - i
			}
			if want := fmt.Sprintf("Job %03d", n); title != want {
				t.Fatalf("%s: position %d of the walk is %q, want %q", walk.first, i, title, want)
			}
		}
		if n := counting.scanned.Load(); n > positions+positions/25+1 {
			t.Errorf("%s: walking %d positions in pages of 25 delivered %d items, want about one read each", walk.first, positions, n)
		}
	}

	// One item: no scan at all, and no read of the profile, for a
	// position that is there and one that is not.
	first := s.do(request{path: "/beta/me/profile/positions?$top=1", token: tok}).json(t)
	id := first["value"].([]any)[0].(map[string]any)["id"]
	counting.scans.Store(0)
	counting.profiles.Store(0)
	if resp := s.do(request{path: fmt.Sprintf("/beta/me/profile/positions/%v", id), token: tok}); resp.status != http.StatusOK {
		t.Fatalf("GET one: %d %s", resp.status, resp.body)
	}
	if resp := s.do(request{path: "/beta/me/profile/positions/none", token: tok}); resp.status != http.StatusNotFound {
		t.Fatalf("GET of a position that is not there: %d %s", resp.status, resp.body)
	}
	if n := counting.scans.Load(); n != 0 {
		t.Errorf("GET of one position scanned the collection %d times", n)
	}
	if n := counting.profiles.Load(); n != 0 {
		t.Errorf("GET of one position read the profile %d times", n)
	}
}
