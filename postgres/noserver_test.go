package postgres

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/postgres/pgtest"
)

// TestWithoutPostgreSQLTheTestsFail pins issue 5's "when no PostgreSQL is
// available the PostgreSQL tests fail with a message saying how to provide
// one; they do not pass silently": this package's tests, run (by their own
// binary) with neither GRAPHPROFILE_TEST_POSTGRES nor binaries to start a
// cluster from, fail, with pgtest's message naming both ways; none passes
// or is skipped for want of a server.
func TestWithoutPostgreSQLTheTestsFail(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^(TestStore|TestMigrations)$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), pgtest.EnvURL+"=", pgtest.EnvBin+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if _, failed := err.(*exec.ExitError); !failed {
		t.Fatalf("the tests without a PostgreSQL server: %v, want them to fail; output:\n%.3000s", err, out)
	}
	text := string(out)
	for _, want := range []string{"--- FAIL: TestStore", "--- FAIL: TestMigrations", pgtest.EnvURL + "=postgres://", "install PostgreSQL"} {
		if !strings.Contains(text, want) {
			t.Errorf("the output does not say %q:\n%.3000s", want, text)
		}
	}
	// Nothing passes; the only skips are the contract's own, of collections
	// that have no enum property, which skip whatever the server.
	if strings.Contains(text, "--- PASS") || strings.Count(text, "--- SKIP") != strings.Count(text, "has no enum property of its own") {
		t.Errorf("without a server some tests passed or were skipped:\n%.3000s", text)
	}
}
