package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/postgres/pgtest"
)

// TestStatelessOnPostgres: two servers in different working directories on
// one PostgreSQL database are interchangeable. A token that graphprofile
// token minted from the database, in a third directory, is accepted by
// both; a position created through one is read through the other; and the
// @odata.nextLink of a page one served is followed on the other. None of
// them writes a development key file: the key is in the database.
func TestStatelessOnPostgres(t *testing.T) {
	t.Parallel()
	pg, name, url := postgresDatabase(t, "gp_stateless_")

	// A database the server does not have: its refusal, once, on one line
	// (pgx's own error told it once per attempt).
	missing, err := pgtest.WithDatabase(pg.URL(), name+"_missing")
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, t.TempDir(), nil, "serve", "--listen", "127.0.0.1:0", "--store", missing); r.code == 0 ||
		strings.Count(r.stderr, "\n") != 1 || strings.Count(r.stderr, "does not exist") != 1 ||
		!strings.Contains(r.stderr, ": connecting: FATAL: database \""+name+"_missing\" does not exist (SQLSTATE 3D000)\n") {
		t.Errorf("serve on a database that does not exist: exit %d, stderr %q", r.code, r.stderr)
	}

	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	servers := make([]*server, 2)
	for i := range servers {
		servers[i] = startServe(t, dirs[i], listenFlag("--store", url))
	}
	tok := mintToken(t, dirs[2], nil, append([]string{"--store", url}, delegatedArgs...)...)
	for i, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.Contains(e.Name(), "devkey") {
				t.Errorf("directory %d holds %s: the key belongs in the database", i, filepath.Join(dir, e.Name()))
			}
		}
	}

	// A token for both; a position from one, read on the other.
	created := servers[0].create(tok, createBody)
	id, _ := created.body["id"].(string)
	got := servers[1].do(http.MethodGet, "/beta/me/profile/positions/"+id, tok, "", http.StatusOK)
	checkPosition(t, "read on the second server", got.body, id, "T")
	for range 2 {
		servers[1].create(tok, createBody)
	}

	// A page of the first server, continued on the second.
	first := servers[0].do(http.MethodGet, "/beta/me/profile/positions?$top=2", tok, "", http.StatusOK)
	next, _ := first.body["@odata.nextLink"].(string)
	path, ok := strings.CutPrefix(next, servers[0].url)
	if !ok {
		t.Fatalf("@odata.nextLink %q is not the first server's", next)
	}
	rest := servers[1].list(path, tok)
	seen := map[string]bool{}
	for _, p := range append(servers[0].list("/beta/me/profile/positions?$top=2", tok), rest...) {
		seen[p["id"].(string)] = true
	}
	if len(rest) != 1 || len(seen) != 3 || !seen[id] {
		t.Errorf("two pages across the servers hold %d distinct positions (%d on the second page), want all 3", len(seen), len(rest))
	}
}

// TestSkipTokensBoundToTheStore: a server's $skiptoken is its store's. A
// nextLink of a server on one SQLite database is refused (400) by a server
// on another, though the token, tenant, user and query are the same; the
// server of the same database, restarted, follows it (the secret is
// derived from the database's development key, kept beside it).
func TestSkipTokensBoundToTheStore(t *testing.T) {
	t.Parallel()
	dirs := []string{t.TempDir(), t.TempDir()}
	var tokens []string
	for _, dir := range dirs {
		tokens = append(tokens, mintToken(t, dir, nil, delegatedArgs...))
	}
	a := startServe(t, dirs[0], listenFlag())
	b := startServe(t, dirs[1], listenFlag())
	for range 3 {
		a.create(tokens[0], createBody)
		b.create(tokens[1], createBody)
	}
	first := a.do(http.MethodGet, "/beta/me/profile/positions?$top=2", tokens[0], "", http.StatusOK)
	next, _ := first.body["@odata.nextLink"].(string)
	path, ok := strings.CutPrefix(next, a.url)
	if !ok {
		t.Fatalf("@odata.nextLink %q is not the server's", next)
	}
	refused := b.do(http.MethodGet, path, tokens[1], "", http.StatusBadRequest)
	if msg, _ := refused.body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "$skiptoken") {
		t.Errorf("another database's $skiptoken: %v", refused.body)
	}
	a.sendSignal(syscall.SIGTERM)
	if code, exited := a.waitExit(10 * time.Second); !exited || code != 0 {
		t.Fatalf("serve on SIGTERM: exited %v, status %d", exited, code)
	}
	again := startServe(t, dirs[0], listenFlag())
	if rest := again.list(path, tokens[0]); len(rest) != 1 {
		t.Errorf("the nextLink after a restart on the same database: %d positions, want the third", len(rest))
	}
}

// postgresDatabase starts a PostgreSQL server for t and creates a database
// on it named after prefix, dropped once t's servers have stopped.
func postgresDatabase(t *testing.T, prefix string) (pg *pgtest.Server, name, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.Close(); err != nil {
			t.Errorf("stopping PostgreSQL: %v", err)
		}
	})
	name = pgtest.RandomName(prefix)
	url, err = pg.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the servers have stopped
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pg.DropDatabase(ctx, name); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	return pg, name, url
}

// TestAccessLogAsSent: the access log shows what the client sent as it
// sent it, though it spells a secret of the store URL. The log hid every
// occurrence of the store's secrets in every line, those the client chose
// too: a path or client-request-id that guessed the password right was
// logged with it hidden, a wrong guess as sent, so that whoever could send
// requests and read the log could tell a right guess. The server's own
// lines still hide it.
func TestAccessLogAsSent(t *testing.T) {
	t.Parallel()
	const secret = "S3cretPGpw"
	_, _, url := postgresDatabase(t, "gp_accesslog_")
	url = pgtest.WithParams(url, "sslpassword", secret) // ignored: no client key to decrypt
	s := startServe(t, t.TempDir(), listenFlag("--store", url, "--log-format", "json"))
	tok := mintToken(t, t.TempDir(), nil, append([]string{"--store", url}, delegatedArgs...)...)
	path := "/beta/users/guess-" + secret + "/profile/positions"
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("client-request-id", "guess-"+secret)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitStderr(t, s, `"path":"`+path+`"`)
	for line := range strings.Lines(s.stderr.String()) {
		var entry struct {
			Msg, Path       string
			ClientRequestID string `json:"client-request-id"`
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("a stderr line is not JSON: %v: %s", err, line)
		}
		switch {
		case entry.Path == path && entry.ClientRequestID != "guess-"+secret:
			t.Errorf("the access line's client-request-id = %q, want it as sent", entry.ClientRequestID)
		case entry.Msg != "request" && strings.Contains(line, secret):
			t.Errorf("a line of the server's own shows the store's secret: %s", line)
		}
	}
}
