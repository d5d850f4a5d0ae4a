package main

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// metricsText is the part of graphprofile's /metrics that the writer's
// counters come from, as the Prometheus client writes it.
const metricsText = `# HELP graphprofile_store_commit_duration_seconds Time of each commit.
# TYPE graphprofile_store_commit_duration_seconds histogram
graphprofile_store_commit_duration_seconds_bucket{le="0.0005"} 18
graphprofile_store_commit_duration_seconds_bucket{le="+Inf"} 125
graphprofile_store_commit_duration_seconds_sum 0.13344173200000006
graphprofile_store_commit_duration_seconds_count 125
# HELP graphprofile_store_commit_log_seconds Time of each COMMIT.
# TYPE graphprofile_store_commit_log_seconds histogram
graphprofile_store_commit_log_seconds_bucket{le="+Inf"} 125
graphprofile_store_commit_log_seconds_sum 0.1
graphprofile_store_commit_log_seconds_count 125
# HELP graphprofile_store_commit_writes Writes per commit.
# TYPE graphprofile_store_commit_writes histogram
graphprofile_store_commit_writes_bucket{le="1"} 34
graphprofile_store_commit_writes_bucket{le="+Inf"} 125
graphprofile_store_commit_writes_sum 1108
graphprofile_store_commit_writes_count 125
graphprofile_store_wal_bytes 0
`

