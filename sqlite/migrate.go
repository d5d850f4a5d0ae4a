package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNewerSchema is returned by Open for a database that a newer graphprofile
// has migrated: this binary does not know its schema and must not touch it.
var ErrNewerSchema = errors.New("the database schema is newer than this graphprofile supports")

// migration is one schema change: migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations ordered by version.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(names))
	seen := make(map[int]string, len(names))
	for _, name := range names {
		base := path.Base(name)
		prefix, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlite: migration %s: the name must be NNNN_description.sql with NNNN > 0", base)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("sqlite: migrations %s and %s have the same version %d", other, base, v)
		}
		seen[v] = base
		text, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(text)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate brings the database's schema up to date, one transaction per
// migration, and refuses a database with a version this binary does not know.
// It is idempotent, and safe when several processes open the database at once.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TEXT NOT NULL
		)`); err != nil {
			return dbError("creating schema_migrations", err)
		}
		return checkVersion(ctx, tx, latest)
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := s.write(ctx, func(tx *sql.Tx) error {
			// Checked again inside the transaction: another process may have
			// applied it since.
			if err := checkVersion(ctx, tx, latest); err != nil {
				return err
			}
			var applied bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.version).Scan(&applied); err != nil {
				return dbError("reading schema_migrations", err)
			}
			if applied {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return dbError("applying migration "+m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.version, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
				return dbError("recording migration "+m.name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkVersion fails with ErrNewerSchema when the database has a migration
// newer than latest, the newest this binary has.
func checkVersion(ctx context.Context, tx *sql.Tx, latest int) error {
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return dbError("reading schema_migrations", err)
	}
	if newest.Valid && newest.Int64 > int64(latest) {
		return fmt.Errorf("sqlite: database schema version %d, but this graphprofile knows versions up to %d; use a newer graphprofile: %w",
			newest.Int64, latest, ErrNewerSchema)
	}
	return nil
}
