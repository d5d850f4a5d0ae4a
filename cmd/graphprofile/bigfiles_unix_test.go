//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
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

// TestExportFailsCleanly: an export to FILE that fails midway (no room:
// its files may not grow past 128 KiB, as on a full disk) says so and
// leaves nothing behind, neither FILE nor a part of it: it left its
// temporary FILE.tmp, half-written, on the disk that was full.
func TestExportFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&lines, `{"id":"11111111-2222-4333-8444-%012d","displayName":"User %d","userPrincipalName":"user%d@contoso.com","jobTitle":"Engineer"}`+"\n", i, i, i)
	}
	users := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(users, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--store", "sqlite:s.db", users); r.code != 0 {
		t.Fatalf("users import: exit %d, stderr %q", r.code, r.stderr)
	}
	out := t.TempDir()
	// The limit set in a shell that then becomes graphprofile, so that
	// only the export is held to it.
	cmd := exec.Command("/bin/sh", "-c", `ulimit -f 256 && exec "$0" "$@"`, binary, "export", "--store", "sqlite:s.db", filepath.Join(out, "export.json"))
	cmd.Dir = dir
	cmd.Env = commandEnv()
	stderr, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(stderr), "export: ") {
		t.Fatalf("export with no room for the file: %v, %q; want it refused", err, stderr)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("a failed export left %s", e.Name())
	}
}
