package graphapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
)

func withFaults(f graphapi.Faults) serverOption {
	return func(s *graphapi.Server) { s.Faults = f }
}

func withAdminToken(tok string) serverOption {
	return func(s *graphapi.Server) { s.AdminToken = tok }
}

// faultMessages are the messages of the faults' answers, by code.
var faultMessages = map[string]string{
	"TooManyRequests":     "Please retry again later.",
	"serviceNotAvailable": graphprofile.ServiceUnavailableMessage,
	"UnknownError":        "The gateway did not receive a timely response from the service. Retry the request after the time in the Retry-After header.",
}

// expectFault checks that resp is the fault of code, with its status and message.
func expectFault(t *testing.T, resp *response, status int, code string) {
	t.Helper()
	if msg := expectError(t, resp, status, code); msg != faultMessages[code] {
		t.Errorf("%s message %q, want %q", code, msg, faultMessages[code])
	}
}

// TestFaultHeader: with the admin API on, a request gets the one fault its
// X-GraphProfile-Fault header asks for, in Graph's shape.
func TestFaultHeader(t *testing.T) {
	s := newTestServer(t, withAdminToken("admin-secret"))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	tests := []struct {
		header     string
		status     int
		code       string
		retryAfter string
	}{
		{"429", http.StatusTooManyRequests, "TooManyRequests", "1"},
		{"429;retry-after=7", http.StatusTooManyRequests, "TooManyRequests", "7"},
		{" 429 ; retry-after=179 ", http.StatusTooManyRequests, "TooManyRequests", "179"},
		{"503", http.StatusServiceUnavailable, "serviceNotAvailable", "1"},
		{"503;retry-after=3", http.StatusServiceUnavailable, "serviceNotAvailable", "3"},
		{"504", http.StatusGatewayTimeout, "UnknownError", "1"},
		{"504;retry-after=2", http.StatusGatewayTimeout, "UnknownError", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			resp := s.do(request{path: "/beta/me/profile/positions", token: tok, header: map[string]string{graphapi.FaultHeader: tt.header}})
			expectFault(t, resp, tt.status, tt.code)
			if got := resp.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			// One fault, one request: the next is served.
			if next := s.do(request{path: "/beta/me/profile/positions", token: tok}); next.status != http.StatusOK {
				t.Errorf("the next request: %d %s", next.status, next.body)
			} else if list, ok := next.json(t)["value"].([]any); !ok || len(list) != 0 {
				t.Errorf("the next request answers %s, want the empty list", next.body)
			}
		})
	}

	t.Run("a faulted write does nothing", func(t *testing.T) {
		resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok,
			body: `{"detail":{"jobTitle":"never"}}`, header: map[string]string{graphapi.FaultHeader: "503"}})
		expectFault(t, resp, http.StatusServiceUnavailable, "serviceNotAvailable")
		list := s.do(request{path: "/beta/me/profile/positions", token: tok})
		if n := len(list.json(t)["value"].([]any)); n != 0 {
			t.Errorf("%d positions after a faulted create, want 0", n)
		}
	})

	t.Run("latency", func(t *testing.T) {
		start := time.Now()
		resp := s.do(request{path: "/beta/me", token: tok, header: map[string]string{graphapi.FaultHeader: "latency=200ms"}})
		if resp.status != http.StatusOK {
			t.Fatalf("delayed request: %d %s", resp.status, resp.body)
		}
		if id := resp.json(t)["id"]; id != userA1 {
			t.Errorf("the delayed request answers user %v, want %s", id, userA1)
		}
		// Not a measure of speed: the delay asked for is a floor.
		if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
			t.Errorf("answered after %s, before the 200ms asked for", elapsed)
		}
	})

	t.Run("faults come before the token", func(t *testing.T) {
		resp := s.do(request{path: "/beta/me", header: map[string]string{graphapi.FaultHeader: "429"}})
		expectFault(t, resp, http.StatusTooManyRequests, "TooManyRequests")
	})

	const notAFault = " is not a fault: want 429, 503 or 504 (each optionally followed by ;retry-after=SECONDS) or latency=DURATION."
	const notARetryAfter = " is not a Retry-After: want whole seconds from 1 to 179."
	const notADelay = " is not a delay: want a duration above 0 and at most 30s, e.g. 50ms."
	for bad, why := range map[string]string{
		"430":                 `"430"` + notAFault,
		"429;retry-after=0":   `"0"` + notARetryAfter,
		"429;retry-after=180": `"180"` + notARetryAfter,
		"429;retry=2":         `"429;retry=2": the only parameter of a fault is retry-after=SECONDS.`,
		"latency=0s":          `"0s"` + notADelay,
		"latency=31s":         `"31s"` + notADelay,
		"latency=soon":        `"soon"` + notADelay,
		"500":                 `"500"` + notAFault,
		"429,503":             `"429,503"` + notAFault,
	} {
		t.Run("invalid "+bad, func(t *testing.T) {
			resp := s.do(request{path: "/beta/me", token: tok, header: map[string]string{graphapi.FaultHeader: bad}})
			msg := expectError(t, resp, http.StatusBadRequest, "BadRequest")
			if want := "The " + graphapi.FaultHeader + " header is invalid: " + why; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
}

// TestFaultHeaderIgnoredWithoutAdmin: without the admin API, the header is
// anyone's and does nothing, malformed or not.
func TestFaultHeaderIgnoredWithoutAdmin(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.Read")
	for _, h := range []string{"429", "503;retry-after=5", "504", "latency=30s", "nonsense"} {
		resp := s.do(request{path: "/beta/me", token: tok, header: map[string]string{graphapi.FaultHeader: h}})
		if resp.status != http.StatusOK || resp.header.Get("Retry-After") != "" {
			t.Errorf("%s: %d %s, want it ignored", h, resp.status, resp.body)
		} else if id := resp.json(t)["id"]; id != userA1 {
			t.Errorf("%s: answers user %v, want %s", h, id, userA1)
		}
	}
}

// TestFaultHeaderInBatch: an item's own header faults that item only, in
// Graph's shape inside the batch; the batch's header faults the batch.
func TestFaultHeaderInBatch(t *testing.T) {
	s := newTestServer(t, withAdminToken("admin-secret"))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"GET","url":"/me"},
		{"id":"2","method":"GET","url":"/me","headers":{"X-GraphProfile-Fault":"429;retry-after=4"}},
		{"id":"3","method":"GET","url":"/me/profile/positions","headers":{"x-graphprofile-fault":"504"}}]}`)
	if status, _, b := a.item(t, "1"); status != http.StatusOK || b["id"] != userA1 {
		t.Errorf("item 1: %d %v, want user %s", status, b, userA1)
	}
	status, headers, b := a.item(t, "2")
	if status != http.StatusTooManyRequests || headers["Retry-After"] != "4" || get(b, "error", "code") != "TooManyRequests" {
		t.Errorf("item 2: %d %v %v", status, headers, b)
	}
	if get(b, "error", "innerError", "request-id") == nil {
		t.Errorf("item 2's error has no innerError: %v", b)
	}
	if msg := get(b, "error", "message"); msg != faultMessages["TooManyRequests"] {
		t.Errorf("item 2's message %q", msg)
	}
	status, headers, b = a.item(t, "3")
	if status != http.StatusGatewayTimeout || headers["Retry-After"] != "1" || get(b, "error", "code") != "UnknownError" || get(b, "error", "message") != faultMessages["UnknownError"] {
		t.Errorf("item 3: %d %v %v", status, headers, b)
	}

	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[{"id":"1","method":"GET","url":"/me"}]}`,
		header: map[string]string{graphapi.FaultHeader: "503"}})
	expectFault(t, resp, http.StatusServiceUnavailable, "serviceNotAvailable")
}

