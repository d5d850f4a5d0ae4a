package graphprofile_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCIRunsMakeTest pins the set-up's promise about CI: .ci/run stops at the
// first failing command (set -e, pipefail) and runs make test, whose recipe
// runs every package's tests with the race detector.
func TestCIRunsMakeTest(t *testing.T) {
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o100 == 0 {
		t.Errorf(".ci/run is not executable (mode %v)", fi.Mode())
	}
	lines := strings.Split(string(ci), "\n")
	if !strings.HasPrefix(lines[0], "#!") || !strings.Contains(lines[0], "bash") {
		t.Errorf(".ci/run's first line is %q, want a bash shebang", lines[0])
	}
	var strict, makeTest bool
	for _, line := range lines {
		switch strings.TrimSpace(line) {
		case "set -euo pipefail":
			strict = !makeTest // before make test, or its failure is not the script's
		case "make test":
			makeTest = true
		}
	}
	if !strict || !makeTest {
		t.Errorf(".ci/run: set -euo pipefail before it %v, runs make test on a line of its own %v; want both", strict, makeTest)
	}

	recipe := makeTestRecipe(t)
	if !regexp.MustCompile(`(?m)^\t\$\(GO\) test -race [^\n]*\./\.\.\.$`).Match(recipe) {
		t.Errorf("make test's recipe runs no `go test -race … ./...`:\n%s", recipe)
	}
}

// TestJavaScriptClientPinned pins how make test gets the official Graph
// JavaScript client its TLS test runs (cmd/graphprofile
// TestGraphJavaScriptClient): compat/js/package.json names an exact version
// of @microsoft/microsoft-graph-client, package-lock.json locks that version
// with its integrity hash, and make test's recipe installs the lock file's
// packages with npm ci before it runs the tests.
func TestJavaScriptClientPinned(t *testing.T) {
	const client = "@microsoft/microsoft-graph-client"
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	data, err := os.ReadFile("compat/js/package.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatalf("compat/js/package.json: %v", err)
	}
	version := pkg.Dependencies[client]
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(version) {
		t.Errorf("compat/js/package.json: %s %q, want an exact version", client, version)
	}
	var lock struct {
		LockfileVersion int `json:"lockfileVersion"`
		Packages        map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	if data, err = os.ReadFile("compat/js/package-lock.json"); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatalf("compat/js/package-lock.json: %v", err)
	}
	locked := lock.Packages["node_modules/"+client]
	if lock.LockfileVersion < 2 || locked.Version != version || !strings.HasPrefix(locked.Integrity, "sha512-") {
		t.Errorf("compat/js/package-lock.json (lockfileVersion %d) locks %s at %q (integrity %q), want %q with a sha512 hash",
			lock.LockfileVersion, client, locked.Version, locked.Integrity, version)
	}

	recipe := makeTestRecipe(t)
	install := regexp.MustCompile(`(?m)^\t\$\(NPM\) ci --prefix compat/js\b`).FindIndex(recipe)
	tests := regexp.MustCompile(`(?m)^\t\$\(GO\) test `).FindIndex(recipe)
	if install == nil || tests == nil || install[0] > tests[0] {
		t.Errorf("make test's recipe does not run npm ci --prefix compat/js before go test:\n%s", recipe)
	}
}

// makeTestRecipe is the recipe of the Makefile's test target: its lines,
// each starting with a tab.
func makeTestRecipe(t *testing.T) []byte {
	t.Helper()
	makefile, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	recipe := regexp.MustCompile(`(?m)^test:[^\n]*\n((?:\t[^\n]*\n)+)`).FindSubmatch(makefile)
	if recipe == nil {
		t.Fatal("Makefile has no test target with a recipe")
	}
	return recipe[1]
}
