package webui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/internal/logtest"
	"github.com/graphprofile/graphprofile/internal/outage"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
	"github.com/graphprofile/graphprofile/webui"
	"github.com/prometheus/client_golang/prometheus"
)

const devTenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

const wantCSP = "default-src 'self'; connect-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// fixture is a Graph server on a loopback port with the page mounted, its
// store and development issuer.
type fixture struct {
	t     *testing.T
	url   string
	store graphprofile.Store
	dev   *token.DevIssuer
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openDevTenant opens a store and a development issuer in a directory of
// t's, as serve keeps them; the store is closed when t ends.
func openDevTenant(t *testing.T) (*sqlite.Store, *token.DevIssuer) {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "graphprofile.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(dir, "devkey.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return store, dev
}

// newFixture starts a server; ui makes its page from the development
// tenant's DevSignIn (nil: no page).
func newFixture(t *testing.T, ui func(webui.DevSignIn) webui.Options) *fixture {
	t.Helper()
	store, dev := openDevTenant(t)
	f := &fixture{t: t, store: store, dev: dev}
	f.url = f.serve(ui)
	return f
}

// serve starts another server on f's store and issuer.
func (f *fixture) serve(ui func(webui.DevSignIn) webui.Options) string {
	f.t.Helper()
	srv := &graphapi.Server{
		Service:       &graphprofile.Service{Store: f.store},
		Authenticator: token.NewValidator(quietLogger(), f.dev),
		Addr:          "127.0.0.1:0",
		Logger:        quietLogger(),
	}
	if ui != nil {
		h, err := webui.NewHandler(ui(&webui.DevTenant{Issuer: f.dev, Store: f.store, TenantID: devTenant}))
		if err != nil {
			f.t.Fatal(err)
		}
		srv.UI = h
	}
	if err := srv.Open(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return srv.URL()
}

func withDevSignIn(d webui.DevSignIn) webui.Options {
	return webui.Options{DevSignIn: d, Logger: quietLogger()}
}

// fromThePage is the Fetch Metadata header a browser sends with the page's
// own fetch, which the development sign-in requires.
var fromThePage = map[string]string{"Sec-Fetch-Site": "same-origin"}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(method, path, bearer, body string, header map[string]string) response {
	f.t.Helper()
	return do(f.t, f.url, method, path, bearer, body, header)
}

func do(t *testing.T, base, method, path, bearer, body string, header map[string]string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, data}
}

// graphError checks that r is Graph's error envelope with status and code
// and returns its message.
func graphError(t *testing.T, r response, status int, code string) string {
	t.Helper()
	var env struct {
		Error struct {
			Code, Message string
			InnerError    struct {
				RequestID string `json:"request-id"`
				Date      string
			}
		}
	}
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if err := json.Unmarshal(r.body, &env); err != nil || env.Error.Code != code || env.Error.Message == "" || env.Error.InnerError.RequestID == "" || env.Error.InnerError.Date == "" {
		t.Fatalf("not Graph's error envelope with code %s: %s", code, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("error Content-Type %q", ct)
	}
	return env.Error.Message
}

// TestStaticFiles: the page's files with their Content-Type, revalidated
// against an ETag, under a strict Content-Security-Policy; GET / and /ui
// redirect to /ui/; anything else under /ui/ is Graph's 404 or 405.
func TestStaticFiles(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	tests := []struct {
		path, contentType, holds string
	}{
		{"/ui/", "text/html; charset=utf-8", `<script type="module" src="app.js">`},
		{"/ui/index.html", "text/html; charset=utf-8", `<html lang="en">`},
		{"/ui/app.js", "text/javascript; charset=utf-8", "import"},
		{"/ui/oauth.js", "text/javascript; charset=utf-8", "export async function completeSignIn"},
		{"/ui/app.css", "text/css; charset=utf-8", ":focus-visible"},
		{"/ui/favicon.svg", "image/svg+xml", "<svg"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := f.do(http.MethodGet, tc.path, "", "", nil)
			if r.status != http.StatusOK || !strings.Contains(string(r.body), tc.holds) {
				t.Fatalf("status %d, body without %q: %.200s", r.status, tc.holds, r.body)
			}
			checkHeaders(t, r, wantCSP)
			if got := r.header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := r.header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", got)
			}
			etag := r.header.Get("ETag")
			if !regexp.MustCompile(`^"[A-Za-z0-9_-]{16}"$`).MatchString(etag) {
				t.Fatalf("ETag %q", etag)
			}
			if again := f.do(http.MethodGet, tc.path, "", "", map[string]string{"If-None-Match": etag}); again.status != http.StatusNotModified || len(again.body) != 0 {
				t.Errorf("revalidated: %d with %d bytes, want 304 and none", again.status, len(again.body))
			} else if again.header.Get("ETag") != etag || again.header.Get("Cache-Control") != "no-cache" {
				// RFC 9110 15.4.5: a 304 carries the ETag and Cache-Control
				// a 200 would, or the cache keeps the old ones.
				t.Errorf("revalidated: ETag %q, Cache-Control %q; want %s and no-cache", again.header.Get("ETag"), again.header.Get("Cache-Control"), etag)
			}
			// An ETag of another binary's file (a cached module after an
			// upgrade) is not met: the new file, whole.
			for _, inm := range []string{`"stale"`, `W/"stale"`, `"stale", "older"`} {
				if got := f.do(http.MethodGet, tc.path, "", "", map[string]string{"If-None-Match": inm}); got.status != http.StatusOK || !bytes.Equal(got.body, r.body) || got.header.Get("ETag") != etag {
					t.Errorf("If-None-Match %s: %d, %d bytes, ETag %q; want 200, the file and %s", inm, got.status, len(got.body), got.header.Get("ETag"), etag)
				}
			}
			for _, inm := range []string{"W/" + etag, `"stale", ` + etag, "*"} {
				if got := f.do(http.MethodGet, tc.path, "", "", map[string]string{"If-None-Match": inm}); got.status != http.StatusNotModified {
					t.Errorf("If-None-Match %s: %d, want 304", inm, got.status)
				}
			}
			length := strconv.Itoa(len(r.body))
			if got := r.header.Get("Content-Length"); got != length {
				t.Errorf("Content-Length %q, want %s", got, length)
			}
			if head := f.do(http.MethodHead, tc.path, "", "", nil); head.status != http.StatusOK || len(head.body) != 0 || head.header.Get("Content-Type") != tc.contentType ||
				head.header.Get("Content-Length") != length || head.header.Get("ETag") != etag {
				t.Errorf("HEAD: %d, %d bytes, %q, Content-Length %q, ETag %q; want the GET's headers (Content-Length %s)", head.status, len(head.body), head.header.Get("Content-Type"), head.header.Get("Content-Length"), head.header.Get("ETag"), length)
			}
			// A file is answered whole, whatever Range asks: net/http's
			// answers to one were a plain-text 416 past the end, and a
			// multipart answer of every range asked for (19,600 one-byte
			// ranges made a 2.88 MB answer of a 78 KB head).
			whole := r.body
			for _, ranges := range []string{"bytes=999999-", "bytes=0-0", "bytes=0-0,2-2,4-4,6-6", "bytes=nonsense"} {
				got := f.do(http.MethodGet, tc.path, "", "", map[string]string{"Range": ranges})
				if got.status != http.StatusOK || !bytes.Equal(got.body, whole) || got.header.Get("Content-Type") != tc.contentType {
					t.Errorf("Range %s: %d, %d bytes of %q, want 200 and the whole file (%d bytes)", ranges, got.status, len(got.body), got.header.Get("Content-Type"), len(whole))
				}
				if ar := got.header.Get("Accept-Ranges"); ar != "" {
					t.Errorf("Range %s: Accept-Ranges %q: ranges are not served", ranges, ar)
				}
			}
			// A list split over field lines is one list (RFC 9110 5.3), as
			// the API reads it: the ETag on the second line is met.
			req, err := http.NewRequest(http.MethodGet, f.url+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Add("If-Match", `"other"`)
			req.Header.Add("If-Match", etag)
			if resp, err := http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			} else if resp.Body.Close(); resp.StatusCode != http.StatusOK {
				t.Errorf("If-Match over two lines, the second the file's ETag: %d, want 200", resp.StatusCode)
			}
			// If-Match: the file's ETag (weak too, as the API compares them)
			// or * is met; another is Graph's 412, not an empty answer
			// labelled as the file's type.
			for _, ifMatch := range []string{etag, "*", `"other", ` + etag, "W/" + etag} {
				if got := f.do(http.MethodGet, tc.path, "", "", map[string]string{"If-Match": ifMatch}); got.status != http.StatusOK || !bytes.Equal(got.body, whole) {
					t.Errorf("If-Match %s: %d, want 200 and the file", ifMatch, got.status)
				}
			}
			for _, ifMatch := range []string{`"nope"`, `W/"nope"`} {
				got := f.do(http.MethodGet, tc.path, "", "", map[string]string{"If-Match": ifMatch})
				graphError(t, got, http.StatusPreconditionFailed, "preconditionFailed")
				checkHeaders(t, got, wantCSP)
			}
		})
	}
	for _, path := range []string{"/", "/ui"} {
		for _, accept := range []string{"", "application/json", "text/html"} {
			r := f.do(http.MethodGet, path, "", "", map[string]string{"Accept": accept})
			if r.status != http.StatusFound || r.header.Get("Location") != "/ui/" {
				t.Errorf("GET %s (Accept %q): %d Location %q, want 302 /ui/", path, accept, r.status, r.header.Get("Location"))
			}
		}
	}
	// Behind a proxy serving the server under a path (--public-url
	// https://example.com/people), the browser is sent to the page there.
	prefixed := newFixture(t, func(d webui.DevSignIn) webui.Options {
		return webui.Options{DevSignIn: d, Logger: quietLogger(), BasePath: "/people/"}
	})
	for _, path := range []string{"/", "/ui"} {
		if r := prefixed.do(http.MethodGet, path, "", "", nil); r.status != http.StatusFound || r.header.Get("Location") != "/people/ui/" {
			t.Errorf("with the base path /people/, GET %s: %d Location %q, want 302 /people/ui/", path, r.status, r.header.Get("Location"))
		}
	}
	// A base path that begins with two slashes (--public-url
	// https://proxy.example.com//graph, a slip of the keyboard) made the
	// Location //graph/ui/, which a browser reads as another host's.
	doubled := newFixture(t, func(d webui.DevSignIn) webui.Options {
		return webui.Options{DevSignIn: d, Logger: quietLogger(), BasePath: "//graph"}
	})
	if r := doubled.do(http.MethodGet, "/", "", "", nil); r.status != http.StatusFound || r.header.Get("Location") != "/graph/ui/" {
		t.Errorf("with the base path //graph, GET /: %d Location %q, want 302 /graph/ui/ (a path on this host, its slashes collapsed as http.Redirect does)", r.status, r.header.Get("Location"))
	}
	for _, path := range []string{"/ui/nothing.js", "/ui/static/app.js", "/ui/../webui.go", "/ui/api/nothing", "/ui/api/"} {
		r := f.do(http.MethodGet, path, "", "", nil)
		graphError(t, r, http.StatusNotFound, "itemNotFound")
		checkHeaders(t, r, wantCSP)
	}
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPost, "/ui/", "GET, HEAD"},
		{http.MethodPost, "/ui", "GET, HEAD"},
		{http.MethodPut, "/ui", "GET, HEAD"},
		{http.MethodDelete, "/ui/app.js", "GET, HEAD"},
		{http.MethodPost, "/ui/api/config", "GET, HEAD"},
		{http.MethodGet, "/ui/api/dev/token", "POST"},
		{http.MethodPost, "/ui/api/dev/users", "GET"},
	} {
		r := f.do(tc.method, tc.path, "", "", nil)
		graphError(t, r, http.StatusMethodNotAllowed, "Request_BadRequest")
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

// checkHeaders checks the security headers every answer of the page has.
func checkHeaders(t *testing.T, r response, csp string) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Security-Policy": csp,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s %q, want %q", name, got, want)
		}
	}
}

