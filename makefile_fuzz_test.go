package graphprofile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMakeFuzzRunsEveryTarget: `make fuzz` is the long run of the fuzz
// targets (make test replays only their seeds), so each Fuzz function of
// the module is in it, with its package's directory: a target left out is
// never fuzzed past its seeds.
func TestMakeFuzzRunsEveryTarget(t *testing.T) {
	makefile, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`-fuzz='\^(Fuzz\w+)\$\$' -fuzztime=\$\(FUZZTIME\) (\S+)`).FindAllStringSubmatch(string(makefile), -1) {
		listed[m[1]+" "+filepath.Clean(m[2])] = true
	}
	target := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
	found := 0
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" ||
			fileExists(filepath.Join(path, "go.mod"))) {
			return filepath.SkipDir // another module (compat/gosdk) has its own
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range target.FindAllStringSubmatch(string(data), -1) {
			found++
			if key := m[1] + " " + filepath.Dir(path); !listed[key] {
				t.Errorf("%s (%s) is not in make fuzz: add $(GO) test -run='^$$' -fuzz='^%s$$' -fuzztime=$(FUZZTIME) ./%s", m[1], path, m[1], filepath.ToSlash(filepath.Dir(path)))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("no fuzz target found")
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
