package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
)

// ScanItems visits the items of collection c of owner in order after
// `after`; ErrNotFound when owner is not a user. In list order
// (createdDateTime, then id) the start of a collection comes from the
// cache: a scan from the first item of a collection the cache knows
// nothing of reads its first wholeCollectionLimit items (and one more) and
// caches them, whole or as its head, since lists start there and most
// pages stay there. What lies past the head, and every scan newest first,
// is read in pages from items_by_created.
func (s *Store) ScanItems(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, visit func(graphprofile.Item) (bool, error)) error {
	// The cached head is the oldest items': newest first reads the database.
	var first []cachedItem
	complete, ok := false, false
	if order == graphprofile.OldestFirst {
		first, complete, ok = s.cache.first(owner, c.Name)
		if !ok && after == nil {
			var err error
			if first, complete, err = s.readHead(ctx, owner, c); err != nil {
				return err
			}
			ok = true
		}
	}
	if ok {
		i := 0
		if after != nil {
			i = sortSearchAfter(first, *after)
		}
		if complete || i < len(first) {
			for _, ci := range first[i:] {
				if goOn, err := visit(ci.item); err != nil || !goOn {
					return err
				}
			}
			if complete {
				return nil
			}
			last := first[len(first)-1].position
			after = &last
		}
	}
	empty, err := store.ScanItems(c, after, func(after *graphprofile.ItemPosition, limit int) ([]stored.RawItem, bool, error) {
		return s.readItemsPage(ctx, owner, c, order, after, limit)
	}, func(it graphprofile.Item, _ stored.RawItem) (bool, error) {
		return visit(it)
	})
	if err != nil {
		return err
	}
	if empty && !ok {
		// No items after `after`: is there a user? (The outer join of one
		// query would tell too, but costs every page a join.)
		return s.checkUser(ctx, owner)
	}
	return nil
}

// readHead reads the first wholeCollectionLimit items of collection c of
// owner, and whether that is all of them, and caches them: whole, or as the
// collection's head. It stops before the item that would take their stored
// documents past what the cache keeps of one collection
// (maxCachedItemBytes/4), so that a read of a collection of big items reads
// what it visits, not 200 items the cache would not keep. ErrNotFound when
// owner is not a user.
func (s *Store) readHead(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection) (head []cachedItem, complete bool, err error) {
	entry, gen := s.cache.collection(owner, c.Name)
	head, complete = []cachedItem{}, true
	bytes := 0
	empty, err := store.ScanItems(c, nil, func(after *graphprofile.ItemPosition, limit int) ([]stored.RawItem, bool, error) {
		return s.readItemsPage(ctx, owner, c, graphprofile.OldestFirst, after, limit)
	}, func(it graphprofile.Item, row stored.RawItem) (bool, error) {
		ci := newCachedItem(it, row.Position, len(row.Document))
		bytes += ci.size
		if len(head) == wholeCollectionLimit || bytes > maxCachedItemBytes/4 {
			complete = false
			return false, nil
		}
		head = append(head, ci)
		return true, nil
	})
	if err != nil {
		return nil, false, err
	}
	if empty {
		if err := s.checkUser(ctx, owner); err != nil {
			return nil, false, err
		}
	}
	if complete {
		s.cache.addWhole(entry, gen, head)
	} else {
		s.cache.addHead(entry, gen, head)
	}
	return head, complete, nil
}

// sortSearchAfter returns the index of the first item of list (in list
// order) after position p.
func sortSearchAfter(list []cachedItem, p graphprofile.ItemPosition) int {
	i, found := slices.BinarySearchFunc(list, p, func(ci cachedItem, p graphprofile.ItemPosition) int {
		return comparePositions(ci.position, p)
	})
	if found {
		i++
	}
	return i
}

// comparePositions is the list order: createdDateTime, then id (bytes, as
// SQLite's BINARY collation compares them).
func comparePositions(a, b graphprofile.ItemPosition) int {
	return cmp.Or(cmp.Compare(a.Created, b.Created), strings.Compare(a.ID, b.ID))
}

// itemsPageQuery reads a page of a collection of a profile after a
// position, in list order: a range of items_by_created, read in its order.
const itemsPageQuery = `SELECT created_at, id, document FROM items
	WHERE tenant_id = ? AND user_id = ? AND kind = ? AND (created_at, id) > (?, ?)
	ORDER BY created_at, id LIMIT ?`