// TestNoInlineCode: the page runs under script-src and style-src 'self'
// (default-src), so no file may carry inline script, inline style or an
// event handler attribute, and none writes HTML from strings.
func TestNoInlineCode(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	fromStrings := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function`)
	static := webui.StaticFiles()
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		if strings.HasSuffix(name, ".html") && inline.Match(data) {
			t.Errorf("%s: inline code %q", name, inline.Find(data))
		}
		if strings.HasSuffix(name, ".js") && fromStrings.Match(data) {
			t.Errorf("%s: %q makes code or HTML from strings", name, fromStrings.Find(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestModulesPreloaded: index.html preloads every module of the page, so
// the browser fetches them all at once rather than import by import.
func TestModulesPreloaded(t *testing.T) {
	static := webui.StaticFiles()
	index, err := fs.ReadFile(static, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	modules, err := fs.Glob(static, "*.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modules {
		tag := `<link rel="modulepreload" href="` + m + `">`
		if m == "app.js" {
			tag = `<script type="module" src="app.js"></script>`
		}
		if !strings.Contains(string(index), tag) {
			t.Errorf("index.html has no %s", tag)
		}
	}
}

// TestConfig: GET /ui/api/config tells the page how it may sign in, and
// an issuer's token endpoint joins the policy's connect-src.
func TestConfig(t *testing.T) {
	oauth := &webui.OAuthConfig{
		ClientID: "11111111-2222-4333-8444-555555555555", Issuer: "https://login.example.test/t/v2.0",
		AuthorizationEndpoint: "https://login.example.test/t/oauth2/v2.0/authorize",
		TokenEndpoint:         "https://login.example.test/t/oauth2/v2.0/token",
		Scope:                 "openid User.ReadWrite", RedirectURI: "http://127.0.0.1:8080/ui/",
	}
	tests := []struct {
		name    string
		options func(webui.DevSignIn) webui.Options
		want    string
		csp     string
	}{
		{"nothing", func(webui.DevSignIn) webui.Options { return webui.Options{} },
			`{"devSignIn":false,"admin":false,"oauth":null}`, wantCSP},
		{"development sign-in and the inspector", func(d webui.DevSignIn) webui.Options { return webui.Options{DevSignIn: d, Admin: true} },
			`{"devSignIn":true,"admin":true,"oauth":null}`, wantCSP},
		{"development sign-in behind a proxy", func(d webui.DevSignIn) webui.Options { return webui.Options{DevSignIn: d, TrustProxy: true} },
			`{"devSignIn":false,"admin":false,"oauth":null}`, wantCSP},
		{"an issuer", func(webui.DevSignIn) webui.Options { return webui.Options{OAuth: oauth} },
			`{"devSignIn":false,"admin":false,"oauth":{"clientId":"11111111-2222-4333-8444-555555555555","issuer":"https://login.example.test/t/v2.0","authorizationEndpoint":"https://login.example.test/t/oauth2/v2.0/authorize","tokenEndpoint":"https://login.example.test/t/oauth2/v2.0/token","scope":"openid User.ReadWrite","redirectUri":"http://127.0.0.1:8080/ui/"}}`,
			strings.Replace(wantCSP, "connect-src 'self'", "connect-src 'self' https://login.example.test/t/oauth2/v2.0/token", 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.options)
			r := f.do(http.MethodGet, "/ui/api/config", "", "", nil)
			if r.status != http.StatusOK || string(r.body) != tc.want {
				t.Errorf("config: %d %s\nwant %s", r.status, r.body, tc.want)
			}
			if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("config headers: %v", r.header)
			}
			checkHeaders(t, r, tc.csp)
			checkHeaders(t, f.do(http.MethodGet, "/ui/", "", "", nil), tc.csp)
			// HEAD is GET without the body.
			head := f.do(http.MethodHead, "/ui/api/config", "", "", nil)
			if head.status != http.StatusOK || len(head.body) != 0 || head.header.Get("Cache-Control") != "no-store" || head.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("HEAD config: %d, %d bytes, %v", head.status, len(head.body), head.header)
			}
			checkHeaders(t, head, tc.csp)
		})
	}
	for _, bad := range []string{"", "/token", "ftp://x/token", "https://user@x/token"} {
		if _, err := webui.NewHandler(webui.Options{OAuth: &webui.OAuthConfig{TokenEndpoint: bad}}); err == nil {
			t.Errorf("token endpoint %q accepted", bad)
		}
	}
	h, err := webui.NewHandler(webui.Options{OAuth: &webui.OAuthConfig{TokenEndpoint: "https://x.test/a;b,c 'd'/token?q=1"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ui/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://x.test/a%3Bb%2Cc%20%27d%27/token;") {
		t.Errorf("a token endpoint with ; , space and ' in the policy: %q", csp)
	}
}

// TestDevToken: POST /ui/api/dev/token mints what graphprofile token
// mints, for a user of the development tenant or a new one, and the
// server accepts it; GET /ui/api/dev/users lists the tenant's users.
func TestDevToken(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	mint := func(body string) response {
		t.Helper()
		return f.do(http.MethodPost, "/ui/api/dev/token", "", body, fromThePage)
	}
	var minted webui.DevToken
	r := mint(`{"userPrincipalName":"new.person@contoso.test","displayName":"New Person"}`)
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("mint a new user: %d %s %v", r.status, r.body, r.header)
	}
	if err := json.Unmarshal(r.body, &minted); err != nil || minted.AccessToken == "" || minted.ExpiresIn != 3600 {
		t.Fatalf("minted %s", r.body)
	}
	claims := jwtClaims(t, minted.AccessToken)
	if claims["tid"] != devTenant || claims["upn"] != "new.person@contoso.test" || claims["name"] != "New Person" ||
		claims["scp"] != "User.ReadWrite User.ReadBasic.All" || claims["iss"] != token.DevIssuerURL(devTenant) {
		t.Errorf("claims %v", claims)
	}
	me := f.do(http.MethodGet, "/beta/me", minted.AccessToken, "", nil)
	var user struct{ ID, DisplayName, UserPrincipalName string }
	if me.status != http.StatusOK || json.Unmarshal(me.body, &user) != nil || user.DisplayName != "New Person" || user.ID != claims["oid"] {
		t.Fatalf("GET /beta/me with the minted token: %d %s", me.status, me.body)
	}
	// The directory and another user's profile are open to it
	// (User.ReadBasic.All); its own profile is writable (User.ReadWrite).
	if r := f.do(http.MethodGet, "/beta/users", minted.AccessToken, "", nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `"id":"`+user.ID+`"`) {
		t.Errorf("GET /beta/users: %d %s, want the list with the minted user", r.status, r.body)
	}
	r = f.do(http.MethodPost, "/beta/me/profile/skills", minted.AccessToken, `{"displayName":"Go"}`, nil)
	var skill struct{ ID, DisplayName string }
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &skill) != nil || skill.DisplayName != "Go" || skill.ID == "" {
		t.Errorf("POST /beta/me/profile/skills: %d %s", r.status, r.body)
	}
	if got := f.do(http.MethodGet, "/beta/me/profile/skills/"+skill.ID, minted.AccessToken, "", nil); got.status != http.StatusOK || !strings.Contains(string(got.body), `"displayName":"Go"`) {
		t.Errorf("the created skill reads back %d %s", got.status, got.body)
	}

	// Recorded on its first request, the user is listed, and by id or by
	// principal name is the same user.
	list := f.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage)
	var users struct{ Value []webui.DevUser }
	if list.status != http.StatusOK || json.Unmarshal(list.body, &users) != nil ||
		!slices.Equal(users.Value, []webui.DevUser{{ID: user.ID, DisplayName: "New Person", UserPrincipalName: "new.person@contoso.test"}}) {
		t.Fatalf("dev users: %d %s", list.status, list.body)
	}
	for _, body := range []string{`{"userId":"` + user.ID + `"}`, `{"userPrincipalName":"NEW.person@contoso.test"}`} {
		r := mint(body)
		if r.status != http.StatusOK || json.Unmarshal(r.body, &minted) != nil || jwtClaims(t, minted.AccessToken)["oid"] != user.ID || jwtClaims(t, minted.AccessToken)["name"] != "New Person" {
			t.Errorf("mint %s: %d %s, want a token of %s, New Person", body, r.status, r.body, user.ID)
		}
	}

	for _, tc := range []struct {
		name, body, contentType string
		status                  int
		code                    string
	}{
		{"an unknown id", `{"userId":"00000000-0000-4000-8000-000000000000"}`, "", 404, "Request_ResourceNotFound"},
		{"a principal name as id", `{"userId":"new.person@contoso.test"}`, "", 404, "Request_ResourceNotFound"},
		{"nobody", `{}`, "", 400, "BadRequest"},
		{"both", `{"userId":"` + user.ID + `","userPrincipalName":"x@y"}`, "", 400, "BadRequest"},
		{"an id with a display name", `{"userId":"` + user.ID + `","displayName":"Someone Else"}`, "", 400, "BadRequest"},
		// No id holds an '@': a name without one is no principal name,
		// even when it is a user's id.
		{"a user's id as a principal name", `{"userPrincipalName":"` + user.ID + `"}`, "", 400, "BadRequest"},
		{"not a principal name", `{"userPrincipalName":"no at sign"}`, "", 400, "BadRequest"},
		// What POST /users refuses of a principal name, the sign-in refuses.
		{"a principal name with a slash", `{"userPrincipalName":"a/b@contoso.test"}`, "", 400, "BadRequest"},
		{"a principal name with a backslash", `{"userPrincipalName":"a\\b@contoso.test"}`, "", 400, "BadRequest"},
		{"a principal name with a no-break space", `{"userPrincipalName":"ada\u00a0l@contoso.test"}`, "", 400, "BadRequest"},
		{"a principal name with a zero-width space", `{"userPrincipalName":"ada\u200bl@contoso.test"}`, "", 400, "BadRequest"},
		{"a principal name over 113 characters", `{"userPrincipalName":"` + strings.Repeat("a", 101) + `@contoso.test"}`, "", 400, "BadRequest"},
		{"a display name over 256 characters", `{"userPrincipalName":"long.name@contoso.test","displayName":"` + strings.Repeat("é", 257) + `"}`, "", 400, "BadRequest"},
		{"an unknown property", `{"user":"x"}`, "", 400, "BadRequest"},
		{"two objects", `{"userId":"a"}{}`, "", 400, "BadRequest"},
		{"not JSON", `userId=x`, "application/x-www-form-urlencoded", 415, "unsupportedMediaType"},
		{"too large", `{"displayName":"` + strings.Repeat("x", 5000) + `"}`, "", 413, "requestEntityTooLarge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := map[string]string{"Sec-Fetch-Site": "same-origin"}
			if tc.contentType != "" {
				header["Content-Type"] = tc.contentType
			}
			graphError(t, f.do(http.MethodPost, "/ui/api/dev/token", "", tc.body, header), tc.status, tc.code)
		})
	}

	// The body is read as strictly as every other body of the server
	// (Graph's, the admin API's, a $batch's): a name twice is not "the
	// last wins", and a name that is not UTF-8 is not changed into
	// another one (U+FFFD) and minted.
	for _, tc := range []struct{ name, body, message string }{
		{"a property twice", `{"userPrincipalName":"twice@contoso.test","displayName":"A","displayName":"B"}`, "'displayName' appears more than once"},
		{"a property twice, in two spellings", `{"userId":"` + user.ID + `","UserId":""}`, "appears more than once"},
		{"invalid UTF-8", "{\"userPrincipalName\":\"utf8@contoso.test\",\"displayName\":\"A\xffB\"}", "UTF-8"},
		{"a number for a name", `{"userId":1}`, "userId"},
		{"nobody, by its message", `{}`, "Name the user"},
		{"an empty name", `{"userPrincipalName":"  "}`, "Name the user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mint(tc.body)
			graphError(t, r, http.StatusBadRequest, "BadRequest")
			if !strings.Contains(string(r.body), tc.message) {
				t.Errorf("%s: %s, want a message saying %q", tc.body, r.body, tc.message)
			}
		})
	}
	list = f.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage)
	if json.Unmarshal(list.body, &users) != nil || len(users.Value) != 1 {
		t.Errorf("after the refused bodies, dev users: %s; want the one user", list.body)
	}
}

// jwtClaims decodes a JWT's payload, unchecked.
func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err != nil || json.Unmarshal(data, &claims) != nil {
		t.Fatalf("JWT payload %q", parts[1])
	}
	return claims
}

// TestDevSignInLoopbackOnly: the development sign-in is refused, 403 with
// Graph's envelope, to any client not on the server's machine, through a
// proxy, by a name that is not a loopback one, from another origin, and
// when the development issuer is not trusted.
func TestDevSignInLoopbackOnly(t *testing.T) {
	store, dev := openDevTenant(t)
	on, err := webui.NewHandler(webui.Options{DevSignIn: &webui.DevTenant{Issuer: dev, Store: store, TenantID: devTenant}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	off, err := webui.NewHandler(webui.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const body = `{"userPrincipalName":"ada@contoso.test"}`
	tests := []struct {
		name       string
		handler    http.Handler
		remoteAddr string
		host       string
		header     map[string]string
		status     int
	}{
		{"IPv4 loopback", on, "127.0.0.1:50000", "127.0.0.1:8080", nil, 200},
		{"IPv6 loopback", on, "[::1]:50000", "[::1]:8080", nil, 200},
		{"localhost, from the page", on, "127.0.0.1:50000", "localhost:8080", map[string]string{"Origin": "http://localhost:8080"}, 200},
		{"another loopback address", on, "127.1.2.3:50000", "127.0.0.1:8080", nil, 200},
		{"the page over https (--tls-self-signed)", on, "127.0.0.1:50000", "localhost:8443", map[string]string{"Origin": "https://localhost:8443"}, 200},
		{"localhost without a port", on, "127.0.0.1:50000", "localhost", nil, 200},
		{"the IPv6 loopback without a port", on, "[::1]:50000", "[::1]", nil, 200},
		{"LOCALHOST in capitals", on, "127.0.0.1:50000", "LOCALHOST:8080", nil, 200},
		{"localhost, fully qualified", on, "127.0.0.1:50000", "localhost.:8080", nil, 200},
		{"a name under localhost (RFC 6761)", on, "127.0.0.1:50000", "app.localhost:8080", nil, 200},
		{"a name that only ends in localhost", on, "127.0.0.1:50000", "evillocalhost:8080", nil, 403},
		{"a name that only begins with localhost", on, "127.0.0.1:50000", "localhost.evil.example:8080", nil, 403},
		{"the page at another port", on, "127.0.0.1:50000", "localhost:8080", map[string]string{"Origin": "http://localhost:9999"}, 403},
		{"another machine", on, "203.0.113.7:50000", "127.0.0.1:8080", nil, 403},
		{"another machine by IPv6", on, "[2001:db8::7]:50000", "[::1]:8080", nil, 403},
		{"the container's address", on, "172.17.0.1:50000", "172.17.0.2:8080", nil, 403},
		{"through a proxy (X-Forwarded-For)", on, "127.0.0.1:50000", "127.0.0.1:8080", map[string]string{"X-Forwarded-For": "203.0.113.7"}, 403},
		{"through a proxy (Forwarded)", on, "127.0.0.1:50000", "127.0.0.1:8080", map[string]string{"Forwarded": "for=203.0.113.7"}, 403},
		{"a name rebound to the loopback", on, "127.0.0.1:50000", "evil.example:8080", nil, 403},
		{"a page of another origin", on, "127.0.0.1:50000", "127.0.0.1:8080", map[string]string{"Origin": "http://evil.example"}, 403},
		{"the development issuer not trusted", off, "127.0.0.1:50000", "127.0.0.1:8080", nil, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/ui/api/dev/token", "/ui/api/dev/users"} {
				method := http.MethodGet
				var reqBody io.Reader
				if strings.HasSuffix(path, "token") {
					method, reqBody = http.MethodPost, strings.NewReader(body)
				}
				req := httptest.NewRequest(method, path, reqBody)
				req.RemoteAddr = tc.remoteAddr
				req.Host = tc.host
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Sec-Fetch-Site", "same-origin") // as the page's fetch: the row's difference is what is refused
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				tc.handler.ServeHTTP(rec, req)
				r := response{rec.Code, rec.Header(), rec.Body.Bytes()}
				if tc.status == http.StatusOK {
					if r.status != http.StatusOK {
						t.Errorf("%s: %d %s, want 200", path, r.status, r.body)
					}
					checkDevAnswer(t, path, r, "ada@contoso.test")
					continue
				}
				msg := graphError(t, r, http.StatusForbidden, "Authorization_RequestDenied")
				if !strings.Contains(msg, "Paste a token instead") {
					t.Errorf("%s: message %q does not say what to do instead", path, msg)
				}
				if strings.Contains(string(r.body), "accessToken") {
					t.Errorf("%s: a refusal with a token: %s", path, r.body)
				}
			}
		})
	}
}

// TestDevSignInProxyHeaderPresent: a forwarding header gives a proxy away
// whatever its first value. A client of a proxy that appends its header
// as a line of its own (HAProxy's option forwardfor) can send an empty one
// first, which Header.Get reads as no header: it must still be refused.
func TestDevSignInProxyHeaderPresent(t *testing.T) {
	store, dev := openDevTenant(t)
	h, err := webui.NewHandler(webui.Options{DevSignIn: &webui.DevTenant{Issuer: dev, Store: store, TenantID: devTenant}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		for _, values := range [][]string{{"", "203.0.113.7"}, {" ", "for=203.0.113.7"}, {""}} {
			for _, path := range []string{"/ui/api/dev/token", "/ui/api/dev/users"} {
				method := http.MethodGet
				var reqBody io.Reader
				if strings.HasSuffix(path, "token") {
					method, reqBody = http.MethodPost, strings.NewReader(`{"userPrincipalName":"ada@contoso.test"}`)
				}
				req := httptest.NewRequest(method, path, reqBody)
				req.RemoteAddr, req.Host = "127.0.0.1:50000", "127.0.0.1:8080"
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				req.Header[name] = values // as net/http reads the header lines
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				r := response{rec.Code, rec.Header(), rec.Body.Bytes()}
				if r.status != http.StatusForbidden || strings.Contains(string(r.body), "accessToken") {
					t.Errorf("%s: %s %q: %d %.60s…, want 403", path, name, values, r.status, r.body)
					continue
				}
				graphError(t, r, http.StatusForbidden, "Authorization_RequestDenied")
			}
		}
	}
}

// TestDevSignInFromThePageOnly: over HTTP from the loopback, the
// development sign-in answers only what a browser sends with the page's own
// fetch, Sec-Fetch-Site: same-origin. Without it (curl, a client behind a
// header-less proxy, a browser without Fetch Metadata), from a page of
// another site, of a sibling site or typed into the address bar: 403.
func TestDevSignInFromThePageOnly(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	const body = `{"userPrincipalName":"ada@contoso.test","displayName":"Ada"}`
	tests := []struct {
		name      string
		fetchSite string // "" sends no Sec-Fetch-Site
		status    int
	}{
		{"the page's fetch", "same-origin", http.StatusOK},
		{"no Sec-Fetch-Site", "", http.StatusForbidden},
		{"another site's page", "cross-site", http.StatusForbidden},
		{"a sibling site's page", "same-site", http.StatusForbidden},
		{"typed into the address bar", "none", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			header := map[string]string{}
			if tc.fetchSite != "" {
				header["Sec-Fetch-Site"] = tc.fetchSite
			}
			for _, r := range []response{
				f.do(http.MethodGet, "/ui/api/dev/users", "", "", header),
				f.do(http.MethodPost, "/ui/api/dev/token", "", body, header),
			} {
				if tc.status == http.StatusOK {
					if r.status != http.StatusOK {
						t.Errorf("%d %s, want 200", r.status, r.body)
					}
					checkDevAnswer(t, map[bool]string{true: "/ui/api/dev/token", false: "/ui/api/dev/users"}[strings.Contains(string(r.body), "accessToken")], r, "ada@contoso.test")
					continue
				}
				msg := graphError(t, r, http.StatusForbidden, "Authorization_RequestDenied")
				if !strings.Contains(msg, "Sec-Fetch-Site: same-origin") || !strings.Contains(msg, "Paste a token instead") {
					t.Errorf("message %q: want the header it needs and what to do instead", msg)
				}
				if strings.Contains(string(r.body), "accessToken") {
					t.Errorf("a refusal with a token: %s", r.body)
				}
			}
		})
	}
}

// TestDevSignInOffBehindProxy: with TrustProxy (serve --trust-proxy) the
// development sign-in is off even for a request that passes every other
// check (loopback, no forwarding header, a loopback Host, the page's
// fetch), since a proxy on the same machine that adds no header looks like
// exactly that; the page is told not to offer it.
func TestDevSignInOffBehindProxy(t *testing.T) {
	f := newFixture(t, func(d webui.DevSignIn) webui.Options {
		return webui.Options{DevSignIn: d, TrustProxy: true, Logger: quietLogger()}
	})
	for _, r := range []response{
		f.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage),
		f.do(http.MethodPost, "/ui/api/dev/token", "", `{"userPrincipalName":"ada@contoso.test","displayName":"Ada"}`, fromThePage),
	} {
		msg := graphError(t, r, http.StatusForbidden, "Authorization_RequestDenied")
		if !strings.Contains(msg, "--trust-proxy") || !strings.Contains(msg, "Paste a token instead") {
			t.Errorf("message %q: want why (--trust-proxy) and what to do instead", msg)
		}
	}
	if r := f.do(http.MethodGet, "/ui/api/config", "", "", nil); string(r.body) != `{"devSignIn":false,"admin":false,"oauth":null}` {
		t.Errorf("config %s: want devSignIn false", r.body)
	}
}

// TestGraphUnchanged: with the page mounted, every Graph path answers as
// without it, and the page's paths are no Graph paths: the same store,
// issuer and requests, on a server with the page and one without.
func TestGraphUnchanged(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	without := f.serve(nil)
	tok, err := f.dev.Mint(token.MintRequest{TenantID: devTenant, ObjectID: "a0a0a0a0-1111-4111-8111-000000000001", UserPrincipalName: "ada@contoso.test", DisplayName: "Ada", Scopes: []string{"User.ReadWrite.All"}})
	if err != nil {
		t.Fatal(err)
	}
	created := f.do(http.MethodPost, "/beta/me/profile/positions", tok, `{"detail":{"jobTitle":"Analyst"}}`, nil)
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	volatile := regexp.MustCompile(`"(request-id|client-request-id|date)":"[^"]*"`)
	for _, tc := range []struct{ method, path, bearer string }{
		{http.MethodGet, "/beta/me", tok},
		{http.MethodGet, "/beta/me/profile", tok},
		{http.MethodGet, "/beta/me/profile/positions", tok},
		{http.MethodGet, "/beta/users?$select=id,displayName", tok},
		{http.MethodGet, "/beta/$metadata", ""},
		{http.MethodGet, "/v1.0/", ""},
		{http.MethodGet, "/beta/me", ""},
		{http.MethodPost, "/", ""},
		{http.MethodDelete, "/", tok},
		{http.MethodGet, "/uix", ""},
		{http.MethodGet, "/beta/ui", tok},
		{http.MethodGet, "/beta/ui/api/config", tok},
		{http.MethodGet, "/v1.0/users/ui", tok},
		{http.MethodOptions, "/beta/me", ""},
	} {
		with := f.do(tc.method, tc.path, tc.bearer, "", nil)
		plain := do(t, without, tc.method, tc.path, tc.bearer, "", nil)
		a := volatile.ReplaceAll([]byte(strings.ReplaceAll(string(with.body), f.url, "BASE")), nil)
		b := volatile.ReplaceAll([]byte(strings.ReplaceAll(string(plain.body), without, "BASE")), nil)
		if with.status != plain.status || string(a) != string(b) || with.header.Get("Content-Type") != plain.header.Get("Content-Type") {
			t.Errorf("%s %s with the page: %d %s\nwithout: %d %s", tc.method, tc.path, with.status, with.body, plain.status, plain.body)
		}
		if with.header.Get("Content-Security-Policy") != "" {
			t.Errorf("%s %s: a Graph answer with the page's policy", tc.method, tc.path)
		}
	}
	// Without the page, its paths are Graph's 400.
	for _, path := range []string{"/", "/ui/", "/ui/api/config"} {
		if r := do(t, without, http.MethodGet, path, "", "", nil); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Invalid version") {
			t.Errorf("GET %s without the page: %d %s", path, r.status, r.body)
		}
	}
}

