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

// ListPositions returns the positions of owner ordered by createdDateTime,
// then id; ErrNotFound when owner is not a user.
func (s *Store) ListPositions(ctx context.Context, owner graphprofile.UserKey) ([]graphprofile.WorkPosition, error) {
	if cached, ok := s.cache.profile(owner); ok {
		return cached, nil
	}
	entry, gen := s.cache.profileGeneration(owner)
	// The outer join tells an existing user without positions (one row with
	// a NULL document) from no user at all (no rows).
	rows, err := s.rdb.QueryContext(ctx,
		`SELECT p.document FROM users u
		 LEFT JOIN positions p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
		 WHERE u.tenant_id = ? AND u.id = ?`,
		owner.TenantID, owner.UserID)
	if err != nil {
		return nil, dbErr("listing positions", err)
	}
	defer rows.Close()
	found := false
	ps := []graphprofile.WorkPosition{}
	for rows.Next() {
		found = true
		var doc sql.RawBytes
		if err := rows.Scan(&doc); err != nil {
			return nil, dbErr("listing positions", err)
		}
		if doc == nil {
			continue // the user has no positions
		}
		p, err := store.DecodePosition(doc)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("listing positions", err)
	}
	if !found {
		return nil, store.UserNotFound(owner)
	}
	// Sorted here rather than by an index: a user has few positions, and an
	// index would cost every write another page.
	slices.SortFunc(ps, comparePositions)
	s.cache.addProfile(owner, entry, gen, ps)
	return ps, nil
}

// comparePositions is the list order: createdDateTime, then id.
func comparePositions(a, b graphprofile.WorkPosition) int {
	if c := a.CreatedDateTime().Compare(b.CreatedDateTime()); c != 0 {
		return c
	}
	return strings.Compare(a.ID(), b.ID())
}

// GetPosition returns position id of owner.
func (s *Store) GetPosition(ctx context.Context, owner graphprofile.UserKey, id string) (graphprofile.WorkPosition, error) {
	cached, ok := s.cache.profile(owner)
	if !ok && s.smallProfile(ctx, owner) {
		// Load the whole (small) profile once: the positions of a profile
		// are read together, and the next reads of any of them are free.
		if list, err := s.ListPositions(ctx, owner); err == nil {
			cached, ok = list, true
		}
	}
	if ok {
		for _, p := range cached {
			if p.ID() == id {
				return p, nil
			}
		}
		return nil, store.PositionNotFound(owner, id)
	}
	return readPosition(ctx, s.rdb, owner, id)
}

// smallProfileLimit is the most positions a profile may have for a read of
// one of them to load (and cache) all of them.
const smallProfileLimit = 200

// smallProfile reports whether owner has at most smallProfileLimit
// positions; a failure answers no (the caller then reads just the one).
func (s *Store) smallProfile(ctx context.Context, owner graphprofile.UserKey) bool {
	var n int
	err := s.rdb.QueryRowContext(ctx,
		`SELECT count(*) FROM (SELECT 1 FROM positions WHERE tenant_id = ? AND user_id = ? LIMIT ?)`,
		owner.TenantID, owner.UserID, smallProfileLimit+1).Scan(&n)
	return err == nil && n <= smallProfileLimit
}

// CreatePosition stores the new position p of owner; ErrNotFound when owner
// is not a user.
func (s *Store) CreatePosition(ctx context.Context, owner graphprofile.UserKey, p graphprofile.WorkPosition) error {
	id := p.ID()
	if id == "" {
		return store.Errorf("CreatePosition: the position has no id")
	}
	row, err := store.NewRow(p)
	if err != nil {
		return err
	}
	return s.writeThen(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO positions (tenant_id, user_id, id, created_at, document)
			 SELECT tenant_id, id, ?, ?, ? FROM users WHERE tenant_id = ? AND id = ?`,
			id, row.CreatedAt, row.Document, owner.TenantID, owner.UserID)
		if isConstraint(err, sqlite3.ErrConstraintPrimaryKey) {
			return store.Errorf("position %q already exists: %w", id, err)
		}
		if err != nil {
			return dbErr("storing a position", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("storing a position", err)
		} else if n == 0 {
			return store.UserNotFound(owner)
		}
		return nil
	}, func() { s.cache.changeProfile(owner, id, p) })
}

// readPosition reads position id of owner with q. It is shaped like
// postgres's readPosition; the query and its no-rows error are SQLite's.
func readPosition(ctx context.Context, q querier, owner graphprofile.UserKey, id string) (graphprofile.WorkPosition, error) {
	var doc []byte
	err := q.QueryRowContext(ctx,
		`SELECT document FROM positions WHERE tenant_id = ? AND user_id = ? AND id = ?`,
		owner.TenantID, owner.UserID, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.PositionNotFound(owner, id)
	}
	if err != nil {
		return nil, dbErr("reading a position", err)
	}
	return store.DecodePosition(doc)
}

// UpdatePosition replaces position id of owner with what update returns for
// it, in one write transaction.
func (s *Store) UpdatePosition(ctx context.Context, owner graphprofile.UserKey, id string, update func(graphprofile.WorkPosition) (graphprofile.WorkPosition, error)) (graphprofile.WorkPosition, error) {
	var next graphprofile.WorkPosition
	err := s.writeThen(ctx, func(tx *sql.Tx) error {
		cur, err := readPosition(ctx, tx, owner, id)
		if err != nil {
			return err
		}
		row, err := store.UpdatedPosition(id, cur, update)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE positions SET created_at = ?, document = ?
			 WHERE tenant_id = ? AND user_id = ? AND id = ?`,
			row.CreatedAt, row.Document, owner.TenantID, owner.UserID, id); err != nil {
			return dbErr("storing a position", err)
		}
		next = row.Position
		return nil
	}, func() { s.cache.changeProfile(owner, id, next) })
	if err != nil {
		return nil, err
	}
	return next, nil
}

// DeletePosition removes position id of owner; when check is not nil it is
// called with the position first, in the same transaction, and an error from
// it aborts the delete.
func (s *Store) DeletePosition(ctx context.Context, owner graphprofile.UserKey, id string, check func(graphprofile.WorkPosition) error) error {
	return s.writeThen(ctx, func(tx *sql.Tx) error {
		if check != nil {
			p, err := readPosition(ctx, tx, owner, id)
			if err != nil {
				return err
			}
			if err := check(p); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx,
			`DELETE FROM positions WHERE tenant_id = ? AND user_id = ? AND id = ?`,
			owner.TenantID, owner.UserID, id)
		if err != nil {
			return dbErr("deleting a position", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("deleting a position", err)
		} else if n == 0 {
			return store.PositionNotFound(owner, id)
		}
		return nil
	}, func() { s.cache.changeProfile(owner, id, nil) })
}

// DeleteProfile removes every position of owner in one write transaction;
// ErrNotFound when owner is not a user.
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM positions WHERE tenant_id = ? AND user_id = ?`,
			owner.TenantID, owner.UserID); err != nil {
			return dbErr("deleting a profile", err)
		}
		return nil
	}, func() { s.cache.dropProfile(owner) })
}
