package graphprofile_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// The Service's rules, tested over a Store in memory: who may act on which
// profile, who sees which position, If-Match, what a new or updated
// position holds, the basic user view, and how store errors become Graph's.
// graphapi's tests cover the same rules over HTTP on a real store.

// memStore is a graphprofile.Store in memory. It keeps the parts of the
// Store contract the Service relies on (users found by id, then by
// principal name ignoring case, within a tenant; an existing user returned
// unchanged by EnsureUser; conflicts on id and principal name; items kept
// per collection, scanned by createdDateTime, then id; the most items a
// collection may hold; callbacks run inside update and delete) and records
// the methods called, so tests can show what the Service did not ask.
type memStore struct {
	mu    sync.Mutex
	users map[graphprofile.UserKey]graphprofile.User
	items map[itemsKey]map[string]graphprofile.Item
	calls []string
	// fail, when set, is what every method returns.
	fail error
}

func newMemStore(users ...graphprofile.User) *memStore {
	s := &memStore{users: map[graphprofile.UserKey]graphprofile.User{}, items: map[itemsKey]map[string]graphprofile.Item{}}
	for _, u := range users {
		s.users[u.Key()] = u
	}
	return s
}

// itemsKey is one collection of one profile.
type itemsKey struct {
	owner graphprofile.UserKey
	kind  string
}

var _ graphprofile.Store = (*memStore)(nil)

// called returns how many times method was called.
func (s *memStore) called(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c == method {
			n++
		}
	}
	return n
}

// begin locks s and records a call of method.
func (s *memStore) begin(method string) error {
	s.mu.Lock()
	s.calls = append(s.calls, method)
	return s.fail
}

// holderOfUPN returns the user of tenantID other than id whose principal
// name is upn, ignoring case.
func (s *memStore) holderOfUPN(tenantID, id, upn string) (graphprofile.User, bool) {
	for _, u := range s.users {
		if u.TenantID == tenantID && u.ID != id && upn != "" && strings.EqualFold(u.UserPrincipalName, upn) {
			return u, true
		}
	}
	return graphprofile.User{}, false
}

func (s *memStore) EnsureUser(_ context.Context, u graphprofile.User) (graphprofile.User, error) {
	if err := s.begin("EnsureUser"); err != nil {
		defer s.mu.Unlock()
		return graphprofile.User{}, err
	}
	defer s.mu.Unlock()
	if have, ok := s.users[u.Key()]; ok {
		return have, nil
	}
	if _, taken := s.holderOfUPN(u.TenantID, u.ID, u.UserPrincipalName); taken {
		u.UserPrincipalName = ""
	}
	s.users[u.Key()] = u
	return u, nil
}

func (s *memStore) FindUser(_ context.Context, tenantID, key string) (graphprofile.User, error) {
	if err := s.begin("FindUser"); err != nil {
		defer s.mu.Unlock()
		return graphprofile.User{}, err
	}
	defer s.mu.Unlock()
	if u, ok := s.users[graphprofile.UserKey{TenantID: tenantID, UserID: key}]; ok {
		return u, nil
	}
	if u, ok := s.holderOfUPN(tenantID, "", key); ok {
		return u, nil
	}
	return graphprofile.User{}, graphprofile.ErrNotFound
}

