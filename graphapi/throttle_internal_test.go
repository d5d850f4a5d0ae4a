package graphapi

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// size is how many buckets th holds.
func (t *throttler) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buckets)
}

// fakeClock is a time that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestThrottlerRefusedTogether: Retry-After is enough for a caller's one
// refused request, not for several refused together (a client's parallel
// calls, as the JavaScript client's RetryHandler retries them): each
// refusal counts, so the first back at its Retry-After finds the others'
// debt and is refused again, as docs/throttling-and-faults.md says. Taken
// one at a time, the same requests get in.
func TestThrottlerRefusedTogether(t *testing.T) {
	limit := ThrottleLimit{Requests: 3, Per: 4 * time.Second}
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	th := newThrottler(limit, clock.Now)
	for range limit.Requests {
		th.take("k")
	}
	first, second := th.take("k"), th.take("k")
	if first == 0 || second <= first {
		t.Fatalf("two refused together: Retry-After %d then %d", first, second)
	}
	clock.advance(time.Duration(first) * time.Second)
	if again := th.take("k"); again == 0 {
		t.Fatalf("the first back at its Retry-After %d got in beside the other's debt: the doc says it may not", first)
	}
	// One at a time: waiting each Retry-After is enough.
	clock.advance(time.Minute)
	for range limit.Requests {
		th.take("k")
	}
	for i := range 3 {
		wait := th.take("k")
		clock.advance(time.Duration(wait) * time.Second)
		if again := th.take("k"); again != 0 {
			t.Fatalf("request %d: refused again after waiting its Retry-After %d alone", i, wait)
		}
	}
}

// TestThrottlerRetryAfterIsEnough: a client that waits the Retry-After it
// was given gets in; one that comes back a second sooner does not, and is
// told to wait longer.
func TestThrottlerRetryAfterIsEnough(t *testing.T) {
	for _, limit := range []ThrottleLimit{
		{Requests: 1, Per: time.Second},
		{Requests: 3, Per: 10 * time.Second},
		{Requests: 3500, Per: 10 * time.Second},
		{Requests: 2, Per: 3 * time.Minute},
		{Requests: 1, Per: 179 * time.Second},
	} {
		t.Run(limit.String(), func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			th := newThrottler(limit, clock.Now)
			for i := range limit.Requests {
				if wait := th.take("k"); wait != 0 {
					t.Fatalf("request %d of a full bucket refused: Retry-After %d", i+1, wait)
				}
			}
			wait := th.take("k")
			if wait < 1 || wait > MaxRetryAfter {
				t.Fatalf("Retry-After %d", wait)
			}
			for round := range 5 {
				if wait > 1 {
					clock.advance(time.Duration(wait-1) * time.Second)
					sooner := th.take("k")
					if sooner == 0 {
						t.Fatalf("round %d: a retry a second before Retry-After %d got in", round, wait)
					}
					if sooner < 1 || sooner > MaxRetryAfter {
						t.Fatalf("round %d: Retry-After %d", round, sooner)
					}
					wait = sooner
					continue
				}
				clock.advance(time.Duration(wait) * time.Second)
				if again := th.take("k"); again != 0 {
					t.Fatalf("round %d: a retry after waiting Retry-After %d refused again (%d)", round, wait, again)
				}
				return
			}
			// Whatever the debt, waiting what the last answer said is
			// enough.
			clock.advance(time.Duration(wait) * time.Second)
			if again := th.take("k"); again != 0 {
				t.Fatalf("a retry after waiting Retry-After %d refused again (%d)", wait, again)
			}
		})
	}
}

// TestThrottlerForgetsIdleCallers: buckets that have refilled are dropped,
// those in debt kept; and there are never more than maxBuckets.
func TestThrottlerForgetsIdleCallers(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	// A token every 100 s: the idle callers' buckets (one request each)
	// are full again after 100 s, the debtor's (two requests) after 179 s.
	th := newThrottler(ThrottleLimit{Requests: 1, Per: 100 * time.Second}, clock.Now)
	th.take("debtor")
	th.take("debtor")
	for i := range 1000 {
		th.take(fmt.Sprint("idle ", i))
	}
	clock.advance(150 * time.Second)
	th.take("newcomer")
	if got := th.size(); got != 2 {
		t.Errorf("after a sweep: %d buckets, want the debtor's and the newcomer's", got)
	}
	if _, ok := th.buckets["debtor"]; !ok {
		t.Error("the bucket in debt was forgotten")
	}

	for i := range maxBuckets + 100 {
		th.take(fmt.Sprint("caller ", i))
	}
	if got := th.size(); got > maxBuckets {
		t.Errorf("%d buckets, want at most %d", got, maxBuckets)
	}
}

