package graphapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
)

// slotStore holds every list until release is closed, counting the lists
// in progress at once; entered is told of each list begun.
type slotStore struct {
	graphprofile.Store
	entered chan struct{}
	release chan struct{}

	mu      sync.Mutex
	running int
	most    int
}

func (s *slotStore) ScanItems(ctx context.Context, user graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, yield func(graphprofile.Item) (bool, error)) error {
	s.mu.Lock()
	s.running++
	s.most = max(s.most, s.running)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	s.entered <- struct{}{}
	<-s.release
	return s.Store.ScanItems(ctx, user, c, order, after, yield)
}

// TestBatchItemsRunTogetherBounded: the items of a $batch that depend on
// nothing run together, at most 10 at a time (docs/decisions.md, "JSON
// batching", Order; issue 13: "may run concurrently (bounded)"): with each
// item's list held, 10 of a batch of 20 get to the store, the others wait
// for a slot, and all 20 answer once released.
func TestBatchItemsRunTogetherBounded(t *testing.T) {
	const items, bound = 20, 10
	held := &slotStore{entered: make(chan struct{}, items), release: make(chan struct{})}
	s := newTestServer(t, func(srv *graphapi.Server) {
		held.Store = srv.Service.Store
		srv.Service = &graphprofile.Service{Store: held}
	})
	tok := s.delegated(tenantA, userA1, "User.Read")
	var list []string
	for i := range items {
		list = append(list, fmt.Sprintf(`{"id":"%d","method":"GET","url":"/me/profile/positions"}`, i+1))
	}
	answered := make(chan *response, 1)
	go func() {
		answered <- s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[` + strings.Join(list, ",") + `]}`})
	}()
	for i := range bound {
		select {
		case <-held.entered:
		case <-time.After(20 * time.Second):
			close(held.release)
			t.Fatalf("%d items reached the store, want %d at once", i, bound)
		}
	}
	// A request of its own meanwhile: the batch's other items have had
	// their turn to run, and must still be waiting for a slot.
	if resp := s.do(request{path: "/healthz"}); resp.status != http.StatusOK {
		t.Errorf("healthz %d", resp.status)
	}
	close(held.release)
	resp := <-answered
	if resp.status != http.StatusOK {
		t.Fatalf("batch: %d %s", resp.status, resp.body)
	}
	var a batchAnswer
	if err := json.Unmarshal(resp.body, &a); err != nil {
		t.Fatalf("batch response: %v\n%s", err, resp.body)
	}
	if len(a.Responses) != items {
		t.Fatalf("%d responses, want %d", len(a.Responses), items)
	}
	for _, r := range a.Responses {
		if r.Status != http.StatusOK {
			t.Errorf("item %s: %d %s", r.ID, r.Status, r.Body)
		}
	}
	held.mu.Lock()
	defer held.mu.Unlock()
	if held.most != bound {
		t.Errorf("at most %d items at the store at once, want %d", held.most, bound)
	}
}
