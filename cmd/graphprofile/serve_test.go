package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// createAndList creates a position as the test user with token, checks the
// 201 response (body, Location, @odata.context against base, the URL the
// server should call itself), lists it back and returns its id.
func createAndList(t *testing.T, s *server, token, base string) string {
	t.Helper()
	r := s.create(token, createBody)
	id, _ := r.body["id"].(string)
	if id == "" {
		t.Fatalf("201 body has no id: %s", r.raw)
	}
	checkPosition(t, "201 body", r.body, id, "T")
	if got, want := r.header.Get("Location"), base+"/beta/users/"+testUser+"/profile/positions/"+id; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	collection := base + "/beta/$metadata#users('" + testUser + "')/profile/positions"
	if got := r.body["@odata.context"]; got != collection+"/$entity" {
		t.Errorf("201 @odata.context = %q, want %q", got, collection+"/$entity")
	}

	list := s.do(http.MethodGet, "/beta/me/profile/positions", token, "", http.StatusOK)
	if got := list.body["@odata.context"]; got != collection {
		t.Errorf("list @odata.context = %q, want %q", got, collection)
	}
	values := s.list("/beta/me/profile/positions", token)
	if len(values) != 1 {
		t.Fatalf("GET /beta/me/profile/positions: %d positions, want 1: %v", len(values), values)
	}
	checkPosition(t, "listed position", values[0], id, "T")
	return id
}

func TestTokenAcceptedByServe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// serveStore and tokenStore are the --store arguments (nil: none)
		// given the serve directory; tokenElsewhere runs token in another
		// directory.
		serveStore, tokenStore func(dir string) []string
		tokenElsewhere         bool
		db                     string // the database file, relative to the serve directory
	}{
		{
			name:       "defaults in the same directory",
			serveStore: func(string) []string { return nil },
			tokenStore: func(string) []string { return nil },
			db:         "graphprofile.db",
		},
		{
			name:       "relative sqlite:PATH",
			serveStore: func(string) []string { return []string{"--store", "sqlite:custom.db"} },
			tokenStore: func(string) []string { return []string{"--store=sqlite:custom.db"} },
			db:         "custom.db",
		},
		{
			name:           "absolute path, token run elsewhere",
			serveStore:     func(dir string) []string { return []string{"--store", "sqlite://" + filepath.Join(dir, "abs.db")} },
			tokenStore:     func(dir string) []string { return []string{"--store", "sqlite:" + filepath.Join(dir, "abs.db")} },
			tokenElsewhere: true,
			db:             "abs.db",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServe(t, dir, listenFlag(tt.serveStore(dir)...))
			tokenDir := dir
			if tt.tokenElsewhere {
				tokenDir = t.TempDir()
			}
			store := tt.tokenStore(dir)
			user := mintToken(t, tokenDir, nil, slices.Concat(store, delegatedArgs)...)
			id := createAndList(t, s, user, s.url)

			got := s.do(http.MethodGet, "/beta/me/profile/positions/"+id, user, "", http.StatusOK)
			checkPosition(t, "GET by id", got.body, id, "T")

			// An application token of the same tenant reads the user's
			// profile by object id and by principal name.
			app := mintToken(t, tokenDir, nil, slices.Concat(store, appArgs)...)
			for _, key := range []string{testUser, testUPN} {
				values := s.list("/beta/users/"+key+"/profile/positions", app)
				if len(values) != 1 {
					t.Fatalf("app token, /users/%s: %d positions, want 1", key, len(values))
				}
				checkPosition(t, "listed with the app token", values[0], id, "T")
			}

			for _, f := range []string{tt.db, tt.db + "-devkey.pem"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s missing: %v", f, err)
				}
			}
			if tt.tokenElsewhere {
				if entries, _ := os.ReadDir(tokenDir); len(entries) != 0 {
					t.Errorf("token with an absolute --store wrote into its working directory: %v", entries)
				}
			}
		})
	}
}

