package outage

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"time"

	"github.com/graphprofile/graphprofile"
)

// Store is a graphprofile.Store that tells the log of its database's
// outages: the first call that fails as unavailable
// (graphprofile.ErrUnavailable) is an ERROR line, "store unavailable",
// with the error; then at most one an Interval, with the count of failures
// it stands for; after a line told of a failure, the first call of a
// method that failed since that has the database's answer (anything but
// unavailable, a not-found included; of a method that writes, only its
// success) is an INFO line, "store answers again", with the failures not
// yet told: a database that reads but may not write (a full disk) is not
// back because a read works, nor because a write was refused before it
// wrote (its item not found, its caller's precondition not met), which
// the reads within it tell. A call whose caller went away
// (its context canceled) tells nothing of the database and is not counted.
// The requests that failed log their own debug lines.
type Store struct {
	store   graphprofile.Store
	logger  *slog.Logger
	now     func() time.Time
	tracker Tracker
}

var _ graphprofile.Store = (*Store)(nil)

// NewStore returns store, its outages told to logger (nil means
// slog.Default()).
func NewStore(store graphprofile.Store, logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.Default()
	}
	return &Store{store: store, logger: logger, now: time.Now}
}

// observe tells the tracker what err, of a method that only reads, says
// of the database and logs what it says to tell; it returns err.
func (s *Store) observe(ctx context.Context, method string, err error) error {
	return s.observeCall(ctx, method, false, err)
}

// observeWrite is observe for a method that writes: an error that is not
// unavailable is a refusal before the write (not found, the caller's own
// error), which tells nothing of whether the database writes.
func (s *Store) observeWrite(ctx context.Context, method string, err error) error {
	return s.observeCall(ctx, method, true, err)
}

func (s *Store) observeCall(ctx context.Context, method string, writes bool, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
	case errors.Is(err, graphprofile.ErrUnavailable):
		if failures, tell := s.tracker.Failed(s.now(), method); tell {
			s.logger.LogAttrs(ctx, slog.LevelError, "store unavailable",
				slog.Int("failures", failures), slog.Any("err", err))
		}
	case writes && err != nil:
	default:
		if failures, tell := s.tracker.Answered(method); tell {
			s.logger.LogAttrs(ctx, slog.LevelInfo, "store answers again", slog.Int("failures", failures))
		}
	}
	return err
}

func (s *Store) EnsureUser(ctx context.Context, u graphprofile.User) (graphprofile.User, error) {
	u, err := s.store.EnsureUser(ctx, u)
	return u, s.observeWrite(ctx, "EnsureUser", err)
}

func (s *Store) FindUser(ctx context.Context, tenantID, key string) (graphprofile.User, error) {
	u, err := s.store.FindUser(ctx, tenantID, key)
	return u, s.observe(ctx, "FindUser", err)
}

func (s *Store) CreateUser(ctx context.Context, u graphprofile.User) error {
	return s.observeWrite(ctx, "CreateUser", s.store.CreateUser(ctx, u))
}

func (s *Store) UpdateUser(ctx context.Context, key graphprofile.UserKey, update func(graphprofile.User) (graphprofile.User, error)) (graphprofile.User, error) {
	u, err := s.store.UpdateUser(ctx, key, update)
	return u, s.observeWrite(ctx, "UpdateUser", err)
}

func (s *Store) DeleteUser(ctx context.Context, key graphprofile.UserKey) error {
	return s.observeWrite(ctx, "DeleteUser", s.store.DeleteUser(ctx, key))
}

func (s *Store) ScanUsers(ctx context.Context, tenantID, afterID string, visit func(graphprofile.User) (bool, error)) error {
	return s.observe(ctx, "ScanUsers", s.store.ScanUsers(ctx, tenantID, afterID, visit))
}

func (s *Store) ScanUsersByName(ctx context.Context, tenantID, property string, descending bool, after *graphprofile.NamePosition, visit func(graphprofile.User) (bool, error)) error {
	return s.observe(ctx, "ScanUsersByName", s.store.ScanUsersByName(ctx, tenantID, property, descending, after, visit))
}

func (s *Store) ScanUsersByPrefix(ctx context.Context, tenantID, property, prefix string, visit func(graphprofile.User) (bool, error)) error {
	return s.observe(ctx, "ScanUsersByPrefix", s.store.ScanUsersByPrefix(ctx, tenantID, property, prefix, visit))
}

func (s *Store) CountUsers(ctx context.Context, tenantID string) (int, error) {
	n, err := s.store.CountUsers(ctx, tenantID)
	return n, s.observe(ctx, "CountUsers", err)
}

func (s *Store) ImportUsers(ctx context.Context, tenantID string, users []graphprofile.User) error {
	return s.observeWrite(ctx, "ImportUsers", s.store.ImportUsers(ctx, tenantID, users))
}

func (s *Store) ImportUserStream(ctx context.Context, tenantID string, users iter.Seq2[graphprofile.User, error]) error {
	return s.observeWrite(ctx, "ImportUserStream", s.store.ImportUserStream(ctx, tenantID, users))
}

func (s *Store) ScanItems(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, visit func(graphprofile.Item) (bool, error)) error {
	return s.observe(ctx, "ScanItems", s.store.ScanItems(ctx, owner, c, order, after, visit))
}

func (s *Store) ListProfile(ctx context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection, limit int) ([][]graphprofile.Item, error) {
	items, err := s.store.ListProfile(ctx, owner, collections, limit)
	return items, s.observe(ctx, "ListProfile", err)
}

func (s *Store) GetItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string) (graphprofile.Item, error) {
	it, err := s.store.GetItem(ctx, owner, c, id)
	return it, s.observe(ctx, "GetItem", err)
}

func (s *Store) CreateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, it graphprofile.Item, maxItems int) error {
	return s.observeWrite(ctx, "CreateItem", s.store.CreateItem(ctx, owner, c, it, maxItems))
}

func (s *Store) UpdateItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, update func(graphprofile.Item) (graphprofile.Item, error)) (graphprofile.Item, error) {
	it, err := s.store.UpdateItem(ctx, owner, c, id, update)
	return it, s.observeWrite(ctx, "UpdateItem", err)
}

func (s *Store) DeleteItem(ctx context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, check func(graphprofile.Item) error) error {
	return s.observeWrite(ctx, "DeleteItem", s.store.DeleteItem(ctx, owner, c, id, check))
}

func (s *Store) DeleteProfile(ctx context.Context, owner graphprofile.UserKey) error {
	return s.observeWrite(ctx, "DeleteProfile", s.store.DeleteProfile(ctx, owner))
}

func (s *Store) Reset(ctx context.Context, tenantID string) error {
	return s.observeWrite(ctx, "Reset", s.store.Reset(ctx, tenantID))
}

func (s *Store) LoadProfiles(ctx context.Context, profiles []graphprofile.UserProfile) error {
	return s.observeWrite(ctx, "LoadProfiles", s.store.LoadProfiles(ctx, profiles))
}

func (s *Store) LoadProfilesIntoEmpty(ctx context.Context, profiles []graphprofile.UserProfile) (bool, error) {
	loaded, err := s.store.LoadProfilesIntoEmpty(ctx, profiles)
	return loaded, s.observeWrite(ctx, "LoadProfilesIntoEmpty", err)
}

func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	tenants, err := s.store.Tenants(ctx)
	return tenants, s.observe(ctx, "Tenants", err)
}

func (s *Store) Ping(ctx context.Context) error {
	return s.observe(ctx, "Ping", s.store.Ping(ctx))
}

// Close closes the store; it tells nothing of an outage.
func (s *Store) Close() error { return s.store.Close() }
