package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runScript runs scripts/NAME with args and GO=false, so that a script
// that got as far as building stops there at once instead of starting a
// long run; it returns the exit status, stdout and stderr.
func runScript(t *testing.T, name string, args ...string) (int, string, string) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to run scripts/" + name)
	}
	return runScriptFor(t, 30*time.Second, name, args, "GO=false")
}

// runScriptFor runs scripts/NAME with args and env added to the test's
// environment, for at most timeout, and returns the exit status, stdout
// and stderr.
func runScriptFor(t *testing.T, timeout time.Duration, name string, args []string, env ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join("..", "..", "scripts", name)}, args...)...)
	cmd.Env = append(cmd.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	default:
		t.Fatalf("scripts/%s %v: %v\nstderr:\n%s", name, args, err, stderr.String())
		return 0, "", ""
	}
}

// TestScriptsHelp: every script answers -h and --help with its usage and
// exit 0, without building or running anything (scripts/bench-postgres
// --help started a PostgreSQL cluster and a load; scripts/bench-scale
// --help created a million positions).
func TestScriptsHelp(t *testing.T) {
	for _, c := range []struct{ script, want string }{
		{"bench", "Knobs (environment): PAIRS"},
		{"soak", "Knobs (environment): DURATION"},
		{"bench-directory", "The people directory at scale"},
		{"bench-postgres", "Knobs (environment): DURATION"},
		{"bench-scale", "Knobs (environment): USERS"},
		{"big-pages", "peak memory"},
		{"image", "container image"},
		{"image-test", "podman inspect"},
		{"release", "release binaries"},
		{"fsync-probe", "synchronously"},
	} {
		for _, arg := range []string{"--help", "-h"} {
			code, stdout, stderr := runScript(t, c.script, arg)
			if code != 0 || !strings.Contains(stdout, "scripts/"+c.script) || !strings.Contains(stdout, c.want) {
				t.Errorf("scripts/%s %s: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", c.script, arg, code, stdout, stderr)
			}
		}
	}
}

// TestSoakRefusesArguments: scripts/soak takes its settings from the
// environment; an argument is a mistake it says so about (exit 2) rather
// than a reason to start a 10-minute run as if it were not there.
func TestSoakRefusesArguments(t *testing.T) {
	code, _, stderr := runScript(t, "soak", "create")
	if code != 2 || !strings.Contains(stderr, "environment") {
		t.Errorf("scripts/soak create: exit %d, stderr %q; want exit 2 saying it takes its settings from the environment", code, stderr)
	}
}

// TestSoakReportsAFailedRun: a soak whose load fails (here every create of
// its setup is refused: MAX_ITEMS=1) still prints its summary, says why it
// failed, and kills, restarts and reads back as a passing one does. Under
// `set -o pipefail` the failed run's missing figures made a grep fail and
// the script exit 1 at once, silent: no summary, no reason, no crash check.
func TestSoakReportsAFailedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds graphprofile and runs a short soak")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", "scripts", "soak"))
	cmd.Env = append(cmd.Environ(), "TMPDIR="+t.TempDir(), "MAX_ITEMS=1", "DURATION=2s", "INTERVAL=1s", "WARMUP=0s",
		"SAMPLE=500ms", "SETTLE=1s", "CONNECTIONS=2", "USERS=2", "POSITIONS=2", "KILL_AFTER=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("scripts/soak with a failing run: %v, want exit 1; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{
		"| result | **FAIL**: the load generator failed",
		"| acknowledged writes read back after the restart |",
		"| restart on the same database",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", want, stdout.String(), stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "507") {
		t.Errorf("stderr does not show the load generator's error (the 507 of its setup):\n%s", stderr.String())
	}
}

// runLong runs scripts/NAME with args and env added, a short run that
// builds and starts servers (its TMPDIR the test's), and returns the exit
// status, stdout and stderr.
func runLong(t *testing.T, name string, args []string, env ...string) (int, string, string) {
	t.Helper()
	return runScriptFor(t, 4*time.Minute, name, args, append([]string{"TMPDIR=" + t.TempDir()}, env...)...)
}

// TestBenchRunsBothCeilings: scripts/bench runs creates and updates
// against graphprofile, the bare ceiling, the durable ceiling and the
// durable graph floor in each pair, and its report gives each write's
// ratio to both ceilings. Only the report was tested, from runs made up:
// a script that no longer started the durable ceiling passed every test.
func TestBenchRunsBothCeilings(t *testing.T) {
	code, stdout, stderr := runLong(t, "bench", []string{"create", "update"},
		"PAIRS=1", "DURATION=1s", "WARMUP=0s", "CONNECTIONS=2", "USERS=2", "POSITIONS=1")
	if code != 0 {
		t.Fatalf("scripts/bench create update: exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"| ratio to durable min / median / max |",
		"| create | 1 | graphprofile |", "| create | 1 | ceiling |", "| create | 1 | durable ceiling |", "| create | 1 | durable graph floor |",
		"| update | 1 | graphprofile |", "| update | 1 | ceiling |", "| update | 1 | durable ceiling |", "| update | 1 | durable graph floor |",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
	// Each write's line of the summary: its rate, the bare ceiling's and
	// the ratio, then the durable ceiling's and the ratio to it, against
	// the target of the durable ceiling.
	line := regexp.MustCompile(`(?m)^\| (create|update) \| \d+ \| \d+ \| [0-9.]+ / [0-9.]+ / [0-9.]+ \| \d+ \| [0-9.]+ / [0-9.]+ / [0-9.]+ \| ≥ 0\.7 of durable [✓✗] \|`)
	if got := line.FindAllStringSubmatch(stdout, -1); len(got) != 2 || got[0][1] != "create" || got[1][1] != "update" {
		t.Errorf("the summary has %d lines of a write against both ceilings, want create and update:\n%s", len(got), stdout)
	}
}

// TestSoakFailsPastItsBounds: a soak whose run passes but whose server's
// RSS went past RSS_BOUND in a sample exits 1 and says so, after its
// crash check. The bounds were only documented: a soak that read no
// sample against them passed every test.
func TestSoakFailsPastItsBounds(t *testing.T) {
	code, stdout, stderr := runLong(t, "soak", nil, "RSS_BOUND=1", "DURATION=2s", "INTERVAL=1s", "WARMUP=0s",
		"SAMPLE=200ms", "SETTLE=1s", "CONNECTIONS=2", "USERS=2", "POSITIONS=2", "KILL_AFTER=1")
	if code != 1 {
		t.Fatalf("scripts/soak with RSS_BOUND=1: exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"| errors during the run | 0 |",
		"past its bound of 1 MiB",
		"| acknowledged writes read back after the restart |",
		" 0 missing",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", want, stdout, stderr)
		}
	}
	if strings.Contains(stdout, "| result | pass |") {
		t.Errorf("a soak past its RSS bound passed:\n%s", stdout)
	}
}