func (s *memStore) CreateUser(_ context.Context, u graphprofile.User) error {
	if err := s.begin("CreateUser"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[u.Key()]; ok {
		return &graphprofile.ConflictError{Property: "id", Value: u.ID}
	}
	if _, taken := s.holderOfUPN(u.TenantID, u.ID, u.UserPrincipalName); taken {
		return &graphprofile.ConflictError{Property: "userPrincipalName", Value: u.UserPrincipalName}
	}
	s.users[u.Key()] = u
	return nil
}

func (s *memStore) UpdateUser(_ context.Context, key graphprofile.UserKey, update func(graphprofile.User) (graphprofile.User, error)) (graphprofile.User, error) {
	if err := s.begin("UpdateUser"); err != nil {
		defer s.mu.Unlock()
		return graphprofile.User{}, err
	}
	defer s.mu.Unlock()
	cur, ok := s.users[key]
	if !ok {
		return graphprofile.User{}, graphprofile.ErrNotFound
	}
	next, err := update(cur)
	if err != nil {
		return graphprofile.User{}, err
	}
	if _, taken := s.holderOfUPN(key.TenantID, key.UserID, next.UserPrincipalName); taken {
		return graphprofile.User{}, &graphprofile.ConflictError{Property: "userPrincipalName", Value: next.UserPrincipalName}
	}
	s.users[key] = next
	return next, nil
}

func (s *memStore) DeleteUser(_ context.Context, key graphprofile.UserKey) error {
	if err := s.begin("DeleteUser"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[key]; !ok {
		return graphprofile.ErrNotFound
	}
	delete(s.users, key)
	s.dropProfileLocked(key)
	return nil
}

func (s *memStore) ScanUsersByName(_ context.Context, tenantID, property string, descending bool, after *graphprofile.NamePosition, visit func(graphprofile.User) (bool, error)) error {
	if err := s.begin("ScanUsersByName"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	if !graphprofile.IsUserNameProperty(property) {
		s.mu.Unlock()
		return fmt.Errorf("memStore: no index of the users' %q", property)
	}
	compare := func(a, b graphprofile.NamePosition) int {
		c := strings.Compare(a.Name, b.Name)
		if descending {
			c = -c
		}
		if c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	position := func(u graphprofile.User) graphprofile.NamePosition {
		key, _ := graphprofile.UserNameKey(u, property) // "" for none: where the order puts those
		return graphprofile.NamePosition{Name: key, ID: u.ID}
	}
	var users []graphprofile.User
	for _, u := range s.users {
		if u.TenantID == tenantID && (after == nil || compare(position(u), *after) > 0) {
			users = append(users, u)
		}
	}
	s.mu.Unlock() // visit runs unlocked: it may call the store
	slices.SortFunc(users, func(a, b graphprofile.User) int { return compare(position(a), position(b)) })
	for _, u := range users {
		if goOn, err := visit(u); err != nil || !goOn {
			return err
		}
	}
	return nil
}

func (s *memStore) ScanUsersByPrefix(_ context.Context, tenantID, property, prefix string, visit func(graphprofile.User) (bool, error)) error {
	if err := s.begin("ScanUsersByPrefix"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	if !graphprofile.IsUserNameProperty(property) {
		s.mu.Unlock()
		return fmt.Errorf("memStore: no index of the users' %q", property)
	}
	key := func(u graphprofile.User) (string, bool) { return graphprofile.UserNameKey(u, property) }
	var users []graphprofile.User
	for _, u := range s.users {
		if k, ok := key(u); ok && u.TenantID == tenantID && strings.HasPrefix(k, prefix) {
			users = append(users, u)
		}
	}
	s.mu.Unlock() // visit runs unlocked: it may call the store
	slices.SortFunc(users, func(a, b graphprofile.User) int {
		ka, _ := key(a)
		kb, _ := key(b)
		return cmp.Or(strings.Compare(ka, kb), strings.Compare(a.ID, b.ID))
	})
	for _, u := range users {
		if goOn, err := visit(u); err != nil || !goOn {
			return err
		}
	}
	return nil
}

func (s *memStore) CountUsers(_ context.Context, tenantID string) (int, error) {
	if err := s.begin("CountUsers"); err != nil {
		defer s.mu.Unlock()
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for key := range s.users {
		if key.TenantID == tenantID {
			n++
		}
	}
	return n, nil
}

func (s *memStore) ScanUsers(_ context.Context, tenantID, afterID string, visit func(graphprofile.User) (bool, error)) error {
	if err := s.begin("ScanUsers"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	var users []graphprofile.User
	for _, u := range s.users {
		if u.TenantID == tenantID && u.ID > afterID {
			users = append(users, u)
		}
	}
	s.mu.Unlock() // visit runs unlocked: it may call the store
	slices.SortFunc(users, func(a, b graphprofile.User) int { return strings.Compare(a.ID, b.ID) })
	for _, u := range users {
		if goOn, err := visit(u); err != nil || !goOn {
			return err
		}
	}
	return nil
}

func (s *memStore) ImportUsers(_ context.Context, tenantID string, users []graphprofile.User) error {
	if err := s.begin("ImportUsers"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	for _, u := range users {
		u.TenantID = tenantID
		s.users[u.Key()] = u
	}
	return nil
}

func (s *memStore) ImportUserStream(ctx context.Context, tenantID string, users iter.Seq2[graphprofile.User, error]) error {
	var batch []graphprofile.User
	for u, err := range users {
		if err != nil {
			return err
		}
		batch = append(batch, u)
	}
	return s.ImportUsers(ctx, tenantID, batch)
}

func (s *memStore) ScanItems(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, order graphprofile.ItemOrder, after *graphprofile.ItemPosition, visit func(graphprofile.Item) (bool, error)) error {
	if err := s.begin("ScanItems"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	if _, ok := s.users[owner]; !ok {
		defer s.mu.Unlock()
		return graphprofile.ErrNotFound
	}
	items := slices.Collect(maps.Values(s.items[itemsKey{owner, c.Name}]))
	s.mu.Unlock() // visit runs unlocked: it may call the store
	position := func(it graphprofile.Item) graphprofile.ItemPosition {
		return graphprofile.ItemPosition{Created: it.CreatedDateTime().UnixNano(), ID: it.ID()}
	}
	compare := func(a, b graphprofile.ItemPosition) int {
		byTime := cmp.Compare(a.Created, b.Created)
		if order == graphprofile.NewestFirst {
			byTime = -byTime
		}
		return cmp.Or(byTime, strings.Compare(a.ID, b.ID))
	}
	slices.SortFunc(items, func(a, b graphprofile.Item) int { return compare(position(a), position(b)) })
	for _, it := range items {
		if after != nil && compare(position(it), *after) <= 0 {
			continue
		}
		if goOn, err := visit(it); err != nil || !goOn {
			return err
		}
	}
	return nil
}

func (s *memStore) ListProfile(ctx context.Context, owner graphprofile.UserKey, collections []graphprofile.Collection, limit int) ([][]graphprofile.Item, error) {
	lists := make([][]graphprofile.Item, len(collections))
	for i, c := range collections {
		items, err := graphprofile.FirstItems(ctx, s, owner, c, limit)
		if err != nil {
			return nil, err
		}
		lists[i] = items
	}
	return lists, nil
}

func (s *memStore) GetItem(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string) (graphprofile.Item, error) {
	if err := s.begin("GetItem"); err != nil {
		defer s.mu.Unlock()
		return nil, err
	}
	defer s.mu.Unlock()
	p, ok := s.items[itemsKey{owner, c.Name}][id]
	if !ok {
		return nil, graphprofile.ErrNotFound
	}
	return p, nil
}

func (s *memStore) CreateItem(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, p graphprofile.Item, maxItems int) error {
	if err := s.begin("CreateItem"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return graphprofile.ErrNotFound
	}
	if maxItems > 0 && len(s.items[itemsKey{owner, c.Name}]) >= maxItems {
		return graphprofile.ErrCollectionFull
	}
	s.putLocked(owner, c, p)
	return nil
}

func (s *memStore) UpdateItem(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, update func(graphprofile.Item) (graphprofile.Item, error)) (graphprofile.Item, error) {
	if err := s.begin("UpdateItem"); err != nil {
		defer s.mu.Unlock()
		return nil, err
	}
	defer s.mu.Unlock()
	cur, ok := s.items[itemsKey{owner, c.Name}][id]
	if !ok {
		return nil, graphprofile.ErrNotFound
	}
	next, err := update(cur)
	if err != nil {
		return nil, err
	}
	s.items[itemsKey{owner, c.Name}][id] = next
	return next, nil
}

func (s *memStore) DeleteItem(_ context.Context, owner graphprofile.UserKey, c graphprofile.Collection, id string, check func(graphprofile.Item) error) error {
	if err := s.begin("DeleteItem"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	cur, ok := s.items[itemsKey{owner, c.Name}][id]
	if !ok {
		return graphprofile.ErrNotFound
	}
	if check != nil {
		if err := check(cur); err != nil {
			return err
		}
	}
	delete(s.items[itemsKey{owner, c.Name}], id)
	return nil
}

func (s *memStore) DeleteProfile(_ context.Context, owner graphprofile.UserKey) error {
	if err := s.begin("DeleteProfile"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return graphprofile.ErrNotFound
	}
	s.dropProfileLocked(owner)
	return nil
}

func (s *memStore) Reset(_ context.Context, tenantID string) error {
	if err := s.begin("Reset"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	for k := range s.users {
		if tenantID == "" || k.TenantID == tenantID {
			delete(s.users, k)
			s.dropProfileLocked(k)
		}
	}
	return nil
}

func (s *memStore) LoadProfilesIntoEmpty(ctx context.Context, profiles []graphprofile.UserProfile) (bool, error) {
	s.mu.Lock()
	empty := len(s.users) == 0
	s.mu.Unlock()
	if !empty {
		return false, nil
	}
	return true, s.LoadProfiles(ctx, profiles)
}

func (s *memStore) LoadProfiles(_ context.Context, profiles []graphprofile.UserProfile) error {
	if err := s.begin("LoadProfiles"); err != nil {
		defer s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	for _, up := range profiles {
		if holder, taken := s.holderOfUPN(up.User.TenantID, up.User.ID, up.User.UserPrincipalName); taken {
			return &graphprofile.ConflictError{Property: "userPrincipalName", Value: holder.UserPrincipalName}
		}
	}
	for _, up := range profiles {
		s.users[up.User.Key()] = up.User
		s.dropProfileLocked(up.User.Key())
		for _, pc := range up.Profile {
			items := map[string]graphprofile.Item{}
			for _, it := range pc.Items {
				items[it.ID()] = it
			}
			s.items[itemsKey{up.User.Key(), pc.Collection.Name}] = items
		}
	}
	return nil
}

func (s *memStore) Tenants(context.Context) ([]string, error) {
	if err := s.begin("Tenants"); err != nil {
		defer s.mu.Unlock()
		return nil, err
	}
	defer s.mu.Unlock()
	tenants := []string{}
	for key := range s.users {
		if !slices.Contains(tenants, key.TenantID) {
			tenants = append(tenants, key.TenantID)
		}
	}
	slices.Sort(tenants)
	return tenants, nil
}

// dropProfileLocked forgets every item of owner.
func (s *memStore) dropProfileLocked(owner graphprofile.UserKey) {
	for k := range s.items {
		if k.owner == owner {
			delete(s.items, k)
		}
	}
}

func (s *memStore) Ping(context.Context) error {
	defer s.mu.Unlock()
	return s.begin("Ping")
}

func (s *memStore) Close() error { return nil }

// position returns the stored position id of owner, and whether there is one.
func (s *memStore) position(owner graphprofile.User, id string) (graphprofile.Item, bool) {
	return s.item(owner, workPositions, id)
}

// item returns the stored item id of owner's collection c, and whether
// there is one.
func (s *memStore) item(owner graphprofile.User, c graphprofile.Collection, id string) (graphprofile.Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.items[itemsKey{owner.Key(), c.Name}][id]
	return p, ok
}

// put stores position p in owner's profile, as it is.
func (s *memStore) put(owner graphprofile.User, p graphprofile.Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putLocked(owner.Key(), workPositions, p)
}

func (s *memStore) putLocked(owner graphprofile.UserKey, c graphprofile.Collection, p graphprofile.Item) {
	k := itemsKey{owner, c.Name}
	if s.items[k] == nil {
		s.items[k] = map[string]graphprofile.Item{}
	}
	s.items[k][p.ID()] = p
}

// workPositions is the profile's positions collection.
var workPositions, _ = graphprofile.FindCollection("positions")

// Fixtures.

const (
	tenantA = "0d2c6b6e-0000-4000-8000-00000000000a"
	tenantB = "0d2c6b6e-0000-4000-8000-00000000000b"
	appID   = "a1b2c3d4-0000-4000-8000-000000000a99"
)

var (
	adele = graphprofile.User{TenantID: tenantA, ID: "00000000-0000-4000-8000-000000000001",
		UserPrincipalName: "AdeleV@contoso.com", DisplayName: "Adele Vance"}
	megan = graphprofile.User{TenantID: tenantA, ID: "00000000-0000-4000-8000-000000000002",
		UserPrincipalName: "MeganB@contoso.com", DisplayName: "Megan Bowen", Mail: "megan.bowen@contoso.com",
		MailNickname: "meganb", GivenName: "Megan", Surname: "Bowen", JobTitle: "Marketing Manager", AccountEnabled: new(true)}
	// nestor is of another tenant.
	nestor = graphprofile.User{TenantID: tenantB, ID: "00000000-0000-4000-8000-000000000003",
		UserPrincipalName: "NestorW@contoso.com", DisplayName: "Nestor Wilke"}
	unknownID = "00000000-0000-4000-8000-0000000000ff"

	// created is when the fixtures' positions were created; modified when
	// they last changed.
	created  = time.Date(2024, time.April, 1, 9, 0, 0, 0, time.UTC)
	modified = time.Date(2024, time.May, 1, 8, 0, 0, 0, time.UTC)
)

// delegated is u signed in to an app with permissions.
func delegated(u graphprofile.User, permissions ...string) graphprofile.Principal {
	return graphprofile.Principal{TenantID: u.TenantID, ObjectID: u.ID, UserPrincipalName: u.UserPrincipalName,
		DisplayName: u.DisplayName, Delegated: true, Permissions: permissions}
}

// application is an app of tenant on its own with permissions (roles).
func application(tenant string, permissions ...string) graphprofile.Principal {
	return graphprofile.Principal{TenantID: tenant, ObjectID: "5e000000-0000-4000-8000-000000000599", AppID: appID,
		DisplayName: "HR sync", Permissions: permissions}
}

var (
	me      = graphprofile.ProfileRef{Me: true}
	adeles  = graphprofile.ProfileRef{UserKey: adele.ID}
	megans  = graphprofile.ProfileRef{UserKey: megan.ID}
	unknown = graphprofile.ProfileRef{UserKey: unknownID}
)

// clock is a Service.Now that tests set.
type clock struct{ at time.Time }

func (c *clock) now() time.Time { return c.at }

// newService returns a Service over store whose clock is c and whose new
// positions are numbered position-1, position-2…
func newService(store graphprofile.Store, c *clock) *graphprofile.Service {
	n := 0
	return &graphprofile.Service{Store: store, Now: c.now, NewID: func() string { n++; return fmt.Sprintf("position-%d", n) }}
}

// storedPosition is a position as the Service creates one: made by adele,
// last changed at modified.
func storedPosition(id string, props graphprofile.Object) graphprofile.Item {
	by := graphprofile.Object{"user": graphprofile.Object{"id": adele.ID, "displayName": adele.DisplayName}}
	p := graphprofile.Item{"id": id, "createdDateTime": created, "createdBy": by, "lastModifiedDateTime": modified, "lastModifiedBy": by}
	maps.Copy(p, props)
	return p
}

// mustAuthorize is Service.Authorize that must succeed.
func mustAuthorize(t *testing.T, svc *graphprofile.Service, caller graphprofile.Principal, ref graphprofile.ProfileRef, op graphprofile.Operation) graphprofile.Access {
	t.Helper()
	a, err := svc.Authorize(t.Context(), caller, ref, op)
	if err != nil {
		t.Fatalf("Authorize(%s, %+v): %v", op, ref, err)
	}
	return a
}

// wantError fails unless err is an *graphprofile.Error with code and
// message.
func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	var e *graphprofile.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want %s: %s", err, err, code, message)
	}
	if e.Code != code || e.Message != message {
		t.Errorf("error %s: %q\nwant %s: %q", e.Code, e.Message, code, message)
	}
}

// isPublic reports whether err is an *graphprofile.Error, one a client is
// shown; any other error is an internal failure.
func isPublic(err error) bool {
	var e *graphprofile.Error
	return errors.As(err, &e)
}

func notFoundMessage(key string) string {
	return fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key)
}

func itemNotFoundMessage(id string) string {
	return fmt.Sprintf("The workPosition '%s' does not exist in this profile.", id)
}

const (
	deniedMessage   = "Insufficient privileges to complete the operation."
	meAppMessage    = "/me request is only valid with delegated authentication flow."
	staleTagMessage = "The If-Match header does not match the current ETag of the workPosition; read it again and retry."
)

func TestAuthorize(t *testing.T) {
	// adele as the directory has her, with a token that names her by an
	// older principal name: the directory's is the one that counts.
	renamed := delegated(adele, "User.Read")
	renamed.UserPrincipalName = "adele.old@contoso.com"
	// mallory's principal name, as another issuer's preferred_username
	// may be, spells megan's id: the store finds a key as an id first.
	mallory := graphprofile.User{TenantID: tenantA, ID: "00000000-0000-4000-8000-0000000000ee",
		UserPrincipalName: megan.ID, DisplayName: "Mallory", AccountEnabled: new(true)}
	for _, tc := range []struct {
		name   string
		caller graphprofile.Principal
		ref    graphprofile.ProfileRef
		op     graphprofile.Operation
		// owner is the user the Access is for, when code is "".
		owner         graphprofile.User
		code, message string
		// findUser and ensureUser: whether the store was asked.
		findUser, ensureUser bool
		without              graphprofile.User // a user the store does not hold
	}{
		// The caller's own profile needs no .All permission and no lookup.
		{name: "own via /me", caller: delegated(adele, "User.Read"), ref: me, op: graphprofile.GetItem,
			owner: adele, ensureUser: true},
		{name: "own via id", caller: delegated(adele, "User.Read"), ref: adeles, op: graphprofile.ListItems,
			owner: adele, ensureUser: true},
		{name: "own via id in upper case", caller: delegated(adele, "User.ReadWrite"), ref: graphprofile.ProfileRef{UserKey: strings.ToUpper(adele.ID)}, op: graphprofile.UpdateItem,
			owner: adele, ensureUser: true},
		{name: "own via principal name in any case", caller: delegated(adele, "User.ReadWrite"), ref: graphprofile.ProfileRef{UserKey: "aDELEv@CONTOSO.com"}, op: graphprofile.CreateItem,
			owner: adele, ensureUser: true},
		{name: "own via the directory's principal name", caller: renamed, ref: graphprofile.ProfileRef{UserKey: "adelev@contoso.com"}, op: graphprofile.GetUser,
			owner: adele, ensureUser: true},
		{name: "the token's older principal name is not the caller's", caller: renamed, ref: graphprofile.ProfileRef{UserKey: "adele.old@contoso.com"}, op: graphprofile.GetUser,
			code: graphprofile.CodeAuthorizationDenied, message: deniedMessage, ensureUser: true},
		{name: "a principal name spelling another user's id is that user's id", caller: delegated(mallory, "User.Read.All"), ref: megans, op: graphprofile.GetUser,
			owner: megan, findUser: true, ensureUser: true},
		{name: "a principal name spelling another user's id needs .All", caller: delegated(mallory, "User.ReadWrite"), ref: megans, op: graphprofile.UpdateUser,
			code: graphprofile.CodeAuthorizationDenied, message: deniedMessage, findUser: true, ensureUser: true},
		{name: "a principal name spelling another user's id, named as a principal name", caller: delegated(mallory, "User.ReadWrite"), ref: graphprofile.ProfileRef{UserKey: megan.ID, KeyProperty: graphprofile.KeyByPrincipalName}, op: graphprofile.UpdateItem,
			owner: mallory, ensureUser: true},
		{name: "a principal name spelling no user's id", caller: delegated(mallory, "User.ReadWrite"), ref: graphprofile.ProfileRef{UserKey: megan.ID}, op: graphprofile.UpdateItem,
			owner: mallory, findUser: true, ensureUser: true, without: megan},
		// Another user: a .All permission, then a lookup in the caller's tenant.
		{name: "other user via id", caller: delegated(adele, "User.Read.All"), ref: megans, op: graphprofile.GetItem,
			owner: megan, findUser: true, ensureUser: true},
		{name: "other user via principal name in any case", caller: delegated(adele, "User.ReadWrite.All"), ref: graphprofile.ProfileRef{UserKey: "meganb@CONTOSO.COM"}, op: graphprofile.DeleteItem,
			owner: megan, findUser: true, ensureUser: true},
		{name: "permission names ignore case", caller: delegated(adele, "user.read.ALL"), ref: megans, op: graphprofile.ListItems,
			owner: megan, findUser: true, ensureUser: true},
		{name: "other user not found", caller: delegated(adele, "User.Read.All"), ref: unknown, op: graphprofile.GetItem,
			code: graphprofile.CodeUserNotFound, message: notFoundMessage(unknownID), findUser: true, ensureUser: true},
		{name: "user of another tenant not found", caller: delegated(adele, "User.ReadWrite.All"), ref: graphprofile.ProfileRef{UserKey: nestor.ID}, op: graphprofile.GetUser,
			code: graphprofile.CodeUserNotFound, message: notFoundMessage(nestor.ID), findUser: true, ensureUser: true},
		{name: "principal name of another tenant not found", caller: delegated(adele, "User.ReadWrite.All"), ref: graphprofile.ProfileRef{UserKey: "NestorW@contoso.com"}, op: graphprofile.GetUser,
			code: graphprofile.CodeUserNotFound, message: notFoundMessage("NestorW@contoso.com"), findUser: true, ensureUser: true},
		// Permission is checked before the lookup: a 403 says nothing of who exists.
		{name: "other user without .All denied", caller: delegated(adele, "User.ReadWrite"), ref: megans, op: graphprofile.UpdateItem,
			code: graphprofile.CodeAuthorizationDenied, message: deniedMessage, ensureUser: true},
		{name: "unknown user without .All denied, not 404", caller: delegated(adele, "User.Read"), ref: unknown, op: graphprofile.GetItem,
			code: graphprofile.CodeAuthorizationDenied, message: deniedMessage, ensureUser: true},
		{name: "read permission does not write", caller: delegated(adele, "User.Read.All"), ref: megans, op: graphprofile.UpdateItem,
			code: graphprofile.CodeAuthorizationDenied, message: deniedMessage, ensureUser: true},
		{name: "no permission at all", caller: delegated(adele), ref: me, op: graphprofile.ListItems,
			code: graphprofile.CodeAuthorizationDenied, message: deniedMessage, ensureUser: true},
		// Applications: no profile of their own, never recorded as users.
		{name: "/me with an application token", caller: application(tenantA, "User.ReadWrite.All"), ref: me, op: graphprofile.GetItem,
			code: graphprofile.CodeBadRequest, message: meAppMessage},
		{name: "application reads a user", caller: application(tenantA, "User.Read.All"), ref: megans, op: graphprofile.ListItems,
			owner: megan, findUser: true},
		{name: "application without a role", caller: application(tenantA), ref: megans, op: graphprofile.GetItem,
			code: graphprofile.CodeAuthorizationDenied, message: deniedMessage},
		{name: "application may not create positions", caller: application(tenantA, "User.ReadWrite.All"), ref: megans, op: graphprofile.CreateItem,
			code: graphprofile.CodeAuthorizationDenied, message: deniedMessage},
		{name: "application of another tenant", caller: application(tenantB, "User.Read.All"), ref: megans, op: graphprofile.GetUser,
			code: graphprofile.CodeUserNotFound, message: notFoundMessage(megan.ID), findUser: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele, megan, nestor)
			delete(store.users, tc.without.Key())
			svc := newService(store, &clock{at: modified})
			a, err := svc.Authorize(t.Context(), tc.caller, tc.ref, tc.op)
			if tc.code != "" {
				wantError(t, err, tc.code, tc.message)
			} else if err != nil {
				t.Fatalf("Authorize: %v", err)
			} else if !reflect.DeepEqual(a.Owner(), tc.owner) {
				t.Errorf("Owner() = %+v, want %+v", a.Owner(), tc.owner)
			}
			if got := store.called("FindUser") > 0; got != tc.findUser {
				t.Errorf("FindUser called: %v, want %v (calls %v)", got, tc.findUser, store.calls)
			}
			if got := store.called("EnsureUser") > 0; got != tc.ensureUser {
				t.Errorf("EnsureUser called: %v, want %v (calls %v)", got, tc.ensureUser, store.calls)
			}
		})
	}
}

// TestAuthorizeRecordsTheCaller: a delegated caller is recorded in the
// directory on first use, enabled, with its id normalized; later tokens do
// not change it; an application is never recorded.
func TestAuthorizeRecordsTheCaller(t *testing.T) {
	store := newMemStore(adele)
	svc := newService(store, &clock{at: modified})
	enabled := true
	zoe := graphprofile.User{TenantID: tenantA, ID: "5e7f0000-0000-4000-8000-0000000000ab", UserPrincipalName: "Zoe@contoso.com", DisplayName: "Zoë", AccountEnabled: &enabled}
	caller := delegated(zoe, "User.Read")
	caller.ObjectID = strings.ToUpper(zoe.ID)

	a := mustAuthorize(t, svc, caller, me, graphprofile.GetUser)
	if !reflect.DeepEqual(a.Owner(), zoe) {
		t.Errorf("first use: Owner() = %+v, want %+v", a.Owner(), zoe)
	}
	if got, err := store.FindUser(t.Context(), tenantA, zoe.ID); err != nil || !reflect.DeepEqual(got, zoe) {
		t.Errorf("recorded %+v, %v; want %+v", got, err, zoe)
	}

	later := caller
	later.DisplayName, later.UserPrincipalName = "Someone Else", "someone@contoso.com"
	a = mustAuthorize(t, svc, later, me, graphprofile.GetUser)
	if !reflect.DeepEqual(a.Owner(), zoe) {
		t.Errorf("later token: Owner() = %+v, want the recorded %+v", a.Owner(), zoe)
	}

	before := len(store.users)
	mustAuthorize(t, svc, application(tenantA, "User.Read.All"), adeles, graphprofile.GetUser)
	if len(store.users) != before || store.called("EnsureUser") != 2 {
		t.Errorf("an application was recorded: %d users (was %d), calls %v", len(store.users), before, store.calls)
	}
}

// visibilityPositions are positions of adele, one for each kind of
// allowedAudiences, in list order, and whether users other than adele see
// them.
var visibilityPositions = []struct {
	id, audiences string // "" for none
	seenByOthers  bool
}{
	{"organization", "organization", true},
	{"federated", "federatedOrganizations", true},
	{"everyone", "everyone", true},
	{"contacts-and-organization", "contacts,organization", true},
	{"family-and-everyone", "family,everyone", true},
	{"me", "me", false},
	{"family", "family", false},
	{"contacts", "contacts", false},
	{"group-members", "groupMembers", false},
	{"family-and-contacts", "family,contacts", false},
	{"none", "", false},
}

// visibilityStore holds adele's visibilityPositions.
func visibilityStore() *memStore {
	store := newMemStore(adele, megan)
	for i, v := range visibilityPositions {
		p := storedPosition(v.id, nil)
		p["createdDateTime"] = created.Add(time.Duration(i) * time.Minute)
		if v.audiences != "" {
			p["allowedAudiences"] = v.audiences
		}
		store.put(adele, p)
	}
	return store
}

// TestVisibility: the owner and applications see every position; another
// user sees only those shared with the organization, federated
// organizations or everyone. A hidden position is absent from lists and is
// itemNotFound on get, update and delete, which change nothing.
func TestVisibility(t *testing.T) {
	for _, tc := range []struct {
		name   string
		caller graphprofile.Principal
		ref    graphprofile.ProfileRef
		owner  bool // sees all
	}{
		{"owner", delegated(adele, "User.ReadWrite"), me, true},
		{"owner with .All via id", delegated(adele, "User.ReadWrite.All"), adeles, true},
		{"another user", delegated(megan, "User.ReadWrite.All"), adeles, false},
		{"application", application(tenantA, "User.ReadWrite.All"), adeles, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := visibilityStore()
			svc := newService(store, &clock{at: modified.Add(time.Hour)})
			var want []string
			for _, v := range visibilityPositions {
				if tc.owner || v.seenByOthers {
					want = append(want, v.id)
				}
			}
			list, err := listItems(t.Context(), svc, mustAuthorize(t, svc, tc.caller, tc.ref, graphprofile.ListItems), workPositions)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range list {
				got = append(got, p.ID())
			}
			if !slices.Equal(got, want) {
				t.Errorf("list: %v\nwant %v", got, want)
			}

			for _, v := range visibilityPositions {
				t.Run(v.id, func(t *testing.T) {
					visible := tc.owner || v.seenByOthers
					before, _ := store.position(adele, v.id)

					p, err := svc.GetItem(t.Context(), mustAuthorize(t, svc, tc.caller, tc.ref, graphprofile.GetItem), workPositions, v.id)
					if visible && (err != nil || !reflect.DeepEqual(p, before)) {
						t.Errorf("get: %v, %v; want %v", p, err, before)
					}
					if !visible {
						wantError(t, err, graphprofile.CodeItemNotFound, itemNotFoundMessage(v.id))
						if p != nil {
							t.Errorf("get: the hidden position came back beside its 404: %v", p)
						}
					}

					body := graphprofile.Object{"isCurrent": true}
					p, err = svc.UpdateItem(t.Context(), mustAuthorize(t, svc, tc.caller, tc.ref, graphprofile.UpdateItem), workPositions, v.id, body, "")
					after, _ := store.position(adele, v.id)
					if visible && (err != nil || p["isCurrent"] != true || after["isCurrent"] != true) {
						t.Errorf("update: %v, %v; stored %v", p, err, after)
					}
					if !visible {
						wantError(t, err, graphprofile.CodeItemNotFound, itemNotFoundMessage(v.id))
						if !reflect.DeepEqual(after, before) {
							t.Errorf("a refused update changed the position: %v", after)
						}
					}

					err = svc.DeleteItem(t.Context(), mustAuthorize(t, svc, tc.caller, tc.ref, graphprofile.DeleteItem), workPositions, v.id, "")
					_, stillThere := store.position(adele, v.id)
					if visible && (err != nil || stillThere) {
						t.Errorf("delete: %v; still there: %v", err, stillThere)
					}
					if !visible {
						wantError(t, err, graphprofile.CodeItemNotFound, itemNotFoundMessage(v.id))
						if !stillThere {
							t.Error("a refused delete removed the position")
						}
					}
				})
			}
		})
	}
}

// TestIfMatch: an update or delete goes ahead when If-Match is absent, "*",
// or lists the current ETag (weak or strong, among others); otherwise it is
// preconditionFailed and changes nothing.
func TestIfMatch(t *testing.T) {
	current := storedPosition("p1", graphprofile.Object{"allowedAudiences": "organization"}).ETag()
	older := storedPosition("p1", graphprofile.Object{"lastModifiedDateTime": modified.Add(-100 * time.Nanosecond)}).ETag()
	if current == older || !strings.HasPrefix(current, `"`) || !strings.HasSuffix(current, `"`) {
		t.Fatalf("ETags %s and %s", current, older)
	}
	unquoted := strings.Trim(current, `"`)
	for _, tc := range []struct {
		name, ifMatch string
		match         bool
	}{
		{"absent", "", true},
		{"blank", "  ", true},
		{"any", "*", true},
		{"any with spaces", " * ", true},
		{"current", current, true},
		{"current, weak", "W/" + current, true},
		{"current among others", `"x", ` + current + `, W/"y"`, true},
		{"current, weak, among others", `W/"x",W/` + current, true},
		{"current with spaces", "  " + current + "\t", true},
		{"older", older, false},
		{"older, weak", "W/" + older, false},
		{"others only", `"x", W/"y"`, false},
		{"unquoted", unquoted, false},
		{"lower-case weak prefix", "w/" + current, false},
		{"any among others", `"x", *`, false},
	} {
		for _, op := range []string{"update", "delete"} {
			t.Run(tc.name+"/"+op, func(t *testing.T) {
				store := newMemStore(adele)
				before := storedPosition("p1", graphprofile.Object{"allowedAudiences": "organization"})
				store.put(adele, before)
				svc := newService(store, &clock{at: modified.Add(time.Hour)})
				caller := delegated(adele, "User.ReadWrite")
				var err error
				if op == "update" {
					_, err = svc.UpdateItem(t.Context(), mustAuthorize(t, svc, caller, me, graphprofile.UpdateItem), workPositions, "p1", graphprofile.Object{"isCurrent": true}, tc.ifMatch)
				} else {
					err = svc.DeleteItem(t.Context(), mustAuthorize(t, svc, caller, me, graphprofile.DeleteItem), workPositions, "p1", tc.ifMatch)
				}
				after, there := store.position(adele, "p1")
				switch {
				case !tc.match:
					wantError(t, err, graphprofile.CodePreconditionFailed, staleTagMessage)
					if !reflect.DeepEqual(after, before) {
						t.Errorf("a refused %s changed the position: %v", op, after)
					}
				case err != nil:
					t.Errorf("If-Match %q: %v", tc.ifMatch, err)
				case op == "update" && after["isCurrent"] != true:
					t.Errorf("update not stored: %v", after)
				case op == "delete" && there:
					t.Error("delete did not remove the position")
				}
			})
		}
	}
}

// TestDeleteProfileIfMatch: a profile has no ETag, so DeleteProfile's
// If-Match matches when absent (blank, as for an item) or "*" only; any
// tag is preconditionFailed and deletes nothing.
func TestDeleteProfileIfMatch(t *testing.T) {
	const noTagMessage = "The If-Match header does not match: a profile has no ETag; send If-Match: * or none."
	for _, tc := range []struct {
		name, ifMatch string
		match         bool
	}{
		{"absent", "", true},
		{"blank", " \t", true},
		{"any", "*", true},
		{"any with spaces", " * ", true},
		{"a tag", `"x"`, false},
		{"a weak tag", `W/"x"`, false},
		{"the empty tag", `""`, false},
		{"no element", ",", false},
		{"any among others", `"x", *`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele)
			store.put(adele, storedPosition("p1", nil))
			svc := newService(store, &clock{at: modified})
			err := svc.DeleteProfile(t.Context(), mustAuthorize(t, svc, delegated(adele, "User.ReadWrite"), me, graphprofile.DeleteProfile), tc.ifMatch)
			_, there := store.position(adele, "p1")
			switch {
			case !tc.match:
				wantError(t, err, graphprofile.CodePreconditionFailed, noTagMessage)
				if !there {
					t.Error("a refused DeleteProfile removed the position")
				}
			case err != nil:
				t.Errorf("If-Match %q: %v", tc.ifMatch, err)
			case there:
				t.Error("DeleteProfile left the position")
			}
		})
	}
}

// TestCreatePosition: a new position gets its id, both timestamps from Now
// (UTC, at 100 ns), the caller as createdBy and lastModifiedBy, and
// allowedAudiences organization when the body sets none; nulls in the body
// are dropped; what is returned is what is stored.
func TestCreatePosition(t *testing.T) {
	const zoeID = "5e7f0000-0000-4000-8000-0000000000ab"
	// Now in another zone and with digits below 100 ns.
	now := time.Date(2024, time.May, 1, 10, 30, 15, 123456789, time.FixedZone("CEST", 2*60*60))
	at := time.Date(2024, time.May, 1, 8, 30, 15, 123456700, time.UTC)
	adeleBy := graphprofile.Object{"user": graphprofile.Object{"id": adele.ID, "displayName": adele.DisplayName}}
	server := graphprofile.Item{"id": "position-1", "createdDateTime": at, "lastModifiedDateTime": at}
	for _, tc := range []struct {
		name   string
		caller graphprofile.Principal
		ref    graphprofile.ProfileRef
		body   graphprofile.Object
		want   graphprofile.Object // besides the server's values above
		owner  graphprofile.User   // whose profile it is in
	}{
		{"empty body", delegated(adele, "User.ReadWrite"), me, graphprofile.Object{},
			graphprofile.Object{"allowedAudiences": "organization", "createdBy": adeleBy, "lastModifiedBy": adeleBy}, adele},
		{"null allowedAudiences is the default", delegated(adele, "User.ReadWrite"), me, graphprofile.Object{"allowedAudiences": nil},
			graphprofile.Object{"allowedAudiences": "organization", "createdBy": adeleBy, "lastModifiedBy": adeleBy}, adele},
		{"allowedAudiences kept", delegated(adele, "User.ReadWrite"), me, graphprofile.Object{"allowedAudiences": "me,contacts"},
			graphprofile.Object{"allowedAudiences": "me,contacts", "createdBy": adeleBy, "lastModifiedBy": adeleBy}, adele},
		{"nulls dropped at every depth",
			delegated(adele, "User.ReadWrite"), me,
			graphprofile.Object{"isCurrent": nil, "categories": []any{"a", "b"}, "manager": nil,
				"detail":     graphprofile.Object{"jobTitle": "Engineer", "role": nil, "company": graphprofile.Object{"displayName": nil, "department": "R&D"}},
				"colleagues": []any{graphprofile.Object{"displayName": "Ann", "userId": nil}}},
			graphprofile.Object{"allowedAudiences": "organization", "createdBy": adeleBy, "lastModifiedBy": adeleBy, "categories": []any{"a", "b"},
				"detail":     graphprofile.Object{"jobTitle": "Engineer", "company": graphprofile.Object{"department": "R&D"}},
				"colleagues": []any{graphprofile.Object{"displayName": "Ann"}}}, adele},
		{"server-managed values of the body replaced", delegated(adele, "User.ReadWrite"), me,
			graphprofile.Object{"id": "mine", "createdDateTime": created, "lastModifiedDateTime": created, "createdBy": graphprofile.Object{"user": graphprofile.Object{"id": "x"}}},
			graphprofile.Object{"allowedAudiences": "organization", "createdBy": adeleBy, "lastModifiedBy": adeleBy}, adele},
		// An id of hex letters, so that its upper case differs.
		{"the caller's id in lower case", delegated(graphprofile.User{TenantID: tenantA, ID: strings.ToUpper(zoeID), DisplayName: "Zoe as signed in"}, "User.ReadWrite"), me,
			graphprofile.Object{},
			graphprofile.Object{"allowedAudiences": "organization",
				"createdBy":      graphprofile.Object{"user": graphprofile.Object{"id": zoeID, "displayName": "Zoe as signed in"}},
				"lastModifiedBy": graphprofile.Object{"user": graphprofile.Object{"id": zoeID, "displayName": "Zoe as signed in"}}}, graphprofile.User{TenantID: tenantA, ID: zoeID, DisplayName: "Zoe"}},
		{"another user's profile: the caller made it", delegated(adele, "User.ReadWrite.All"), megans, graphprofile.Object{},
			graphprofile.Object{"allowedAudiences": "organization", "createdBy": adeleBy, "lastModifiedBy": adeleBy}, megan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele, megan)
			svc := newService(store, &clock{at: now})
			a := mustAuthorize(t, svc, tc.caller, tc.ref, graphprofile.CreateItem)
			got, err := svc.CreateItem(t.Context(), a, workPositions, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			want := maps.Clone(server)
			maps.Copy(want, tc.want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("created %v\nwant    %v", got, want)
			}
			if stored, ok := store.position(tc.owner, "position-1"); !ok || !reflect.DeepEqual(stored, want) {
				t.Errorf("stored in %s's profile: %v", tc.owner.DisplayName, stored)
			}
		})
	}
}

// TestCreateUpToMaxItems: a collection of a profile holds MaxItems items,
// the smallest limit serve takes (--max-items 1) too, and
// DefaultMaxItems (1,000, docs/decisions.md) when MaxItems is zero; one
// more is quotaLimitReached and stores nothing.
func TestCreateUpToMaxItems(t *testing.T) {
	for _, tc := range []struct {
		name           string
		maxItems, want int
	}{
		{"one", 1, 1},
		{"three", 3, 3},
		{"zero is the default", 0, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele)
			svc := newService(store, &clock{at: modified})
			svc.MaxItems = tc.maxItems
			caller := delegated(adele, "User.ReadWrite")
			for i := range tc.want {
				if _, err := svc.CreateItem(t.Context(), mustAuthorize(t, svc, caller, me, graphprofile.CreateItem), workPositions, graphprofile.Object{}); err != nil {
					t.Fatalf("create %d of %d: %v", i+1, tc.want, err)
				}
			}
			_, err := svc.CreateItem(t.Context(), mustAuthorize(t, svc, caller, me, graphprofile.CreateItem), workPositions, graphprofile.Object{})
			wantError(t, err, graphprofile.CodeQuotaLimitReached, "The maximum storage quota has been reached.")
			if list, err := listItems(t.Context(), svc, mustAuthorize(t, svc, caller, me, graphprofile.ListItems), workPositions); err != nil || len(list) != tc.want {
				t.Errorf("after the refusal: %d positions, %v; want %d", len(list), err, tc.want)
			}
		})
	}
}

// TestCreatedIDsFollowTheClock: without NewID, a new item's id is a
// version 7 GUID of the service clock's time, so that items created later
// get ids that sort after (the stores' indexes append them).
func TestCreatedIDsFollowTheClock(t *testing.T) {
	store := newMemStore(adele)
	c := &clock{at: time.Date(2026, time.December, 3, 0, 0, 0, 0, time.UTC)}
	svc := &graphprofile.Service{Store: store, Now: c.now}
	a := mustAuthorize(t, svc, delegated(adele, "User.ReadWrite"), me, graphprofile.CreateItem)
	var ids []string
	for range 3 {
		got, err := svc.CreateItem(t.Context(), a, workPositions, graphprofile.Object{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.ID())
		c.at = c.at.Add(time.Millisecond)
	}
	// 2026-12-03T00:00:00Z is 0x01a239336800 ms after the Unix epoch.
	for i, prefix := range []string{"01a23933-6800-7", "01a23933-6801-7", "01a23933-6802-7"} {
		if !graphprofile.IsGUID(ids[i]) || !strings.HasPrefix(ids[i], prefix) {
			t.Errorf("item %d: id %q, want a GUID starting %s", i, ids[i], prefix)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids %q: not in the order they were created", ids)
	}
}

// TestCreatedIDHoldsItsCreatedTime: a new item's id holds the instant of
// its createdDateTime, even when the clock moves during the create (the
// admin API sets it while writes run): the create reads the clock once.
// It read it twice, for the times and for the id, so a clock set between
// the reads gave an id an hour (or 292 years) away from the item's time.
func TestCreatedIDHoldsItsCreatedTime(t *testing.T) {
	start := time.Date(2026, time.December, 3, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		step time.Duration // how far the clock moves at each reading
	}{
		{"clock set forward between readings", time.Hour},
		{"clock set back between readings", -time.Hour},
		{"clock moved by a millisecond", time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele)
			at := start
			svc := &graphprofile.Service{Store: store, Now: func() time.Time {
				now := at
				at = at.Add(tc.step)
				return now
			}}
			a := mustAuthorize(t, svc, delegated(adele, "User.ReadWrite"), me, graphprofile.CreateItem)
			for i := range 3 {
				got, err := svc.CreateItem(t.Context(), a, workPositions, graphprofile.Object{})
				if err != nil {
					t.Fatal(err)
				}
				created, _ := got["createdDateTime"].(time.Time)
				want := fmt.Sprintf("%012x", created.UnixMilli())
				if id := strings.ReplaceAll(got.ID(), "-", ""); len(id) < 12 || id[:12] != want {
					t.Errorf("item %d: id %q holds %s ms, want %s: its createdDateTime %v", i, got.ID(), id[:min(12, len(id))], want, created)
				}
			}
		})
	}
}

// TestCreateAtTheLastKeptInstant: the latest instant the server keeps
// (2262-04-11T23:47:16.8547758Z, the last 100 ns an int64 of Unix
// nanoseconds holds) is itself kept: a create then is stored with it, and
// an update of that item, 100 ns later, is refused; a create 100 ns past
// it is BadRequest naming both times.
func TestCreateAtTheLastKeptInstant(t *testing.T) {
	last := time.Unix(0, math.MaxInt64).UTC().Truncate(100 * time.Nanosecond)
	c := &clock{at: last}
	svc := newService(newMemStore(adele), c)
	a := mustAuthorize(t, svc, delegated(adele, "User.ReadWrite"), me, graphprofile.CreateItem)
	got, err := svc.CreateItem(t.Context(), a, workPositions, graphprofile.Object{})
	if err != nil {
		t.Fatalf("a create at the last kept instant: %v", err)
	}
	if created := got.CreatedDateTime(); !created.Equal(last) {
		t.Errorf("createdDateTime %v, want %v", created, last)
	}
	const lastText = "2262-04-11T23:47:16.8547758Z"
	_, err = svc.UpdateItem(t.Context(), mustAuthorize(t, svc, delegated(adele, "User.ReadWrite"), me, graphprofile.UpdateItem), workPositions, got.ID(), graphprofile.Object{"isCurrent": true}, "")
	wantError(t, err, graphprofile.CodeBadRequest, "The lastModifiedDateTime of this change would be 2262-04-11T23:47:16.8547759Z, past "+lastText+", the latest instant the server keeps.")
	c.at = last.Add(100 * time.Nanosecond)
	_, err = svc.CreateItem(t.Context(), a, workPositions, graphprofile.Object{})
	wantError(t, err, graphprofile.CodeBadRequest, "The createdDateTime of this change would be 2262-04-11T23:47:16.8547759Z, past "+lastText+", the latest instant the server keeps.")
}

// TestUpdatePosition: the body is merged into the position (OData's PATCH:
// absent properties kept, also inside complex values; null clears;
// collections replaced); lastModifiedDateTime is Now when that is later,
// else 100 ns after the last change, so the ETag always changes;
// lastModifiedBy is the caller; what was created stays.
func TestUpdatePosition(t *testing.T) {
	current := storedPosition("p1", graphprofile.Object{"allowedAudiences": "organization", "categories": []any{"a", "b"},
		"detail": graphprofile.Object{"jobTitle": "Engineer", "level": "L2", "company": graphprofile.Object{"displayName": "Contoso"}}})
	adeleBy := graphprofile.Object{"user": graphprofile.Object{"id": adele.ID, "displayName": adele.DisplayName}}
	appBy := graphprofile.Object{"application": graphprofile.Object{"id": appID, "displayName": "HR sync"}}
	merge := graphprofile.Object{"detail": graphprofile.Object{"role": "Lead", "level": nil}, "categories": []any{"c"}}
	merged := graphprofile.Object{"allowedAudiences": "organization", "categories": []any{"c"},
		"detail": graphprofile.Object{"jobTitle": "Engineer", "role": "Lead", "company": graphprofile.Object{"displayName": "Contoso"}}}
	for _, tc := range []struct {
		name         string
		caller       graphprofile.Principal
		ref          graphprofile.ProfileRef
		now          time.Time
		body         graphprofile.Object
		want         graphprofile.Object // what the client set
		lastModified time.Time
		by           graphprofile.Object
	}{
		{"clock ahead", delegated(adele, "User.ReadWrite"), me, modified.Add(time.Hour), merge, merged, modified.Add(time.Hour), adeleBy},
		{"clock ahead, digits below 100 ns dropped", delegated(adele, "User.ReadWrite"), me, modified.Add(time.Second + 199*time.Nanosecond), merge, merged, modified.Add(time.Second + 100*time.Nanosecond), adeleBy},
		{"clock not moved", delegated(adele, "User.ReadWrite"), me, modified, merge, merged, modified.Add(100 * time.Nanosecond), adeleBy},
		{"clock ahead by less than 100 ns", delegated(adele, "User.ReadWrite"), me, modified.Add(99 * time.Nanosecond), merge, merged, modified.Add(100 * time.Nanosecond), adeleBy},
		{"clock behind", delegated(adele, "User.ReadWrite"), me, modified.Add(-time.Hour), merge, merged, modified.Add(100 * time.Nanosecond), adeleBy},
		{"application", application(tenantA, "User.ReadWrite.All"), adeles, modified.Add(time.Minute), merge, merged, modified.Add(time.Minute), appBy},
		{"empty body still a change", delegated(adele, "User.ReadWrite"), me, modified.Add(time.Minute), graphprofile.Object{},
			graphprofile.Object{"allowedAudiences": "organization", "categories": []any{"a", "b"}, "detail": current["detail"]}, modified.Add(time.Minute), adeleBy},
		{"null clears a whole value", delegated(adele, "User.ReadWrite"), me, modified.Add(time.Minute), graphprofile.Object{"detail": nil, "allowedAudiences": nil},
			graphprofile.Object{"categories": []any{"a", "b"}}, modified.Add(time.Minute), adeleBy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele)
			store.put(adele, current)
			svc := newService(store, &clock{at: tc.now})
			got, err := svc.UpdateItem(t.Context(), mustAuthorize(t, svc, tc.caller, tc.ref, graphprofile.UpdateItem), workPositions, "p1", tc.body, current.ETag())
			if err != nil {
				t.Fatal(err)
			}
			want := graphprofile.Item{"id": "p1", "createdDateTime": created, "createdBy": adeleBy,
				"lastModifiedDateTime": tc.lastModified, "lastModifiedBy": tc.by}
			maps.Copy(want, tc.want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("updated %v\nwant    %v", got, want)
			}
			if stored, _ := store.position(adele, "p1"); !reflect.DeepEqual(stored, want) {
				t.Errorf("stored %v", stored)
			}
			if got.ETag() == current.ETag() {
				t.Errorf("ETag %s did not change", got.ETag())
			}
		})
	}

	// A clock that never moves: each update is 100 ns after the last, each
	// ETag new.
	store := newMemStore(adele)
	store.put(adele, current)
	svc := newService(store, &clock{at: modified})
	seen := map[string]bool{current.ETag(): true}
	for i := 1; i <= 3; i++ {
		got, err := svc.UpdateItem(t.Context(), mustAuthorize(t, svc, delegated(adele, "User.ReadWrite"), me, graphprofile.UpdateItem), workPositions, "p1", graphprofile.Object{"isCurrent": true}, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := modified.Add(time.Duration(i) * 100 * time.Nanosecond); !got.LastModifiedDateTime().Equal(want) {
			t.Errorf("update %d: lastModifiedDateTime %v, want %v", i, got.LastModifiedDateTime(), want)
		}
		if seen[got.ETag()] {
			t.Errorf("update %d: ETag %s seen before", i, got.ETag())
		}
		seen[got.ETag()] = true
	}
}

