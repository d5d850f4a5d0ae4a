package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestReadmeQuickStart holds README.md's set-up to what a newcomer runs: its
// first code block is the two commands of a fresh machine (serve with the
// defaults it names, and make test), and its curl walk-through, run as
// pasted in a second terminal in the server's directory (but for the
// binary under test in place of `go run ./cmd/graphprofile` and the test
// server's port in place of 8080), mints a token, creates the seed's
// position, updates it and reads it back, by id and in the list.
func TestReadmeQuickStart(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := codeBlocks(string(readme))["sh"]
	if len(blocks) < 2 {
		t.Fatalf("README.md has %d sh blocks, want the set-up and the curl walk-through", len(blocks))
	}
	commands := func(block string) []string {
		var out []string
		for _, line := range strings.Split(block, "\n") {
			if line, _, _ = strings.Cut(line, " #"); strings.TrimSpace(line) != "" {
				out = append(out, strings.TrimSpace(line))
			}
		}
		return out
	}
	if got, want := commands(blocks[0]), []string{"go run ./cmd/graphprofile serve", "make test"}; !slices.Equal(got, want) {
		t.Errorf("README.md's first sh block runs %q, want %q", got, want)
	}
	if !strings.Contains(blocks[0], "http://127.0.0.1:8080/beta") || !strings.Contains(blocks[0], "./graphprofile.db") {
		t.Errorf("README.md's first sh block does not say where serve listens and keeps its data:\n%s", blocks[0])
	}
	// The defaults the block names are serve's.
	help := runCLI(t, t.TempDir(), nil, "serve", "--help")
	for _, want := range []string{`(default "127.0.0.1:8080")`, `(default "sqlite:graphprofile.db")`} {
		if !strings.Contains(help.stdout+help.stderr, want) {
			t.Errorf("serve --help does not say %s", want)
		}
	}

	var walk string
	for _, b := range blocks[1:] {
		if strings.Contains(b, "curl") {
			walk = b
			break
		}
	}
	if n := len(commands(walk)); n != 5 {
		t.Fatalf("README.md's curl walk-through has %d commands, want 5:\n%s", n, walk)
	}
	const readmeAddr = "localhost:8080"
	if !strings.Contains(walk, readmeAddr) || !strings.Contains(walk, "@testdata/seed/create-request.json") {
		t.Fatalf("README.md's walk-through does not call %s with the seed's create body:\n%s", readmeAddr, walk)
	}
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (%v): README.md's walk-through needs bash, curl and jq", tool, err)
		}
	}

	dir := t.TempDir()
	seed, err := filepath.Abs(filepath.Join(root, "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(seed, filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, dir, listenFlag())
	script := strings.ReplaceAll(walk, "go run ./cmd/graphprofile", "'"+binary+"'")
	script = strings.ReplaceAll(script, readmeAddr, s.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = commandEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the walk-through: %v; stderr:\n%s\nserve's log:\n%s", err, stderr.String(), s.stderr.String())
	}

	// It prints the PATCH's answer, the GET's and the list's.
	dec := json.NewDecoder(bytes.NewReader(out))
	var answers []map[string]any
	for {
		var a map[string]any
		if err := dec.Decode(&a); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the walk-through printed something that is not JSON: %v\n%s", err, out)
		}
		answers = append(answers, a)
	}
	if len(answers) != 3 {
		t.Fatalf("the walk-through printed %d JSON answers, want 3 (update, get, list):\n%s", len(answers), out)
	}
	updated, got := answers[0], answers[1]
	list, _ := answers[2]["value"].([]any)
	if len(list) != 1 {
		t.Fatalf("the list holds %d positions, want the one created:\n%s", len(list), out)
	}
	listed, _ := list[0].(map[string]any)
	id, _ := got["id"].(string)
	if id == "" || updated["id"] != id || listed["id"] != id {
		t.Errorf("ids: update %v, get %v, list %v; want one position", updated["id"], got["id"], listed["id"])
	}
	for name, p := range map[string]map[string]any{"update": updated, "get": got, "list": listed} {
		if field(p, "detail.jobTitle") != "Senior Product Branding Manager II" || field(p, "detail.company.displayName") != "Adventureworks Ltd." ||
			p["isCurrent"] != true || p["allowedAudiences"] != "organization" {
			t.Errorf("the %s answer is not the seed's position as updated: %v", name, p)
		}
	}
	if ctxURL, _ := got["@odata.context"].(string); !strings.HasSuffix(ctxURL, "/profile/positions/$entity") {
		t.Errorf("the get answer's @odata.context = %q", ctxURL)
	}
	if lm, cr := got["lastModifiedDateTime"], got["createdDateTime"]; lm == nil || lm == cr {
		t.Errorf("lastModifiedDateTime %v after the update, createdDateTime %v: the update did not reach the store", lm, cr)
	}
}
