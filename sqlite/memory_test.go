package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// openMemory opens a store in memory and closes it when the test ends.
func openMemory(tb testing.TB) *Store {
	tb.Helper()
	s, err := OpenMemory(context.Background())
	if err != nil {
		tb.Fatalf("OpenMemory: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestMemoryStore: the store in memory keeps the whole contract
// (storetest.RunReopen is not for it: nothing survives Close).
func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graphprofile.Store { return openMemory(t) })
}

// TestMemoryStores: two stores in memory are two databases, each its own,
// with no file anywhere (the working directory stays empty) and no
// write-ahead log.
func TestMemoryStores(t *testing.T) {
	t.Chdir(t.TempDir())
	a, b := openMemory(t), openMemory(t)
	if _, err := a.EnsureUser(t.Context(), adele); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindUser(t.Context(), tenant, adele.ID); !errors.Is(err, graphprofile.ErrNotFound) {
		t.Errorf("a user of one store in memory looked up in another: %v, want ErrNotFound", err)
	}
	if got := query[string](t, a, "PRAGMA journal_mode"); got != "memory" {
		t.Errorf("journal_mode = %q, want memory", got)
	}
	if entries, err := os.ReadDir("."); err != nil || len(entries) != 0 {
		t.Errorf("the working directory holds %v (%v), want nothing", entries, err)
	}
}

// BenchmarkOpenMemory: what a server in memory costs to start (its schema
// made from the migrations) and to end.
func BenchmarkOpenMemory(b *testing.B) {
	for b.Loop() {
		s, err := OpenMemory(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen is BenchmarkOpenMemory's measure for a new database file.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	n := 0
	for b.Loop() {
		n++
		s, err := Open(context.Background(), filepath.Join(dir, fmt.Sprint(n, ".db")))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