// TestStoreThroughALink: sqlite:link.db, where link.db names y.db, is the
// store of sqlite:y.db, whose -wal and -shm SQLite keeps beside y.db: so do
// its lock and its development key. Named after the link, link.db-lock let
// a second server serve the database beside the first (each one's cache
// blind to the other's writes), restore ran under a server, and token minted
// with another key (link.db-devkey.pem) that the server refused.
func TestStoreThroughALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--store", "sqlite:y.db"))
	if err := os.Symlink("y.db", filepath.Join(dir, "link.db")); err != nil {
		t.Skip("no links here:", err)
	}
	link := []string{"--store", "sqlite:link.db"}
	user := mintToken(t, dir, nil, slices.Concat(link, delegatedArgs)...)
	if r, err := s.request(http.MethodGet, "/beta/me/profile/positions", user, ""); err != nil || r.status != http.StatusOK {
		t.Errorf("a token of token --store sqlite:link.db, to the server of sqlite:y.db: %v, %+v; want 200", err, r)
	}

	if r := runCLI(t, dir, nil, "backup", "--store", "sqlite:link.db", "copy.db"); r.code != 0 {
		t.Errorf("backup --store sqlite:link.db: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "restore", "--store", "sqlite:link.db", "copy.db"); r.code == 0 || !strings.Contains(r.stderr, "in use") {
		t.Errorf("restore --store sqlite:link.db while a server serves y.db: exit %d, stderr %q; want a refusal naming the database in use", r.code, r.stderr)
	}
	users := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(users, []byte(`{"displayName":"Link","userPrincipalName":"link@contoso.com"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--store", "sqlite:link.db", "--tenant", testTenant, users); r.code == 0 || !strings.Contains(r.stderr, "in use") {
		t.Errorf("users import --store sqlite:link.db while a server serves y.db: exit %d, stderr %q; want a refusal", r.code, r.stderr)
	}
	// Last: before the fix it served (until runCLI's time ran out).
	if r := runCLI(t, dir, nil, "serve", "--store", "sqlite:link.db", "--listen", freeAddr(t)); r.code == 0 || !strings.Contains(r.stderr, "in use") {
		t.Errorf("a second serve --store sqlite:link.db: exit %d, stderr %q; want a refusal naming the database in use", r.code, r.stderr)
	}
	// A link to a file in a directory that does not exist is refused as
	// such a path is, before any file is made.
	if err := os.Symlink(filepath.Join("none", "x.db"), filepath.Join(dir, "gone.db")); err != nil {
		t.Fatal(err)
	}
	realDir, err := filepath.EvalSymlinks(dir) // macOS's /var is a link
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "token", "--store", "sqlite:gone.db"); r.code == 0 || !strings.Contains(r.stderr, filepath.Join(realDir, "none")+" does not exist") {
		t.Errorf("token --store sqlite:gone.db (a link to none/x.db): exit %d, stderr %q; want the directory named", r.code, r.stderr)
	}
	for _, f := range []string{"link.db-devkey.pem", "link.db-lock"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want none (beside y.db, the file link.db names)", f, err)
		}
	}
}

func TestForeignTokenRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag())
	own := mintToken(t, dir, nil, delegatedArgs...)

	tests := []struct {
		name string
		dir  string
		args []string
	}{
		{"another store in the same directory", dir, []string{"--store", "sqlite:other.db"}},
		{"the default store of another directory", t.TempDir(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			foreign := mintToken(t, tt.dir, nil, slices.Concat(tt.args, delegatedArgs)...)
			for _, req := range []struct{ method, body string }{{http.MethodGet, ""}, {http.MethodPost, createBody}} {
				r := s.do(req.method, "/beta/me/profile/positions", foreign, req.body, http.StatusUnauthorized)
				if code := field(r.body, "error.code"); code != "InvalidAuthenticationToken" {
					t.Errorf("%s: error.code = %#v, want InvalidAuthenticationToken; body: %s", req.method, code, r.raw)
				}
				if msg, _ := field(r.body, "error.message").(string); msg == "" {
					t.Errorf("%s: error.message is empty; body: %s", req.method, r.raw)
				}
				if strings.Contains(string(r.raw), foreign) {
					t.Errorf("%s: the 401 body repeats the token", req.method)
				}
			}
		})
	}
	// The refused POSTs created nothing; the server's own token still works.
	if values := s.list("/beta/me/profile/positions", own); len(values) != 0 {
		t.Errorf("after refused requests the profile has %d positions, want 0", len(values))
	}
}

func TestServeEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		how       func(t *testing.T, addr string) (args, env []string)
		tokenArgs []string
		tokenEnv  []string
		base      string   // the public base URL; "" means the server's own
		present   []string // files that must exist in the working directory
		absent    []string // files that must not
	}{
		{
			name: "GRAPHPROFILE_LISTEN",
			how: func(t *testing.T, addr string) ([]string, []string) {
				return nil, []string{"GRAPHPROFILE_LISTEN=" + addr}
			},
			present: []string{"graphprofile.db", "graphprofile.db-devkey.pem"},
		},
		{
			name: "--listen beats GRAPHPROFILE_LISTEN",
			how: func(t *testing.T, addr string) ([]string, []string) {
				// The environment's address is taken: serve fails if it
				// uses it.
				held, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { held.Close() })
				return []string{"--listen", addr}, []string{"GRAPHPROFILE_LISTEN=" + held.Addr().String()}
			},
		},
		{
			name: "GRAPHPROFILE_STORE",
			how: func(t *testing.T, addr string) ([]string, []string) {
				return []string{"--listen", addr}, []string{"GRAPHPROFILE_STORE=sqlite:env.db"}
			},
			tokenEnv: []string{"GRAPHPROFILE_STORE=sqlite:env.db"},
			present:  []string{"env.db", "env.db-devkey.pem"},
			absent:   []string{"graphprofile.db", "graphprofile.db-devkey.pem"},
		},
		{
			name: "--store beats GRAPHPROFILE_STORE",
			how: func(t *testing.T, addr string) ([]string, []string) {
				return []string{"--listen", addr, "--store", "sqlite:flag.db"}, []string{"GRAPHPROFILE_STORE=sqlite:env.db"}
			},
			tokenArgs: []string{"--store", "sqlite:flag.db"},
			tokenEnv:  []string{"GRAPHPROFILE_STORE=sqlite:env.db"},
			present:   []string{"flag.db", "flag.db-devkey.pem"},
			absent:    []string{"env.db", "env.db-devkey.pem", "graphprofile.db"},
		},
		{
			name: "GRAPHPROFILE_PUBLIC_URL",
			how: func(t *testing.T, addr string) ([]string, []string) {
				return []string{"--listen", addr}, []string{"GRAPHPROFILE_PUBLIC_URL=https://graph.example.test"}
			},
			base: "https://graph.example.test",
		},
		{
			name: "--public-url beats GRAPHPROFILE_PUBLIC_URL",
			how: func(t *testing.T, addr string) ([]string, []string) {
				return []string{"--listen", addr, "--public-url", "https://graph.example.test/"}, []string{"GRAPHPROFILE_PUBLIC_URL=https://env.example.test"}
			},
			base: "https://graph.example.test",
		},
		{
			name: "--public-url with a path prefix",
			how: func(t *testing.T, addr string) ([]string, []string) {
				return []string{"--listen", addr, "--public-url", "https://gw.example.test/graph/"}, nil
			},
			base: "https://gw.example.test/graph",
		},
		{
			// 0 is no wait, not a value refused.
			name: "--drain-timeout 0",
			how: func(t *testing.T, addr string) ([]string, []string) {
				return []string{"--listen", addr, "--drain-timeout", "0"}, nil
			},
		},
		{
			name: "--drain-timeout beats a bad GRAPHPROFILE_DRAIN_TIMEOUT",
			how: func(t *testing.T, addr string) ([]string, []string) {
				return []string{"--listen", addr, "--drain-timeout", "2s"}, []string{"GRAPHPROFILE_DRAIN_TIMEOUT=soon"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServe(t, dir, func(addr string) ([]string, []string) { return tt.how(t, addr) })
			base := tt.base
			if base == "" {
				base = s.url
			}
			token := mintToken(t, dir, tt.tokenEnv, slices.Concat(tt.tokenArgs, delegatedArgs)...)
			createAndList(t, s, token, base)
			// The web page's root redirect is under the public URL's path
			// too, where a proxy serving the server under it is asked.
			wantPage := "/ui/"
			if u, err := url.Parse(base); err != nil {
				t.Fatal(err)
			} else if base != s.url {
				wantPage = strings.TrimSuffix(u.Path, "/") + "/ui/"
			}
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			if resp, err := noFollow.Get(s.url + "/"); err != nil {
				t.Error(err)
			} else {
				resp.Body.Close()
				if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != wantPage {
					t.Errorf("GET /: %d Location %q, want 302 %s", resp.StatusCode, resp.Header.Get("Location"), wantPage)
				}
			}
			for _, f := range tt.present {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s missing: %v", f, err)
				}
			}
			for _, f := range tt.absent {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s exists, want it not created", f)
				}
			}
		})
	}
}

func TestDefaultFiles(t *testing.T) {
	t.Parallel()
	checkKey := func(t *testing.T, dir string) {
		t.Helper()
		path := filepath.Join(dir, "graphprofile.db-devkey.pem")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("the development key is not beside the database: %v", err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want a regular file with mode 0600", path, fi.Mode())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "-----BEGIN PRIVATE KEY-----\n") {
			t.Errorf("%s is not a PEM private key: %.40q", path, data)
		}
	}
	checkDB := func(t *testing.T, dir string) {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dir, "graphprofile.db"))
		if err != nil {
			t.Fatalf("serve did not create graphprofile.db in its working directory: %v", err)
		}
		if !fi.Mode().IsRegular() {
			t.Errorf("graphprofile.db: mode %v, want a regular file", fi.Mode())
		}
	}

	t.Run("serve first", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := startServe(t, dir, listenFlag())
		checkDB(t, dir)
		checkKey(t, dir)
		createAndList(t, s, mintToken(t, dir, nil, delegatedArgs...), s.url)
	})
	t.Run("token first", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		token := mintToken(t, dir, nil, delegatedArgs...)
		checkKey(t, dir)
		if _, err := os.Stat(filepath.Join(dir, "graphprofile.db")); err == nil {
			t.Errorf("token created the database; only serve should")
		}
		s := startServe(t, dir, listenFlag())
		checkDB(t, dir)
		createAndList(t, s, token, s.url)
	})
}

func TestSignalShutdown(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM or SIGINT to send on Windows")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServe(t, dir, listenFlag())
			token := mintToken(t, dir, nil, delegatedArgs...)
			id := createAndList(t, s, token, s.url)

			start := time.Now()
			s.sendSignal(sig)
			code, exited := s.waitExit(5 * time.Second)
			if !exited {
				t.Fatalf("serve still runs 5 s after %v; stderr:\n%s", sig, s.stderr.String())
			}
			if code != 0 {
				t.Fatalf("serve exited with status %d after %v, want 0; stderr:\n%s", code, sig, s.stderr.String())
			}
			t.Logf("exited %v after %v", sig, time.Since(start).Round(time.Millisecond))
			stderr := s.stderr.String()
			if !strings.Contains(stderr, "shutting down") {
				t.Errorf("stderr has no shutdown line:\n%s", stderr)
			}
			if strings.Contains(stderr, "DATA RACE") || strings.Contains(stderr, "level=ERROR") {
				t.Errorf("stderr reports a problem:\n%s", stderr)
			}
			if out := s.stdout.String(); out != "" {
				t.Errorf("serve wrote to stdout: %q", out)
			}
			// A clean shutdown checkpoints the write-ahead log.
			if fi, err := os.Stat(filepath.Join(dir, "graphprofile.db-wal")); err == nil && fi.Size() > 0 {
				t.Errorf("graphprofile.db-wal still holds %d bytes after a clean shutdown", fi.Size())
			}

			again := startServe(t, dir, listenFlag())
			got := again.do(http.MethodGet, "/beta/me/profile/positions/"+id, token, "", http.StatusOK)
			checkPosition(t, "after restart", got.body, id, "T")
		})
	}
}

// TestSIGHUPIgnoredStaysIgnored: a server started with SIGHUP ignored
// (nohup graphprofile serve &, then the terminal closes) keeps serving
// through a SIGHUP, as before serve stopped on one: it asks for SIGHUP
// only when it was not ignored.
func TestSIGHUPIgnoredStaysIgnored(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGHUP on Windows")
	}
	dir := t.TempDir()
	nohup := filepath.Join(t.TempDir(), "nohup-serve")
	script := "#!/bin/sh\ntrap '' HUP\nexec '" + binary + "' \"$@\"\n"
	if err := os.WriteFile(nohup, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := startServeBinary(t, nohup, dir, listenFlag())
	token := mintToken(t, dir, nil, delegatedArgs...)
	createAndList(t, s, token, s.url)
	s.sendSignal(syscall.SIGHUP)
	if code, exited := s.waitExit(time.Second); exited {
		t.Fatalf("serve started with SIGHUP ignored exited with %d on a SIGHUP; stderr:\n%s", code, s.stderr.String())
	}
	s.do(http.MethodGet, "/beta/me/profile/positions", token, "", http.StatusOK)
	s.sendSignal(syscall.SIGTERM)
	if code, exited := s.waitExit(5 * time.Second); !exited || code != 0 {
		t.Fatalf("after SIGTERM: exit %d (exited %v), want 0", code, exited)
	}
}

// startSlowCreate opens a connection to s and sends a create request whose
// body is incomplete, so that the request stays in flight until finish is
// called with the rest of the body; finish returns the response.
func startSlowCreate(t *testing.T, s *server, token string) (finish func() *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := "POST /beta/me/profile/positions HTTP/1.1\r\nHost: " + s.addr +
		"\r\nAuthorization: Bearer " + token +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(createBody)) + "\r\n\r\n"
	split := len(createBody) / 2
	if _, err := io.WriteString(conn, head+createBody[:split]); err != nil {
		t.Fatal(err)
	}
	return func() *http.Response {
		t.Helper()
		if _, err := io.WriteString(conn, createBody[split:]); err != nil {
			t.Fatalf("sending the rest of the body: %v", err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("reading the response of the in-flight request: %v", err)
		}
		return resp
	}
}

// waitStderr waits up to 5 s for the server to write want on stderr.
func waitStderr(t *testing.T, s *server, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(s.stderr.String(), want) {
			return
		}
	}
	t.Fatalf("serve did not log %q within 5 s; stderr:\n%s", want, s.stderr.String())
}

func TestShutdownDrain(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM to send on Windows")
	}

	t.Run("in-flight request is answered", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := startServe(t, dir, listenFlag("--drain-timeout", "20s"))
		token := mintToken(t, dir, nil, delegatedArgs...)
		finish := startSlowCreate(t, s, token)
		time.Sleep(100 * time.Millisecond) // let the server take the request in
		s.sendSignal(syscall.SIGTERM)
		waitStderr(t, s, "shutting down")
		if _, exited := s.waitExit(300 * time.Millisecond); exited {
			t.Fatalf("serve exited with a request in flight; stderr:\n%s", s.stderr.String())
		}
		resp := finish()
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("in-flight create answered %d, want 201", resp.StatusCode)
		}
		code, exited := s.waitExit(5 * time.Second)
		if !exited || code != 0 {
			t.Fatalf("after the drain: exited %v with status %d, want 0; stderr:\n%s", exited, code, s.stderr.String())
		}
		again := startServe(t, dir, listenFlag())
		if got := again.list("/beta/me/profile/positions", token); len(got) != 1 {
			t.Errorf("after the drain and a restart: %d positions, want 1", len(got))
		}
	})

	t.Run("drain timeout cuts off a slow request", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := startServe(t, dir, listenFlag("--drain-timeout", "300ms"))
		token := mintToken(t, dir, nil, delegatedArgs...)
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		head := "POST /beta/me/profile/positions HTTP/1.1\r\nHost: " + s.addr +
			"\r\nAuthorization: Bearer " + token +
			"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(createBody)) + "\r\n\r\n"
		if _, err := io.WriteString(conn, head+createBody[:len(createBody)/2]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		s.sendSignal(syscall.SIGTERM)
		code, exited := s.waitExit(5 * time.Second)
		if !exited || code != 1 {
			t.Fatalf("drain timeout passed with a request in flight: exited %v with status %d, want 1; stderr:\n%s", exited, code, s.stderr.String())
		}
		lines := strings.Split(strings.TrimSpace(s.stderr.String()), "\n")
		if last, want := lines[len(lines)-1], "graphprofile: draining in-flight requests: context deadline exceeded"; last != want {
			t.Errorf("last line of stderr %q, want %q", last, want)
		}
		io.WriteString(conn, createBody[len(createBody)/2:])
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
			t.Errorf("a request the drain cut off was answered %s", resp.Status)
		}
		again := startServe(t, dir, listenFlag())
		if got := again.list("/beta/me/profile/positions", token); len(got) != 0 {
			t.Errorf("after the cut-off request and a restart: %d positions, want 0", len(got))
		}
	})

	t.Run("a connection that sent nothing is not waited for", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := startServe(t, dir, listenFlag("--drain-timeout", "3s"))
		// A connection opened ahead of any request (a browser's spare).
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		s.sendSignal(syscall.SIGTERM)
		code, exited := s.waitExit(5 * time.Second)
		if !exited || code != 0 {
			t.Fatalf("SIGTERM with a connection that sent nothing: exited %v with status %d after %v, want 0; stderr:\n%s", exited, code, time.Since(start).Round(time.Millisecond), s.stderr.String())
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("serve took %v to stop for a connection that sent nothing", took.Round(time.Millisecond))
		}
	})

	t.Run("second signal ends the drain", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := startServe(t, dir, listenFlag("--drain-timeout", "30s"))
		token := mintToken(t, dir, nil, delegatedArgs...)
		startSlowCreate(t, s, token)
		time.Sleep(100 * time.Millisecond)
		s.sendSignal(syscall.SIGTERM)
		waitStderr(t, s, "shutting down")
		if _, exited := s.waitExit(300 * time.Millisecond); exited {
			t.Fatalf("serve exited with a request in flight; stderr:\n%s", s.stderr.String())
		}
		s.sendSignal(syscall.SIGTERM)
		if _, exited := s.waitExit(5 * time.Second); !exited {
			t.Fatalf("serve still drains 5 s after a second SIGTERM")
		}
	})
}

// TestMaxItems: serve --max-items (or GRAPHPROFILE_MAX_ITEMS) bounds each
// collection of a profile, 1,000 items without either (the documented
// default); one more create is a 507 quotaLimitReached.
func TestMaxItems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		how   invocation
		limit int
	}{
		{"flag", listenFlag("--max-items", "2"), 2},
		{"environment", func(addr string) ([]string, []string) {
			return []string{"--listen", addr}, []string{"GRAPHPROFILE_MAX_ITEMS=2"}
		}, 2},
		{"flag wins", func(addr string) ([]string, []string) {
			return []string{"--listen", addr, "--max-items", "2"}, []string{"GRAPHPROFILE_MAX_ITEMS=50"}
		}, 2},
		{"default", listenFlag(), 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := startServe(t, dir, tc.how)
			user := mintToken(t, dir, nil, delegatedArgs...)
			// The collection filled through $batch, 20 creates a request.
			for made := 0; made < tc.limit; {
				var requests []string
				for n := min(20, tc.limit-made); len(requests) < n; {
					requests = append(requests, fmt.Sprintf(`{"id":"%d","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{"detail":{"jobTitle":"Job %d"}}}`,
						len(requests)+1, made+len(requests)))
				}
				r := s.do(http.MethodPost, "/beta/$batch", user, `{"requests":[`+strings.Join(requests, ",")+`]}`, http.StatusOK)
				answers, _ := r.body["responses"].([]any)
				if len(answers) != len(requests) {
					t.Fatalf("a batch of %d creates: %d answers: %s", len(requests), len(answers), r.raw)
				}
				for _, a := range answers {
					if status, _ := a.(map[string]any)["status"].(float64); status != http.StatusCreated {
						t.Fatalf("create %d of %d: %v", made+1, tc.limit, a)
					}
					made++
				}
			}
			r := s.do(http.MethodPost, "/beta/me/profile/positions", user, `{"detail":{"jobTitle":"One more"}}`, http.StatusInsufficientStorage)
			if !strings.Contains(string(r.raw), `"code":"quotaLimitReached"`) || !strings.Contains(string(r.raw), `"message":"The maximum storage quota has been reached."`) {
				t.Errorf("507 body %s, want code quotaLimitReached and Graph's message", r.raw)
			}
			if got := len(s.listAll("/beta/me/profile/positions", user)); got != tc.limit {
				t.Errorf("%d positions after the refusal, want %d", got, tc.limit)
			}
		})
	}
}

