package graphprofile_test

import (
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

	makefile, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	recipe := regexp.MustCompile(`(?m)^test:[^\n]*\n((?:\t[^\n]*\n)+)`).FindSubmatch(makefile)
	if recipe == nil {
		t.Fatal("Makefile has no test target with a recipe")
	}
	if !regexp.MustCompile(`(?m)^\t\$\(GO\) test -race [^\n]*\./\.\.\.$`).Match(recipe[1]) {
		t.Errorf("make test's recipe runs no `go test -race … ./...`:\n%s", recipe[1])
	}
}