// TestDevTokenExistingNameBeyondASCII: the sign-in by name reaches a user
// already in the directory whose principal name POST /users would not take
// now (one an issuer's sign-in recorded, or stored before the rule): only a
// new user's name is held to the rule.
func TestDevTokenExistingNameBeyondASCII(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	const upn = "zo\u00eb@contoso.test"
	zoe := graphprofile.User{TenantID: devTenant, ID: graphprofile.NewGUID(), UserPrincipalName: upn, DisplayName: "Zo\u00eb"}
	if err := f.store.CreateUser(context.Background(), zoe); err != nil {
		t.Fatal(err)
	}
	r := f.do(http.MethodPost, "/ui/api/dev/token", "", `{"userPrincipalName":"ZO\u00cb@contoso.test"}`, fromThePage)
	var minted webui.DevToken
	if r.status != http.StatusOK || json.Unmarshal(r.body, &minted) != nil || jwtClaims(t, minted.AccessToken)["oid"] != zoe.ID {
		t.Fatalf("mint for %s: %d %s", upn, r.status, r.body)
	}
	// A new user's is held to it.
	graphError(t, f.do(http.MethodPost, "/ui/api/dev/token", "", `{"userPrincipalName":"ren\u00e9e@contoso.test","displayName":"Ren\u00e9e"}`, fromThePage),
		http.StatusBadRequest, "BadRequest")
}

