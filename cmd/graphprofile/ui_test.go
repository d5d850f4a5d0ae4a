package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// uiAdminToken is the admin token TestUI serves with.
const uiAdminToken = "ui-test-admin-token-0123456789"

// TestUI runs compat/js/ui.test.mjs: headless Chromium, driven by
// playwright-core, uses the web page of serve --admin-token --fixtures
// testdata/ui-fixtures.json (plain HTTP on loopback: the page and the API
// share one origin): it signs in with the development user picker,
// creates, edits and fails to save a position, sees another user's card
// without their me-only positions, pages the directory, shows the dates
// of dated items, retries a read refused with 429 or 503 (an armed fault)
// and not a write, uses the inspector, runs axe-core on
// every view and checks phone width and the keyboard. It logs the first
// render it measured, and writes screenshots of a card and the inspector
// to a temporary directory, or to docs/ with
// GRAPHPROFILE_UPDATE_SCREENSHOTS=1. It fails, never skips, when the
// browser cannot start.
func TestUI(t *testing.T) {
	t.Parallel()
	jsDir, node := jsCompat(t, "playwright-core", "axe-core")
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is not installed at %s: run `make test` (it installs Debian's chromium package) or apt-get install chromium", chromiumPath)
	}
	fixtures, err := filepath.Abs(filepath.Join("testdata", "ui-fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	extra, err := filepath.Abs(filepath.Join("testdata", "ui-fixtures-extra.json"))
	if err != nil {
		t.Fatal(err)
	}
	screenshots := t.TempDir()
	if os.Getenv("GRAPHPROFILE_UPDATE_SCREENSHOTS") == "1" {
		if screenshots, err = filepath.Abs(filepath.Join("..", "..", "docs")); err != nil {
			t.Fatal(err)
		}
	}
	s := startServe(t, t.TempDir(), listenFlag("--admin-token", uiAdminToken, "--fixtures", fixtures))

	out := runJS(t, jsDir, 180*time.Second, s.stderr.String,
		[]string{"GRAPH_BASE_URL=" + s.url, "ADMIN_TOKEN=" + uiAdminToken, "EXTRA_FIXTURES=" + extra,
			"SCREENSHOT_DIR=" + screenshots, "CHROMIUM=" + chromiumPath},
		node, "ui.test.mjs")
	t.Logf("node ui.test.mjs:\n%s", out)
	renders := regexp.MustCompile(`(?m)^FIRST_RENDER .*$`).FindAllString(out, -1)
	if len(renders) != 2 {
		t.Errorf("the page's first render was not reported (want a line for the directory and one for a card)")
	}
	for _, line := range renders {
		t.Logf("web UI first render, %s", strings.TrimPrefix(line, "FIRST_RENDER "))
	}
	for _, name := range []string{"ui-card.png", "ui-inspector.png"} {
		if info, err := os.Stat(filepath.Join(screenshots, name)); err != nil || info.Size() == 0 {
			t.Errorf("screenshot %s not written: %v", name, err)
		}
	}
	// The admin API's warning at start is expected; nothing else.
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if (strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN")) && !strings.Contains(line, `msg="admin API on`) {
			t.Errorf("serve logged a problem while the browser ran: %s", line)
		}
	}
}

// TestUIDevSignInBehindProxy: serve --trust-proxy (or
// GRAPHPROFILE_TRUST_PROXY) turns the web UI's development sign-in off:
// the config says so and both endpoints refuse, 403, a request that looks
// like the page's own from this machine, as a header-less reverse proxy's
// would. Without it the same request gets a token.
func TestUIDevSignInBehindProxy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		how       invocation
		devSignIn bool
	}{
		{"no proxy", listenFlag(), true},
		{"--trust-proxy", listenFlag("--trust-proxy"), false},
		{"GRAPHPROFILE_TRUST_PROXY", func(addr string) ([]string, []string) {
			return []string{"--listen", addr}, []string{"GRAPHPROFILE_TRUST_PROXY=true"}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, t.TempDir(), tc.how)
			config := s.do(http.MethodGet, "/ui/api/config", "", "", http.StatusOK)
			if config.body["devSignIn"] != tc.devSignIn {
				t.Errorf("config %s: want devSignIn %v", config.raw, tc.devSignIn)
			}
			want := http.StatusForbidden
			if tc.devSignIn {
				want = http.StatusOK
			}
			for _, call := range []struct{ method, path, body string }{
				{http.MethodGet, "/ui/api/dev/users", ""},
				{http.MethodPost, "/ui/api/dev/token", `{"userPrincipalName":"ada@contoso.test","displayName":"Ada"}`},
			} {
				req, err := http.NewRequest(call.method, s.url+call.path, strings.NewReader(call.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				resp, err := s.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("%s %s: %d %s, want %d", call.method, call.path, resp.StatusCode, body, want)
				}
				if !tc.devSignIn && !strings.Contains(string(body), "--trust-proxy") {
					t.Errorf("%s %s: %s does not say why (--trust-proxy)", call.method, call.path, body)
				}
			}
		})
	}
}

// TestUIDevSignInProxyLine: through a real listener, a forwarding header
// refuses the development sign-in whatever its first line holds. A proxy
// that appends its own line (HAProxy's option forwardfor) keeps the
// client's, and a client sending an empty one first must not hide it.
func TestUIDevSignInProxyLine(t *testing.T) {
	t.Parallel()
	s := startServe(t, t.TempDir(), listenFlag())
	for _, name := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		req, err := http.NewRequest(http.MethodPost, s.url+"/ui/api/dev/token", strings.NewReader(`{"userPrincipalName":"ada@contoso.test"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header[name] = []string{"", "for=203.0.113.7"} // two lines, the first empty
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || strings.Contains(string(body), "accessToken") {
			t.Errorf("%s: empty, then a proxy's: %d %.80s…, want 403", name, resp.StatusCode, body)
		}
	}
}

// TestUINextLink runs compat/js/ui-nextlink.test.mjs: the web page's
// Graph module (webui/static/session.js), in Node with the page's
// location, follows the directory's @odata.nextLink on the page's own
// server when the link names another address: serve's --public-url here,
// as the address it listens on would for a page opened at localhost or
// through a container's published port; and it reads a profile past the
// size cap whole, following its collections' nextLinks.
func TestUINextLink(t *testing.T) {
	t.Parallel()
	jsDir, node := jsCompat(t, "playwright-core")
	fixtures, err := filepath.Abs(filepath.Join("testdata", "ui-fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	const publicURL = "https://people.example.com"
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--public-url", publicURL, "--fixtures", fixtures))
	tok := mintToken(t, dir, nil, "--scopes", "User.ReadWrite User.ReadBasic.All")
	out := runJS(t, jsDir, 60*time.Second, s.stderr.String,
		[]string{"GRAPH_BASE_URL=" + s.url, "PUBLIC_URL=" + publicURL, "TOKEN=" + tok},
		node, "ui-nextlink.test.mjs")
	t.Logf("node ui-nextlink.test.mjs:\n%s", out)
}
