package postgres

import (
	"context"
	"errors"

	"github.com/graphprofile/graphprofile"
	"github.com/jackc/pgx/v5"
)

// ListPositions returns the positions of owner ordered by createdDateTime,
// then id; ErrNotFound when owner is not a user.
func (s *Store) ListPositions(ctx context.Context, owner graphprofile.UserKey) ([]graphprofile.WorkPosition, error) {
	if !storable(owner.TenantID, owner.UserID) {
		return nil, store.UserNotFound(owner)
	}
	var ps []graphprofile.WorkPosition
	err := s.read(ctx, func(ctx context.Context) error {
		ps = []graphprofile.WorkPosition{}
		rows, err := s.pool.Query(ctx,
			`SELECT document FROM positions WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id`,
			owner.TenantID, owner.UserID)
		if err != nil {
			return dbErr("listing positions", err)
		}
		defer rows.Close()
		for rows.Next() {
			p, err := store.DecodePosition(rows.RawValues()[0])
			if err != nil {
				return err
			}
			ps = append(ps, p)
		}
		if err := rows.Err(); err != nil {
			return dbErr("listing positions", err)
		}
		if len(ps) > 0 {
			return nil
		}
		// No positions: is there a user? (A user deleted in between makes
		// this "not found", which it is by now.)
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2)`,
			owner.TenantID, owner.UserID).Scan(&exists); err != nil {
			return dbErr("listing positions", err)
		}
		if !exists {
			return store.UserNotFound(owner)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// GetPosition returns position id of owner.
func (s *Store) GetPosition(ctx context.Context, owner graphprofile.UserKey, id string) (graphprofile.WorkPosition, error) {
	if !storable(owner.TenantID, owner.UserID, id) {
		return nil, store.PositionNotFound(owner, id)
	}
	var p graphprofile.WorkPosition
	err := s.read(ctx, func(ctx context.Context) error {
		var err error
		p, err = readPosition(ctx, s.pool, owner, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CreatePosition stores the new position p of owner; ErrNotFound when owner
// is not a user.
func (s *Store) CreatePosition(ctx context.Context, owner graphprofile.UserKey, p graphprofile.WorkPosition) error {
	id := p.ID()
	if id == "" {
		return store.Errorf("CreatePosition: the position has no id")
	}
	if !storable(owner.TenantID, owner.UserID) {
		return store.UserNotFound(owner)
	}
	if !storable(id) {
		return unstorable("the id of a position")
	}
	row, err := store.NewRow(p)
	if err != nil {
		return err
	}
	return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
		// One statement, its own transaction: the user is read and the
		// position written at once (the foreign key catches a user deleted
		// in between).
		tag, err := s.pool.Exec(ctx,
			`INSERT INTO positions (tenant_id, user_id, id, created_at, document)
			 SELECT tenant_id, id, $3, $4, $5 FROM users WHERE tenant_id = $1 AND id = $2`,
			owner.TenantID, owner.UserID, id, row.CreatedAt, row.Document)
		switch {
		case violation(err, uniqueViolation) != "":
			return store.Errorf("position %q already exists: %w", id, err)
		case violation(err, foreignKeyViolation) != "":
			return store.UserNotFound(owner)
		case err != nil:
			return commitErr("storing a position", err)
		case tag.RowsAffected() == 0:
			return store.UserNotFound(owner)
		}
		return nil
	})
}

// readPosition reads position id of owner with q; forUpdate locks its row
// until the transaction ends. It is shaped like sqlite's readPosition; the
// query and its no-rows error are PostgreSQL's.
func readPosition(ctx context.Context, q querier, owner graphprofile.UserKey, id string, forUpdate bool) (graphprofile.WorkPosition, error) {
	query := `SELECT document FROM positions WHERE tenant_id = $1 AND user_id = $2 AND id = $3`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var doc []byte
	err := q.QueryRow(ctx, query, owner.TenantID, owner.UserID, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.PositionNotFound(owner, id)
	}
	if err != nil {
		return nil, dbErr("reading a position", err)
	}
	return store.DecodePosition(doc)
}

// UpdatePosition replaces position id of owner with what update returns for
// it, in one transaction that holds the row's lock from the read to the
// commit, so that concurrent updates wait for each other.
func (s *Store) UpdatePosition(ctx context.Context, owner graphprofile.UserKey, id string, update func(graphprofile.WorkPosition) (graphprofile.WorkPosition, error)) (graphprofile.WorkPosition, error) {
	if !storable(owner.TenantID, owner.UserID, id) {
		return nil, store.PositionNotFound(owner, id)
	}
	var next graphprofile.WorkPosition
	err := s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		cur, err := readPosition(ctx, tx, owner, id, true)
		if err != nil {
			return err
		}
		row, err := store.UpdatedPosition(id, cur, update)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx,
			`UPDATE positions SET created_at = $4, document = $5
			 WHERE tenant_id = $1 AND user_id = $2 AND id = $3`,
			owner.TenantID, owner.UserID, id, row.CreatedAt, row.Document); err != nil {
			return dbErr("storing a position", err)
		}
		next = row.Position
		return nil
	})
	if err != nil {
		return nil, err
	}
	return next, nil
}

// DeletePosition removes position id of owner; when check is not nil it is
// called with the position first, in the same transaction (the row locked),
// and an error from it aborts the delete.
func (s *Store) DeletePosition(ctx context.Context, owner graphprofile.UserKey, id string, check func(graphprofile.WorkPosition) error) error {
	if !storable(owner.TenantID, owner.UserID, id) {
		return store.PositionNotFound(owner, id)
	}
	const del = `DELETE FROM positions WHERE tenant_id = $1 AND user_id = $2 AND id = $3`
	if check == nil {
		return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
			tag, err := s.pool.Exec(ctx, del, owner.TenantID, owner.UserID, id)
			if err != nil {
				return commitErr("deleting a position", err)
			}
			if tag.RowsAffected() == 0 {
				return store.PositionNotFound(owner, id)
			}
			return nil
		})
	}
	return s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		p, err := readPosition(ctx, tx, owner, id, true)
		if err != nil {
			return err
		}
		if err := check(p); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, del, owner.TenantID, owner.UserID, id); err != nil {
			return dbErr("deleting a position", err)
		}
		return nil
	})
}

// DeleteProfile removes every position of owner; ErrNotFound when owner is
// not a user.
func (s *Store) DeleteProfile(ctx context.Context, owner graphprofile.UserKey) error {
	if !storable(owner.TenantID, owner.UserID) {
		return store.UserNotFound(owner)
	}
	return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
		// One statement, its own transaction: the delete runs to completion
		// whatever the query reads, and the user is looked up in the same
		// snapshot (a user without a row has no positions: the foreign key).
		var exists bool
		err := s.pool.QueryRow(ctx,
			`WITH deleted AS (DELETE FROM positions WHERE tenant_id = $1 AND user_id = $2)
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
