package sqlite

import (
	"context"
	"database/sql"
)

// Reset removes the users of tenantID ("" for every tenant), their items
// and their item counts in one write, then forgets what the read cache
// holds of them before the write is acknowledged.
func (s *Store) Reset(ctx context.Context, tenantID string) error {
	return s.writeLong(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if tenantID == "" {
			return resetAll(ctx, tx)
		}
		for _, table := range []string{"item_counts", "items", "users"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE tenant_id = ?", tenantID); err != nil {
				return dbErr("resetting a tenant", err)
			}
		}
		return nil
	}, nil, fluxScope{all: true}, func() { s.cache.dropTenant(tenantID) })
}

// resetAll empties the database in tx. The users' tables (items,
// item_counts) are dropped and made again from their own definitions in
// sqlite_schema, indexes included: with foreign keys on, SQLite deletes
// every row of a child table one by one, rewriting every page into the
// write-ahead log (measured: 155 ms for 10,000 positions), whereas a
// dropped table's pages just go to the free list (19 ms). The users,
// once nothing refers to them, go by DELETE.
func resetAll(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT sql FROM sqlite_schema
		WHERE tbl_name IN ('items', 'item_counts') AND sql IS NOT NULL
		ORDER BY type = 'index', name`)
	if err != nil {
		return dbErr("resetting the store", err)
	}
	var definitions []string
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			rows.Close()
			return dbErr("resetting the store", err)
		}
		definitions = append(definitions, q)
	}
	if err := rows.Close(); err != nil {
		return dbErr("resetting the store", err)
	}
	if err := rows.Err(); err != nil {
		return dbErr("resetting the store", err)
	}
	statements := append([]string{"DROP TABLE item_counts", "DROP TABLE items"}, definitions...)
	statements = append(statements, "DELETE FROM users")
	for _, q := range statements {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return dbErr("resetting the store", err)
		}
	}
	return nil
}

// dropTenant forgets every user and every collection of tenantID's
// profiles ("" for every tenant): after a Reset.
func (c *readCache) dropTenant(tenantID string) {
	c.mu.Lock()
	for owner, collections := range c.profiles {
		if tenantID != "" && owner.TenantID != tenantID {
			continue
		}
		for _, e := range collections {
			c.removeLocked(e)
		}
	}
	c.mu.Unlock()
	// Users are few and rarely written: all of them go, as after any
	// write of users.
	c.dropUsers()
}
