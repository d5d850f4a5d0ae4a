package graphapi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graphprofile/graphprofile"
)

// Faults injected for tests of a client's retry logic: Graph's own 429,
// 503 and 504 (each with Retry-After) and latency, at random with given
// probabilities (Server.Faults), or on one request that asks for one through
// FaultHeader when the admin API is on.

// FaultHeader is the request header through which a test asks for one
// fault on one request (a $batch item: in the item's headers). The server
// honours it only when Server.AdminToken is set, and ignores it otherwise.
//
//	X-GraphProfile-Fault: 429               429 TooManyRequests, Retry-After: 1
//	X-GraphProfile-Fault: 429;retry-after=5 the same with Retry-After: 5
//	X-GraphProfile-Fault: 503               503 serviceNotAvailable (retry-after too)
//	X-GraphProfile-Fault: 504               504 UnknownError (retry-after too)
//	X-GraphProfile-Fault: latency=200ms     served normally, 200 ms late
const FaultHeader = "X-GraphProfile-Fault"

// faultHeaderKey is FaultHeader as net/http keys a request's headers
// (X-Graphprofile-Fault): Header.Get canonicalizes any other spelling anew
// on every request, which allocates.
var faultHeaderKey = http.CanonicalHeaderKey(FaultHeader)

// DefaultFaultRetryAfter is the Retry-After, in seconds, of an injected
// failure that names none.
const DefaultFaultRetryAfter = 1

// MaxFaultLatency bounds an injected delay: well within the server's write
// timeout, so that a delayed request is still answered.
const MaxFaultLatency = 30 * time.Second

// codeGatewayTimeout is what Graph's gateway answers a 504 with (observed:
// UnknownError); Graph uses the same code for some 400s, so it is not in
// the code-to-status table.
const codeGatewayTimeout = "UnknownError"

// Faults are the failures a server injects at random, each request drawn
// on its own. The zero value injects nothing.
type Faults struct {
	// The probabilities (0..1, together at most 1) that a request is
	// answered 429 TooManyRequests, 503 serviceNotAvailable or 504
	// UnknownError instead of being served.
	TooManyRequests, ServiceUnavailable, GatewayTimeout float64
	// Latency delays a request, with probability LatencyProbability
	// (drawn apart from the failures, so a delayed request may fail too).
	Latency            time.Duration
	LatencyProbability float64
	// RetryAfter is the Retry-After, in whole seconds, of the injected
	// failures; 0 means DefaultFaultRetryAfter.
	RetryAfter int
	// Seed seeds the random source: one seed, one sequence of draws (for
	// requests that arrive one after another).
	Seed uint64
}

// On reports whether f injects anything.
func (f Faults) On() bool {
	return f.TooManyRequests > 0 || f.ServiceUnavailable > 0 || f.GatewayTimeout > 0 ||
		(f.Latency > 0 && f.LatencyProbability > 0)
}

// String is f in the form ParseFaults reads (without the seed).
func (f Faults) String() string {
	var parts []string
	p := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	if f.TooManyRequests > 0 {
		parts = append(parts, "429="+p(f.TooManyRequests))
	}
	if f.ServiceUnavailable > 0 {
		parts = append(parts, "503="+p(f.ServiceUnavailable))
	}
	if f.GatewayTimeout > 0 {
		parts = append(parts, "504="+p(f.GatewayTimeout))
	}
	if f.Latency > 0 && f.LatencyProbability > 0 {
		parts = append(parts, "latency="+f.Latency.String()+"@"+p(f.LatencyProbability))
	}
	if f.RetryAfter > 0 {
		parts = append(parts, "retry-after="+strconv.Itoa(f.RetryAfter))
	}
	return strings.Join(parts, ",")
}

// faultsSyntax is the form of a faults spec, for error messages.
const faultsSyntax = "want comma-separated 429=P, 503=P, 504=P (P a probability from 0 to 1), latency=DURATION[@P] and retry-after=SECONDS, e.g. 429=0.05,503=0.02,latency=50ms@0.1"