// newestPageQuery reads a page newest first (createdDateTime descending,
// then id) after a position: the range of items_by_created up to the
// position's time, read backwards, where only the items of one time
// (rarely more than one) are sorted by id.
const newestPageQuery = `SELECT created_at, id, document FROM items
	WHERE tenant_id = ?1 AND user_id = ?2 AND kind = ?3 AND created_at <= ?4 AND (created_at < ?4 OR id > ?5)
	ORDER BY created_at DESC, id LIMIT ?6`

// readItemsPage reads the page of at most limit items of collection c of
// owner after position after (nil: the first), in order; more says
// whether the page is full (another may follow). The read connection is
// released before it returns.
func (s *Store) readItemsPage(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, limit int) (page []stored.RawItem, more bool, err error) {
	query, from := itemsPageQuery, stored.PageFrom(order, after)
	if order == graphprofile.NewestFirst {
		// Either comparison is a range of items_by_created.
		query = newestPageQuery
	}
	return readPage(ctx, s.rdb, "listing items", limit, stored.ScanRawItem,
		query, owner.TenantID, owner.UserID, c.Name, from.Created, from.ID, limit)
}

// readPage runs query with args on db, a page query of at most limit rows,
// and reads its rows with scan (stored.ReadPage); op names the call in a
// database error. The connection is released before it returns.
func readPage[T any](ctx context.Context, db *sql.DB, op string, limit int, scan func(stored.Rows) (T, int, error), query string, args ...any) ([]T, bool, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, dbErr(op, err)
	}
	defer rows.Close()
	page, more, err := stored.ReadPage(rows, limit, scan)
	return page, more, dbErr(op, err)
}

// checkUser returns ErrNotFound when owner is not a user.
func (s *Store) checkUser(ctx context.Context, owner graphprofile.UserKey) error {
	if _, ok := s.cache.user(owner); ok {
		return nil
	}
	return requireUser(ctx, s.rdb, owner, "reading a user")
}

// requireUser returns ErrNotFound when owner is not a user of what q
// reads; op names the call in a database error.
func requireUser(ctx context.Context, q querier, owner graphprofile.UserKey, op string) error {
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = ? AND id = ?)`,
		owner.TenantID, owner.UserID).Scan(&exists); err != nil {
		return dbErr(op, err)
	}
	if !exists {
		return store.UserNotFound(owner)
	}
	return nil
}

// GetItem returns item id of collection c of owner: from the cache, or its
// row alone (which is then cached).
func (s *Store) GetItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string) (graphprofile.Item, error) {
	if it, found, known := s.cache.item(owner, c.Name, id); known {
		if !found {
			return nil, store.ItemNotFound(owner, c, id)
		}
		return it, nil
	}
	entry, gen := s.cache.collection(owner, c.Name)
	ci, err := readItem(ctx, s.rdb, owner, c, id)
	if err != nil {
		return nil, err
	}
	s.cache.addItem(entry, gen, ci)
	return ci.item, nil
}

// CreateItem stores the new item it of collection c of owner; ErrNotFound
// when owner is not a user, ErrCollectionFull when c holds maxItems items
// (maxItems > 0). The writer runs writes one at a time, so the count read
// in the write's transaction is the count the item is added to.
func (s *Store) CreateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, it graphprofile.Item, maxItems int) error {
	id := it.ID()
	if id == "" {
		return store.Errorf("CreateItem: the %s item has no id", c.Name)
	}
	row, err := store.NewRow(c, it)
	if err != nil {
		return err
	}
	return s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// One statement finds the user, checks the count and stores the
		// item; a second counts it. (An upsert … RETURNING n would do
		// both counting steps at once, but SQLite builds a temporary table
		// for every RETURNING: measured, it tripled the writer's time per
		// create.)
		res, err := tx.ExecContext(ctx,
			`INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
			 SELECT tenant_id, id, ?, ?, ?, ? FROM users
			 WHERE tenant_id = ? AND id = ?
			   AND (? <= 0 OR coalesce((SELECT n FROM item_counts WHERE tenant_id = ? AND user_id = ? AND kind = ?), 0) < ?)`,
			c.Name, id, row.CreatedAt, row.Document, owner.TenantID, owner.UserID,
			maxItems, owner.TenantID, owner.UserID, c.Name, maxItems)
		if isConstraint(err, codeConstraintPrimaryKey) {
			return store.Errorf("%s item %q already exists: %w", c.Name, id, err)
		}
		if err != nil {
			return dbErr("storing an item", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("storing an item", err)
		} else if n == 0 {
			// No user, or no room: which?
			if err := requireUser(ctx, tx, owner, "storing an item"); err != nil {
				return err
			}
			return store.CollectionFull(owner, c, maxItems)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO item_counts (tenant_id, user_id, kind, n) VALUES (?, ?, ?, 1)
			 ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET n = n + 1`,
			owner.TenantID, owner.UserID, c.Name)
		return dbErr("counting items", err)
	}, func() int { return len(row.Document) }, profileFluxOf(owner), func() { s.cache.changeItem(owner, c.Name, id, cachedRow(row)) })
}

