package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/jackc/pgx/v5"
)

// LoadProfiles adds or replaces the users of profiles and replaces their
// profiles, in one transaction; see graphprofile.Store. Tenant by tenant,
// in tenant order, each tenant's users are imported as ImportUsers imports
// them, then their items are deleted, inserted and counted, one statement
// each whatever the number of items.
func (s *Store) LoadProfiles(ctx context.Context, profiles []graphprofile.UserProfile) error {
	_, err := s.loadProfiles(ctx, profiles, false)
	return err
}

// loadLock is the first key of the transaction advisory lock that makes
// LoadProfilesIntoEmpty's check and load one step for every server of a
// database; the second is a hash of the schema's name, as the migrations'.
const loadLock = 0x6770666c // "gpfl"

// LoadProfilesIntoEmpty is LoadProfiles when the store holds no user: the
// check is made under a transaction advisory lock, in the load's
// transaction, so that of servers starting at once with the same fixtures
// one loads them and the others, once it has committed, find its users.
func (s *Store) LoadProfilesIntoEmpty(ctx context.Context, profiles []graphprofile.UserProfile) (bool, error) {
	return s.loadProfiles(ctx, profiles, true)
}

func (s *Store) loadProfiles(ctx context.Context, profiles []graphprofile.UserProfile, intoEmpty bool) (loaded bool, err error) {
	loads, _, err := store.PrepareLoad(profiles)
	if err != nil {
		return false, err
	}
	// The tenants in one order, whatever the file's: each tenant's users
	// are locked in id order, and two loads (through two servers) that
	// took the tenants in their files' orders deadlocked.
	slices.SortFunc(loads, func(a, b stored.TenantLoad) int { return strings.Compare(a.TenantID, b.TenantID) })
	for _, l := range loads {
		for _, it := range l.Items {
			if !storable(it.Item.ID()) {
				return false, unstorable("the id of an item")
			}
		}
	}
	err = s.bulkTx(ctx, fmt.Sprintf("loading the profiles of %d users", len(profiles)), func(ctx context.Context, tx pgx.Tx) error {
		loaded = false
		if intoEmpty {
			// Read committed: once the lock is taken, the check sees
			// what the load that held it committed.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`, loadLock); err != nil {
				return dbErr("loading profiles", err)
			}
			var users bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&users); err != nil {
				return dbErr("loading profiles", err)
			}
			if users {
				return nil
			}
		}
		loaded = true
		for _, l := range loads {
			if err := importUsers(ctx, tx, l.TenantID, stored.Users(l.Users)); err != nil {
				return err
			}
			users := make([]string, len(l.Users))
			for i, u := range l.Users {
				users[i] = u.ID
			}
			n := len(l.Items)
			owners, kinds, ids, created, docs := make([]string, n), make([]string, n), make([]string, n), make([]int64, n), make([]string, n)
			for i, it := range l.Items {
				owners[i], kinds[i], ids[i], created[i], docs[i] = it.UserID, it.Kind, it.Item.ID(), it.CreatedAt, it.Document
			}
			for _, q := range []string{
				`DELETE FROM items WHERE tenant_id = $1 AND user_id = ANY ($2::text[])`,
				`DELETE FROM item_counts WHERE tenant_id = $1 AND user_id = ANY ($2::text[])`,
			} {
				if _, err := tx.Exec(ctx, q, l.TenantID, users); err != nil {
					return dbErr("loading profiles", err)
				}
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
				 SELECT $1, v.user_id, v.kind, v.id, v.created_at, v.document
				 FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) AS v(user_id, kind, id, created_at, document)`,
				l.TenantID, owners, kinds, ids, created, docs); err != nil {
				return dbErr("loading profiles", err)
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO item_counts (tenant_id, user_id, kind, n)
				 SELECT $1, v.user_id, v.kind, count(*)
				 FROM unnest($2::text[], $3::text[]) AS v(user_id, kind)
				 GROUP BY v.user_id, v.kind`,
				l.TenantID, owners, kinds); err != nil {
				return dbErr("counting items", err)
			}
		}
		return nil
	})
	return loaded && err == nil, err
}

// Tenants returns the tenants that have users.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	var tenants []string
	err := s.read(ctx, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT DISTINCT tenant_id FROM users ORDER BY tenant_id`)
		if err != nil {
			return dbErr("listing tenants", err)
		}
		tenants, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return dbErr("listing tenants", err)
	})
	if err != nil {
		return nil, err
	}
	if tenants == nil {
		tenants = []string{}
	}
	return tenants, nil
}
