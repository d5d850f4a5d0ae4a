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

// TestJavaScriptRetryHandler runs compat/js/retry.test.mjs: the official
// JavaScript client's RetryHandler recovers from a 429 that serve's admin
// API armed for its first attempt, against the binary over HTTPS.
func TestJavaScriptRetryHandler(t *testing.T) {
	t.Parallel()
	jsDir, err := filepath.Abs(filepath.Join("..", "..", "compat", "js"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (%v): the JavaScript client test needs Node.js 20 or later and npm", err)
	}
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "@microsoft", "microsoft-graph-client", "package.json")); err != nil {
		t.Fatalf("the JavaScript client is not installed in compat/js/node_modules: run `make test` (it runs npm ci in compat/js)")
	}
	const adminToken = "js-retry-admin-token"
	dir := t.TempDir()
	ca := filepath.Join(dir, "graphprofile.db-ca.pem")
	s := startTLSServe(t, dir, listenFlag("--tls-self-signed", "--admin-token", adminToken), ca)
	token := mintToken(t, dir, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "retry.test.mjs")
	cmd.Dir = jsDir
	var env []string
	for _, kv := range commandEnv() {
		if !strings.HasPrefix(kv, "NODE_TLS_REJECT_UNAUTHORIZED=") && !strings.HasPrefix(kv, "NODE_EXTRA_CA_CERTS=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "NODE_EXTRA_CA_CERTS="+ca, "GRAPH_BASE_URL="+s.url+"/", "GRAPH_TOKEN="+token, "GRAPH_ADMIN_TOKEN="+adminToken)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("node retry.test.mjs did not finish within 60 s; output:\n%s", out)
	}
	if err != nil {
		t.Fatalf("node retry.test.mjs: %v; output:\n%s\nserve's log:\n%s", err, out, s.stderr.String())
	}
	t.Logf("node retry.test.mjs:\n%s", out)
}
