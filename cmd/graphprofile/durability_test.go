package main

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// createTitled creates a position with jobTitle title and returns its id;
// it does not touch the test, so goroutines may use it.
func createTitled(s *server, token, title string) (string, error) {
	r, err := s.request(http.MethodPost, "/beta/me/profile/positions", token,
		fmt.Sprintf(`{"detail":{"jobTitle":%q},"isCurrent":true}`, title))
	if err != nil {
		return "", err
	}
	if r.status != http.StatusCreated {
		return "", fmt.Errorf("POST: status %d: %s", r.status, r.raw)
	}
	id, _ := r.body["id"].(string)
	if id == "" || field(r.body, "detail.jobTitle") != title {
		return "", fmt.Errorf("POST: 201 without the id or title %q: %s", title, r.raw)
	}
	return id, nil
}

// checkAcknowledged restarts serve on dir's default store after a kill -9 and
// checks that every acknowledged position (id: title) is there, and that the
// list holds at least those and at most maxExtra more (creates in flight when
// the server died may or may not have committed).
func checkAcknowledged(t *testing.T, dir, token string, acked map[string]string, maxExtra int) {
	t.Helper()
	s := startServe(t, dir, listenFlag("--max-items", "1000000"))
	for id, title := range acked {
		r, err := s.request(http.MethodGet, "/beta/me/profile/positions/"+id, token, "")
		if err != nil {
			t.Fatalf("GET position %s: %v", id, err)
		}
		if r.status != http.StatusOK {
			t.Errorf("acknowledged position %s (%s) lost after kill -9: status %d: %s", id, title, r.status, r.raw)
			continue
		}
		checkPosition(t, "acknowledged position "+id, r.body, id, title)
	}
	values := s.listAll("/beta/me/profile/positions", token)
	if len(values) < len(acked) || len(values) > len(acked)+maxExtra {
		t.Errorf("after kill -9 the list has %d positions, want between %d (acknowledged) and %d", len(values), len(acked), len(acked)+maxExtra)
	}
	seen := make(map[string]bool, len(values))
	for _, p := range values {
		id, _ := p["id"].(string)
		if seen[id] {
			t.Errorf("position %s listed twice", id)
		}
		seen[id] = true
	}
	// The database still takes writes.
	if _, err := createTitled(s, token, "after restart"); err != nil {
		t.Errorf("creating after the restart: %v", err)
	}
}

func TestKillDurability(t *testing.T) {
	t.Parallel()

	t.Run("sequential", func(t *testing.T) {
		t.Parallel()
		const n = 200
		dir := t.TempDir()
		s := startServe(t, dir, listenFlag())
		token := mintToken(t, dir, nil, delegatedArgs...)
		acked := make(map[string]string, n)
		start := time.Now()
		for i := range n {
			title := fmt.Sprintf("seq-%03d", i)
			id, err := createTitled(s, token, title)
			if err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
			acked[id] = title
		}
		t.Logf("%d creates in %v", n, time.Since(start).Round(time.Millisecond))
		s.kill()
		checkAcknowledged(t, dir, token, acked, 0)
	})

	t.Run("under concurrent load", func(t *testing.T) {
		t.Parallel()
		const workers = 6
		dir := t.TempDir()
		// Creates as fast as they go: none refused for room (--max-items).
		s := startServe(t, dir, listenFlag("--max-items", "1000000"))
		token := mintToken(t, dir, nil, delegatedArgs...)

		var (
			mu      sync.Mutex
			acked   = make(map[string]string)
			wg      sync.WaitGroup
			killed  atomic.Bool
			failure = make(chan error, workers)
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					title := fmt.Sprintf("w%d-%04d", w, i)
					id, err := createTitled(s, token, title)
					if err != nil {
						if !killed.Load() {
							failure <- fmt.Errorf("worker %d before the kill: %v", w, err)
						}
						return
					}
					mu.Lock()
					acked[id] = title
					mu.Unlock()
				}
			}()
		}
		time.Sleep(500 * time.Millisecond)
		killed.Store(true)
		s.kill()
		wg.Wait()
		close(failure)
		for err := range failure {
			t.Error(err)
		}
		if len(acked) == 0 {
			t.Fatal("no create was acknowledged before the kill; the test proves nothing")
		}
		t.Logf("%d creates acknowledged before kill -9", len(acked))
		checkAcknowledged(t, dir, token, acked, workers)
	})
}
