package sqlite

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/internal/logtest"
	"github.com/graphprofile/graphprofile/internal/migrations"
)

// TestUpgradeIsLogged: Open given a logger says when it starts migrating
// an existing database and when it is done (some migrations read every
// user or item, and a server saying nothing meanwhile looks hung); a new
// database, and one already up to date, log nothing.
func TestUpgradeIsLogged(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	latest := float64(migrations.Latest(ms))
	dir := t.TempDir()
	openLogged := func(path string) []map[string]any {
		t.Helper()
		var out logtest.Buffer
		s, err := Open(t.Context(), path, WithLogger(slog.New(slog.NewJSONHandler(&out, nil))))
		if err != nil {
			t.Fatalf("Open(%s): %v", path, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return out.Records(t)
	}

	old := filepath.Join(dir, "old.db")
	openRawDBAt(t, old, 7).Close()
	lines := openLogged(old)
	if len(lines) != 2 {
		t.Fatalf("upgrading a database of version 7 logged %d lines, want 2: %v", len(lines), lines)
	}
	if l := lines[0]; l["level"] != "INFO" || !strings.HasPrefix(l["msg"].(string), "migrating the database's schema") || l["from"] != 7.0 || l["to"] != latest || l["path"] == "" {
		t.Errorf("first line %v, want INFO migrating … from 7 to %v", l, latest)
	}
	if l := lines[1]; l["level"] != "INFO" || l["msg"] != "migrated the database's schema" || l["version"] != latest || l["took"] == nil {
		t.Errorf("second line %v, want INFO migrated … version %v, took", l, latest)
	}
	if lines := openLogged(old); len(lines) != 0 {
		t.Errorf("opening it again, up to date, logged %v", lines)
	}
	if lines := openLogged(filepath.Join(dir, "new.db")); len(lines) != 0 {
		t.Errorf("opening a new database logged %v", lines)
	}
}