// TestBatchLongerThanTheWriteTimeoutIsAnswered: a $batch whose items take
// longer than the write timeout together (each delayed by a fault, one
// after the other along dependsOn) is still answered: the write timeout
// bounds writing its answer, not running its items. Its answer was lost
// (an empty reply) while the access log said 200.
func TestBatchLongerThanTheWriteTimeoutIsAnswered(t *testing.T) {
	s := newTestServer(t, withAdminToken("admin-secret"), func(srv *graphapi.Server) {
		srv.Timeouts = graphapi.DefaultTimeouts()
		srv.Timeouts.Write = time.Second
	})
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"GET","url":"/me","headers":{"X-GraphProfile-Fault":"latency=700ms"}},
		{"id":"2","method":"GET","url":"/me","dependsOn":["1"],"headers":{"X-GraphProfile-Fault":"latency=700ms"}}]}`)
	for _, id := range []string{"1", "2"} {
		if status, _, b := a.item(t, id); status != http.StatusOK || b["id"] != userA1 {
			t.Errorf("item %s: %d %v, want user %s", id, status, b, userA1)
		}
	}
}

// TestRandomFaults: with Faults on, requests fail and are delayed at the
// rates asked for, from a seeded source: one seed, one sequence.
func TestRandomFaults(t *testing.T) {
	t.Run("always", func(t *testing.T) {
		s := newTestServer(t, withFaults(graphapi.Faults{GatewayTimeout: 1, RetryAfter: 3}))
		tok := s.delegated(tenantA, userA1, "User.Read")
		for range 3 {
			resp := s.do(request{path: "/beta/me", token: tok})
			expectFault(t, resp, http.StatusGatewayTimeout, "UnknownError")
			if got := resp.header.Get("Retry-After"); got != "3" {
				t.Errorf("Retry-After %q, want 3", got)
			}
		}
		// A batch is answered; its items fail, each on its own.
		a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[{"id":"1","method":"GET","url":"/me"},{"id":"2","method":"GET","url":"/me"}]}`)
		for _, id := range []string{"1", "2"} {
			if status, headers, b := a.item(t, id); status != http.StatusGatewayTimeout || headers["Retry-After"] != "3" ||
				get(b, "error", "code") != "UnknownError" || get(b, "error", "message") != faultMessages["UnknownError"] {
				t.Errorf("item %s: %d %v %v", id, status, headers, b)
			}
		}
	})

	// Each failure alone is on, as its own status and code, with the
	// default Retry-After: one probability set is a Faults that is On.
	t.Run("each failure alone", func(t *testing.T) {
		for _, tc := range []struct {
			faults graphapi.Faults
			status int
			code   string
		}{
			{graphapi.Faults{TooManyRequests: 1}, http.StatusTooManyRequests, "TooManyRequests"},
			{graphapi.Faults{ServiceUnavailable: 1}, http.StatusServiceUnavailable, "serviceNotAvailable"},
			{graphapi.Faults{GatewayTimeout: 1}, http.StatusGatewayTimeout, "UnknownError"},
		} {
			s := newTestServer(t, withFaults(tc.faults))
			resp := s.do(request{path: "/beta/me", token: s.delegated(tenantA, userA1, "User.Read")})
			expectFault(t, resp, tc.status, tc.code)
			if got := resp.header.Get("Retry-After"); got != "1" {
				t.Errorf("%+v: Retry-After %q, want the default 1", tc.faults, got)
			}
		}
	})

	t.Run("one seed, one sequence", func(t *testing.T) {
		sequence := func(seed uint64) string {
			s := newTestServer(t, withFaults(graphapi.Faults{TooManyRequests: 0.3, ServiceUnavailable: 0.2, Seed: seed}))
			tok := s.delegated(tenantA, userA1, "User.Read")
			var statuses []string
			for range 40 {
				statuses = append(statuses, fmt.Sprint(s.do(request{path: "/beta/me", token: tok}).status))
			}
			return strings.Join(statuses, " ")
		}
		first, second := sequence(42), sequence(42)
		if first != second {
			t.Errorf("seed 42 gave two sequences:\n%s\n%s", first, second)
		}
		for _, status := range []string{"200", "429", "503"} {
			if !strings.Contains(first, status) {
				t.Errorf("40 requests at 30%% 429 and 20%% 503 gave no %s: %s", status, first)
			}
		}
		if other := sequence(43); other == first {
			t.Errorf("seeds 42 and 43 gave the same 40 draws: %s", first)
		}
	})

	t.Run("latency alone", func(t *testing.T) {
		s := newTestServer(t, withFaults(graphapi.Faults{Latency: 50 * time.Millisecond, LatencyProbability: 1}))
		tok := s.delegated(tenantA, userA1, "User.Read")
		start := time.Now()
		if resp := s.do(request{path: "/beta/me", token: tok}); resp.status != http.StatusOK {
			t.Fatalf("%d %s", resp.status, resp.body)
		} else if id := resp.json(t)["id"]; id != userA1 {
			t.Errorf("the delayed request answers user %v, want %s", id, userA1)
		}
		if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
			t.Errorf("answered after %s, before the 50ms delay", elapsed)
		}
	})
}

