package sqlite

import (
	"testing"

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
