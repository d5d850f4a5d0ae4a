package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// walLoadEnv sets how long TestWALStaysBounded writes (a Go duration);
// 60 s unless set, 5 s with -short.
const walLoadEnv = "GRAPHPROFILE_WAL_LOAD"

// walShrunk is the size the log file must fall under once writes stop.
const walShrunk = 1 << 20

// TestWALStaysBounded writes at full speed from many goroutines (creates,
// updates and deletes, so the database itself stays small) while readers
// read pages of the same profiles, keeping snapshots of the log in use
// most of the time, and samples the size of the write-ahead log file: it
// never passes WALBound, and it shrinks once the writes stop. With its
// writes in 64 profiles the log grew too slowly to show that the writer
// learned its size late (the checkpointer's count): spread over 1,024, the
// file reached 69 MiB that way.
func TestWALStaysBounded(t *testing.T) {
	load := 60 * time.Second
	if testing.Short() {
		load = 5 * time.Second
	}
	if v := os.Getenv(walLoadEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", walLoadEnv, v, err)
		}
		load = d
	}
	path := filepath.Join(t.TempDir(), "graphprofile.db")
	s := openAt(t, path)
	ctx := t.Context()
	// The writes of a commit go to many profiles, so that each touches
	// pages of its own and the log grows as fast as the disk takes it.
	const users, writers, readers, kept = 1024, 32, 4, 50
	owners := make([]graphprofile.UserKey, users)
	for i := range owners {
		u := graphprofile.User{TenantID: tenant, ID: fmt.Sprintf("user-%02d", i), DisplayName: "Load"}
		if _, err := s.EnsureUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		owners[i] = u.Key()
	}

	stop := make(chan struct{})
	var writes, reads atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	for w := range writers {
		wg.Go(func() {
			// Each writer writes to its own users in turn, keeps its last
			// `kept` items and deletes the older ones; every third write
			// is an update.
			ownerOf := func(i int) graphprofile.UserKey { return owners[(w+writers*i)%users] }
			for i := 0; ; i++ {
				owner := ownerOf(i)
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%02d-%d", w, i)
				err := s.CreateItem(ctx, owner, workPositions, storetest.Position(id, t0.Add(time.Duration(i)*time.Microsecond)), 0)
				if err == nil && i%3 == 0 {
					_, err = s.UpdateItem(ctx, owner, workPositions, id, func(it graphprofile.Item) (graphprofile.Item, error) {
						next := graphprofile.Item{}
						for k, v := range it {
							next[k] = v
						}
						next["categories"] = []any{"updated"}
						return next, nil
					})
				}
				if err == nil && i >= kept {
					err = s.DeleteItem(ctx, ownerOf(i-kept), workPositions, fmt.Sprintf("w%02d-%d", w, i-kept), nil)
				}
				if err != nil {
					errs <- err
					return
				}
				writes.Add(1)
			}
		})
	}
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				// A page from the database, past the cache: a read
				// transaction on the log, as lists of big profiles have.
				owner := owners[rand.IntN(users)]
				if _, _, err := s.readItemsPage(ctx, owner, workPositions, graphprofile.OldestFirst, nil, 64); err != nil {
					errs <- err
					return
				}
				reads.Add(1)
				// Readers come and go, as clients' lists do, rather than
				// taking the CPUs from the writers.
				time.Sleep(time.Millisecond)
			}
		})
	}

	// The file's size, as the test sees it: not through the store's own
	// walSize, which the bound itself relies on, so a broken measurement
	// cannot blind the bound and the test together.
	var largest int64
	sample := func() int64 {
		var size int64
		fi, err := os.Stat(path + "-wal")
		switch {
		case err == nil:
			size = fi.Size()
		case !errors.Is(err, fs.ErrNotExist):
			t.Fatal(err)
		}
		largest = max(largest, size)
		return size
	}
	deadline := time.After(load)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
sampling:
	for {
		select {
		case <-deadline:
			break sampling
		case err := <-errs:
			close(stop)
			wg.Wait()
			t.Fatal(err)
		case <-tick.C:
			sample()
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	atStop := sample()

	// Once writes pause, the writer empties the log.
	shrinkBy := time.Now().Add(10 * time.Second)
	final := sample()
	for final >= walShrunk && time.Now().Before(shrinkBy) {
		time.Sleep(50 * time.Millisecond)
		final = sample()
	}
	t.Logf("%v of load: %d writes, %d pages read; write-ahead log at most %.1f MiB, %.1f MiB when the writes stopped, %d bytes after",
		load, writes.Load(), reads.Load(), float64(largest)/(1<<20), float64(atStop)/(1<<20), final)
	if largest > WALBound {
		t.Errorf("the write-ahead log reached %d bytes, over its bound of %d", largest, WALBound)
	}
	if final >= walShrunk {
		t.Errorf("the write-ahead log is %d bytes 10 s after the writes stopped, want under %d", final, walShrunk)
	}
	if writes.Load() == 0 {
		t.Error("no write succeeded")
	}
}

// TestIdleLogEmptiedOnceAReaderLeaves: a reader that holds the
// write-ahead log when writes pause only delays its truncation: once the
// reader is done, the idle server empties the log (walIdle, retried).
func TestIdleLogEmptiedOnceAReaderLeaves(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "graphprofile.db")
	s := openAt(t, path)
	addPosition(t, s, "first")
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	addPosition(t, s, "second") // frames the reader's snapshot predates
	time.Sleep(3 * walIdle)     // the idle truncation tried, and the reader held the log
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("the log while a reader holds it: %v, %v; want it not empty (the test's premise)", st, err)
	}
	_ = tx.Rollback()
	_ = conn.Close()
	deadline := time.Now().Add(10 * walIdle)
	for {
		st, err := os.Stat(path + "-wal")
		if err == nil && st.Size() == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the idle server's log, its reader gone: %v bytes (%v), want it emptied", st.Size(), err)
		}
		time.Sleep(walIdle / 10)
	}
}

// TestLimitWALAfterACommit: after a commit the writer leaves a log file
// no bigger than its bound alone; past it, it starts the log over, and
// when a reader holds the log (a snapshot older than its last frames) it
// tries again only once the file has grown by walRetryStep, not at every
// commit, each of which would wait walCheckpointWait for the reader.
func TestLimitWALAfterACommit(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "graphprofile.db")
	s := openAt(t, path)
	addPosition(t, s, "first")
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	addPosition(t, s, "second") // frames the reader's snapshot predates
	size := s.walSize()
	if size == 0 {
		t.Fatal("no write-ahead log after a commit (the test's premise)")
	}
	tests := []struct {
		name string
		at   int64
		want int64
	}{
		{"at its bound", size, size},
		{"under its bound", size + 1, size + 1},
		{"past its bound, a reader holding it", size - 1, size + walRetryStep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.limitWAL(tc.at); got != tc.want {
				t.Errorf("limitWAL(%d) with a log of %d bytes = %d, want %d", tc.at, size, got, tc.want)
			}
		})
	}
	// Once the reader has gone, the checkpoint restarts the log, and the
	// next one is due at walCheckpointAt again, not at the bound the
	// reader had pushed up (which would ratchet up with every reader).
	t.Run("past its bound, the reader gone", func(t *testing.T) {
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := s.limitWAL(size - 1); got != walCheckpointAt {
			t.Errorf("limitWAL(%d) with a log of %d bytes and no reader = %d, want walCheckpointAt (%d)", size-1, size, got, walCheckpointAt)
		}
	})
}
