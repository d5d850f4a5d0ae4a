package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// codeBlocks returns the fenced code blocks of a markdown document by
// language, in order.
func codeBlocks(doc string) map[string][]string {
	blocks := map[string][]string{}
	lines := strings.Split(doc, "\n")
	for i := 0; i < len(lines); i++ {
		lang, ok := strings.CutPrefix(lines[i], "```")
		if !ok || lang == "" {
			continue
		}
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		blocks[lang] = append(blocks[lang], strings.Join(body, "\n"))
	}
	return blocks
}

// dedent removes one leading tab from every line.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "\t")
	}
	return strings.Join(lines, "\n")
}

// TestTestingGuide checks that every example of
// docs/testing-with-graphprofile.md is one that make test runs, as it is
// (the Go ones are graphprofiletest's TestGuide and Example, the
// JavaScript one compat/js/example.test.mjs, the CI script
// compat/js/ci-example.sh), and runs the CI script: the binary in memory
// over HTTPS, the JavaScript tests against it.
func TestTestingGuide(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	read := func(name string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	blocks := codeBlocks(read("docs/testing-with-graphprofile.md"))
	if len(blocks["go"]) != 2 || len(blocks["js"]) != 1 || len(blocks["sh"]) != 1 {
		t.Fatalf("the guide's code blocks: %d go, %d js, %d sh; want 2, 1, 1 (and this test to check any new one)", len(blocks["go"]), len(blocks["js"]), len(blocks["sh"]))
	}
	if guide := dedent(read("graphprofiletest/guide_test.go")); !strings.Contains(guide, blocks["go"][0]) {
		t.Errorf("the guide's first Go snippet is not in graphprofiletest/guide_test.go's TestGuide, as it is:\n%s", blocks["go"][0])
	}
	if example := read("graphprofiletest/example_test.go"); !strings.Contains(example, blocks["go"][1]+"\n") {
		t.Errorf("the guide's Go example is not graphprofiletest/example_test.go's Example, as it is")
	}
	if js := read("compat/js/example.test.mjs"); strings.TrimSpace(js) != blocks["js"][0] {
		t.Errorf("the guide's JavaScript example is not compat/js/example.test.mjs, as it is")
	}
	script := read("compat/js/ci-example.sh")
	if strings.TrimSpace(script) != blocks["sh"][0] {
		t.Fatalf("the guide's CI script is not compat/js/ci-example.sh, as it is")
	}

	jsDir, _ := jsCompat(t, graphClient)
	// The script calls graphprofile from PATH: this test's build. Its
	// state directory (mktemp -d) goes in tmp, which it leaves empty.
	path := "PATH=" + filepath.Dir(binary) + string(os.PathListSeparator) + os.Getenv("PATH")
	tmp := t.TempDir()
	out := runJS(t, jsDir, 90*time.Second, nil, []string{path, "GRAPH_PORT=" + freePort(t), "TMPDIR=" + tmp}, "bash", "ci-example.sh")
	for _, want := range []string{"# pass 2", "# fail 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("node --test's output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("bash ci-example.sh:\n%s", out)
	expectEmptyDir(t, tmp)

	// A server that cannot start (its port taken) ends the script at once,
	// failing, with serve's reason: it waited for the tokens for ever, and
	// left its state directory (the development CA's key, tokens) behind.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, port, _ := net.SplitHostPort(taken.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run := exec.CommandContext(ctx, "bash", "ci-example.sh")
	run.Dir = jsDir
	run.Env = append(commandEnv(), path, "GRAPH_PORT="+port, "TMPDIR="+tmp)
	failed, err := run.CombinedOutput()
	if ctx.Err() != nil || err == nil || !strings.Contains(string(failed), "address already in use") {
		t.Errorf("the script with its port taken: %v (context: %v); want it to fail at once with serve's reason; output:\n%s", err, ctx.Err(), failed)
	}
	expectEmptyDir(t, tmp)
}

// expectEmptyDir fails t unless dir is empty.
func expectEmptyDir(t *testing.T, dir string) {
	t.Helper()
	for _, name := range dirNames(t, dir) {
		t.Errorf("%s left behind in %s", name, dir)
	}
}