// TestUserViews: with User.ReadBasic.All alone a caller sees only the basic
// profile (id, displayName, userPrincipalName, mail, givenName, surname);
// any other permission that allows the read shows everything.
func TestUserViews(t *testing.T) {
	full := graphprofile.Object{"id": megan.ID, "displayName": "Megan Bowen", "userPrincipalName": "MeganB@contoso.com",
		"mail": "megan.bowen@contoso.com", "mailNickname": "meganb", "givenName": "Megan", "surname": "Bowen",
		"jobTitle": "Marketing Manager", "accountEnabled": true}
	basic := graphprofile.Object{"id": megan.ID, "displayName": "Megan Bowen", "userPrincipalName": "MeganB@contoso.com",
		"mail": "megan.bowen@contoso.com", "givenName": "Megan", "surname": "Bowen"}
	adeleObject := graphprofile.Object{"id": adele.ID, "displayName": adele.DisplayName, "userPrincipalName": adele.UserPrincipalName}
	for _, tc := range []struct {
		name   string
		caller graphprofile.Principal
		ref    graphprofile.ProfileRef
		want   graphprofile.Object
		// list is what ListUsers shows of megan; nil: the caller may not list.
		list graphprofile.Object
	}{
		{"User.ReadBasic.All: the basic profile", delegated(adele, "User.ReadBasic.All"), megans, basic, basic},
		// Permission names are matched ignoring case, so a scope in
		// another case is the same scope: the basic profile, no more.
		{"user.readbasic.all: the basic profile", delegated(adele, "user.readbasic.all"), megans, basic, basic},
		{"USER.READBASIC.ALL and User.Read.All: everything", delegated(adele, "USER.READBASIC.ALL", "User.Read.All"), megans, full, full},
		{"User.ReadBasic.All and User.Read.All: everything", delegated(adele, "User.ReadBasic.All", "User.Read.All"), megans, full, full},
		{"User.ReadWrite.All: everything", delegated(adele, "User.ReadWrite.All"), megans, full, full},
		{"oneself with User.Read: everything", delegated(megan, "User.Read"), me, full, nil},
		{"oneself with User.ReadBasic.All alone: the basic profile", delegated(megan, "User.ReadBasic.All"), me, basic, basic},
		{"oneself with User.Read and User.ReadBasic.All: everything", delegated(megan, "User.Read", "User.ReadBasic.All"), me, full, basic},
		{"application: everything", application(tenantA, "User.Read.All"), megans, full, full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele, megan, nestor)
			svc := newService(store, &clock{at: modified})
			got, err := svc.GetUser(t.Context(), mustAuthorize(t, svc, tc.caller, tc.ref, graphprofile.GetUser))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("GetUser %v\nwant    %v", got, tc.want)
			}

			a, err := svc.AuthorizeDirectory(t.Context(), tc.caller, graphprofile.ListUsers)
			if tc.list == nil {
				wantError(t, err, graphprofile.CodeAuthorizationDenied, deniedMessage)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			users := []graphprofile.Object{}
			err = svc.ScanUsers(t.Context(), a, "", func(u graphprofile.Object) (bool, error) {
				users = append(users, u)
				return true, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The caller's tenant only, ordered by id; adele has no property
			// beyond the basic profile.
			if want := []graphprofile.Object{adeleObject, tc.list}; !reflect.DeepEqual(users, want) {
				t.Errorf("ScanUsers %v\nwant      %v", users, want)
			}
		})
	}
}

