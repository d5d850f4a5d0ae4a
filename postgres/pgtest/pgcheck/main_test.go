package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/postgres/pgtest"
)

// TestMain runs main itself, as make test's postgres-check does, when
// the test below starts this test binary again with runMain set.
func TestMain(m *testing.M) {
	if os.Getenv(runMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const runMain = "GRAPHPROFILE_TEST_PGCHECK_RUN_MAIN"

// TestMakeTestStopsOnceWithoutPostgres: without PostgreSQL (no server's
// URL, no binaries), make test stops at its first prerequisite,
// postgres-check, which is this program: it exits 1 with one line saying
// how to install PostgreSQL or name a server, instead of each PostgreSQL
// test failing on its own.
func TestMakeTestStopsOnceWithoutPostgres(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join("..", "..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^test:[ \t]*(\S*)`).FindSubmatch(makefile); m == nil || string(m[1]) != "postgres-check" {
		t.Errorf("make test's first prerequisite is not postgres-check (the one message before any test runs): %q", regexp.MustCompile(`(?m)^test:.*`).Find(makefile))
	}
	if m := regexp.MustCompile(`(?m)^postgres-check:\n((?:\t.*\n)+)`).FindSubmatch(makefile); m == nil ||
		!strings.Contains(string(m[1]), "./postgres/pgtest/pgcheck") || !strings.Contains(string(m[1]), "bin/pgcheck") {
		t.Errorf("make postgres-check does not build and run ./postgres/pgtest/pgcheck")
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runMain+"=1", pgtest.EnvURL+"=", pgtest.EnvBin+"="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("pgcheck without PostgreSQL: %v, want exit status 1; stderr %q", err, stderr.String())
	}
	msg := stderr.String()
	if stdout.Len() != 0 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "make test: ") {
		t.Errorf("pgcheck without PostgreSQL wrote stdout %q, stderr %q; want one line on stderr beginning \"make test: \"", stdout.String(), msg)
	}
	for _, want := range []string{"need a PostgreSQL server", "install PostgreSQL", pgtest.EnvURL + "=postgres://"} {
		if !strings.Contains(msg, want) {
			t.Errorf("pgcheck's message %q does not say %q", msg, want)
		}
	}
}
