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
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"UserNotFound", store.UserNotFound(owner), `teststore: user "u" of tenant "t": not found`},
		{"ItemNotFound", store.ItemNotFound(owner, workPositions, "p"), `teststore: positions item "p" of user "u" of tenant "t": not found`},
		{"NewerSchema", store.NewerSchema(9, 3), "teststore: database schema version 9, but this graphprofile knows versions up to 3; use a newer graphprofile: " + graphprofile.ErrNewerSchema.Error()},
		{"Decode", decodeErr, "teststore: a stored workPosition does not decode: "},
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
