package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// userColumns are the columns scanUser reads, in its order: the id and the
// document of the user's properties (internal/stored.UserDocument).
//
// This file's statements name the columns sqlite/users.go names, and some
// read alike line for line (the UPDATE of UpdateUser, the upsert of
// ImportUsers): the two schemas are the same on purpose, but each store keeps
// its own SQL in its own dialect (placeholders, arrays, constraint errors),
// so they are written twice. What is not SQL is internal/stored's.
const userColumns = `id, document`

// scanUser reads a row of userColumns into a user of tenantID. A row that
// cannot be scanned is the error as pgx gives it (pgx.ErrNoRows included);
// a document that does not decode is an error of the store.
func scanUser(row pgx.Row, tenantID string) (graphprofile.User, error) {
	var id, doc string
	if err := row.Scan(&id, &doc); err != nil {
		return graphprofile.User{}, err
	}
	return store.DecodeUser(tenantID, id, []byte(doc))
}

// checkUser checks what the database cannot take: a user needs a tenant and
// an id, and text holds no NUL nor invalid UTF-8.
func checkUser(op string, u graphprofile.User) error {
	if err := store.CheckUserKey(op, u); err != nil {
		return err
	}
	if !storable(u.TenantID, u.ID, u.UserPrincipalName, u.DisplayName, u.Mail, u.MailNickname, u.GivenName, u.Surname, u.JobTitle) ||
		!storable(stored.UserDocument(u)) || detailHasNUL(u.Details) {
		return unstorable(fmt.Sprintf("%s: a property of user %q", op, u.ID))
	}
	return nil
}

// detailHasNUL reports whether a string of details (or of a collection of
// them) has a NUL, which the document would keep escaped but no other store
// can hold: refused alike on every store.
func detailHasNUL(details graphprofile.Object) bool {
	for _, v := range details {
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		for _, item := range items {
			if s, ok := item.(string); ok && strings.IndexByte(s, 0) >= 0 {
				return true
			}
		}
	}
	return false
}

const insertUserSQL = `INSERT INTO users (tenant_id, id, upn_key, name_key, document) VALUES ($1, $2, $3, $4, $5)`

