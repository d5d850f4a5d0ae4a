package graphapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphapi"
)

func withThrottle(limit graphapi.ThrottleLimit) serverOption {
	return func(s *graphapi.Server) { s.Throttle = limit }
}

// retryAfter returns the Retry-After of resp in seconds, failing the test
// unless it is a whole number of seconds under 180.
func retryAfter(t *testing.T, header string) int {
	t.Helper()
	n, err := strconv.Atoi(header)
	if err != nil || n < 1 || n > graphapi.MaxRetryAfter {
		t.Fatalf("Retry-After %q, want whole seconds from 1 to %d", header, graphapi.MaxRetryAfter)
	}
	return n
}

// expectThrottled checks that resp is Graph's throttling answer and
// returns its Retry-After.
func expectThrottled(t *testing.T, resp *response) int {
	t.Helper()
	msg := expectError(t, resp, http.StatusTooManyRequests, "TooManyRequests")
	if msg != "Please retry again later." {
		t.Errorf("message %q, want Graph's %q", msg, "Please retry again later.")
	}
	return retryAfter(t, resp.header.Get("Retry-After"))
}

// TestThrottleRefusesBeyondTheBucket: a caller gets its bucket's requests,
// then 429 with a Retry-After that tells when a request comes back; a
// retry before then is refused again and pushes that time further (the
// refused request is counted, as Graph counts it), up to 179 s.
func TestThrottleRefusesBeyondTheBucket(t *testing.T) {
	// Two requests, one back every 30 s.
	s := newTestServer(t, withThrottle(graphapi.ThrottleLimit{Requests: 2, Per: time.Minute}))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	get := request{path: "/beta/me/profile/positions", token: tok}
	for i := range 2 {
		if resp := s.do(get); resp.status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, resp.status, resp.body)
		}
	}
	// Each refusal takes a token too: the bucket is 1, 2, 3… requests in
	// debt, 60, 90, 120… s from holding one again (a second or two less if
	// the test was slow).
	for want := 60; want <= 180; want += 30 {
		wait := expectThrottled(t, s.do(get))
		if limit := min(want, graphapi.MaxRetryAfter); wait > limit || wait < limit-3 {
			t.Errorf("Retry-After %d, want %d", wait, limit)
		}
	}
	// The debt stops where Retry-After can still tell the time.
	for range 3 {
		if wait := expectThrottled(t, s.do(get)); wait != graphapi.MaxRetryAfter {
			t.Errorf("deep in debt: Retry-After %d, want %d", wait, graphapi.MaxRetryAfter)
		}
	}
	// Every kind of request counts, writes too; in every version.
	expectThrottled(t, s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{"detail":{"jobTitle":"x"}}`}))
	expectThrottled(t, s.do(request{path: "/v1.0/me", token: tok}))
	// The service's description needs no caller and is never throttled.
	if resp := s.do(request{path: "/beta/$metadata", token: tok}); resp.status != http.StatusOK || !strings.Contains(string(resp.body), "<edmx:Edmx") {
		t.Errorf("$metadata while throttled: %d %.200s", resp.status, resp.body)
	}
	// The refused create created nothing (an application, another caller,
	// looks).
	list := s.do(request{path: "/beta/users/" + userA1 + "/profile/positions", token: s.application(tenantA, "User.Read.All")})
	if list.status != http.StatusOK {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
	if got := len(list.json(t)["value"].([]any)); got != 0 {
		t.Errorf("a refused create left %d positions", got)
	}
}

// TestThrottleIsPerCaller: a caller's empty bucket refuses no one else:
// not another user of the tenant, not the same user id in another tenant,
// not an application of the tenant.
func TestThrottleIsPerCaller(t *testing.T) {
	s := newTestServer(t, withThrottle(graphapi.ThrottleLimit{Requests: 1, Per: time.Minute}))
	throttled := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.do(request{path: "/beta/me", token: throttled})
	expectThrottled(t, s.do(request{path: "/beta/me", token: throttled}))
	// In this order: the application lists the tenant's users, both of
	// whom have signed in by then.
	others := []struct{ name, token, id string }{
		{"another user of the tenant", s.delegated(tenantA, userA2, "User.ReadWrite"), userA2},
		{"the same user id, other tenant", s.delegated(tenantB, userA1, "User.ReadWrite"), userA1},
		{"an application of the tenant", s.application(tenantA, "User.Read.All"), ""},
	}
	for _, caller := range others {
		name := caller.name
		path := "/beta/me"
		if caller.id == "" {
			path = "/beta/users"
		}
		resp := s.do(request{path: path, token: caller.token})
		if resp.status != http.StatusOK {
			t.Errorf("%s: %d %s", name, resp.status, resp.body)
			continue
		}
		body := resp.json(t)
		if caller.id != "" && body["id"] != caller.id {
			t.Errorf("%s: /beta/me answers %v, want user %s", name, body["id"], caller.id)
		}
		if caller.id == "" {
			if users, ok := body["value"].([]any); !ok || len(users) != 2 {
				t.Errorf("%s: /beta/users answers %s, want the tenant's 2 users", name, resp.body)
			}
		}
	}
	// The same user with another token (other scopes) is the same caller.
	expectThrottled(t, s.do(request{path: "/beta/me", token: s.delegated(tenantA, userA1, "User.Read")}))
}

// TestResetForgetsTheTenantsThrottling: POST /_admin/reset makes the
// server answer as a new one, throttling included: the reset tenant's
// callers start with full buckets (a reset of every tenant, every
// caller's), another tenant's keep their debt. A test's debt, up to
// 179 s, used to throttle the tests after it.
func TestResetForgetsTheTenantsThrottling(t *testing.T) {
	s := newTestServer(t, withThrottle(graphapi.ThrottleLimit{Requests: 1, Per: time.Minute}), withAdminToken(adminToken))
	a := s.delegated(tenantA, userA1, "User.ReadWrite")
	b := s.delegated(tenantB, userB1, "User.ReadWrite")
	for _, tok := range []string{a, b} {
		if resp := s.do(request{path: "/beta/me", token: tok}); resp.status != http.StatusOK {
			t.Fatalf("first request: %d %s", resp.status, resp.body)
		}
		expectThrottled(t, s.do(request{path: "/beta/me", token: tok}))
	}
	reset := func(body string) {
		t.Helper()
		if resp := s.do(request{method: http.MethodPost, path: "/_admin/reset", token: adminToken, body: body}); resp.status != http.StatusNoContent {
			t.Fatalf("reset %s: %d %s", body, resp.status, resp.body)
		}
	}
	reset(`{"tenantId":"` + tenantA + `"}`)
	if resp := s.do(request{path: "/beta/me", token: a}); resp.status != http.StatusOK {
		t.Errorf("tenant A after its reset: %d %s, want its bucket full again", resp.status, resp.body)
	}
	expectThrottled(t, s.do(request{path: "/beta/me", token: b}))
	reset("")
	if resp := s.do(request{path: "/beta/me", token: b}); resp.status != http.StatusOK {
		t.Errorf("tenant B after a reset of every tenant: %d %s", resp.status, resp.body)
	}
}

// TestThrottleBatchItems: the items of a $batch are throttled each on its
// own, each refused one answered 429 inside the batch with its
// Retry-After; the batch itself is not counted and always answered.
func TestThrottleBatchItems(t *testing.T) {
	s := newTestServer(t, withThrottle(graphapi.ThrottleLimit{Requests: 3, Per: 30 * time.Second}))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	body := func(ids ...int) string {
		var picked []string
		for _, i := range ids {
			picked = append(picked, fmt.Sprintf(`{"id":"%d","method":"GET","url":"/me/profile/positions"}`, i))
		}
		return `{"requests":[` + strings.Join(picked, ",") + `]}`
	}
	a := s.sendBatch(t, "/beta/$batch", tok, body(0, 1, 2))
	for i := range 3 {
		if status, _, b := a.item(t, fmt.Sprint(i)); status != http.StatusOK {
			t.Errorf("item %d within the bucket: %d %v", i, status, b)
		}
	}
	a = s.sendBatch(t, "/beta/$batch", tok, body(3, 4))
	for i := 3; i < 5; i++ {
		status, headers, b := a.item(t, fmt.Sprint(i))
		if status != http.StatusTooManyRequests || get(b, "error", "code") != "TooManyRequests" || get(b, "error", "message") != "Please retry again later." {
			t.Errorf("item %d beyond the bucket: %d %v", i, status, b)
		}
		if wait := retryAfter(t, headers["Retry-After"]); wait < 1 || wait > 30 {
			t.Errorf("item %d: Retry-After %d, want at most the 30 s of the debt", i, wait)
		}
	}
	// A sequence whose first item is refused: the rest fail their
	// dependency, as Graph answers them.
	a = s.sendBatch(t, "/beta/$batch", tok, `{"requests":[{"id":"0","method":"GET","url":"/me"},{"id":"1","method":"GET","url":"/me","dependsOn":["0"]}]}`)
	if status, _, _ := a.item(t, "0"); status != http.StatusTooManyRequests {
		t.Errorf("first of a sequence: %d, want 429", status)
	}
	if status, _, _ := a.item(t, "1"); status != http.StatusFailedDependency {
		t.Errorf("after a refused item: %d, want 424", status)
	}
}

// TestThrottleOffByDefault: without Throttle nothing is refused.
func TestThrottleOffByDefault(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.Read")
	for i := range 50 {
		if resp := s.do(request{path: "/beta/me", token: tok}); resp.status != http.StatusOK {
			t.Fatalf("request %d: %d", i, resp.status)
		}
	}
}

// TestThrottleLimitOn: a limit throttles only with both a number of
// requests and a period; a half-set one (a library user's literal) is off,
// as the zero value is.
func TestThrottleLimitOn(t *testing.T) {
	for limit, want := range map[graphapi.ThrottleLimit]bool{
		{}:                               false,
		{Requests: 5}:                    false,
		{Per: time.Second}:               false,
		{Requests: -1, Per: time.Second}: false,
		{Requests: 5, Per: -time.Second}: false,
		{Requests: 5, Per: time.Second}:  true,
		graphapi.DefaultThrottleLimit():  true,
	} {
		if got := limit.On(); got != want {
			t.Errorf("%v.On() = %v, want %v", limit, got, want)
		}
	}
}

func TestParseThrottleLimit(t *testing.T) {
	valid := map[string]graphapi.ThrottleLimit{
		"3500/10s": {Requests: 3500, Per: 10 * time.Second},
		"5/s":      {Requests: 5, Per: time.Second},
		"60/m":     {Requests: 60, Per: time.Minute},
		"1/179s":   {Requests: 1, Per: 179 * time.Second},
		"2/1m30s":  {Requests: 2, Per: 90 * time.Second},
		// The most requests a limit may name.
		"1000000000/10s": {Requests: 1_000_000_000, Per: 10 * time.Second},
	}
	for spec, want := range valid {
		got, err := graphapi.ParseThrottleLimit(spec)
		if err != nil || got != want {
			t.Errorf("ParseThrottleLimit(%q) = %v, %v; want %v", spec, got, err, want)
		}
	}
	invalid := map[string]string{
		"":               "REQUESTS/DURATION",
		"3500":           "REQUESTS/DURATION",
		"0/10s":          "whole number",
		"-1/10s":         "whole number",
		"+5/10s":         "whole number",
		"1.5/10s":        "whole number",
		"1000000001/10s": "whole number",
		"5/":             "positive duration",
		"5/0s":           "positive duration",
		"5/-1s":          "positive duration",
		"5/10":           "positive duration",
		"1/180s":         "179 s",
		"1/1h":           "179 s",
		"3500/10s/":      "positive duration",
	}
	for spec, want := range invalid {
		_, err := graphapi.ParseThrottleLimit(spec)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseThrottleLimit(%q) error %v, want one line saying %q", spec, err, want)
		}
	}
}

// TestThrottleBatchOrder: which independent items of a $batch the bucket
// has room for is not their order (they run up to 10 at a time), but how
// many is: exactly the bucket's. Chained with dependsOn they take it in
// their order, and the items after a refused one fail their dependency.
func TestThrottleBatchOrder(t *testing.T) {
	s := newTestServer(t, withThrottle(graphapi.ThrottleLimit{Requests: 3, Per: time.Minute}))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	var items []string
	for i := range 8 {
		items = append(items, fmt.Sprintf(`{"id":"%d","method":"GET","url":"/me"}`, i))
	}
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[`+strings.Join(items, ",")+`]}`)
	statuses := map[int]int{}
	for i := range 8 {
		status, _, _ := a.item(t, fmt.Sprint(i))
		statuses[status]++
	}
	if statuses[http.StatusOK] != 3 || statuses[http.StatusTooManyRequests] != 5 {
		t.Errorf("8 independent items against a bucket of 3: %v, want 3 200 and 5 429", statuses)
	}

	s = newTestServer(t, withThrottle(graphapi.ThrottleLimit{Requests: 3, Per: time.Minute}))
	tok = s.delegated(tenantA, userA1, "User.ReadWrite")
	items = items[:0]
	for i := range 6 {
		dep := ""
		if i > 0 {
			dep = fmt.Sprintf(`,"dependsOn":["%d"]`, i-1)
		}
		items = append(items, fmt.Sprintf(`{"id":"%d","method":"GET","url":"/me"%s}`, i, dep))
	}
	a = s.sendBatch(t, "/beta/$batch", tok, `{"requests":[`+strings.Join(items, ",")+`]}`)
	for i, want := range []int{200, 200, 200, 429, 424, 424} {
		if status, _, _ := a.item(t, fmt.Sprint(i)); status != want {
			t.Errorf("chained item %d: %d, want %d", i, status, want)
		}
	}
}
