package graphapi

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/graphprofile/graphprofile"
)

// maxArmedFaults bounds the faults the admin API keeps armed at once.
const maxArmedFaults = 1000

// armedFault is a fault the admin API armed (POST /_admin/faults) for the
// next requests that match: a test of an SDK's retry arms one 429 and
// sees the SDK's second attempt served, which a header sent with every
// attempt cannot show.
type armedFault struct {
	fault  fault
	method string // the requests' method; "" any
	path   string // a text their path contains, in lower case; "" any
	left   int    // requests still to fail
}

// armedFaults are the armed faults of a server, in the order armed.
type armedFaults struct {
	mu   sync.Mutex
	list []*armedFault
}

// take returns the fault of the first armed fault that matches a request
// of method on path (decoded) or escaped (the path as sent, as the journal
// shows it), spending one of its requests.
func (a *armedFaults) take(method, path, escaped string) (fault, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	lower, lowerEscaped := strings.ToLower(path), strings.ToLower(escaped)
	for i, af := range a.list {
		if (af.method == "" || af.method == method) && (strings.Contains(lower, af.path) || strings.Contains(lowerEscaped, af.path)) {
			af.left--
			if af.left == 0 {
				a.list = append(a.list[:i], a.list[i+1:]...)
			}
			return af.fault, true
		}
	}
	return fault{}, false
}

func (a *armedFaults) add(af *armedFault) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.list) >= maxArmedFaults {
		return false
	}
	a.list = append(a.list, af)
	return true
}

func (a *armedFaults) clear() {
	a.mu.Lock()
	a.list = nil
	a.mu.Unlock()
}

// adminArmFaults answers POST /_admin/faults: {"fault": "429;retry-after=1",
// "count": 1, "method": "GET", "path": "/profile/positions"} fails the
// next count requests (1 to 1,000,000; default 1) of that method (any) whose path
// contains path (any; ignoring case) with fault (FaultHeader's syntax).
// $batch items count one by one, the $batch itself not at all.
func (s *Server) adminArmFaults(_ context.Context, ex *exchange) error {
	body, err := readAdminBody(ex.r, adminFaultBody)
	if err != nil {
		return err
	}
	text, _ := body["fault"].(string)
	method, _ := body["method"].(string)
	path, _ := body["path"].(string)
	f, err := parseFaultHeader(text)
	if err != nil {
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The fault is invalid: %v.", err)
	}
	if method != "" && !isToken(method) {
		// No request has it: the fault would stay armed and never fire.
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The method %q is not an HTTP method (a token such as GET or PATCH).", method)
	}
	count := int64(1) // left out
	if n, given := body["count"].(int64); given {
		count = n // 0 too: a test that arms no failure must not get one
	}
	if count < 1 || count > 1_000_000 {
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The count %d is invalid: want 1 to 1000000.", count)
	}
	af := &armedFault{fault: f, method: strings.ToUpper(method), path: strings.ToLower(path), left: int(count)}
	if !s.armed.add(af) {
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "%d faults are armed already, the most there may be; DELETE /_admin/faults clears them.", maxArmedFaults)
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminClearFaults answers DELETE /_admin/faults: no fault stays armed.
func (s *Server) adminClearFaults(_ context.Context, ex *exchange) error {
	s.armed.clear()
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}
