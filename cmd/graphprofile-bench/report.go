package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// ratioTarget is a goal for graphprofile's rate as a fraction of a
// ceiling's (median of pairs, 32 connections).
type ratioTarget struct {
	ceiling string // targetCeiling or targetDurableCeiling
	ratio   float64
}

// ratioTargets are the goals of the performance issues: a write against
// what any durable store must do (append and fsync), a read against the
// bare HTTP stack. mixed has none.
var ratioTargets = map[string]ratioTarget{
	"create": {targetDurableCeiling, 0.7},
	"update": {targetDurableCeiling, 0.7},
	"get":    {targetCeiling, 0.7},
	"list":   {targetCeiling, 0.6},
}

// p99Targets are the latency goals, in milliseconds, of the workloads that
// have one (lopsided's is its lists' p99).
var p99Targets = map[string]float64{"get": 10, "list": 10, "lopsided": 20}

// lopsidedRSSTarget is lopsided's goal for the server's RSS during the run:
// under 200 MB.
const lopsidedRSSTarget = 200e6

// runReport reads the JSON results of alternating runs (graphprofile,
// ceiling, graphprofile, …; one object a line, as --json prints them) and
// prints a markdown report: per workload the median rates, the ratio
// graphprofile/ceiling of each pair (min, median, max) and the latencies.
// Its usage (--help) and flag errors go to stderr.
func runReport(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("graphprofile-bench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	title := fs.String("title", "Results", "the report's heading")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	in := stdin
	if fs.NArg() > 1 {
		return errors.New("usage: graphprofile-bench report [--title T] [FILE]")
	}
	if fs.NArg() == 1 {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	var results []result
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("reading a result: %w", err)
		}
		results = append(results, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(results) == 0 {
		return errors.New("no results")
	}
	writeReport(stdout, *title, results, machine())
	return nil
}

// machine describes the computer the report ran on.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				model = strings.TrimSpace(value)
				break
			}
		}
	}
	kernel := runtime.GOOS
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(data))
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for _, line := range strings.Split(string(data), "\n") {
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				mem = fmt.Sprintf(", %.1f GiB RAM", float64(kb)/(1<<20))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s)%s, %s, %s", runtime.NumCPU(), model, mem, kernel, runtime.Version())
}

// workloadRuns are the runs of one workload: the i-th graphprofile run,
// the i-th bare ceiling run, the i-th durable ceiling run and the i-th
// graph floor run (durable or not) make pair i.
type workloadRuns struct {
	name                     string
	gp, ceil, durable, floor []result
}

// groupRuns groups results by workload, in order of first appearance.
func groupRuns(results []result) []*workloadRuns {
	var order []*workloadRuns
	by := map[string]*workloadRuns{}
	for _, r := range results {
		w := by[r.Workload]
		if w == nil {
			w = &workloadRuns{name: r.Workload}
			by[r.Workload] = w
			order = append(order, w)
		}
		switch r.Target {
		case targetCeiling:
			w.ceil = append(w.ceil, r)
		case targetDurableCeiling:
			w.durable = append(w.durable, r)
		case targetGraphFloor, targetDurableGraphFloor:
			w.floor = append(w.floor, r)
		default:
			w.gp = append(w.gp, r)
		}
	}
	return order
}

// ratios returns graphprofile/ceiling of each complete pair.
func ratios(gp, ceiling []result) []float64 {
	n := min(len(gp), len(ceiling))
	out := make([]float64, n)
	for i := range n {
		out[i] = gp[i].RPS / ceiling[i].RPS
	}
	return out
}

// medianOf returns the median of f over rs.
func medianOf(rs []result, f func(result) float64) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	return median(xs)
}

