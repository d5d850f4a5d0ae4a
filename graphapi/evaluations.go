package graphapi

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// runQuery answers q over src (odata.Query.Run) in an evaluation slot
// when q is costly; the slot is given back before the answer is written,
// so that a client slow to read it holds none.
func (s *Server) runQuery(ctx context.Context, q odata.Query, src odata.Source, binding string) (odata.Result, error) {
	release, err := s.evaluationSlot(ctx, q)
	if err != nil {
		return odata.Result{}, err
	}
	defer release()
	return q.Run(ctx, src, binding)
}

// countMatching counts the entities of src that q matches in an
// evaluation slot, whatever q: every entity of src is read to count them, a
// filter or not (a profile's collection up to --max-items items, the
// directory's users).
func (s *Server) countMatching(ctx context.Context, q odata.Query, src odata.Source) (int, error) {
	release, err := s.takeEvaluationSlot(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	return q.CountMatching(ctx, src)
}

// evaluationSlot waits, when q is costly (odata.Query.Costly: a filter to
// evaluate, a whole collection to read) or reads more than a default page
// ($skip and $top over odata.DefaultPageSize together), for one of the server's
// evaluation slots, and returns the function that gives it back; a query
// that reads only a default-sized page goes on at once. The error is
// ctx's when it ends first.
//
// Why: a costly query is CPU-bound for up to MaxFilterWork steps, and a
// client may send many and hang up on each. Run all at once, they share
// the CPUs with each other, with the cheap requests and with the runtime's
// own goroutines, so every one of them slows down: with a hundred running
// on two CPUs, serve took seconds to act on SIGTERM, and a request whose
// client had gone on ran until net/http's goroutine noticed the hang-up.
// Waiting for a slot costs no CPU, and a waiting request whose client
// leaves ends at once. A big page is read from the store and decoded
// whole (up to 999 items, 4 MiB of them): 200 clients asking at once for
// a 4.3 MB page of one profile took the server's RSS to 460–690 MiB and
// 25 s to answer them all; taking turns, 128 MiB and 5 s.
func (s *Server) evaluationSlot(ctx context.Context, q odata.Query) (release func(), err error) {
	if !q.Costly() && q.Skip+q.Top <= odata.DefaultPageSize {
		// At most 100 items read, those skipped included: no more than a
		// default list.
		return noRelease, nil
	}
	return s.takeEvaluationSlot(ctx)
}

// takeEvaluationSlot waits for one of the server's evaluation slots
// (evaluationSlot) and returns the function that gives it back; the error
// is ctx's when it ends first, and errEvaluationsBusy when no slot comes
// free within EvaluationWait.
//
// Why a bound: each query in a slot may take the store's whole budget (4 s
// on PostgreSQL) when the database stops answering, and a query behind n
// others waited n turns of it (20 filters behind 4 slots: 503s after 4, 8
// and 12 s); under an overload of costly queries the queue grew the same
// way. A 503 with Retry-After is what Graph answers a client it cannot
// serve now, and SDKs retry it.
func (s *Server) takeEvaluationSlot(ctx context.Context) (release func(), err error) {
	turn, _ := ctx.Value(batchTurnKey{}).(chan struct{})
	if turn == nil {
		return s.takeServerSlot(ctx)
	}
	// An item of a $batch: its turn of the batch's first, then a slot, in
	// that order for every item, so that none holds a slot waiting for a
	// turn that another, waiting for a slot, holds.
	select {
	case turn <- struct{}{}:
	case <-ctx.Done():
		return noRelease, ctx.Err()
	}
	releaseSlot, err := s.takeServerSlot(ctx)
	if err != nil {
		<-turn
		return noRelease, err
	}
	return func() {
		releaseSlot()
		<-turn
	}, nil
}

// batchTurnKey keys a $batch's turn (a chan struct{} of one): its items'
// costly queries take turns, besides the server's slots. Their $filters
// share one budget (odata.WithWorkBudget), and two evaluated at once each
// spent part of it and both fell short, neither answered; one after the
// other, the first is answered and the next has what it left.
type batchTurnKey struct{}

// takeServerSlot waits for one of the server's evaluation slots
// (takeEvaluationSlot, which an item of a $batch takes its turn before).
func (s *Server) takeServerSlot(ctx context.Context) (release func(), err error) {
	slots := s.evaluationSlots()
	m, _ := s.activeMetrics()
	select {
	case slots <- struct{}{}: // a free slot: no timer
	default:
		m.evaluationWaits(1)
		wait := s.EvaluationWait
		if wait <= 0 {
			wait = DefaultEvaluationWait
		}
		timer := time.NewTimer(wait)
		select {
		case slots <- struct{}{}:
			timer.Stop()
			m.evaluationWaits(-1)
		case <-ctx.Done():
			timer.Stop()
			m.evaluationWaits(-1)
			return noRelease, ctx.Err()
		case <-timer.C:
			m.evaluationWaits(-1)
			m.evaluationRefused()
			return noRelease, errEvaluationsBusy
		}
	}
	m.evaluationRuns(1)
	return func() {
		m.evaluationRuns(-1)
		<-slots
	}, nil
}

// DefaultEvaluationWait is how long a costly query waits for an
// evaluation slot when a Server's EvaluationWait is zero.
const DefaultEvaluationWait = 5 * time.Second

// errEvaluationsBusy is a costly query's when no evaluation slot came free
// within EvaluationWait: answered 503 serviceNotAvailable with
// Retry-After, counted (graphprofile_http_costly_queries_refused_total)
// and not logged, as an overload would otherwise fill the log.
var errEvaluationsBusy = errors.New("no evaluation slot came free")

// noRelease is the release of a query that took no slot.
func noRelease() {}

// evaluationSlots returns the semaphore of costly queries, of
// MaxEvaluations slots.
func (s *Server) evaluationSlots() chan struct{} {
	s.evaluationsOnce.Do(func() {
		n := s.MaxEvaluations
		if n <= 0 {
			n = DefaultMaxEvaluations()
		}
		s.evaluations = make(chan struct{}, n)
	})
	return s.evaluations
}

// DefaultMaxEvaluations is how many costly queries a Server whose
// MaxEvaluations is zero runs at once: two per CPU the Go runtime uses, so
// that one waiting on the store leaves the CPU to another.
func DefaultMaxEvaluations() int {
	return 2 * runtime.GOMAXPROCS(0)
}

// DefaultBatchScanUsers is how many users the directory scans of a
// $batch's items read together besides the first one's when a Server's
// BatchScanUsers is zero: about a quarter of a second of CPU (a user read
// and decoded takes 13–17 µs), where each scan of a big directory takes
// seconds.
const DefaultBatchScanUsers = 20_000

// batchScans is what a $batch's items may still read of the directory by
// scans (batchScansOf): the first scan whole, as a request of its own
// would, then left users among them all.
type batchScans struct {
	first   atomic.Bool
	left    atomic.Int64
	allowed int64
}

// batchScansKey keys a $batch's *batchScans.
type batchScansKey struct{}

// newBatchScans returns a batch's allowance of n users read by scans
// besides the first scan's; n of zero or less means DefaultBatchScanUsers.
func newBatchScans(n int) *batchScans {
	if n <= 0 {
		n = DefaultBatchScanUsers
	}
	b := &batchScans{allowed: int64(n)}
	b.left.Store(int64(n))
	return b
}

// batchScansOf returns the allowance of the $batch whose item ctx is
// for, to count the users a scan of the directory for a $filter reads
// (one that is no lookup by id or principal name: by a prefix's index or
// the whole directory); nil, counting nothing, outside a batch and for
// the batch's first scan, which reads the directory whole as a request
// of its own would. The others together read at most BatchScanUsers users
// more; the one that would read past that is answered 400. Why: a batch
// is one request, and each scan of a big directory reads and decodes
// every user (13–17 µs each), which its filter's steps do not count:
// twenty counts of a directory of 100,000 users in a 2 KB batch took 27 s
// of CPU, where the items' filters, sharing one budget of steps, took a
// fraction of it.
func batchScansOf(ctx context.Context) *batchScans {
	b, _ := ctx.Value(batchScansKey{}).(*batchScans)
	if b == nil || b.first.CompareAndSwap(false, true) {
		return nil
	}
	return b
}

// limit returns how many users a scan by prefix may gather, at most n:
// no more than the batch has left (n outside a batch); the error when
// it has none left.
func (b *batchScans) limit(n int) (int, error) {
	if b == nil {
		return n, nil
	}
	left := b.left.Load()
	if left <= 0 {
		return 0, b.spent()
	}
	return int(min(int64(n), left)), nil
}

// charge draws n users read from the batch's allowance; the error when
// it has not that many left.
func (b *batchScans) charge(n int) error {
	if b != nil && b.left.Add(-int64(n)) < 0 {
		return b.spent()
	}
	return nil
}

// counted returns visit, each user it is given drawn from the batch's
// allowance first (visit itself outside a batch).
func (b *batchScans) counted(visit func(graphprofile.Object) (bool, error)) func(graphprofile.Object) (bool, error) {
	if b == nil {
		return visit
	}
	return func(o graphprofile.Object) (bool, error) {
		if err := b.charge(1); err != nil {
			return false, err
		}
		return visit(o)
	}
}

// spent is the error of a batch's item whose scan would read past the
// batch's allowance.
func (b *batchScans) spent() error {
	return graphprofile.Errorf(graphprofile.CodeBadRequest, "The queries of this $batch read more than %d users of the directory together besides the first one's; send the costly ones in requests or batches of their own, or filter by id or principal name.", b.allowed)
}
