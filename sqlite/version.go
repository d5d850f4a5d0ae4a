package sqlite

import (
	"context"

	"github.com/graphprofile/graphprofile"
)

// Version returns the version of the SQLite library the store runs on, as
// sqlite_version() reports it (e.g. "3.50.4"), for graphprofile version: it
// asks an empty database in memory, opened and closed for the purpose.
func Version(ctx context.Context) (string, error) {
	db := openDB("/graphprofile-version-"+graphprofile.NewGUID(), connConfig{memory: true}, 1)
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v); err != nil {
		return "", dbErr("SELECT sqlite_version()", err)
	}
	return v, nil
}
