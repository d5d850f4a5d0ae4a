//go:build cgo && !purego

package sqlite

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"

	"github.com/mattn/go-sqlite3"
)

// stmtCacheSize is the number of prepared statements each connection keeps.
const stmtCacheSize = 32

// newConnector opens connections to the database at path with c: the
// driver's own DSN parameters for the transaction lock and the statement
// cache, SQLite's URI parameters (connConfig.uriParams), and c's pragmas
// run by the driver's ConnectHook (after the driver's own defaults, which
// they override).
func newConnector(path string, c connConfig) driver.Connector {
	params := url.Values{"_stmt_cache_size": {fmt.Sprint(stmtCacheSize)}}
	params = c.uriParams(params)
	if c.immediate {
		params.Set("_txlock", "immediate")
	}
	pragmas := c.pragmas
	return connector{
		dsn: fileURI(path, params),
		driver: &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
			for _, p := range pragmas {
				q := "PRAGMA " + p.name + " = " + p.value
				if _, err := conn.Exec(q, nil); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		}},
	}
}

// resultCode returns SQLite's extended result code of err, and whether err
// is an error of SQLite's.
func resultCode(err error) (int, bool) {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return 0, false
	}
	return int(se.ExtendedCode), true
}