// execer is a pool or a transaction.
type execer interface {
	querier
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insertUser adds u with the principal name key upn (nil: none); with
// orNothing, nothing happens when its id or key is taken, and inserted
// says which.
func insertUser(ctx context.Context, q execer, u graphprofile.User, upn *string, orNothing bool) (inserted bool, err error) {
	query := insertUserSQL
	if orNothing {
		query += ` ON CONFLICT DO NOTHING`
	}
	_, name := stored.UserKeys(u)
	tag, err := q.Exec(ctx, query, u.TenantID, u.ID, upn, name, stored.UserDocument(u))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// readUser reads the user key with q; forUpdate locks its row until the
// transaction ends.
func readUser(ctx context.Context, q querier, key graphprofile.UserKey, forUpdate bool) (graphprofile.User, error) {
	query := `SELECT ` + userColumns + ` FROM users WHERE tenant_id = $1 AND id = $2`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	u, err := scanUser(q.QueryRow(ctx, query, key.TenantID, key.UserID), key.TenantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return graphprofile.User{}, store.UserNotFound(key)
	}
	if err != nil {
		return graphprofile.User{}, dbErr("reading a user", err)
	}
	return u, nil
}

// errContended is what EnsureUser says when the user kept appearing and
// vanishing under it.
var errContended = errors.New("the user changed concurrently too often")

// EnsureUser records u unless its tenant has a user with its id, and returns
// the stored user; see graphprofile.Store. When the user exists it only reads.
func (s *Store) EnsureUser(ctx context.Context, u graphprofile.User) (graphprofile.User, error) {
	if err := checkUser("EnsureUser", u); err != nil {
		return graphprofile.User{}, err
	}
	var got graphprofile.User
	err := s.read(ctx, func(ctx context.Context) error {
		var err error
		got, err = readUser(ctx, s.pool, u.Key(), false)
		return err
	})
	if !errors.Is(err, graphprofile.ErrNotFound) {
		return got, err // found, or failed
	}

	// Each statement is its own transaction. INSERT … ON CONFLICT DO
	// NOTHING waits for a concurrent insert of the same id or principal
	// name to commit or roll back, and then decides: concurrent first uses
	// all succeed, and exactly one of them records the user.
	var recorded graphprofile.User
	err = s.do(ctx, s.timeout, false, func(ctx context.Context) error {
		for range 8 {
			rec := stored.CopyUser(u)
			key, _ := stored.UserKeys(u)
			inserted, err := insertUser(ctx, s.pool, rec, key, true)
			if err != nil {
				return commitErr("storing a user", err)
			}
			if inserted {
				recorded = rec
				return nil
			}
			// The id or the principal name is taken.
			cur, err := readUser(ctx, s.pool, u.Key(), false)
			if err == nil {
				recorded = cur
				return nil
			}
			if !errors.Is(err, graphprofile.ErrNotFound) {
				return err
			}
			if key == nil {
				continue // the user was deleted in between: once more
			}
			// The principal name is held: the directory's user keeps it.
			rec.UserPrincipalName = ""
			inserted, err = insertUser(ctx, s.pool, rec, nil, true)
			if err != nil {
				return commitErr("storing a user", err)
			}
			if inserted {
				recorded = rec
				return nil
			}
			// The id was taken in between: read it on the next round.
		}
		return dbErr("storing a user", errContended)
	})
	if err != nil {
		return graphprofile.User{}, err
	}
	return recorded, nil
}

// FindUser returns the user of tenantID whose id is key or, failing that,
// whose principal name is key ignoring case.
func (s *Store) FindUser(ctx context.Context, tenantID, key string) (graphprofile.User, error) {
	notFound := store.UserNotFound(graphprofile.UserKey{TenantID: tenantID, UserID: key})
	if !storable(tenantID, key) {
		return graphprofile.User{}, notFound
	}
	var u graphprofile.User
	err := s.read(ctx, func(ctx context.Context) error {
		var err error
		u, err = scanUser(s.pool.QueryRow(ctx,
			`SELECT `+userColumns+` FROM users
			 WHERE tenant_id = $1 AND (id = $2 OR upn_key = $3)
			 ORDER BY id = $2 DESC
			 LIMIT 1`,
			tenantID, key, graphprofile.PrincipalNameKey(key)), tenantID)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound
		}
		return dbErr("finding a user", err)
	})
	if err != nil {
		return graphprofile.User{}, err
	}
	return u, nil
}

// CreateUser adds u to its tenant; a *graphprofile.ConflictError when its id
// or principal name is taken there.
func (s *Store) CreateUser(ctx context.Context, u graphprofile.User) error {
	if err := checkUser("CreateUser", u); err != nil {
		return err
	}
	return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
		upn, _ := stored.UserKeys(u)
		_, err := insertUser(ctx, s.pool, u, upn, false)
		switch violation(err, uniqueViolation) {
		case "":
		case "users_pkey":
			return stored.IDTaken(u.ID)
		case "users_upn_key":
			return stored.PrincipalNameTaken(u.UserPrincipalName)
		}
		return commitErr("storing a user", err)
	})
}

// UpdateUser replaces the user key with what update returns for it, in one
// transaction that holds the row's lock from the read to the commit.
func (s *Store) UpdateUser(ctx context.Context, key graphprofile.UserKey, update func(graphprofile.User) (graphprofile.User, error)) (graphprofile.User, error) {
	if !storable(key.TenantID, key.UserID) {
		return graphprofile.User{}, store.UserNotFound(key)
	}
	var next graphprofile.User
	err := s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		cur, err := readUser(ctx, tx, key, true)
		if err != nil {
			return err
		}
		if next, err = store.UpdatedUser(key, cur, update); err != nil {
			return err
		}
		if err := checkUser("UpdateUser", next); err != nil {
			return err
		}
		upn, name := stored.UserKeys(next)
		_, err = tx.Exec(ctx,
			`UPDATE users SET upn_key = $3, name_key = $4, document = $5 WHERE tenant_id = $1 AND id = $2`,
			key.TenantID, key.UserID, upn, name, stored.UserDocument(next))
		if violation(err, uniqueViolation) == "users_upn_key" {
			return stored.PrincipalNameTaken(next.UserPrincipalName)
		}
		return dbErr("storing a user", err)
	})
	if err != nil {
		return graphprofile.User{}, err
	}
	return next, nil
}

// DeleteUser removes the user key; its items go with it (ON DELETE
// CASCADE, in the same statement).
func (s *Store) DeleteUser(ctx context.Context, key graphprofile.UserKey) error {
	if !storable(key.TenantID, key.UserID) {
		return store.UserNotFound(key)
	}
	return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, key.TenantID, key.UserID)
		if err != nil {
			return commitErr("deleting a user", err)
		}
		if tag.RowsAffected() == 0 {
			return store.UserNotFound(key)
		}
		return nil
	})
}

