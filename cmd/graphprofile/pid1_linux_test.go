package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondSignalAsPID1: serve as a container's first process (PID 1 of
// its namespace, where a signal's default action does nothing) ends on a
// second SIGTERM with 128+15, as anywhere else: it exited 2 there (the Go
// runtime's own exit when the signal it raised to die by was ignored).
func TestSecondSignalAsPID1(t *testing.T) {
	t.Parallel()
	if out, err := exec.Command("unshare", "--pid", "--fork", "true").CombinedOutput(); err != nil {
		t.Skipf("no PID namespace here (unshare --pid takes root): %v %s", err, out)
	}
	wrapper := filepath.Join(t.TempDir(), "serve-as-pid-1")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec unshare --pid --fork "+binary+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := startServeBinary(t, wrapper, dir, listenFlag("--drain-timeout", "30s"))
	// unshare forks serve and waits for it, exiting with its status.
	serve := childOf(t, s.cmd.Process.Pid)
	token := mintToken(t, dir, nil, delegatedArgs...)
	startSlowCreate(t, s, token) // its body never ends: the drain would last 30 s
	time.Sleep(100 * time.Millisecond)
	_ = syscall.Kill(serve, syscall.SIGTERM)
	waitStderr(t, s, "shutting down")
	_ = syscall.Kill(serve, syscall.SIGTERM)
	code, exited := s.waitExit(5 * time.Second)
	if !exited || code != 128+int(syscall.SIGTERM) {
		t.Fatalf("serve as PID 1 after a second SIGTERM: exited %v, status %d; want %d\n%s", exited, code, 128+int(syscall.SIGTERM), s.stderr.String())
	}
}

// childOf returns the process id of the one child of process parent.
func childOf(t *testing.T, parent int) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, stat := range stats {
			data, err := os.ReadFile(stat)
			if err != nil {
				continue
			}
			// pid (comm) state ppid …: comm may hold spaces, not ")".
			rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
			fields := strings.Fields(rest)
			if len(fields) > 1 && fields[1] == strconv.Itoa(parent) {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(stat)))
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d has no child", parent)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
