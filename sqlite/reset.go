package sqlite

import (
	"context"
	"database/sql"
)

// Reset removes the users of tenantID ("" for every tenant), their items
// and their item counts in one write, then forgets what the read cache
// holds of them before the write is acknowledged. Without a tenant the
// DELETEs have no WHERE clause, which SQLite runs as a truncation (it
// drops the tables' pages rather than visiting each row): children first,
// since the users' foreign keys would otherwise make SQLite visit them row
// by row.
func (s *Store) Reset(ctx context.Context, tenantID string) error {
	where, args := "", []any(nil)
	if tenantID != "" {
		where, args = " WHERE tenant_id = ?", []any{tenantID}
	}
	return s.writeThen(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"item_counts", "items", "users"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+where, args...); err != nil {
				return dbErr("resetting the store", err)
			}
		}
		return nil
	}, nil, func() { s.cache.dropTenant(tenantID) })
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
