package sqlite

import (
	"context"
	"database/sql"
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

// openRecorded opens a store on a new database that reports its commits
// to the returned recorder, closed at the test's end.
func openRecorded(t *testing.T) (*Store, *commitRecorder) {
	t.Helper()
	rec := &commitRecorder{}
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "graphprofile.db"), WithMetrics(rec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rec
}

// startNewUsers writes n new users at once, each a write of its own, and
// returns a function that waits until all are acknowledged.
func startNewUsers(t *testing.T, s *Store, n int) (wait func()) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := storetest.Adele()
			u.ID = graphprofile.NewGUID()
			u.UserPrincipalName = u.ID + "@contoso.test"
			if _, err := s.EnsureUser(t.Context(), u); err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	return wg.Wait
}

// TestMetrics: every acknowledged write is in a commit the store reported,
// with its time and the part of it the COMMIT took.
func TestMetrics(t *testing.T) {
	s, rec := openRecorded(t)
	const writes = 20
	startNewUsers(t, s, writes)()
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

// TestConcurrentWritesShareACommit: writes that wait for the writer while
// it is busy are committed together, with one COMMIT (and one fsync)
// rather than one each (group commit): here 20 writes that waited behind
// one the writer was running. A writer that committed each write alone
// passed every other test.
func TestConcurrentWritesShareACommit(t *testing.T) {
	s, rec := openRecorded(t)
	ctx := t.Context()
	// The writer holds the first write until release; the others queue.
	held, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.write(ctx, func(context.Context, *sql.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	rec.mu.Lock()
	before := len(rec.commits)
	rec.mu.Unlock()
	const writes = 20
	wait := startNewUsers(t, s, writes)
	for s.pending.Load() < writes { // the held write was taken: no longer pending
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wait()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	queued := rec.commits[before:]
	total, largest := 0, 0
	for _, n := range queued {
		total += n
		largest = max(largest, n)
	}
	// The held write's own commit, then the queued ones': every one of
	// them is in a commit, and at least two of them in one.
	if total != writes+1 || largest < 2 || len(queued) > writes {
		t.Errorf("%d writes (one held, %d queued behind it) were committed as %v, want the queued ones sharing commits", writes+1, writes, queued)
	}
	t.Logf("commits: %v", queued)
}
