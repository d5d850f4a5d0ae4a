package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"time"

	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/graphprofile/graphprofile/internal/stored"
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
	var from sql.NullInt64 // the database's version, none when it is new
	err = s.writeLong(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TEXT NOT NULL
		)`); err != nil {
			return dbErr("creating schema_migrations", err)
		}
		var err error
		from, err = checkVersion(ctx, tx, latest)
		return err
	}, nil, fluxScope{}, nil)
	if err != nil {
		return err
	}
	// An upgrade is logged, start and end: some migrations read every user
	// or item (about 19 s for 300,000 users), and a server that says
	// nothing meanwhile looks hung. A new database's schema takes no time.
	upgrading := from.Valid && from.Int64 < int64(latest) && s.logger != nil
	began := time.Now()
	if upgrading {
		s.logger.Info("migrating the database's schema (a big database takes a while)", "path", s.path, "from", from.Int64, "to", latest)
	}
	for _, m := range ms {
		err := s.writeLong(ctx, func(ctx context.Context, tx *sql.Tx) error {
			// Checked again inside the transaction: another process may have
			// applied it since.
			if _, err := checkVersion(ctx, tx, latest); err != nil {
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
			if fill := migrationSteps[m.Version]; fill != nil {
				if err := fill(ctx, tx); err != nil {
					return dbErr("applying migration "+m.Name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.Version, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
				return dbErr("recording migration "+m.Name, err)
			}
			return nil
		}, nil, fluxScope{}, nil)
		if err != nil {
			return err
		}
	}
	if upgrading {
		s.logger.Info("migrated the database's schema", "path", s.path, "version", latest, "took", time.Since(began).Round(time.Millisecond).String())
	}
	return nil
}

// checkVersion returns the database's schema version (none for a new
// database), and fails with graphprofile.ErrNewerSchema when it is newer
// than latest, the newest this binary has.
func checkVersion(ctx context.Context, tx *sql.Tx, latest int) (sql.NullInt64, error) {
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return newest, dbErr("reading schema_migrations", err)
	}
	if newest.Valid && newest.Int64 > int64(latest) {
		return newest, store.NewerSchema(newest.Int64, latest)
	}
	return newest, nil
}

// migrationSteps are the parts of migrations that SQL cannot do, by
// version: each runs after its migration's SQL, in its transaction.
var migrationSteps = map[int]func(ctx context.Context, tx *sql.Tx) error{
	8: fillNameKeys,
}

// fillNameKeys gives every user its name_key (migration 0008): the
// graphprofile.NameKey of its display name, as every write computes it, in
// Go, so that the key is the odata engine's fold exactly (SQLite's lower()
// lowers ASCII only). It reads the users in pages of the primary key, so
// its memory is a page's whatever the directory's size.
func fillNameKeys(ctx context.Context, tx *sql.Tx) error {
	update, err := tx.PrepareContext(ctx, `UPDATE users SET name_key = ? WHERE tenant_id = ? AND id = ?`)
	if err != nil {
		return err
	}
	defer update.Close()
	type row struct{ tenant, id, key string }
	var tenant, id string
	for {
		rows, err := tx.QueryContext(ctx,
			`SELECT tenant_id, id, document FROM users WHERE (tenant_id, id) > (?, ?) ORDER BY tenant_id, id LIMIT 1000`, tenant, id)
		if err != nil {
			return err
		}
		var page []row
		for rows.Next() {
			var r row
			var doc []byte
			if err := rows.Scan(&r.tenant, &r.id, &doc); err != nil {
				rows.Close()
				return err
			}
			u, err := store.DecodeUser(r.tenant, r.id, doc)
			if err != nil {
				rows.Close()
				return err
			}
			_, r.key = stored.UserKeys(u)
			page = append(page, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range page {
			if r.key == "" {
				continue
			}
			if _, err := update.ExecContext(ctx, r.key, r.tenant, r.id); err != nil {
				return err
			}
		}
		if len(page) == 0 {
			return nil
		}
		tenant, id = page[len(page)-1].tenant, page[len(page)-1].id
	}
}
