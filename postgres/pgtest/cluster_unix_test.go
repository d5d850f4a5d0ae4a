//go:build unix

package pgtest

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestThrowawayCluster pins issue 5's harness: without
// GRAPHPROFILE_TEST_POSTGRES, Start makes a cluster from the machine's
// PostgreSQL binaries (as the postgres user when run as root, which
// initdb refuses), with its data in a new temporary directory, serving on
// a loopback port; Close stops it and removes the directory.
func TestThrowawayCluster(t *testing.T) {
	t.Setenv(EnvURL, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	if !s.Local() {
		t.Fatalf("Start without %s gave an external server %s", EnvURL, s.URL())
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() || u.Port() == "" {
		t.Errorf("the cluster serves at %s, want a loopback address and port", s.URL())
	}
	if fi, err := os.Stat(filepath.Join(s.data, "PG_VERSION")); err != nil || fi.IsDir() {
		t.Errorf("no cluster in %s: %v", s.data, err)
	}
	if tmp := filepath.Clean(os.TempDir()); !strings.HasPrefix(s.base, tmp+string(filepath.Separator)) && !strings.HasPrefix(s.base, "/tmp/") {
		t.Errorf("the cluster is in %s, not in a temporary directory", s.base)
	}
	if os.Geteuid() == 0 && s.cred == nil {
		t.Error("running as root, the cluster runs as root too: initdb refuses it")
	}
	if _, err := s.CreateDatabase(ctx, RandomName("gp_pgtest_")); err != nil {
		t.Errorf("the cluster does not serve: %v", err)
	}
	base := s.base
	closed = true
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(base); !os.IsNotExist(err) {
		t.Errorf("after Close %s is still there (%v): the cluster is not removed", base, err)
	}
}