// TestDevTokenNewUserOnce: tokens minted for one new principal name before
// any of them reached the server (two tabs signing in, a double click)
// are one user's, with that principal name, not one user per token (the
// later ones recorded without a principal name, since the first took it).
func TestDevTokenNewUserOnce(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	const n = 6
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := f.do(http.MethodPost, "/ui/api/dev/token", "", `{"userPrincipalName":"twice@contoso.test","displayName":"Twice"}`, fromThePage)
			var minted webui.DevToken
			if r.status != http.StatusOK || json.Unmarshal(r.body, &minted) != nil {
				t.Errorf("mint: %d %s", r.status, r.body)
			}
			tokens[i] = minted.AccessToken
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	oid := jwtClaims(t, tokens[0])["oid"]
	for i, tok := range tokens {
		if got := jwtClaims(t, tok)["oid"]; got != oid {
			t.Errorf("token %d is of user %v, token 0 of %v", i, got, oid)
		}
		me := f.do(http.MethodGet, "/beta/me", tok, "", nil)
		var user struct{ ID, UserPrincipalName string }
		if me.status != http.StatusOK || json.Unmarshal(me.body, &user) != nil || user.ID != oid || user.UserPrincipalName != "twice@contoso.test" {
			t.Errorf("GET /beta/me with token %d: %d %s", i, me.status, me.body)
		}
	}
	list := f.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage)
	var users struct{ Value []webui.DevUser }
	if json.Unmarshal(list.body, &users) != nil || len(users.Value) != 1 {
		t.Errorf("dev users: %d %s", list.status, list.body)
	}
}