func TestParseWriterCounters(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		want   writerCounters
		wantOK bool
	}{
		{"graphprofile's", metricsText, writerCounters{seconds: 0.13344173200000006, writes: 1108, commits: 125, logSeconds: 0.1, hasLog: true}, true},
		{"a server without the COMMITs' time", strings.Replace(metricsText, "graphprofile_store_commit_log_seconds_sum 0.1\n", "", 1),
			writerCounters{seconds: 0.13344173200000006, writes: 1108, commits: 125}, true},
		{"the COMMITs' time not a number", strings.Replace(metricsText, "_log_seconds_sum 0.1", "_log_seconds_sum x", 1), writerCounters{}, false},
		{"in another order, exponent", "graphprofile_store_commit_writes_count 2e3\ngraphprofile_store_commit_writes_sum 4.5e4\ngraphprofile_store_commit_duration_seconds_sum 1.5\n",
			writerCounters{seconds: 1.5, writes: 45000, commits: 2000}, true},
		{"a store without a writer (no series)", "go_goroutines 12\nprocess_cpu_seconds_total 3.5\n", writerCounters{}, false},
		{"one series missing", strings.Replace(metricsText, "graphprofile_store_commit_writes_count 125\n", "", 1), writerCounters{}, false},
		{"not a number", strings.Replace(metricsText, "_sum 1108", "_sum many", 1), writerCounters{}, false},
		{"negative", strings.Replace(metricsText, "_sum 1108", "_sum -1", 1), writerCounters{}, false},
		{"a label on the series is another series", strings.Replace(metricsText, "graphprofile_store_commit_writes_sum 1108", `graphprofile_store_commit_writes_sum{x="y"} 1108`, 1), writerCounters{}, false},
		{"empty", "", writerCounters{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseWriterCounters(strings.NewReader(tt.text))
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("parseWriterCounters = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParseWriterCounters(f *testing.F) {
	f.Add([]byte(metricsText))
	f.Add([]byte("graphprofile_store_commit_writes_count NaN\n"))
	f.Add([]byte("graphprofile_store_commit_duration_seconds_sum +Inf\ngraphprofile_store_commit_writes_sum 1\ngraphprofile_store_commit_writes_count 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, ok := parseWriterCounters(bytes.NewReader(data))
		if !ok && c != (writerCounters{}) {
			t.Errorf("not ok, yet counters %+v", c)
		}
		for _, v := range []float64{c.seconds, c.writes, c.commits, c.logSeconds} {
			if ok && !(v >= 0 && !math.IsInf(v, 1)) {
				t.Errorf("counters %+v: want each finite and not negative", c)
			}
		}
	})
}

func TestIntervalReadings(t *testing.T) {
	at := func(cpu, seconds, writes, commits float64) reading {
		return reading{serverCPU: cpu, writer: writerCounters{seconds: seconds, writes: writes, commits: commits}, hasWriter: true}
	}
	withLog := func(rd reading, logSeconds float64) reading {
		rd.writer.logSeconds, rd.writer.hasLog = logSeconds, true
		return rd
	}
	tests := []struct {
		name     string
		from, to reading
		want     intervalStats
	}{
		// 10,000 requests in 2 s: 1.5 s of CPU is 150 µs each; the writer
		// spent 1.8 s on 10,000 writes in 1,000 commits.
		{"both", at(100, 50, 90000, 9000), at(101.5, 51.8, 100000, 10000),
			intervalStats{ServerCPUUsPerRequest: 150, WriterBusy: 0.9, WriterUsPerWrite: 180, WritesPerCommit: 10}},
		// Of the 1.8 s, 1.2 s in COMMITs: 120 µs a write.
		{"with the COMMITs' time", withLog(at(100, 50, 90000, 9000), 30), withLog(at(101.5, 51.8, 100000, 10000), 31.2),
			intervalStats{ServerCPUUsPerRequest: 150, WriterBusy: 0.9, WriterUsPerWrite: 180, WriterCommitUsPerWrite: 120, WritesPerCommit: 10}},
		{"the COMMITs' time at one end only", at(100, 50, 90000, 9000), withLog(at(101.5, 51.8, 100000, 10000), 31.2),
			intervalStats{ServerCPUUsPerRequest: 150, WriterBusy: 0.9, WriterUsPerWrite: 180, WritesPerCommit: 10}},
		{"no server pid", at(0, 1, 10, 1), at(0, 1.2, 20, 3),
			intervalStats{WriterBusy: 0.1, WriterUsPerWrite: 20000, WritesPerCommit: 5}},
		{"no metrics at the start", reading{serverCPU: 10}, at(10.5, 1, 10, 1), intervalStats{ServerCPUUsPerRequest: 50}},
		{"no writes in the interval (reads only)", at(10, 1, 10, 1), at(11, 1, 10, 1), intervalStats{ServerCPUUsPerRequest: 100}},
		{"a restarted server's counters went back", at(10, 5, 100, 10), at(11, 0.1, 5, 1), intervalStats{ServerCPUUsPerRequest: 100}},
		// 8 samples of the yardstick in the interval took 7.2 ms: 900 µs each.
		{"the yardstick", reading{serverCPU: 10, yardstick: yardstickTotal{cpu: 30 * time.Millisecond, samples: 30}},
			reading{serverCPU: 11, yardstick: yardstickTotal{cpu: 37200 * time.Microsecond, samples: 38}},
			intervalStats{ServerCPUUsPerRequest: 100, YardstickUs: 900}},
		{"no yardstick sample in the interval", reading{yardstick: yardstickTotal{cpu: time.Millisecond, samples: 1}},
			reading{yardstick: yardstickTotal{cpu: time.Millisecond, samples: 1}}, intervalStats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iv := intervalStats{DurationS: 2, Requests: 10000}
			intervalReadings(&iv, tt.from, tt.to)
			got := intervalStats{ServerCPUUsPerRequest: iv.ServerCPUUsPerRequest, YardstickUs: iv.YardstickUs, WriterBusy: iv.WriterBusy,
				WriterUsPerWrite: iv.WriterUsPerWrite, WriterCommitUsPerWrite: iv.WriterCommitUsPerWrite, WritesPerCommit: iv.WritesPerCommit}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadServer(t *testing.T) {
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(metricsText))
	}))
	defer metrics.Close()
	client := newMetricsClient()
	if rd := readServer(client, 0, metrics.URL+"/metrics"); !rd.hasWriter || rd.writer.writes != 1108 {
		t.Errorf("from /metrics: %+v", rd)
	}
	if rd := readServer(client, 0, metrics.URL+"/elsewhere"); rd.hasWriter {
		t.Errorf("from a 404: %+v", rd)
	}
	if rd := readServer(client, 0, ""); rd.hasWriter {
		t.Errorf("with no URL: %+v", rd)
	}

	for _, tt := range []struct {
		cfg  config
		want string
	}{
		{config{url: "http://127.0.0.1:8080"}, "http://127.0.0.1:8080/metrics"},
		{config{url: "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080/metrics"},
		{config{url: "http://127.0.0.1:8080,http://127.0.0.1:8081"}, ""},
		{config{url: "http://127.0.0.1:9090", ceiling: true}, ""},
	} {
		if got := metricsURLOf(tt.cfg); got != tt.want {
			t.Errorf("metricsURLOf(%+v) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}
