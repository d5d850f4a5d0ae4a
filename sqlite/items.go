package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/graphprofile/graphprofile"
	"github.com/mattn/go-sqlite3"
)

// ListItems returns the items of collection c of owner ordered by
// createdDateTime, then id; ErrNotFound when owner is not a user.
func (s *Store) ListItems(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection) ([]graphprofile.Item, error) {
	if cached, ok := s.cache.items(owner, c.Name); ok {
		return cached, nil
	}
	entry, gen := s.cache.itemsGeneration(owner, c.Name)
	// The outer join tells an existing user without items (one row with a
	// NULL document) from no user at all (no rows).
	rows, err := s.rdb.QueryContext(ctx,
		`SELECT i.document FROM users u
		 LEFT JOIN items i ON i.tenant_id = u.tenant_id AND i.user_id = u.id AND i.kind = ?
		 WHERE u.tenant_id = ? AND u.id = ?`,
		c.Name, owner.TenantID, owner.UserID)
	if err != nil {
		return nil, dbErr("listing items", err)
	}
	defer rows.Close()
	found := false
	items := []graphprofile.Item{}
	for rows.Next() {
		found = true
		var doc sql.RawBytes
		if err := rows.Scan(&doc); err != nil {
			return nil, dbErr("listing items", err)
		}
		if doc == nil {
			continue // the user has no items in c
		}
		it, err := store.DecodeItem(c, doc)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("listing items", err)
	}
	if !found {
		return nil, store.UserNotFound(owner)
	}
	// Sorted here rather than by an index: a user has few items, and an
	// index would cost every write another page.
	slices.SortFunc(items, compareItems)
	s.cache.addItems(owner, c.Name, entry, gen, items)
	return items, nil
}

// ListProfile returns the items of each of collections of owner, each in
// list order. Each is ListItems': from the cache when it holds the
// collection, else one query in process (microseconds, no round trip), so
// one query for all would save little and bypass the cache.
func (s *Store) ListProfile(ctx context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection) ([][]graphprofile.Item, error) {
	lists := make([][]graphprofile.Item, len(collections))
	for i, c := range collections {
		items, err := s.ListItems(ctx, owner, c)
		if err != nil {
			return nil, err
		}
		lists[i] = items
	}
	return lists, nil
}

// compareItems is the list order: createdDateTime, then id.
func compareItems(a, b graphprofile.Item) int {
	if c := a.CreatedDateTime().Compare(b.CreatedDateTime()); c != 0 {
		return c
	}
	return strings.Compare(a.ID(), b.ID())
}

// GetItem returns item id of collection c of owner.
func (s *Store) GetItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string) (graphprofile.Item, error) {
	cached, ok := s.cache.items(owner, c.Name)
	if !ok && s.smallCollection(ctx, owner, c) {
		// Load the whole (small) collection once: the items of a profile
		// are read together, and the next reads of any of them are free.
		if list, err := s.ListItems(ctx, owner, c); err == nil {
			cached, ok = list, true
		}
	}
	if ok {
		for _, it := range cached {
			if it.ID() == id {
				return it, nil
			}
		}
		return nil, store.ItemNotFound(owner, c, id)
	}
	return readItem(ctx, s.rdb, owner, c, id)
}

// smallCollectionLimit is the most items a collection of a profile may have
// for a read of one of them to load (and cache) all of them.
const smallCollectionLimit = 200

// smallCollection reports whether owner has at most smallCollectionLimit
// items in c; a failure answers no (the caller then reads just the one).
func (s *Store) smallCollection(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection) bool {
	var n int
	err := s.rdb.QueryRowContext(ctx,
		`SELECT count(*) FROM (SELECT 1 FROM items WHERE tenant_id = ? AND user_id = ? AND kind = ? LIMIT ?)`,
		owner.TenantID, owner.UserID, c.Name, smallCollectionLimit+1).Scan(&n)
	return err == nil && n <= smallCollectionLimit
}

