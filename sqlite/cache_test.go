package sqlite

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// workPositions is the profile's positions collection.
var workPositions, _ = graphprofile.FindCollection("positions")

// TestCacheReadYourWrites hammers one profile with writers and readers at
// once: every writer must read back its own acknowledged change at once
// (from the cache or the database, it cannot tell), and at the end the
// cached profile must equal the database's.
func TestCacheReadYourWrites(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	owner, err := s.EnsureUser(ctx, adele)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		p := graphprofile.Item{"id": fmt.Sprintf("p%d", i), "createdDateTime": base.Add(time.Duration(i) * time.Second),
			"lastModifiedDateTime": base, "categories": []any{}}
		if err := s.CreateItem(ctx, owner.Key(), workPositions, p, 0); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	stop := make(chan struct{})
	for range 4 { // readers keep filling the cache
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := graphprofile.AllItems(ctx, s, owner.Key(), workPositions); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 8 {
		writers.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("p%d", (w+i)%5)
				mine := fmt.Sprintf("w%d-%d", w, i)
				_, err := s.UpdateItem(ctx, owner.Key(), workPositions, id, func(cur graphprofile.Item) (graphprofile.Item, error) {
					next := graphprofile.Item{}
					for k, v := range cur {
						next[k] = v
					}
					next["categories"] = append(slices.Clone(cur["categories"].([]any)), mine)
					return next, nil
				})
				if err != nil {
					errs <- err
					return
				}
				got, err := s.GetItem(ctx, owner.Key(), workPositions, id)
				if err != nil || !slices.Contains(got["categories"].([]any), any(mine)) {
					errs <- fmt.Errorf("GetPosition right after the update lacks %s: %v %v", mine, got["categories"], err)
					return
				}
				list, err := graphprofile.AllItems(ctx, s, owner.Key(), workPositions)
				found := false
				for _, p := range list {
					found = found || (p.ID() == id && slices.Contains(p["categories"].([]any), any(mine)))
				}
				if err != nil || !found {
					errs <- fmt.Errorf("ListPositions right after the update lacks %s: %v", mine, err)
					return
				}
				if i%5 == 0 { // creates and deletes too
					extra := graphprofile.Item{"id": mine, "createdDateTime": base.Add(time.Hour), "lastModifiedDateTime": base}
					if err := s.CreateItem(ctx, owner.Key(), workPositions, extra, 0); err != nil {
						errs <- err
						return
					}
					if _, err := s.GetItem(ctx, owner.Key(), workPositions, mine); err != nil {
						errs <- fmt.Errorf("GetPosition right after the create: %v", err)
						return
					}
					if err := s.DeleteItem(ctx, owner.Key(), workPositions, mine, nil); err != nil {
						errs <- err
						return
					}
					if _, err := s.GetItem(ctx, owner.Key(), workPositions, mine); err == nil {
						errs <- fmt.Errorf("GetPosition right after the delete found %s", mine)
						return
					}
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The cache holds exactly what the database holds.
	cached, err := graphprofile.AllItems(ctx, s, owner.Key(), workPositions)
	if err != nil {
		t.Fatal(err)
	}
	// What the database holds, read past the cache.
	rows, err := s.rdb.QueryContext(ctx, `SELECT document FROM items WHERE tenant_id = ? AND user_id = ? AND kind = 'positions' ORDER BY created_at, id`, owner.TenantID, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	var stored []graphprofile.Item
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			t.Fatal(err)
		}
		p, err := store.DecodeItem(workPositions, doc)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, p)
	}
	rows.Close()
	if len(cached) != len(stored) {
		t.Fatalf("cache has %d positions, database %d", len(cached), len(stored))
	}
	total := 0
	for i := range stored {
		a, b := cached[i]["categories"].([]any), stored[i]["categories"].([]any)
		if cached[i].ID() != stored[i].ID() || !slices.Equal(a, b) {
			t.Errorf("position %d: cache %s %v, database %s %v", i, cached[i].ID(), a, stored[i].ID(), b)
		}
		total += len(b)
	}
	if total != 8*25 {
		t.Errorf("%d categories in all, want %d: updates were lost", total, 8*25)
	}
}

// TestOneProcessOwnsTheDatabase: a second Open of an open database is
// refused (its cache would not see the first one's writes); after Close it
// works.
func TestOneProcessOwnsTheDatabase(t *testing.T) {
	s := openTemp(t)
	if _, err := Open(t.Context(), s.path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(t.Context(), s.path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}
