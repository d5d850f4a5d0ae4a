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

// TestReadmeJavaScript runs README.md's JavaScript snippet as pasted into
// app.mjs (but for the port, the test server's instead of 8080), beside the
// pinned client of compat/js, against serve --tls-self-signed as the README
// runs it, and checks that it prints what the README says it prints.
func TestReadmeJavaScript(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	snippets := codeBlocks(string(readme))["js"]
	if len(snippets) != 1 {
		t.Fatalf("README.md has %d JavaScript snippets, want 1 (and this test to run any new one)", len(snippets))
	}
	const printed = "[ 'Engineer' ]" // what the README says a first run prints
	if !strings.Contains(string(readme), "prints `"+printed+"`") {
		t.Fatalf("README.md does not say the snippet prints `%s`", printed)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (%v): the JavaScript client test needs Node.js 20 or later and npm", err)
	}
	modules, err := filepath.Abs(filepath.Join(root, "compat", "js", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "@microsoft", "microsoft-graph-client", "package.json")); err != nil {
		t.Fatalf("the JavaScript client is not installed in compat/js/node_modules: run `make test` (it runs npm ci in compat/js)")
	}

	dir := t.TempDir()
	ca := filepath.Join(dir, "graphprofile.db-ca.pem")
	s := startTLSServe(t, dir, listenFlag("--tls-self-signed"), ca)
	token := mintToken(t, dir, nil)

	app := t.TempDir()
	const readmePort = "127.0.0.1:8080"
	if !strings.Contains(snippets[0], readmePort) {
		t.Fatalf("the README's snippet does not name %s:\n%s", readmePort, snippets[0])
	}
	script := strings.ReplaceAll(snippets[0], readmePort, s.addr)
	if err := os.WriteFile(filepath.Join(app, "app.mjs"), []byte(script+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// As npm install would leave it: the client in the app's node_modules.
	if err := os.Symlink(modules, filepath.Join(app, "node_modules")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "app.mjs")
	cmd.Dir = app
	var env []string
	for _, kv := range commandEnv() {
		if !strings.HasPrefix(kv, "NODE_TLS_REJECT_UNAUTHORIZED=") && !strings.HasPrefix(kv, "NODE_EXTRA_CA_CERTS=") && !strings.HasPrefix(kv, "GRAPH_TOKEN=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "NODE_EXTRA_CA_CERTS="+ca, "GRAPH_TOKEN="+token)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("node app.mjs did not finish within 60 s; stderr:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("node app.mjs: %v; stderr:\n%s\nserve's log:\n%s", err, stderr.String(), s.stderr.String())
	}
	if string(out) != printed+"\n" {
		t.Errorf("node app.mjs printed %q, want %q", out, printed+"\n")
	}
}
