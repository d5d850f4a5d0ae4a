package sqlite

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// TestDriverErrors: whichever driver the build holds (go test, go test
// -tags purego, CGO_ENABLED=0 go test), its errors are told apart as the
// store needs: a primary key or a unique key taken, a database busy (a
// lock held by another connection past the busy timeout, which a retry
// may cure), and anything else.
func TestDriverErrors(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDB(t, path)
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`,
		`INSERT INTO t VALUES (1, 'a')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, pkErr := db.ExecContext(ctx, `INSERT INTO t VALUES (1, 'b')`)
	_, uniqueErr := db.ExecContext(ctx, `INSERT INTO t VALUES (2, 'a')`)

	// A second connection holds the write lock; a third, which waits for
	// no lock, cannot take it.
	holder := openRawDB(t, path)
	defer holder.Close()
	tx, err := holder.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (3, 'c')`); err != nil {
		t.Fatal(err)
	}
	impatient := openDB(path, connConfig{immediate: true, pragmas: []pragmaSetting{{"busy_timeout", "0"}}}, 1)
	defer impatient.Close()
	_, busyErr := impatient.ExecContext(ctx, `INSERT INTO t VALUES (4, 'd')`)

	tests := []struct {
		name                string
		err                 error
		primaryKey, unique  bool
		busy, isSQLiteError bool
	}{
		{"primary key taken", pkErr, true, false, false, true},
		{"unique key taken", uniqueErr, false, true, false, true},
		{"busy", busyErr, false, false, true, true},
		{"not SQLite's", context.Canceled, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error")
			}
			if _, ok := resultCode(tt.err); ok != tt.isSQLiteError {
				t.Errorf("resultCode(%v): SQLite's error %v, want %v", tt.err, ok, tt.isSQLiteError)
			}
			if got := isConstraint(tt.err, codeConstraintPrimaryKey); got != tt.primaryKey {
				t.Errorf("isConstraint(%v, primary key) = %v, want %v", tt.err, got, tt.primaryKey)
			}
			if got := isConstraint(tt.err, codeConstraintUnique); got != tt.unique {
				t.Errorf("isConstraint(%v, unique) = %v, want %v", tt.err, got, tt.unique)
			}
			if got := isBusy(tt.err); got != tt.busy {
				t.Errorf("isBusy(%v) = %v, want %v", tt.err, got, tt.busy)
			}
			// What the rest of the store sees: a busy database is
			// unavailable (503, retry), the rest is not.
			if got := errors.Is(dbErr("testing", tt.err), graphprofile.ErrUnavailable); got != tt.busy {
				t.Errorf("dbErr(%v) wraps ErrUnavailable: %v, want %v", tt.err, got, tt.busy)
			}
		})
	}
}

// TestFileURI: the SQLite URI of a database path names the file, whatever
// the path: absolute on Unix, a Windows drive, relative, and a path that
// starts with two slashes (a Windows UNC path \\server\share\g.db, or
// \\?\C:\g.db, after filepath.ToSlash), which SQLite read as the URI's
// authority ("invalid uri authority") unless the authority is given,
// empty, before it. The Windows shapes are given with slashes: on Linux
// filepath.ToSlash leaves a backslash alone, as part of a name.
func TestFileURI(t *testing.T) {
	for _, tt := range []struct{ path, want string }{
		{"/data/g.db", "file:/data/g.db"},
		{"C:/data/g.db", "file:C:/data/g.db"},
		{"g.db", "file:g.db"},
		{"./sub/g.db", "file:./sub/g.db"},
		{"//server/share/g.db", "file:////server/share/g.db"},
		{"//?/C:/data/g.db", "file:////%3F/C:/data/g.db"},
		{"/data/a b#1%?.db", "file:/data/a%20b%231%25%3F.db"},
	} {
		if got := fileURI(tt.path, nil); got != tt.want {
			t.Errorf("fileURI(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	if got, want := fileURI("/g.db", url.Values{"vfs": {"memdb"}}), "file:/g.db?vfs=memdb"; got != want {
		t.Errorf("fileURI with params = %q, want %q", got, want)
	}
}
