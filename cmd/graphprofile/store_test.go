package main

import (
	"io"
	"path/filepath"
	"runtime"
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
		loc, err := env.parseStore(store)
		if err != nil {
			t.Errorf("parseStore(%q): %v", store, err)
			continue
		}
		if loc.kind != "sqlite" || filepath.Clean(loc.path) != db {
			t.Errorf("parseStore(%q) = %s %q, want sqlite %q", store, loc.kind, loc.path, db)
		}
	}
}