// ParseFaults reads a faults spec: comma-separated settings, each at most
// once, e.g. "429=0.05,503=0.02,504=0.01,latency=50ms@0.1,retry-after=2".
//
//	429=P, 503=P, 504=P   the probability (0..1) of each failure; together at most 1
//	latency=D[@P]         delay requests by D (at most 30s) with probability P (default 1)
//	retry-after=N         the failures' Retry-After: 1..179 seconds (default 1)
//
// The empty spec injects nothing. An error names the part of spec it
// refuses, not spec itself, which its caller names (a flag, a header).
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	if strings.TrimSpace(spec) == "" {
		return f, nil
	}
	seen := map[string]bool{}
	for item := range strings.SplitSeq(spec, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || key == "" || value == "" {
			return Faults{}, fmt.Errorf("setting %q is not KEY=VALUE; %s", item, faultsSyntax)
		}
		if seen[key] {
			return Faults{}, fmt.Errorf("%s is given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "429":
			f.TooManyRequests, err = parseProbability(value)
		case "503":
			f.ServiceUnavailable, err = parseProbability(value)
		case "504":
			f.GatewayTimeout, err = parseProbability(value)
		case "latency":
			d, p, hasP := strings.Cut(value, "@")
			f.LatencyProbability = 1
			if hasP {
				f.LatencyProbability, err = parseProbability(p)
			}
			if err == nil {
				f.Latency, err = parseLatency(d)
			}
		case "retry-after":
			f.RetryAfter, err = parseRetryAfter(value)
		default:
			return Faults{}, fmt.Errorf("unknown setting %q; %s", key, faultsSyntax)
		}
		if err != nil {
			return Faults{}, fmt.Errorf("%s: %v", key, err)
		}
	}
	// Summed in hundred-thousandths would be exact; a small tolerance does
	// the same for the decimal probabilities people write (0.7+0.2+0.1).
	if sum := f.TooManyRequests + f.ServiceUnavailable + f.GatewayTimeout; sum > 1+1e-9 {
		return Faults{}, fmt.Errorf("the probabilities of 429, 503 and 504 add up to %g, more than 1", sum)
	}
	return f, nil
}

// parseProbability reads a probability written as a plain decimal from 0
// to 1 (0.05, .5, 1): no sign, exponent, hexadecimal or infinity.
func parseProbability(s string) (float64, error) {
	digits, dots := 0, 0
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			digits = -1 << 30
		}
	}
	if digits < 1 || dots > 1 || len(s) > 20 {
		return 0, fmt.Errorf("%q is not a probability: want a decimal from 0 to 1, e.g. 0.05", s)
	}
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p < 0 || p > 1 {
		return 0, fmt.Errorf("%q is not a probability: want a decimal from 0 to 1, e.g. 0.05", s)
	}
	return p, nil
}

// parseLatency reads a delay: a Go duration above zero, at most
// MaxFaultLatency.
func parseLatency(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > MaxFaultLatency {
		return 0, fmt.Errorf("%q is not a delay: want a duration above 0 and at most %s, e.g. 50ms", s, MaxFaultLatency)
	}
	return d, nil
}

// parseRetryAfter reads a Retry-After in whole seconds, 1..MaxRetryAfter.
func parseRetryAfter(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || !allDigits(s) || n < 1 || n > MaxRetryAfter {
		return 0, fmt.Errorf("%q is not a Retry-After: want whole seconds from 1 to %d", s, MaxRetryAfter)
	}
	return n, nil
}

// fault is what is done to one request: answered with status (0: served)
// after delay.
type fault struct {
	status     int
	retryAfter int
	delay      time.Duration
}

// faultSource draws the faults of Faults from its seeded source.
type faultSource struct {
	faults Faults
	mu     sync.Mutex
	rng    *rand.Rand
}

func newFaultSource(f Faults) *faultSource {
	return &faultSource{faults: f, rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))}
}

// draw picks the fault of one request: two draws, one for a failure and
// one for latency, always both, so a seed gives one sequence.
func (s *faultSource) draw() fault {
	s.mu.Lock()
	failure, late := s.rng.Float64(), s.rng.Float64()
	s.mu.Unlock()
	f := s.faults
	var out fault
	switch {
	case failure < f.TooManyRequests:
		out.status = http.StatusTooManyRequests
	case failure < f.TooManyRequests+f.ServiceUnavailable:
		out.status = http.StatusServiceUnavailable
	case failure < f.TooManyRequests+f.ServiceUnavailable+f.GatewayTimeout:
		out.status = http.StatusGatewayTimeout
	}
	if out.status != 0 {
		out.retryAfter = f.RetryAfter
		if out.retryAfter == 0 {
			out.retryAfter = DefaultFaultRetryAfter
		}
	}
	if f.Latency > 0 && late < f.LatencyProbability {
		out.delay = f.Latency
	}
	return out
}

