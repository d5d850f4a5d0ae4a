// Command graphprofile-bench is graphprofile's load generator: a closed loop
// of N connections, each sending its next request as soon as the previous
// answer came back, for a fixed duration after a warm-up.
//
//	graphprofile-bench --url http://127.0.0.1:8080 --key graphprofile.db-devkey.pem --workload get
//	graphprofile-bench --url http://127.0.0.1:9090 --ceiling --workload get
//	graphprofile-bench report results.jsonl
//
// Workloads: create (POST the seed's create body), update (PATCH isCurrent
// of existing positions), get (GET one position), list (GET a user's
// positions) and mixed (35% get, 35% list, 20% update, 10% create). Requests
// are spread over --users users, each with a delegated token minted with the
// server's development key. Every answer is checked (status and body shape);
// a run with any error or unexpected answer exits 1 and reports no figure.
//
// --ceiling aims the same requests at bench/ceiling, a bare net/http server
// answering canned bodies of the real answers' sizes; scripts/bench runs
// both alternately and reports the ratio.
package main

import (
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
	"syscall"
	"time"

	"github.com/graphprofile/graphprofile/token"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "report" {
		if err := runReport(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "graphprofile-bench report: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "graphprofile-bench: %v\n", err)
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
	ceilingFlags     string
	serverPID        int
	client           string
	via              string
	timeout          time.Duration
}

// defaultTenant is the bench users' tenant.
const defaultTenant = "be4c0000-7e57-4000-8000-000000000001"

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("graphprofile-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "", "the server's base `URL`, e.g. http://127.0.0.1:8080 (required); several servers sharing one database: comma-separated, connections are spread over them in turn")
	fs.StringVar(&c.workload, "workload", "get", "create, update, get, list or mixed (35% get, 35% list, 20% update, 10% create)")
	fs.IntVar(&c.connections, "c", 32, "concurrent connections (closed loop: one request in flight on each)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time, after the warm-up")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "time under load before measuring (answers are checked, not timed)")
	fs.IntVar(&c.users, "users", 100, "users the requests are spread over, a token each")
	fs.IntVar(&c.positionsPerUser, "positions-per-user", 10, "positions the setup creates per user for update, get, list and mixed")
	fs.StringVar(&c.keyFile, "key", "", "the server's development signing key `file` (<database>-devkey.pem), to mint the users' tokens")
	fs.StringVar(&c.store, "store", "", "the server's --store (sqlite:PATH): the key is PATH-devkey.pem; instead of --key")
	fs.StringVar(&c.tenant, "tenant", defaultTenant, "the users' tenant `id`")
	fs.BoolVar(&c.json, "json", false, "print the result as one JSON object")
	fs.BoolVar(&c.ceiling, "ceiling", false, "the target is bench/ceiling: skip the setup (ids and tokens are made up) and expect its canned answers")
	fs.StringVar(&c.ceilingFlags, "ceiling-flags", "", "write to `file` the bench/ceiling flags (answer sizes) measured in this run")
	fs.IntVar(&c.serverPID, "server-pid", 0, "the server's `pid`, to report its RSS and CPU use (from /proc)")
	fs.StringVar(&c.client, "client", "raw", "HTTP client: raw (a minimal HTTP/1.1 client, cheap) or nethttp (net/http's Transport)")
	fs.StringVar(&c.via, "via", "me", "address positions as /beta/me/… (me) or /beta/users/{userPrincipalName}/… (upn)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "per-request timeout")
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
	case c.client != "raw" && c.client != "nethttp":
		return c, fmt.Errorf("--client %q: want raw or nethttp", c.client)
	case c.via != "me" && c.via != "upn":
		return c, fmt.Errorf("--via %q: want me or upn", c.via)
	case c.keyFile != "" && c.store != "":
		return c, errors.New("give --key or --store, not both")
	}
	if c.store != "" {
		path, ok := strings.CutPrefix(c.store, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if !ok || path == "" {
			return c, fmt.Errorf("--store %q: want sqlite:PATH", c.store)
		}
		c.keyFile = path + "-devkey.pem"
	}
	if c.keyFile == "" && !c.ceiling {
		return c, errors.New("--key (or --store) is required to mint tokens the server accepts")
	}
	return c, nil
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

// result is one run, as --json prints it and `report` reads it.
type result struct {
	Target           string             `json:"target"` // graphprofile or ceiling
	Workload         string             `json:"workload"`
	URL              string             `json:"url"`
	Connections      int                `json:"connections"`
	DurationS        float64            `json:"duration_s"`
	WarmupS          float64            `json:"warmup_s"`
	Users            int                `json:"users"`
	PositionsPerUser int                `json:"positions_per_user"`
	Client           string             `json:"client"`
	SetupS           float64            `json:"setup_s"`
	Requests         int                `json:"requests"`
	Errors           int                `json:"errors"`
	RPS              float64            `json:"rps"`
	Latency          latencies          `json:"latency_ms"`
	Ops              map[string]opStats `json:"ops"`
	ServerRSSKB      int64              `json:"server_rss_kb,omitempty"`
	ServerHWMKB      int64              `json:"server_peak_rss_kb,omitempty"`
	ServerCPU        float64            `json:"server_cpu_cores,omitempty"`
	BenchCPU         float64            `json:"bench_cpu_cores"`
	// IRQCPU is the machine's time in interrupts and softirqs (on loopback,
	// mostly the network stack's receive work), which Linux does not charge
	// to processes when it accounts IRQ time separately.
	IRQCPU float64 `json:"irq_cpu_cores"`
	// OtherCPU is the rest of the machine's busy CPU: processes other than
	// the server and the load generator, noise in the figure.
	OtherCPU  float64 `json:"other_cpu_cores"`
	GoVersion string  `json:"go"`
	NumCPU    int     `json:"num_cpu"`
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var bases []*url.URL
	for _, raw := range strings.Split(cfg.url, ",") {
		base, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(raw), "/"))
		if err != nil || base.Scheme != "http" || base.Host == "" || (base.Path != "" && base.Path != "/") {
			return fmt.Errorf("--url %q: want http://HOST:PORT (plain HTTP/1.1), or several separated by commas", raw)
		}
		bases = append(bases, base)
	}
	// Connections go to the servers in turn, so each server gets an equal share.
	var next atomic.Int64
	newConn := func() doer {
		base := bases[int(next.Add(1)-1)%len(bases)]
		if cfg.client == "nethttp" {
			return newStdConn(base.Scheme+"://"+base.Host, cfg.timeout)
		}
		addr := base.Host
		if base.Port() == "" {
			addr += ":80"
		}
		return newRawConn(addr, base.Host, cfg.timeout)
	}

	setupStart := time.Now()
	users, err := setup(cfg, newConn)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	setupTime := time.Since(setupStart)

	res, errs := load(cfg, users, newConn)
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
		fmt.Fprintf(stderr, "  %s %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms; CPU cores: server %.2f, bench %.2f, irq %.2f, other %.2f\n",
			res.Target, res.Workload, res.RPS, res.Latency.P50, res.Latency.P99, res.ServerCPU, res.BenchCPU, res.IRQCPU, res.OtherCPU)
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
	return strings.Join(parts, " ")
}

func printHuman(w io.Writer, r result) {
	fmt.Fprintf(w, "%s %s: %d connections, %.1fs after %.1fs warm-up, %d users (setup %.1fs)\n",
		r.Target, r.Workload, r.Connections, r.DurationS, r.WarmupS, r.Users, r.SetupS)
	fmt.Fprintf(w, "  %.0f requests/s (%d requests, 0 errors)\n", r.RPS, r.Requests)
	fmt.Fprintf(w, "  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n",
		r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.P999, r.Latency.Max, r.Latency.Mean)
	for _, name := range opNames {
		if s, ok := r.Ops[name]; ok {
			fmt.Fprintf(w, "  %-6s %8d requests, %6.0f bytes/answer, p50 %.3f ms, p99 %.3f ms\n", name, s.Count, s.BodyBytes, s.P50, s.P99)
		}
	}
	if r.ServerRSSKB > 0 {
		fmt.Fprintf(w, "  server: RSS %.1f MiB (peak %.1f MiB), %.2f CPU cores\n",
			float64(r.ServerRSSKB)/1024, float64(r.ServerHWMKB)/1024, r.ServerCPU)
	}
	fmt.Fprintf(w, "  load generator: %.2f CPU cores (on the same machine: %d CPUs); interrupts %.2f, other processes %.2f CPU cores\n",
		r.BenchCPU, r.NumCPU, r.IRQCPU, r.OtherCPU)
}

// setup mints the users' tokens and, against graphprofile, records each
// user (one list) and creates the positions the workload addresses.
func setup(cfg config, newConn func() doer) ([]*user, error) {
	var issuer *token.DevIssuer
	var err error
	if cfg.keyFile != "" {
		if _, err := os.Stat(cfg.keyFile); err != nil {
			return nil, fmt.Errorf("the server's development key: %w", err)
		}
		issuer, err = token.LoadOrCreateDevIssuer(cfg.keyFile)
	} else {
		// The ceiling checks no token, but requests carry one of the same size.
		var key *ecdsa.PrivateKey
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err == nil {
			issuer, err = token.NewDevIssuer(key)
		}
	}
	if err != nil {
		return nil, err
	}
	users := make([]*user, cfg.users)
	for i := range users {
		u := &user{
			oid: fmt.Sprintf("be4c0000-0000-4000-8000-%012d", i),
			upn: fmt.Sprintf("bench.user%04d@bench.example", i),
		}
		u.token, err = issuer.Mint(token.MintRequest{
			TenantID: cfg.tenant, ObjectID: u.oid, UserPrincipalName: u.upn,
			DisplayName: fmt.Sprintf("Bench User %04d", i), Scopes: []string{"User.ReadWrite"},
			Expires: 24 * time.Hour,
		})
		if err != nil {
			return nil, err
		}
		u.prefix = "/beta/me/profile/positions"
		if cfg.via == "upn" {
			u.prefix = "/beta/users/" + url.PathEscape(u.upn) + "/profile/positions"
		}
		users[i] = u
	}
	if cfg.ceiling {
		if needsPositions(cfg.workload) {
			for _, u := range users {
				for range cfg.positionsPerUser {
					u.ids = append(u.ids, newGUID())
				}
			}
		}
		return users, nil
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
				if err := setupUser(cfg, c, u); err != nil {
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
	return users, firstErr
}

func setupUser(cfg config, c doer, u *user) error {
	// The first request records the user in the directory; it is not timed.
	// The user's profile must be empty: the list checks count positions.
	status, body, err := c.do("GET", u.prefix, u.token, nil)
	if err != nil {
		return err
	}
	if err := checkList(status, body, 0); err != nil {
		return err
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
	}
	return nil
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// worker is one connection's loop and what it recorded.
type worker struct {
	samples [numOps][]time.Duration
	bytes   [numOps]int64
	errs    []error
	nerrs   int
}

// maxErrors stops a failing run early: the figure is lost anyway.
const maxErrors = 1000

// load runs the closed loop and returns the result and the first errors.
func load(cfg config, users []*user, newConn func() doer) (result, []error) {
	r := &runner{workload: cfg.workload, users: users, minItems: 0}
	if needsPositions(cfg.workload) {
		r.minItems = cfg.positionsPerUser
	}
	workers := make([]*worker, cfg.connections)
	start := time.Now()
	measureStart := start.Add(cfg.warmup)
	measureEnd := measureStart.Add(cfg.duration)
	var (
		wg       sync.WaitGroup
		errCount atomic.Int64
	)
	// Room for ~60,000 requests/s (the ceiling's rate on the machine of
	// the issue), so that the loop rarely grows a slice.
	expected := int(cfg.duration.Seconds()*60000/float64(cfg.connections)) + 1024
	for i := range workers {
		w := &worker{}
		for o := range numOps {
			if mix(cfg.workload, 0) == o || cfg.workload == "mixed" {
				w.samples[o] = make([]time.Duration, 0, expected)
			}
		}
		workers[i] = w
		seed := uint64(i + 1)
		wg.Go(func() {
			c := newConn()
			defer c.close()
			rng := mrand.New(mrand.NewPCG(seed, uint64(start.UnixNano())))
			toggle := rng.IntN(2) == 0
			for {
				t0 := time.Now()
				if !t0.Before(measureEnd) || errCount.Load() >= maxErrors {
					return
				}
				o := mix(cfg.workload, rng.IntN(100))
				n, err := r.perform(c, rng, o, &toggle)
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
					w.samples[o] = append(w.samples[o], t1.Sub(t0))
					w.bytes[o] += int64(n)
				}
			}
		})
	}
	// CPU use during the measured window.
	var serverCPU, benchCPU, machineCPU, irqCPU [2]float64
	var sampler sync.WaitGroup
	sampler.Go(func() {
		time.Sleep(time.Until(measureStart))
		serverCPU[0], benchCPU[0] = procCPUSeconds(cfg.serverPID), selfCPUSeconds()
		machineCPU[0], irqCPU[0] = machineCPUSeconds()
		time.Sleep(time.Until(measureEnd))
		serverCPU[1], benchCPU[1] = procCPUSeconds(cfg.serverPID), selfCPUSeconds()
		machineCPU[1], irqCPU[1] = machineCPUSeconds()
	})
	wg.Wait()
	sampler.Wait()

	res := result{
		Target: "graphprofile", Workload: cfg.workload, Connections: cfg.connections,
		DurationS: cfg.duration.Seconds(), WarmupS: cfg.warmup.Seconds(), Users: cfg.users,
		PositionsPerUser: cfg.positionsPerUser, Client: cfg.client, Ops: map[string]opStats{},
		GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(),
	}
	if cfg.ceiling {
		res.Target = "ceiling"
	}
	var all []time.Duration
	var errs []error
	for o := range numOps {
		var samples []time.Duration
		var bytes int64
		for _, w := range workers {
			samples = append(samples, w.samples[o]...)
			bytes += w.bytes[o]
		}
		if len(samples) == 0 {
			continue
		}
		all = append(all, samples...)
		l := summarize(samples)
		res.Ops[o.String()] = opStats{Count: len(samples), BodyBytes: round3(float64(bytes) / float64(len(samples))), P50: l.P50, P99: l.P99}
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
	secs := cfg.duration.Seconds()
	res.BenchCPU = round3((benchCPU[1] - benchCPU[0]) / secs)
	res.IRQCPU = round3((irqCPU[1] - irqCPU[0]) / secs)
	if cfg.serverPID > 0 {
		res.ServerCPU = round3((serverCPU[1] - serverCPU[0]) / secs)
		res.ServerRSSKB, res.ServerHWMKB = procRSS(cfg.serverPID)
	}
	res.OtherCPU = round3(max(0, (machineCPU[1]-machineCPU[0])/secs-res.ServerCPU-res.BenchCPU))
	return res, errs
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
// /proc/stat.
func machineCPUSeconds() (processes, irq float64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
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
	return float64(proc) / clockTicks, float64(intr) / clockTicks
}

func selfCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
