//go:build unix

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// fileSizeHelperEnv holds, for TestHelperProcessFileSizeLimit, the
// database's path.
const fileSizeHelperEnv = "GRAPHPROFILE_SQLITE_FSIZE_HELPER"

// TestHelperProcessFileSizeLimit is the child process of
// TestFileSizeLimitIsUnavailable: it opens a store, may then grow no file
// past 256 KiB (RLIMIT_FSIZE, as a quota or a file size limit), writes
// until a write fails, and prints whether that failure is unavailable.
func TestHelperProcessFileSizeLimit(t *testing.T) {
	path := os.Getenv(fileSizeHelperEnv)
	if path == "" {
		t.Skip("the child process of TestFileSizeLimitIsUnavailable")
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	owner, err := s.EnsureUser(context.Background(), adele)
	if err != nil {
		fmt.Println("user:", err)
		os.Exit(3)
	}
	limit := &syscall.Rlimit{Cur: 256 << 10, Max: 256 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, limit); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(3)
	}
	for i := range 100_000 {
		err := s.CreateItem(context.Background(), owner.Key(), workPositions, storetest.Position(fmt.Sprintf("p%06d", i), storetest.Created()), 0)
		if err != nil {
			fmt.Printf("write %d failed: unavailable=%v: %v\n", i, errors.Is(err, graphprofile.ErrUnavailable), err)
			os.Exit(0)
		}
	}
	fmt.Println("no write failed")
	os.Exit(0)
}

// TestFileSizeLimitIsUnavailable: a write refused for a file size limit or
// a quota (EFBIG, EDQUOT: SQLite's SQLITE_IOERR_WRITE) is unavailable, as
// one on a full disk (SQLITE_FULL) is: answered 503 with Retry-After, not
// a 500 that clients do not retry.
func TestFileSizeLimitIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "graphprofile.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessFileSizeLimit$")
	cmd.Env = append(os.Environ(), fileSizeHelperEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "unavailable=true") {
		t.Fatalf("the helper: %v, %s; want a write that failed as unavailable", err, out)
	}
	t.Logf("%s", out)
}