// ScanUsers visits the users of tenantID ordered by id (byte order: the
// column is COLLATE "C") after afterID, read in pages from the primary key.
func (s *Store) ScanUsers(ctx context.Context, tenantID, afterID string, visit func(graphprofile.User) (bool, error)) error {
	if !storable(tenantID) {
		return nil // no tenant of the database has this id
	}
	// Ids hold no NUL: the users after "a\x00b" are those after "a".
	if i := strings.IndexByte(afterID, 0); i >= 0 {
		afterID = afterID[:i]
	}
	if !storable(afterID) {
		return unstorable("the id a scan of users starts after")
	}
	return store.ScanUsers(tenantID, afterID, func(afterID string, limit int) ([]stored.RawUser, bool, error) {
		return s.readUsersPage(ctx, tenantID, afterID, limit)
	}, visit)
}

// usersPageQuery reads a page of the users of a tenant after an id, in id
// order: a range of the primary key, read in its order.
const usersPageQuery = `SELECT ` + userColumns + ` FROM users WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`

// readUsersPage reads the page of at most limit users of tenantID after
// afterID, ordered by id; more says whether the page is full (another may
// follow).
func (s *Store) readUsersPage(ctx context.Context, tenantID, afterID string, limit int) (page []stored.RawUser, more bool, err error) {
	return readPage(ctx, s, "listing users", limit, stored.ScanRawUser, usersPageQuery, tenantID, afterID, limit)
}

// ScanUsersByName visits the users of tenantID in the order of the keys of
// one of their names (COLLATE "C": byte order), then ids, after `after`,
// read in pages of the name's index: users_by_name (name_key) for display
// names, users_upn_key (upn_key) for principal names; see
// graphprofile.Store.
func (s *Store) ScanUsersByName(ctx context.Context, tenantID, property string, descending bool, after *graphprofile.NamePosition, visit func(graphprofile.User) (bool, error)) error {
	if !graphprofile.IsUserNameProperty(property) {
		return store.NoNameIndex(property)
	}
	if !storable(tenantID) {
		return nil // no tenant of the database has this id
	}
	if after != nil {
		from := withoutNUL(*after, descending)
		if !storable(from.Name, from.ID) {
			return unstorable("the position a scan of users starts after")
		}
		after = &from
	}
	switch property {
	case "displayName":
		return store.ScanUsersByName(tenantID, after, func(after *graphprofile.NamePosition, limit int) ([]stored.RawNamedUser, bool, error) {
			query, args := usersByNameQuery(tenantID, descending, after, limit)
			return readPage(ctx, s, "listing users", limit, stored.ScanRawNamedUser, query, args...)
		}, visit)
	case graphprofile.KeyByPrincipalName:
		return store.ScanUsersByPrincipalName(tenantID, descending, after, func(after *graphprofile.NamePosition, limit int) ([]stored.RawNamedUser, bool, error) {
			query, args := usersByPrincipalNameQuery(tenantID, descending, after, limit)
			return readPage(ctx, s, "listing users", limit, stored.ScanRawNamedUser, query, args...)
		}, func(afterID string, limit int) ([]stored.RawNamedUser, bool, error) {
			return readPage(ctx, s, "listing users", limit, stored.ScanRawNamedUser, usersWithoutPrincipalNameQuery, tenantID, afterID, limit)
		}, visit)
	}
	return store.NoNameIndex(property)
}

// usersByPrincipalNameQuery is the query of a page of at most limit users
// of tenantID with a principal name, in the order of its key after `after`
// (nil: the first page), and its arguments: a range of the index of the
// constraint users_upn_key, read forward or backward. The key is unique in
// a tenant, so it alone orders them.
func usersByPrincipalNameQuery(tenantID string, descending bool, after *graphprofile.NamePosition, limit int) (string, []any) {
	const columns = `SELECT upn_key, ` + userColumns + ` FROM users WHERE tenant_id = $1`
	switch {
	case after == nil && !descending:
		return columns + ` AND upn_key IS NOT NULL ORDER BY upn_key LIMIT $2`, []any{tenantID, limit}
	case after == nil:
		return columns + ` AND upn_key IS NOT NULL ORDER BY upn_key DESC LIMIT $2`, []any{tenantID, limit}
	case !descending:
		return columns + ` AND upn_key >= $2 AND (upn_key, id) > ($2, $3) ORDER BY upn_key LIMIT $4`,
			[]any{tenantID, after.Name, after.ID, limit}
	}
	return columns + ` AND upn_key <= $2 AND (upn_key < $2 OR id > $3) ORDER BY upn_key DESC LIMIT $4`,
		[]any{tenantID, after.Name, after.ID, limit}
}

