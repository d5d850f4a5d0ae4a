package graphapi

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graphprofile/graphprofile"
)

// Throttling as Graph's identity service documents it: a token bucket per
// caller, a refused request answered 429 TooManyRequests with a whole-second
// Retry-After, and a refused request counted all the same ("Microsoft Graph
// continues to log resource usage while a client is being throttled"), so a
// client that retries before Retry-After is refused again, and later.

// MaxRetryAfter is the longest Retry-After, in seconds, graphprofile sends:
// under 180 s, within the 180 s the SDKs' retry handlers wait at most.
const MaxRetryAfter = 179

// DefaultThrottleLimit returns Graph's documented identity-service limit of
// an application and tenant pair in a small tenant: 3,500 requests per 10
// seconds. A function, not a variable: nothing can change the default.
func DefaultThrottleLimit() ThrottleLimit {
	return ThrottleLimit{Requests: 3500, Per: 10 * time.Second}
}

// ThrottleLimit is a token bucket: it holds Requests, and refills Requests
// every Per, evenly. The zero value throttles nothing.
type ThrottleLimit struct {
	Requests int
	Per      time.Duration
}

// On reports whether l throttles.
func (l ThrottleLimit) On() bool { return l.Requests > 0 && l.Per > 0 }

// String is l in the form ParseThrottleLimit reads, e.g. 3500/10s.
func (l ThrottleLimit) String() string {
	return strconv.Itoa(l.Requests) + "/" + l.Per.String()
}

// perSecond is how many requests the bucket gains in a second.
func (l ThrottleLimit) perSecond() float64 { return float64(l.Requests) / l.Per.Seconds() }

// ParseThrottleLimit reads a limit written N/DURATION (3500/10s, 60/1m,
// 5/s): N requests, refilled every DURATION. One request must come back
// within MaxRetryAfter seconds, so that a Retry-After can always tell when.
// An error names the part of s it refuses; its caller names s.
func ParseThrottleLimit(s string) (ThrottleLimit, error) {
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return ThrottleLimit{}, errors.New("want REQUESTS/DURATION, e.g. 3500/10s")
	}
	requests, err := strconv.Atoi(n)
	if err != nil || requests < 1 || requests > 1_000_000_000 || !allDigits(n) {
		return ThrottleLimit{}, fmt.Errorf("the number of requests %q is not a whole number from 1 to 1000000000", n)
	}
	if per != "" && per[0] >= 'a' && per[0] <= 'z' {
		per = "1" + per // 5/s is 5/1s
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return ThrottleLimit{}, fmt.Errorf("the period %q is not a positive duration such as 10s or 1m", per)
	}
	l := ThrottleLimit{Requests: requests, Per: d}
	if 1/l.perSecond() > MaxRetryAfter {
		return ThrottleLimit{}, fmt.Errorf("one request comes back every %s, longer than the %d s a Retry-After may ask for", time.Duration(float64(time.Second)/l.perSecond()).Round(time.Second), MaxRetryAfter)
	}
	return l, nil
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// maxBuckets bounds the callers tracked at once (about 200 bytes each).
// Beyond it, buckets of callers that are not in debt go first.
const maxBuckets = 1 << 16

// sweepTarget is how many buckets a sweep forced by maxBuckets leaves.
const sweepTarget = maxBuckets - maxBuckets/8

// sweepEvery is how often the buckets that have refilled are forgotten.
const sweepEvery = 10 * time.Second

// throttler holds a token bucket per caller.
type throttler struct {
	limit ThrottleLimit
	rate  float64 // tokens a second
	// floor is the most debt a bucket keeps: a request refused at the
	// floor is not counted, so that Retry-After (the time back to one
	// token) stays within MaxRetryAfter.
	floor float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

// bucket is one caller's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

func newThrottler(limit ThrottleLimit, now func() time.Time) *throttler {
	rate := limit.perSecond()
	return &throttler{
		limit:   limit,
		rate:    rate,
		floor:   1 - rate*MaxRetryAfter,
		now:     now,
		buckets: make(map[string]*bucket),
	}
}

// take spends one token of key's bucket. It returns 0 when the request may
// go on, or the whole seconds (1..MaxRetryAfter) until the bucket holds a
// token again when it may not; the refused request is spent too, down to
// the bucket's floor.
func (t *throttler) take(key string) (retryAfter int) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buckets[key]
	if b == nil {
		t.sweep(now)
		b = &bucket{tokens: float64(t.limit.Requests), last: now}
		t.buckets[key] = b
	} else if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(float64(t.limit.Requests), b.tokens+elapsed*t.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	b.tokens = max(t.floor, b.tokens-1)
	wait := math.Ceil((1 - b.tokens) / t.rate)
	return int(min(max(wait, 1), MaxRetryAfter))
}

// forget forgets the buckets of tenantKey's callers ("": every caller's),
// as a reset of the tenant forgets its data: its callers start anew.
func (t *throttler) forget(tenantKey string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tenantKey == "" {
		clear(t.buckets)
		return
	}
	for key := range t.buckets {
		if strings.HasPrefix(key, tenantKey+"\x00") {
			delete(t.buckets, key)
		}
	}
}

// sweep forgets, at most every sweepEvery or when there are maxBuckets,
// the buckets that have refilled (they are as a new one would be). If
// that leaves more than sweepTarget, it forgets buckets that hold a token,
// then any, down to sweepTarget, so that a flood of new callers sweeps
// once every maxBuckets-sweepTarget of them.
func (t *throttler) sweep(now time.Time) {
	if len(t.buckets) < maxBuckets && now.Sub(t.lastSweep) < sweepEvery {
		return
	}
	t.lastSweep = now
	full := float64(t.limit.Requests)
	for key, b := range t.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*t.rate >= full {
			delete(t.buckets, key)
		}
	}
	for key, b := range t.buckets {
		if len(t.buckets) <= sweepTarget {
			return
		}
		if b.tokens >= 1 {
			delete(t.buckets, key)
		}
	}
	for key := range t.buckets {
		if len(t.buckets) <= sweepTarget {
			return
		}
		delete(t.buckets, key)
	}
}

// throttleKey is the caller a bucket is for: the tenant, the app and, for a
// delegated caller, the signed-in user.
func throttleKey(caller graphprofile.Principal) string {
	user := ""
	if caller.Delegated {
		user = caller.ObjectID
	}
	return caller.TenantKey() + "\x00" + caller.AppID + "\x00" + user
}

// activeThrottler returns the server's throttler, made on first use, or nil
// when Throttle is off.
func (s *Server) activeThrottler() *throttler {
	s.throttleOnce.Do(func() {
		if s.Throttle.On() {
			s.throttle = newThrottler(s.Throttle, time.Now)
		}
	})
	return s.throttle
}

// checkThrottle counts a request of caller against its bucket: nil when it
// may go on, else Graph's 429 with Retry-After set on ex.
func (s *Server) checkThrottle(ex *exchange, caller graphprofile.Principal) error {
	t := s.activeThrottler()
	if t == nil {
		return nil
	}
	if wait := t.take(throttleKey(caller)); wait > 0 {
		s.metrics.throttle()
		return tooManyRequests(ex, wait)
	}
	return nil
}

// tooManyRequests sets Retry-After on ex and returns Graph's 429 error: the
// code and message of Graph's documented throttling response.
func tooManyRequests(ex *exchange, retryAfter int) error {
	ex.w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	return graphprofile.Errorf(graphprofile.CodeTooManyRequests, tooManyRequestsMessage)
}

// tooManyRequestsMessage is the message of Graph's documented throttling
// response.
const tooManyRequestsMessage = "Please retry again later."
