package sqlite

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// commitRecorder is a Metrics that remembers what it was told.
type commitRecorder struct {
	mu         sync.Mutex
	commits    []int
	took       []time.Duration
	committing []time.Duration
}

func (r *commitRecorder) Committed(writes int, took, committing time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commits = append(r.commits, writes)
	r.took = append(r.took, took)
	r.committing = append(r.committing, committing)
}

// TestMetrics: every acknowledged write is in a commit the store reported,
// with its time and the part of it the COMMIT took.
func TestMetrics(t *testing.T) {
	rec := &commitRecorder{}
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "graphprofile.db"), WithMetrics(rec))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writes = 20
	var wg sync.WaitGroup
	for i := range writes {
		wg.Go(func() {
			u := storetest.Adele()
			u.ID = graphprofile.NewGUID()
			u.UserPrincipalName = u.ID + "@contoso.test"
			if _, err := s.EnsureUser(t.Context(), u); err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	rec.mu.Lock()
	total := 0
	for i, n := range rec.commits {
		total += n
		if n < 1 || rec.took[i] <= 0 || rec.committing[i] <= 0 || rec.committing[i] > rec.took[i] {
			t.Errorf("commit %d reported %d writes in %v, %v of it committing", i, n, rec.took[i], rec.committing[i])
		}
	}
	rec.mu.Unlock()
	if total < writes {
		t.Errorf("the commits reported hold %d writes, want at least the %d acknowledged", total, writes)
	}
}
