package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	// 1 ms … 1000 ms, shuffled order does not matter once sorted.
	var samples []time.Duration
	for i := 1000; i >= 1; i-- {
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	l := summarize(samples)
	want := latencies{P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000, Mean: 500.5}
	if l != want {
		t.Errorf("summarize(1..1000 ms) = %+v, want %+v", l, want)
	}

	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99.9, 7 * time.Millisecond},
		{ms(1, 2, 3), 50, 2 * time.Millisecond},    // rank ceil(1.5) = 2
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond}, // rank 2: half are at or below it
		{ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{ms(1, 2, 3, 4), 0.1, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
		}
	}
	// p99.9 of 10,000 samples is the 9,990th, whatever the float rounding.
	var big []time.Duration
	for i := 1; i <= 10000; i++ {
		big = append(big, time.Duration(i))
	}
	if got := percentile(big, 99.9); got != 9990 {
		t.Errorf("p99.9 of 1..10000 = %d, want 9990", got)
	}
	if got := median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median = %v, want 2.5", got)
	}
}

// A graphprofile answer as it looks on the wire (one create of the seed).
const realPosition = `{"@odata.context":"http://127.0.0.1:8080/beta/$metadata#users('db789417-4ccb-41d1-a0a9-47b01a09ea49')/profile/positions/$entity","@odata.etag":"\"4wscjfv0vol\"","id":"8d317c0b-9d96-4d2a-82ec-20305cfee5c8","allowedAudiences":"organization","inference":null,"createdDateTime":"2026-11-23T16:50:13.8985317Z","createdBy":{"application":null,"device":null,"user":{"displayName":"Innocenty Popov","id":"db789417-4ccb-41d1-a0a9-47b01a09ea49"}},"detail":{"jobTitle":"Senior Product Branding Manager II"},"isCurrent":true}`

// What bench/ceiling answers (its canned position, id echoed).
const ceilingPosition = `{"@odata.context":"http://ceiling.invalid/beta/$metadata#users('00000000-0000-4000-8000-000000000000')/profile/positions/$entity","id":"8d317c0b-9d96-4d2a-82ec-20305cfee5c8","createdDateTime":"2026-01-01T00:00:00Z","@pad":"xxxx"}`

func TestCheckEntity(t *testing.T) {
	const id = "8d317c0b-9d96-4d2a-82ec-20305cfee5c8"
	tests := []struct {
		name   string
		op     op
		status int
		body   string
		wantID string
		ok     bool
	}{
		{"create", opCreate, 201, realPosition, "", true},
		{"create from the ceiling", opCreate, 201, ceilingPosition, "", true},
		{"get", opGet, 200, realPosition, id, true},
		{"update from the ceiling", opUpdate, 200, ceilingPosition, id, true},
		{"create answered 200", opCreate, 200, realPosition, "", false},
		{"get answered 201", opGet, 201, realPosition, id, false},
		{"get of another position", opGet, 200, realPosition, "00000000-9d96-4d2a-82ec-20305cfee5c8", false},
		{"error envelope", opGet, 200, `{"error":{"code":"Request_ResourceNotFound","message":"x"}}`, id, false},
		{"401", opUpdate, 401, `{"error":{"code":"InvalidAuthenticationToken"}}`, id, false},
		{"truncated", opGet, 200, realPosition[:len(realPosition)-5], id, false},
		{"no id", opCreate, 201, `{"@odata.context":"x","isCurrent":true}`, "", false},
		{"short id", opCreate, 201, `{"@odata.context":"x","id":"8d317c0b"}`, "", false},
		{"empty", opGet, 200, ``, id, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			var err error
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("checkEntity panicked: %v", v)
					}
				}()
				got, err = checkEntity(tt.op, tt.status, []byte(tt.body), tt.wantID)
			}()
			if (err == nil) != tt.ok {
				t.Fatalf("checkEntity error = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && got != id {
				t.Errorf("id = %q, want %q", got, id)
			}
		})
	}
}

