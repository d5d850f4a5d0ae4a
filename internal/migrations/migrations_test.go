package migrations

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	files := fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
		"m/0003_c.sql": {Data: []byte("C")},
		"m/README":     {Data: []byte("not a migration")},
	}
	ms, err := Load(files, "m")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+"="+m.SQL)
	}
	if want := "0001_a.sql=A 0002_b.sql=B 0003_c.sql=C"; join(got) != want {
		t.Errorf("Load = %s, want %s", join(got), want)
	}
	if v := Latest(ms); v != 3 {
		t.Errorf("Latest = %d, want 3", v)
	}
	if v := Latest(nil); v != 0 {
		t.Errorf("Latest(nil) = %d, want 0", v)
	}
	for name, files := range map[string]fstest.MapFS{
		"no number":        {"m/a.sql": {}},
		"zero":             {"m/0000_a.sql": {}},
		"no description":   {"m/0001.sql": {}},
		"the same version": {"m/0001_a.sql": {Data: []byte("A")}, "m/1_b.sql": {Data: []byte("B")}},
		"a gap":            {"m/0001_a.sql": {Data: []byte("A")}, "m/0003_c.sql": {Data: []byte("C")}},
		"not from 1":       {"m/0002_b.sql": {Data: []byte("B")}},
		"empty":            {"m/0001_a.sql": {Data: []byte(" \n")}},
		"none":             {"m/README": {Data: []byte("not a migration")}},
	} {
		if _, err := Load(files, "m"); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
	// Each refusal says what is wrong, not what follows from it.
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"zero", fstest.MapFS{"m/0000_a.sql": {Data: []byte("A")}, "m/0001_b.sql": {Data: []byte("B")}}, "migration 0000_a.sql: the name must be NNNN_description.sql with NNNN > 0"},
		{"the same version", fstest.MapFS{"m/0001_a.sql": {Data: []byte("A")}, "m/1_b.sql": {Data: []byte("B")}}, "migrations 0001_a.sql and 1_b.sql have the same version 1"},
		{"a gap", fstest.MapFS{"m/0001_a.sql": {Data: []byte("A")}, "m/0003_c.sql": {Data: []byte("C")}}, "migration 0003_c.sql has version 3, want 2: versions count up from 1"},
		{"empty", fstest.MapFS{"m/0001_a.sql": {Data: []byte(" \n")}}, "migration 0001_a.sql is empty"},
	} {
		if _, err := Load(tc.files, "m"); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// TestDigest: a migration's digest is its statements': comments, blank
// lines and trailing spaces may change, a statement may not.
func TestDigest(t *testing.T) {
	base := Migration{SQL: "-- a comment\nCREATE TABLE t (a INTEGER);\n\nCREATE INDEX i ON t (a);\n"}
	same := Migration{SQL: "-- another comment, longer\n  -- and a second\nCREATE TABLE t (a INTEGER);   \n\n\nCREATE INDEX i ON t (a);"}
	changed := Migration{SQL: "-- a comment\nCREATE TABLE t (a INTEGER);\n\nCREATE INDEX i ON t (a DESC);\n"}
	if Digest(base) != Digest(same) {
		t.Errorf("comments and blank lines changed the digest: %s, %s", Digest(base), Digest(same))
	}
	if Digest(base) == Digest(changed) {
		t.Errorf("a changed statement kept the digest %s", Digest(base))
	}
	if len(Digest(base)) != 16 {
		t.Errorf("Digest = %q, want 16 hex digits", Digest(base))
	}
}

// TestChanged: a migration changed, one missing, one new and one renamed
// are each a problem; the migrations as applied are none.
func TestChanged(t *testing.T) {
	a := Migration{Version: 1, Name: "0001_a.sql", SQL: "CREATE TABLE a (x INTEGER);"}
	b := Migration{Version: 2, Name: "0002_b.sql", SQL: "CREATE TABLE b (x INTEGER);"}
	applied := []Applied{{a.Name, Digest(a)}, {b.Name, Digest(b)}}
	changedB := b
	changedB.SQL = "CREATE TABLE b (x TEXT);"
	renamedB := b
	renamedB.Name = "0002_c.sql"
	c := Migration{Version: 3, Name: "0003_c.sql", SQL: "CREATE TABLE c (x INTEGER);"}
	for _, tc := range []struct {
		name     string
		ms       []Migration
		problems int
	}{
		{"as applied", []Migration{a, b}, 0},
		{"a statement changed", []Migration{a, changedB}, 1},
		{"renamed", []Migration{a, renamedB}, 1},
		{"one missing", []Migration{a}, 1},
		{"a new one not listed", []Migration{a, b, c}, 1},
	} {
		if got := Changed(tc.ms, applied); len(got) != tc.problems {
			t.Errorf("%s: %q, want %d problems", tc.name, got, tc.problems)
		}
	}
}
