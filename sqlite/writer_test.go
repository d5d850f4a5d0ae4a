package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// TestBatchFailureUndoesOnlyItsWrite: in one commit of many writes, a write
// that fails leaves no trace and is told its own error, every other write
// is committed, acknowledged and has its after run, in commit order, once;
// the writes fail by their own refusal and by breaking a constraint.
func TestBatchFailureUndoesOnlyItsWrite(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE batch_test (k TEXT PRIMARY KEY) STRICT`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	errRefused := errors.New("refused after its insert")

	tests := []struct {
		name   string
		keys   []string
		refuse map[int]bool // by index in keys: inserts, then fails
		want   []string     // the keys committed, in order
		failed []int        // the indexes told an error
	}{
		{"none fails", []string{"a1", "a2", "a3"}, nil, []string{"a1", "a2", "a3"}, nil},
		{"the middle one refuses", []string{"b1", "b2", "b3"}, map[int]bool{1: true}, []string{"b1", "b3"}, []int{1}},
		{"the first refuses", []string{"c1", "c2"}, map[int]bool{0: true}, []string{"c2"}, []int{0}},
		{"the last refuses", []string{"d1", "d2"}, map[int]bool{1: true}, []string{"d1"}, []int{1}},
		{"a duplicate breaks the key", []string{"e1", "e1", "e2"}, nil, []string{"e1", "e2"}, []int{1}},
		{"all refuse", []string{"f1", "f2"}, map[int]bool{0: true, 1: true}, nil, []int{0, 1}},
		{"one write", []string{"g1"}, nil, []string{"g1"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var afters []string
			batch := make([]*writeRequest, len(tc.keys))
			for i, k := range tc.keys {
				batch[i] = &writeRequest{
					ctx:  ctx,
					done: make(chan error, 1),
					fn: func(ctx context.Context, tx *sql.Tx) error {
						if _, err := tx.ExecContext(ctx, `INSERT INTO batch_test (k) VALUES (?)`, k); err != nil {
							return err
						}
						if tc.refuse[i] {
							return errRefused
						}
						return nil
					},
					after: func() { afters = append(afters, k) },
				}
			}
			if n := s.commitSome(batch); n != len(batch) {
				t.Fatalf("commitSome ran %d writes, want %d", n, len(batch))
			}
			var failed []int
			for i, req := range batch {
				select {
				case err := <-req.done:
					if err != nil {
						failed = append(failed, i)
						if tc.refuse[i] && !errors.Is(err, errRefused) {
							t.Errorf("write %d: %v, want its own error", i, err)
						}
					}
				default:
					t.Fatalf("write %d was not told its outcome", i)
				}
				if len(req.done) != 0 {
					t.Errorf("write %d was told twice", i)
				}
			}
			if !slices.Equal(failed, tc.failed) {
				t.Errorf("writes told an error: %v, want %v", failed, tc.failed)
			}
			if !slices.Equal(afters, tc.want) {
				t.Errorf("afters ran for %v, want %v", afters, tc.want)
			}
			committed := query[string](t, s, `SELECT coalesce(group_concat(k, ' '), '') FROM
				(SELECT k FROM batch_test WHERE substr(k, 1, 1) = ? ORDER BY k)`, tc.keys[0][:1])
			stored := strings.Fields(committed)
			if !slices.Equal(stored, tc.want) {
				t.Errorf("committed %v, want %v", stored, tc.want)
			}
		})
	}
}

// TestWritesRunWithoutCancellation: the writer hands a write the caller's
// context without its cancellation (its values kept), so that the driver
// runs each statement on the writer's goroutine: with a context that can
// end, go-sqlite3 runs every statement in a goroutine of its own and waits
// for it, two hand-offs per statement on the path every write waits for.
// A caller that has gone before the writer takes its write still gets its
// context's error and no write.
func TestWritesRunWithoutCancellation(t *testing.T) {
	s := openTemp(t)
	type key struct{}
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), key{}, "caller"))
	defer cancel()
	var done <-chan struct{}
	var value any
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		done, value = ctx.Done(), ctx.Value(key{})
		_, err := tx.ExecContext(ctx, `CREATE TABLE cancel_test (k TEXT PRIMARY KEY) STRICT`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if done != nil {
		t.Error("the write's context can be cancelled")
	}
	if value != "caller" {
		t.Errorf("the write's context lost the caller's values: %v", value)
	}

	cancel()
	ran := false
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ran = true
		_, err := tx.ExecContext(ctx, `INSERT INTO cancel_test (k) VALUES ('late')`)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a write whose caller had gone: %v, want %v", err, context.Canceled)
	}
	if ran {
		t.Error("a write whose caller had gone ran")
	}
	if n := query[int](t, s, `SELECT count(*) FROM cancel_test`); n != 0 {
		t.Errorf("%d rows written for a caller that had gone", n)
	}
}

// TestLongWriteStopsWhenItsCallerGoes: a long write (writeLong: a
// migration, an import, a load, a reset) keeps its caller's cancellation,
// so a caller that goes (Ctrl-C) interrupts the statement running, and
// what the write did before it is undone. Not interrupted, the statement
// here counts for half a minute or more, and the test then fails on its
// outcome.
func TestLongWriteStopsWhenItsCallerGoes(t *testing.T) {
	s := openTemp(t)
	if err := s.write(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE long_test (k TEXT PRIMARY KEY) STRICT`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started := make(chan struct{})
	go func() {
		<-started
		cancel()
	}()
	var counted int64
	err := s.writeLong(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO long_test (k) VALUES ('before')`); err != nil {
			return err
		}
		close(started)
		return tx.QueryRowContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000)
			SELECT count(*) FROM c`).Scan(&counted)
	}, nil, fluxScope{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a long write whose caller went: %v (counted %d), want %v", err, counted, context.Canceled)
	}
	if n := query[int](t, s, `SELECT count(*) FROM long_test`); n != 0 {
		t.Errorf("%d rows of an interrupted long write stayed", n)
	}
}