func TestCheckList(t *testing.T) {
	item := strings.TrimPrefix(realPosition, `{"@odata.context":"http://127.0.0.1:8080/beta/$metadata#users('db789417-4ccb-41d1-a0a9-47b01a09ea49')/profile/positions/$entity",`)
	list := func(n int) string {
		return `{"@odata.context":"http://h/beta/$metadata#users('x')/profile/positions","value":[` +
			strings.TrimSuffix(strings.Repeat("{"+item+",", n), ",") + `]}`
	}
	ceiling := `{"@odata.context":"http://ceiling.invalid/…/positions","@pad":"xx","value":[{"id":"00000000-0000-4000-8000-000000000000","createdDateTime":"2026-01-01T00:00:00Z"},{"id":"00000000-0000-4000-8000-000000000000","createdDateTime":"2026-01-01T00:00:00Z"}]}`
	tests := []struct {
		name     string
		status   int
		body     string
		minItems int
		ok       bool
	}{
		{"ten", 200, list(10), 10, true},
		{"more than needed", 200, list(12), 10, true},
		{"empty", 200, list(0), 0, true},
		{"ceiling", 200, ceiling, 2, true},
		{"too few", 200, list(9), 10, false},
		{"status", 500, list(10), 10, false},
		{"not a list", 200, realPosition, 0, false},
		{"truncated", 200, list(10)[:200], 0, false},
	}
	for _, tt := range tests {
		if err := checkList(tt.status, []byte(tt.body), tt.minItems); (err == nil) != tt.ok {
			t.Errorf("%s: checkList error = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	// A lopsided page holds its $top exactly: a server that ignores $top
	// (all 500 positions a page) is not measured as if it paged.
	for _, tt := range []struct {
		name string
		body string
		ok   bool
	}{
		{"a page of ten", list(10), true},
		{"the whole collection", list(500), false},
		{"too few", list(9), false},
	} {
		if err := checkPage(200, []byte(tt.body), 10); (err == nil) != tt.ok {
			t.Errorf("%s: checkPage error = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name      string
		wire      string
		status    int
		body      string
		keepAlive bool
	}{
		{"content-length", "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\nhello", 201, "hello", true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 200, "abcde", true},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 200, "ok", false},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", 204, "", true},
		{"until EOF", "HTTP/1.0 200 OK\r\n\r\nall of it", 200, "all of it", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Two answers back to back: the first must end exactly where it should.
			br := bufio.NewReader(strings.NewReader(tt.wire + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
			var buf bytes.Buffer
			status, body, keepAlive, err := readResponse(br, &buf, false)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || keepAlive != tt.keepAlive {
				t.Errorf("status %d keep-alive %v, want %d %v", status, keepAlive, tt.status, tt.keepAlive)
			}
			wantBody := tt.body
			if !tt.keepAlive && tt.name == "until EOF" {
				wantBody += "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
			}
			if string(body) != wantBody {
				t.Errorf("body %q, want %q", body, wantBody)
			}
			if tt.keepAlive {
				if status, _, _, err := readResponse(br, &buf, false); err != nil || status != http.StatusNotFound {
					t.Errorf("the next answer: status %d, err %v", status, err)
				}
			}
		})
	}
	for _, bad := range []string{"", "HTTP/1.1 2\r\n\r\n", "SSH-2.0\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"} {
		var buf bytes.Buffer
		if _, _, _, err := readResponse(bufio.NewReader(strings.NewReader(bad)), &buf, false); err == nil {
			t.Errorf("readResponse(%q) succeeded", bad)
		}
	}
}

func TestMix(t *testing.T) {
	var counts [numOps]int
	for r := range 100 {
		counts[mix("mixed", r)]++
	}
	if counts[opGet]+counts[opList] != 70 || counts[opUpdate] != 20 || counts[opCreate] != 10 {
		t.Errorf("mixed = %v per 100, want 70 get/list, 20 update, 10 create", counts)
	}
	for _, w := range []string{"create", "update", "get", "list", "profile"} {
		if got := mix(w, 50).String(); got != w {
			t.Errorf("mix(%s) = %s", w, got)
		}
	}
}

func TestCeilingFlagsAndReport(t *testing.T) {
	gp := result{Target: "graphprofile", Workload: "get", RPS: 20000, PositionsPerUser: 10, Connections: 32, DurationS: 10, WarmupS: 2, Users: 100,
		Latency: latencies{P99: 9.5}, Ops: map[string]opStats{"get": {Count: 1, BodyBytes: 1429.6}, "list": {Count: 1, BodyBytes: 14123}}}
	if got, want := ceilingFlagsOf(gp), "--get-size=1430 --list-size=14123 --list-items=10"; got != want {
		t.Errorf("ceilingFlagsOf = %q, want %q", got, want)
	}
	profile := result{Workload: "profile", PositionsPerUser: 7, Ops: map[string]opStats{"profile": {Count: 3, BodyBytes: 98765.4}}}
	if got, want := ceilingFlagsOf(profile), "--profile-size=98765 --list-items=7 --profile-items=7"; got != want {
		t.Errorf("ceilingFlagsOf(profile) = %q, want %q", got, want)
	}
	with := func(r result, target, workload string, rps, p99 float64) result {
		r.Target, r.Workload, r.RPS, r.Latency.P99 = target, workload, rps, p99
		return r
	}
	// Two pairs of get (A B), two of create and one of update (A B C), one mixed without a ceiling.
	runs := []result{
		with(gp, "graphprofile", "get", 20000, 9.5), with(gp, "ceiling", "get", 40000, 1),
		with(gp, "graphprofile", "get", 30000, 12), with(gp, "ceiling", "get", 40000, 1),
		with(gp, "graphprofile", "create", 8000, 12), with(gp, "ceiling", "create", 40000, 1), with(gp, "durable ceiling", "create", 10000, 3),
		with(gp, "graphprofile", "create", 6000, 12), with(gp, "ceiling", "create", 30000, 1), with(gp, "durable ceiling", "create", 10000, 3),
		with(gp, "graphprofile", "update", 6000, 8), with(gp, "ceiling", "update", 40000, 1), with(gp, "durable ceiling", "update", 10000, 3), with(gp, "durable graph floor", "update", 7500, 3),
		with(gp, "graphprofile", "list", 6100, 8), with(gp, "ceiling", "list", 10000, 1), with(gp, "graph floor", "list", 8000, 2),
		with(gp, "graphprofile", "mixed", 5000, 30),
	}
	var lines bytes.Buffer
	for _, r := range runs {
		b, _ := json.Marshal(r)
		lines.Write(append(b, '\n'))
	}
	var out bytes.Buffer
	if err := runReport(nil, &lines, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// get: ratios 0.50 and 0.75 to the bare ceiling; median 0.625 < 0.7; p99 median 10.75 > 10.
		"| get | 25000 | 40000 | 0.50 / 0.62 / 0.75 | – | – | ≥ 0.7 of bare ✗ | 0.00 | 0.00 | 10.75 ✗ |",
		// create: 0.2 of bare both times; 0.8 and 0.6 of durable, median 0.7: met.
		"| create | 7000 | 35000 | 0.20 / 0.20 / 0.20 | 10000 | 0.60 / 0.70 / 0.80 | ≥ 0.7 of durable ✓ | 0.00 | 0.00 | 12.00 |",
		"| update | 6000 | 40000 | 0.15 / 0.15 / 0.15 | 10000 | 0.60 / 0.60 / 0.60 | ≥ 0.7 of durable ✗ |",
		"| list | 6100 | 10000 | 0.61 / 0.61 / 0.61 | – | – | ≥ 0.6 of bare ✓ | 0.00 | 0.00 | 8.00 ✓ |",
		"| mixed | 5000 | – | – | – | – | – | 0.00 | 0.00 | 30.00 |",
		"| create | 2 | durable ceiling | 10000 |",
		// list: the floor at 0.8 of the ceiling, graphprofile at 6100/8000 of the floor.
		"| list | 6100 | bare | 10000 | 8000 | 0.80 / 0.80 / 0.80 | 0.76 / 0.76 / 0.76 |",
		// update: the durable floor at 0.75 of the durable ceiling, graphprofile at 0.8 of it.
		"| update | 6000 | durable | 10000 | 7500 | 0.75 / 0.75 / 0.75 | 0.80 / 0.80 / 0.80 |",
		"| update | 1 | durable graph floor | 7500 |",
		"| list | 1 | graph floor | 8000 |",
		"same machine",
		"2 pair(s) per workload, graphprofile and the ceilings alternating",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestReportLopsidedAndOverTime(t *testing.T) {
	lop := func(listP99 float64, rssMaxKB int64) result {
		return result{Target: "graphprofile", Workload: "lopsided", Connections: 32, DurationS: 10, Users: 100, LopsidedItems: 100000, LopsidedWriters: 8,
			ServerRSSKB: rssMaxKB - 1000, ServerRSSMaxKB: rssMaxKB, ServerHWMKB: rssMaxKB + 1000, SetupS: 42,
			Ops: map[string]opStats{"list": {Count: 50000, P50: 2, P99: listP99}, "create": {Count: 10000, P50: 3, P99: 7}}}
	}
	timed := result{Target: "graphprofile", Workload: "create", Connections: 32, DurationS: 120, IntervalS: 60, WAL: "/tmp/x.db-wal",
		WALMaxBytes: 8 << 20, WALLastBytes: 1 << 20, ServerRSSKB: 50 << 10, ServerRSSMaxKB: 60 << 10,
		Intervals: []intervalStats{
			{StartS: 0, DurationS: 60, RPS: 5000, Latency: latencies{P50: 2, P99: 9}, ServerRSSMaxKB: 55 << 10, WALMaxBytes: 4 << 20},
			{StartS: 60, DurationS: 60, RPS: 4500, Latency: latencies{P50: 2.5, P99: 11}, ServerRSSMaxKB: 60 << 10, WALMaxBytes: 8 << 20},
		}}
	costed := timed
	costed.Intervals = slices.Clone(timed.Intervals)
	costed.Intervals[0].ServerCPUUsPerRequest, costed.Intervals[0].WriterBusy, costed.Intervals[0].WriterUsPerWrite, costed.Intervals[0].WritesPerCommit = 150, 0.9, 180, 11.2
	costed.Intervals[0].WriterCommitUsPerWrite, costed.Intervals[1].WriterCommitUsPerWrite = 120, 140
	costed.Intervals[0].YardstickUs, costed.Intervals[1].YardstickUs = 900, 990
	costed.Intervals[1].ServerCPUUsPerRequest, costed.Intervals[1].WriterBusy, costed.Intervals[1].WriterUsPerWrite, costed.Intervals[1].WritesPerCommit = 155.5, 0.91, 202.2, 11
	tests := []struct {
		name string
		runs []result
		want []string
	}{
		{"met", []result{lop(15, 150<<10)}, []string{
			"one user with 100000 positions read a page of 10 at a time",
			"by 32 connections, while 8 connections create positions for the 100 other users",
			"| 5000 | 2.00 | 15.00 | < 20 ms ✓ | 1000 | 3.00 | 7.00 | 150 | < 200 MB ✓ | 151 | 42 |",
		}},
		// 200 MB is 190.7 MiB: 195 MiB is over.
		{"missed", []result{lop(25, 195<<10), lop(30, 180<<10), lop(10, 199<<10)}, []string{
			"| 5000 | 2.00 | 25.00 | < 20 ms ✗ | 1000 | 3.00 | 7.00 | 195 | < 200 MB ✗ |",
		}},
		{"over time, with costs", []result{costed}, []string{
			"| interval | req/s | p50 ms | p99 ms | server RSS max MiB | WAL max MiB | server CPU µs/request | yardstick µs | writer busy | writer µs/write | of it in COMMIT | writes/commit |",
			"| 0s–1m0s | 5000 | 2.00 | 9.00 | 55 | 4.0 | 150.0 | 900 | 90% | 180.0 | 120.0 | 11.2 |",
			"| 1m0s–2m0s | 4500 | 2.50 | 11.00 | 60 | 8.0 | 155.5 | 990 | 91% | 202.2 | 140.0 | 11.0 |",
			"First to last interval: 5000 → 4500 (-10.0%) req/s. Server CPU: 150 → 156 (+3.7%) µs a request. The machine's yardstick: 900 → 990 (+10.0%) µs. The writer: 180 → 202 (+12.3%) µs a write, busy 90% → 91%. Of it in COMMIT: 120 → 140 (+16.7%) µs.",
		}},
		{"over time", []result{timed}, []string{
			"1 run(s) per workload, graphprofile only, each on a fresh SQLite database",
			"| create | 0 | 0.00 | 0.00 | 0.00 | 0.00 | 50 / 60 |",
			"**create, run 1, over time** (1m0s intervals):",
			"| 0s–1m0s | 5000 | 2.00 | 9.00 | 55 | 4.0 |",
			"| 1m0s–2m0s | 4500 | 2.50 | 11.00 | 60 | 8.0 |",
			"First to last interval: 5000 → 4500 (-10.0%) req/s. WAL: 8.0 MiB at most, 1.0 MiB at the end. Server RSS: 60.0 MiB at most, 50.0 MiB at the end.",
			"| create | 1 | graphprofile | 0 |",
			"| 50 / 60 / 0 | 8.0 / 1.0 |",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			writeReport(&out, "T", tt.runs, "a machine")
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
			if main, _, _ := strings.Cut(out.String(), "<details>"); strings.Contains(main, "| lopsided |") || strings.Contains(main, "ceiling req/s") {
				t.Errorf("without ceiling runs there is no ceiling table, and lopsided has no row in any:\n%s", out.String())
			}
		})
	}
}

// TestMachineCPUUnmeasured: where there is no /proc/stat (macOS, Windows)
// the interrupts' and other processes' CPU are said to be unmeasured, in
// the text, the progress line and the report, not printed as 0.00.
func TestMachineCPUUnmeasured(t *testing.T) {
	r := result{Target: "graphprofile", Workload: "get", RPS: 1000, BenchCPU: 0.5, NumCPU: 2, Ops: map[string]opStats{"get": {Count: 1}},
		MachineCPUUnmeasured: true}
	var human bytes.Buffer
	printHuman(&human, r)
	if !strings.Contains(human.String(), "interrupts and other processes not measured") || strings.Contains(human.String(), "interrupts 0.00") {
		t.Errorf("printHuman:\n%s\nwant the interrupts and other processes said unmeasured", human.String())
	}
	b, _ := json.Marshal(r)
	var out bytes.Buffer
	if err := runReport(nil, bytes.NewReader(append(b, '\n')), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := "| 0.00 / 0.50 / – / – |"; !strings.Contains(out.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, out.String())
	}
	r.MachineCPUUnmeasured, r.IRQCPU, r.OtherCPU = false, 0.25, 0.125
	human.Reset()
	printHuman(&human, r)
	if !strings.Contains(human.String(), "interrupts 0.25, other processes 0.12 CPU cores") {
		t.Errorf("printHuman, measured:\n%s", human.String())
	}
}
