package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAvailable: Available is nil with a server's URL or PostgreSQL's
// binaries, and otherwise ErrNoServer, which says how to install them or
// name a server.
func TestAvailable(t *testing.T) {
	withBinaries := t.TempDir()
	for _, name := range []string{"initdb", "postgres"} {
		if err := os.WriteFile(filepath.Join(withBinaries, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	withoutBinaries := t.TempDir()
	tests := []struct {
		name    string
		url     string // EnvURL
		bin     string // EnvBin
		missing bool
	}{
		{name: "binaries", bin: withBinaries},
		{name: "no binaries", bin: withoutBinaries, missing: true},
		{name: "a server's URL", url: "postgres://postgres@127.0.0.1:1/postgres", bin: withoutBinaries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvURL, tt.url)
			t.Setenv(EnvBin, tt.bin)
			err := Available()
			if localClusters() != nil && tt.url == "" {
				// Windows: no throwaway cluster, binaries or not; only
				// a server's URL will do, which the error says.
				if !errors.Is(err, ErrNoServer) || !strings.Contains(err.Error(), EnvURL+"=postgres://") {
					t.Fatalf("Available() = %v, want ErrNoServer naming %s", err, EnvURL)
				}
				return
			}
			if !tt.missing {
				if err != nil {
					t.Fatalf("Available() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrNoServer) {
				t.Fatalf("Available() = %v, want ErrNoServer", err)
			}
			for _, want := range []string{EnvBin + "=" + withoutBinaries, "apt-get install postgresql", EnvURL + "=postgres://"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Available() = %q, which does not say %q", err, want)
				}
			}
		})
	}
}