// TestDiskFull: a write that finds the disk full (SQLite's SQLITE_FULL,
// here a database held to its size by max_page_count) fails as unavailable,
// as PostgreSQL's disk_full (SQLSTATE class 53) does: a retry may cure it
// (503 serviceNotAvailable with Retry-After, not a 500), and once there is
// room again the next write succeeds without reopening the store.
func TestDiskFull(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	owner, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	// The writer's one connection may not grow the file any more.
	var pages int
	if err := s.wdb.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	var full error
	for i := 0; full == nil; i++ {
		if i == 10_000 {
			t.Fatal("10,000 creates fitted in a database that may not grow")
		}
		full = s.CreateItem(ctx, owner.Key(), workPositions, storetest.Position(fmt.Sprintf("full%05d", i), storetest.Created()), 0)
	}
	if !errors.Is(full, graphprofile.ErrUnavailable) {
		t.Errorf("a create on a full disk: %v; want an error wrapping ErrUnavailable", full)
	}
	if _, err := s.wdb.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateItem(ctx, owner.Key(), workPositions, storetest.Position("after", storetest.Created()), 0); err != nil {
		t.Errorf("a create once there is room again: %v", err)
	}
}

// TestALongWriteCutShortUndoesOnlyItself: a long write (a reset, a load)
// sees its caller's context, so that a caller that goes stops it; SQLite
// then undoes the whole transaction it ran in, not the write's savepoint
// alone. In a commit of many writes that failed every other write of the
// commit with a 500 ("no such savepoint"): a reset whose client hung up
// failed other tenants' creates. A long write is committed alone.
func TestALongWriteCutShortUndoesOnlyItself(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE long_test (k TEXT PRIMARY KEY) STRICT`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	insert := func(k string) *writeRequest {
		return &writeRequest{ctx: ctx, done: make(chan error, 1), fn: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO long_test (k) VALUES (?)`, k)
			return err
		}}
	}
	goneCtx, gone := context.WithCancel(ctx)
	defer gone()
	long := &writeRequest{ctx: goneCtx, long: true, done: make(chan error, 1), fn: func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO long_test (k) VALUES ('long')`); err != nil {
			return err
		}
		// A delete that runs until its caller goes.
		stop := time.AfterFunc(100*time.Millisecond, gone)
		defer stop.Stop()
		_, err := tx.ExecContext(ctx, `DELETE FROM long_test WHERE k IN
			(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000000000) SELECT 'k' || x FROM n)`)
		return err
	}}
	batch := []*writeRequest{insert("before"), long, insert("after")}
	for rest := batch; len(rest) > 0; {
		rest = rest[s.commitSome(rest):]
	}
	for i, req := range batch {
		err := <-req.done
		switch {
		case req == long && err == nil:
			t.Errorf("the long write cut short: no error")
		case req != long && err != nil:
			t.Errorf("write %d, beside a long write cut short: %v, want it committed", i, err)
		}
	}
	if got := query[string](t, s, `SELECT coalesce(group_concat(k, ' '), '') FROM (SELECT k FROM long_test ORDER BY k)`); got != "after before" {
		t.Errorf("committed %q, want %q: the long write undone, the others kept", got, "after before")
	}

	// A long write that ends well is committed alone too, and the writes
	// after it in the next commit.
	done := &writeRequest{ctx: ctx, long: true, done: make(chan error, 1), fn: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO long_test (k) VALUES ('long')`)
		return err
	}}
	batch = []*writeRequest{done, insert("next")}
	if n := s.commitSome(batch); n != 1 {
		t.Errorf("commitSome ran %d writes with a long one first, want it alone", n)
	}
	if n := s.commitSome(batch[1:]); n != 1 {
		t.Errorf("commitSome ran %d writes, want 1", n)
	}
	for i, req := range batch {
		if err := <-req.done; err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got := query[string](t, s, `SELECT coalesce(group_concat(k, ' '), '') FROM (SELECT k FROM long_test ORDER BY k)`); got != "after before long next" {
		t.Errorf("committed %q, want %q", got, "after before long next")
	}
}