// cachedRow is the cache's entry for a row just written.
func cachedRow(row stored.Row) cachedItem {
	return newCachedItem(row.Item, graphprofile.ItemPosition{Created: row.CreatedAt, ID: row.Item.ID()}, len(row.Document))
}

// readItem reads item id of collection c of owner with q. It is shaped like
// postgres's readItem; the query and its no-rows error are SQLite's.
func readItem(ctx context.Context, q querier, owner graphprofile.UserKey, c graphprofile.Collection, id string) (cachedItem, error) {
	var created int64
	var doc []byte
	err := q.QueryRowContext(ctx,
		`SELECT created_at, document FROM items WHERE tenant_id = ? AND user_id = ? AND kind = ? AND id = ?`,
		owner.TenantID, owner.UserID, c.Name, id).Scan(&created, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return cachedItem{}, store.ItemNotFound(owner, c, id)
	}
	if err != nil {
		return cachedItem{}, dbErr("reading an item", err)
	}
	it, err := store.DecodeItem(c, doc)
	if err != nil {
		return cachedItem{}, err
	}
	return newCachedItem(it, graphprofile.ItemPosition{Created: created, ID: id}, len(doc)), nil
}

// UpdateItem replaces item id of collection c of owner with what update
// returns for it, in one write transaction.
func (s *Store) UpdateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, update func(graphprofile.Item) (graphprofile.Item, error)) (graphprofile.Item, error) {
	var next stored.Row
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cur, err := readItem(ctx, tx, owner, c, id)
		if err != nil {
			return err
		}
		row, err := store.UpdatedItem(c, id, cur.item, update)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE items SET created_at = ?, document = ?
			 WHERE tenant_id = ? AND user_id = ? AND kind = ? AND id = ?`,
			row.CreatedAt, row.Document, owner.TenantID, owner.UserID, c.Name, id); err != nil {
			return dbErr("storing an item", err)
		}
		next = row
		return nil
	}, func() int { return len(next.Document) }, profileFluxOf(owner), func() { s.cache.changeItem(owner, c.Name, id, cachedRow(next)) })
	if err != nil {
		return nil, err
	}
	return next.Item, nil
}

// DeleteItem removes item id of collection c of owner; when check is not
// nil it is called with the item first, in the same transaction, and an
// error from it aborts the delete.
func (s *Store) DeleteItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, check func(graphprofile.Item) error) error {
	return s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if check != nil {
			cur, err := readItem(ctx, tx, owner, c, id)
			if err != nil {
				return err
			}
			if err := check(cur.item); err != nil {
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
		_, err = tx.ExecContext(ctx, `UPDATE item_counts SET n = n - 1 WHERE tenant_id = ? AND user_id = ? AND kind = ?`,
			owner.TenantID, owner.UserID, c.Name)
		return dbErr("counting items", err)
	}, nil, profileFluxOf(owner), func() { s.cache.changeItem(owner, c.Name, id, cachedItem{}) })
}

// DeleteProfile removes every item of owner, of every collection, in one
// write transaction; ErrNotFound when owner is not a user.
func (s *Store) DeleteProfile(ctx context.Context, owner graphprofile.UserKey) error {
	return s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := requireUser(ctx, tx, owner, "deleting a profile"); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM items WHERE tenant_id = ? AND user_id = ?`,
			`DELETE FROM item_counts WHERE tenant_id = ? AND user_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, owner.TenantID, owner.UserID); err != nil {
				return dbErr("deleting a profile", err)
			}
		}
		return nil
	}, nil, profileFluxOf(owner), func() { s.cache.dropProfile(owner) })
}

// ListProfile returns the first limit items (limit <= 0: all) of each of
// collections of owner, each in list order. Each is a scan of its
// collection: from the cache when it holds the collection, else pages read
// in process (microseconds, no round trip), so one query for all would save
// little and bypass the cache.
func (s *Store) ListProfile(ctx context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection, limit int) ([][]graphprofile.Item, error) {
	lists := make([][]graphprofile.Item, len(collections))
	for i, c := range collections {
		items, err := graphprofile.FirstItems(ctx, s, owner, c, limit)
		if err != nil {
			return nil, err
		}
		lists[i] = items
	}
	return lists, nil
}
