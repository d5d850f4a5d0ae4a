package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
	name := pgtest.RandomName("gp_stateless_")
	url, err := pg.CreateDatabase(ctx, name)
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