// usersWithoutPrincipalNameQuery reads a page of the users of a tenant
// without a principal name after an id, in id order: those users are
// found by the planner's choice of index (the key NULL on users_upn_key,
// then sorted, or the primary key in order, skipping the others).
const usersWithoutPrincipalNameQuery = `SELECT '', ` + userColumns + ` FROM users WHERE tenant_id = $1 AND upn_key IS NULL AND id > $2 ORDER BY id LIMIT $3`

// withoutNUL returns the position that has, in the order of the users'
// names (descending or not), the same users after it as p, and no NUL,
// which PostgreSQL text cannot hold. p may have one: a $skiptoken's keys
// are any strings. Neither a stored name key nor an id holds a NUL, so the
// keys and ids after "a\x00…" are those after "a": an id is cut at its NUL,
// and so is a name, the position then standing past every user of the name
// it is cut to: ascending at ("a\x01", ""), which the users of "a" and of
// the keys before it precede and every other one follows; descending at
// ("a", ""), before every id of "a" (no user has an empty id).
func withoutNUL(p graphprofile.NamePosition, descending bool) graphprofile.NamePosition {
	if i := strings.IndexByte(p.ID, 0); i >= 0 {
		p.ID = p.ID[:i]
	}
	if i := strings.IndexByte(p.Name, 0); i >= 0 {
		p.Name, p.ID = p.Name[:i], ""
		if !descending {
			p.Name += "\x01"
		}
	}
	return p
}

// usersByNameQuery is the query of a page of at most limit users of
// tenantID in the order of their names after `after` (nil: the first
// page), and its arguments: a range of users_by_name, or of
// users_by_name_desc when descending, read in its order.
func usersByNameQuery(tenantID string, descending bool, after *graphprofile.NamePosition, limit int) (string, []any) {
	const columns = `SELECT name_key, ` + userColumns + ` FROM users WHERE tenant_id = $1`
	switch {
	case after == nil && !descending:
		return columns + ` ORDER BY name_key, id LIMIT $2`, []any{tenantID, limit}
	case after == nil:
		return columns + ` ORDER BY name_key DESC, id LIMIT $2`, []any{tenantID, limit}
	case !descending:
		return columns + ` AND (name_key, id) > ($2, $3) ORDER BY name_key, id LIMIT $4`,
			[]any{tenantID, after.Name, after.ID, limit}
	}
	return columns + ` AND name_key <= $2 AND (name_key < $2 OR id > $3) ORDER BY name_key DESC, id LIMIT $4`,
		[]any{tenantID, after.Name, after.ID, limit}
}

// ScanUsersByPrefix visits the users of tenantID whose key of property
// starts with prefix, read in pages of a range of the key's index
// (users_by_name, users_upn_key; COLLATE "C": byte order); see
// graphprofile.Store.
func (s *Store) ScanUsersByPrefix(ctx context.Context, tenantID, property, prefix string, visit func(graphprofile.User) (bool, error)) error {
	if !storable(tenantID) {
		return nil // no tenant of the database has this id
	}
	end, bounded := stored.PrefixEnd(prefix)
	return store.ScanUsersByPrefix(tenantID, property, prefix, func(column string, after graphprofile.NamePosition, limit int) ([]stored.RawNamedUser, bool, error) {
		query := `SELECT ` + column + `, ` + userColumns + ` FROM users WHERE tenant_id = $1 AND ` + column + ` >= $2 AND (` + column + `, id) > ($2, $3)`
		args := []any{tenantID, after.Name, after.ID}
		if bounded {
			query += ` AND ` + column + ` < $5`
		}
		query += ` ORDER BY ` + column + `, id LIMIT $4`
		args = append(args, limit)
		if bounded {
			args = append(args, end)
		}
		return readPage(ctx, s, "listing users", limit, stored.ScanRawNamedUser, query, args...)
	}, visit)
}

