package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// holdAfterCommit makes the writer stop after its next commit, before it
// brings the read cache up to date and acknowledges the write: the
// returned functions wait for that moment and let the writer go on.
func holdAfterCommit(t *testing.T, s *Store) (committed, release func()) {
	t.Helper()
	reached, resume := make(chan struct{}), make(chan struct{})
	hook := func() {
		close(reached)
		<-resume
	}
	s.afterCommitHook.Store(&hook)
	released := false
	t.Cleanup(func() {
		if !released {
			close(resume)
		}
	})
	return func() { <-reached; s.afterCommitHook.Store(nil) }, func() { released = true; close(resume) }
}

// TestReadsNeverGoBack: once a write is committed, every read sees it,
// from the database or from the read cache alike, even before the writer
// has brought the cache up to date and acknowledged the write. A read
// from the cache answered the old item (or a deleted user and its items)
// while one from the database had answered the new: reads went back in
// time (an audit of concurrent readers).
func TestReadsNeverGoBack(t *testing.T) {
	t.Run("an item updated", func(t *testing.T) {
		s := openTemp(t)
		owner, err := s.EnsureUser(t.Context(), adele)
		if err != nil {
			t.Fatal(err)
		}
		it := storetest.Position("p", storetest.Created())
		if err := s.CreateItem(t.Context(), owner.Key(), workPositions, it, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetItem(t.Context(), owner.Key(), workPositions, "p"); err != nil { // cached
			t.Fatal(err)
		}
		if _, err := graphprofile.AllItems(t.Context(), s, owner.Key(), workPositions); err != nil { // cached whole
			t.Fatal(err)
		}
		committed, release := holdAfterCommit(t, s)
		done := make(chan error, 1)
		go func() {
			_, err := s.UpdateItem(t.Context(), owner.Key(), workPositions, "p", func(cur graphprofile.Item) (graphprofile.Item, error) {
				next := graphprofile.Item{}
				for k, v := range cur {
					next[k] = v
				}
				next["isCurrent"] = false
				return next, nil
			})
			done <- err
		}()
		committed()
		got, err := s.GetItem(t.Context(), owner.Key(), workPositions, "p")
		if err != nil || got["isCurrent"] != false {
			t.Errorf("GetItem once the update is committed: %v, %v; want isCurrent false", got["isCurrent"], err)
		}
		list, err := graphprofile.AllItems(t.Context(), s, owner.Key(), workPositions)
		if err != nil || len(list) != 1 || list[0]["isCurrent"] != false {
			t.Errorf("the list once the update is committed: %v, %v; want isCurrent false", list, err)
		}
		release()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetItem(t.Context(), owner.Key(), workPositions, "p"); err != nil || got["isCurrent"] != false {
			t.Errorf("GetItem after the update: %v, %v", got["isCurrent"], err)
		}
	})

	t.Run("a user updated", func(t *testing.T) {
		s := openTemp(t)
		megan := graphprofile.User{TenantID: tenant, ID: "megan", UserPrincipalName: "megan@contoso.test", DisplayName: "Megan"}
		if err := s.CreateUser(t.Context(), megan); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindUser(t.Context(), megan.TenantID, megan.ID); err != nil { // cached
			t.Fatal(err)
		}
		committed, release := holdAfterCommit(t, s)
		done := make(chan error, 1)
		go func() {
			_, err := s.UpdateUser(t.Context(), megan.Key(), func(u graphprofile.User) (graphprofile.User, error) {
				u.JobTitle = "Director"
				return u, nil
			})
			done <- err
		}()
		committed()
		if u, err := s.FindUser(t.Context(), megan.TenantID, megan.ID); err != nil || u.JobTitle != "Director" {
			t.Errorf("FindUser once the update is committed: %q, %v; want Director", u.JobTitle, err)
		}
		release()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a user deleted", func(t *testing.T) {
		s := openTemp(t)
		owner, err := s.EnsureUser(t.Context(), adele)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateItem(t.Context(), owner.Key(), workPositions, storetest.Position("p", storetest.Created()), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetItem(t.Context(), owner.Key(), workPositions, "p"); err != nil { // cached
			t.Fatal(err)
		}
		if _, err := s.FindUser(t.Context(), owner.TenantID, owner.ID); err != nil { // cached
			t.Fatal(err)
		}
		committed, release := holdAfterCommit(t, s)
		done := make(chan error, 1)
		go func() { done <- s.DeleteUser(t.Context(), owner.Key()) }()
		committed()
		if _, err := s.FindUser(t.Context(), owner.TenantID, owner.ID); err == nil {
			t.Error("FindUser found the user deleted")
		}
		if _, err := s.GetItem(t.Context(), owner.Key(), workPositions, "p"); err == nil {
			t.Error("GetItem found an item of the user deleted")
		}
		release()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// wantPositions checks what a read of owner's positions answers: the ids
// want in list order, GetItem of "p" found exactly when want has it; or,
// when gone, that owner is no user.
func wantPositions(t *testing.T, s *Store, owner graphprofile.UserKey, when string, want []string, gone bool) {
	t.Helper()
	list, err := graphprofile.AllItems(t.Context(), s, owner, workPositions)
	if gone {
		if !errors.Is(err, graphprofile.ErrNotFound) {
			t.Errorf("%s: the positions of a user gone: %d items, %v; want ErrNotFound", when, len(list), err)
		}
		return
	}
	var ids []string
	for _, it := range list {
		ids = append(ids, it.ID())
	}
	if err != nil || !slices.Equal(ids, want) {
		t.Errorf("%s: the positions are %v (%v), want %v", when, ids, err, want)
	}
	_, err = s.GetItem(t.Context(), owner, workPositions, "p")
	if found := err == nil; found != slices.Contains(want, "p") {
		t.Errorf("%s: GetItem of p: %v, want found %v", when, err, slices.Contains(want, "p"))
	}
}

// TestReadsNeverGoBackWhateverTheWrite: whatever a write changes (an item
// created or deleted, a profile deleted or loaded, a tenant or every
// tenant reset, a user deleted), once it is committed every read answers
// its outcome, from the database while the writer has yet to bring the
// read cache up to date, and from the cache after.
func TestReadsNeverGoBackWhateverTheWrite(t *testing.T) {
	tests := []struct {
		name  string
		write func(ctx context.Context, s *Store, owner graphprofile.UserKey) error
		want  []string // the positions after the write
		gone  bool     // the owner is no user after the write
	}{
		{"an item created", func(ctx context.Context, s *Store, owner graphprofile.UserKey) error {
			return s.CreateItem(ctx, owner, workPositions, storetest.Position("q", t0.Add(time.Hour)), 0)
		}, []string{"p", "q"}, false},
		{"an item deleted", func(ctx context.Context, s *Store, owner graphprofile.UserKey) error {
			return s.DeleteItem(ctx, owner, workPositions, "p", nil)
		}, nil, false},
		{"a profile deleted", func(ctx context.Context, s *Store, owner graphprofile.UserKey) error {
			return s.DeleteProfile(ctx, owner)
		}, nil, false},
		{"a profile loaded", func(ctx context.Context, s *Store, owner graphprofile.UserKey) error {
			return s.LoadProfiles(ctx, []graphprofile.UserProfile{{User: adele, Profile: []graphprofile.ProfileCollection{
				{Collection: workPositions, Items: []graphprofile.Item{storetest.Position("r", t0)}}}}})
		}, []string{"r"}, false},
		{"its tenant reset", func(ctx context.Context, s *Store, owner graphprofile.UserKey) error {
			return s.Reset(ctx, owner.TenantID)
		}, nil, true},
		{"every tenant reset", func(ctx context.Context, s *Store, owner graphprofile.UserKey) error {
			return s.Reset(ctx, "")
		}, nil, true},
		{"the user deleted", func(ctx context.Context, s *Store, owner graphprofile.UserKey) error {
			return s.DeleteUser(ctx, owner)
		}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			ctx := t.Context()
			u, err := s.EnsureUser(ctx, adele)
			if err != nil {
				t.Fatal(err)
			}
			owner := u.Key()
			if err := s.CreateItem(ctx, owner, workPositions, storetest.Position("p", t0), 0); err != nil {
				t.Fatal(err)
			}
			// Cached: the user, the item, the collection whole.
			if _, err := s.FindUser(ctx, owner.TenantID, owner.UserID); err != nil {
				t.Fatal(err)
			}
			wantPositions(t, s, owner, "before the write", []string{"p"}, false)

			committed, release := holdAfterCommit(t, s)
			done := make(chan error, 1)
			go func() { done <- tc.write(ctx, s, owner) }()
			held := make(chan struct{})
			go func() { committed(); close(held) }()
			select {
			case <-held:
			case err := <-done: // a write that fails before its commit is never held
				t.Fatalf("the write ended before its commit: %v", err)
			}
			wantPositions(t, s, owner, "once the write is committed", tc.want, tc.gone)
			release()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			wantPositions(t, s, owner, "after the write", tc.want, tc.gone)
		})
	}
}

// TestUsersReadAfterTheirWrites: once a write of users is acknowledged,
// FindUser answers what it wrote, however the user was read and cached
// before: changed, deleted, replaced by an import or a load, or, for a
// key that was a user's principal name, a new user whose id the key is
// (an id comes first).
func TestUsersReadAfterTheirWrites(t *testing.T) {
	alex := graphprofile.User{TenantID: tenant, ID: "alex", UserPrincipalName: "alex@contoso.test", DisplayName: "Alex"}
	renamed := func(name string) graphprofile.User {
		u := alex
		u.DisplayName = name
		return u
	}
	keyAsID := graphprofile.User{TenantID: tenant, ID: alex.UserPrincipalName, DisplayName: "Id"}
	tests := []struct {
		name  string
		write func(ctx context.Context, s *Store) error
		key   string
		want  string // the display name of the user found; "" none
	}{
		{"updated", func(ctx context.Context, s *Store) error {
			_, err := s.UpdateUser(ctx, alex.Key(), func(u graphprofile.User) (graphprofile.User, error) {
				u.DisplayName = "Updated"
				return u, nil
			})
			return err
		}, alex.UserPrincipalName, "Updated"},
		{"deleted", func(ctx context.Context, s *Store) error {
			return s.DeleteUser(ctx, alex.Key())
		}, alex.ID, ""},
		{"imported", func(ctx context.Context, s *Store) error {
			return s.ImportUsers(ctx, tenant, []graphprofile.User{renamed("Imported")})
		}, alex.ID, "Imported"},
		{"loaded", func(ctx context.Context, s *Store) error {
			return s.LoadProfiles(ctx, []graphprofile.UserProfile{{User: renamed("Loaded")}})
		}, alex.UserPrincipalName, "Loaded"},
		{"created with the key as its id", func(ctx context.Context, s *Store) error {
			return s.CreateUser(ctx, keyAsID)
		}, alex.UserPrincipalName, "Id"},
		{"ensured with the key as its id", func(ctx context.Context, s *Store) error {
			_, err := s.EnsureUser(ctx, keyAsID)
			return err
		}, alex.UserPrincipalName, "Id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			ctx := t.Context()
			if err := s.CreateUser(ctx, alex); err != nil {
				t.Fatal(err)
			}
			// Cached by both its keys, and by EnsureUser.
			for _, key := range []string{alex.ID, alex.UserPrincipalName} {
				if _, err := s.FindUser(ctx, tenant, key); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.EnsureUser(ctx, alex); err != nil {
				t.Fatal(err)
			}
			if err := tc.write(ctx, s); err != nil {
				t.Fatal(err)
			}
			u, err := s.FindUser(ctx, tenant, tc.key)
			switch {
			case tc.want == "" && !errors.Is(err, graphprofile.ErrNotFound):
				t.Errorf("FindUser(%s) after the write: %q, %v; want ErrNotFound", tc.key, u.DisplayName, err)
			case tc.want != "" && (err != nil || u.DisplayName != tc.want):
				t.Errorf("FindUser(%s) after the write: %q, %v; want %q", tc.key, u.DisplayName, err, tc.want)
			}
		})
	}
}
