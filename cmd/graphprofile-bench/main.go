// Command graphprofile-bench is graphprofile's load generator: a closed loop
// of N connections, each sending its next request as soon as the previous
// answer came back, for a fixed duration after a warm-up.
//
//	graphprofile-bench --url http://127.0.0.1:8080 --key graphprofile.db-devkey.pem --workload get
//	graphprofile-bench --url http://127.0.0.1:9090 --ceiling --workload get
//	graphprofile-bench --url http://127.0.0.1:9091 --ceiling --durable --workload create
//	graphprofile-bench report results.jsonl
//	graphprofile-bench verify --acked acked.jsonl --url http://127.0.0.1:8080 --key graphprofile.db-devkey.pem
//
// Workloads: create (POST the seed's create body), update (PATCH isCurrent
// of existing positions), get (GET one position), list (GET a user's
// positions), mixed (35% get, 35% list, 20% update, 10% create) and
// lopsided (one user with --lopsided-items positions read a page of 10 at
// a time, following @odata.nextLink, by the -c connections while
// --lopsided-writers more connections create positions for the other
// users) and profile (GET the whole profile, every collection inline, of
// users with --positions-per-user items in each of the profile's
// collections). Requests are spread over --users
// users, each with a delegated token minted with the server's development
// key. Every answer is checked (status and body shape); a run with any
// error or unexpected answer exits 1 and reports no figure.
//
// --ceiling aims the same requests at bench/ceiling, a bare net/http server
// answering canned bodies of the real answers' sizes (--durable: the
// ceiling runs with --durable, fsyncing every write); scripts/bench runs
// them alternately with graphprofile and reports the ratios.
//
// For long runs: --interval reports requests/s and latencies per interval,
// with the server's CPU a request (--server-pid) and its SQLite writer's
// busy share and time a write (from graphprofile's /metrics);
// --server-pid and --wal sample the server's RSS and the SQLite WAL's size
// over the run; --acked records every write the server acknowledged, which
// `verify` checks after a crash and restart (scripts/soak).
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/dbpath"
	"github.com/graphprofile/graphprofile/token"
)

