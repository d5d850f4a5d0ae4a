package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/graphprofile/graphprofile"
	"github.com/jackc/pgx/v5"
)

// ListItems returns the items of collection c of owner ordered by
// createdDateTime, then id; ErrNotFound when owner is not a user.
func (s *Store) ListItems(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection) ([]graphprofile.Item, error) {
	if !storable(owner.TenantID, owner.UserID) {
		return nil, store.UserNotFound(owner)
	}
	var items []graphprofile.Item
	err := s.read(ctx, func(ctx context.Context) error {
		items = []graphprofile.Item{}
		rows, err := s.pool.Query(ctx,
			`SELECT document FROM items WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 ORDER BY created_at, id`,
			owner.TenantID, owner.UserID, c.Name)
		if err != nil {
			return dbErr("listing items", err)
		}
		defer rows.Close()
		for rows.Next() {
			it, err := store.DecodeItem(c, rows.RawValues()[0])
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		if err := rows.Err(); err != nil {
			return dbErr("listing items", err)
		}
		if len(items) > 0 {
			return nil
		}
		// No items: is there a user? (A user deleted in between makes this
		// "not found", which it is by now.)
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2)`,
			owner.TenantID, owner.UserID).Scan(&exists); err != nil {
			return dbErr("listing items", err)
		}
		if !exists {
			return store.UserNotFound(owner)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// ListProfile returns the items of each of collections of owner, each in
// list order, in one query (and one more when it finds none, to tell an
// empty profile from no user): one snapshot of the whole profile, and one
// round trip rather than one per collection.
func (s *Store) ListProfile(ctx context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection) ([][]graphprofile.Item, error) {
	if !storable(owner.TenantID, owner.UserID) {
		return nil, store.UserNotFound(owner)
	}
	kinds := make([]string, len(collections))
	for i, c := range collections {
		kinds[i] = c.Name
	}
	var lists [][]graphprofile.Item
	err := s.read(ctx, func(ctx context.Context) error {
		lists = make([][]graphprofile.Item, len(collections))
		for i := range lists {
			lists[i] = []graphprofile.Item{}
		}
		rows, err := s.pool.Query(ctx,
			`SELECT kind, document FROM items WHERE tenant_id = $1 AND user_id = $2 AND kind = ANY($3)
			 ORDER BY kind, created_at, id`,
			owner.TenantID, owner.UserID, kinds)
		if err != nil {
			return dbErr("listing a profile", err)
		}
		defer rows.Close()
		found := false
		for rows.Next() {
			found = true
			raw := rows.RawValues()
			i := slices.Index(kinds, string(raw[0]))
			if i < 0 {
				return store.Errorf("listing a profile: an item of kind %q, which was not asked for", raw[0])
			}
			it, err := store.DecodeItem(collections[i], raw[1])
			if err != nil {
				return err
			}
			lists[i] = append(lists[i], it)
		}
		if err := rows.Err(); err != nil {
			return dbErr("listing a profile", err)
		}
		if found {
			return nil
		}
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2)`,
			owner.TenantID, owner.UserID).Scan(&exists); err != nil {
			return dbErr("listing a profile", err)
		}
		if !exists {
			return store.UserNotFound(owner)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lists, nil
}

// GetItem returns item id of collection c of owner.
func (s *Store) GetItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string) (graphprofile.Item, error) {
	if !storable(owner.TenantID, owner.UserID, id) {
		return nil, store.ItemNotFound(owner, c, id)
	}
	var it graphprofile.Item
	err := s.read(ctx, func(ctx context.Context) error {
		var err error
		it, err = readItem(ctx, s.pool, owner, c, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return it, nil
}

// CreateItem stores the new item it of collection c of owner; ErrNotFound
// when owner is not a user.
func (s *Store) CreateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, it graphprofile.Item) error {
	id := it.ID()
	if id == "" {
		return store.Errorf("CreateItem: the %s item has no id", c.Name)
	}
	if !storable(owner.TenantID, owner.UserID) {
		return store.UserNotFound(owner)
	}
	if !storable(id) {
		return unstorable("the id of an item")
	}
	row, err := store.NewRow(c, it)
	if err != nil {
		return err
	}
	return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
		// One statement, its own transaction: the user is read and the
		// item written at once (the foreign key catches a user deleted in
		// between).
		tag, err := s.pool.Exec(ctx,
			`INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
			 SELECT tenant_id, id, $3, $4, $5, $6 FROM users WHERE tenant_id = $1 AND id = $2`,
			owner.TenantID, owner.UserID, c.Name, id, row.CreatedAt, row.Document)
		switch {
		case violation(err, uniqueViolation) != "":
			return store.Errorf("%s item %q already exists: %w", c.Name, id, err)
		case violation(err, foreignKeyViolation) != "":
			return store.UserNotFound(owner)
		case err != nil:
			return commitErr("storing an item", err)
		case tag.RowsAffected() == 0:
			return store.UserNotFound(owner)
		}
		return nil
	})
}

// readItem reads item id of collection c of owner with q; forUpdate locks
// its row until the transaction ends. It is shaped like sqlite's readItem;
// the query and its no-rows error are PostgreSQL's.
func readItem(ctx context.Context, q querier, owner graphprofile.UserKey, c graphprofile.Collection, id string, forUpdate bool) (graphprofile.Item, error) {
	query := `SELECT document FROM items WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 AND id = $4`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var doc []byte
	err := q.QueryRow(ctx, query, owner.TenantID, owner.UserID, c.Name, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ItemNotFound(owner, c, id)
	}
	if err != nil {
		return nil, dbErr("reading an item", err)
	}
	return store.DecodeItem(c, doc)
}

// UpdateItem replaces item id of collection c of owner with what update
// returns for it, in one transaction that holds the row's lock from the
// read to the commit, so that concurrent updates wait for each other.
func (s *Store) UpdateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, update func(graphprofile.Item) (graphprofile.Item, error)) (graphprofile.Item, error) {
	if !storable(owner.TenantID, owner.UserID, id) {
		return nil, store.ItemNotFound(owner, c, id)
	}
	var next graphprofile.Item
	err := s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		cur, err := readItem(ctx, tx, owner, c, id, true)
		if err != nil {
			return err
		}
		row, err := store.UpdatedItem(c, id, cur, update)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx,
			`UPDATE items SET created_at = $5, document = $6
			 WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 AND id = $4`,
			owner.TenantID, owner.UserID, c.Name, id, row.CreatedAt, row.Document); err != nil {
			return dbErr("storing an item", err)
		}
		next = row.Item
		return nil
	})
	if err != nil {
		return nil, err
	}
	return next, nil
}