// TestDevTokenLogged: each development token minted is logged with the
// user it is for, by the token's oid and principal name, also when the
// page asked by principal name (the log named no user id then, so a new
// user's id was nowhere in the log).
func TestDevTokenLogged(t *testing.T) {
	var log logtest.Buffer
	f := newFixture(t, func(d webui.DevSignIn) webui.Options {
		return webui.Options{DevSignIn: d, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	})
	var minted webui.DevToken
	r := f.do(http.MethodPost, "/ui/api/dev/token", "", `{"userPrincipalName":"Logged.One@contoso.test","displayName":"Logged One"}`, fromThePage)
	if r.status != http.StatusOK || json.Unmarshal(r.body, &minted) != nil {
		t.Fatalf("mint: %d %s", r.status, r.body)
	}
	claims := jwtClaims(t, minted.AccessToken)
	line := log.String()
	for _, want := range []string{`msg="web UI: development token minted"`, "user-id=" + claims["oid"].(string), "upn=Logged.One@contoso.test"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q: want %s", line, want)
		}
	}
}

// downStore is a store whose database is unreachable: every read of the
// directory fails with an error a retry may cure.
type downStore struct{ graphprofile.Store }

func (downStore) ScanUsersByName(context.Context, string, string, bool, *graphprofile.NamePosition, func(graphprofile.User) (bool, error)) error {
	return fmt.Errorf("connecting to the database: %w", graphprofile.ErrUnavailable)
}

