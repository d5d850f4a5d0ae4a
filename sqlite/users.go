package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"iter"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
)

// userColumns are the columns scanUser reads, in its order: the id and the
// document of the user's properties (internal/stored.UserDocument).
//
// This file's statements name the columns postgres/users.go names, and some
// read alike line for line (the UPDATE of UpdateUser, the upsert of
// ImportUsers): the two schemas are the same on purpose, but each store keeps
// its own SQL in its own dialect (placeholders, arrays, constraint errors),
// so they are written twice. What is not SQL is internal/stored's.
const userColumns = `id, document`

// scanUser reads a row of userColumns into a user of tenantID. A row that
// cannot be scanned is the error as the driver gives it (sql.ErrNoRows
// included); a document that does not decode is an error of the store.
func scanUser(row interface{ Scan(...any) error }, tenantID string) (graphprofile.User, error) {
	var id string
	var doc []byte
	if err := row.Scan(&id, &doc); err != nil {
		return graphprofile.User{}, err
	}
	return store.DecodeUser(tenantID, id, doc)
}

// insertUser adds u (which must be new) with the principal name key upn
// (nil: none).
func insertUser(ctx context.Context, tx *sql.Tx, u graphprofile.User, upn *string) error {
	_, name := stored.UserKeys(u)
	_, err := tx.ExecContext(ctx,
		`INSERT INTO users (tenant_id, id, upn_key, name_key, document) VALUES (?, ?, ?, ?, ?)`,
		u.TenantID, u.ID, upn, name, stored.UserDocument(u))
	return err
}

// readUser reads the user key with q.
func readUser(ctx context.Context, q querier, key graphprofile.UserKey) (graphprofile.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND id = ?`,
		key.TenantID, key.UserID), key.TenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return graphprofile.User{}, store.UserNotFound(key)
	}
	if err != nil {
		return graphprofile.User{}, dbErr("reading a user", err)
	}
	return u, nil
}

// EnsureUser records u unless its tenant has a user with its id, and returns
// the stored user; see graphprofile.Store. When the user exists it only reads.
func (s *Store) EnsureUser(ctx context.Context, u graphprofile.User) (graphprofile.User, error) {
	if err := store.CheckUserKey("EnsureUser", u); err != nil {
		return graphprofile.User{}, err
	}
	if cached, ok := s.cache.user(u.Key()); ok {
		return cached, nil
	}
	gen := s.cache.usersGeneration()
	got, err := readUser(ctx, s.rdb, u.Key())
	if err == nil {
		s.cache.addUser(gen, got, "")
	}
	if !errors.Is(err, graphprofile.ErrNotFound) {
		return got, err // found, or failed
	}
	var recorded graphprofile.User
	err = s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error { // fn may run more than once: it sets recorded only
		// Checked again in the transaction: a concurrent call may have
		// recorded the user since.
		cur, err := readUser(ctx, tx, u.Key())
		if err == nil {
			recorded = cur
			return nil
		}
		if !errors.Is(err, graphprofile.ErrNotFound) {
			return err
		}
		rec := stored.CopyUser(u)
		key, _ := stored.UserKeys(u)
		if key != nil {
			var taken bool
			if err := tx.QueryRowContext(ctx,
				`SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = ? AND upn_key = ?)`,
				u.TenantID, key).Scan(&taken); err != nil {
				return dbErr("reading a user principal name", err)
			}
			if taken {
				// The directory's user keeps it.
				rec.UserPrincipalName, key = "", nil
			}
		}
		if err := insertUser(ctx, tx, rec, key); err != nil {
			return dbErr("storing a user", err)
		}
		recorded = rec
		return nil
	}, nil, fluxScope{users: true}, nil)
	if err != nil {
		return graphprofile.User{}, err
	}
	return recorded, nil
}

// FindUser returns the user of tenantID whose id is key or, failing that,
// whose principal name is key ignoring case.
func (s *Store) FindUser(ctx context.Context, tenantID, key string) (graphprofile.User, error) {
	if cached, ok := s.cache.findUser(tenantID, key); ok {
		return cached, nil
	}
	gen := s.cache.usersGeneration()
	u, err := scanUser(s.rdb.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users
		 WHERE tenant_id = ? AND (id = ? OR upn_key = ?)
		 ORDER BY id = ? DESC
		 LIMIT 1`,
		tenantID, key, graphprofile.PrincipalNameKey(key), key), tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return graphprofile.User{}, store.UserNotFound(graphprofile.UserKey{TenantID: tenantID, UserID: key})
	}
	if err != nil {
		return graphprofile.User{}, dbErr("finding a user", err)
	}
	s.cache.addUser(gen, u, key)
	return u, nil
}

