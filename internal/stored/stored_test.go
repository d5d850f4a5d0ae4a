package stored

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// workPositions is the profile's positions collection.
var workPositions, _ = graphprofile.FindCollection("positions")

const store Name = "teststore"

var owner = graphprofile.UserKey{TenantID: "t", UserID: "u"}

// TestMessages: each error says what it is once, after the store's name.
func TestMessages(t *testing.T) {
	_, decodeErr := store.DecodeItem(workPositions, []byte(`{"id": 1}`))
	_, decodeUserErr := store.DecodeUser("t", "u", []byte(`{"displayName": 1}`))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"UserNotFound", store.UserNotFound(owner), `teststore: user "u" of tenant "t": not found`},
		{"ItemNotFound", store.ItemNotFound(owner, workPositions, "p"), `teststore: positions item "p" of user "u" of tenant "t": not found`},
		{"NewerSchema", store.NewerSchema(9, 3), "teststore: database schema version 9, but this graphprofile knows versions up to 3; use a newer graphprofile: " + graphprofile.ErrNewerSchema.Error()},
		{"Decode", decodeErr, "teststore: a stored workPosition does not decode: "},
		{"DecodeUser", decodeUserErr, "teststore: "},
		{"Errorf", store.Errorf("x %d: %w", 1, context.Canceled), "teststore: x 1: context canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || !strings.HasPrefix(tc.err.Error(), tc.want) {
				t.Errorf("error %v, want %q", tc.err, tc.want)
			}
		})
	}
	if store.Wrap(nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
	for _, err := range []error{store.UserNotFound(owner), store.ItemNotFound(owner, workPositions, "p")} {
		if !errors.Is(err, graphprofile.ErrNotFound) || errors.Unwrap(err) != graphprofile.ErrNotFound {
			t.Errorf("%v: want ErrNotFound, and nothing else, wrapped", err)
		}
	}
	if !errors.Is(store.NewerSchema(9, 3), graphprofile.ErrNewerSchema) {
		t.Error("NewerSchema does not wrap ErrNewerSchema")
	}
	if public := (*graphprofile.Error)(nil); errors.As(decodeErr, &public) {
		t.Errorf("a stored position that does not decode is the client's error %v, want an internal one", public)
	}
}

func TestDBError(t *testing.T) {
	cause := errors.New("connection reset")
	tests := []struct {
		err             *DBError
		want            string
		unavailable     bool
		deadlineWrapped bool
	}{
		{&DBError{Store: store, Op: "reading a user", Err: cause}, "teststore: reading a user: connection reset", false, false},
		{&DBError{Store: store, Op: "reading a user", Err: cause, Unavailable: true}, "teststore: reading a user: store unavailable: connection reset", true, false},
		{&DBError{Store: store, Op: "committing", Err: cause, Unavailable: true, Context: context.DeadlineExceeded},
			"teststore: committing: store unavailable: connection reset (context deadline exceeded)", true, true},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if !errors.Is(tc.err, cause) || errors.Is(tc.err, graphprofile.ErrUnavailable) != tc.unavailable ||
			errors.Is(tc.err, context.DeadlineExceeded) != tc.deadlineWrapped {
			t.Errorf("%v wraps the wrong errors", tc.err)
		}
	}
}

