package graphapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/prometheus/client_golang/prometheus"
)

// gatedStore holds the scans of one owner's items at a gate until it
// opens, counting the scans that reached it.
type gatedStore struct {
	graphprofile.Store
	owner   string
	entered atomic.Int32
	open    chan struct{}
}

func (s *gatedStore) ScanItems(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, visit func(graphprofile.Item) (bool, error)) error {
	if owner.UserID == s.owner {
		s.entered.Add(1)
		select {
		case <-s.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Store.ScanItems(ctx, owner, c, order, after, visit)
}

// TestCostlyQueriesWaitForASlot: at most MaxEvaluations queries with a
// $filter are answered at once; the others wait without reaching the
// store, a waiting one whose client leaves is gone at once, a list without
// a filter does not wait, and every waiting query is answered in full once
// a slot frees. The gauges on /metrics say how many wait and run.
func TestCostlyQueriesWaitForASlot(t *testing.T) {
	gate := &gatedStore{owner: userA1, open: make(chan struct{})}
	reg := prometheus.NewRegistry()
	s := newTestServer(t, withMetrics(reg, true), func(srv *graphapi.Server) {
		srv.MaxEvaluations = 2
		gate.Store = srv.Service.Store
		srv.Service = &graphprofile.Service{Store: gate}
	})
	a1 := s.delegated(tenantA, userA1, "User.ReadWrite")
	a2 := s.delegated(tenantA, userA2, "User.ReadWrite")
	for _, title := range []string{"Engineer", "Manager", "Engineer"} {
		s.create(a1, "/me", `{"detail":{"jobTitle":"`+title+`"}}`)
	}
	s.create(a2, "/me", `{"detail":{"jobTitle":"Designer"}}`)
	gate.entered.Store(0)

	filtered := "/beta/me/profile/positions?$filter=" + url.QueryEscape("detail/jobTitle eq 'Engineer'")
	const costly = 4
	answers := make(chan *response, costly)
	var wg sync.WaitGroup
	for range costly {
		wg.Go(func() { answers <- s.do(request{path: filtered, token: a1}) })
	}
	waitForGauges(t, s, 2, 2)
	if n := gate.entered.Load(); n != 2 {
		t.Fatalf("%d filtered queries reached the store, want 2 (MaxEvaluations)", n)
	}

	// A list without a filter is not held behind them.
	if titles := s.positionTitles(t, a2, "/me"); len(titles) != 1 || titles[0] != "Designer" {
		t.Errorf("a list without a filter while filtered ones wait: %q, want [Designer]", titles)
	}

	// A waiting query whose client leaves ends without reaching the store.
	ctx, cancel := context.WithCancel(context.Background())
	left := s.getAsync(ctx, filtered, a1)
	waitForGauges(t, s, 3, 2)
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("the leaving client's request ended with %v, want context.Canceled", err)
	}
	waitForGauges(t, s, 2, 2)

	close(gate.open)
	wg.Wait()
	close(answers)
	for resp := range answers {
		if resp.status != http.StatusOK {
			t.Fatalf("a filtered query: %d %s", resp.status, resp.body)
		}
		value := resp.json(t)["value"].([]any)
		if len(value) != 2 {
			t.Errorf("a filtered query answered %d positions, want the 2 engineers: %s", len(value), resp.body)
		}
		for _, p := range value {
			if title := get(p, "detail", "jobTitle"); title != "Engineer" {
				t.Errorf("a filtered query answered a %v", title)
			}
		}
	}
	if n := gate.entered.Load(); n != costly {
		t.Errorf("%d filtered queries reached the store, want %d: the one whose client left must not", n, costly)
	}
	waitForGauges(t, s, 0, 0)
}

// slotServer is a test server of maxEvaluations evaluation slots whose
// store is wrap's (a gate around the server's own), with the costly
// queries' gauges on /metrics.
func slotServer(t *testing.T, maxEvaluations int, wrap func(graphprofile.Store) graphprofile.Store) *testServer {
	return newTestServer(t, withMetrics(prometheus.NewRegistry(), true), func(srv *graphapi.Server) {
		srv.MaxEvaluations = maxEvaluations
		srv.Service = &graphprofile.Service{Store: wrap(srv.Service.Store)}
	})
}

// opener returns the function that opens gate, once however often it is
// called; it runs at the test's cleanup too, before the server's drain,
// when the test fails first.
func opener(t *testing.T, gate chan struct{}) func() {
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(open)
	return open
}

// waitForGauges scrapes /metrics until waiting costly queries wait for a
// slot and running run in one.
func waitForGauges(t *testing.T, s *testServer, waiting, running float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := s.scrape()
		w, r := m["graphprofile_http_costly_queries_waiting"], m["graphprofile_http_costly_queries_running"]
		if w == waiting && r == running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("costly queries: %v waiting and %v running after 10 s, want %v and %v", w, r, waiting, running)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBigPagesWaitForASlot: a list asking for a page bigger than the
// default ($top over 100) takes an evaluation slot too, as a filter does,
// so that many of them do not read and decode their pages at once; a
// default-sized list does not wait, and each waiting one is answered once
// a slot frees.
func TestBigPagesWaitForASlot(t *testing.T) {
	gate := &gatedStore{owner: userA1, open: make(chan struct{})}
	s := newTestServer(t, withMetrics(prometheus.NewRegistry(), true), func(srv *graphapi.Server) {
		srv.MaxEvaluations = 1
		gate.Store = srv.Service.Store
		srv.Service = &graphprofile.Service{Store: gate}
	})
	a1 := s.delegated(tenantA, userA1, "User.ReadWrite")
	a2 := s.delegated(tenantA, userA2, "User.ReadWrite")
	s.create(a1, "/me", `{"detail":{"jobTitle":"Engineer"}}`)
	s.create(a2, "/me", `{"detail":{"jobTitle":"Designer"}}`)
	gate.entered.Store(0)

	const big = 3
	answers := make(chan *response, big)
	var wg sync.WaitGroup
	for range big {
		wg.Go(func() { answers <- s.do(request{path: "/beta/me/profile/positions?$top=999", token: a1}) })
	}
	waitForGauges(t, s, big-1, 1)
	// The running one has its slot before it reaches the store: waited
	// for (under load it had not yet, and the test failed).
	for deadline := time.Now().Add(10 * time.Second); gate.entered.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := gate.entered.Load(); n != 1 {
		t.Fatalf("%d lists of $top=999 reached the store, want 1 (MaxEvaluations)", n)
	}
	resp := s.do(request{path: "/beta/me/profile/positions?$top=100", token: a2})
	if resp.status != http.StatusOK {
		t.Errorf("a list of $top=100 while big ones wait: %d %s", resp.status, resp.body)
	} else if value := resp.json(t)["value"].([]any); len(value) != 1 || get(value[0], "detail", "jobTitle") != "Designer" {
		t.Errorf("a list of $top=100 while big ones wait answers %s, want its designer", resp.body)
	}
	close(gate.open)
	wg.Wait()
	close(answers)
	for resp := range answers {
		if resp.status != http.StatusOK || len(resp.json(t)["value"].([]any)) != 1 {
			t.Errorf("a list of $top=999: %d %s", resp.status, resp.body)
		}
	}
	waitForGauges(t, s, 0, 0)
}

// TestCostlyQueryWaitIsBounded: a costly query that finds no slot free
// within EvaluationWait is answered 503 serviceNotAvailable with
// Retry-After, counted and not logged as a failure, instead of waiting
// behind the others however long they take (with a database that stopped
// answering, each of them takes the store's whole budget, so the wait
// grew with the queue: 4 s a turn). The one in the slot is answered once
// the store answers.
func TestCostlyQueryWaitIsBounded(t *testing.T) {
	gate := &gatedStore{owner: userA1, open: make(chan struct{})}
	s := newTestServer(t, withMetrics(prometheus.NewRegistry(), true), func(srv *graphapi.Server) {
		srv.MaxEvaluations = 1
		srv.EvaluationWait = 300 * time.Millisecond
		gate.Store = srv.Service.Store
		srv.Service = &graphprofile.Service{Store: gate}
	})
	a1 := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.create(a1, "/me", `{"detail":{"jobTitle":"Engineer"}}`)
	filtered := "/beta/me/profile/positions?$filter=" + url.QueryEscape("detail/jobTitle eq 'Engineer'")

	first := make(chan *response, 1)
	go func() { first <- s.do(request{path: filtered, token: a1}) }()
	waitForGauges(t, s, 0, 1)

	start := time.Now()
	resp := s.do(request{path: filtered, token: a1})
	waited := time.Since(start)
	if resp.status != http.StatusServiceUnavailable {
		t.Fatalf("a costly query while the only slot was held: %d %s, want 503", resp.status, resp.body)
	}
	if msg := expectError(t, resp, http.StatusServiceUnavailable, "serviceNotAvailable"); msg != graphprofile.ServiceUnavailableMessage {
		t.Errorf("its message %q, want %q", msg, graphprofile.ServiceUnavailableMessage)
	}
	if ra := resp.header.Get("Retry-After"); ra != "1" {
		t.Errorf("its Retry-After %q, want 1", ra)
	}
	if waited < 300*time.Millisecond || waited > 5*time.Second {
		t.Errorf("it was answered after %v, want after EvaluationWait (300 ms)", waited)
	}
	if n := s.scrape()["graphprofile_http_costly_queries_refused_total"]; n != 1 {
		t.Errorf("graphprofile_http_costly_queries_refused_total %v, want 1", n)
	}

	close(gate.open)
	if resp := <-first; resp.status != http.StatusOK || len(resp.json(t)["value"].([]any)) != 1 {
		t.Errorf("the query in the slot: %d %s, want its engineer", resp.status, resp.body)
	}
	waitForGauges(t, s, 0, 0)
}

// gatedUsersStore holds the scans of the directory at a gate until it
// opens, counting the scans that reached it.
type gatedUsersStore struct {
	graphprofile.Store
	entered atomic.Int32
	open    chan struct{}
}

func (s *gatedUsersStore) ScanUsers(ctx context.Context, tenantID, afterID string, visit func(graphprofile.User) (bool, error)) error {
	s.entered.Add(1)
	select {
	case <-s.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.ScanUsers(ctx, tenantID, afterID, visit)
}

// TestUsersCountWaitsForASlot: GET /users/$count with a $filter reads the
// whole directory to count it, as $count=true with a filter does: it takes
// an evaluation slot, and the costly queries' gauges count it. Without a
// filter it once read the directory too and took none, so any number of
// clients counted a directory of 200,000 users at once (24 of them: 39 s
// each), unseen by the gauges and unbounded by --max-evaluations; without a
// filter the store now counts its index (Store.CountUsers), reading no
// user, so it needs no slot (the last part).
func TestUsersCountWaitsForASlot(t *testing.T) {
	gate := &gatedUsersStore{open: make(chan struct{})}
	s := slotServer(t, 1, func(store graphprofile.Store) graphprofile.Store { gate.Store = store; return gate })
	openGate := opener(t, gate.open)
	app := s.application(tenantA, "User.Read.All")
	// A user in the directory: its first request records it (a token
	// alone records nobody).
	if me := s.do(request{path: "/beta/me", token: s.delegated(tenantA, userA1, "User.ReadWrite")}); me.status != http.StatusOK {
		t.Fatalf("GET /beta/me: %d %s", me.status, me.body)
	}
	gate.entered.Store(0)

	const counts = 2
	answers := make(chan *response, counts)
	var wg sync.WaitGroup
	for range counts {
		wg.Go(func() {
			answers <- s.do(request{path: "/beta/users/$count?$filter=" + url.QueryEscape("accountEnabled eq true or startswith(displayName,'')"), token: app, header: eventual})
		})
	}
	waitForGauges(t, s, counts-1, 1)
	if n := gate.entered.Load(); n != 1 {
		t.Errorf("%d counts of the directory reached the store, want 1 (MaxEvaluations)", n)
	}
	openGate()
	wg.Wait()
	close(answers)
	for resp := range answers {
		if resp.status != http.StatusOK || string(resp.body) != "1" {
			t.Errorf("GET /users/$count: %d %s, want 1, the user in the directory", resp.status, resp.body)
		}
	}
	waitForGauges(t, s, 0, 0)

	// Without a filter, counted by the store: no scan of the directory.
	gate.entered.Store(0)
	if resp := s.do(request{path: "/beta/users/$count", token: app, header: eventual}); resp.status != http.StatusOK || string(resp.body) != "1" {
		t.Errorf("GET /users/$count: %d %s, want 1", resp.status, resp.body)
	}
	if n := gate.entered.Load(); n != 0 {
		t.Errorf("GET /users/$count without a filter scanned the directory %d times, want the store's count", n)
	}
}

// TestWholeCollectionReadsWaitForASlot: a profile collection's /$count
// reads every item, and $skip reads every item it skips: each takes an
// evaluation slot as a filter does (20 counts of a thousand 47 KB
// positions in a 1.4 KB $batch took 3 s of CPU, eight such batches ran at
// once, and the gauges of costly queries stayed at 0). A skip within a
// default page's reading does not wait.
func TestWholeCollectionReadsWaitForASlot(t *testing.T) {
	for _, path := range []string{"/beta/me/profile/positions/$count", "/beta/me/profile/positions?$skip=200&$top=1"} {
		t.Run(path, func(t *testing.T) {
			gate := &gatedStore{owner: userA1, open: make(chan struct{})}
			s := slotServer(t, 1, func(store graphprofile.Store) graphprofile.Store { gate.Store = store; return gate })
			openGate := opener(t, gate.open)
			a1 := s.delegated(tenantA, userA1, "User.ReadWrite")
			s.create(a1, "/me", `{"detail":{"jobTitle":"Engineer"}}`)
			gate.entered.Store(0)

			answers := make(chan *response, 2)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() { answers <- s.do(request{path: path, token: a1}) })
			}
			waitForGauges(t, s, 1, 1)
			if n := gate.entered.Load(); n != 1 {
				t.Errorf("%d reached the store, want 1 (MaxEvaluations)", n)
			}
			openGate()
			wg.Wait()
			close(answers)
			for resp := range answers {
				if resp.status != http.StatusOK {
					t.Errorf("GET %s: %d %s", path, resp.status, resp.body)
				}
			}
			waitForGauges(t, s, 0, 0)
		})
	}
}

// TestEvaluationDefaults: the defaults serve's flag help and the docs
// state: two evaluation slots per CPU the runtime uses, and a wait for one
// of at most 5 s.
func TestEvaluationDefaults(t *testing.T) {
	if got, want := graphapi.DefaultMaxEvaluations(), 2*runtime.GOMAXPROCS(0); got != want {
		t.Errorf("DefaultMaxEvaluations() = %d, want %d (2 per CPU)", got, want)
	}
	if graphapi.DefaultEvaluationWait != 5*time.Second {
		t.Errorf("DefaultEvaluationWait = %s, want 5s", graphapi.DefaultEvaluationWait)
	}
}