// CreateUser adds u to its tenant; a *graphprofile.ConflictError when its id
// or principal name is taken there.
func (s *Store) CreateUser(ctx context.Context, u graphprofile.User) error {
	if err := store.CheckUserKey("CreateUser", u); err != nil {
		return err
	}
	return s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		upn, _ := stored.UserKeys(u)
		err := insertUser(ctx, tx, u, upn)
		switch {
		case isConstraint(err, codeConstraintPrimaryKey):
			return stored.IDTaken(u.ID)
		case isConstraint(err, codeConstraintUnique):
			// SQLite may check the principal name's index before the
			// primary key: when both are taken the id is the conflict, as
			// on PostgreSQL.
			var one int
			switch idErr := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE tenant_id = ? AND id = ?`, u.TenantID, u.ID).Scan(&one); {
			case idErr == nil:
				return stored.IDTaken(u.ID)
			case !errors.Is(idErr, sql.ErrNoRows):
				return dbErr("storing a user", idErr)
			}
			return stored.PrincipalNameTaken(u.UserPrincipalName)
		case err != nil:
			return dbErr("storing a user", err)
		}
		return nil
	}, nil, fluxScope{users: true}, nil)
}

// UpdateUser replaces the user key with what update returns for it, in one
// write transaction.
func (s *Store) UpdateUser(ctx context.Context, key graphprofile.UserKey, update func(graphprofile.User) (graphprofile.User, error)) (graphprofile.User, error) {
	var next graphprofile.User
	err := s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cur, err := readUser(ctx, tx, key)
		if err != nil {
			return err
		}
		if next, err = store.UpdatedUser(key, cur, update); err != nil {
			return err
		}
		upn, name := stored.UserKeys(next)
		_, err = tx.ExecContext(ctx,
			`UPDATE users SET upn_key = ?, name_key = ?, document = ? WHERE tenant_id = ? AND id = ?`,
			upn, name, stored.UserDocument(next), key.TenantID, key.UserID)
		if isConstraint(err, codeConstraintUnique) {
			return stored.PrincipalNameTaken(next.UserPrincipalName)
		}
		return dbErr("storing a user", err)
	}, nil, fluxScope{users: true}, nil)
	if err != nil {
		return graphprofile.User{}, err
	}
	return next, nil
}

// DeleteUser removes the user key; its items go with it (ON DELETE
// CASCADE: the write connection has foreign keys on, see checkSettings).
func (s *Store) DeleteUser(ctx context.Context, key graphprofile.UserKey) error {
	return s.writeThen(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE tenant_id = ? AND id = ?`, key.TenantID, key.UserID)
		if err != nil {
			return dbErr("deleting a user", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("deleting a user", err)
		} else if n == 0 {
			return store.UserNotFound(key)
		}
		return nil
	}, nil, fluxScope{owner: key, profile: true, users: true}, func() { s.cache.dropProfile(key) })
}

// ScanUsers visits the users of tenantID ordered by id after afterID, read
// in pages from the primary key.
func (s *Store) ScanUsers(ctx context.Context, tenantID, afterID string, visit func(graphprofile.User) (bool, error)) error {
	return store.ScanUsers(tenantID, afterID, func(afterID string, limit int) ([]stored.RawUser, bool, error) {
		return s.readUsersPage(ctx, tenantID, afterID, limit)
	}, visit)
}

