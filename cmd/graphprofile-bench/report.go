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

// targets are the goals for graphprofile/ceiling (median of pairs,
// 32 connections); mixed has none.
var targets = map[string]float64{"create": 0.5, "update": 0.5, "get": 0.7, "list": 0.5}

// p99Target is the latency goal, in milliseconds.
const p99Target = 10.0

// runReport reads the JSON results of alternating runs (graphprofile,
// ceiling, graphprofile, …; one object a line, as --json prints them) and
// prints a markdown report: per workload the median rates, the ratio
// graphprofile/ceiling of each pair (min, median, max) and the latencies.
func runReport(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	title := fs.String("title", "Results", "the report's heading")
	if err := fs.Parse(args); err != nil {
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

// pairs groups results by workload (in order of first appearance) and pairs
// the i-th graphprofile run with the i-th ceiling run of that workload.
type workloadRuns struct {
	name     string
	gp, ceil []result
}

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
		if r.Target == "ceiling" {
			w.ceil = append(w.ceil, r)
		} else {
			w.gp = append(w.gp, r)
		}
	}
	return order
}

// ratios returns graphprofile/ceiling of each complete pair.
func (w *workloadRuns) ratios() []float64 {
	n := min(len(w.gp), len(w.ceil))
	out := make([]float64, n)
	for i := range n {
		out[i] = w.gp[i].RPS / w.ceil[i].RPS
	}
	return out
}

func writeReport(out io.Writer, title string, results []result, machine string) {
	first := results[0]
	groups := groupRuns(results)
	pairs := 0
	for _, g := range groups {
		pairs = max(pairs, len(g.ratios()))
	}
	fmt.Fprintf(out, "### %s (%s)\n\n", title, time.Now().UTC().Format(time.DateOnly))
	fmt.Fprintf(out, "Machine: %s. **The load generator and the server run on the same machine and share its CPUs** "+
		"(the CPU each used, the kernel's interrupt work and what other processes used meanwhile are in the runs table).\n\n", machine)
	fmt.Fprintf(out, "Settings: %d connections (closed loop, HTTP/1.1 keep-alive, %s client), %gs measured after a %gs warm-up, "+
		"%d users, %d positions per user; %d pair(s) per workload, graphprofile and the ceiling alternating "+
		"(A B A B …), each graphprofile run on a fresh SQLite database. Every answer was checked; a run with any error reports nothing.\n\n",
		first.Connections, first.Client, first.DurationS, first.WarmupS, first.Users, first.PositionsPerUser, pairs)

	fmt.Fprintln(out, "| workload | graphprofile req/s | ceiling req/s | ratio min / median / max | target | p50 ms | p90 ms | p99 ms | p99.9 ms | server RSS MiB |")
	fmt.Fprintln(out, "| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
	for _, g := range groups {
		ratios := g.ratios()
		col := func(rs []result, f func(result) float64) float64 {
			xs := make([]float64, len(rs))
			for i, r := range rs {
				xs[i] = f(r)
			}
			return median(xs)
		}
		ratioCell, targetCell := "–", "–"
		if len(ratios) > 0 {
			mn, mx := ratios[0], ratios[0]
			for _, r := range ratios {
				mn, mx = min(mn, r), max(mx, r)
			}
			ratioCell = fmt.Sprintf("%.2f / %.2f / %.2f", mn, median(ratios), mx)
			if t, ok := targets[g.name]; ok {
				mark := "✓"
				if median(ratios) < t {
					mark = "✗"
				}
				targetCell = fmt.Sprintf("≥ %.1f %s", t, mark)
			}
		}
		p99 := col(g.gp, func(r result) float64 { return r.Latency.P99 })
		p99Cell := fmt.Sprintf("%.2f", p99)
		if len(g.gp) > 0 {
			if p99 <= p99Target {
				p99Cell += " ✓"
			} else {
				p99Cell += " ✗"
			}
		}
		rss := "–"
		if v := col(g.gp, func(r result) float64 { return float64(r.ServerRSSKB) }); v > 0 {
			rss = fmt.Sprintf("%.0f", v/1024)
		}
		fmt.Fprintf(out, "| %s | %.0f | %.0f | %s | %s | %.2f | %.2f | %s | %.2f | %s |\n", g.name,
			col(g.gp, func(r result) float64 { return r.RPS }), col(g.ceil, func(r result) float64 { return r.RPS }),
			ratioCell, targetCell,
			col(g.gp, func(r result) float64 { return r.Latency.P50 }), col(g.gp, func(r result) float64 { return r.Latency.P90 }),
			p99Cell, col(g.gp, func(r result) float64 { return r.Latency.P999 }), rss)
	}
	fmt.Fprintf(out, "\nreq/s and latencies are medians over the pairs; the ratio is graphprofile/ceiling of each pair; "+
		"latencies are graphprofile's (target p99 ≤ %g ms). The ceiling (bench/ceiling) is a bare net/http server that reads the "+
		"request body and answers a canned body of graphprofile's answer size.\n\n", p99Target)

	fmt.Fprintln(out, "<details><summary>Every run</summary>")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| workload | pair | target | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | answer bytes | CPU cores: server / bench / irq / other | server RSS MiB |")
	fmt.Fprintln(out, "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |")
	for _, g := range groups {
		for i := range max(len(g.gp), len(g.ceil)) {
			for _, rs := range [][]result{g.gp, g.ceil} {
				if i >= len(rs) {
					continue
				}
				r := rs[i]
				rss := "–"
				if r.ServerRSSKB > 0 {
					rss = fmt.Sprintf("%.0f", float64(r.ServerRSSKB)/1024)
				}
				fmt.Fprintf(out, "| %s | %d | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %.2f / %.2f / %.2f / %.2f | %s |\n",
					g.name, i+1, r.Target, r.RPS, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.P999,
					answerSizes(r), r.ServerCPU, r.BenchCPU, r.IRQCPU, r.OtherCPU, rss)
			}
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "</details>")
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
