package main

// The load generator against the real server: graphprofile serve, built
// once from this repository, on a fresh SQLite database, over HTTP; and
// against bench/ceiling, answering with the sizes a run measured.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildServer sync.Once
	serverDir   string
	serverErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if serverDir != "" {
		os.RemoveAll(serverDir)
	}
	os.Exit(code)
}

// binary returns the program name (graphprofile or ceiling), built with
// the other once per test binary, for the tests that need a server.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildServer.Do(func() {
		serverDir, serverErr = os.MkdirTemp("", "graphprofile-bench-test-")
		if serverErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", serverDir+string(filepath.Separator),
			"github.com/graphprofile/graphprofile/cmd/graphprofile", "github.com/graphprofile/graphprofile/bench/ceiling").CombinedOutput()
		if err != nil {
			serverErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return filepath.Join(serverDir, name)
}

var servingURL = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

// startServer starts graphprofile serve on the SQLite database db and
// returns its base URL and process; the test kills it at the end.
func startServer(t *testing.T, db string) (string, serverProcess) {
	t.Helper()
	return start(t, db+fmt.Sprintf(".%d.log", time.Now().UnixNano()), binary(t, "graphprofile"), "serve", "--listen", "127.0.0.1:0", "--store", "sqlite:"+db)
}

// serverProcess is a started server's process.
type serverProcess struct {
	*os.Process
	exited <-chan struct{}
}

// kill9 kills the server as a crash would and returns once it is gone:
// until then its lock on the database keeps the next server out.
func (p serverProcess) kill9(t *testing.T) {
	t.Helper()
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// start starts a server that says on its output where it listens, logging
// to logPath, and returns its base URL and process; the test kills it at
// the end.
func start(t *testing.T, logPath, bin string, args ...string) (string, serverProcess) {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRAPHPROFILE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if data, _ := os.ReadFile(logPath); servingURL.Match(data) {
			return string(servingURL.Find(data)), serverProcess{cmd.Process, exited}
		}
		select {
		case <-exited:
			data, _ := os.ReadFile(logPath)
			t.Fatalf("the server stopped at start:\n%s", data)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("the server did not say where it listens")
	return "", serverProcess{}
}

// A mixed run with every long-run measure on, the server killed with
// SIGKILL and started again, and verify finding every acknowledged write;
// then a position that was never written, which verify reports missing.
func TestMixedRunKillRestartVerify(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "gp.db")
	acked := filepath.Join(dir, "acked.jsonl")
	url, proc := startServer(t, db)
	var stdout, stderr bytes.Buffer
	err := run([]string{"--url", url, "--store", "sqlite:" + db, "--workload", "mixed", "-c", "4", "--users", "3", "--positions-per-user", "2",
		"--duration", "1500ms", "--warmup", "200ms", "--interval", "500ms", "--wal", db + "-wal", "--server-pid", strconv.Itoa(proc.Pid),
		"--sample-every", "50ms", "--acked", acked, "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var res result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if res.Target != targetGraphprofile || res.Errors != 0 || res.Requests == 0 || len(res.Intervals) != 3 || res.IntervalS != 0.5 {
		t.Errorf("result: target %q, %d errors, %d requests, %d intervals of %gs", res.Target, res.Errors, res.Requests, len(res.Intervals), res.IntervalS)
	}
	sum, yardstickIntervals := 0, 0
	for i, iv := range res.Intervals {
		sum += iv.Requests
		if iv.StartS != float64(i)*0.5 || iv.DurationS != 0.5 || iv.Requests == 0 || iv.RPS != float64(iv.Requests)/0.5 || iv.ServerRSSMaxKB == 0 {
			t.Errorf("interval %d: %+v", i, iv)
		}
		// What the interval's requests cost: the server's CPU (from /proc)
		// and its writer's time (from /metrics; a mixed run writes in
		// every interval). A commit holds at least one write. The writer's
		// busy share counts each commit in the interval it ends in, whole,
		// so a commit begun in the interval before takes it past 1 (1.255
		// in CI, with a disk busy with other work and commits of 8 ms):
		// not past 2 in a run of half-second intervals, where a mistake of
		// units would be a thousand times off. The yardstick samples every
		// 250 ms on a thread of its own, which a machine loaded by other
		// tests may leave waiting through a whole half second (seen once:
		// "yardstick 0 µs"), so an interval may hold no sample; the run as
		// a whole must.
		if iv.YardstickUs > 0 {
			yardstickIntervals++
		}
		if iv.ServerCPUUsPerRequest <= 0 || iv.YardstickUs < 0 || iv.WriterUsPerWrite <= 0 || iv.WritesPerCommit < 1 || iv.WriterBusy <= 0 || iv.WriterBusy > 2 ||
			iv.WriterCommitUsPerWrite <= 0 || iv.WriterCommitUsPerWrite > iv.WriterUsPerWrite {
			t.Errorf("interval %d's costs: server CPU %g µs/request, yardstick %g µs, writer busy %g, %g µs/write (%g in COMMIT), %g writes/commit",
				i, iv.ServerCPUUsPerRequest, iv.YardstickUs, iv.WriterBusy, iv.WriterUsPerWrite, iv.WriterCommitUsPerWrite, iv.WritesPerCommit)
		}
	}
	if sum != res.Requests {
		t.Errorf("the intervals hold %d requests, the run %d", sum, res.Requests)
	}
	if yardstickIntervals == 0 {
		t.Errorf("no interval holds a yardstick sample: %+v", res.Intervals)
	}
	if res.WAL != db+"-wal" || res.WALMaxBytes == 0 || res.ServerRSSMaxKB == 0 || res.ServerRSSMaxKB < res.ServerRSSKB {
		t.Errorf("samples: WAL %q max %d last %d, RSS max %d KiB end %d KiB", res.WAL, res.WALMaxBytes, res.WALLastBytes, res.ServerRSSMaxKB, res.ServerRSSKB)
	}
	if res.Ops["update"].Count == 0 || res.Ops["create"].Count == 0 || res.Acked < 3*2+res.Ops["create"].Count {
		t.Errorf("%d acknowledged positions recorded; the setup made 6 and the run %d", res.Acked, res.Ops["create"].Count)
	}
	for _, want := range []string{"0s–500ms: ", "1s–1.5s: ", "server RSS", "WAL", " µs/request, writer busy "} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the progress lines lack %q:\n%s", want, stderr.String())
		}
	}

	proc.kill9(t)
	url, _ = startServer(t, db)
	stdout.Reset()
	stderr.Reset()
	if err := runVerify([]string{"--acked", acked, "--url", url, "--store", "sqlite:" + db, "-c", "4", "--json"}, &stdout, &stderr); err != nil {
		t.Fatalf("verify after kill -9: %v\n%s", err, stderr.String())
	}
	var v verifyResult
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil || v.Checked != res.Acked || v.Updated == 0 || !v.ok() {
		t.Errorf("verify = %+v (%v), want %d checked, some updated, nothing missing", v, err, res.Acked)
	}

	f, err := os.OpenFile(acked, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, `{"user":1,"id":"00000000-0000-4000-8000-00000000abcd"}`)
	f.Close()
	stdout.Reset()
	stderr.Reset()
	err = runVerify([]string{"--acked", acked, "--url", url, "--store", "sqlite:" + db}, &stdout, &stderr)
	if err == nil || !strings.Contains(stdout.String(), "1 missing") || !strings.Contains(stderr.String(), "00000000-0000-4000-8000-00000000abcd") {
		t.Errorf("verify of a position never written: %v\n%s%s", err, stdout.String(), stderr.String())
	}
}