func TestRows(t *testing.T) {
	created := time.Date(2024, 5, 1, 8, 30, 15, 123456700, time.UTC)
	p := graphprofile.Item{"id": "p", "createdDateTime": created, "lastModifiedDateTime": created}
	row, err := store.NewRow(workPositions, p)
	if err != nil {
		t.Fatal(err)
	}
	if row.CreatedAt != created.UnixNano() || row.Document != string(graphprofile.AppendStoredItem(nil, graphprofile.WorkPositionType, p)) {
		t.Errorf("NewRow = %d %s", row.CreatedAt, row.Document)
	}
	back, err := store.DecodeItem(workPositions, []byte(row.Document))
	if err != nil || back.ID() != "p" || !back.CreatedDateTime().Equal(created) {
		t.Errorf("DecodePosition = %v, %v", back, err)
	}
	if _, err := store.NewRow(workPositions, graphprofile.Item{"id": "p"}); err == nil || !strings.HasPrefix(err.Error(), "teststore: ") {
		t.Errorf("NewRow without createdDateTime: %v", err)
	}

	refused := errors.New("refused")
	keep := func(p graphprofile.Item) (graphprofile.Item, error) { return p, nil }
	if row, err := store.UpdatedItem(workPositions, "p", p, keep); err != nil || row.Item.ID() != "p" {
		t.Errorf("UpdatedPosition = %v, %v", row.Item, err)
	}
	if _, err := store.UpdatedItem(workPositions, "p", p, func(graphprofile.Item) (graphprofile.Item, error) { return nil, refused }); err != refused {
		t.Errorf("UpdatedPosition with a refusing update: %v, want its error as is", err)
	}
	if _, err := store.UpdatedItem(workPositions, "q", p, keep); err == nil {
		t.Error("UpdatedPosition accepted a changed id")
	}
}

func TestUsers(t *testing.T) {
	enabled := true
	u := graphprofile.User{TenantID: "t", ID: "u", AccountEnabled: &enabled}
	c := CopyUser(u)
	*c.AccountEnabled = false
	if !*u.AccountEnabled {
		t.Error("CopyUser shares AccountEnabled")
	}
	for _, bad := range []graphprofile.User{{ID: "u"}, {TenantID: "t"}} {
		if err := store.CheckUserKey("CreateUser", bad); err == nil {
			t.Errorf("CheckUserKey(%+v) succeeded", bad)
		}
	}
	if err := store.CheckUserKey("CreateUser", u); err != nil {
		t.Error(err)
	}
	changeID := func(u graphprofile.User) (graphprofile.User, error) { u.ID = "other"; return u, nil }
	if _, err := store.UpdatedUser(u.Key(), u, changeID); err == nil {
		t.Error("UpdatedUser accepted a changed id")
	}
}

