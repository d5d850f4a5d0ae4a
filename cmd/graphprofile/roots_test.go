package main

import (
	"crypto/x509"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// rootsHelperEnv marks the child process of TestPublicRootsWithoutSystemOnes.
const rootsHelperEnv = "GRAPHPROFILE_ROOTS_HELPER"

// TestHelperProcessRoots is the child process of
// TestPublicRootsWithoutSystemOnes: in a process that finds no system
// certificates, it prints how many roots verifying a certificate uses.
func TestHelperProcessRoots(t *testing.T) {
	if os.Getenv(rootsHelperEnv) == "" {
		t.Skip("the child process of TestPublicRootsWithoutSystemOnes")
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		println("roots: error", err.Error())
		os.Exit(0)
	}
	// Subjects, deprecated for a system pool, still counts its roots.
	println("roots:", len(pool.Subjects()))
	os.Exit(0)
}

// TestPublicRootsWithoutSystemOnes: the binary verifies https servers
// (an --issuer's discovery, --ui-client-id's sign-in, a PostgreSQL server
// with sslmode=verify-full) where the system has no certificates, as in
// the container image (FROM scratch): the public roots are built in
// (golang.org/x/crypto/x509roots/fallback), used only then. The image
// retried every https issuer for ever ("certificate signed by unknown
// authority"), and serve --ui-client-id could not start.
func TestPublicRootsWithoutSystemOnes(t *testing.T) {
	empty := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessRoots$")
	cmd.Env = append(os.Environ(), rootsHelperEnv+"=1", "SSL_CERT_FILE="+empty+"/none.pem", "SSL_CERT_DIR="+empty)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the helper: %v\n%s", err, out)
	}
	line := ""
	for l := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(l, "roots:") {
			line = l
		}
	}
	if line == "" || line == "roots: 0" || strings.HasPrefix(line, "roots: error") {
		t.Fatalf("with no system certificates: %q; want the built-in public roots\n%s", line, out)
	}
	t.Log(line)
}