func (downStore) FindUser(context.Context, string, string) (graphprofile.User, error) {
	return graphprofile.User{}, fmt.Errorf("connecting to the database: %w", graphprofile.ErrUnavailable)
}

// TestDevSignInStoreUnavailable: while the store cannot be reached the
// development sign-in answers as Graph's API does then, 503
// serviceNotAvailable with Retry-After (a retry may cure it), not a 500.
// The page calls it on every load, so each failure is a debug line; the
// outage is told by the store as serve wires it (internal/outage): one
// ERROR line saying why, not one per request.
func TestDevSignInStoreUnavailable(t *testing.T) {
	var log logtest.Buffer
	logger := slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, func(d webui.DevSignIn) webui.Options {
		tenant := *d.(*webui.DevTenant)
		tenant.Store = outage.NewStore(downStore{tenant.Store}, logger)
		return webui.Options{DevSignIn: &tenant, Logger: logger}
	})
	const rounds = 5
	for range rounds {
		for _, r := range []response{
			f.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage),
			f.do(http.MethodPost, "/ui/api/dev/token", "", `{"userPrincipalName":"down@contoso.test"}`, fromThePage),
		} {
			graphError(t, r, http.StatusServiceUnavailable, "serviceNotAvailable")
			if got := r.header.Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After %q, want 1", got)
			}
		}
	}
	var errorLines []string
	debug := 0
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch m["level"] {
		case "ERROR", "WARN":
			errorLines = append(errorLines, line)
		case "DEBUG":
			if m["msg"] == "web UI request failed" && m["request-id"] != nil && strings.Contains(fmt.Sprint(m["err"]), "store unavailable") {
				debug++
			}
		}
	}
	if len(errorLines) != 1 || !strings.Contains(errorLines[0], `"msg":"store unavailable"`) || !strings.Contains(errorLines[0], "connecting to the database") {
		t.Errorf("ERROR and WARN lines for %d failed requests: %q; want one, the store's, saying why", 2*rounds, errorLines)
	}
	if debug != 2*rounds {
		t.Errorf("%d debug lines of failed requests, want %d", debug, 2*rounds)
	}
}

// checkDevAnswer checks a 200 of the development sign-in: a token of upn
// from /ui/api/dev/token, a list of the tenant's users from
// /ui/api/dev/users.
func checkDevAnswer(t *testing.T, path string, r response, upn string) {
	t.Helper()
	if r.status != http.StatusOK {
		return
	}
	if strings.HasSuffix(path, "/token") {
		var minted webui.DevToken
		if err := json.Unmarshal(r.body, &minted); err != nil || minted.ExpiresIn != 3600 || jwtClaims(t, minted.AccessToken)["upn"] != upn {
			t.Errorf("%s: %s, want a token of %s", path, r.body, upn)
		}
		return
	}
	var users struct{ Value []webui.DevUser }
	if err := json.Unmarshal(r.body, &users); err != nil || users.Value == nil {
		t.Errorf("%s: %s, want the users' list", path, r.body)
	}
}

