package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/logtest"
	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/graphprofile/graphprofile/storetest"
)

// A server already running when a newer graphprofile migrates the database
// past its version would go on writing rows as its version does (a rolling
// upgrade: users whose name key the new schema reads were written without
// it). Once it sees the newer schema, in its readiness check or its own
// periodic look, it answers every call ErrUnavailable, naming the version,
// and writes nothing more.
func TestSchemaMigratedPastRunningStore(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	newer := migrations.Latest(ms) + 1

	wantRefused := func(t *testing.T, what string, err error) {
		t.Helper()
		switch {
		case err == nil:
			t.Fatalf("%s succeeded on a schema migrated to version %d", what, newer)
		case !errors.Is(err, graphprofile.ErrUnavailable) || !errors.Is(err, graphprofile.ErrNewerSchema):
			t.Errorf("%s: %v, want ErrUnavailable and ErrNewerSchema", what, err)
		case !containsVersion(err, newer):
			t.Errorf("%s: %q does not name version %d", what, err, newer)
		}
	}

	t.Run("ReadinessCheck", func(t *testing.T) {
		s := openWithAdele(t, "p1")
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping before the migration: %v", err)
		}
		if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, newer); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "Ping", s.Ping(t.Context()))
		wantRefused(t, "CreateItem", s.CreateItem(t.Context(), adele.Key(), workPositions, storetest.Position("p2", t0), 0))
		_, err := s.GetItem(t.Context(), adele.Key(), workPositions, "p1")
		wantRefused(t, "GetItem", err)
		// Each call gets a refusal of its own: a caller that changes the
		// error it got changes no other call's.
		var de *stored.DBError
		if !errors.As(err, &de) {
			t.Fatalf("GetItem's refusal %T is no *stored.DBError", err)
		}
		de.Unavailable, de.Err = false, errors.New("changed by a caller")
		wantRefused(t, "DeleteUser after a caller changed its refusal", s.DeleteUser(t.Context(), adele.Key()))
		wantRefused(t, "Ping after a caller changed a refusal", s.Ping(t.Context()))
		if n := query[int64](t, s, `SELECT count(*) FROM items`); n != 1 {
			t.Errorf("%d items after the refusals, want the one created before", n)
		}
		if n := query[int64](t, s, `SELECT count(*) FROM users`); n != 1 {
			t.Errorf("%d users after the refusals, want adele", n)
		}
	})

	t.Run("PeriodicCheck", func(t *testing.T) {
		s := openWithAdele(t, "p1")
		running := openAt(t, urlOf(s), withSchemaCheckEvery(10*time.Millisecond))
		if err := running.CreateItem(t.Context(), adele.Key(), workPositions, storetest.Position("p2", t0), 0); err != nil {
			t.Fatalf("CreateItem before the migration: %v", err)
		}
		if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, newer); err != nil {
			t.Fatal(err)
		}
		// No readiness check: the store's own look finds the new version.
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := running.GetItem(t.Context(), adele.Key(), workPositions, "p1")
			if err != nil {
				wantRefused(t, "GetItem", err)
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("GetItem still served 10 s after the schema was migrated past the store")
			}
			time.Sleep(10 * time.Millisecond)
		}
		wantRefused(t, "CreateItem", running.CreateItem(t.Context(), adele.Key(), workPositions, storetest.Position("p3", t0), 0))
		if n := query[int64](t, s, `SELECT count(*) FROM items`); n != 2 {
			t.Errorf("%d items, want the two created before the migration", n)
		}
	})
}

// containsVersion reports whether err's message names schema version v.
func containsVersion(err error, v int) bool {
	return strings.Contains(err.Error(), fmt.Sprintf("version %d", v))
}

// TestSchemaVersionUnreadable: a running store that can no longer read the
// schema's version (here the table renamed away; a revoked SELECT is the
// same) says so once, at WARN, since its look for a newer graphprofile is
// off until it can; it goes on serving.
func TestSchemaVersionUnreadable(t *testing.T) {
	s := openWithAdele(t, "p1")
	var logged logtest.Buffer
	running := openAt(t, urlOf(s), withSchemaCheckEvery(10*time.Millisecond), WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	if _, err := s.pool.Exec(t.Context(), `ALTER TABLE schema_migrations RENAME TO schema_migrations_away`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = s.pool.Exec(context.Background(), `ALTER TABLE schema_migrations_away RENAME TO schema_migrations`)
	})
	const warning = "cannot read the schema's version"
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logged.String(), warning) {
		if time.Now().After(deadline) {
			t.Fatalf("no warning 10 s after the schema's version became unreadable; the log:\n%s", logged.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // ten more looks
	if n := strings.Count(logged.String(), warning); n != 1 {
		t.Errorf("the warning was logged %d times, want once; the log:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), "level=WARN") {
		t.Errorf("the warning is not at WARN: %s", logged.String())
	}
	if _, err := running.GetItem(t.Context(), adele.Key(), workPositions, "p1"); err != nil {
		t.Errorf("GetItem while the version is unreadable: %v", err)
	}
}
