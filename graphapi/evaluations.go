package graphapi

import (
	"context"
	"runtime"

	"github.com/graphprofile/graphprofile/odata"
)

// evaluate runs the work of answering q: at once when q reads only its
// page, otherwise (odata.Query.Costly: a filter to evaluate, a whole
// collection to read) once one of the server's evaluation slots is free,
// or never if ctx ends first.
//
// Why: a costly query is CPU-bound for up to MaxFilterWork steps, and a
// client may send many and hang up on each. Run all at once, they share
// the CPUs with each other, with the cheap requests and with the runtime's
// own goroutines, so every one of them slows down: with a hundred running
// on two CPUs, serve took seconds to act on SIGTERM, and a request whose
// client had gone on ran until net/http's goroutine noticed the hang-up.
// Waiting for a slot costs no CPU, and a waiting request whose client
// leaves ends at once.
func (s *Server) evaluate(ctx context.Context, q odata.Query, run func() error) error {
	if !q.Costly() {
		return run()
	}
	slots := s.evaluationSlots()
	m, _ := s.activeMetrics()
	m.evaluationWaits(1)
	select {
	case slots <- struct{}{}:
		m.evaluationWaits(-1)
	case <-ctx.Done():
		m.evaluationWaits(-1)
		return ctx.Err()
	}
	m.evaluationRuns(1)
	defer func() {
		m.evaluationRuns(-1)
		<-slots
	}()
	return run()
}

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
