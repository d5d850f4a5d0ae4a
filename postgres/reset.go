package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Reset removes the users of tenantID ("" for every tenant), their items
// and their item counts in one transaction. It takes the users first, as
// every write of items does (a create locks its owner FOR KEY SHARE, then
// its collection's count, then writes the item; DeleteProfile and
// LoadProfiles lock the users too before their items): taking the counts
// or the items first would deadlock with a create in flight, through any
// server, which PostgreSQL breaks only after deadlock_timeout by failing
// one of them. Every tenant's go by TRUNCATE, which drops the tables'
// files instead of deleting rows and locks the tables in the order it
// names them (waiting for the transactions using them); one tenant's by
// DELETE: its users locked FOR UPDATE in id order (the order imports lock
// them in), then the items of those users and their counts (in this order,
// DeleteItem's, which does not lock the user), then the users (the
// children of a user made in between go with it, ON DELETE CASCADE).
func (s *Store) Reset(ctx context.Context, tenantID string) error {
	if !storable(tenantID) {
		return nil // no tenant of the database has this id
	}
	return s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		if tenantID == "" {
			if _, err := tx.Exec(ctx, `TRUNCATE users, items, item_counts`); err != nil {
				return dbErr("resetting the store", err)
			}
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT id FROM users WHERE tenant_id = $1 ORDER BY id FOR UPDATE`, tenantID)
		if err != nil {
			return dbErr("resetting the store", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return dbErr("resetting the store", err)
		}
		for _, table := range []string{"items", "item_counts"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE tenant_id = $1 AND user_id = ANY ($2::text[])", tenantID, ids); err != nil {
				return dbErr("resetting the store", err)
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM users WHERE tenant_id = $1", tenantID); err != nil {
			return dbErr("resetting the store", err)
		}
		return nil
	})
}