// TestUserConflicts: a store's conflict on id or principal name is Graph's
// Request_BadRequest naming the property, and nothing changes.
func TestUserConflicts(t *testing.T) {
	admin := delegated(adele, "User.ReadWrite.All")
	for _, tc := range []struct {
		name     string
		create   graphprofile.Object // POST /users body; nil: update adele with patch
		patch    graphprofile.Object
		property string
	}{
		{name: "create with a principal name in use, in another case",
			create:   graphprofile.Object{"displayName": "Another Megan", "userPrincipalName": "MEGANB@contoso.com"},
			property: "userPrincipalName"},
		{name: "create with an id in use, in upper case",
			create:   graphprofile.Object{"id": strings.ToUpper(megan.ID), "displayName": "Another Megan", "userPrincipalName": "megan2@contoso.com"},
			property: "id"},
		{name: "update to a principal name in use",
			patch:    graphprofile.Object{"userPrincipalName": "meganb@contoso.com", "jobTitle": "Lead"},
			property: "userPrincipalName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele, megan)
			svc := newService(store, &clock{at: modified})
			var err error
			if tc.create != nil {
				a, aerr := svc.AuthorizeDirectory(t.Context(), admin, graphprofile.CreateUser)
				if aerr != nil {
					t.Fatal(aerr)
				}
				_, err = svc.CreateUser(t.Context(), a, tc.create)
			} else {
				_, err = svc.UpdateUser(t.Context(), mustAuthorize(t, svc, admin, me, graphprofile.UpdateUser), tc.patch)
			}
			wantError(t, err, graphprofile.CodeDirectoryBadRequest,
				"Another object with the same value for property "+tc.property+" already exists.")
			if want := map[graphprofile.UserKey]graphprofile.User{adele.Key(): adele, megan.Key(): megan}; !reflect.DeepEqual(store.users, want) {
				t.Errorf("users changed: %v", store.users)
			}
		})
	}

	// Without a conflict the same calls succeed: the mapping is for
	// conflicts only.
	store := newMemStore(adele, megan)
	svc := newService(store, &clock{at: modified})
	a, err := svc.AuthorizeDirectory(t.Context(), admin, graphprofile.CreateUser)
	if err != nil {
		t.Fatal(err)
	}
	created, err := svc.CreateUser(t.Context(), a, graphprofile.Object{"id": strings.ToUpper(unknownID), "displayName": "Lee Gu", "userPrincipalName": "LeeG@contoso.com"})
	want := graphprofile.Object{"id": unknownID, "displayName": "Lee Gu", "userPrincipalName": "LeeG@contoso.com", "accountEnabled": true}
	if err != nil || !reflect.DeepEqual(created, want) {
		t.Errorf("CreateUser: %v, %v; want %v", created, err, want)
	}
	updated, err := svc.UpdateUser(t.Context(), mustAuthorize(t, svc, admin, me, graphprofile.UpdateUser), graphprofile.Object{"userPrincipalName": "adele@contoso.com"})
	want = graphprofile.Object{"id": adele.ID, "displayName": adele.DisplayName, "userPrincipalName": "adele@contoso.com"}
	if err != nil || !reflect.DeepEqual(updated, want) {
		t.Errorf("UpdateUser: %v, %v; want %v", updated, err, want)
	}
}

