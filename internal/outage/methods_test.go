package outage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/logtest"
)

// scriptedStore answers every method with err, records the arguments of
// the last call (but the functions) and returns the values below.
type scriptedStore struct {
	err  error
	args string
}

var (
	scriptedUser  = graphprofile.User{TenantID: "t", ID: "answered"}
	scriptedItem  = graphprofile.Item{"id": "answered"}
	scriptedItems = [][]graphprofile.Item{{scriptedItem}}
)

func (s *scriptedStore) call(args ...any) error { s.args = fmt.Sprint(args...); return s.err }

func (s *scriptedStore) EnsureUser(_ context.Context, u graphprofile.User) (graphprofile.User, error) {
	return scriptedUser, s.call(u.ID)
}
func (s *scriptedStore) FindUser(_ context.Context, tenantID, key string) (graphprofile.User, error) {
	return scriptedUser, s.call(tenantID, " ", key)
}
func (s *scriptedStore) CreateUser(_ context.Context, u graphprofile.User) error { return s.call(u.ID) }
func (s *scriptedStore) UpdateUser(_ context.Context, key graphprofile.UserKey, _ func(graphprofile.User) (graphprofile.User, error)) (graphprofile.User, error) {
	return scriptedUser, s.call(key)
}
func (s *scriptedStore) DeleteUser(_ context.Context, key graphprofile.UserKey) error {
	return s.call(key)
}
func (s *scriptedStore) ScanUsers(_ context.Context, tenantID, afterID string, _ func(graphprofile.User) (bool, error)) error {
	return s.call(tenantID, " ", afterID)
}
func (s *scriptedStore) ScanUsersByName(_ context.Context, tenantID, property string, descending bool, after *graphprofile.NamePosition, _ func(graphprofile.User) (bool, error)) error {
	return s.call(tenantID, " ", property, " ", descending, " ", *after)
}
func (s *scriptedStore) ScanUsersByPrefix(_ context.Context, tenantID, property, prefix string, _ func(graphprofile.User) (bool, error)) error {
	return s.call(tenantID, " ", property, " ", prefix)
}
func (s *scriptedStore) CountUsers(_ context.Context, tenantID string) (int, error) {
	return 42, s.call(tenantID)
}
func (s *scriptedStore) ImportUsers(_ context.Context, tenantID string, users []graphprofile.User) error {
	return s.call(tenantID, " ", len(users))
}
func (s *scriptedStore) ImportUserStream(_ context.Context, tenantID string, users iter.Seq2[graphprofile.User, error]) error {
	n := 0
	for range users {
		n++
	}
	return s.call(tenantID, " ", n)
}
func (s *scriptedStore) ScanItems(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, _ func(graphprofile.Item) (bool, error)) error {
	return s.call(owner, " ", c.Name, " ", order, " ", *after)
}
func (s *scriptedStore) ListProfile(_ context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection, limit int) ([][]graphprofile.Item, error) {
	return scriptedItems, s.call(owner, " ", len(collections), " ", limit)
}
func (s *scriptedStore) GetItem(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string) (graphprofile.Item, error) {
	return scriptedItem, s.call(owner, " ", c.Name, " ", id)
}
func (s *scriptedStore) CreateItem(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, it graphprofile.Item, maxItems int) error {
	return s.call(owner, " ", c.Name, " ", it.ID(), " ", maxItems)
}
func (s *scriptedStore) UpdateItem(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, _ func(graphprofile.Item) (graphprofile.Item, error)) (graphprofile.Item, error) {
	return scriptedItem, s.call(owner, " ", c.Name, " ", id)
}
func (s *scriptedStore) DeleteItem(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, _ func(graphprofile.Item) error) error {
	return s.call(owner, " ", c.Name, " ", id)
}
func (s *scriptedStore) DeleteProfile(_ context.Context, owner graphprofile.UserKey) error {
	return s.call(owner)
}
func (s *scriptedStore) Reset(_ context.Context, tenantID string) error { return s.call(tenantID) }
func (s *scriptedStore) LoadProfiles(_ context.Context, profiles []graphprofile.UserProfile) error {
	return s.call(len(profiles))
}
func (s *scriptedStore) LoadProfilesIntoEmpty(_ context.Context, profiles []graphprofile.UserProfile) (bool, error) {
	return false, s.call(len(profiles))
}
func (s *scriptedStore) Tenants(context.Context) ([]string, error) {
	return []string{"answered"}, s.call()
}
func (s *scriptedStore) Ping(context.Context) error { return s.call() }
func (s *scriptedStore) Close() error               { return s.call("close") }

