package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"net/url"
	"path/filepath"
	"strings"
)

// The SQLite driver is chosen when the binary is built: the cgo binding
// (github.com/mattn/go-sqlite3, driver_cgo.go) in a build with cgo, the
// pure-Go translation of SQLite (modernc.org/sqlite, driver_purego.go) in a
// build without cgo (CGO_ENABLED=0: a static binary, cross-compiled, or
// installed where there is no C compiler) or with the purego tag. Both run
// SQLite itself (each bundles its own release of it) with the same
// settings; all that differs between them is in those two files, behind
// this small API:
//
//   - newConnector, which opens connections with a connConfig;
//   - resultCode, which reads SQLite's result code out of a driver's error.
//
// Which driver a binary holds is in its build information (go version -m).

// connConfig is what every connection of a pool is opened with.
type connConfig struct {
	// memory: the path names a database in SQLite's memdb VFS, shared by
	// every connection that names it, rather than a file.
	memory bool
	// immediate: a transaction takes the write lock when it begins (BEGIN
	// IMMEDIATE) rather than at its first write, so it never fails midway
	// on a lock another connection holds.
	immediate bool
	// pragmas are run on each connection, in order, when it opens.
	pragmas []pragmaSetting
	// existing: a connection opens only a database that is there
	// (SQLite's mode=rw), never makes one. A database file moved away
	// under the store made a new connection create an empty one at the
	// path, beside the write-ahead log of the one moved, which SQLite
	// then deleted or reset (TestNoDatabaseMadeWhileTheFileIsGone).
	existing bool
	// immutable: the file is read as one nothing changes (SQLite's
	// immutable=1: read-only, no locks, no log): a database at rest where
	// no one may write (openToRead).
	immutable bool
}

// uriParams are SQLite's own URI parameters for c.
func (c connConfig) uriParams(params url.Values) url.Values {
	switch {
	case c.memory:
		params.Set("vfs", "memdb")
	case c.immutable:
		params.Set("mode", "ro")
		params.Set("immutable", "1")
	case c.existing:
		params.Set("mode", "rw")
	}
	return params
}

// pragmaSetting is PRAGMA name = value.
type pragmaSetting struct{ name, value string }

// SQLite's result codes that the store tells apart
// (https://sqlite.org/rescode.html), the same whichever driver reports them.
const (
	codeBusy                 = 5                     // SQLITE_BUSY
	codeLocked               = 6                     // SQLITE_LOCKED
	codeReadOnly             = 8                     // SQLITE_READONLY
	codeReadOnlyDirectory    = codeReadOnly | 6<<8   // SQLITE_READONLY_DIRECTORY
	codeCantOpen             = 14                    // SQLITE_CANTOPEN
	codeIOErrWrite           = 10 | 3<<8             // SQLITE_IOERR_WRITE
	codeFull                 = 13                    // SQLITE_FULL
	codeConstraint           = 19                    // SQLITE_CONSTRAINT
	codeConstraintPrimaryKey = codeConstraint | 6<<8 // SQLITE_CONSTRAINT_PRIMARYKEY
	codeConstraintUnique     = codeConstraint | 8<<8 // SQLITE_CONSTRAINT_UNIQUE
	primaryCodeMask          = 0xff                  // an extended code's primary code is its low byte
)

// openDB returns a pool of at most conns connections to the database at path
// (a file, or with c.memory the name of a memdb database), opened with c and
// kept open for the pool's life. It connects at first use.
func openDB(path string, c connConfig, conns int) *sql.DB {
	db := sql.OpenDB(newConnector(path, c))
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db
}

// connector connects to dsn with a driver of our own (rather than one the
// driver's package registers by name: there is no global registry to share).
type connector struct {
	dsn    string
	driver driver.Driver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.driver }

// fileURI is the SQLite URI of the database at path (so that any path
// works) with the query params. Both drivers open URIs; SQLite ignores the
// params that are the driver's, and the driver those that are SQLite's.
func fileURI(path string, params url.Values) string {
	u := url.URL{Path: filepath.ToSlash(path)}
	uri := "file:" + u.EscapedPath()
	if strings.HasPrefix(u.Path, "//") {
		// A Windows UNC path (\\server\share\g.db, \\?\C:\g.db): after
		// "file:", two slashes would start an authority, which SQLite
		// refuses unless it is empty or localhost. Give it, empty.
		uri = "file://" + u.EscapedPath()
	}
	if len(params) > 0 {
		uri += "?" + params.Encode()
	}
	return uri
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED (or an
// extended code of either): another connection holds a lock longer than
// the busy timeout.
func isBusy(err error) bool {
	code, ok := resultCode(err)
	return ok && (code&primaryCodeMask == codeBusy || code&primaryCodeMask == codeLocked)
}

// isFull reports whether err says there is no room for what a write adds:
// SQLite's SQLITE_FULL (the disk is full, ENOSPC) or SQLITE_IOERR_WRITE,
// which is how SQLite reports every other failed write, a quota's EDQUOT
// and a file size limit's EFBIG among them (unixWrite tells only ENOSPC
// apart). Either way the write is undone whole, and a retry may succeed
// once there is room.
func isFull(err error) bool {
	code, ok := resultCode(err)
	return ok && (code&primaryCodeMask == codeFull || code == codeIOErrWrite)
}

// isReadOnly reports whether err is SQLite's SQLITE_READONLY (or an
// extended code of it): the database was opened read-only, as SQLite does
// without a word when the process may not write the file.
func isReadOnly(err error) bool {
	code, ok := resultCode(err)
	return ok && code&primaryCodeMask == codeReadOnly
}

// isReadOnlyDirectory reports whether err is SQLite's
// SQLITE_READONLY_DIRECTORY: it may not make a file beside the database
// (the shared-memory index of its log) in a directory the process may not
// write.
func isReadOnlyDirectory(err error) bool {
	code, ok := resultCode(err)
	return ok && code == codeReadOnlyDirectory
}

// isCantOpen reports whether err is SQLite's SQLITE_CANTOPEN (or an
// extended code of it): a file it cannot open, or make beside the
// database (the shared-memory index of its log).
func isCantOpen(err error) bool {
	code, ok := resultCode(err)
	return ok && code&primaryCodeMask == codeCantOpen
}

// isConstraint reports whether err is a violation of a constraint of the
// kind code (an extended result code such as codeConstraintPrimaryKey).
func isConstraint(err error, code int) bool {
	got, ok := resultCode(err)
	return ok && got == code
}