// TestNotFound: a store's ErrNotFound is itemNotFound naming the position
// as the client wrote it, or Request_ResourceNotFound naming the user;
// position ids that are GUIDs match in any case.
func TestNotFound(t *testing.T) {
	guid := "0a0b0c0d-0000-4000-8000-00000000abcd"
	owner := delegated(adele, "User.ReadWrite.All")
	for _, tc := range []struct {
		name string
		call func(svc *graphprofile.Service, t *testing.T) error
		code string
		msg  string
	}{
		{"get", func(svc *graphprofile.Service, t *testing.T) error {
			_, err := svc.GetItem(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.GetItem), workPositions, "nope")
			return err
		}, graphprofile.CodeItemNotFound, itemNotFoundMessage("nope")},
		{"update", func(svc *graphprofile.Service, t *testing.T) error {
			_, err := svc.UpdateItem(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.UpdateItem), workPositions, "nope", graphprofile.Object{}, "*")
			return err
		}, graphprofile.CodeItemNotFound, itemNotFoundMessage("nope")},
		{"delete", func(svc *graphprofile.Service, t *testing.T) error {
			return svc.DeleteItem(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.DeleteItem), workPositions, "nope", "")
		}, graphprofile.CodeItemNotFound, itemNotFoundMessage("nope")},
		{"another profile's position", func(svc *graphprofile.Service, t *testing.T) error {
			_, err := svc.GetItem(t.Context(), mustAuthorize(t, svc, owner, megans, graphprofile.GetItem), workPositions, guid)
			return err
		}, graphprofile.CodeItemNotFound, itemNotFoundMessage(guid)},
		// An item's id is matched as written (issue 12: "Position ids
		// stay exact"), where a user's GUID ignores case.
		{"GUID in upper case is another id", func(svc *graphprofile.Service, t *testing.T) error {
			_, err := svc.GetItem(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.GetItem), workPositions, strings.ToUpper(guid))
			return err
		}, graphprofile.CodeItemNotFound, itemNotFoundMessage(strings.ToUpper(guid))},
		{"GUID in upper case not deleted", func(svc *graphprofile.Service, t *testing.T) error {
			return svc.DeleteItem(t.Context(), mustAuthorize(t, svc, owner, me, graphprofile.DeleteItem), workPositions, strings.ToUpper(guid), "")
		}, graphprofile.CodeItemNotFound, itemNotFoundMessage(strings.ToUpper(guid))},
		{"update of a user deleted since", func(svc *graphprofile.Service, t *testing.T) error {
			a := mustAuthorize(t, svc, owner, megans, graphprofile.UpdateUser)
			if err := svc.Store.DeleteUser(t.Context(), megan.Key()); err != nil {
				t.Fatal(err)
			}
			_, err := svc.UpdateUser(t.Context(), a, graphprofile.Object{"jobTitle": "x"})
			return err
		}, graphprofile.CodeUserNotFound, notFoundMessage(megan.ID)},
		{"delete of a user deleted since", func(svc *graphprofile.Service, t *testing.T) error {
			a := mustAuthorize(t, svc, owner, megans, graphprofile.DeleteUser)
			if err := svc.Store.DeleteUser(t.Context(), megan.Key()); err != nil {
				t.Fatal(err)
			}
			return svc.DeleteUser(t.Context(), a)
		}, graphprofile.CodeUserNotFound, notFoundMessage(megan.ID)},
		// A profile's user deleted between Authorize and the store's call
		// (another server on the same database, a reset): the user is
		// not found, not an internal failure.
		{"create in the profile of a user deleted since", func(svc *graphprofile.Service, t *testing.T) error {
			a := mustAuthorize(t, svc, owner, megans, graphprofile.CreateItem)
			if err := svc.Store.DeleteUser(t.Context(), megan.Key()); err != nil {
				t.Fatal(err)
			}
			_, err := svc.CreateItem(t.Context(), a, workPositions, graphprofile.Object{})
			return err
		}, graphprofile.CodeUserNotFound, notFoundMessage(megan.ID)},
		{"list of a user deleted since", func(svc *graphprofile.Service, t *testing.T) error {
			a := mustAuthorize(t, svc, owner, megans, graphprofile.ListItems)
			if err := svc.Store.DeleteUser(t.Context(), megan.Key()); err != nil {
				t.Fatal(err)
			}
			_, err := listItems(t.Context(), svc, a, workPositions)
			return err
		}, graphprofile.CodeUserNotFound, notFoundMessage(megan.ID)},
		{"profile of a user deleted since", func(svc *graphprofile.Service, t *testing.T) error {
			a := mustAuthorize(t, svc, owner, megans, graphprofile.GetProfile)
			if err := svc.Store.DeleteUser(t.Context(), megan.Key()); err != nil {
				t.Fatal(err)
			}
			_, err := svc.GetProfile(t.Context(), a, graphprofile.ProfileCollections(), func(int, graphprofile.Object) (bool, error) { return true, nil })
			return err
		}, graphprofile.CodeUserNotFound, notFoundMessage(megan.ID)},
		{"delete of the profile of a user deleted since", func(svc *graphprofile.Service, t *testing.T) error {
			a := mustAuthorize(t, svc, owner, megans, graphprofile.DeleteProfile)
			if err := svc.Store.DeleteUser(t.Context(), megan.Key()); err != nil {
				t.Fatal(err)
			}
			return svc.DeleteProfile(t.Context(), a, "")
		}, graphprofile.CodeUserNotFound, notFoundMessage(megan.ID)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele, megan)
			store.put(adele, storedPosition(guid, nil))
			err := tc.call(newService(store, &clock{at: modified}), t)
			if tc.code == "" {
				if err != nil {
					t.Error(err)
				}
				return
			}
			wantError(t, err, tc.code, tc.msg)
		})
	}
}

