package postgres

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/internal/logtest"
	"github.com/graphprofile/graphprofile/internal/migrations"
)

// TestUpgradeIsLogged: Open given a logger says when it starts migrating
// an existing schema and when it is done (0006 reads every user, and a
// server saying nothing meanwhile looks hung); a new schema, and one
// already up to date, log no migration.
func TestUpgradeIsLogged(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	latest := float64(migrations.Latest(ms))
	// migrationLines opens the store at url and returns the lines it
	// logged about migrating.
	migrationLines := func(url string) []map[string]any {
		t.Helper()
		var out logtest.Buffer
		openAt(t, url, WithLogger(slog.New(slog.NewJSONHandler(&out, nil))))
		var lines []map[string]any
		for _, l := range out.Records(t) {
			if strings.HasPrefix(l["msg"].(string), "migrat") {
				lines = append(lines, l)
			}
		}
		return lines
	}

	url, _, _ := databaseAt(t, 5)
	lines := migrationLines(url)
	if len(lines) != 2 {
		t.Fatalf("upgrading a schema of version 5 logged %d lines of migrating, want 2: %v", len(lines), lines)
	}
	if l := lines[0]; l["level"] != "INFO" || !strings.HasPrefix(l["msg"].(string), "migrating the database's schema") || l["from"] != 5.0 || l["to"] != latest {
		t.Errorf("first line %v, want INFO migrating … from 5 to %v", l, latest)
	}
	if l := lines[1]; l["level"] != "INFO" || l["msg"] != "migrated the database's schema" || l["version"] != latest || l["took"] == nil {
		t.Errorf("second line %v, want INFO migrated … version %v, took", l, latest)
	}
	if lines := migrationLines(url); len(lines) != 0 {
		t.Errorf("opening it again, up to date, logged %v", lines)
	}
	if lines := migrationLines(freshURL(t)); len(lines) != 0 {
		t.Errorf("opening a new database logged %v", lines)
	}
}