// The lopsided workload: the heavy user filled through $batch, its pages
// read following @odata.nextLink while other users get positions created.
func TestLopsidedRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "gp.db")
	url, proc := startServer(t, db)
	var stdout, stderr bytes.Buffer
	err := run([]string{"--url", url, "--store", "sqlite:" + db, "--workload", "lopsided", "--lopsided-items", "65", "-c", "4",
		"--users", "2", "--duration", "1s", "--warmup", "0s", "--server-pid", strconv.Itoa(proc.Pid)}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{
		"graphprofile lopsided: 4 connections",
		"one user with 65 positions read in pages of 10 by 4 connection(s); 1 more create for the others",
		"  create ", "  list ", "server: RSS",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "setup: 65 of 65 positions of the heavy user bench.user0002@bench.example") {
		t.Errorf("no setup progress:\n%s", stderr.String())
	}
}

// The profile workload: every user's profile filled through $batch, then
// whole profiles read and checked; the sizes it measured written for the
// ceiling, whose canned profile passes the same checks.
func TestProfileRun(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "gp.db")
	flags := filepath.Join(dir, "ceiling.flags")
	url, proc := startServer(t, db)
	var stdout, stderr bytes.Buffer
	err := run([]string{"--url", url, "--store", "sqlite:" + db, "--workload", "profile", "--positions-per-user", "2", "-c", "3",
		"--users", "4", "--via", "upn", "--duration", "700ms", "--warmup", "100ms", "--server-pid", strconv.Itoa(proc.Pid),
		"--ceiling-flags", flags, "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var res result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	got := res.Ops["profile"]
	// 19 collections × 2 items of several hundred bytes each.
	if res.Errors != 0 || res.Requests == 0 || len(res.Ops) != 1 || got.Count != res.Requests || got.BodyBytes < 19*2*300 {
		t.Errorf("result: %d errors, %d requests, ops %+v", res.Errors, res.Requests, res.Ops)
	}
	data, err := os.ReadFile(flags)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("--profile-size=%d --list-items=2 --profile-items=2\n", int(got.BodyBytes+0.5))
	if string(data) != want {
		t.Errorf("ceiling flags %q, want %q", data, want)
	}

	url, _ = start(t, filepath.Join(dir, "ceiling.log"), binary(t, "ceiling"), append([]string{"--listen", "127.0.0.1:0"}, strings.Fields(string(data))...)...)
	stdout.Reset()
	stderr.Reset()
	err = run([]string{"--url", url, "--ceiling", "--workload", "profile", "--positions-per-user", "2", "-c", "3", "--users", "4",
		"--duration", "300ms", "--warmup", "0s", "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run against the ceiling: %v\n%s", err, stderr.String())
	}
	var ceil result
	if err := json.Unmarshal(stdout.Bytes(), &ceil); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if ceil.Target != targetCeiling || ceil.Errors != 0 || ceil.Ops["profile"].Count == 0 || ceil.Ops["profile"].BodyBytes != float64(int(got.BodyBytes+0.5)) {
		t.Errorf("against the ceiling: target %q, %d errors, ops %+v; want answers of %.0f bytes", ceil.Target, ceil.Errors, ceil.Ops, got.BodyBytes)
	}
}
