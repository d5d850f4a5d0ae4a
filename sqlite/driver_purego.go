//go:build !cgo || purego

package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"

	"modernc.org/sqlite"
)

// newConnector opens connections to the database at path with c: the
// driver's _txlock DSN parameter for the transaction lock, SQLite's URI
// parameters (connConfig.uriParams), and c's pragmas run in order by a
// connection hook of a driver of our own (the driver's _pragma parameters
// would run them sorted by name).
func newConnector(path string, c connConfig) driver.Connector {
	params := url.Values{}
	params = c.uriParams(params)
	if c.immediate {
		params.Set("_txlock", "immediate")
	}
	pragmas := c.pragmas
	d := &sqlite.Driver{}
	d.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, _ string) error {
		for _, p := range pragmas {
			q := "PRAGMA " + p.name + " = " + p.value
			if _, err := conn.ExecContext(context.Background(), q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	return connector{dsn: fileURI(path, params), driver: d}
}

// resultCode returns SQLite's extended result code of err (the driver
// turns extended codes on), and whether err is an error of SQLite's.
func resultCode(err error) (int, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return 0, false
	}
	return se.Code(), true
}