// TestStoreFailures: any other store error reaches the caller unchanged
// (an internal failure, or a 503 for ErrUnavailable), never as a Graph
// error the client could act on.
func TestStoreFailures(t *testing.T) {
	ctx := context.Background()
	failure := fmt.Errorf("disk on fire: %w", graphprofile.ErrUnavailable)
	owner := delegated(adele, "User.ReadWrite.All")
	for _, tc := range []struct {
		name string
		call func(svc *graphprofile.Service, a graphprofile.Access) error
		op   graphprofile.Operation
	}{
		{"list positions", func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := listItems(ctx, svc, a, workPositions)
			return err
		}, graphprofile.ListItems},
		{"get position", func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.GetItem(ctx, a, workPositions, "p1")
			return err
		}, graphprofile.GetItem},
		{"create position", func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.CreateItem(ctx, a, workPositions, graphprofile.Object{})
			return err
		}, graphprofile.CreateItem},
		{"update position", func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.UpdateItem(ctx, a, workPositions, "p1", graphprofile.Object{}, "")
			return err
		}, graphprofile.UpdateItem},
		{"delete position", func(svc *graphprofile.Service, a graphprofile.Access) error {
			return svc.DeleteItem(ctx, a, workPositions, "p1", "")
		}, graphprofile.DeleteItem},
		{"update user", func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.UpdateUser(ctx, a, graphprofile.Object{"jobTitle": "x"})
			return err
		}, graphprofile.UpdateUser},
		{"delete user", func(svc *graphprofile.Service, a graphprofile.Access) error {
			return svc.DeleteUser(ctx, a)
		}, graphprofile.DeleteUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele)
			svc := newService(store, &clock{at: modified})
			a := mustAuthorize(t, svc, owner, me, tc.op)
			store.fail = failure
			err := tc.call(svc, a)
			if !errors.Is(err, failure) || isPublic(err) {
				t.Errorf("error %v, want %v unchanged", err, failure)
			}
		})
	}

	// Authorize too: recording the caller, and finding the user.
	for _, tc := range []struct {
		name   string
		caller graphprofile.Principal
	}{
		{"recording the caller", owner},
		{"finding the user", application(tenantA, "User.Read.All")},
	} {
		t.Run("authorize/"+tc.name, func(t *testing.T) {
			store := newMemStore(adele, megan)
			store.fail = failure
			_, err := newService(store, &clock{at: modified}).Authorize(t.Context(), tc.caller, megans, graphprofile.GetUser)
			if !errors.Is(err, failure) || isPublic(err) {
				t.Errorf("error %v, want %v", err, failure)
			}
		})
	}
	store := newMemStore()
	store.fail = failure
	if err := newService(store, &clock{}).Ready(t.Context()); !errors.Is(err, failure) {
		t.Errorf("Ready: %v, want %v", err, failure)
	}
}