// TestJSONLogEndsInJSON: with --log-format json every line serve writes to
// standard error is a JSON object, the error it exits with included (as an
// ERROR record), so that a log pipeline parsing JSON keeps the one line
// that says why the server stopped. It was a plain "graphprofile: …" line;
// then it was for a setting's value found wrong before the log was made
// (--max-items 0, --listen bogus) and a record for one found wrong after
// (the port in use).
func TestJSONLogEndsInJSON(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })
	inUse := taken.Addr().String()
	for _, tc := range []struct {
		args []string
		env  []string
		want []string // in the record's err
	}{
		{args: []string{"--listen", inUse}, want: []string{`--listen "` + inUse + `"`, "address already in use"}},
		{args: []string{"--listen", "bogus"}, want: []string{`--listen "bogus"`, "missing port"}},
		{args: []string{"--max-items", "0"}, want: []string{"--max-items 0", "1 or more"}},
		{args: []string{"--public-url", "graph.example.test"}, want: []string{"--public-url", "graph.example.test"}},
		{args: []string{"--drain-timeout", "-1s"}, want: []string{"--drain-timeout"}},
		{env: []string{"GRAPHPROFILE_MAX_CONNECTIONS=0"}, want: []string{"GRAPHPROFILE_MAX_CONNECTIONS=0"}},
		{args: []string{"--faults", "nonsense"}, want: []string{"--faults"}},
	} {
		t.Run(strings.Join(append(tc.args, tc.env...), " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, t.TempDir(), tc.env, append([]string{"serve", "--store", "memory:", "--log-format", "json"}, tc.args...)...)
			if r.code != 1 {
				t.Fatalf("exit status %d, want 1; stderr %q", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			for _, line := range lines {
				if !json.Valid([]byte(line)) {
					t.Errorf("stderr line %q is no JSON object", line)
				}
			}
			var last struct{ Level, Msg, Err string }
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
				t.Fatalf("last stderr line %q: %v", lines[len(lines)-1], err)
			}
			for _, want := range tc.want {
				if last.Level != "ERROR" || !strings.Contains(last.Err, want) {
					t.Errorf("last stderr line = %+v, want an ERROR whose err has %q", last, want)
				}
			}
		})
	}
	// The text format keeps its one plain line.
	r := runCLI(t, t.TempDir(), nil, "serve", "--store", "memory:", "--listen", inUse)
	if want := "graphprofile: --listen \"" + inUse + "\": "; r.code != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("text format: exit status %d, stderr %q; want 1 and a line beginning %q", r.code, r.stderr, want)
	}
}