// TestCommitSomeBoundsTheBytesOfOneCommit: one commit takes writes until
// what they wrote reaches maxBatchBytes; the writes after are left for the
// next commit, neither run nor told anything. Only writes that succeeded
// count: a failed write's documents are undone, not written.
func TestCommitSomeBoundsTheBytesOfOneCommit(t *testing.T) {
	s := openTemp(t)
	errRefused := errors.New("refused")
	type write struct {
		bytes int
		fails bool
	}
	tests := []struct {
		name   string
		writes []write
		want   int // how many the commit takes
	}{
		{"small writes", []write{{1, false}, {1, false}, {1, false}}, 3},
		{"the bound reached exactly", []write{{maxBatchBytes / 2, false}, {maxBatchBytes / 2, false}, {1, false}}, 2},
		{"the bound passed by the first", []write{{maxBatchBytes + 1, false}, {1, false}}, 1},
		{"just under the bound", []write{{maxBatchBytes - 1, false}, {1, false}, {1, false}}, 2},
		{"a failed write counts nothing", []write{{maxBatchBytes, true}, {1, false}, {1, false}}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ran := make([]bool, len(tc.writes))
			batch := make([]*writeRequest, len(tc.writes))
			for i, w := range tc.writes {
				batch[i] = &writeRequest{
					ctx:   t.Context(),
					done:  make(chan error, 1),
					bytes: func() int { return w.bytes },
					fn: func(ctx context.Context, tx *sql.Tx) error {
						ran[i] = true
						if w.fails {
							return errRefused
						}
						return nil
					},
				}
			}
			if n := s.commitSome(batch); n != tc.want {
				t.Errorf("commitSome took %d writes, want %d", n, tc.want)
			}
			for i, req := range batch {
				taken := i < tc.want
				if ran[i] != taken {
					t.Errorf("write %d ran: %v, want %v", i, ran[i], taken)
				}
				if told := len(req.done) == 1; told != taken {
					t.Errorf("write %d told its outcome: %v, want %v", i, told, taken)
				} else if told {
					if err := <-req.done; (err != nil) != tc.writes[i].fails {
						t.Errorf("write %d: %v, want failed %v", i, err, tc.writes[i].fails)
					}
				}
			}
		})
	}
}