// TestAccessForAnotherOperation: an Access is for the operation it was
// granted for; used for another it is an internal error (a bug in the
// caller, not the client's business) and the store is not asked.
func TestAccessForAnotherOperation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		op   graphprofile.Operation
		call func(svc *graphprofile.Service, a graphprofile.Access) error
	}{
		{graphprofile.ListItems, func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := listItems(ctx, svc, a, workPositions)
			return err
		}},
		{graphprofile.GetItem, func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.GetItem(ctx, a, workPositions, "p1")
			return err
		}},
		{graphprofile.CreateItem, func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.CreateItem(ctx, a, workPositions, graphprofile.Object{})
			return err
		}},
		{graphprofile.UpdateItem, func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.UpdateItem(ctx, a, workPositions, "p1", graphprofile.Object{}, "")
			return err
		}},
		{graphprofile.DeleteItem, func(svc *graphprofile.Service, a graphprofile.Access) error {
			return svc.DeleteItem(ctx, a, workPositions, "p1", "")
		}},
		{graphprofile.ListUsers, func(svc *graphprofile.Service, a graphprofile.Access) error {
			return svc.ScanUsers(ctx, a, "", func(graphprofile.Object) (bool, error) { return true, nil })
		}},
		{graphprofile.GetUser, func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.GetUser(ctx, a)
			return err
		}},
		{graphprofile.CreateUser, func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.CreateUser(ctx, a, graphprofile.Object{"displayName": "Lee Gu", "userPrincipalName": "LeeG@contoso.com"})
			return err
		}},
		{graphprofile.UpdateUser, func(svc *graphprofile.Service, a graphprofile.Access) error {
			_, err := svc.UpdateUser(ctx, a, graphprofile.Object{"jobTitle": "x"})
			return err
		}},
		{graphprofile.DeleteUser, func(svc *graphprofile.Service, a graphprofile.Access) error {
			return svc.DeleteUser(ctx, a)
		}},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			store := newMemStore(adele)
			store.put(adele, storedPosition("p1", graphprofile.Object{"allowedAudiences": "organization"}))
			svc := newService(store, &clock{at: modified.Add(time.Hour)})
			owner := delegated(adele, "User.ReadWrite.All")
			// Granted for another operation of the same caller on the same
			// user, with every permission that operation needs.
			other := graphprofile.GetItem
			if tc.op == graphprofile.GetItem {
				other = graphprofile.GetUser
			}
			a := mustAuthorize(t, svc, owner, me, other)
			before := len(store.calls)
			err := tc.call(svc, a)
			want := fmt.Sprintf("access granted for %q used for %q", other, tc.op)
			if err == nil || err.Error() != want || isPublic(err) {
				t.Errorf("error %v, want an internal error %q", err, want)
			}
			if calls := store.calls[before:]; len(calls) != 0 {
				t.Errorf("the store was asked: %v", calls)
			}
			// The right Access works.
			if tc.op == graphprofile.ListUsers || tc.op == graphprofile.CreateUser {
				a, err = svc.AuthorizeDirectory(ctx, owner, tc.op)
			} else {
				a, err = svc.Authorize(ctx, owner, me, tc.op)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.call(svc, a); err != nil {
				t.Errorf("with an Access for %s: %v", tc.op, err)
			}
		})
	}
}