// TestSecondSignal: a second signal during the drain ends serve at once,
// also when the signal was ignored at serve's start (a non-interactive
// shell's `serve &` starts it with SIGINT ignored), where restoring the
// signal's default handling after the first left the second ignored.
func TestSecondSignal(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM or SIGINT to send on Windows")
	}
	// A wrapper that starts serve with SIGINT ignored, as sh does for `&`.
	ignoring := filepath.Join(t.TempDir(), "serve-ignoring-sigint")
	script := "#!/bin/sh\ntrap '' INT\nexec " + binary + " \"$@\"\n"
	if err := os.WriteFile(ignoring, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		bin  string
		sig  syscall.Signal
	}{
		{"SIGTERM", binary, syscall.SIGTERM},
		{"SIGINT", binary, syscall.SIGINT},
		{"SIGINT ignored at start", ignoring, syscall.SIGINT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServeBinary(t, tc.bin, dir, listenFlag("--drain-timeout", "30s"))
			token := mintToken(t, dir, nil, delegatedArgs...)
			startSlowCreate(t, s, token)       // its body never ends: the drain would last 30 s
			time.Sleep(100 * time.Millisecond) // let the server take the request in
			s.sendSignal(tc.sig)
			waitStderr(t, s, "shutting down")
			if _, exited := s.waitExit(300 * time.Millisecond); exited {
				t.Fatalf("serve exited with a request in flight; stderr:\n%s", s.stderr.String())
			}
			s.sendSignal(tc.sig)
			code, exited := s.waitExit(5 * time.Second)
			if !exited {
				t.Fatalf("serve still drains 5 s after a second %v; stderr:\n%s", tc.sig, s.stderr.String())
			}
			if code == 0 {
				t.Errorf("serve exited 0 after a second %v cut its drain short, want non-zero", tc.sig)
			}
		})
	}
}