// usersPageQuery reads a page of the users of a tenant after an id, in id
// order: a range of the primary key, read in its order.
const usersPageQuery = `SELECT ` + userColumns + ` FROM users WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`

// readUsersPage reads the page of at most limit users of tenantID after
// afterID, ordered by id; more says whether the page is full (another may
// follow).
func (s *Store) readUsersPage(ctx context.Context, tenantID, afterID string, limit int) (page []stored.RawUser, more bool, err error) {
	return readPage(ctx, s.rdb, "listing users", limit, stored.ScanRawUser, usersPageQuery, tenantID, afterID, limit)
}

// ScanUsersByName visits the users of tenantID in the order of the keys of
// one of their names, then ids, after `after`, read in pages of the name's
// index: users_by_name (name_key) for display names, users_upn_key
// (upn_key) for principal names; see graphprofile.Store.
func (s *Store) ScanUsersByName(ctx context.Context, tenantID, property string, descending bool, after *graphprofile.NamePosition, visit func(graphprofile.User) (bool, error)) error {
	switch property {
	case "displayName":
		return store.ScanUsersByName(tenantID, after, func(after *graphprofile.NamePosition, limit int) ([]stored.RawNamedUser, bool, error) {
			query, args := usersByNameQuery(tenantID, descending, after, limit)
			return readPage(ctx, s.rdb, "listing users", limit, stored.ScanRawNamedUser, query, args...)
		}, visit)
	case graphprofile.KeyByPrincipalName:
		return store.ScanUsersByPrincipalName(tenantID, descending, after, func(after *graphprofile.NamePosition, limit int) ([]stored.RawNamedUser, bool, error) {
			query, args := usersByPrincipalNameQuery(tenantID, descending, after, limit)
			return readPage(ctx, s.rdb, "listing users", limit, stored.ScanRawNamedUser, query, args...)
		}, func(afterID string, limit int) ([]stored.RawNamedUser, bool, error) {
			return readPage(ctx, s.rdb, "listing users", limit, stored.ScanRawNamedUser, usersWithoutPrincipalNameQuery, tenantID, afterID, limit)
		}, visit)
	}
	return store.NoNameIndex(property)
}

// usersByPrincipalNameQuery is the query of a page of at most limit users
// of tenantID with a principal name, in the order of its key after `after`
// (nil: the first page), and its arguments: a range of users_upn_key, read
// in its order or in reverse. The key is unique in a tenant, so it alone
// orders them.
func usersByPrincipalNameQuery(tenantID string, descending bool, after *graphprofile.NamePosition, limit int) (string, []any) {
	const columns = `SELECT upn_key, ` + userColumns + ` FROM users INDEXED BY users_upn_key WHERE tenant_id = ?`
	switch {
	case after == nil && !descending:
		return columns + ` AND upn_key IS NOT NULL ORDER BY upn_key LIMIT ?`, []any{tenantID, limit}
	case after == nil:
		return columns + ` AND upn_key IS NOT NULL ORDER BY upn_key DESC LIMIT ?`, []any{tenantID, limit}
	case !descending:
		return columns + ` AND upn_key >= ? AND (upn_key > ? OR id > ?) ORDER BY upn_key LIMIT ?`,
			[]any{tenantID, after.Name, after.Name, after.ID, limit}
	}
	return columns + ` AND upn_key <= ? AND (upn_key < ? OR id > ?) ORDER BY upn_key DESC LIMIT ?`,
		[]any{tenantID, after.Name, after.Name, after.ID, limit}
}

