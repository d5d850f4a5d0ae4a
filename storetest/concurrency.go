package storetest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// testConcurrency is testConcurrencyAcross with one store.
func testConcurrency(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	testConcurrencyAcross(t, func(t *testing.T) []graphprofile.Store { return []graphprofile.Store{open(t)} })
}

// testConcurrencyAcross runs concurrent calls, spread over the stores open
// returns (all on one new database), and checks that none is lost and every
// store reads the outcome.
func testConcurrencyAcross(t *testing.T, open func(t *testing.T) []graphprofile.Store) {
	t.Run("Updates", func(t *testing.T) {
		stores := open(t)
		owner := mustEnsure(t, stores[0], adele(tenantA)).Key()
		p := position(guid(100), base, "contended")
		p["categories"] = []any{}
		mustCreate(t, stores[0], owner, p)

		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				mine := fmt.Sprintf("category-%02d", i)
				_, err := stores[i%len(stores)].UpdateItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
					next := clone(cur) // update may run more than once: leave cur alone
					cats, _ := next["categories"].([]any)
					next["categories"] = append(cats, mine)
					return next, nil
				})
				if err != nil {
					errs <- fmt.Errorf("UpdateItem %d: %w", i, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for k, s := range stores {
			got := mustGet(t, s, owner, p.ID())
			cats, _ := got["categories"].([]any)
			seen := map[any]int{}
			for _, c := range cats {
				seen[c]++
			}
			for i := range n {
				if c := fmt.Sprintf("category-%02d", i); seen[c] != 1 {
					t.Errorf("store %d: %s appears %d times in categories", k, c, seen[c])
				}
			}
			if len(cats) != n {
				t.Errorf("store %d: categories has %d items, want %d", k, len(cats), n)
			}
		}
	})

	// Conditional writes of one item at once (If-Match with the ETag all
	// of them read): the check and the write are one step, so exactly one
	// of them passes its check, whichever store it goes through, and the
	// others find the item changed (or gone); what is stored is the
	// winner's.
	t.Run("ConditionalWritesAtOnce", func(t *testing.T) {
		stores := open(t)
		owner := mustEnsure(t, stores[0], adele(tenantA)).Key()
		for round := range 4 {
			p := position(guid(300+round), base, "before")
			mustCreate(t, stores[0], owner, p)
			etag := mustGet(t, stores[0], owner, p.ID()).ETag()
			const n = 12
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				s := stores[i%len(stores)]
				wg.Go(func() {
					if (i+round)%3 == 0 {
						errs[i] = s.DeleteItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) error {
							if cur.ETag() != etag {
								return errRefused
							}
							return nil
						})
						return
					}
					_, errs[i] = s.UpdateItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
						if cur.ETag() != etag {
							return nil, errRefused
						}
						next := clone(cur)
						next["detail"].(graphprofile.Object)["jobTitle"] = fmt.Sprint("writer ", i)
						next["lastModifiedDateTime"] = cur.LastModifiedDateTime().Add(time.Duration(i+1) * time.Microsecond)
						return next, nil
					})
				})
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Errorf("round %d: writers %d and %d both passed the If-Match check", round, winner, i)
				case err == nil:
					winner = i
				case !errors.Is(err, errRefused) && !errors.Is(err, graphprofile.ErrNotFound):
					t.Errorf("round %d: writer %d: %v, want its check's refusal or not found", round, i, err)
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no writer passed the If-Match check: %v", round, errs)
			}
			deleted := (winner+round)%3 == 0
			for k, s := range stores {
				got, err := s.GetItem(t.Context(), owner, workPositions, p.ID())
				switch {
				case deleted && !errors.Is(err, graphprofile.ErrNotFound):
					t.Errorf("round %d: store %d: after writer %d deleted it: %v, %v; want not found", round, k, winner, got, err)
				case !deleted && err != nil:
					t.Errorf("round %d: store %d: after writer %d updated it: %v", round, k, winner, err)
				case !deleted && got["detail"].(graphprofile.Object)["jobTitle"] != fmt.Sprint("writer ", winner):
					t.Errorf("round %d: store %d: jobTitle %v, want writer %d's", round, k, got["detail"].(graphprofile.Object)["jobTitle"], winner)
				}
			}
			for i, err := range errs {
				if !deleted && errors.Is(err, graphprofile.ErrNotFound) {
					t.Errorf("round %d: writer %d found no item, which writer %d updated and nobody deleted", round, i, winner)
				}
			}
		}
	})

	t.Run("UserUpdates", func(t *testing.T) {
		stores := open(t)
		a := mustCreateUser(t, stores[0], fullUser(tenantA, 1))
		withPositions(t, stores[0], a, 2)
		const n = 30
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := stores[i%len(stores)].UpdateUser(t.Context(), a.Key(), func(cur graphprofile.User) (graphprofile.User, error) {
					cur.JobTitle += fmt.Sprintf("[%02d]", i)
					return cur, nil
				})
				if err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for k, s := range stores {
			got, err := s.FindUser(t.Context(), tenantA, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if c := strings.Count(got.JobTitle, fmt.Sprintf("[%02d]", i)); c != 1 {
					t.Errorf("store %d: update %d is in jobTitle %d times", k, i, c)
				}
			}
			if !strings.HasPrefix(got.JobTitle, a.JobTitle) {
				t.Errorf("store %d: jobTitle %q lost its start %q", k, got.JobTitle, a.JobTitle)
			}
		}
	})

	// A delete whose check (an If-Match) meets an update of its item that
	// is being committed sees the item as the update left it, not as it
	// was before: the check and the delete are one step, the item locked
	// from the check to the delete, so a DELETE with the ETag the update
	// replaced is refused and the updated item stays.
	t.Run("DeleteCheckMeetsUpdate", func(t *testing.T) {
		stores := open(t)
		owner := mustEnsure(t, stores[0], adele(tenantA)).Key()
		p := position(guid(100), base, "before")
		mustCreate(t, stores[0], owner, p)

		// updating holds one signal: the change may run before the test
		// waits for it (a busy machine), and a send nobody was ready for
		// would be lost, leaving both waiting for ever.
		updating, release := make(chan struct{}, 1), make(chan struct{})
		updated := make(chan error, 1)
		go func() {
			_, err := stores[0].UpdateItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
				next := clone(cur)
				next["detail"].(graphprofile.Object)["jobTitle"] = "after"
				select {
				case updating <- struct{}{}: // the first run only (a retry finds it full or read)
				default:
				}
				<-release
				return next, nil
			})
			updated <- err
		}()
		select {
		case <-updating:
		case err := <-updated:
			t.Fatalf("UpdateItem ended before it ran its change: %v", err)
		}
		var seen []string // the jobTitles check saw
		deleted := make(chan error, 1)
		go func() {
			deleted <- stores[len(stores)-1].DeleteItem(t.Context(), owner, workPositions, p.ID(), func(cur graphprofile.Item) error {
				title, _ := cur["detail"].(graphprofile.Object)["jobTitle"].(string)
				seen = append(seen, title)
				if title != "before" {
					return errRefused // the If-Match of the item before the update
				}
				return nil
			})
		}()
		// Time for the delete to reach its check, and, unless the item is
		// locked until the update ends, to run it.
		time.Sleep(200 * time.Millisecond)
		close(release)
		if err := <-updated; err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
		if err := <-deleted; err != errRefused {
			t.Errorf("DeleteItem whose check met an update = %v, want the check's refusal (it saw jobTitles %q, want [\"after\"])", err, seen)
		}
		for k, s := range stores {
			got := mustGet(t, s, owner, p.ID())
			if title := got["detail"].(graphprofile.Object)["jobTitle"]; title != "after" {
				t.Errorf("store %d: jobTitle after the update and the refused delete = %v, want \"after\"", k, title)
			}
		}
	})

	t.Run("Creates", func(t *testing.T) {
		stores := open(t)
		owners := []graphprofile.UserKey{
			mustEnsure(t, stores[0], adele(tenantA)).Key(),
			mustEnsure(t, stores[0], megan(tenantA)).Key(),
		}
		const workers, each = 20, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			s := stores[w%len(stores)]
			wg.Go(func() {
				for i := range each {
					owner := owners[(w+i)%len(owners)]
					p := position(guid(1000+w*each+i), base.Add(time.Duration(w*each+i)*time.Millisecond), "concurrent")
					if err := s.CreateItem(t.Context(), owner, workPositions, p, 0); err != nil {
						errs <- err
					}
					// Reads interleave with the writes.
					if _, err := graphprofile.AllItems(t.Context(), s, owner, workPositions); err != nil {
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
			for k, s := range stores {
				wantIDs(t, fmt.Sprintf("store %d: ListItems of owner %d", k, o), mustList(t, s, owner), want[o]...)
			}
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
				stores := open(t)
				const n = 20
				results := make([]graphprofile.User, n)
				errs := make([]error, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						<-start
						results[i], errs[i] = stores[i%len(stores)].EnsureUser(t.Context(), tc.token(i))
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("EnsureUser %d: %v", i, err)
					}
				}
				stored, err := stores[0].FindUser(t.Context(), tenantA, guid(1))
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
				for k, s := range stores {
					wantUsers(t, fmt.Sprintf("store %d: ListUsers", k), mustListUsers(t, s, tenantA), []graphprofile.User{stored})
				}
			})
		}
	})

	t.Run("PrincipalNameContended", func(t *testing.T) {
		// New users with one principal name arrive together: exactly one
		// gets it, the others are recorded without one, and that stays so.
		stores := open(t)
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
					got, err := stores[(i+j)%len(stores)].EnsureUser(t.Context(), u)
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
		holder, err := stores[0].FindUser(t.Context(), tenantA, "shared@contoso.com")
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
			for _, s := range stores {
				wantFind(t, s, tenantA, guid(i), want)
			}
			wantUser(t, fmt.Sprint("EnsureUser of user ", i), first[i], want)
		}
		if holders != 1 {
			t.Errorf("%d users hold the principal name, want 1", holders)
		}
	})
}