// TestThrottlerFloodKeepsTheDebtor: when a flood of new callers forces
// sweeps, the buckets that still hold a token go first, so a caller in debt
// is not let in again by others' traffic. (Map order decides which buckets
// a wrong sweep drops; the many sweeps make dropping the debtor's certain.)
func TestThrottlerFloodKeepsTheDebtor(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	th := newThrottler(ThrottleLimit{Requests: 2, Per: 100 * time.Second}, clock.Now)
	for range 3 {
		th.take("debtor")
	}
	for i := range maxBuckets + 40*(maxBuckets-sweepTarget) {
		th.take(fmt.Sprint("caller ", i)) // one of two tokens: not in debt
	}
	if wait := th.take("debtor"); wait == 0 {
		t.Error("the caller in debt got in after a flood of other callers")
	}
}

// TestThrottleKey: a caller is its tenant, app and, when delegated, user.
func TestThrottleKey(t *testing.T) {
	user := graphprofile.Principal{TenantID: "t", AppID: "a", ObjectID: "u", Delegated: true}
	app := graphprofile.Principal{TenantID: "t", AppID: "a", ObjectID: "sp"}
	otherRealm := user
	otherRealm.Realm = "https://issuer.example"
	otherApp := user
	otherApp.AppID = "b"
	keys := map[string]bool{}
	for _, p := range []graphprofile.Principal{user, app, otherRealm, otherApp} {
		keys[throttleKey(p)] = true
	}
	if len(keys) != 4 {
		t.Errorf("keys %v are not four", keys)
	}
	sameUser := user
	sameUser.Permissions = []string{"User.Read"}
	if throttleKey(sameUser) != throttleKey(user) {
		t.Error("a user's key depends on the token's permissions")
	}
}

// TestThrottlerBucketHoldsAtMostItsLimit: a caller idle for long has a full
// bucket, not more: the burst it may send is the limit's Requests, whatever
// the time it saved up.
func TestThrottlerBucketHoldsAtMostItsLimit(t *testing.T) {
	limit := ThrottleLimit{Requests: 3, Per: 10 * time.Second}
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	th := newThrottler(limit, clock.Now)
	th.take("k")
	clock.advance(time.Hour)
	for i := range limit.Requests {
		if wait := th.take("k"); wait != 0 {
			t.Fatalf("request %d after an hour idle refused: Retry-After %d", i+1, wait)
		}
	}
	if wait := th.take("k"); wait == 0 {
		t.Errorf("request %d after an hour idle got in: a bucket holds at most %d", limit.Requests+1, limit.Requests)
	}
}

// TestThrottlerForgetsOnlyTheTenant: a reset of one tenant forgets its
// callers' buckets only, not those of a tenant whose key begins with it
// (the same tenant ID from another issuer is another tenant).
func TestThrottlerForgetsOnlyTheTenant(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	th := newThrottler(ThrottleLimit{Requests: 1, Per: time.Minute}, clock.Now)
	home := graphprofile.Principal{TenantID: "t", AppID: "a", ObjectID: "u", Delegated: true}
	otherRealm := home
	otherRealm.Realm = "https://issuer.example"
	longer := home
	longer.TenantID = "t2"
	for _, p := range []graphprofile.Principal{home, otherRealm, longer} {
		th.take(throttleKey(p))
	}
	th.forget(home.TenantKey())
	if wait := th.take(throttleKey(home)); wait != 0 {
		t.Errorf("the reset tenant's caller refused: Retry-After %d", wait)
	}
	for _, p := range []graphprofile.Principal{otherRealm, longer} {
		if wait := th.take(throttleKey(p)); wait == 0 {
			t.Errorf("tenant %q's caller got in after a reset of tenant %q: its bucket was forgotten", p.TenantKey(), home.TenantKey())
		}
	}
}

// BenchmarkThrottleTake is what throttling adds to a request: one caller,
// and many callers at once.
func BenchmarkThrottleTake(b *testing.B) {
	b.Run("one caller", func(b *testing.B) {
		th := newThrottler(ThrottleLimit{Requests: 1 << 30, Per: time.Second}, time.Now)
		for b.Loop() {
			th.take("tenant\x00app\x00user")
		}
	})
	b.Run("10000 callers parallel", func(b *testing.B) {
		th := newThrottler(ThrottleLimit{Requests: 1 << 30, Per: time.Second}, time.Now)
		keys := make([]string, 10000)
		for i := range keys {
			keys[i] = fmt.Sprintf("tenant-%d\x00app\x00user-%d", i%10, i)
		}
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				th.take(keys[i%len(keys)])
				i++
			}
		})
	})
}