func TestCheckImport(t *testing.T) {
	u := func(id, upn string) graphprofile.User { return graphprofile.User{ID: id, UserPrincipalName: upn} }
	tests := []struct {
		name     string
		tenantID string
		batch    []graphprofile.User
		want     string // "" none, "conflict <property> <value>", else the error's text
	}{
		{"Fine", "t", []graphprofile.User{u("a", "a@x"), u("b", "")}, ""},
		{"NoTenant", "", nil, "teststore: ImportUsers: no tenant id"},
		{"NoID", "t", []graphprofile.User{u("a", "a@x"), u("", "b@x")}, "teststore: ImportUsers: a user has no id"},
		{"RepeatedID", "t", []graphprofile.User{u("a", "a@x"), u("a", "b@x")}, "conflict id a"},
		{"RepeatedName", "t", []graphprofile.User{u("a", "a@x"), u("b", "A@X")}, "conflict userPrincipalName A@X"},
		// The earliest user's problem is the one reported.
		{"RepeatBeforeNoID", "t", []graphprofile.User{u("a", "a@x"), u("a", ""), u("", "")}, "conflict id a"},
		{"NoIDBeforeRepeat", "t", []graphprofile.User{u("a", "a@x"), u("", ""), u("a", "")}, "teststore: ImportUsers: a user has no id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := store.CheckImport(tc.tenantID, tc.batch)
			got := ""
			var c *graphprofile.ConflictError
			switch {
			case errors.As(err, &c):
				got = fmt.Sprintf("conflict %s %s", c.Property, c.Value)
			case err != nil:
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("CheckImport = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPageFrom(t *testing.T) {
	mid := graphprofile.ItemPosition{Created: 42, ID: "b"}
	for _, c := range []struct {
		name  string
		order graphprofile.ItemOrder
		after *graphprofile.ItemPosition
		want  graphprofile.ItemPosition
	}{
		{"first page oldest first", graphprofile.OldestFirst, nil, graphprofile.ItemPosition{Created: math.MinInt64}},
		{"first page newest first", graphprofile.NewestFirst, nil, graphprofile.ItemPosition{Created: math.MaxInt64}},
		{"next page oldest first", graphprofile.OldestFirst, &mid, mid},
		{"next page newest first", graphprofile.NewestFirst, &mid, mid},
	} {
		if got := PageFrom(c.order, c.after); got != c.want {
			t.Errorf("%s: PageFrom = %+v, want %+v", c.name, got, c.want)
		}
	}
}

// sizedRows is a page query's rows: documents of the given sizes.
type sizedRows struct {
	sizes []int
	next  int
}

func (r *sizedRows) Next() bool { r.next++; return r.next <= len(r.sizes) }
func (r *sizedRows) Err() error { return nil }
func (r *sizedRows) Scan(dest ...any) error {
	*dest[0].(*string) = fmt.Sprint(r.next)
	*dest[1].(*[]byte) = make([]byte, r.sizes[r.next-1])
	return nil
}

// TestReadPageBounds: a page ends at its limit of rows, or once its
// documents reach PageBytes, whichever comes first, and says whether more
// may follow; a page the rows end before is not full.
func TestReadPageBounds(t *testing.T) {
	mib := 1 << 20
	for _, tc := range []struct {
		name  string
		sizes []int
		limit int
		rows  int
		more  bool
	}{
		{"fewer rows than the limit", []int{10, 10}, 3, 2, false},
		{"as many rows as the limit", []int{10, 10, 10}, 3, 3, true},
		{"more rows than the limit", []int{10, 10, 10, 10}, 3, 3, true},
		{"documents reach PageBytes", []int{mib, mib, mib, mib, mib, mib}, 100, 4, true},
		{"documents just under PageBytes", []int{mib, mib, mib, mib - 1, 10}, 100, 5, true},
		{"the last rows reach PageBytes", []int{2 * mib, 2 * mib}, 100, 2, true},
	} {
		page, more, err := ReadPage(&sizedRows{sizes: tc.sizes}, tc.limit, ScanRawUser)
		if err != nil || len(page) != tc.rows || more != tc.more {
			t.Errorf("%s: %d rows, more %v, %v; want %d rows, more %v", tc.name, len(page), more, err, tc.rows, tc.more)
		}
	}
}

// failingRows is a page query's rows that fail: at a row's Scan (the row
// after ok rows), or after its rows (Err).
type failingRows struct {
	sizedRows
	scanErr, err error
	ok           int
}

func (r *failingRows) Scan(dest ...any) error {
	if r.scanErr != nil && r.next > r.ok {
		return r.scanErr
	}
	return r.sizedRows.Scan(dest...)
}

func (r *failingRows) Err() error { return r.err }

// TestReadPageErrors: an error of the rows, at a row or after them, is
// ReadPage's, as it is, with no page: the store wraps it as its own, and a
// part of a page is never taken for a page.
func TestReadPageErrors(t *testing.T) {
	broken := errors.New("connection reset")
	for _, tc := range []struct {
		name string
		rows *failingRows
	}{
		{"at the first row", &failingRows{sizedRows: sizedRows{sizes: []int{10, 10}}, scanErr: broken}},
		{"at a later row", &failingRows{sizedRows: sizedRows{sizes: []int{10, 10, 10}}, scanErr: broken, ok: 2}},
		{"after the rows", &failingRows{sizedRows: sizedRows{sizes: []int{10, 10}}, err: broken}},
		{"after as many rows as the limit", &failingRows{sizedRows: sizedRows{sizes: []int{10, 10, 10, 10, 10}}, err: broken}},
	} {
		page, more, err := ReadPage(tc.rows, 5, ScanRawUser)
		if err != broken || page != nil || more {
			t.Errorf("%s: %d rows, more %v, %v; want none and the rows' error as it is", tc.name, len(page), more, err)
		}
	}
}

// TestUpdatedUserKey: an update may change anything of a user but its
// key, its tenant's id or its id; what it returns is the caller's copy.
func TestUpdatedUserKey(t *testing.T) {
	enabled := true
	u := graphprofile.User{TenantID: "t", ID: "u", AccountEnabled: &enabled}
	for _, tc := range []struct {
		name   string
		change func(*graphprofile.User)
		ok     bool
	}{
		{"its name", func(u *graphprofile.User) { u.DisplayName = "Ada" }, true},
		{"its id", func(u *graphprofile.User) { u.ID = "other" }, false},
		{"its tenant", func(u *graphprofile.User) { u.TenantID = "other" }, false},
		{"both", func(u *graphprofile.User) { u.TenantID, u.ID = "other", "other" }, false},
	} {
		var returned graphprofile.User
		got, err := store.UpdatedUser(u.Key(), u, func(cur graphprofile.User) (graphprofile.User, error) {
			tc.change(&cur)
			returned = cur
			return cur, nil
		})
		if tc.ok != (err == nil) {
			t.Errorf("an update changing %s: %v, want an error %v", tc.name, err, !tc.ok)
			continue
		}
		if err == nil && (got.DisplayName != "Ada" || got.AccountEnabled == returned.AccountEnabled) {
			t.Errorf("an update changing %s: %+v, want the update's user, a copy", tc.name, got)
		}
	}
}

// TestUsersStops: the users of a batch stop when the loop over them does.
func TestUsersStops(t *testing.T) {
	batch := []graphprofile.User{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	var seen []string
	for u, err := range Users(batch) {
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, u.ID)
		if u.ID == "b" {
			break
		}
	}
	if strings.Join(seen, ",") != "a,b" {
		t.Errorf("users seen %v, want a and b", seen)
	}
}

// TestPrepareLoad: a load is grouped by tenant, in the order of their
// first users, its users copied and its size the documents'; a user
// without its key, an item without an id, an id twice in a collection and
// two users of a tenant with one id are refused before anything is
// written.
func TestPrepareLoad(t *testing.T) {
	created := time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC)
	item := func(id string) graphprofile.Item {
		return graphprofile.Item{"id": id, "createdDateTime": created, "lastModifiedDateTime": created}
	}
	enabled := true
	user := func(tenant, id string) graphprofile.User {
		return graphprofile.User{TenantID: tenant, ID: id, AccountEnabled: &enabled}
	}
	profile := func(u graphprofile.User, ids ...string) graphprofile.UserProfile {
		pc := graphprofile.ProfileCollection{Collection: workPositions}
		for _, id := range ids {
			pc.Items = append(pc.Items, item(id))
		}
		return graphprofile.UserProfile{User: u, Profile: []graphprofile.ProfileCollection{pc}}
	}
	loads, size, err := store.PrepareLoad([]graphprofile.UserProfile{profile(user("t2", "a"), "p1", "p2"), profile(user("t1", "b"), "p1"), profile(user("t2", "c"))})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, l := range loads {
		for _, it := range l.Items {
			want += len(it.Document)
		}
	}
	if len(loads) != 2 || loads[0].TenantID != "t2" || len(loads[0].Users) != 2 || len(loads[0].Items) != 2 || loads[1].TenantID != "t1" || len(loads[1].Items) != 1 {
		t.Errorf("loads %+v: want t2's two users and two items, then t1's", loads)
	}
	if size != want || size == 0 {
		t.Errorf("size %d, want the documents' %d", size, want)
	}
	if len(loads) > 0 && loads[0].Users[0].AccountEnabled == &enabled {
		t.Error("a loaded user shares the caller's AccountEnabled")
	}
	for _, tc := range []struct {
		name     string
		profiles []graphprofile.UserProfile
		want     string // the error's beginning, or "conflict" for a *graphprofile.ConflictError
	}{
		{"a user without a tenant", []graphprofile.UserProfile{profile(user("", "a"))}, "teststore: LoadProfiles: a user needs a tenant id and an id"},
		{"an item without an id", []graphprofile.UserProfile{profile(user("t", "a"), "")}, `teststore: LoadProfiles: a positions item of user "a" has no id`},
		{"an id twice", []graphprofile.UserProfile{profile(user("t", "a"), "p", "p")}, `teststore: LoadProfiles: user "a" has two positions items "p"`},
		{"a user twice", []graphprofile.UserProfile{profile(user("t", "a")), profile(user("t", "a"))}, "conflict"},
	} {
		_, _, err := store.PrepareLoad(tc.profiles)
		var conflict *graphprofile.ConflictError
		if tc.want == "conflict" && !errors.As(err, &conflict) || tc.want != "conflict" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
}