// TestSelfServiceUpdates holds UpdateUser to Graph's rule: a user changing
// themself with a permission over their own user only changes no identity
// property; the directory's permission changes any.
func TestSelfServiceUpdates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		caller graphprofile.Principal
		ref    graphprofile.ProfileRef
		body   graphprofile.Object
		denied bool
	}{
		{"oneself, User.ReadWrite, userPrincipalName", delegated(megan, "User.ReadWrite"), me, graphprofile.Object{"userPrincipalName": "newhire@contoso.com"}, true},
		{"oneself, User.ReadWrite, accountEnabled", delegated(megan, "User.ReadWrite"), me, graphprofile.Object{"accountEnabled": false}, true},
		{"oneself, User.ReadWrite, mail", delegated(megan, "User.ReadWrite"), megans, graphprofile.Object{"mail": "x@contoso.com"}, true},
		{"oneself, User.ReadWrite, jobTitle", delegated(megan, "User.ReadWrite"), me, graphprofile.Object{"jobTitle": "CEO"}, true},
		{"oneself, User.ReadWrite, passwordProfile", delegated(megan, "User.ReadWrite"), me, graphprofile.Object{"passwordProfile": graphprofile.Object{"password": "x"}}, true},
		{"oneself, User.ReadWrite, nothing", delegated(megan, "User.ReadWrite"), me, graphprofile.Object{}, false},
		{"oneself, User.ReadWrite, only the id", delegated(megan, "User.ReadWrite"), me, graphprofile.Object{"id": megan.ID}, false},
		{"oneself, User.ReadWrite.All, userPrincipalName", delegated(megan, "User.ReadWrite.All"), me, graphprofile.Object{"userPrincipalName": "megan@contoso.com"}, false},
		{"administrator, another user's jobTitle", delegated(adele, "User.ReadWrite.All"), megans, graphprofile.Object{"jobTitle": "CEO"}, false},
		{"application, accountEnabled", application(tenantA, "User.ReadWrite.All"), megans, graphprofile.Object{"accountEnabled": false}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore(adele, megan)
			svc := newService(store, &clock{at: modified})
			a := mustAuthorize(t, svc, tc.caller, tc.ref, graphprofile.UpdateUser)
			got, err := svc.UpdateUser(t.Context(), a, tc.body)
			if tc.denied {
				wantError(t, err, graphprofile.CodeAuthorizationDenied, deniedMessage)
				if n := store.called("UpdateUser"); n != 0 {
					t.Errorf("the store was asked to update %d times", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
			for name, v := range tc.body {
				if name != "id" && !reflect.DeepEqual(got[name], v) {
					t.Errorf("%s = %v, want %v", name, got[name], v)
				}
			}
		})
	}
}

// TestPersonalAccountsOwnProfileOnly checks that a personal account's
// permissions reach no one else, before any lookup.
func TestPersonalAccountsOwnProfileOnly(t *testing.T) {
	person := graphprofile.User{TenantID: graphprofile.PersonalAccountsTenantID, ID: "00000000-0000-4000-8000-0000000000a1", UserPrincipalName: "one@outlook.com"}
	other := graphprofile.User{TenantID: graphprofile.PersonalAccountsTenantID, ID: "00000000-0000-4000-8000-0000000000a2", UserPrincipalName: "two@outlook.com"}
	caller := delegated(person, "User.Read", "User.ReadWrite", "User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All")
	for _, op := range []graphprofile.Operation{graphprofile.ListItems, graphprofile.GetItem, graphprofile.CreateItem,
		graphprofile.UpdateItem, graphprofile.DeleteItem, graphprofile.GetUser, graphprofile.UpdateUser, graphprofile.DeleteUser} {
		for _, ref := range []graphprofile.ProfileRef{{UserKey: other.ID}, {UserKey: other.UserPrincipalName}, unknown} {
			t.Run(fmt.Sprintf("%s %s", op, ref.UserKey), func(t *testing.T) {
				store := newMemStore(person, other)
				svc := newService(store, &clock{at: modified})
				_, err := svc.Authorize(t.Context(), caller, ref, op)
				wantError(t, err, graphprofile.CodeAuthorizationDenied, deniedMessage)
				if n := store.called("FindUser"); n != 0 {
					t.Errorf("FindUser called %d times: the refusal must not depend on who exists", n)
				}
			})
		}
	}
	store := newMemStore(person, other)
	svc := newService(store, &clock{at: modified})
	mustAuthorize(t, svc, caller, me, graphprofile.UpdateItem)
}

// TestTenantKeys checks that the Service keys users by the caller's tenant
// within its issuer's realm: the same tid and oid from another issuer are
// another user.
func TestTenantKeys(t *testing.T) {
	store := newMemStore(megan, adele)
	svc := newService(store, &clock{at: modified})
	external := delegated(megan, "User.ReadWrite.All")
	external.Realm = "https://idp.example/v2.0"
	a := mustAuthorize(t, svc, external, me, graphprofile.GetUser)
	if got, want := a.Owner().TenantID, tenantA+"|https://idp.example/v2.0"; got != want {
		t.Errorf("the external user's tenant %q, want %q", got, want)
	}
	if a.Owner().JobTitle != "" {
		t.Errorf("the external token reached the development issuer's user: %+v", a.Owner())
	}
	_, err := svc.Authorize(t.Context(), external, adeles, graphprofile.GetUser)
	wantError(t, err, graphprofile.CodeUserNotFound, notFoundMessage(adele.ID))
	if a := mustAuthorize(t, svc, delegated(megan, "User.Read"), me, graphprofile.GetUser); a.Owner().JobTitle != megan.JobTitle {
		t.Errorf("the development issuer's user is %+v", a.Owner())
	}
}

// listItems collects what svc.ScanItems visits: the items of collection c
// of the accessed profile that the caller may see, oldest first.
func listItems(ctx context.Context, svc *graphprofile.Service, a graphprofile.Access, c graphprofile.Collection) ([]graphprofile.Item, error) {
	items := []graphprofile.Item{}
	err := svc.ScanItems(ctx, a, c, graphprofile.OldestFirst, nil, func(it graphprofile.Item) (bool, error) {
		items = append(items, it)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// TestScanUsersByKey: the users of ids or principal names, found by the
// store's lookups, in id order after afterID; an id sought is never
// answered by the user whose principal name spells it (FindUser also
// finds by name), and a name sought that only a user's id spells makes
// the caller scan.
func TestScanUsersByKey(t *testing.T) {
	adeleKey, meganKey := graphprofile.PrincipalNameKey(adele.UserPrincipalName), graphprofile.PrincipalNameKey(megan.UserPrincipalName)
	for _, tc := range []struct {
		name     string
		property string
		values   []string
		afterID  string
		found    bool     // false: the caller scans
		ids      []string // visited, in order
	}{
		{"ids", "id", []string{megan.ID, adele.ID, unknownID}, "", true, []string{adele.ID, megan.ID}},
		{"ids after one", "id", []string{megan.ID, adele.ID}, adele.ID, true, []string{megan.ID}},
		{"a principal name sought as an id", "id", []string{meganKey}, "", true, nil},
		{"principal names", "userPrincipalName", []string{meganKey, adeleKey, "nobody@contoso.com"}, "", true, []string{adele.ID, megan.ID}},
		{"a principal name not in lower case", "userPrincipalName", []string{megan.UserPrincipalName}, "", false, nil},
		{"an id sought as a principal name", "userPrincipalName", []string{megan.ID}, "", false, nil},
		{"another tenant's user", "id", []string{nestor.ID}, "", true, nil},
		{"an empty value", "id", []string{""}, "", false, nil},
		{"another property", "displayName", []string{"Megan Bowen"}, "", false, nil},
		// afterIDs no store holds: the caller scans.
		{"an afterID with NUL", "id", []string{megan.ID}, adele.ID + "\x00", false, nil},
		{"an afterID of invalid UTF-8", "id", []string{megan.ID}, "\xff", false, nil},
		{"more values than MaxUserLookups", "id", slices.Repeat([]string{megan.ID}, graphprofile.MaxUserLookups+1), "", false, nil},
		{"MaxUserLookups values", "id", slices.Repeat([]string{megan.ID}, graphprofile.MaxUserLookups), "", true, []string{megan.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newService(newMemStore(adele, megan, nestor), &clock{at: modified})
			a, err := svc.AuthorizeDirectory(t.Context(), application(tenantA, "User.Read.All"), graphprofile.ListUsers)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			found, err := svc.ScanUsersByKey(t.Context(), a, tc.property, tc.values, tc.afterID, func(u graphprofile.Object) (bool, error) {
				ids = append(ids, u["id"].(string))
				return true, nil
			})
			if err != nil || found != tc.found || !slices.Equal(ids, tc.ids) {
				t.Errorf("ScanUsersByKey = %v, %v, visiting %v; want %v, visiting %v", found, err, ids, tc.found, tc.ids)
			}
		})
	}
}
