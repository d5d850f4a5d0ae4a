package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Reset removes the users of tenantID ("" for every tenant), their items
// and their item counts in one transaction. Every tenant's go by TRUNCATE,
// which drops the tables' files instead of deleting rows (and waits for
// the transactions using them, as an exclusive lock does); one tenant's by
// DELETE, children first.
func (s *Store) Reset(ctx context.Context, tenantID string) error {
	if !storable(tenantID) {
		return nil // no tenant of the database has this id
	}
	return s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		if tenantID == "" {
			if _, err := tx.Exec(ctx, `TRUNCATE item_counts, items, users`); err != nil {
				return dbErr("resetting the store", err)
			}
			return nil
		}
		for _, table := range []string{"item_counts", "items", "users"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE tenant_id = $1", tenantID); err != nil {
				return dbErr("resetting the store", err)
			}
		}
		return nil
	})
}
