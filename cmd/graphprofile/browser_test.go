package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which `make test` installs.
const chromiumPath = "/usr/bin/chromium"

// TestBrowser runs compat/js/browser.test.mjs: headless Chromium, driven by
// playwright-core, loads a page from another origin that uses the official
// JavaScript client's browser bundle against serve --tls-self-signed
// --cors-origins <that origin>, and a page of an origin not listed is
// refused. It fails, never skips, when the browser cannot start.
func TestBrowser(t *testing.T) {
	t.Parallel()
	jsDir, node := jsCompat(t, "playwright-core", graphClient)
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is not installed at %s: run `make test` (it installs Debian's chromium package) or apt-get install chromium", chromiumPath)
	}

	pagePort := freePort(t)
	origin := "http://localhost:" + pagePort
	dir := t.TempDir()
	ca := filepath.Join(dir, "graphprofile.db-ca.pem")
	s := startTLSServe(t, dir, listenFlag("--tls-self-signed", "--cors-origins", origin), ca)
	token := mintToken(t, dir, nil)

	out := runJS(t, jsDir, 120*time.Second, s.stderr.String,
		[]string{"GRAPH_BASE_URL=" + s.url + "/", "GRAPH_TOKEN=" + token, "GRAPH_CA_FILE=" + ca, "PAGE_PORT=" + pagePort, "CHROMIUM=" + chromiumPath},
		node, "browser.test.mjs")
	t.Logf("node browser.test.mjs:\n%s", out)

	// What the page did is what the server holds.
	positions := s.list("/beta/me/profile/positions", token)
	if len(positions) != 2 {
		t.Fatalf("after the page: %d positions, want 2", len(positions))
	}
	if got := field(positions[0], "detail.jobTitle"); got != "Senior Product Branding Manager II" {
		t.Errorf("the page's first position has jobTitle %v", got)
	}
	if got := field(positions[1], "detail.jobTitle"); got != "Second position" {
		t.Errorf("the page's second position has jobTitle %v", got)
	}
	if log := s.stderr.String(); strings.Contains(log, "level=ERROR") || strings.Contains(log, "level=WARN") {
		t.Errorf("serve logged a problem while the browser ran:\n%s", log)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	_, port, err := net.SplitHostPort(freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	return port
}
