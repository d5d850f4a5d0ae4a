package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestSQLitePath: the path of a sqlite: URL. On Windows, sqlite:///C:/… (an
// absolute path as a file: URL writes it) names C:/…, not \C:\…, which is
// no path there; elsewhere a leading slash stays. Drive paths with either
// slash, relative paths and UNC paths are left as they are on both.
func TestSQLitePath(t *testing.T) {
	for _, tt := range []struct {
		in            string
		windows, unix string
	}{
		{"/C:/data/g.db", "C:/data/g.db", "/C:/data/g.db"},
		{`/d:\data\g.db`, `d:\data\g.db`, `/d:\data\g.db`},
		{"/C:", "C:", "/C:"},
		{"/C:g.db", "/C:g.db", "/C:g.db"}, // no drive's root: left for the directory check
		{"/1:/g.db", "/1:/g.db", "/1:/g.db"},
		{"/data/g.db", "/data/g.db", "/data/g.db"},
		{`C:\data\g.db`, `C:\data\g.db`, `C:\data\g.db`},
		{"C:/data/g.db", "C:/data/g.db", "C:/data/g.db"},
		{`.\g.db`, `.\g.db`, `.\g.db`},
		{`\\server\share\g.db`, `\\server\share\g.db`, `\\server\share\g.db`},
		{"g.db", "g.db", "g.db"},
	} {
		if got := sqlitePath(tt.in, true); got != tt.windows {
			t.Errorf("sqlitePath(%q) on Windows = %q, want %q", tt.in, got, tt.windows)
		}
		if got := sqlitePath(tt.in, false); got != tt.unix {
			t.Errorf("sqlitePath(%q) elsewhere = %q, want %q", tt.in, got, tt.unix)
		}
	}
}

// TestParseSQLiteStore: the three forms of a sqlite: URL name the same
// file, on this platform.
func TestParseSQLiteStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	url := filepath.ToSlash(db)
	if runtime.GOOS == "windows" {
		url = "/" + url // sqlite:///C:/…/g.db
	}
	for _, store := range []string{"sqlite:" + db, "sqlite://" + db, "sqlite://" + url} {
		env := &environment{stderr: io.Discard}
		loc, err := env.parseStore(store, anyStore)
		if err != nil {
			t.Errorf("parseStore(%q): %v", store, err)
			continue
		}
		if loc.kind != "sqlite" || filepath.Clean(loc.path) != db {
			t.Errorf("parseStore(%q) = %s %q, want sqlite %q", store, loc.kind, loc.path, db)
		}
	}
	// A relative path, as sqlite: and sqlite:// write it, is relative
	// still: sqlite://g.db is not /g.db.
	for _, store := range []string{"sqlite:g.db", "sqlite://g.db"} {
		env := &environment{stderr: io.Discard}
		if loc, err := env.parseStore(store, anyStore); err != nil || loc.kind != "sqlite" || loc.path != "g.db" {
			t.Errorf("parseStore(%q) = %s %q, %v; want sqlite %q", store, loc.kind, loc.path, err, "g.db")
		}
	}
}

// TestUnreachablePostgresSaysItOnce: a PostgreSQL store that cannot be
// reached is one line naming the store and the network's refusal once:
// pgx's own error told the address and the dial error twice (once per
// attempt), after "postgres: connecting: store unavailable:".
func TestUnreachablePostgresSaysItOnce(t *testing.T) {
	closedAddr := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close() // nothing listens there now
		return ln.Addr().String()
	}
	addr, other := closedAddr(), closedAddr()
	for _, args := range [][]string{
		{"serve", "--listen", "127.0.0.1:0", "--store", "postgres://u:secret@" + addr + "/db"},
		{"users", "import", "--store", "postgres://u:secret@" + addr + "/db", "users.jsonl"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "users.jsonl"), []byte(`{"displayName": "Ada", "userPrincipalName": "ada@example.test"}`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, dir, nil, args...)
		want := "graphprofile: opening the store postgres://***@" + addr + "/db: connecting: dial tcp " + addr + ": connect: connection refused\n"
		if r.code == 0 || r.stderr != want {
			t.Errorf("graphprofile %s: exit %d, stderr %q; want %q", strings.Join(args[:2], " "), r.code, r.stderr, want)
		}
	}
	// Two hosts: each one's refusal, once.
	r := runCLI(t, t.TempDir(), nil, "serve", "--listen", "127.0.0.1:0", "--store", "postgres://u:secret@"+addr+","+other+"/db")
	want := "graphprofile: opening the store postgres://***@" + addr + "," + other + "/db: connecting: dial tcp " + addr + ": connect: connection refused; dial tcp " + other + ": connect: connection refused\n"
	if r.code == 0 || r.stderr != want {
		t.Errorf("serve on two hosts: exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}

// TestOpenErrorNamesTheStore: a store that does not open is named, unless
// the error names it already: the lock file x.db-lock beside x.db is not
// x.db (sqlite:/proc/x.db failed as "sqlite: open /proc/x.db-lock: …",
// naming no store and no setting).
func TestOpenErrorNamesTheStore(t *testing.T) {
	for _, tt := range []struct {
		msg  string
		want bool
	}{
		{"sqlite: /data/x.db is read-only to this process", true},
		{"sqlite: open /data/x.db-lock: permission denied", false},
		{"sqlite: /data/x.db.bak", false},
		{"sqlite: /data/x.db2 and /data/x.db: locked", true},
		{"sqlite: /data/x.db", true},
	} {
		if got := names(tt.msg, "/data/x.db"); got != tt.want {
			t.Errorf("names(%q, /data/x.db) = %v, want %v", tt.msg, got, tt.want)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	// /proc takes no new file, even from root.
	r := runCLI(t, t.TempDir(), nil, "serve", "--listen", "127.0.0.1:0", "--store", "sqlite:/proc/x.db")
	if want := "graphprofile: opening the store /proc/x.db: "; r.code == 0 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("serve --store sqlite:/proc/x.db: exit %d, stderr %q; want one line beginning %q", r.code, r.stderr, want)
	}
}
