package sqlite

import (
	"context"
	"database/sql"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
)

// LoadProfiles adds or replaces the users of profiles and replaces their
// profiles, in one write transaction; see graphprofile.Store.
func (s *Store) LoadProfiles(ctx context.Context, profiles []graphprofile.UserProfile) error {
	_, err := s.loadProfiles(ctx, profiles, false)
	return err
}

// LoadProfilesIntoEmpty is LoadProfiles when the store holds no user, in
// the same write transaction as that check; see graphprofile.Store.
func (s *Store) LoadProfilesIntoEmpty(ctx context.Context, profiles []graphprofile.UserProfile) (bool, error) {
	return s.loadProfiles(ctx, profiles, true)
}

func (s *Store) loadProfiles(ctx context.Context, profiles []graphprofile.UserProfile, intoEmpty bool) (loaded bool, err error) {
	loads, size, err := store.PrepareLoad(profiles)
	if err != nil {
		return false, err
	}
	err = s.writeLong(ctx, func(ctx context.Context, tx *sql.Tx) error {
		loaded = false
		if intoEmpty {
			var users bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&users); err != nil {
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
			for _, q := range []string{
				`DELETE FROM items WHERE tenant_id = ? AND user_id = ?`,
				`DELETE FROM item_counts WHERE tenant_id = ? AND user_id = ?`,
			} {
				for _, u := range l.Users {
					if _, err := tx.ExecContext(ctx, q, l.TenantID, u.ID); err != nil {
						return dbErr("loading profiles", err)
					}
				}
			}
			insert, err := tx.PrepareContext(ctx,
				`INSERT INTO items (tenant_id, user_id, kind, id, created_at, document) VALUES (?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return dbErr("loading profiles", err)
			}
			defer insert.Close()
			for _, it := range l.Items {
				if _, err := insert.ExecContext(ctx, l.TenantID, it.UserID, it.Kind, it.Item.ID(), it.CreatedAt, it.Document); err != nil {
					return dbErr("loading profiles", err)
				}
			}
			for _, u := range l.Users {
				if _, err := tx.ExecContext(ctx,
					`INSERT INTO item_counts (tenant_id, user_id, kind, n)
					 SELECT tenant_id, user_id, kind, count(*) FROM items
					 WHERE tenant_id = ? AND user_id = ? GROUP BY kind`, l.TenantID, u.ID); err != nil {
					return dbErr("counting items", err)
				}
			}
		}
		return nil
	}, func() int { return size }, fluxScope{all: true}, func() {
		for _, l := range loads {
			for _, u := range l.Users {
				s.cache.dropProfile(u.Key())
			}
		}
	})
	return loaded && err == nil, err
}

// Tenants returns the tenants that have users, from the users' primary
// key.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM users ORDER BY tenant_id`)
	if err != nil {
		return nil, dbErr("listing tenants", err)
	}
	defer rows.Close()
	tenants := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, dbErr("listing tenants", err)
		}
		tenants = append(tenants, t)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("listing tenants", err)
	}
	return tenants, nil
}