// TestStoreEveryMethod: each method of Store hands its arguments to the
// store and its answer back, as they are, and tells the outage its error
// says: unavailable is a failure; then, of a method that only reads, any
// other answer (not found too) is the end of the outage; of a method that
// writes, only its success is, a refusal before the write (not found)
// saying nothing of whether the database writes.
func TestStoreEveryMethod(t *testing.T) {
	owner := graphprofile.UserKey{TenantID: "t", UserID: "u"}
	c := graphprofile.Collection{Name: "skills"}
	users := []graphprofile.User{{ID: "a"}, {ID: "b"}}
	profiles := []graphprofile.UserProfile{{}, {}, {}}
	noUser := func(graphprofile.User) (bool, error) { return true, nil }
	noItem := func(graphprofile.Item) (bool, error) { return true, nil }
	tests := []struct {
		method string
		writes bool
		call   func(context.Context, *Store) (any, error)
		args   string // as the store got them
		answer any    // as the caller gets it
	}{
		{"EnsureUser", true, func(ctx context.Context, s *Store) (any, error) { return s.EnsureUser(ctx, graphprofile.User{ID: "e"}) }, "e", scriptedUser},
		{"FindUser", false, func(ctx context.Context, s *Store) (any, error) { return s.FindUser(ctx, "t", "k") }, "t k", scriptedUser},
		{"CreateUser", true, func(ctx context.Context, s *Store) (any, error) {
			return nil, s.CreateUser(ctx, graphprofile.User{ID: "n"})
		}, "n", nil},
		{"UpdateUser", true, func(ctx context.Context, s *Store) (any, error) {
			return s.UpdateUser(ctx, owner, func(u graphprofile.User) (graphprofile.User, error) { return u, nil })
		}, "{t u}", scriptedUser},
		{"DeleteUser", true, func(ctx context.Context, s *Store) (any, error) { return nil, s.DeleteUser(ctx, owner) }, "{t u}", nil},
		{"ScanUsers", false, func(ctx context.Context, s *Store) (any, error) { return nil, s.ScanUsers(ctx, "t", "after", noUser) }, "t after", nil},
		{"ScanUsersByName", false, func(ctx context.Context, s *Store) (any, error) {
			return nil, s.ScanUsersByName(ctx, "t", "displayName", true, &graphprofile.NamePosition{Name: "n", ID: "i"}, noUser)
		}, "t displayName true {n i}", nil},
		{"ScanUsersByPrefix", false, func(ctx context.Context, s *Store) (any, error) {
			return nil, s.ScanUsersByPrefix(ctx, "t", "userPrincipalName", "ad", noUser)
		}, "t userPrincipalName ad", nil},
		{"CountUsers", false, func(ctx context.Context, s *Store) (any, error) { return s.CountUsers(ctx, "t") }, "t", 42},
		{"ImportUsers", true, func(ctx context.Context, s *Store) (any, error) { return nil, s.ImportUsers(ctx, "t", users) }, "t 2", nil},
		{"ImportUserStream", true, func(ctx context.Context, s *Store) (any, error) {
			return nil, s.ImportUserStream(ctx, "t", func(yield func(graphprofile.User, error) bool) {
				for _, u := range users {
					if !yield(u, nil) {
						return
					}
				}
			})
		}, "t 2", nil},
		{"ScanItems", false, func(ctx context.Context, s *Store) (any, error) {
			return nil, s.ScanItems(ctx, owner, c, graphprofile.NewestFirst, &graphprofile.ItemPosition{Created: 7, ID: "p"}, noItem)
		}, fmt.Sprint(owner, " skills ", graphprofile.NewestFirst, " {7 p}"), nil},
		{"ListProfile", false, func(ctx context.Context, s *Store) (any, error) {
			return s.ListProfile(ctx, owner, []graphprofile.Collection{c, c}, 9)
		}, "{t u} 2 9", scriptedItems},
		{"GetItem", false, func(ctx context.Context, s *Store) (any, error) { return s.GetItem(ctx, owner, c, "g") }, "{t u} skills g", scriptedItem},
		{"CreateItem", true, func(ctx context.Context, s *Store) (any, error) {
			return nil, s.CreateItem(ctx, owner, c, graphprofile.Item{"id": "new"}, 5)
		}, "{t u} skills new 5", nil},
		{"UpdateItem", true, func(ctx context.Context, s *Store) (any, error) {
			return s.UpdateItem(ctx, owner, c, "p", func(it graphprofile.Item) (graphprofile.Item, error) { return it, nil })
		}, "{t u} skills p", scriptedItem},
		{"DeleteItem", true, func(ctx context.Context, s *Store) (any, error) {
			return nil, s.DeleteItem(ctx, owner, c, "d", func(graphprofile.Item) error { return nil })
		}, "{t u} skills d", nil},
		{"DeleteProfile", true, func(ctx context.Context, s *Store) (any, error) { return nil, s.DeleteProfile(ctx, owner) }, "{t u}", nil},
		{"Reset", true, func(ctx context.Context, s *Store) (any, error) { return nil, s.Reset(ctx, "t") }, "t", nil},
		{"LoadProfiles", true, func(ctx context.Context, s *Store) (any, error) { return nil, s.LoadProfiles(ctx, profiles) }, "3", nil},
		{"LoadProfilesIntoEmpty", true, func(ctx context.Context, s *Store) (any, error) { return s.LoadProfilesIntoEmpty(ctx, profiles) }, "3", false},
		{"Tenants", false, func(ctx context.Context, s *Store) (any, error) { return s.Tenants(ctx) }, "", []string{"answered"}},
		{"Ping", false, func(ctx context.Context, s *Store) (any, error) { return nil, s.Ping(ctx) }, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			var log logtest.Buffer
			scripted := &scriptedStore{}
			s := NewStore(scripted, slog.New(slog.NewJSONHandler(&log, nil)))
			ctx := context.Background()
			told := func() string {
				t.Helper()
				var msgs []string
				for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
					var m map[string]any
					if line != "" && json.Unmarshal([]byte(line), &m) == nil {
						msgs = append(msgs, fmt.Sprint(m["msg"]))
					}
				}
				log.Reset()
				return strings.Join(msgs, "; ")
			}
			scripted.err = errDown
			if _, err := tc.call(ctx, s); !errors.Is(err, errDown) || scripted.args != tc.args {
				t.Fatalf("down: %v, the store got %q; want the store's error, and %q", err, scripted.args, tc.args)
			}
			if got := told(); got != "store unavailable" {
				t.Errorf("down: told %q, want the outage", got)
			}
			scripted.err = graphprofile.ErrNotFound
			if _, err := tc.call(ctx, s); !errors.Is(err, graphprofile.ErrNotFound) {
				t.Fatalf("not found: %v, want the store's error", err)
			}
			want := "store answers again" // a read's answer
			if tc.writes {
				want = "" // a refusal before the write
			}
			if got := told(); got != want {
				t.Errorf("not found: told %q, want %q", got, want)
			}
			scripted.err = nil
			answer, err := tc.call(ctx, s)
			if err != nil || fmt.Sprint(answer) != fmt.Sprint(tc.answer) || scripted.args != tc.args {
				t.Errorf("answered: %v, %v, the store got %q; want %v, and %q", answer, err, scripted.args, tc.answer, tc.args)
			}
			if want = ""; tc.writes {
				want = "store answers again"
			}
			if got := told(); got != want {
				t.Errorf("answered: told %q, want %q", got, want)
			}
		})
	}
	scripted := &scriptedStore{err: errDown}
	if err := NewStore(scripted, slog.New(slog.DiscardHandler)).Close(); err != errDown || scripted.args != "close" {
		t.Errorf("Close: %v, the store got %q; want the store's Close and its error", err, scripted.args)
	}
}

// TestTrackerOnceAMinute: after the first failure told, the next is told
// a minute later, not a second sooner.
func TestTrackerOnceAMinute(t *testing.T) {
	var tracker Tracker
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		after    time.Duration
		failures int
		tell     bool
	}{
		{0, 1, true},
		{time.Second, 0, false},
		{59 * time.Second, 0, false},
		{time.Minute - time.Nanosecond, 0, false},
		{time.Minute, 4, true},
	} {
		if failures, tell := tracker.Failed(start.Add(tc.after), "Ping"); failures != tc.failures || tell != tc.tell {
			t.Errorf("a failure %v after the first: %d, %v; want %d, %v", tc.after, failures, tell, tc.failures, tc.tell)
		}
	}
}
