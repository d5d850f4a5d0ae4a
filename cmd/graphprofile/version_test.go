package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// versionLines runs the version command of bin and returns its "key: value"
// lines, failing on anything else.
func versionLines(t *testing.T, bin string, args ...string) (map[string]string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = commandEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("graphprofile %s: %v; stderr: %q", strings.Join(args, " "), err, stderr.String())
	}
	lines := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		key, value, ok := strings.Cut(line, ": ")
		if !ok || value == "" || lines[key] != "" {
			t.Fatalf("graphprofile %s: line %q is not a new \"key: value\"; output:\n%s", strings.Join(args, " "), line, out)
		}
		lines[key] = value
	}
	return lines, string(out)
}

// TestVersion: graphprofile version and --version print the build's
// version, the Go version and each store's driver module at the version
// go.mod requires, with the SQLite library's own version.
func TestVersion(t *testing.T) {
	t.Parallel()
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	lines, out := versionLines(t, binary, "version")
	for _, flag := range []string{"--version", "-version"} {
		if _, again := versionLines(t, binary, flag); again != out {
			t.Errorf("%s printed\n%s\nversion printed\n%s", flag, again, out)
		}
	}
	if lines["version"] == "" {
		t.Errorf("no version line:\n%s", out)
	}
	if want := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH; lines["go"] != want {
		t.Errorf("go: %q, want %q", lines["go"], want)
	}
	// Built from a git checkout, the build records its commit.
	if commit, ok := lines["commit"]; ok && !regexp.MustCompile(`^[0-9a-f]{40}( \(modified\))?$`).MatchString(commit) {
		t.Errorf("commit: %q, want 40 hex digits and maybe (modified)", commit)
	}
	for store, module := range map[string]*regexp.Regexp{
		"sqlite":   regexp.MustCompile(`^(\S+) (v\S+) \(SQLite 3\.\d+\.\d+\)$`),
		"postgres": regexp.MustCompile(`^(github\.com/jackc/pgx/v5) (v\S+)$`),
	} {
		m := module.FindStringSubmatch(lines[store])
		if m == nil {
			t.Errorf("%s: %q, want to match %s", store, lines[store], module)
			continue
		}
		if !regexp.MustCompile(`[\t ]` + regexp.QuoteMeta(m[1]+" "+m[2]) + `(\s|$)`).Match(gomod) {
			t.Errorf("%s: %s %s is not what go.mod requires", store, m[1], m[2])
		}
	}
}

// TestVersionStamped: the version make release stamps with -ldflags -X
// main.version is the one printed.
func TestVersionStamped(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "graphprofile")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	const stamped = "v9.8.7-test"
	args := []string{"build", "-o", bin, "-ldflags", "-X main.version=" + stamped}
	if raceEnabled {
		args = append(args, "-race") // the packages TestMain built, so only a link
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	lines, out := versionLines(t, bin, "--version")
	if lines["version"] != stamped {
		t.Errorf("version: %q, want %q; output:\n%s", lines["version"], stamped, out)
	}
}