// ratioCell writes min / median / max of ratios, or – if there are none.
func ratioCell(rs []float64) string {
	if len(rs) == 0 {
		return "–"
	}
	mn, mx := rs[0], rs[0]
	for _, r := range rs {
		mn, mx = min(mn, r), max(mx, r)
	}
	return fmt.Sprintf("%.2f / %.2f / %.2f", mn, median(rs), mx)
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func rateCell(rs []result) string {
	if len(rs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", medianOf(rs, func(r result) float64 { return r.RPS }))
}

func mibCell(kb int64) string {
	if kb <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", mib(kb))
}

func writeReport(out io.Writer, title string, results []result, machine string) {
	first := results[0]
	groups := groupRuns(results)
	pairs := 0
	for _, g := range groups {
		pairs = max(pairs, len(g.gp))
	}
	fmt.Fprintf(out, "### %s (%s)\n\n", title, time.Now().UTC().Format(time.DateOnly))
	fmt.Fprintf(out, "Machine: %s. **The load generator and the server run on the same machine and share its CPUs** "+
		"(the CPU each used, the kernel's interrupt work and what other processes used meanwhile are in the runs table).\n\n", machine)
	var lopsided, others []*workloadRuns
	ceilings := false
	for _, g := range groups {
		if g.name == "lopsided" {
			lopsided = append(lopsided, g)
		} else {
			others = append(others, g)
		}
		ceilings = ceilings || len(g.ceil) > 0 || len(g.durable) > 0
	}
	runs := fmt.Sprintf("%d pair(s) per workload, graphprofile and the ceilings alternating (A B A B …; A B C D for writes: the durable ceiling and the durable graph floor; A B C for get and list: the graph floor), each graphprofile run", pairs)
	if !ceilings {
		runs = fmt.Sprintf("%d run(s) per workload, graphprofile only, each", pairs)
	}
	fmt.Fprintf(out, "Settings: %d connections (closed loop, HTTP/1.1 keep-alive, %s client), %gs measured after a %gs warm-up, "+
		"%d users, %d positions per user; %s on a fresh SQLite database. Every answer was checked; a run with any error reports nothing.\n\n",
		first.Connections, first.Client, first.DurationS, first.WarmupS, first.Users, first.PositionsPerUser, runs)
	for _, g := range groups {
		if g.name == "profile" && len(g.gp) > 0 {
			fmt.Fprintf(out, "profile: each user has %d items in each of the %d collections of its profile (created through $batch by the setup); "+
				"each request GETs a user's whole profile (…/profile, every collection inline), and every answer is checked for every collection with %d items.\n\n",
				g.gp[0].PositionsPerUser, len(profileKeys), g.gp[0].PositionsPerUser)
		}
	}

	switch {
	case len(others) > 0 && ceilings:
		writeAgainstCeilings(out, others)
	case len(others) > 0:
		writeAlone(out, others)
	}
	for _, g := range lopsided {
		writeLopsided(out, g)
	}
	writeOverTime(out, groups)
	fmt.Fprintln(out, "<details><summary>Every run</summary>")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| workload | pair | target | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | answer bytes | CPU cores: server / bench / irq / other | server RSS MiB: end / max / peak | WAL MiB: max / end |")
	fmt.Fprintln(out, "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |")
	for _, g := range groups {
		for i := range max(len(g.gp), len(g.ceil), len(g.durable), len(g.floor)) {
			for _, rs := range [][]result{g.gp, g.ceil, g.durable, g.floor} {
				if i >= len(rs) {
					continue
				}
				r := rs[i]
				rss := "–"
				if r.ServerRSSKB > 0 {
					rss = fmt.Sprintf("%.0f / %.0f / %.0f", mib(r.ServerRSSKB), mib(r.ServerRSSMaxKB), mib(r.ServerHWMKB))
				}
				wal := "–"
				if r.WAL != "" {
					wal = fmt.Sprintf("%.1f / %.1f", mib(r.WALMaxBytes/1024), mib(r.WALLastBytes/1024))
				}
				machineCPU := fmt.Sprintf("%.2f / %.2f", r.IRQCPU, r.OtherCPU)
				if r.MachineCPUUnmeasured {
					machineCPU = "– / –"
				}
				fmt.Fprintf(out, "| %s | %d | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %.2f / %.2f / %s | %s | %s |\n",
					g.name, i+1, r.Target, r.RPS, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.P999,
					answerSizes(r), r.ServerCPU, r.BenchCPU, machineCPU, rss, wal)
			}
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "</details>")
}

// writeAgainstCeilings reports the workloads measured against the
// ceilings: rates, ratios to each ceiling against their targets, latencies.
func writeAgainstCeilings(out io.Writer, groups []*workloadRuns) {
	fmt.Fprintln(out, "| workload | graphprofile req/s | ceiling req/s | ratio min / median / max | durable ceiling req/s | ratio to durable min / median / max | target | p50 ms | p90 ms | p99 ms | p99.9 ms | server RSS MiB |")
	fmt.Fprintln(out, "| --- | ---: | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
	for _, g := range groups {
		bare, durable := ratios(g.gp, g.ceil), ratios(g.gp, g.durable)
		targetCell := "–"
		if t, ok := ratioTargets[g.name]; ok {
			rs, name := bare, "bare"
			if t.ceiling == targetDurableCeiling {
				rs, name = durable, "durable"
			}
			if len(rs) > 0 {
				targetCell = fmt.Sprintf("≥ %.1f of %s %s", t.ratio, name, mark(median(rs) >= t.ratio))
			} else {
				targetCell = fmt.Sprintf("≥ %.1f of %s (not run)", t.ratio, name)
			}
		}
		p99 := medianOf(g.gp, func(r result) float64 { return r.Latency.P99 })
		p99Cell := fmt.Sprintf("%.2f", p99)
		if t, ok := p99Targets[g.name]; ok && len(g.gp) > 0 {
			p99Cell += " " + mark(p99 <= t)
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f | %s | %.2f | %s |\n", g.name,
			rateCell(g.gp), rateCell(g.ceil), ratioCell(bare), rateCell(g.durable), ratioCell(durable), targetCell,
			medianOf(g.gp, func(r result) float64 { return r.Latency.P50 }), medianOf(g.gp, func(r result) float64 { return r.Latency.P90 }),
			p99Cell, medianOf(g.gp, func(r result) float64 { return r.Latency.P999 }),
			mibCell(int64(medianOf(g.gp, func(r result) float64 { return float64(r.ServerRSSKB) }))))
	}
	fmt.Fprintf(out, "\nreq/s and latencies are medians over the pairs; a ratio is graphprofile/ceiling of each pair; "+
		"latencies are graphprofile's (targets: p99 ≤ 10 ms for get and list). The ceiling (bench/ceiling) is a bare net/http server that reads the "+
		"request body and answers a canned body of graphprofile's answer size; the durable ceiling (bench/ceiling --durable) also appends "+
		"every create's and update's body to a file and answers after an fsync covering it (group commit): the least any store does for an "+
		"acknowledged write. Targets: create and update ≥ 0.7 of the durable ceiling; get ≥ 0.7 and list ≥ 0.6 of the bare ceiling.\n\n")
	writeGraphFloor(out, groups)
}

// writeGraphFloor reports the workloads that ran a graph floor too: its
// rate against its ceiling's (the bare one's, or the durable one's for the
// durable floor: the most graphprofile's could be) and graphprofile's
// against the floor's (what graphprofile's own work costs).
func writeGraphFloor(out io.Writer, groups []*workloadRuns) {
	var withFloor []*workloadRuns
	for _, g := range groups {
		if len(g.floor) > 0 {
			withFloor = append(withFloor, g)
		}
	}
	if len(withFloor) == 0 {
		return
	}
	fmt.Fprintln(out, "| workload | graphprofile req/s | ceiling | ceiling req/s | graph floor req/s | floor / ceiling min / median / max | graphprofile / floor min / median / max |")
	fmt.Fprintln(out, "| --- | ---: | --- | ---: | ---: | --- | --- |")
	for _, g := range withFloor {
		ceiling, name := g.ceil, "bare"
		if g.floor[0].Target == targetDurableGraphFloor {
			ceiling, name = g.durable, "durable"
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s |\n", g.name, rateCell(g.gp), name, rateCell(ceiling), rateCell(g.floor),
			ratioCell(ratios(g.floor, ceiling)), ratioCell(ratios(g.gp, g.floor)))
	}
	fmt.Fprintf(out, "\nThe graph floor (bench/ceiling --graph-floor) is the bare ceiling whose answers also carry the headers graphprofile's carry "+
		"(CORS, Cache-Control, OData-Version, Vary, a new request-id, an ETag on one item, a Location on a create) and which writes graphprofile's "+
		"access-log line for each request: what Graph's contract and the access log cost before any token, permission, route or store; "+
		"for create and update it is the durable ceiling with them (--durable --graph-floor). Its ratio to its ceiling is the most "+
		"graphprofile's could be.\n\n")
}

// writeAlone reports workloads run without a ceiling (scripts/soak):
// rates, latencies and the server's RSS.
func writeAlone(out io.Writer, groups []*workloadRuns) {
	fmt.Fprintln(out, "| workload | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | server RSS MiB: end / max during the run |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, g := range groups {
		med := func(f func(result) float64) float64 { return medianOf(g.gp, f) }
		fmt.Fprintf(out, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %s / %s |\n", g.name, rateCell(g.gp),
			med(func(r result) float64 { return r.Latency.P50 }), med(func(r result) float64 { return r.Latency.P90 }),
			med(func(r result) float64 { return r.Latency.P99 }), med(func(r result) float64 { return r.Latency.P999 }),
			mibCell(int64(med(func(r result) float64 { return float64(r.ServerRSSKB) }))),
			mibCell(int64(med(func(r result) float64 { return float64(r.ServerRSSMaxKB) }))))
	}
	fmt.Fprintln(out, "\nreq/s and latencies are medians over the runs.")
	fmt.Fprintln(out)
}

// writeLopsided reports the lopsided runs: the heavy user's pages and the
// other users' creates apart, and the server's RSS, against their targets.
func writeLopsided(out io.Writer, g *workloadRuns) {
	if len(g.gp) == 0 {
		return
	}
	r0 := g.gp[0]
	fmt.Fprintf(out, "**lopsided**: one user with %d positions read a page of %d at a time (half the walks following @odata.nextLink "+
		"for 1 to %d more pages) by %d connections, while %d connections create positions for the %d other users; medians over %d run(s).\n\n",
		r0.LopsidedItems, lopsidedPageSize, maxFollowedPages, r0.Connections, r0.LopsidedWriters, r0.Users, len(g.gp))
	op := func(name string, f func(opStats) float64) float64 {
		return medianOf(g.gp, func(r result) float64 { return f(r.Ops[name]) })
	}
	listP99 := op("list", func(s opStats) float64 { return s.P99 })
	rssMax := int64(medianOf(g.gp, func(r result) float64 { return float64(r.ServerRSSMaxKB) }))
	fmt.Fprintln(out, "| pages/s | page p50 ms | page p99 ms | target | creates/s | create p50 ms | create p99 ms | server RSS max MiB | target | peak since start MiB | setup s |")
	fmt.Fprintln(out, "| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
	fmt.Fprintf(out, "| %.0f | %.2f | %.2f | < %g ms %s | %.0f | %.2f | %.2f | %s | < 200 MB %s | %s | %.0f |\n\n",
		op("list", func(s opStats) float64 { return float64(s.Count) })/r0.DurationS,
		op("list", func(s opStats) float64 { return s.P50 }), listP99, p99Targets["lopsided"], mark(listP99 < p99Targets["lopsided"]),
		op("create", func(s opStats) float64 { return float64(s.Count) })/r0.DurationS,
		op("create", func(s opStats) float64 { return s.P50 }), op("create", func(s opStats) float64 { return s.P99 }),
		mibCell(rssMax), mark(rssMax > 0 && float64(rssMax)*1024 < lopsidedRSSTarget),
		mibCell(int64(medianOf(g.gp, func(r result) float64 { return float64(r.ServerHWMKB) }))),
		medianOf(g.gp, func(r result) float64 { return r.SetupS }))
}

// writeOverTime reports the intervals of the runs that have them
// (--interval): whether throughput, latency, RSS and the WAL hold steady.
func writeOverTime(out io.Writer, groups []*workloadRuns) {
	for _, g := range groups {
		for i, r := range g.gp {
			if len(r.Intervals) == 0 {
				continue
			}
			// The costs' columns only where the run read them.
			var withCPU, withYardstick, withWriter, withCommit bool
			for _, iv := range r.Intervals {
				withCPU = withCPU || iv.ServerCPUUsPerRequest > 0
				withYardstick = withYardstick || iv.YardstickUs > 0
				withWriter = withWriter || iv.WriterUsPerWrite > 0
				withCommit = withCommit || iv.WriterCommitUsPerWrite > 0
			}
			fmt.Fprintf(out, "**%s, run %d, over time** (%s intervals):\n\n", g.name, i+1, secs(r.IntervalS))
			head, rule := "| interval | req/s | p50 ms | p99 ms | server RSS max MiB | WAL max MiB |", "| --- | ---: | ---: | ---: | ---: | ---: |"
			if withCPU {
				head, rule = head+" server CPU µs/request |", rule+" ---: |"
			}
			if withYardstick {
				head, rule = head+" yardstick µs |", rule+" ---: |"
			}
			if withWriter {
				head, rule = head+" writer busy | writer µs/write |", rule+" ---: | ---: |"
				if withCommit {
					head, rule = head+" of it in COMMIT |", rule+" ---: |"
				}
				head, rule = head+" writes/commit |", rule+" ---: |"
			}
			fmt.Fprintln(out, head)
			fmt.Fprintln(out, rule)
			for _, iv := range r.Intervals {
				wal := "–"
				if r.WAL != "" {
					wal = fmt.Sprintf("%.1f", mib(iv.WALMaxBytes/1024))
				}
				fmt.Fprintf(out, "| %s–%s | %.0f | %.2f | %.2f | %s | %s |", secs(iv.StartS), secs(iv.StartS+iv.DurationS),
					iv.RPS, iv.Latency.P50, iv.Latency.P99, mibCell(iv.ServerRSSMaxKB), wal)
				if withCPU {
					fmt.Fprintf(out, " %s |", figureCell(iv.ServerCPUUsPerRequest, "%.1f"))
				}
				if withYardstick {
					fmt.Fprintf(out, " %s |", figureCell(iv.YardstickUs, "%.0f"))
				}
				if withWriter {
					if iv.WriterUsPerWrite > 0 {
						fmt.Fprintf(out, " %.0f%% | %.1f |", iv.WriterBusy*100, iv.WriterUsPerWrite)
					} else {
						fmt.Fprint(out, " – | – |")
					}
					if withCommit {
						fmt.Fprintf(out, " %s |", figureCell(iv.WriterCommitUsPerWrite, "%.1f"))
					}
					if iv.WriterUsPerWrite > 0 {
						fmt.Fprintf(out, " %.1f |", iv.WritesPerCommit)
					} else {
						fmt.Fprint(out, " – |")
					}
				}
				fmt.Fprintln(out)
			}
			first, last := r.Intervals[0], r.Intervals[len(r.Intervals)-1]
			fmt.Fprintf(out, "\nFirst to last interval: %s req/s.", change(first.RPS, last.RPS))
			if first.ServerCPUUsPerRequest > 0 && last.ServerCPUUsPerRequest > 0 {
				fmt.Fprintf(out, " Server CPU: %s µs a request.", change(first.ServerCPUUsPerRequest, last.ServerCPUUsPerRequest))
			}
			if first.YardstickUs > 0 && last.YardstickUs > 0 {
				fmt.Fprintf(out, " The machine's yardstick: %s µs.", change(first.YardstickUs, last.YardstickUs))
			}
			if first.WriterUsPerWrite > 0 && last.WriterUsPerWrite > 0 {
				fmt.Fprintf(out, " The writer: %s µs a write, busy %.0f%% → %.0f%%.", change(first.WriterUsPerWrite, last.WriterUsPerWrite), first.WriterBusy*100, last.WriterBusy*100)
				if first.WriterCommitUsPerWrite > 0 && last.WriterCommitUsPerWrite > 0 {
					fmt.Fprintf(out, " Of it in COMMIT: %s µs.", change(first.WriterCommitUsPerWrite, last.WriterCommitUsPerWrite))
				}
			}
			if r.WAL != "" {
				fmt.Fprintf(out, " WAL: %.1f MiB at most, %.1f MiB at the end.", mib(r.WALMaxBytes/1024), mib(r.WALLastBytes/1024))
			}
			if r.ServerRSSKB > 0 {
				fmt.Fprintf(out, " Server RSS: %.1f MiB at most, %.1f MiB at the end.", mib(r.ServerRSSMaxKB), mib(r.ServerRSSKB))
			}
			fmt.Fprint(out, "\n\n")
		}
	}
}

// figureCell writes v in format, or – for 0 (not read).
func figureCell(v float64, format string) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

// change writes from → to and the relative change.
func change(from, to float64) string {
	if from == 0 {
		return fmt.Sprintf("%.0f → %.0f", from, to)
	}
	return fmt.Sprintf("%.0f → %.0f (%+.1f%%)", from, to, (to-from)/from*100)
}

// answerSizes lists the mean answer size of each op of a run.
func answerSizes(r result) string {
	var parts []string
	for _, name := range opNames {
		if s, ok := r.Ops[name]; ok {
			parts = append(parts, fmt.Sprintf("%s %.0f", name, s.BodyBytes))
		}
	}
	return strings.Join(parts, ", ")
}