// CountUsers counts the users of tenantID on the primary key's index.
func (s *Store) CountUsers(ctx context.Context, tenantID string) (int, error) {
	if !storable(tenantID) {
		return 0, nil
	}
	var n int
	err := s.read(ctx, func(ctx context.Context) error {
		return dbErr("counting users", s.pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE tenant_id = $1`, tenantID).Scan(&n))
	})
	return n, err
}

// bulkTx runs fn, one transaction that may write many thousands of rows
// (ImportUsers, LoadProfiles: what, e.g. "importing 1000 users"), within the
// store's bulk limit (none when it is 0; else never less than the store's
// timeout) for the transaction and each of its statements. When the limit
// cuts it off, the error says so, after how long, and that nothing was
// written: it said only "store unavailable: timeout: context deadline
// exceeded".
func (s *Store) bulkTx(ctx context.Context, what string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	limit, timeout, statementTimeout := time.Duration(0), noLimit, "0"
	if s.bulk > 0 {
		limit = max(s.bulk, s.timeout)
		timeout, statementTimeout = limit, strconv.FormatInt(limit.Milliseconds(), 10)
	}
	err := s.tx(ctx, timeout, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = `+statementTimeout); err != nil {
			return dbErr(what, err)
		}
		return fn(ctx, tx)
	})
	var de *stored.DBError
	if limit > 0 && ctx.Err() == nil && errors.As(err, &de) &&
		(errors.Is(err, context.DeadlineExceeded) || pgCode(de.Err) == "57014") {
		written := "nothing was written (one transaction, rolled back)"
		if de.AtCommit {
			written = "whether it was written is unknown (the limit ended it at the commit)"
		}
		de.Op = fmt.Sprintf("%s: cut off at the limit of %s of an import or load; %s. Split it into smaller ones (users are added or replaced by id, so the parts make the same)", what, limit, written)
	}
	return err
}

// noLimit is the timeout of a transaction without a limit.
const noLimit = 100 * 365 * 24 * time.Hour

// errImportRaced marks a principal name taken by a concurrent transaction
// between ImportUsers' check and its write: running the import again finds
// the name taken and says who has it, or succeeds.
var errImportRaced = errors.New("a principal name was taken concurrently")

// ImportUsers adds or replaces (by id) every user of users in tenantID, all
// or nothing; see graphprofile.Store. A slice may be read again, so a
// transaction that failed in a way a retry cures runs again.
func (s *Store) ImportUsers(ctx context.Context, tenantID string, users []graphprofile.User) error {
	if err := store.CheckImport(tenantID, users); err != nil {
		return err
	}
	return s.bulkTx(ctx, fmt.Sprintf("importing %d users", len(users)), func(ctx context.Context, tx pgx.Tx) error {
		return importUsers(ctx, tx, tenantID, stored.Users(users))
	})
}

// ImportUserStream adds or replaces (by id) every user users yields in
// tenantID, all or nothing, holding one user at a time; see
// graphprofile.Store. users is read once: a failure a retry would cure
// (errImportRaced included) is returned, not retried, once it began.
func (s *Store) ImportUserStream(ctx context.Context, tenantID string, users iter.Seq2[graphprofile.User, error]) error {
	if err := store.CheckImportTenant(tenantID); err != nil {
		return err
	}
	began := false
	err := s.bulkTx(ctx, "importing users", func(ctx context.Context, tx pgx.Tx) error {
		if began {
			// Only a commit that was never sent comes back here: the
			// transaction was rolled back, and the stream is spent.
			return dbErr("importing users", onceErr{errStreamRead})
		}
		began = true
		err := importUsers(ctx, tx, tenantID, users)
		var de *stored.DBError
		if errors.As(err, &de) {
			de.Err = onceErr{de.Err}
		}
		return err
	})
	// A slice's import would run again; a stream's cannot, so its error
	// says what to do (it said only "deadlock detected").
	var de *stored.DBError
	if errors.As(err, &de) && contendedErr(de.Err) {
		de.Op = "importing users: another transaction wrote the same users at once, so nothing was written; the users, read once, cannot be imported again in this run: run the import again"
	}
	return err
}

// errStreamRead is the failure of an ImportUserStream whose commit could
// not be sent (the connection was lost): a slice would be imported again,
// but the stream is read already.
var errStreamRead = errors.New("the connection was lost before the commit was sent, so nothing was written, and the users, read once, cannot be imported again in this run; run the import again")