// usersWithoutPrincipalNameQuery reads a page of the users of a tenant
// without a principal name after an id, in id order: those users are
// found on users_upn_key (the key NULL) and sorted, a sort of them alone.
// The index is named: by the primary key instead, in id order, SQLite
// would read every user of the tenant to find none in a directory where
// all have a principal name.
const usersWithoutPrincipalNameQuery = `SELECT '', ` + userColumns + ` FROM users INDEXED BY users_upn_key WHERE tenant_id = ? AND upn_key IS NULL AND id > ? ORDER BY id LIMIT ?`

// usersByNameQuery is the query of a page of at most limit users of
// tenantID in the order of their names after `after` (nil: the first
// page), and its arguments: a range of users_by_name, or of
// users_by_name_desc when descending, read in its order.
func usersByNameQuery(tenantID string, descending bool, after *graphprofile.NamePosition, limit int) (string, []any) {
	columns := `SELECT name_key, ` + userColumns + ` FROM users INDEXED BY users_by_name WHERE tenant_id = ?`
	if descending {
		columns = `SELECT name_key, ` + userColumns + ` FROM users INDEXED BY users_by_name_desc WHERE tenant_id = ?`
	}
	switch {
	case after == nil && !descending:
		return columns + ` ORDER BY name_key, id LIMIT ?`, []any{tenantID, limit}
	case after == nil:
		return columns + ` ORDER BY name_key DESC, id LIMIT ?`, []any{tenantID, limit}
	case !descending:
		return columns + ` AND name_key >= ? AND (name_key > ? OR id > ?) ORDER BY name_key, id LIMIT ?`,
			[]any{tenantID, after.Name, after.Name, after.ID, limit}
	}
	return columns + ` AND name_key <= ? AND (name_key < ? OR id > ?) ORDER BY name_key DESC, id LIMIT ?`,
		[]any{tenantID, after.Name, after.Name, after.ID, limit}
}

// ScanUsersByPrefix visits the users of tenantID whose key of property
// starts with prefix, read in pages of a range of the key's index
// (users_by_name, users_upn_key); see graphprofile.Store.
func (s *Store) ScanUsersByPrefix(ctx context.Context, tenantID, property, prefix string, visit func(graphprofile.User) (bool, error)) error {
	end, bounded := stored.PrefixEnd(prefix)
	return store.ScanUsersByPrefix(tenantID, property, prefix, func(column string, after graphprofile.NamePosition, limit int) ([]stored.RawNamedUser, bool, error) {
		index := map[string]string{"name_key": "users_by_name", "upn_key": "users_upn_key"}[column]
		query := `SELECT ` + column + `, ` + userColumns + ` FROM users INDEXED BY ` + index +
			` WHERE tenant_id = ? AND ` + column + ` >= ? AND (` + column + ` > ? OR id > ?)`
		args := []any{tenantID, after.Name, after.Name, after.ID}
		if bounded {
			query += ` AND ` + column + ` < ?`
			args = append(args, end)
		}
		query += ` ORDER BY ` + column + `, id LIMIT ?`
		return readPage(ctx, s.rdb, "listing users", limit, stored.ScanRawNamedUser, query, append(args, limit)...)
	}, visit)
}

