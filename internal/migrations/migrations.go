// Package migrations reads the schema migrations a store embeds: files
// named NNNN_description.sql, applied in the order of NNNN.
package migrations

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema change.
type Migration struct {
	Version int
	Name    string // the file's name
	SQL     string
}

// Load returns the migrations in dir of files, ordered by version. Names
// that are not NNNN_description.sql with NNNN > 0, versions that do not
// count up from 1 (two files with one version, a gap), an empty file and no
// file at all are errors.
func Load(files fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(files, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	ms := make([]Migration, 0, len(names))
	seen := make(map[int]string, len(names))
	for _, name := range names {
		base := path.Base(name)
		prefix, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must be NNNN_description.sql with NNNN > 0", base)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same version %d", other, base, v)
		}
		seen[v] = base
		text, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(text)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s has version %d, want %d: versions count up from 1", m.Name, m.Version, i+1)
		}
		if strings.TrimSpace(m.SQL) == "" {
			return nil, fmt.Errorf("migration %s is empty", m.Name)
		}
	}
	return ms, nil
}

// Latest returns the newest version of ms, as Load returns them; 0 for none.
func Latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Digest is a digest of m's statements, its comments and blank lines left
// out: what a store's test holds of each migration a database may have
// applied, so that changing one is a failing test. A migration applied is
// never changed (a database that took it would never take the change: a
// new migration makes it); its comments may be.
func Digest(m Migration) string {
	var statements []string
	for line := range strings.Lines(m.SQL) {
		line = strings.TrimRight(line, " \t\r\n")
		if trimmed := strings.TrimSpace(line); trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		statements = append(statements, line)
	}
	sum := sha256.Sum256([]byte(strings.Join(statements, "\n")))
	return hex.EncodeToString(sum[:8])
}

// Applied is a migration a database may have applied: its file's name and
// the Digest of its statements.
type Applied struct{ Name, Digest string }

// Changed says what keeps ms from being applied, the migrations a store
// embeds, unchanged: one whose name or statements differ from applied's,
// one missing, one not listed there (a new migration gets its line). A
// migration applied is never changed: a database that took it never takes
// the change, which a new migration must make.
func Changed(ms []Migration, applied []Applied) []string {
	var problems []string
	for i, m := range ms {
		switch {
		case i >= len(applied):
			problems = append(problems, fmt.Sprintf("%s (digest %s) is not among the migrations applied: give it its line", m.Name, Digest(m)))
		case m.Name != applied[i].Name || Digest(m) != applied[i].Digest:
			problems = append(problems, fmt.Sprintf("%s (digest %s) is not %s (digest %s) as applied: a migration applied is never changed; make a new one", m.Name, Digest(m), applied[i].Name, applied[i].Digest))
		}
	}
	for _, a := range applied[min(len(ms), len(applied)):] {
		problems = append(problems, fmt.Sprintf("%s, applied, is missing", a.Name))
	}
	return problems
}
