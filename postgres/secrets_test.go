package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestSharedSecret: servers that ask for a secret at once, each through its
// own pool, all get the one value that was stored first, it outlives the
// stores and Reset, and a failing generate stores nothing.
func TestSharedSecret(t *testing.T) {
	url := freshURL(t)
	const servers = 4
	stores := make([]*Store, servers)
	for i := range stores {
		stores[i] = openAt(t, url)
	}
	values := make([][]byte, servers)
	errs := make([]error, servers)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			values[i], errs[i] = s.SharedSecret(t.Context(), "dev-key", func() ([]byte, error) {
				return fmt.Appendf(nil, "candidate of server %d", i), nil
			})
		})
	}
	wg.Wait()
	for i := range stores {
		if errs[i] != nil {
			t.Fatalf("server %d: %v", i, errs[i])
		}
		if !bytes.Equal(values[i], values[0]) {
			t.Errorf("server %d got %q, server 0 %q: want one value", i, values[i], values[0])
		}
	}
	if n := query[int](t, stores[0], `SELECT count(*) FROM shared_secrets`); n != 1 {
		t.Errorf("%d rows in shared_secrets, want 1", n)
	}

	if err := stores[0].Reset(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	stores[0].Close()
	again := openAt(t, url)
	got, err := again.SharedSecret(t.Context(), "dev-key", func() ([]byte, error) { return []byte("a new candidate"), nil })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, values[0]) {
		t.Errorf("after Reset and a reopen: %q, want the stored %q", got, values[0])
	}

	failing := errors.New("no randomness")
	if _, err := again.SharedSecret(context.Background(), "other", func() ([]byte, error) { return nil, failing }); !errors.Is(err, failing) {
		t.Errorf("a failing generate: %v, want %v", err, failing)
	}
	if n := query[int](t, again, `SELECT count(*) FROM shared_secrets WHERE name = 'other'`); n != 0 {
		t.Errorf("a failing generate stored %d rows", n)
	}
}
