package storetest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

func testConcurrency(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("Updates", func(t *testing.T) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		p := position(guid(100), base, "contended")
		p["categories"] = []any{}
		mustCreate(t, s, owner, p)

		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				mine := fmt.Sprintf("category-%02d", i)
				_, err := s.UpdatePosition(t.Context(), owner, p.ID(), func(cur graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
					next := clone(cur) // update may run more than once: leave cur alone
					cats, _ := next["categories"].([]any)
					next["categories"] = append(cats, mine)
					return next, nil
				})
				if err != nil {
					errs <- fmt.Errorf("UpdatePosition %d: %w", i, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		got := mustGet(t, s, owner, p.ID())
		cats, _ := got["categories"].([]any)
		seen := map[any]int{}
		for _, c := range cats {
			seen[c]++
		}
		for i := range n {
			if c := fmt.Sprintf("category-%02d", i); seen[c] != 1 {
				t.Errorf("%s appears %d times in categories", c, seen[c])
			}
		}
		if len(cats) != n {
			t.Errorf("categories has %d items, want %d", len(cats), n)
		}
	})

	t.Run("Creates", func(t *testing.T) {
		s := open(t)
		owners := []graphprofile.UserKey{
			mustEnsure(t, s, adele(tenantA)).Key(),
			mustEnsure(t, s, megan(tenantA)).Key(),
		}
		const workers, each = 20, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					owner := owners[(w+i)%len(owners)]
					p := position(guid(1000+w*each+i), base.Add(time.Duration(w*each+i)*time.Millisecond), "concurrent")
					if err := s.CreatePosition(t.Context(), owner, p); err != nil {
						errs <- err
					}
					// Reads interleave with the writes.
					if _, err := s.ListPositions(t.Context(), owner); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var want [2][]string
		for w := range workers {
			for i := range each {
				o := (w + i) % len(owners)
				want[o] = append(want[o], guid(1000+w*each+i))
			}
		}
		for o, owner := range owners {
			sort.Strings(want[o]) // created times follow the id numbers
			wantIDs(t, fmt.Sprint("ListPositions of owner ", o), mustList(t, s, owner), want[o]...)
		}
	})

	t.Run("EnsureSameUser", func(t *testing.T) {
		// A new user's first requests arrive together: all succeed and
		// return the same user, whichever token recorded it.
		for _, tc := range []struct {
			name  string
			token func(i int) graphprofile.User
		}{
			{"SameToken", func(int) graphprofile.User { return fullUser(tenantA, 1) }},
			{"DifferentTokens", func(i int) graphprofile.User {
				u := adele(tenantA)
				u.DisplayName = fmt.Sprint("Adele ", i)
				if i%2 == 1 {
					u.UserPrincipalName = fmt.Sprintf("adele%d@contoso.com", i)
				}
				return u
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				const n = 20
				results := make([]graphprofile.User, n)
				errs := make([]error, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						<-start
						results[i], errs[i] = s.EnsureUser(t.Context(), tc.token(i))
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("EnsureUser %d: %v", i, err)
					}
				}
				stored, err := s.FindUser(t.Context(), tenantA, guid(1))
				if err != nil {
					t.Fatalf("FindUser: %v", err)
				}
				recorder := -1
				for i := range n {
					if sameUser(stored, tc.token(i)) {
						recorder = i
					}
				}
				if recorder < 0 {
					t.Errorf("the stored user %s is none of the tokens'", userString(stored))
				}
				for i, got := range results {
					wantUser(t, fmt.Sprint("EnsureUser ", i), got, stored)
				}
				wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{stored})
			})
		}
	})

	t.Run("PrincipalNameContended", func(t *testing.T) {
		// New users with one principal name arrive together: exactly one
		// gets it, the others are recorded without one, and that stays so.
		s := open(t)
		const n = 10
		first := make([]graphprofile.User, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				u := graphprofile.User{TenantID: tenantA, ID: guid(i), UserPrincipalName: "shared@CONTOSO.com", DisplayName: fmt.Sprint("user ", i)}
				for j := range 5 {
					got, err := s.EnsureUser(t.Context(), u)
					if err != nil {
						errs <- err
						return
					}
					if j == 0 {
						first[i] = got
					} else if !sameUser(got, first[i]) {
						errs <- fmt.Errorf("EnsureUser %d of user %d = %s, first %s", j, i, userString(got), userString(first[i]))
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		holder, err := s.FindUser(t.Context(), tenantA, "shared@contoso.com")
		if err != nil {
			t.Fatalf("FindUser: %v", err)
		}
		holders := 0
		for i := range n {
			want := graphprofile.User{TenantID: tenantA, ID: guid(i), DisplayName: fmt.Sprint("user ", i)}
			if guid(i) == holder.ID {
				holders++
				want.UserPrincipalName = "shared@CONTOSO.com"
			}
			wantFind(t, s, tenantA, guid(i), want)
			wantUser(t, fmt.Sprint("EnsureUser of user ", i), first[i], want)
		}
		if holders != 1 {
			t.Errorf("%d users hold the principal name, want 1", holders)
		}
	})
}