// CreateItem stores the new item it of collection c of owner; ErrNotFound
// when owner is not a user.
func (s *Store) CreateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, it graphprofile.Item) error {
	id := it.ID()
	if id == "" {
		return store.Errorf("CreateItem: the %s item has no id", c.Name)
	}
	row, err := store.NewRow(c, it)
	if err != nil {
		return err
	}
	return s.writeThen(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
			 SELECT tenant_id, id, ?, ?, ?, ? FROM users WHERE tenant_id = ? AND id = ?`,
			c.Name, id, row.CreatedAt, row.Document, owner.TenantID, owner.UserID)
		if isConstraint(err, sqlite3.ErrConstraintPrimaryKey) {
			return store.Errorf("%s item %q already exists: %w", c.Name, id, err)
		}
		if err != nil {
			return dbErr("storing an item", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("storing an item", err)
		} else if n == 0 {
			return store.UserNotFound(owner)
		}
		return nil
	}, func() { s.cache.changeItem(owner, c.Name, id, it) })
}

// readItem reads item id of collection c of owner with q. It is shaped like
// postgres's readItem; the query and its no-rows error are SQLite's.
func readItem(ctx context.Context, q querier, owner graphprofile.UserKey, c graphprofile.Collection, id string) (graphprofile.Item, error) {
	var doc []byte
	err := q.QueryRowContext(ctx,
		`SELECT document FROM items WHERE tenant_id = ? AND user_id = ? AND kind = ? AND id = ?`,
		owner.TenantID, owner.UserID, c.Name, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ItemNotFound(owner, c, id)
	}
	if err != nil {
		return nil, dbErr("reading an item", err)
	}
	return store.DecodeItem(c, doc)
}

// UpdateItem replaces item id of collection c of owner with what update
// returns for it, in one write transaction.
func (s *Store) UpdateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, update func(graphprofile.Item) (graphprofile.Item, error)) (graphprofile.Item, error) {
	var next graphprofile.Item
	err := s.writeThen(ctx, func(tx *sql.Tx) error {
		cur, err := readItem(ctx, tx, owner, c, id)
		if err != nil {
			return err
		}
		row, err := store.UpdatedItem(c, id, cur, update)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE items SET created_at = ?, document = ?
			 WHERE tenant_id = ? AND user_id = ? AND kind = ? AND id = ?`,
			row.CreatedAt, row.Document, owner.TenantID, owner.UserID, c.Name, id); err != nil {
			return dbErr("storing an item", err)
		}
		next = row.Item
		return nil
	}, func() { s.cache.changeItem(owner, c.Name, id, next) })
	if err != nil {
		return nil, err
	}
	return next, nil
}

// DeleteItem removes item id of collection c of owner; when check is not
// nil it is called with the item first, in the same transaction, and an
// error from it aborts the delete.
func (s *Store) DeleteItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, check func(graphprofile.Item) error) error {
	return s.writeThen(ctx, func(tx *sql.Tx) error {
		if check != nil {
			it, err := readItem(ctx, tx, owner, c, id)
			if err != nil {
				return err
			}
			if err := check(it); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx,
			`DELETE FROM items WHERE tenant_id = ? AND user_id = ? AND kind = ? AND id = ?`,
			owner.TenantID, owner.UserID, c.Name, id)
		if err != nil {
			return dbErr("deleting an item", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("deleting an item", err)
		} else if n == 0 {
			return store.ItemNotFound(owner, c, id)
		}
		return nil
	}, func() { s.cache.changeItem(owner, c.Name, id, nil) })
}

// DeleteProfile removes every item of owner, of every collection, in one
// write transaction; ErrNotFound when owner is not a user.
func (s *Store) DeleteProfile(ctx context.Context, owner graphprofile.UserKey) error {
	return s.writeThen(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = ? AND id = ?)`,
			owner.TenantID, owner.UserID).Scan(&exists); err != nil {
			return dbErr("deleting a profile", err)
		}
		if !exists {
			return store.UserNotFound(owner)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM items WHERE tenant_id = ? AND user_id = ?`,
			owner.TenantID, owner.UserID); err != nil {
			return dbErr("deleting a profile", err)
		}
		return nil
	}, func() { s.cache.dropProfile(owner) })
}
