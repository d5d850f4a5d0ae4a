package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jsCompat returns the absolute paths of compat/js and of node, failing t
// (never skipping: a skipped compatibility test is one nobody notices)
// unless node and each of packages are installed (make test runs npm ci
// in compat/js).
func jsCompat(t *testing.T, packages ...string) (dir, node string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "compat", "js"))
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (%v): the JavaScript tests need Node.js 20 or later and npm", err)
	}
	for _, pkg := range packages {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("%s is not installed in compat/js/node_modules: run `make test` (it runs npm ci in compat/js)", pkg)
		}
	}
	return dir, node
}

// graphClient is the official JavaScript client's package.
var graphClient = filepath.Join("@microsoft", "microsoft-graph-client")

// runJS runs `name args…` in compat/js with env added to the tests'
// environment (less the outer NODE_EXTRA_CA_CERTS and
// NODE_TLS_REJECT_UNAUTHORIZED: certificate checks stay on, and only the
// CA a test names is added), failing t when it fails or outlives timeout;
// serveLog, when not nil, is shown with a failure. It returns the output.
func runJS(t *testing.T, dir string, timeout time.Duration, serveLog func() string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	for _, kv := range commandEnv() {
		if !strings.HasPrefix(kv, "NODE_TLS_REJECT_UNAUTHORIZED=") && !strings.HasPrefix(kv, "NODE_EXTRA_CA_CERTS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	run := strings.Join(append([]string{filepath.Base(name)}, args...), " ")
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v; output:\n%s", run, timeout, out)
	}
	if err != nil {
		log := ""
		if serveLog != nil {
			log = "\nserve's log:\n" + serveLog()
		}
		t.Fatalf("%s: %v; output:\n%s%s", run, err, out, log)
	}
	return string(out)
}