// parseFaultHeader reads FaultHeader's value: 429, 503 or 504, each with
// an optional ;retry-after=N, or latency=DURATION.
func parseFaultHeader(v string) (fault, error) {
	v = strings.TrimSpace(v)
	if d, ok := strings.CutPrefix(v, "latency="); ok {
		delay, err := parseLatency(strings.TrimSpace(d))
		if err != nil {
			return fault{}, err
		}
		return fault{delay: delay}, nil
	}
	status, param, hasParam := strings.Cut(v, ";")
	out := fault{retryAfter: DefaultFaultRetryAfter}
	switch strings.TrimSpace(status) {
	case "429":
		out.status = http.StatusTooManyRequests
	case "503":
		out.status = http.StatusServiceUnavailable
	case "504":
		out.status = http.StatusGatewayTimeout
	default:
		return fault{}, fmt.Errorf("%q is not a fault: want 429, 503 or 504 (each optionally followed by ;retry-after=SECONDS) or latency=DURATION", v)
	}
	if hasParam {
		n, ok := strings.CutPrefix(strings.TrimSpace(param), "retry-after=")
		if !ok {
			return fault{}, fmt.Errorf("%q: the only parameter of a fault is retry-after=SECONDS", v)
		}
		var err error
		if out.retryAfter, err = parseRetryAfter(n); err != nil {
			return fault{}, err
		}
	}
	return out, nil
}

// activeFaults returns the server's fault source, made on first use, or
// nil when Faults is off.
func (s *Server) activeFaults() *faultSource {
	s.faultsOnce.Do(func() {
		if s.Faults.On() {
			s.faults = newFaultSource(s.Faults)
		}
	})
	return s.faults
}

// takeArmedFault spends an armed fault (POST /_admin/faults) on a request
// of endpoint e, when the admin API is on and one matches; never on a
// $batch itself, whose items are requests of their own.
func (s *Server) takeArmedFault(r *http.Request, e *endpoint) (fault, bool) {
	if s.AdminToken == "" || e.pattern == batchPath {
		return fault{}, false
	}
	return s.armed.take(r.Method, r.URL.Path, r.URL.EscapedPath())
}

// injectFault does to a request of endpoint e what FaultHeader asks (with
// the admin API on) or else what the random faults draw: delays it, and
// answers it with a failure once its body was read. It reports whether it
// answered. A $batch is
// not failed at random itself: its items are, each on its own, as Graph
// throttles them.
func (s *Server) injectFault(ctx context.Context, ex *exchange, e *endpoint) (answered bool, err error) {
	var f fault
	if header := ex.r.Header.Get(faultHeaderKey); header != "" && s.AdminToken != "" {
		if f, err = parseFaultHeader(header); err != nil {
			return false, graphprofile.Errorf(graphprofile.CodeBadRequest, "The %s header is invalid: %v.", FaultHeader, err)
		}
	} else if armed, ok := s.takeArmedFault(ex.r, e); ok {
		f = armed
	} else if src := s.activeFaults(); src != nil && e.pattern != batchPath {
		f = src.draw()
	}
	if f.status != 0 {
		// A fault stands for an answer Graph gives after reading the
		// request, so it reads the body first, as any request's (a body
		// over the limit, or one that stalls, is refused as it is
		// everywhere): answered before it, a client still sending the
		// body had its HTTP/2 stream reset, or its connection closed
		// (docs/decisions.md, "An injected fault reads the body first").
		if err := drainBody(ex.r, MaxBodyBytes); err != nil {
			return false, err
		}
	}
	s.metrics.fault(f.status, f.delay > 0)
	if f.delay > 0 {
		timer := time.NewTimer(f.delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return false, ctx.Err()
		}
	}
	if f.status == 0 {
		return false, nil
	}
	ex.w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
	switch f.status {
	case http.StatusTooManyRequests:
		ex.failWithStatus(f.status, graphprofile.Errorf(graphprofile.CodeTooManyRequests, tooManyRequestsMessage))
	case http.StatusServiceUnavailable:
		ex.failWithStatus(f.status, graphprofile.Errorf(graphprofile.CodeServiceNotAvailable, graphprofile.ServiceUnavailableMessage))
	default:
		ex.failWithStatus(f.status, graphprofile.Errorf(codeGatewayTimeout, "The gateway did not receive a timely response from the service. Retry the request after the time in the Retry-After header."))
	}
	return true, nil
}
