package graphapi

import (
	"net/http"
	"sync/atomic"

	"github.com/graphprofile/graphprofile"
)

// Answers: each may hold freeAnswerBytes while it is written; a bigger one
// (a list's page goes to 4 MiB of items, a $batch of twenty of them to 80
// MiB) draws the rest from a budget all requests share, of
// answerBudgetBytes, from when it is built until the request ends, that
// is until the client has taken it or the write timeout passed. The
// answer of a GET (a $batch's GET items included) the budget has no room
// for is 503 serviceNotAvailable with Retry-After instead; the answer of a
// write is never refused (what it changed stays changed), nor the $batch's
// own (its items may have written), nor the admin API's (its caller holds
// the admin token; a fixtures export may pass the budget alone): they are
// counted all the same, so they leave less room for GETs.
//
// Why: an answer is built whole and written to a client that may not read
// it; a client with a token, its own profile of big items and 200
// connections that asked for its list and never read held 925 MiB of the
// server's RSS for the 60 s write timeout, and five such $batch requests
// 450 MiB. Now answers held for clients that do not read take at most
// max connections × freeAnswerBytes + answerBudgetBytes (512 × 64 KiB +
// 32 MiB = 64 MiB by default), beside the answers of writes (one item
// each). Graph's clients read what they asked for, at the network's
// speed, so outside an attack the budget refuses nothing.
const (
	freeAnswerBytes   = 64 << 10
	answerBudgetBytes = 32 << 20
)

// answerLease is what one request's answers hold of the answers' budget.
type answerLease struct{ held atomic.Int64 }

// answerLeaseKey is the context key of a $batch's lease, which its items
// charge.
type answerLeaseKey struct{}

// answerBudget returns the budget the server's answers share.
func (s *Server) answerBudget() *byteBudget {
	s.answersOnce.Do(func() {
		s.answers = newByteBudget(answerBudgetBytes)
		if m, _ := s.activeMetrics(); m != nil {
			s.answers.onRefuse = m.answersRefused.Inc
		}
	})
	return s.answers
}

// holdAnswer makes ex's answer hold n bytes (beyond freeAnswerBytes) of
// the answers' budget, taking what it does not hold yet, and reports
// whether it may: false only for a GET's answer (not the admin API's) the
// budget has no room for (then answerRefused is set: writeJSON answers 503 instead). It is
// called as an answer's buffer grows while it is built (so that an answer
// refused is not built to its end first) and once more with what is
// written.
func (ex *exchange) holdAnswer(n int) bool {
	need := int64(n-freeAnswerBytes) - ex.answerHeld
	if need <= 0 {
		return true
	}
	lease := &ex.answers
	if l, ok := ex.r.Context().Value(answerLeaseKey{}).(*answerLease); ok {
		lease = l
	}
	budget := ex.server.answerBudget()
	if !budget.take(need) {
		if ex.r.Method == http.MethodGet && !ex.server.isAdminPath(ex.r.URL.Path) {
			if !ex.answerRefused && budget.onRefuse != nil {
				budget.onRefuse()
			}
			ex.answerRefused = true
			return false
		}
		budget.left.Add(-need) // a write's answer: counted, never refused
	}
	lease.held.Add(need)
	ex.answerHeld += need
	return true
}

// releaseAnswers gives back what ex's answers held: called when the
// request ends (its answer written, or the write given up).
func (ex *exchange) releaseAnswers() {
	if held := ex.answers.held.Swap(0); held > 0 {
		ex.server.answerBudget().give(held)
	}
}

// refuseAnswer answers, in place of an answer the budget had no room for,
// 503 serviceNotAvailable with Retry-After, without the headers that
// belonged to the answer.
func (ex *exchange) refuseAnswer() {
	h := ex.w.Header()
	for _, name := range []string{"ETag", "Location", "Content-Encoding", "Content-Length", "Preference-Applied", "Content-Range"} {
		h.Del(name)
	}
	h.Set("Retry-After", "1")
	ex.failWithStatus(http.StatusServiceUnavailable, graphprofile.Errorf(graphprofile.CodeServiceNotAvailable, graphprofile.ServiceUnavailableMessage))
}
