package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// TestBulkLimit: an import or a fixtures load that the bulk limit cuts off
// says so, after how long, and that it wrote nothing, and writes nothing:
// it said only "store unavailable: timeout: context deadline exceeded". A
// store without the limit (users import's) waits as long as it takes. The
// import here waits for a transaction of the test's that holds one of its
// users.
func TestBulkLimit(t *testing.T) {
	url := freshURL(t)
	limited := openAt(t, url, WithTimeout(time.Second), WithBulkTimeout(time.Millisecond)) // the limit: the store's timeout, 1s
	unlimited := openAt(t, url, WithTimeout(time.Second), WithBulkTimeout(0))
	ctx := t.Context()
	const tenant = "0d2c6b6e-0000-4000-8000-0000000000c3"
	if err := limited.ImportUsers(ctx, tenant, []graphprofile.User{{ID: "held", DisplayName: "Old"}}); err != nil {
		t.Fatal(err)
	}
	hold := func() (release func()) {
		tx, err := limited.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE tenant_id = $1 AND id = 'held' FOR UPDATE`, tenant); err != nil {
			t.Fatal(err)
		}
		return func() { _ = tx.Rollback(context.Background()) }
	}
	batch := []graphprofile.User{{ID: "fresh", DisplayName: "Fresh"}, {ID: "held", DisplayName: "New"}}
	written := func() int {
		return query[int](t, limited, `SELECT count(*) FROM users WHERE id = 'fresh' OR document::jsonb->>'displayName' = 'New'`)
	}
	check := func(err error, what string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error while a user of it was held past the limit", what)
		}
		for _, want := range []string{what + ": cut off at the limit of 1s", "nothing was written", "Split it"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not say %q: %v", want, err)
			}
		}
		if !errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("the error is not ErrUnavailable: %v", err)
		}
		if n := written(); n != 0 {
			t.Errorf("%s cut off wrote %d rows of its batch", what, n)
		}
	}

	release := hold()
	err := limited.ImportUsers(ctx, tenant, batch)
	release()
	check(err, "importing 2 users")

	var profiles []graphprofile.UserProfile
	for _, u := range batch {
		u.TenantID = tenant
		profiles = append(profiles, graphprofile.UserProfile{User: u, Profile: []graphprofile.ProfileCollection{
			{Collection: workPositions, Items: []graphprofile.Item{storetest.Position("p-"+u.ID, t0)}}}})
	}
	release = hold()
	err = limited.LoadProfiles(ctx, profiles)
	release()
	check(err, "loading the profiles of 2 users")

	// Without the limit the import waits past it, and succeeds.
	release = hold()
	go func() {
		time.Sleep(1500 * time.Millisecond)
		release()
	}()
	start := time.Now()
	if err := unlimited.ImportUsers(ctx, tenant, batch); err != nil {
		t.Fatalf("an import without a limit, held 1.5s: %v", err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("the import did not wait for the held user (%v)", d)
	}
	if n := written(); n != 2 {
		t.Errorf("the import without a limit wrote %d of its 2 users", n)
	}
}

// TestOverlappingStreamedImports: two streamed imports that write the same
// users in other orders (each statement locks its rows in id order, but a
// stream is written a statement of importBatchSize users at a time) can
// deadlock. PostgreSQL ends one of them; a stream cannot run again, so
// that one fails, writing nothing, and its error says to run the import
// again (it said only "deadlock detected"); the other is imported whole.
func TestOverlappingStreamedImports(t *testing.T) {
	s := openAt(t, freshURL(t), WithBulkTimeout(0))
	const tenant = "0d2c6b6e-0000-4000-8000-0000000000d4"
	user := func(i int) graphprofile.User {
		return graphprofile.User{TenantID: tenant, ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), UserPrincipalName: fmt.Sprint("u", i, "@contoso.com"), DisplayName: fmt.Sprint("U", i)}
	}
	// Import a writes users 0…999 (1 among them), then 1000; import b
	// writes 1000 and 1…999 but 1, then 1: each takes its next user once
	// both first statements are written, so each then waits for a row
	// the other holds.
	first := [2][]graphprofile.User{}
	for i := range importBatchSize {
		first[0] = append(first[0], user(i))
		if i != 1 {
			first[1] = append(first[1], user(i+importBatchSize*2))
		}
	}
	first[1] = append(first[1], user(importBatchSize))
	last := [2]graphprofile.User{user(importBatchSize), user(1)}
	var written sync.WaitGroup
	written.Add(2)
	stream := func(k int) iter.Seq2[graphprofile.User, error] {
		return func(yield func(graphprofile.User, error) bool) {
			for _, u := range first[k] {
				if !yield(u, nil) {
					return
				}
			}
			written.Done() // asked for the next user: the first statement is written
			written.Wait()
			yield(last[k], nil)
		}
	}
	errs := make(chan error, 2)
	for k := range 2 {
		go func() { errs <- s.ImportUserStream(t.Context(), tenant, stream(k)) }()
	}
	var failed []error
	for range 2 {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 {
		t.Fatalf("the imports' errors: %v; want one of them ended by the deadlock", failed)
	}
	if msg := failed[0].Error(); !strings.Contains(msg, "deadlock") || !strings.Contains(msg, "nothing was written") || !strings.Contains(msg, "run the import again") {
		t.Errorf("the ended import's error %q does not say that nothing was written and to run it again", msg)
	}
	// One import whole, nothing of the other: 1,001 users either way.
	n := 0
	if err := s.ScanUsers(t.Context(), tenant, "", func(graphprofile.User) (bool, error) { n++; return true, nil }); err != nil {
		t.Fatal(err)
	}
	if n != importBatchSize+1 {
		t.Errorf("%d users after the imports; want %d (one import's)", n, importBatchSize+1)
	}
}
