package postgres

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ScanItems visits the items of collection c of owner in order after
// `after`, read in pages from items_by_created; ErrNotFound when owner is
// not a user.
func (s *Store) ScanItems(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, visit func(graphprofile.Item) (bool, error)) error {
	if !storable(owner.TenantID, owner.UserID) {
		return store.UserNotFound(owner)
	}
	if after != nil {
		p, err := storablePosition(*after)
		if err != nil {
			return err
		}
		after = &p
	}
	empty, err := store.ScanItems(c, after, func(after *graphprofile.ItemPosition, limit int) ([]stored.RawItem, bool, error) {
		return s.readItemsPage(ctx, owner, c, order, after, limit)
	}, func(it graphprofile.Item, _ stored.RawItem) (bool, error) { return visit(it) })
	if err != nil || !empty {
		return err
	}
	// No items: is there a user? (A user deleted in between makes this
	// "not found", which it is by now.)
	return s.read(ctx, func(ctx context.Context) error {
		return requireUser(ctx, s.pool, owner, "listing items")
	})
}

// requireUser returns ErrNotFound when owner is not a user of what q
// reads; op names the call in a database error.
func requireUser(ctx context.Context, q querier, owner graphprofile.UserKey, op string) error {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2)`,
		owner.TenantID, owner.UserID).Scan(&exists); err != nil {
		return dbErr(op, err)
	}
	if !exists {
		return store.UserNotFound(owner)
	}
	return nil
}

// storablePosition returns a position that is after the same items as p
// and whose id PostgreSQL text can hold. Stored ids hold no NUL, so the
// items after "a\x00b" are those after "a": the id is cut at its first NUL.
// An id of invalid UTF-8 is no position of a stored item (ids are what
// stores returned), and refused.
func storablePosition(p graphprofile.ItemPosition) (graphprofile.ItemPosition, error) {
	if i := strings.IndexByte(p.ID, 0); i >= 0 {
		p.ID = p.ID[:i]
	}
	if !storable(p.ID) {
		return p, unstorable("the id of a scan's position")
	}
	return p, nil
}

// itemsPageQuery reads a page of a collection of a profile after a
// position, in list order: a range of items_by_created, read in its order.
const itemsPageQuery = `SELECT created_at, id, document FROM items
	WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 AND (created_at, id) > ($4, $5)
	ORDER BY created_at, id LIMIT $6`

// newestPageQuery reads a page newest first (createdDateTime descending,
// then id) after a position: the range of items_by_created up to the
// position's time, read backwards, where only the items of one time
// (rarely more than one) are sorted by id (an incremental sort).
const newestPageQuery = `SELECT created_at, id, document FROM items
	WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 AND created_at <= $4 AND (created_at < $4 OR id > $5)
	ORDER BY created_at DESC, id LIMIT $6`

// readItemsPage reads the page of at most limit items of collection c of
// owner after position after (nil: the first), in order; more says
// whether the page is full (another may follow). The connection is back in
// the pool when it returns.
func (s *Store) readItemsPage(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, limit int) (page []stored.RawItem, more bool, err error) {
	query, from := itemsPageQuery, stored.PageFrom(order, after)
	if order == graphprofile.NewestFirst {
		query = newestPageQuery
	}
	return readPage(ctx, s, "listing items", limit, stored.ScanRawItem,
		query, owner.TenantID, owner.UserID, c.Name, from.Created, from.ID, limit)
}

// readPage runs query with args, a page query of at most limit rows, and
// reads its rows with scan (stored.ReadPage); op names the call in a
// database error. The connection is back in the pool when it returns.
func readPage[T any](ctx context.Context, s *Store, op string, limit int, scan func(stored.Rows) (T, int, error), query string, args ...any) (page []T, more bool, err error) {
	err = s.read(ctx, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return dbErr(op, err)
		}
		defer rows.Close()
		page, more, err = stored.ReadPage(rows, limit, scan)
		return dbErr(op, err)
	})
	return page, more, err
}

// listProfileQuery reads the items of a profile's collections ($3), each in
// list order; listFirstQuery the first $4 items of each: only their
// documents are sent.
const (
	listProfileQuery = `SELECT kind, document FROM items WHERE tenant_id = $1 AND user_id = $2 AND kind = ANY($3)
		ORDER BY kind, created_at, id`
	listFirstQuery = `SELECT kind, document FROM (
			SELECT kind, created_at, id, document, row_number() OVER (PARTITION BY kind ORDER BY created_at, id) AS n
			FROM items WHERE tenant_id = $1 AND user_id = $2 AND kind = ANY($3)
		) AS first WHERE n <= $4
		ORDER BY kind, created_at, id`
)

// ListProfile returns the first limit items (limit <= 0: all) of each of
// collections of owner, each in list order, in one query (and one more
// when it finds none, to tell an empty profile from no user): one snapshot
// of them, and one round trip rather than one per collection.
func (s *Store) ListProfile(ctx context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection, limit int) ([][]graphprofile.Item, error) {
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
		query, args := listProfileQuery, []any{owner.TenantID, owner.UserID, kinds}
		if limit > 0 {
			query, args = listFirstQuery, append(args, limit)
		}
		rows, err := s.pool.Query(ctx, query, args...)
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
		return requireUser(ctx, s.pool, owner, "listing a profile")
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

// createItemQuery stores an item and counts it, in one statement (its own
// transaction), unless its collection holds $7 items ($7 > 0). It locks, in
// this order, the user (FOR KEY SHARE: DeleteProfile and DeleteUser wait for
// the create, and it for them), the collection's count (the upsert locks
// its row: concurrent creates of a collection, from any server, count one
// after the other), then writes the item. It answers whether the user
// exists and whether the item was written; a duplicate id fails the whole
// statement, count included.
const createItemQuery = `WITH owner AS (
		SELECT tenant_id, id FROM users WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE
	), counted AS (
		INSERT INTO item_counts (tenant_id, user_id, kind, n)
		SELECT tenant_id, id, $3, 1 FROM owner
		ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET n = item_counts.n + 1
		WHERE $7 <= 0 OR item_counts.n < $7
		RETURNING n
	), inserted AS (
		INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
		SELECT $1, $2, $3, $4, $5, $6 FROM counted
		RETURNING 1
	)
	SELECT EXISTS (SELECT 1 FROM owner), EXISTS (SELECT 1 FROM inserted)`

// CreateItem stores the new item it of collection c of owner; ErrNotFound
// when owner is not a user, ErrCollectionFull when c holds maxItems items
// (maxItems > 0).
func (s *Store) CreateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, it graphprofile.Item, maxItems int) error {
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
	create := func(ctx context.Context) error {
		var found, inserted bool
		err := s.pool.QueryRow(ctx, createItemQuery,
			owner.TenantID, owner.UserID, c.Name, id, row.CreatedAt, row.Document, min(max(maxItems, 0), math.MaxInt32)).Scan(&found, &inserted)
		switch {
		case violation(err, uniqueViolation) != "":
			return store.Errorf("%s item %q already exists: %w", c.Name, id, errItemExists)
		case violation(err, foreignKeyViolation) != "":
			return store.UserNotFound(owner)
		case err != nil:
			return commitErr("storing an item", err)
		case !found:
			return store.UserNotFound(owner)
		case !inserted:
			return store.CollectionFull(owner, c, maxItems)
		}
		return nil
	}
	deadline := time.Now().Add(s.timeout)
	err = s.do(ctx, s.timeout, false, create)
	if isUnknownOutcome(err) && ctx.Err() == nil {
		// The statement may have been applied, its answer lost: a 503
		// would have the client (every Graph SDK) create it again, as a
		// second item. The item's id is the server's own, a GUID, so
		// the database says which: the item is there, with this document,
		// or it is not, and creating it now is safe.
		return s.settleCreate(ctx, deadline, owner, c, id, create, err)
	}
	return err
}

// errItemExists marks CreateItem's failure on an id already stored.
var errItemExists = errors.New("an item of this id is stored")

// settleCreate finds out, until deadline (the create's first attempt's
// budget: the whole create takes no longer than any other call), whether a
// create whose outcome is unknown (unknown, its error) stored the item id:
// then it returns nil; when the item is not there, it runs create again,
// which stores it or fails for a reason of its own. A database that does
// not answer by the deadline leaves the outcome unknown: unknown is
// returned, ErrUnavailable.
func (s *Store) settleCreate(ctx context.Context, deadline time.Time, owner graphprofile.UserKey, c graphprofile.Collection, id string, create func(ctx context.Context) error, unknown error) error {
	isStored := func() (bool, error) {
		err := s.do(ctx, time.Until(deadline), true, func(ctx context.Context) error {
			var one int
			err := s.pool.QueryRow(ctx, `SELECT 1 FROM items WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 AND id = $4`,
				owner.TenantID, owner.UserID, c.Name, id).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			return dbErr("finding an item whose create's outcome was unknown", err)
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		// The id is the server's own, new GUID: an item of it is this
		// create's, whatever its document now (a PATCH of it, listed
		// meanwhile, may have changed it).
		return err == nil, err
	}
	for pause := 50 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		found, err := isStored()
		switch {
		case found:
			return nil
		case err == nil:
			// Not applied (or still running on a connection the database
			// has yet to notice is gone: creating it again waits on its
			// row, and finds it).
			err = s.do(ctx, time.Until(deadline), false, create)
			switch {
			case err == nil:
				return nil
			case errors.Is(err, graphprofile.ErrCollectionFull):
				// The first run, which had yet to end, may have taken the
				// last place: it is there now, or the collection is full.
				found, ferr := isStored()
				switch {
				case found:
					return nil
				case ferr != nil:
					return unknown // not known to be absent: full, or stored
				}
				return err
			case !errors.Is(err, errItemExists) && !isUnknownOutcome(err):
				return err
			}
		}
		if ctx.Err() != nil || time.Until(deadline) < pause {
			return unknown
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return unknown
		}
	}
}

// isUnknownOutcome reports whether err is a write's failure with the
// commit, whose outcome is unknown: not a connection that could not be
// made, nor one that failed before anything was sent, nor a failure the
// database reported (a statement it answered with an error did not
// commit), but for the end of the session (57P01, 57P02): most often read
// by a statement that never ran, its session ended while idle in the pool,
// but it may also end one whose commit was done and not yet answered.
func isUnknownOutcome(err error) bool {
	var de *stored.DBError
	var ce *pgconn.ConnectError
	return errors.As(err, &de) && de.AtCommit && de.Unavailable &&
		!errors.As(de.Err, &ce) && !pgconn.SafeToRetry(de.Err) && (pgCode(de.Err) == "" || sessionEnded(de.Err))
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

// deleteItemQuery deletes an item and uncounts it, in one statement; it
// answers whether there was such an item.
const deleteItemQuery = `WITH deleted AS (
		DELETE FROM items WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 AND id = $4
		RETURNING 1
	), uncounted AS (
		UPDATE item_counts SET n = n - 1
		WHERE tenant_id = $1 AND user_id = $2 AND kind = $3 AND EXISTS (SELECT 1 FROM deleted)
	)
	SELECT EXISTS (SELECT 1 FROM deleted)`

// DeleteItem removes item id of collection c of owner; when check is not
// nil it is called with the item first, in the same transaction (the row
// locked), and an error from it aborts the delete.
func (s *Store) DeleteItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, check func(graphprofile.Item) error) error {
	if !storable(owner.TenantID, owner.UserID, id) {
		return store.ItemNotFound(owner, c, id)
	}
	if check == nil {
		return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
			var deleted bool
			if err := s.pool.QueryRow(ctx, deleteItemQuery, owner.TenantID, owner.UserID, c.Name, id).Scan(&deleted); err != nil {
				return commitErr("deleting an item", err)
			}
			if !deleted {
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
		var deleted bool
		if err := tx.QueryRow(ctx, deleteItemQuery, owner.TenantID, owner.UserID, c.Name, id).Scan(&deleted); err != nil {
			return dbErr("deleting an item", err)
		}
		return nil
	})
}

// DeleteProfile removes every item of owner, of every collection, and
// their counts; ErrNotFound when owner is not a user. The user's row is
// locked first (FOR UPDATE), so the creates in flight for it finish first
// and later ones wait (they lock it FOR KEY SHARE): what is deleted and
// what is uncounted are the same items. The items go before their counts,
// as in DeleteItem, which does not lock the user.
func (s *Store) DeleteProfile(ctx context.Context, owner graphprofile.UserKey) error {
	if !storable(owner.TenantID, owner.UserID) {
		return store.UserNotFound(owner)
	}
	return s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			owner.TenantID, owner.UserID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.UserNotFound(owner)
		}
		if err != nil {
			return dbErr("deleting a profile", err)
		}
		// Statements of their own, whose snapshots come after the lock: the
		// items, then their counts, the order a delete of one item locks
		// them in (one statement would run its WITH's DELETE after the
		// main one, taking the counts first, and deadlock with it).
		for _, table := range []string{"items", "item_counts"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE tenant_id = $1 AND user_id = $2`,
				owner.TenantID, owner.UserID); err != nil {
				return dbErr("deleting a profile", err)
			}
		}
		return nil
	})
}