// CountUsers counts the users of tenantID on an index of the table.
func (s *Store) CountUsers(ctx context.Context, tenantID string) (int, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE tenant_id = ?`, tenantID).Scan(&n); err != nil {
		return 0, dbErr("counting users", err)
	}
	return n, nil
}

// ImportUsers adds or replaces (by id) every user of users in tenantID, all
// or nothing; see graphprofile.Store.
func (s *Store) ImportUsers(ctx context.Context, tenantID string, users []graphprofile.User) error {
	if err := store.CheckImport(tenantID, users); err != nil {
		return err
	}
	return s.ImportUserStream(ctx, tenantID, stored.Users(users))
}

// ImportUserStream adds or replaces (by id) every user users yields in
// tenantID, all or nothing, holding one user at a time; see
// graphprofile.Store. The writer runs it once (it never retries a write).
func (s *Store) ImportUserStream(ctx context.Context, tenantID string, users iter.Seq2[graphprofile.User, error]) error {
	if err := store.CheckImportTenant(tenantID); err != nil {
		return err
	}
	return s.writeLong(ctx, func(ctx context.Context, tx *sql.Tx) error { return importUsers(ctx, tx, tenantID, users) }, nil, fluxScope{users: true}, nil)
}

// importUsers adds or replaces (by id) the users users yields in tenantID
// in tx. The batch's ids and principal name keys, in batch order, go to a
// temporary table, whose unique indexes find a user that repeats an
// earlier one's (as graphprofile.ImportConflicts, the first repeat); it
// lives in the connection's temporary file, not in memory (temp_store is
// SQLite's default, a file), so an import of any size holds one user at a
// time. The table is dropped at the end, and a failure rolls its creation
// back with the rest.
func importUsers(ctx context.Context, tx *sql.Tx, tenantID string, users iter.Seq2[graphprofile.User, error]) error {
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS temp.import_batch`); err != nil {
		return dbErr("importing users", err)
	}
	if _, err := tx.ExecContext(ctx,
		`CREATE TEMP TABLE import_batch (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, upn TEXT, upn_key TEXT UNIQUE)`); err != nil {
		return dbErr("importing users", err)
	}
	record, err := tx.PrepareContext(ctx, `INSERT INTO temp.import_batch (n, id, upn, upn_key) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return dbErr("importing users", err)
	}
	defer record.Close()
	// First every user without its principal name key, then the keys: a
	// name may move from one user of the batch to another, and the
	// unique index sees only the final state of each name.
	upsert, err := tx.PrepareContext(ctx,
		`INSERT INTO users (tenant_id, id, upn_key, name_key, document) VALUES (?, ?, NULL, ?, ?)
		 ON CONFLICT (tenant_id, id) DO UPDATE SET upn_key = NULL, name_key = excluded.name_key, document = excluded.document`)
	if err != nil {
		return dbErr("importing users", err)
	}
	defer upsert.Close()
	n := 0
	for u, err := range users {
		if err != nil {
			return err
		}
		if err := store.CheckImportUser(u); err != nil {
			return err
		}
		n++
		upn, _ := stored.UserKeys(u)
		_, err := record.ExecContext(ctx, n, u.ID, u.UserPrincipalName, upn)
		if isConstraint(err, codeConstraintUnique) {
			var idTaken bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM temp.import_batch WHERE id = ?)`, u.ID).Scan(&idTaken); err != nil {
				return dbErr("importing users", err)
			}
			if idTaken {
				return stored.IDTaken(u.ID)
			}
			return stored.PrincipalNameTaken(u.UserPrincipalName)
		}
		if err != nil {
			return dbErr("importing users", err)
		}
		_, name := stored.UserKeys(u)
		if _, err := upsert.ExecContext(ctx, tenantID, u.ID, name, stored.UserDocument(u)); err != nil {
			return dbErr("importing users", err)
		}
	}
	// Every user of the batch is now without a key: a user that holds
	// one of the batch's names is one the batch does not replace; the
	// first such name in batch order is the conflict.
	var held string
	err = tx.QueryRowContext(ctx,
		`SELECT b.upn FROM temp.import_batch b JOIN users u ON u.tenant_id = ? AND u.upn_key = b.upn_key
		 ORDER BY b.n LIMIT 1`, tenantID).Scan(&held)
	switch {
	case err == nil:
		return stored.PrincipalNameTaken(held)
	case !errors.Is(err, sql.ErrNoRows):
		return dbErr("importing users", err)
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE users SET upn_key = (SELECT b.upn_key FROM temp.import_batch b WHERE b.id = users.id)
		 WHERE tenant_id = ? AND id IN (SELECT id FROM temp.import_batch WHERE upn_key IS NOT NULL)`, tenantID); err != nil {
		return dbErr("importing users", err)
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE temp.import_batch`); err != nil {
		return dbErr("importing users", err)
	}
	return nil
}