// testAcrossStores: what one store writes, another on its database reads at
// once, and the directory's rules hold across them.
func testAcrossStores(t *testing.T, open func(t *testing.T) []graphprofile.Store) {
	stores := open(t)
	a, b := stores[0], stores[1]
	ctx := t.Context()
	m := mustCreateUser(t, a, megan(tenantA))
	wantFind(t, b, tenantA, "meganb@CONTOSO.com", m)
	wantConflict(t, "CreateUser on B of a name taken on A",
		b.CreateUser(ctx, graphprofile.User{TenantID: tenantA, ID: guid(3), UserPrincipalName: "MEGANB@contoso.com"}),
		"userPrincipalName", "MEGANB@contoso.com")

	p := position(guid(100), base, "across")
	mustCreate(t, a, m.Key(), clone(p))
	wantPosition(t, "GetItem on B", mustGet(t, b, m.Key(), p.ID()), p)
	if _, err := b.UpdateItem(ctx, m.Key(), workPositions, p.ID(), func(cur graphprofile.Item) (graphprofile.Item, error) {
		next := clone(cur)
		next["isCurrent"] = false
		return next, nil
	}); err != nil {
		t.Fatalf("UpdateItem on B: %v", err)
	}
	if got := mustGet(t, a, m.Key(), p.ID()); got["isCurrent"] != false {
		t.Errorf("GetItem on A after B's update: isCurrent %v, want false", got["isCurrent"])
	}
	changed := m
	changed.JobTitle = "Marketing"
	if _, err := b.UpdateUser(ctx, m.Key(), func(graphprofile.User) (graphprofile.User, error) { return changed, nil }); err != nil {
		t.Fatalf("UpdateUser on B: %v", err)
	}
	wantFind(t, a, tenantA, m.ID, changed)
	if err := b.DeleteItem(ctx, m.Key(), workPositions, p.ID(), func(graphprofile.Item) error { return nil }); err != nil {
		t.Fatalf("DeleteItem on B: %v", err)
	}
	_, err := a.GetItem(ctx, m.Key(), workPositions, p.ID())
	wantNotFound(t, "GetItem on A after B's delete", err)

	mustCreate(t, a, m.Key(), clone(p))
	if err := b.DeleteUser(ctx, m.Key()); err != nil {
		t.Fatalf("DeleteUser on B: %v", err)
	}
	_, err = graphprofile.AllItems(ctx, a, m.Key(), workPositions)
	wantNotFound(t, "ListItems on A after B deleted the user", err)
	_, err = a.FindUser(ctx, tenantA, m.ID)
	wantNotFound(t, "FindUser on A after B deleted the user", err)
}
