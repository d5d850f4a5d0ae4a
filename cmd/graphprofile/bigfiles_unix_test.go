//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeRefusesAnOversizedFixturesFileUnread: a fixtures file larger
// than serve reads (1 GiB) is refused from its size, at once, in a line
// naming the file and the limit: serve read the whole first GiB of it
// (about 2 GiB of memory and 9 s) only to refuse it.
func TestServeRefusesAnOversizedFixturesFileUnread(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk is spent on it.
	if err := f.Truncate(maxFixturesFile + 1); err != nil {
		f.Close()
		t.Skipf("no sparse file of 1 GiB here: %v", err)
	}
	f.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--store", "sqlite:x.db", "--fixtures", big)
	cmd.Dir = dir
	cmd.Env = commandEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if err == nil || !strings.Contains(stderr.String(), "big.json: larger than 1073741824 bytes") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("serve --fixtures of a file over 1 GiB: %v, stderr %q; want one line refusing it", err, stderr.String())
	}
	usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no resource usage of a child here")
	}
	maxRSS := int64(usage.Maxrss) * 1024 // KiB on Linux and the BSDs
	if runtime.GOOS == "darwin" {
		maxRSS = int64(usage.Maxrss) // bytes on macOS
	}
	if maxRSS > 256<<20 {
		t.Errorf("serve held %d MiB to refuse a fixtures file by its size; want it refused unread", maxRSS>>20)
	}
}