// onceErr is a failure of a transaction that may not run again (it read
// a stream): retry says so, whatever the failure.
type onceErr struct{ err error }

func (e onceErr) Error() string { return e.err.Error() }
func (e onceErr) Unwrap() error { return e.err }

// importUsers adds or replaces (by id) the users users yields in tenantID
// in tx. Their documents are written as they come, importBatchSize users a
// statement, so that a batch's documents are never all in memory; what is
// kept of each user is its id and principal name (a few dozen bytes) for
// the repeats and the keys. No temporary table: a role may not be allowed
// one (REVOKE TEMPORARY … FROM PUBLIC; TestImportAsARoleWithoutTemporary).
func importUsers(ctx context.Context, tx pgx.Tx, tenantID string, users iter.Seq2[graphprofile.User, error]) error {
	seen := graphprofile.NewImportSeen(0)
	var ids, upns []string // every user's, in order, for the keys below
	var keys []*string
	var batchIDs, batchNames, batchDocs []string
	// First every user without its principal name key, then the keys: a
	// name may move from one user of the batch to another, and the
	// unique index checks each statement's rows, not the transaction's,
	// so a key set in one step could meet itself held by the user it
	// moves from.
	write := func() error {
		if len(batchIDs) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO users (tenant_id, id, upn_key, name_key, document)
			 SELECT $1, v.id, NULL, v.name_key, v.document
			 FROM unnest($2::text[], $3::text[], $4::text[]) AS v(id, name_key, document)
			 ORDER BY v.id COLLATE "C" -- a statement locks its rows in one order (imports of more than a statement's users that overlap may still deadlock: a slice's is retried)
			 ON CONFLICT (tenant_id, id) DO UPDATE SET upn_key = NULL, name_key = excluded.name_key, document = excluded.document`,
			tenantID, batchIDs, batchNames, batchDocs)
		batchIDs, batchNames, batchDocs = batchIDs[:0], batchNames[:0], batchDocs[:0]
		return dbErr("importing users", err)
	}
	n := 0
	for u, err := range users {
		if err != nil {
			return err // the stream's own: returned as is
		}
		if err := store.CheckImportUser(u); err != nil {
			return err
		}
		u.TenantID = tenantID
		if err := checkUser("ImportUsers", u); err != nil {
			return err
		}
		// The first user that repeats an earlier one's id or (else)
		// principal name, as graphprofile.ImportConflicts finds it.
		n++
		if _, conflict := seen.Add(n, u); conflict != nil {
			if conflict.Property == "id" {
				return stored.IDTaken(conflict.Value)
			}
			return stored.PrincipalNameTaken(conflict.Value)
		}
		upn, name := stored.UserKeys(u)
		ids, upns, keys = append(ids, u.ID), append(upns, u.UserPrincipalName), append(keys, upn)
		batchIDs, batchDocs = append(batchIDs, u.ID), append(batchDocs, stored.UserDocument(u))
		batchNames = append(batchNames, name)
		if len(batchIDs) == importBatchSize {
			if err := write(); err != nil {
				return err
			}
		}
	}
	if err := write(); err != nil {
		return err
	}
	// Every user of the batch is now without a key: a user that holds
	// one of the batch's names is one the batch does not replace.
	var held string
	err := tx.QueryRow(ctx,
		`SELECT v.upn FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS v(upn, key, n)
		 JOIN users u ON u.tenant_id = $1 AND u.upn_key = v.key
		 ORDER BY v.n LIMIT 1`,
		tenantID, upns, keys).Scan(&held)
	switch {
	case err == nil:
		return stored.PrincipalNameTaken(held)
	case !errors.Is(err, pgx.ErrNoRows):
		return dbErr("importing users", err)
	}
	_, err = tx.Exec(ctx,
		`UPDATE users u SET upn_key = v.key
		 FROM unnest($2::text[], $3::text[]) AS v(id, key)
		 WHERE u.tenant_id = $1 AND u.id = v.id AND v.key IS NOT NULL`,
		tenantID, ids, keys)
	if violation(err, uniqueViolation) == "users_upn_key" {
		return dbErr("importing users", fmt.Errorf("%w: %w", errImportRaced, err))
	}
	return dbErr("importing users", err)
}

// importBatchSize is how many users importUsers writes a statement: big
// enough that the round trips cost little, small enough that the
// documents of one statement are a few MB.
const importBatchSize = 1000
