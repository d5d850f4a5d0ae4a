package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFlagsDocumented: every flag of every command (as its --help lists
// it) is named in README.md or a document of docs/ other than the record
// of decisions, where an operator looks for it.
func TestFlagsDocumented(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, name := range append(docs, filepath.Join(root, "README.md")) {
		if filepath.Base(name) == "decisions.md" {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		text.Write(data)
	}
	flagLine := regexp.MustCompile(`(?m)^  --([a-z-]+)`)
	flags := 0
	for _, command := range helpCommands(t) {
		r := runCLI(t, t.TempDir(), nil, append(command, "--help")...)
		if r.code != 0 {
			t.Fatalf("%s --help: exit status %d; stderr: %s", command, r.code, r.stderr)
		}
		for _, m := range flagLine.FindAllStringSubmatch(r.stdout, -1) {
			flags++
			if !regexp.MustCompile(`--` + regexp.QuoteMeta(m[1]) + `\b[^-]`).MatchString(text.String()) {
				t.Errorf("graphprofile %s --%s is in no document (README.md, docs/*.md but decisions.md)", strings.Join(command, " "), m[1])
			}
		}
	}
	if flags < 20 {
		t.Fatalf("found %d flags in the commands' --help; the pattern is wrong", flags)
	}
}

// TestVariablesDocumentedExist: every GRAPHPROFILE_ variable the documents
// name is one graphprofile reads (a flag's, or one of otherVariables), but
// for a misspelling shown as such ("… is no setting of graphprofile").
func TestVariablesDocumentedExist(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	names, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"README.md", "SECURITY.md", "DEVELOPERS.md", "BENCHMARKS.md", "Containerfile"} {
		names = append(names, filepath.Join(root, name))
	}
	known := map[string]bool{}
	for _, v := range append(append([]string{}, flagVariables...), otherVariables...) {
		known[v] = true
	}
	found := 0
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(data)), " ")
		for _, v := range variablePattern.FindAllString(text, -1) {
			found++
			if !known[v] && !strings.Contains(text, v+" is no setting of graphprofile") {
				t.Errorf("%s names %s, which graphprofile does not read", filepath.Base(name), v)
			}
		}
	}
	if found < 20 {
		t.Fatalf("found %d variables in the documents; the pattern is wrong", found)
	}
}
