package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"time"

	"github.com/graphprofile/graphprofile/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate brings the database's schema up to date, one transaction per
// migration, and refuses a database with a version this binary does not know.
// It is idempotent, and safe when several processes open the database at once.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return store.Wrap(err)
	}
	latest := migrations.Latest(ms)
	err = s.writeLong(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TEXT NOT NULL
		)`); err != nil {
			return dbErr("creating schema_migrations", err)
		}
		return checkVersion(ctx, tx, latest)
	}, nil, nil)
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := s.writeLong(ctx, func(ctx context.Context, tx *sql.Tx) error {
			// Checked again inside the transaction: another process may have
			// applied it since.
			if err := checkVersion(ctx, tx, latest); err != nil {
				return err
			}
			var applied bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.Version).Scan(&applied); err != nil {
				return dbErr("reading schema_migrations", err)
			}
			if applied {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return dbErr("applying migration "+m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.Version, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
				return dbErr("recording migration "+m.Name, err)
			}
			return nil
		}, nil, nil)
		if err != nil {
			return err
		}
	}
	return nil
}

// checkVersion fails with graphprofile.ErrNewerSchema when the database has
// a migration newer than latest, the newest this binary has.
func checkVersion(ctx context.Context, tx *sql.Tx, latest int) error {
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return dbErr("reading schema_migrations", err)
	}
	if newest.Valid && newest.Int64 > int64(latest) {
		return store.NewerSchema(newest.Int64, latest)
	}
	return nil
}