// TestServeTrustProxy: with --trust-proxy (or GRAPHPROFILE_TRUST_PROXY)
// the absolute URLs of an answer take the scheme and host a proxy
// forwards; without it they are the server's own, whatever a client sends.
func TestServeTrustProxy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		how   invocation
		proxy bool
	}{
		{"--trust-proxy", listenFlag("--trust-proxy"), true},
		{"GRAPHPROFILE_TRUST_PROXY", func(addr string) ([]string, []string) {
			return []string{"--listen", addr}, []string{"GRAPHPROFILE_TRUST_PROXY=true"}
		}, true},
		{"--trust-proxy=false beats GRAPHPROFILE_TRUST_PROXY", func(addr string) ([]string, []string) {
			return []string{"--listen", addr, "--trust-proxy=false"}, []string{"GRAPHPROFILE_TRUST_PROXY=true"}
		}, false},
		{"without", listenFlag(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServe(t, dir, tt.how)
			token := mintToken(t, dir, nil, delegatedArgs...)
			req, err := http.NewRequest(http.MethodGet, s.url+"/beta/me/profile/positions", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-Host", "graph.example.test")
			resp, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Context string `json:"@odata.context"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET positions: %d, %v", resp.StatusCode, err)
			}
			base := s.url
			if tt.proxy {
				base = "https://graph.example.test"
			}
			if want := base + "/beta/$metadata#users('" + testUser + "')/profile/positions"; body.Context != want {
				t.Errorf("@odata.context = %q, want %q", body.Context, want)
			}
		})
	}
}
