package main

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// reading is what the load generator reads of the server at the start of
// the measured window and at the end of each --interval: the CPU time it
// used so far (--server-pid) and its SQLite writer's counters (/metrics);
// and the machine's yardstick so far. Two readings give an interval's
// server CPU a request and the writer's share of it, which tell a
// throughput that falls because each request costs more from one that
// falls because the writer, serial, takes longer over each write; and the
// yardstick tells both from a machine that got slower.
type reading struct {
	serverCPU float64 // seconds; 0 without --server-pid
	yardstick yardstickTotal
	writer    writerCounters
	hasWriter bool
}

// writerCounters are the SQLite writer's running totals, from the
// histograms graphprofile serves at /metrics.
type writerCounters struct {
	seconds float64 // in its transactions, from their start to the commit's fsync
	writes  float64 // writes committed
	commits float64 // commits
	// logSeconds is the part of seconds in COMMITs (appending to the
	// write-ahead log, the fsync); hasLog: the server reports it (older
	// ones did not).
	logSeconds float64
	hasLog     bool
}

// Series of graphprofile's /metrics that writerCounters are read from.
const (
	metricCommitSeconds = "graphprofile_store_commit_duration_seconds_sum"
	metricCommitWrites  = "graphprofile_store_commit_writes_sum"
	metricCommits       = "graphprofile_store_commit_writes_count"
	metricCommitLog     = "graphprofile_store_commit_log_seconds_sum" // optional
)

// parseWriterCounters reads writerCounters from Prometheus' text format;
// ok is false (and c zero) unless each of the three series is there with a
// finite number, not negative; the COMMITs' time is read when it is there.
func parseWriterCounters(r io.Reader) (c writerCounters, ok bool) {
	var found uint8 // a bit for each series
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		name, value, cut := strings.Cut(sc.Text(), " ")
		if !cut {
			continue
		}
		var dst *float64
		var bit uint8
		switch name {
		case metricCommitSeconds:
			dst, bit = &c.seconds, 1
		case metricCommitWrites:
			dst, bit = &c.writes, 2
		case metricCommits:
			dst, bit = &c.commits, 4
		case metricCommitLog:
			dst, bit = &c.logSeconds, 8
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || !(v >= 0) || math.IsInf(v, 1) {
			return writerCounters{}, false
		}
		*dst = v
		found |= bit
	}
	if found&7 != 7 || sc.Err() != nil {
		return writerCounters{}, false
	}
	c.hasLog = found&8 != 0
	return c, true
}

// readServer takes a reading of the server. metricsURL "" skips the
// writer's counters, and so does a server that does not answer them.
func readServer(client *http.Client, pid int, metricsURL string) reading {
	rd := reading{serverCPU: procCPUSeconds(pid)}
	if metricsURL == "" {
		return rd
	}
	resp, err := client.Get(metricsURL)
	if err != nil {
		return rd
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		rd.writer, rd.hasWriter = parseWriterCounters(resp.Body)
	}
	return rd
}

// metricsURLOf is where the writer's counters are read for cfg: the
// /metrics of graphprofile's one --url; none for a ceiling, which has no
// store, or several servers, each with its own.
func metricsURLOf(cfg config) string {
	if cfg.ceiling || strings.Contains(cfg.url, ",") {
		return ""
	}
	return strings.TrimSuffix(cfg.url, "/") + "/metrics"
}

// newMetricsClient is the client readServer uses: its own, so that the
// readings never wait behind the load's connections.
func newMetricsClient() *http.Client { return &http.Client{Timeout: 2 * time.Second} }

// intervalReadings fills the figures of iv that two readings, at its start
// and at its end, give.
func intervalReadings(iv *intervalStats, from, to reading) {
	if cpu := to.serverCPU - from.serverCPU; from.serverCPU > 0 && cpu >= 0 && iv.Requests > 0 {
		iv.ServerCPUUsPerRequest = round3(cpu / float64(iv.Requests) * 1e6)
	}
	if n := to.yardstick.samples - from.yardstick.samples; n > 0 {
		iv.YardstickUs = round3(float64(to.yardstick.cpu-from.yardstick.cpu) / float64(n) / 1e3)
	}
	if !from.hasWriter || !to.hasWriter {
		return
	}
	seconds, writes, commits := to.writer.seconds-from.writer.seconds, to.writer.writes-from.writer.writes, to.writer.commits-from.writer.commits
	if writes <= 0 || commits <= 0 || seconds < 0 {
		return
	}
	iv.WriterBusy = round3(seconds / iv.DurationS)
	iv.WriterUsPerWrite = round3(seconds / writes * 1e6)
	iv.WritesPerCommit = round3(writes / commits)
	if logSeconds := to.writer.logSeconds - from.writer.logSeconds; from.writer.hasLog && to.writer.hasLog && logSeconds >= 0 && logSeconds <= seconds {
		iv.WriterCommitUsPerWrite = round3(logSeconds / writes * 1e6)
	}
}