// DeleteItem removes item id of collection c of owner; when check is not
// nil it is called with the item first, in the same transaction (the row
// locked), and an error from it aborts the delete.
func (s *Store) DeleteItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, check func(graphprofile.Item) error) error {
	if !storable(owner.TenantID, owner.UserID, id) {
		return store.ItemNotFound(owner, c, id)
	}
	const del = `DELETE FROM items WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 AND id = $4`
	if check == nil {
		return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
			tag, err := s.pool.Exec(ctx, del, owner.TenantID, owner.UserID, c.Name, id)
			if err != nil {
				return commitErr("deleting an item", err)
			}
			if tag.RowsAffected() == 0 {
				return store.ItemNotFound(owner, c, id)
			}
			return nil
		})
	}
	return s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		it, err := readItem(ctx, tx, owner, c, id, true)
		if err != nil {
			return err
		}
		if err := check(it); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, del, owner.TenantID, owner.UserID, c.Name, id); err != nil {
			return dbErr("deleting an item", err)
		}
		return nil
	})
}

// DeleteProfile removes every item of owner, of every collection;
// ErrNotFound when owner is not a user.
func (s *Store) DeleteProfile(ctx context.Context, owner graphprofile.UserKey) error {
	if !storable(owner.TenantID, owner.UserID) {
		return store.UserNotFound(owner)
	}
	return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
		// One statement, its own transaction: the delete runs to completion
		// whatever the query reads, and the user is looked up in the same
		// snapshot (a user without a row has no items: the foreign key).
		var exists bool
		err := s.pool.QueryRow(ctx,
			`WITH deleted AS (DELETE FROM items WHERE tenant_id = $1 AND user_id = $2)
			 SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2)`,
			owner.TenantID, owner.UserID).Scan(&exists)
		if err != nil {
			return commitErr("deleting a profile", err)
		}
		if !exists {
			return store.UserNotFound(owner)
		}
		return nil
	})
}
