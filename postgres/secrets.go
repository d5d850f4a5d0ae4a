package postgres

import (
	"context"
	"errors"
)

// SharedSecret returns the secret stored under name, first storing the one
// generate makes when the database has none yet. Every server on the
// database gets the same value, however many ask at once: each offers its
// candidate with INSERT … ON CONFLICT DO NOTHING (which waits for a
// concurrent insert of the same name to commit) and then reads the row that
// won. Reset leaves the secrets alone.
func (s *Store) SharedSecret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	if !storable(name) {
		return nil, unstorable("the secret's name")
	}
	candidate, err := generate()
	if err != nil {
		return nil, err
	}
	if len(candidate) == 0 {
		return nil, errors.New("postgres: an empty shared secret")
	}
	var value []byte
	err = s.do(ctx, s.timeout, true, func(ctx context.Context) error {
		if _, err := s.pool.Exec(ctx, `INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, candidate); err != nil {
			return dbErr("storing a shared secret", err)
		}
		return dbErr("reading a shared secret", s.pool.QueryRow(ctx, `SELECT value FROM shared_secrets WHERE name = $1`, name).Scan(&value))
	})
	if err != nil {
		return nil, err
	}
	return value, nil
}
