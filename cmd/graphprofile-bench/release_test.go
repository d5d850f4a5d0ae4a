package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReleaseScript: scripts/release (make release) builds graphprofile
// for linux, darwin and windows on amd64 and arm64 into DIST, static
// (CGO_ENABLED=0), with the version from `git describe --tags --always
// --dirty` (or VERSION) stamped into main.version, and writes a
// SHA256SUMS that checks every file it built. The go and git it runs are
// stand-ins on PATH: the go one writes, as the "binary", the environment
// and arguments it was called with, so that what each build was asked
// for can be read back without six cross-compilations.
func TestReleaseScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to run scripts/release")
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Fatal("sha256sum (coreutils) is needed to run scripts/release")
	}
	stubs := t.TempDir()
	writeStub := func(name, script string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(stubs, name), []byte("#!/usr/bin/env bash\n"+script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeStub("go", `out=""; prev=""
for a in "$@"; do if [ "$prev" = -o ]; then out=$a; fi; prev=$a; done
printf 'CGO_ENABLED=%s GOOS=%s GOARCH=%s go %s\n' "${CGO_ENABLED-unset}" "$GOOS" "$GOARCH" "$*" >"$out"
`)
	writeStub("git", `if [ "$*" = "describe --tags --always --dirty" ]; then echo v1.2.3-4-gabcdef0-dirty; exit 0; fi
echo "git stub: unexpected: git $*" >&2; exit 1
`)
	targets := []struct{ goos, goarch string }{
		{"linux", "amd64"}, {"linux", "arm64"},
		{"darwin", "amd64"}, {"darwin", "arm64"},
		{"windows", "amd64"}, {"windows", "arm64"},
	}
	for _, tc := range []struct {
		name    string
		env     []string // beside PATH and DIST
		version string
	}{
		{name: "version from git describe", version: "v1.2.3-4-gabcdef0-dirty"},
		{name: "VERSION given", env: []string{"VERSION=v2.0.0"}, version: "v2.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dist := t.TempDir()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", "scripts", "release"))
			env := slices.DeleteFunc(cmd.Environ(), func(kv string) bool {
				return strings.HasPrefix(kv, "VERSION=") || strings.HasPrefix(kv, "TARGETS=") || strings.HasPrefix(kv, "GO=") ||
					strings.HasPrefix(kv, "CGO_ENABLED=") || strings.HasPrefix(kv, "PATH=")
			})
			cmd.Env = append(env, append(tc.env, "PATH="+stubs+string(os.PathListSeparator)+os.Getenv("PATH"), "DIST="+dist, "CGO_ENABLED=1")...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("scripts/release: %v\n%s", err, stderr.String())
			}

			var want []string
			for _, tg := range targets {
				name := "graphprofile-" + tc.version + "-" + tg.goos + "-" + tg.goarch
				if tg.goos == "windows" {
					name += ".exe"
				}
				want = append(want, name)
				built, err := os.ReadFile(filepath.Join(dist, name))
				if err != nil {
					t.Errorf("%s/%s: %v", tg.goos, tg.goarch, err)
					continue
				}
				for _, part := range []string{
					"CGO_ENABLED=0 GOOS=" + tg.goos + " GOARCH=" + tg.goarch + " go build ",
					"-X main.version=" + tc.version,
					"-o " + filepath.Join(dist, name) + " ./cmd/graphprofile",
				} {
					if !strings.Contains(string(built), part) {
						t.Errorf("%s was built as %q, which lacks %q", name, strings.TrimSpace(string(built)), part)
					}
				}
			}

			sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
			if err != nil {
				t.Fatal(err)
			}
			var summed []string
			for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
				sum, name, ok := strings.Cut(line, "  ")
				if !ok {
					t.Fatalf("SHA256SUMS line %q is not sha256sum's", line)
				}
				data, err := os.ReadFile(filepath.Join(dist, name))
				if err != nil {
					t.Errorf("SHA256SUMS names %s: %v", name, err)
					continue
				}
				if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
					t.Errorf("SHA256SUMS: %s is %s, the file's SHA-256 is %x", name, sum, got)
				}
				summed = append(summed, name)
			}
			slices.Sort(want)
			slices.Sort(summed)
			if !slices.Equal(summed, want) {
				t.Errorf("SHA256SUMS covers %v, want %v", summed, want)
			}
			entries, err := os.ReadDir(dist)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, e := range entries {
				files = append(files, e.Name())
			}
			if wantFiles := append(slices.Clone(want), "SHA256SUMS"); !slices.Equal(files, slices.Sorted(slices.Values(wantFiles))) {
				t.Errorf("dist holds %v, want %v", files, wantFiles)
			}
		})
	}
}
