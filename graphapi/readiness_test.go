package graphapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
)

// TestReadyzWhenTheDatabaseFileIsGone: a SQLite database file removed (or
// replaced) under a running server is no database to serve: the server's
// connections go on writing into the removed file, every write
// acknowledged and all of it lost at the next start. /readyz says so (503
// with Retry-After, the operator's signal to look) rather than "ok" from a
// query that reads no file.
func TestReadyzWhenTheDatabaseFileIsGone(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "graphprofile.db")
	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Addr: "127.0.0.1:0"}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	// readyz answers /readyz's status and Retry-After, having checked its
	// body: "ok" when ready, else Graph's serviceNotAvailable, which names
	// no file and no database error.
	readyz := func() (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			if string(body) != "ok\n" {
				t.Errorf("/readyz 200 with body %q, want ok", body)
			}
		case http.StatusServiceUnavailable:
			var env struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(body, &env); err != nil || env.Error.Code != "serviceNotAvailable" || env.Error.Message != graphprofile.ServiceUnavailableMessage {
				t.Errorf("/readyz 503 with body %s, want serviceNotAvailable with its message", body)
			}
		}
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	if status, _ := readyz(); status != http.StatusOK {
		t.Fatalf("/readyz of a fresh database: %d, want 200", status)
	}

	// Replaced: another file under the database's name.
	if err := os.Rename(db, db+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if status, retry := readyz(); status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("/readyz with the database file replaced: %d (Retry-After %q), want 503 with Retry-After", status, retry)
	}
	// Removed.
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	if status, retry := readyz(); status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("/readyz with the database file removed: %d (Retry-After %q), want 503 with Retry-After", status, retry)
	}
	// Back where it was: ready again.
	if err := os.Rename(db+".moved", db); err != nil {
		t.Fatal(err)
	}
	if status, _ := readyz(); status != http.StatusOK {
		t.Errorf("/readyz with the database file back: %d, want 200", status)
	}
}