func TestParseFaults(t *testing.T) {
	valid := map[string]graphapi.Faults{
		"":         {},
		"429=0.05": {TooManyRequests: 0.05},
		"429=0.05,503=0.02,504=0.01,latency=50ms@0.1,retry-after=2": {TooManyRequests: 0.05, ServiceUnavailable: 0.02, GatewayTimeout: 0.01, Latency: 50 * time.Millisecond, LatencyProbability: 0.1, RetryAfter: 2},
		" 503=1 , retry-after=179 ":                                 {ServiceUnavailable: 1, RetryAfter: 179},
		"latency=1s":                                                {Latency: time.Second, LatencyProbability: 1},
		"504=.5":                                                    {GatewayTimeout: 0.5},
		"429=0.7,503=0.2,504=0.1":                                   {TooManyRequests: 0.7, ServiceUnavailable: 0.2, GatewayTimeout: 0.1},
		"429=0":                                                     {},
		" \t ":                                                      {},
	}
	for spec, want := range valid {
		got, err := graphapi.ParseFaults(spec)
		if err != nil || got != want {
			t.Errorf("ParseFaults(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	invalid := map[string]string{
		"429":                "KEY=VALUE",
		"429=":               "KEY=VALUE",
		"=0.1":               "KEY=VALUE",
		"429=0.1,":           "KEY=VALUE",
		"429=0.1,,503=0.1":   "KEY=VALUE",
		"500=0.1":            "unknown setting",
		"429=0.1,429=0.2":    "twice",
		"429=1.5":            "probability",
		"429=-0.1":           "probability",
		"429=5%":             "probability",
		"429=1e-2":           "probability",
		"429=0x1p-2":         "probability",
		"429=NaN":            "probability",
		"429=inf":            "probability",
		"429=.":              "probability",
		"429=0.6,503=0.5":    "more than 1",
		"429=0.5,503=0.5001": "more than 1",
		"latency=0s":         "delay",
		"latency=-5ms":       "delay",
		"latency=31s":        "delay",
		"latency=50ms@2":     "probability",
		"latency=50@0.1":     "delay",
		"retry-after=0":      "Retry-After",
		"retry-after=180":    "Retry-After",
		"retry-after=1.5":    "Retry-After",
		"retry-after=+2":     "Retry-After",
		"429=0.05;503=0.01":  "probability",
	}
	for spec, want := range invalid {
		_, err := graphapi.ParseFaults(spec)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseFaults(%q) error %v, want one line saying %q", spec, err, want)
		}
	}
}

// FuzzParseFaults: any spec is either refused with one line or read into
// faults whose own spec reads back the same.
func FuzzParseFaults(f *testing.F) {
	for _, seed := range []string{"", "429=0.05,503=0.02,504=0.01,latency=50ms@0.1,retry-after=2", "latency=1s", "429=1", "504=.5", "429=0.6,503=0.5", "retry-after=179", "latency=1h@0", "429=1e3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		faults, err := graphapi.ParseFaults(spec)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") && !strings.ContainsAny(spec, "\n\r") {
				t.Errorf("error of %q spans lines: %v", spec, err)
			}
			return
		}
		sum := faults.TooManyRequests + faults.ServiceUnavailable + faults.GatewayTimeout
		if sum > 1+1e-9 || faults.TooManyRequests < 0 || faults.LatencyProbability < 0 || faults.LatencyProbability > 1 ||
			faults.Latency < 0 || faults.Latency > graphapi.MaxFaultLatency || faults.RetryAfter < 0 || faults.RetryAfter > graphapi.MaxRetryAfter {
			t.Fatalf("ParseFaults(%q) = %+v: out of range", spec, faults)
		}
		again, err := graphapi.ParseFaults(faults.String())
		if err != nil || again.String() != faults.String() {
			t.Fatalf("ParseFaults(%q).String() = %q reads back as %+v, %v", spec, faults.String(), again, err)
		}
	})
}
