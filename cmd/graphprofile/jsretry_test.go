package main

import (
	"path/filepath"
	"testing"
	"time"
)

// TestJavaScriptRetryHandler runs compat/js/retry.test.mjs: the official
// JavaScript client's RetryHandler recovers from a 429 that serve's admin
// API armed for its first attempt, against the binary over HTTPS.
func TestJavaScriptRetryHandler(t *testing.T) {
	t.Parallel()
	jsDir, node := jsCompat(t, graphClient)
	const adminToken = "js-retry-admin-token"
	dir := t.TempDir()
	ca := filepath.Join(dir, "graphprofile.db-ca.pem")
	s := startTLSServe(t, dir, listenFlag("--tls-self-signed", "--admin-token", adminToken), ca)
	token := mintToken(t, dir, nil)
	out := runJS(t, jsDir, 60*time.Second, s.stderr.String,
		[]string{"NODE_EXTRA_CA_CERTS=" + ca, "GRAPH_BASE_URL=" + s.url + "/", "GRAPH_TOKEN=" + token, "GRAPH_ADMIN_TOKEN=" + adminToken},
		node, "retry.test.mjs")
	t.Logf("node retry.test.mjs:\n%s", out)
}