func main() {
	name, err := "graphprofile-bench", error(nil)
	switch {
	case len(os.Args) > 1 && os.Args[1] == "report":
		name, err = name+" report", runReport(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	case len(os.Args) > 1 && os.Args[1] == "verify":
		name, err = name+" verify", runVerify(os.Args[2:], os.Stdout, os.Stderr)
	default:
		err = run(os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

type config struct {
	url              string
	workload         string
	connections      int
	duration, warmup time.Duration
	users            int
	positionsPerUser int
	keyFile          string
	store            string
	tenant           string
	json             bool
	ceiling          bool
	durable          bool
	graphFloor       bool
	ceilingFlags     string
	serverPID        int
	client           string
	via              string
	timeout          time.Duration
	interval         time.Duration
	wal              string
	sampleEvery      time.Duration
	acked            string
	lopsidedItems    int
	lopsidedWriters  int
}

// defaultTenant is the bench users' tenant.
const defaultTenant = "be4c0000-7e57-4000-8000-000000000001"

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("graphprofile-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "", "the server's base `URL`, e.g. http://127.0.0.1:8080 (required); several servers sharing one database: comma-separated, connections are spread over them in turn")
	fs.StringVar(&c.workload, "workload", "get", "create, update, get, list, mixed (35% get, 35% list, 20% update, 10% create), lopsided (one user's many positions paged through while others get positions created) or profile (GET …/profile, every collection inline)")
	fs.IntVar(&c.connections, "c", 32, "concurrent connections (closed loop: one request in flight on each)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time, after the warm-up")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "time under load before measuring (answers are checked, not timed)")
	fs.IntVar(&c.users, "users", 100, "users the requests are spread over, a token each")
	fs.IntVar(&c.positionsPerUser, "positions-per-user", 10, "positions the setup creates per user for update, get, list and mixed; profile: items it creates in each collection of each user's profile")
	fs.StringVar(&c.keyFile, "key", "", "the server's development signing key `file` (<database>-devkey.pem), to mint the users' tokens")
	fs.StringVar(&c.store, "store", "", "the server's --store (sqlite:PATH): the key is PATH-devkey.pem; instead of --key")
	fs.StringVar(&c.tenant, "tenant", defaultTenant, "the users' tenant `id`")
	fs.BoolVar(&c.json, "json", false, "print the result as one JSON object")
	fs.BoolVar(&c.ceiling, "ceiling", false, "the target is bench/ceiling: skip the setup (ids and tokens are made up) and expect its canned answers")
	fs.BoolVar(&c.durable, "durable", false, "with --ceiling: the ceiling runs with --durable (every write fsynced); the run is marked \"durable ceiling\"")
	fs.BoolVar(&c.graphFloor, "graph-floor", false, "with --ceiling: the ceiling runs with --graph-floor (graphprofile's headers and access log); the run is marked \"graph floor\", with --durable \"durable graph floor\"")
	fs.StringVar(&c.ceilingFlags, "ceiling-flags", "", "write to `file` the bench/ceiling flags (answer sizes) measured in this run")
	fs.IntVar(&c.serverPID, "server-pid", 0, "the server's `pid`, to report its RSS (sampled over the run: max and last) and CPU use (from /proc)")
	fs.StringVar(&c.client, "client", "raw", "HTTP client: raw (a minimal HTTP/1.1 client, cheap) or nethttp (net/http's Transport)")
	fs.StringVar(&c.via, "via", "me", "address the profile and its positions as /beta/me/profile… (me) or /beta/users/{userPrincipalName}/profile… (upn)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.DurationVar(&c.interval, "interval", 0, "also report requests/s and latencies for each `period` of the measured time (e.g. 1m), and what its requests cost the server (CPU, with --server-pid) and graphprofile's SQLite writer (read from the one --url's /metrics); 0: the whole run only")
	fs.StringVar(&c.wal, "wal", "", "the server's SQLite write-ahead log `file` (<database>-wal), whose size is sampled over the run (max and last)")
	fs.DurationVar(&c.sampleEvery, "sample-every", time.Second, "how often the server's RSS (--server-pid) and the WAL's size (--wal) are sampled")
	fs.StringVar(&c.acked, "acked", "", "record in `file` every position whose create the server acknowledged and the isCurrent of each last acknowledged update, for `graphprofile-bench verify`")
	fs.IntVar(&c.lopsidedItems, "lopsided-items", 100000, "lopsided: the positions of the user whose pages are read (created by the setup through $batch)")
	fs.IntVar(&c.lopsidedWriters, "lopsided-writers", 0, "lopsided: connections, besides the -c that read pages, that create positions for the other users (0: a quarter of -c)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.url == "":
		return c, errors.New("--url is required")
	case !contains(workloads, c.workload):
		return c, fmt.Errorf("--workload %q: want one of %s", c.workload, strings.Join(workloads, ", "))
	case c.connections < 1 || c.users < 1 || c.positionsPerUser < 1:
		return c, errors.New("-c, --users and --positions-per-user must be at least 1")
	case c.duration <= 0 || c.warmup < 0:
		return c, errors.New("--duration must be positive and --warmup not negative")
	case c.interval < 0 || c.sampleEvery <= 0:
		return c, errors.New("--interval must not be negative and --sample-every must be positive")
	case c.client != "raw" && c.client != "nethttp":
		return c, fmt.Errorf("--client %q: want raw or nethttp", c.client)
	case c.via != "me" && c.via != "upn":
		return c, fmt.Errorf("--via %q: want me or upn", c.via)
	case (c.durable || c.graphFloor) && !c.ceiling:
		return c, errors.New("--durable and --graph-floor describe a ceiling: give them with --ceiling")
	case c.ceiling && c.acked != "":
		return c, errors.New("--acked records what graphprofile acknowledged; the ceiling stores nothing to verify")
	case c.workload == "profile" && c.acked != "":
		return c, errors.New("--acked records positions, which verify reads back; the profile workload writes items of every collection in its setup only")
	}
	if c.workload == "lopsided" {
		if c.lopsidedWriters == 0 {
			c.lopsidedWriters = max(1, c.connections/4)
		}
		switch {
		case c.ceiling:
			return c, errors.New("lopsided has no ceiling: its figures are absolute (list p99, RSS)")
		case c.lopsidedWriters < 1:
			return c, fmt.Errorf("--lopsided-writers %d: want at least 1", c.lopsidedWriters)
		case c.lopsidedItems < minLopsidedItems:
			return c, fmt.Errorf("--lopsided-items %d: want at least %d, so that every page read has a next page", c.lopsidedItems, minLopsidedItems)
		}
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil && c.serverPID != 0 {
		return c, fmt.Errorf("--server-pid: the server's RSS and CPU are read from /proc, which %s has not", runtime.GOOS)
	}
	switch _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", c.serverPID)); {
	case c.serverPID < 0:
		return c, fmt.Errorf("--server-pid %d: want the pid of the running server", c.serverPID)
	case c.serverPID > 0 && errors.Is(err, os.ErrNotExist):
		// Its figures would be missing from the report without a word,
		// and its CPU counted as other processes'.
		return c, fmt.Errorf("--server-pid %d: no such process", c.serverPID)
	case c.serverPID > 0 && err != nil:
		return c, fmt.Errorf("--server-pid %d: %w", c.serverPID, err)
	}
	var err error
	if c.keyFile, err = keyPath(c.keyFile, c.store); err != nil {
		return c, err
	}
	if c.keyFile == "" && !c.ceiling {
		return c, errors.New("--key (or --store) is required to mint tokens the server accepts")
	}
	return c, nil
}

// keyPath returns the development key file that --key or --store name.
func keyPath(keyFile, store string) (string, error) {
	if keyFile != "" && store != "" {
		return "", errors.New("give --key or --store, not both")
	}
	if store == "" {
		return keyFile, nil
	}
	path, ok := strings.CutPrefix(store, "sqlite:")
	path = strings.TrimPrefix(path, "//")
	if !ok || path == "" {
		return "", fmt.Errorf("--store %q: want sqlite:PATH", store)
	}
	// Beside the file a link names, where serve keeps it.
	real, err := dbpath.Real(path)
	if err != nil {
		return "", fmt.Errorf("--store %q: %w", store, err)
	}
	return real + "-devkey.pem", nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// opStats is what a run saw of one op.
type opStats struct {
	Count     int     `json:"count"`
	BodyBytes float64 `json:"mean_body_bytes"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
}

// intervalStats is one --interval of the measured time.
type intervalStats struct {
	StartS    float64   `json:"start_s"` // from the start of the measured time
	DurationS float64   `json:"duration_s"`
	Requests  int       `json:"requests"`
	RPS       float64   `json:"rps"`
	Latency   latencies `json:"latency_ms"`
	// The largest sampled server RSS and WAL size in the interval (0: no
	// sample fell in it, or nothing was sampled).
	ServerRSSMaxKB int64 `json:"server_rss_max_kb,omitempty"`
	WALMaxBytes    int64 `json:"wal_max_bytes,omitempty"`
	// The server's CPU time over the interval's requests (--server-pid),
	// and its SQLite writer's: the share of the interval it spent in
	// transactions, its time for each write committed, the part of that
	// in COMMITs (the write-ahead log's appends and fsyncs; the rest is
	// the statements) and the writes a commit held (from graphprofile's
	// /metrics); and the CPU time the machine's yardstick took in it, on
	// average (yardstick). 0: not read.
	ServerCPUUsPerRequest  float64 `json:"server_cpu_us_per_request,omitempty"`
	YardstickUs            float64 `json:"yardstick_us,omitempty"`
	WriterBusy             float64 `json:"writer_busy,omitempty"`
	WriterUsPerWrite       float64 `json:"writer_us_per_write,omitempty"`
	WriterCommitUsPerWrite float64 `json:"writer_commit_us_per_write,omitempty"`
	WritesPerCommit        float64 `json:"writes_per_commit,omitempty"`
}

// Targets of results.
const (
	targetGraphprofile   = "graphprofile"
	targetCeiling        = "ceiling"
	targetDurableCeiling = "durable ceiling"
	targetGraphFloor     = "graph floor"
	// targetDurableGraphFloor is the durable ceiling with the graph
	// floor's headers and access log: what a durable store answering as
	// graphprofile does spends at the least.
	targetDurableGraphFloor = "durable graph floor"
)

// result is one run, as --json prints it and `report` reads it.
type result struct {
	Target           string             `json:"target"` // graphprofile, ceiling, durable ceiling, graph floor or durable graph floor
	Workload         string             `json:"workload"`
	URL              string             `json:"url"`
	Connections      int                `json:"connections"`
	DurationS        float64            `json:"duration_s"`
	WarmupS          float64            `json:"warmup_s"`
	Users            int                `json:"users"`
	PositionsPerUser int                `json:"positions_per_user"`
	LopsidedItems    int                `json:"lopsided_items,omitempty"`
	LopsidedWriters  int                `json:"lopsided_writers,omitempty"`
	Client           string             `json:"client"`
	SetupS           float64            `json:"setup_s"`
	Requests         int                `json:"requests"`
	Errors           int                `json:"errors"`
	RPS              float64            `json:"rps"`
	Latency          latencies          `json:"latency_ms"`
	Ops              map[string]opStats `json:"ops"`
	IntervalS        float64            `json:"interval_s,omitempty"`
	Intervals        []intervalStats    `json:"intervals,omitempty"`
	// ServerRSSKB is the server's RSS after the run, ServerHWMKB its peak
	// since it started (setup included), ServerRSSMaxKB the largest
	// sampled during the run (warm-up and measured time).
	ServerRSSKB    int64   `json:"server_rss_kb,omitempty"`
	ServerHWMKB    int64   `json:"server_peak_rss_kb,omitempty"`
	ServerRSSMaxKB int64   `json:"server_rss_max_kb,omitempty"`
	ServerCPU      float64 `json:"server_cpu_cores,omitempty"`
	// WAL is the sampled write-ahead log (--wal); its largest size during
	// the run and its size at the end.
	WAL          string  `json:"wal,omitempty"`
	WALMaxBytes  int64   `json:"wal_max_bytes"`
	WALLastBytes int64   `json:"wal_last_bytes"`
	Acked        int     `json:"acked_positions,omitempty"`
	BenchCPU     float64 `json:"bench_cpu_cores"`
	// IRQCPU is the machine's time in interrupts and softirqs (on loopback,
	// mostly the network stack's receive work), which Linux does not charge
	// to processes when it accounts IRQ time separately.
	IRQCPU float64 `json:"irq_cpu_cores"`
	// OtherCPU is the rest of the machine's busy CPU: processes other than
	// the server and the load generator, noise in the figure.
	OtherCPU float64 `json:"other_cpu_cores"`
	// MachineCPUUnmeasured: IRQCPU and OtherCPU were not measured (0), as
	// on macOS and Windows, which have no /proc/stat.
	MachineCPUUnmeasured bool   `json:"machine_cpu_unmeasured,omitempty"`
	GoVersion            string `json:"go"`
	NumCPU               int    `json:"num_cpu"`
}

// dialer returns what opens a connection to the servers of rawURLs
// (comma-separated), one server after another.
func dialer(rawURLs, client string, timeout time.Duration) (func() doer, error) {
	var bases []*url.URL
	for _, raw := range strings.Split(rawURLs, ",") {
		base, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(raw), "/"))
		if err != nil || base.Scheme != "http" || base.Host == "" || (base.Path != "" && base.Path != "/") {
			return nil, fmt.Errorf("--url %q: want http://HOST:PORT (plain HTTP/1.1), or several separated by commas", raw)
		}
		bases = append(bases, base)
	}
	// Connections go to the servers in turn, so each server gets an equal share.
	var next atomic.Int64
	return func() doer {
		base := bases[int(next.Add(1)-1)%len(bases)]
		if client == "nethttp" {
			return newStdConn(base.Scheme+"://"+base.Host, timeout)
		}
		addr := base.Host
		if base.Port() == "" {
			addr += ":80"
		}
		return newRawConn(addr, base.Host, timeout)
	}, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	newConn, err := dialer(cfg.url, cfg.client, cfg.timeout)
	if err != nil {
		return err
	}
	var setupAcked *ackLog
	if cfg.acked != "" {
		setupAcked = newAckLog()
	}

	setupStart := time.Now()
	users, heavy, setupErr := setup(cfg, newConn, setupAcked, stderr)
	setupTime := time.Since(setupStart)
	var (
		res  result
		errs []error
		logs = []*ackLog{setupAcked}
	)
	if setupErr == nil {
		var runLogs []*ackLog
		res, errs, runLogs = load(cfg, users, heavy, newConn, stderr)
		logs = append(logs, runLogs...)
	}
	// What was acknowledged is recorded even when the run failed: it is
	// what verify checks.
	if cfg.acked != "" {
		positions := mergeAcked(logs)
		res.Acked = len(positions)
		if err := writeAcked(cfg.acked, cfg.tenant, positions); err != nil {
			return fmt.Errorf("--acked: %w", err)
		}
	}
	if setupErr != nil {
		return fmt.Errorf("setup: %w", setupErr)
	}
	res.SetupS = round3(setupTime.Seconds())
	res.URL = cfg.url
	if res.Errors > 0 {
		fmt.Fprintf(stderr, "FAIL: %d errors or unexpected answers in %d requests (%s, %s); no figure reported. The first ones:\n",
			res.Errors, res.Requests+res.Errors, cfg.workload, cfg.url)
		for _, e := range errs {
			fmt.Fprintf(stderr, "  %v\n", e)
		}
		return errors.New("the run failed")
	}
	if cfg.ceilingFlags != "" && !cfg.ceiling {
		if err := os.WriteFile(cfg.ceilingFlags, []byte(ceilingFlagsOf(res)+"\n"), 0o644); err != nil {
			return err
		}
	}
	if cfg.json {
		// A line for whoever watches a script's progress.
		fmt.Fprintf(stderr, "  %s %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms; CPU cores: server %.2f, bench %.2f, %s\n",
			res.Target, res.Workload, res.RPS, res.Latency.P50, res.Latency.P99, res.ServerCPU, res.BenchCPU, machineCPUText(res, "irq %.2f, other %.2f"))
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	printHuman(stdout, res)
	return nil
}

// ceilingFlagsOf returns the bench/ceiling flags that make its answers the
// sizes this run's answers had on average.
func ceilingFlagsOf(res result) string {
	var parts []string
	for _, name := range opNames {
		if s, ok := res.Ops[name]; ok && s.Count > 0 {
			parts = append(parts, fmt.Sprintf("--%s-size=%d", name, int(math.Round(s.BodyBytes))))
		}
	}
	parts = append(parts, fmt.Sprintf("--list-items=%d", res.PositionsPerUser))
	if _, ok := res.Ops[opProfile.String()]; ok {
		parts = append(parts, fmt.Sprintf("--profile-items=%d", res.PositionsPerUser))
	}
	return strings.Join(parts, " ")
}

func mib(kb int64) float64 { return float64(kb) / 1024 }

func printHuman(w io.Writer, r result) {
	fmt.Fprintf(w, "%s %s: %d connections, %.1fs after %.1fs warm-up, %d users (setup %.1fs)\n",
		r.Target, r.Workload, r.Connections, r.DurationS, r.WarmupS, r.Users, r.SetupS)
	if r.LopsidedItems > 0 {
		fmt.Fprintf(w, "  one user with %d positions read in pages of %d by %d connection(s); %d more create for the others\n",
			r.LopsidedItems, lopsidedPageSize, r.Connections, r.LopsidedWriters)
	}
	fmt.Fprintf(w, "  %.0f requests/s (%d requests, 0 errors)\n", r.RPS, r.Requests)
	fmt.Fprintf(w, "  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n",
		r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.P999, r.Latency.Max, r.Latency.Mean)
	for _, name := range opNames {
		if s, ok := r.Ops[name]; ok {
			fmt.Fprintf(w, "  %-6s %8d requests, %6.0f bytes/answer, p50 %.3f ms, p99 %.3f ms\n", name, s.Count, s.BodyBytes, s.P50, s.P99)
		}
	}
	for _, iv := range r.Intervals {
		fmt.Fprintf(w, "  %s–%s: %.0f requests/s, p50 %.3f ms, p99 %.3f ms%s%s\n",
			secs(iv.StartS), secs(iv.StartS+iv.DurationS), iv.RPS, iv.Latency.P50, iv.Latency.P99, intervalCosts(iv), intervalSamples(iv))
	}
	if r.ServerRSSKB > 0 {
		fmt.Fprintf(w, "  server: RSS %.1f MiB at the end, %.1f MiB at most during the run (peak since start %.1f MiB), %.2f CPU cores\n",
			mib(r.ServerRSSKB), mib(r.ServerRSSMaxKB), mib(r.ServerHWMKB), r.ServerCPU)
	}
	if r.WAL != "" {
		fmt.Fprintf(w, "  WAL %s: %.1f MiB at most, %.1f MiB at the end\n", r.WAL, mib(r.WALMaxBytes/1024), mib(r.WALLastBytes/1024))
	}
	if r.Acked > 0 {
		fmt.Fprintf(w, "  %d acknowledged positions recorded for verify\n", r.Acked)
	}
	fmt.Fprintf(w, "  load generator: %.2f CPU cores (on the same machine: %d CPUs); %s\n",
		r.BenchCPU, r.NumCPU, machineCPUText(r, "interrupts %.2f, other processes %.2f CPU cores"))
}

// machineCPUText is r's interrupts and other processes' CPU in format
// (with two %.2f), or says that they were not measured.
func machineCPUText(r result, format string) string {
	if r.MachineCPUUnmeasured {
		return fmt.Sprintf("interrupts and other processes not measured (no /proc/stat on %s)", runtime.GOOS)
	}
	return fmt.Sprintf(format, r.IRQCPU, r.OtherCPU)
}

// secs writes a time from the start of the measured window: 90s, 2m0s.
func secs(s float64) string {
	return (time.Duration(math.Round(s*1000)) * time.Millisecond).String()
}

func intervalSamples(iv intervalStats) string {
	var s string
	if iv.ServerRSSMaxKB > 0 {
		s += fmt.Sprintf(", RSS max %.1f MiB", mib(iv.ServerRSSMaxKB))
	}
	if iv.WALMaxBytes > 0 {
		s += fmt.Sprintf(", WAL max %.1f MiB", mib(iv.WALMaxBytes/1024))
	}
	return s
}

// loadIssuer returns the development issuer of the server's key file.
func loadIssuer(keyFile string) (*token.DevIssuer, error) {
	if _, err := os.Stat(keyFile); err != nil {
		return nil, fmt.Errorf("the server's development key: %w", err)
	}
	return token.LoadOrCreateDevIssuer(keyFile)
}

// benchUser returns bench user number i of tenant, with a token issuer
// signed, addressing its profile through /me or its UPN.
func benchUser(issuer *token.DevIssuer, tenant string, i int, via string) (*user, error) {
	u := &user{
		index: i,
		oid:   fmt.Sprintf("be4c0000-0000-4000-8000-%012d", i),
		upn:   fmt.Sprintf("bench.user%04d@bench.example", i),
	}
	var err error
	u.token, err = issuer.Mint(token.MintRequest{
		TenantID: tenant, ObjectID: u.oid, UserPrincipalName: u.upn,
		DisplayName: fmt.Sprintf("Bench User %04d", i), Scopes: []string{"User.ReadWrite"},
		Expires: 24 * time.Hour,
	})
	if err != nil {
		return nil, err
	}
	u.profile = "/beta/me/profile"
	if via == "upn" {
		u.profile = "/beta/users/" + url.PathEscape(u.upn) + "/profile"
	}
	u.prefix = u.profile + "/positions"
	return u, nil
}

// setup mints the users' tokens and, against graphprofile, records each
// user (one list) and creates the positions the workload addresses; for
// lopsided, it also fills the heavy user (user number --users) with
// --lopsided-items positions.
func setup(cfg config, newConn func() doer, acked *ackLog, progress io.Writer) (users []*user, heavy *user, err error) {
	var issuer *token.DevIssuer
	if cfg.keyFile != "" {
		issuer, err = loadIssuer(cfg.keyFile)
	} else {
		// The ceiling checks no token, but requests carry one of the same size.
		var key *ecdsa.PrivateKey
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err == nil {
			issuer, err = token.NewDevIssuer(key)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	users = make([]*user, cfg.users)
	for i := range users {
		if users[i], err = benchUser(issuer, cfg.tenant, i, cfg.via); err != nil {
			return nil, nil, err
		}
	}
	if cfg.ceiling {
		if needsPositions(cfg.workload) {
			for _, u := range users {
				for range cfg.positionsPerUser {
					u.ids = append(u.ids, graphprofile.NewGUID())
				}
			}
		}
		return users, nil, nil
	}

	// Against graphprofile: in parallel, one user per job.
	jobs := make(chan *user)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range min(cfg.connections, cfg.users) {
		wg.Go(func() {
			c := newConn()
			defer c.close()
			for u := range jobs {
				if err := setupUser(cfg, c, u, acked); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("user %s: %w", u.upn, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, u := range users {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil || cfg.workload != "lopsided" {
		return users, nil, firstErr
	}

	if heavy, err = benchUser(issuer, cfg.tenant, cfg.users, cfg.via); err != nil {
		return nil, nil, err
	}
	c := newConn()
	err = recordUser(c, heavy)
	c.close()
	if err != nil {
		return nil, nil, fmt.Errorf("the heavy user %s: %w", heavy.upn, err)
	}
	step := max(cfg.lopsidedItems/10, 1)
	next := step
	var progressMu sync.Mutex
	err = fillHeavyUser(heavy, cfg.lopsidedItems, cfg.connections, newConn, acked, func(done int) {
		progressMu.Lock()
		defer progressMu.Unlock()
		if done >= next || done == cfg.lopsidedItems {
			fmt.Fprintf(progress, "  setup: %d of %d positions of the heavy user %s\n", done, cfg.lopsidedItems, heavy.upn)
			next = (done/step + 1) * step
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("the heavy user %s: %w", heavy.upn, err)
	}
	return users, heavy, nil
}

// recordUser makes the server record u in its directory (its first
// request does), with a list of its positions; they must be none: the list
// checks count positions.
func recordUser(c doer, u *user) error {
	status, body, err := c.do("GET", u.prefix, u.token, nil)
	if err != nil {
		return err
	}
	return checkList(status, body, 0)
}

func setupUser(cfg config, c doer, u *user, acked *ackLog) error {
	if err := recordUser(c, u); err != nil {
		return err
	}
	if cfg.workload == "profile" {
		return fillProfile(c, u, cfg.positionsPerUser)
	}
	if !needsPositions(cfg.workload) {
		return nil
	}
	for range cfg.positionsPerUser {
		status, body, err := c.do("POST", u.prefix, u.token, createBody)
		if err != nil {
			return err
		}
		id, err := checkEntity(opCreate, status, body, "")
		if err != nil {
			return err
		}
		u.ids = append(u.ids, id)
		acked.created(u.index, id)
	}
	return nil
}

// worker is one connection's loop, its state and what it recorded.
type worker struct {
	rng    *mrand.Rand
	toggle bool // the isCurrent of the connection's next update: true and false in turn
	// lopsided: writer connections create; the others walk the heavy user's
	// pages, nextPage being the walk's next (empty: a new walk), page the
	// number of the page read last and pagesLeft how many more to follow.
	writer          bool
	nextPage        string
	page, pagesLeft int
	acked           *ackLog

	// samples[k][o] are the latencies of op o answered in interval k.
	samples [][numOps][]time.Duration
	bytes   [numOps]int64
	errs    []error
	nerrs   int
}

// record keeps the latency of an answer of n bytes in interval k.
func (w *worker) record(k int, o op, d time.Duration, n int, capacity int) {
	for len(w.samples) <= k {
		w.samples = append(w.samples, [numOps][]time.Duration{})
	}
	s := &w.samples[k][o]
	if *s == nil {
		*s = make([]time.Duration, 0, capacity)
	}
	*s = append(*s, d)
	w.bytes[o] += int64(n)
}

// maxErrors stops a failing run early: the figure is lost anyway.
const maxErrors = 1000

// load runs the closed loop and returns the result, the first errors and
// the connections' records of acknowledged writes (nil unless --acked).
func load(cfg config, users []*user, heavy *user, newConn func() doer, progress io.Writer) (result, []error, []*ackLog) {
	r := &runner{workload: cfg.workload, users: users, heavy: heavy}
	if needsPositions(cfg.workload) || cfg.workload == "profile" {
		r.minItems = cfg.positionsPerUser
	}
	interval := cfg.interval
	if interval <= 0 || interval > cfg.duration {
		interval = cfg.duration
	}
	intervals := int((cfg.duration + interval - 1) / interval)
	// lopsided's writers are connections besides the -c that read.
	connections := cfg.connections
	if cfg.workload == "lopsided" {
		connections += cfg.lopsidedWriters
	}
	workers := make([]*worker, connections)
	logs := make([]*ackLog, 0, connections)
	start := time.Now()
	measureStart := start.Add(cfg.warmup)
	measureEnd := measureStart.Add(cfg.duration)
	var (
		wg       sync.WaitGroup
		errCount atomic.Int64
		answered atomic.Int64 // in the measured time, for the progress lines
	)
	// Room for ~60,000 requests/s (the ceiling's rate on the machine of
	// the issue) in an interval of up to 30 s, so that the loop rarely
	// grows a slice.
	capacity := int(min(interval, 30*time.Second).Seconds()*60000/float64(cfg.connections)) + 1024
	sampling := startSampler(cfg.serverPID, cfg.wal, measureStart, cfg.sampleEvery)
	for i := range workers {
		seed := uint64(i + 1)
		w := &worker{rng: mrand.New(mrand.NewPCG(seed, uint64(start.UnixNano())))}
		w.toggle = w.rng.IntN(2) == 0
		w.writer = i >= cfg.connections
		if cfg.acked != "" {
			w.acked = newAckLog()
			logs = append(logs, w.acked)
		}
		w.samples = make([][numOps][]time.Duration, 1, intervals)
		workers[i] = w
		wg.Go(func() {
			c := newConn()
			defer c.close()
			for {
				t0 := time.Now()
				if !t0.Before(measureEnd) || errCount.Load() >= maxErrors {
					return
				}
				o := r.next(w)
				n, err := r.perform(c, w, o)
				t1 := time.Now()
				if err != nil {
					w.nerrs++
					errCount.Add(1)
					if len(w.errs) < 5 {
						w.errs = append(w.errs, err)
					}
					continue
				}
				if !t1.Before(measureStart) && t1.Before(measureEnd) {
					w.record(int(t1.Sub(measureStart)/interval), o, t1.Sub(t0), n, capacity)
					answered.Add(1)
				}
			}
		})
	}
	// CPU use during the measured window, and a progress line per interval.
	// readings[k] is the server's at the start of interval k, the last at
	// the end of the measured time.
	var benchCPU, machineCPU, irqCPU [2]float64
	var machineCPUOK [2]bool
	readings := make([]reading, intervals+1)
	metricsURL, metricsClient := "", newMetricsClient()
	if cfg.interval > 0 {
		metricsURL = metricsURLOf(cfg)
	}
	var yard yardstick
	yardCtx, stopYard := context.WithCancel(context.Background())
	var sampler sync.WaitGroup
	if cfg.interval > 0 {
		sampler.Go(func() { yard.run(yardCtx) })
	}
	sampler.Go(func() {
		defer stopYard()
		time.Sleep(time.Until(measureStart))
		readings[0], benchCPU[0] = readServer(metricsClient, cfg.serverPID, metricsURL), selfCPUSeconds()
		readings[0].yardstick = yard.total()
		machineCPU[0], irqCPU[0], machineCPUOK[0] = machineCPUSeconds()
		reportProgress(progress, cfg, measureStart, interval, intervals, &answered, func(k int) reading {
			readings[k+1] = readServer(metricsClient, cfg.serverPID, metricsURL)
			readings[k+1].yardstick = yard.total()
			return readings[k+1]
		}, readings[0])
		benchCPU[1] = selfCPUSeconds()
		machineCPU[1], irqCPU[1], machineCPUOK[1] = machineCPUSeconds()
	})
	wg.Wait()
	sampler.Wait()
	samples := sampling.Stop()

	res := result{
		Target: targetGraphprofile, Workload: cfg.workload, Connections: cfg.connections,
		DurationS: cfg.duration.Seconds(), WarmupS: cfg.warmup.Seconds(), Users: cfg.users,
		PositionsPerUser: cfg.positionsPerUser, Client: cfg.client, Ops: map[string]opStats{},
		GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(),
	}
	switch {
	case cfg.ceiling && cfg.durable && cfg.graphFloor:
		res.Target = targetDurableGraphFloor
	case cfg.ceiling && cfg.durable:
		res.Target = targetDurableCeiling
	case cfg.ceiling && cfg.graphFloor:
		res.Target = targetGraphFloor
	case cfg.ceiling:
		res.Target = targetCeiling
	}
	if cfg.workload == "lopsided" {
		res.LopsidedItems, res.LopsidedWriters = cfg.lopsidedItems, cfg.lopsidedWriters
	}
	var all []time.Duration
	var errs []error
	for o := range numOps {
		var opSamples []time.Duration
		var bytes int64
		for _, w := range workers {
			for k := range w.samples {
				opSamples = append(opSamples, w.samples[k][o]...)
			}
			bytes += w.bytes[o]
		}
		if len(opSamples) == 0 {
			continue
		}
		all = append(all, opSamples...)
		l := summarize(opSamples)
		res.Ops[o.String()] = opStats{Count: len(opSamples), BodyBytes: round3(float64(bytes) / float64(len(opSamples))), P50: l.P50, P99: l.P99}
	}
	if cfg.interval > 0 {
		res.IntervalS = interval.Seconds()
		for k := range intervals {
			from := time.Duration(k) * interval
			length := min(interval, cfg.duration-from)
			var ivSamples []time.Duration
			for _, w := range workers {
				if k < len(w.samples) {
					for o := range numOps {
						ivSamples = append(ivSamples, w.samples[k][o]...)
					}
				}
			}
			lo, hi := sampleWindow(k, intervals, from, length)
			smp := summarizeSamples(samples, lo, hi)
			iv := intervalStats{
				StartS: from.Seconds(), DurationS: length.Seconds(), Requests: len(ivSamples),
				RPS: round3(float64(len(ivSamples)) / length.Seconds()), Latency: summarize(ivSamples),
				ServerRSSMaxKB: smp.rssMaxKB, WALMaxBytes: smp.walMax,
			}
			intervalReadings(&iv, readings[k], readings[k+1])
			res.Intervals = append(res.Intervals, iv)
		}
	}
	for _, w := range workers {
		res.Errors += w.nerrs
		errs = append(errs, w.errs...)
	}
	if len(errs) > 10 {
		errs = errs[:10]
	}
	res.Requests = len(all)
	res.RPS = round3(float64(len(all)) / cfg.duration.Seconds())
	res.Latency = summarize(all)
	measured := cfg.duration.Seconds()
	res.BenchCPU = round3((benchCPU[1] - benchCPU[0]) / measured)
	res.IRQCPU = round3((irqCPU[1] - irqCPU[0]) / measured)
	whole := summarizeSamples(samples, math.MinInt64, math.MaxInt64)
	if cfg.serverPID > 0 {
		res.ServerCPU = round3((readings[intervals].serverCPU - readings[0].serverCPU) / measured)
		res.ServerRSSKB, res.ServerHWMKB = procRSS(cfg.serverPID)
		res.ServerRSSMaxKB = max(whole.rssMaxKB, res.ServerRSSKB)
	}
	if cfg.wal != "" {
		res.WAL, res.WALMaxBytes, res.WALLastBytes = cfg.wal, whole.walMax, whole.walLast
	}
	res.OtherCPU = round3(max(0, (machineCPU[1]-machineCPU[0])/measured-res.ServerCPU-res.BenchCPU))
	if !machineCPUOK[0] || !machineCPUOK[1] {
		res.IRQCPU, res.OtherCPU, res.MachineCPUUnmeasured = 0, 0, true
	}
	return res, errs, logs
}

// reportProgress reads the server (read) at the end of each interval of
// the measured time and, with --interval, writes a line: the requests
// answered in it per second, what they cost the server and its writer, and
// the server's RSS and WAL size then. start is the reading at the start.
func reportProgress(w io.Writer, cfg config, measureStart time.Time, interval time.Duration, intervals int, answered *atomic.Int64, read func(k int) reading, start reading) {
	var before int64
	prev := start
	for k := range intervals {
		from := time.Duration(k) * interval
		length := min(interval, cfg.duration-from)
		time.Sleep(time.Until(measureStart.Add(from + length)))
		now := answered.Load()
		rd := read(k)
		if cfg.interval <= 0 {
			continue
		}
		iv := intervalStats{DurationS: length.Seconds(), Requests: int(now - before)}
		intervalReadings(&iv, prev, rd)
		line := fmt.Sprintf("  %s–%s: %.0f requests/s%s", secs(from.Seconds()), secs((from + length).Seconds()), float64(now-before)/length.Seconds(), intervalCosts(iv))
		before, prev = now, rd
		if cfg.serverPID > 0 {
			rss, _ := procRSS(cfg.serverPID)
			line += fmt.Sprintf(", server RSS %.1f MiB", mib(rss))
		}
		if cfg.wal != "" {
			line += fmt.Sprintf(", WAL %.1f MiB", mib(fileSize(cfg.wal)/1024))
		}
		fmt.Fprintln(w, line)
	}
}

// intervalCosts writes what an interval's requests cost the server and its
// writer, where they were read.
func intervalCosts(iv intervalStats) string {
	var s string
	if iv.ServerCPUUsPerRequest > 0 {
		s += fmt.Sprintf(", server CPU %.1f µs/request", iv.ServerCPUUsPerRequest)
	}
	if iv.WriterUsPerWrite > 0 {
		s += fmt.Sprintf(", writer busy %.0f%%, %.1f µs/write", iv.WriterBusy*100, iv.WriterUsPerWrite)
		if iv.WriterCommitUsPerWrite > 0 {
			s += fmt.Sprintf(" (%.1f in COMMIT)", iv.WriterCommitUsPerWrite)
		}
		s += fmt.Sprintf(", %.1f writes/commit", iv.WritesPerCommit)
	}
	if iv.YardstickUs > 0 {
		s += fmt.Sprintf(", yardstick %.0f µs", iv.YardstickUs)
	}
	return s
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// procRSS reads VmRSS and VmHWM (peak) of pid from /proc, in KiB.
func procRSS(pid int) (rss, hwm int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var v int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &v); err == nil {
			rss = v
		} else if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &v); err == nil {
			hwm = v
		}
	}
	return rss, hwm
}

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's CPU times;
// it is 100 on every architecture Go supports.
const clockTicks = 100

// procCPUSeconds returns the user+system CPU time pid used so far.
func procCPUSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis start at field 3 (state).
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime) // field 14
	fmt.Sscan(f[12], &stime) // field 15
	return float64(utime+stime) / clockTicks
}

// machineCPUSeconds returns the CPU time all CPUs spent so far in processes
// (user, nice, system, steal) and in interrupts (irq, softirq), from
// /proc/stat; ok is false without it (on macOS and Windows).
func machineCPUSeconds() (processes, irq float64, ok bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, false
	}
	var proc, intr int64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		var n int64
		fmt.Sscan(v, &n)
		switch i {
		case 0, 1, 2, 7:
			proc += n
		case 5, 6:
			intr += n
		}
	}
	return float64(proc) / clockTicks, float64(intr) / clockTicks, true
}