// TestDevUsersFirstByName: a development tenant bigger than the picker
// lists the first users by display name, not whichever the store keeps
// first (by id), and says that there are more: the picker then tells the
// user to name anyone else below it.
func TestDevUsersFirstByName(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	// Ids in the reverse of the names' order: by id, the last names
	// would be listed and Aaron, Abby… left out.
	const n = 520
	users := make([]graphprofile.User, n)
	for i := range users {
		users[i] = graphprofile.User{
			ID:                fmt.Sprintf("00000000-0000-4000-8000-%012d", n-i),
			DisplayName:       fmt.Sprintf("Person %03d", i),
			UserPrincipalName: fmt.Sprintf("person%03d@contoso.test", n-i), // by principal name, the last names first too
			TenantID:          devTenant,
		}
	}
	if err := f.store.ImportUsers(context.Background(), devTenant, users); err != nil {
		t.Fatal(err)
	}
	list := f.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage)
	var got struct {
		Value []webui.DevUser
		More  bool
	}
	if list.status != http.StatusOK || json.Unmarshal(list.body, &got) != nil {
		t.Fatalf("dev users: %d %s", list.status, list.body)
	}
	if len(got.Value) != 500 || !got.More {
		t.Fatalf("dev users: %d listed, more %v; want 500 and more", len(got.Value), got.More)
	}
	for i, u := range got.Value {
		if u.DisplayName != users[i].DisplayName || u.ID != users[i].ID {
			t.Fatalf("dev user %d is %+v, want %s (%s): the first by name", i, u, users[i].DisplayName, users[i].ID)
		}
	}
	// A tenant of exactly as many users as the picker lists is listed
	// whole, with no more; one more user is more.
	exact := newFixture(t, withDevSignIn)
	if err := exact.store.ImportUsers(context.Background(), devTenant, users[:500]); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		users int
		more  bool
	}{{500, false}, {501, true}} {
		if want.users == 501 {
			if err := exact.store.CreateUser(context.Background(), users[500]); err != nil {
				t.Fatal(err)
			}
		}
		list = exact.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage)
		got.Value, got.More = nil, !want.more
		if list.status != http.StatusOK || json.Unmarshal(list.body, &got) != nil || len(got.Value) != 500 || got.More != want.more {
			t.Errorf("dev users of a tenant of %d: %d, %d listed, more %v; want 500 listed, more %v", want.users, list.status, len(got.Value), got.More, want.more)
		}
	}
	// A tenant the picker holds whole says there are no more.
	small := newFixture(t, withDevSignIn)
	if err := small.store.ImportUsers(context.Background(), devTenant, users[:3]); err != nil {
		t.Fatal(err)
	}
	list = small.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage)
	got.More = true
	if list.status != http.StatusOK || json.Unmarshal(list.body, &got) != nil || len(got.Value) != 3 || got.More ||
		got.Value[0].DisplayName != "Person 000" || got.Value[2].DisplayName != "Person 002" || got.Value[0].UserPrincipalName != "person520@contoso.test" {
		t.Fatalf("dev users of a small tenant: %d %s; want its 3 users by name and no more", list.status, list.body)
	}
}

// TestDevTokenLimits: what POST /ui/api/dev/token takes at its limits: a
// body of 4 KiB (one byte more is 413), a display name of 256 characters
// and a principal name of 113, as POST /users takes them; names trimmed
// of the spaces around them; a new user named by principal name alone
// takes its display name from it, enabled, as the server records a
// caller.
func TestDevTokenLimits(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	padded := func(body string, size int) string { return body + strings.Repeat(" ", size-len(body)) }
	name256 := strings.Repeat("é", 256)
	// 64 characters before the '@' and 48 after, the most Entra ID's
	// username policies allow.
	upn113 := strings.Repeat("a", 64) + "@" + strings.Repeat("c", 35) + ".contoso.test"
	tests := []struct {
		name, body string
		status     int
		upn, named string // of the token, when 200
	}{
		{"a body of 4 KiB", padded(`{"userPrincipalName":"four.kib@contoso.test","displayName":"Four"}`, 4096), 200, "four.kib@contoso.test", "Four"},
		{"a body one byte over 4 KiB", padded(`{"userPrincipalName":"four.kib@contoso.test","displayName":"Four"}`, 4097), 413, "", ""},
		{"a display name of 256 characters", `{"userPrincipalName":"long.name@contoso.test","displayName":"` + name256 + `"}`, 200, "long.name@contoso.test", name256},
		{"a principal name of 113 characters", `{"userPrincipalName":"` + upn113 + `","displayName":"A"}`, 200, upn113, "A"},
		{"names with spaces around them", `{"userPrincipalName":"  spaced@contoso.test\t","displayName":" Spaced Out "}`, 200, "spaced@contoso.test", "Spaced Out"},
		{"a principal name alone", `{"userPrincipalName":"grace.h@contoso.test"}`, 200, "grace.h@contoso.test", "grace.h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(http.MethodPost, "/ui/api/dev/token", "", tc.body, fromThePage)
			if tc.status != http.StatusOK {
				graphError(t, r, tc.status, "requestEntityTooLarge")
				return
			}
			var minted webui.DevToken
			if r.status != http.StatusOK || json.Unmarshal(r.body, &minted) != nil {
				t.Fatalf("%d %.200s, want 200 and a token", r.status, r.body)
			}
			claims := jwtClaims(t, minted.AccessToken)
			if claims["upn"] != tc.upn || claims["name"] != tc.named {
				t.Errorf("token of upn %q, name %q; want %q, %q", claims["upn"], claims["name"], tc.upn, tc.named)
			}
			me := f.do(http.MethodGet, "/beta/me?$select=id,displayName,userPrincipalName,accountEnabled", minted.AccessToken, "", nil)
			var user struct {
				ID, DisplayName, UserPrincipalName string
				AccountEnabled                     *bool
			}
			if me.status != http.StatusOK || json.Unmarshal(me.body, &user) != nil || user.ID != claims["oid"] || user.DisplayName != tc.named ||
				user.UserPrincipalName != tc.upn || user.AccountEnabled == nil || !*user.AccountEnabled {
				t.Errorf("GET /beta/me: %d %.300s; want the user %s (%s), enabled", me.status, me.body, tc.upn, tc.named)
			}
		})
	}
}

// TestPageErrorIDs: the page's errors carry their request's ids as Graph's
// do: a new request-id each, in the header and the envelope, and the
// client's client-request-id echoed (the request-id when it sent none).
func TestPageErrorIDs(t *testing.T) {
	f := newFixture(t, withDevSignIn)
	ids := func(r response) (header, body [2]string) {
		t.Helper()
		var env struct {
			Error struct {
				InnerError struct {
					RequestID       string `json:"request-id"`
					ClientRequestID string `json:"client-request-id"`
				}
			}
		}
		if err := json.Unmarshal(r.body, &env); err != nil {
			t.Fatalf("%s: %v", r.body, err)
		}
		return [2]string{r.header.Get("request-id"), r.header.Get("client-request-id")},
			[2]string{env.Error.InnerError.RequestID, env.Error.InnerError.ClientRequestID}
	}
	const mine = "6f4a8b2c-0d1e-4f3a-9b8c-7d6e5f4a3b2c"
	for _, path := range []string{"/ui/nothing.js", "/ui/api/nothing", "/ui/api/dev/users"} {
		header, body := ids(f.do(http.MethodGet, path, "", "", map[string]string{"client-request-id": mine}))
		if header[0] == "" || header[0] == mine || header != body || header[1] != mine {
			t.Errorf("GET %s with client-request-id %s: ids %q in the header, %q in the body", path, mine, header, body)
		}
		header, body = ids(f.do(http.MethodGet, path, "", "", nil))
		if header[0] == "" || header[1] != header[0] || header != body {
			t.Errorf("GET %s without client-request-id: ids %q in the header, %q in the body; want the request-id twice", path, header, body)
		}
	}
}