// TestCommitSomeLeavesOutWritesWhoseCallerWent: a write whose caller's
// context has ended by the time the writer takes it is not run, and is
// told its context's error; the writes beside it commit.
func TestCommitSomeLeavesOutWritesWhoseCallerWent(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE gone_test (k TEXT PRIMARY KEY) STRICT`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	goneCtx, gone := context.WithCancel(ctx)
	gone()
	var afters []string
	insert := func(ctx context.Context, k string) *writeRequest {
		return &writeRequest{ctx: ctx, done: make(chan error, 1), fn: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO gone_test (k) VALUES (?)`, k)
			return err
		}, after: func() { afters = append(afters, k) }}
	}
	batch := []*writeRequest{insert(ctx, "a"), insert(goneCtx, "gone"), insert(ctx, "b")}
	if n := s.commitSome(batch); n != len(batch) {
		t.Fatalf("commitSome took %d writes, want %d", n, len(batch))
	}
	for i, want := range []error{nil, context.Canceled, nil} {
		if err := <-batch[i].done; !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("write %d: %v, want %v", i, err, want)
		}
	}
	if got := query[string](t, s, `SELECT coalesce(group_concat(k, ' '), '') FROM (SELECT k FROM gone_test ORDER BY k)`); got != "a b" {
		t.Errorf("committed %q, want %q", got, "a b")
	}
	if !slices.Equal(afters, []string{"a", "b"}) {
		t.Errorf("afters ran for %v, want [a b]", afters)
	}
}

// TestAFailedCommitAcknowledgesNoWrite: when the COMMIT of a batch fails
// (here a deferred foreign key that one write breaks), no write of the
// batch is kept or acknowledged, none has its after run, and what the
// read cache held stays usable: nothing is left in flux.
func TestAFailedCommitAcknowledgesNoWrite(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	owner, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateItem(ctx, owner.Key(), workPositions, storetest.Position("p", storetest.Created()), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := graphprofile.AllItems(ctx, s, owner.Key(), workPositions); err != nil { // cached whole
		t.Fatal(err)
	}
	var afters []int
	insert := func(i int, user string) *writeRequest {
		return &writeRequest{ctx: ctx, done: make(chan error, 1), flux: profileFluxOf(owner.Key()),
			fn: func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO items (tenant_id, user_id, kind, id, created_at, document) VALUES (?, ?, 'positions', ?, 0, '{}')`,
					owner.TenantID, user, fmt.Sprint("q", i))
				return err
			},
			after: func() { afters = append(afters, i) }}
	}
	batch := []*writeRequest{insert(0, owner.ID), insert(1, "nobody"), insert(2, owner.ID)}
	if n := s.commitSome(batch); n != len(batch) {
		t.Fatalf("commitSome took %d writes, want %d", n, len(batch))
	}
	for i, req := range batch {
		if err := <-req.done; err == nil {
			t.Errorf("write %d of a batch whose commit failed: acknowledged", i)
		}
	}
	if len(afters) != 0 {
		t.Errorf("afters ran for %v of a batch whose commit failed", afters)
	}
	if n := query[int](t, s, `SELECT count(*) FROM items WHERE id LIKE 'q%'`); n != 0 {
		t.Errorf("%d items of a batch whose commit failed are stored", n)
	}
	s.cache.mu.Lock()
	inFlux := len(s.cache.profileFlux) + s.cache.usersFlux + s.cache.allFlux
	s.cache.mu.Unlock()
	if inFlux != 0 {
		t.Errorf("after a failed commit the cache keeps %d entries of writes in flux, want none", inFlux)
	}
	if list, complete, ok := s.cache.first(owner.Key(), workPositions.Name); !ok || !complete || len(list) != 1 {
		t.Errorf("after a failed commit the collection cached whole: %d items, whole %v, answered %v; want its 1 item", len(list), complete, ok)
	}
	if err := s.CreateItem(ctx, owner.Key(), workPositions, storetest.Position("r", storetest.Created()), 0); err != nil {
		t.Errorf("a create after the failed commit: %v", err)
	}
}