// brokenStore is a store whose reads of the directory fail with an error
// that is no outage: a bug, a corrupt row.
type brokenStore struct{ graphprofile.Store }

const brokenDetail = "row 17: malformed document"

func (brokenStore) ScanUsersByName(context.Context, string, string, bool, *graphprofile.NamePosition, func(graphprofile.User) (bool, error)) error {
	return errors.New(brokenDetail)
}

func (brokenStore) FindUser(context.Context, string, string) (graphprofile.User, error) {
	return graphprofile.User{}, errors.New(brokenDetail)
}

// TestDevSignInStoreFailure: a failure of the store that is no outage is
// Graph's 500 with its generic message, not a 503 to retry, and not the
// store's words: those go to the log, at ERROR, under the request's id.
func TestDevSignInStoreFailure(t *testing.T) {
	var log logtest.Buffer
	logger := slog.New(slog.NewJSONHandler(&log, nil))
	f := newFixture(t, func(d webui.DevSignIn) webui.Options {
		tenant := *d.(*webui.DevTenant)
		tenant.Store = brokenStore{tenant.Store}
		return webui.Options{DevSignIn: &tenant, Logger: logger}
	})
	for _, r := range []response{
		f.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage),
		f.do(http.MethodPost, "/ui/api/dev/token", "", `{"userPrincipalName":"broken@contoso.test"}`, fromThePage),
	} {
		msg := graphError(t, r, http.StatusInternalServerError, graphprofile.CodeInternalError)
		if msg != graphprofile.InternalErrorMessage || strings.Contains(string(r.body), brokenDetail) || r.header.Get("Retry-After") != "" {
			t.Errorf("%s, Retry-After %q: want the generic message, without the store's words, and no Retry-After", r.body, r.header.Get("Retry-After"))
		}
		requestID := r.header.Get("request-id")
		found := false
		for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["request-id"] == requestID {
				found = m["level"] == "ERROR" && m["msg"] == "web UI request failed" && strings.Contains(fmt.Sprint(m["err"]), brokenDetail)
			}
		}
		if !found {
			t.Errorf("request %s: no ERROR line with the store's error in the log\n%s", requestID, log.String())
		}
	}
}

// TestPageOutsideGraphsRecords: the page's requests, its files and its
// API (a minted token with them), are not Graph's: none is in the request
// journal, the access log or Graph's request metrics.
func TestPageOutsideGraphsRecords(t *testing.T) {
	store, dev := openDevTenant(t)
	page, err := webui.NewHandler(withDevSignIn(&webui.DevTenant{Issuer: dev, Store: store, TenantID: devTenant}))
	if err != nil {
		t.Fatal(err)
	}
	var accessLog logtest.Buffer
	metrics := prometheus.NewRegistry()
	const admin = "admin-secret"
	srv := &graphapi.Server{
		Service:       &graphprofile.Service{Store: store},
		Authenticator: token.NewValidator(quietLogger(), dev),
		Addr:          "127.0.0.1:0",
		Logger:        quietLogger(),
		AccessLog:     slog.New(slog.NewTextHandler(&accessLog, nil)),
		AdminToken:    admin,
		Metrics:       metrics,
		UI:            page,
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	base := srv.URL()
	for _, call := range []struct{ method, path, body string }{
		{http.MethodGet, "/", ""},
		{http.MethodGet, "/ui/", ""},
		{http.MethodGet, "/ui/app.js", ""},
		{http.MethodGet, "/ui/nothing.js", ""},
		{http.MethodGet, "/ui/api/config", ""},
		{http.MethodGet, "/ui/api/dev/users", ""},
		{http.MethodPost, "/ui/api/dev/token", `{"userPrincipalName":"ada@contoso.test"}`},
	} {
		do(t, base, call.method, call.path, "", call.body, fromThePage)
	}
	// One Graph request, which all three record.
	if r := do(t, base, http.MethodGet, "/beta/$metadata", "", "", nil); r.status != http.StatusOK {
		t.Fatalf("GET /beta/$metadata: %d", r.status)
	}
	families, err := metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, family := range families {
		if family.GetName() != "graphprofile_http_requests_total" {
			continue
		}
		total := 0.0
		for _, m := range family.GetMetric() {
			total += m.GetCounter().GetValue()
		}
		if total != 1 {
			t.Errorf("graphprofile_http_requests_total %v, want 1 (the Graph request alone)", total)
		}
	}
	journal := do(t, base, http.MethodGet, "/_admin/requests", admin, "", nil)
	var recorded struct {
		Requests []struct{ Request struct{ URL string } }
	}
	if journal.status != http.StatusOK || json.Unmarshal(journal.body, &recorded) != nil {
		t.Fatalf("journal: %d %s", journal.status, journal.body)
	}
	if len(recorded.Requests) != 1 || !strings.HasSuffix(recorded.Requests[0].Request.URL, "/beta/$metadata") || strings.Contains(string(journal.body), "accessToken") {
		t.Errorf("journal %s: want GET /beta/$metadata alone", journal.body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(accessLog.String(), "path=/_admin/requests") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	lines := accessLog.String()
	if !strings.Contains(lines, "path=/beta/$metadata ") || strings.Contains(lines, "path=/ui") || strings.Contains(lines, "path=/ ") {
		t.Errorf("access log:\n%s\nwant Graph's requests alone", lines)
	}
}

// TestDevTokenClockOutsideNumericDates: with the server's clock where no
// token's times can be (before 1970, as the admin API's clock may be set;
// or a token expiring past 9999), the development sign-in answers 400
// BadRequest saying so, and records no new user. It was a 500
// InternalError, after the new user had been written.
func TestDevTokenClockOutsideNumericDates(t *testing.T) {
	for _, tc := range []struct {
		name string
		now  time.Time
	}{
		{"1800", time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"a second before 1970", time.Unix(-1, 0)},
		{"expiring past 9999", time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, withDevSignIn)
			f.dev.Now = func() time.Time { return tc.now }
			for _, body := range []string{
				`{"userPrincipalName":"new@contoso.test","displayName":"New"}`,
				`{"userPrincipalName":"new@contoso.test"}`,
			} {
				r := f.do(http.MethodPost, "/ui/api/dev/token", "", body, fromThePage)
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(r.body, &e); err != nil || r.status != http.StatusBadRequest ||
					e.Error.Code != "BadRequest" || !strings.Contains(e.Error.Message, "NumericDate") {
					t.Errorf("POST /ui/api/dev/token %s: %d %s, want 400 BadRequest naming the NumericDate range", body, r.status, r.body)
				}
			}
			list := f.do(http.MethodGet, "/ui/api/dev/users", "", "", fromThePage)
			var users struct{ Value []webui.DevUser }
			if err := json.Unmarshal(list.body, &users); err != nil || list.status != http.StatusOK || len(users.Value) != 0 {
				t.Errorf("dev users after the refused sign-ins: %d %s, want none", list.status, list.body)
			}
		})
	}
}
