package graphapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
)

// scanCountingStore counts the users its ScanUsers visits and, when gate
// is not nil, holds each scan until gate is closed, counting those held.
type scanCountingStore struct {
	graphprofile.Store
	visited atomic.Int64
	gate    chan struct{}
	entered atomic.Int32
	// byName counts the users ScanUsersByName visits.
	byName atomic.Int64
}

func (s *scanCountingStore) ScanUsersByName(ctx context.Context, tenantID, property string, descending bool, after *graphprofile.NamePosition, visit func(graphprofile.User) (bool, error)) error {
	return s.Store.ScanUsersByName(ctx, tenantID, property, descending, after, func(u graphprofile.User) (bool, error) {
		s.byName.Add(1)
		return visit(u)
	})
}

func (s *scanCountingStore) ScanUsers(ctx context.Context, tenantID, afterID string, visit func(graphprofile.User) (bool, error)) error {
	if s.gate != nil {
		s.entered.Add(1)
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Store.ScanUsers(ctx, tenantID, afterID, func(u graphprofile.User) (bool, error) {
		s.visited.Add(1)
		return visit(u)
	})
}

// lookupServers opens one SQLite store and two servers over it: the first
// as serve runs, the second answering every users query by scanning the
// directory (graphapi.ScanUsersOnly), as before users were looked up by key.
func lookupServers(t *testing.T, opts ...serverOption) (store *scanCountingStore, fast, scan *testServer) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "graphprofile.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	keyFile := filepath.Join(dir, "graphprofile.db-devkey.pem")
	dev, err := token.LoadOrCreateDevIssuer(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	store = &scanCountingStore{Store: db}
	open := func(scanOnly bool) *testServer {
		srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev), Addr: "127.0.0.1:0"}
		if scanOnly {
			graphapi.ScanUsersOnly(srv)
		}
		for _, opt := range opts {
			opt(srv)
		}
		if err := srv.Open(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Close(ctx)
		})
		return &testServer{t: t, url: srv.URL(), dev: dev, devKeyFile: keyFile, client: &http.Client{Timeout: 30 * time.Second}}
	}
	return store, open(false), open(true)
}

// TestUsersKeyFilterReadsOneUser: a users query whose filter requires an
// id or a user principal name (eq, or in) reads those users, found on the
// store's index, not the whole directory (every user was read and its filter evaluated:
// 0.4–1.4 s for 20,000 users, in an evaluation slot).
func TestUsersKeyFilterReadsOneUser(t *testing.T) {
	store, s, _ := lookupServers(t)
	users := make([]graphprofile.User, 200)
	for i := range users {
		users[i] = graphprofile.User{TenantID: tenantA, ID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i),
			DisplayName: fmt.Sprintf("Person %d", i), UserPrincipalName: fmt.Sprintf("Person%d@Contoso.test", i)}
	}
	if err := store.ImportUsers(t.Context(), tenantA, users); err != nil {
		t.Fatal(err)
	}
	tok := s.application(tenantA, "User.Read.All")
	for _, tc := range []struct{ filter, want string }{
		{"userPrincipalName eq 'person17@contoso.TEST'", "Person 17"},
		{"id eq '00000042-0000-4000-8000-000000000000'", "Person 42"},
		{"id eq '00000042-0000-4000-8000-000000000000' and startswith(displayName,'Per')", "Person 42"},
		{"startswith(displayName,'Per') and userPrincipalName eq 'PERSON199@contoso.test'", "Person 199"},
		{"userPrincipalName eq 'nobody@contoso.test'", ""},
		// The store's lookup of a key finds a user by id or by principal
		// name: an id that is only someone's principal name is no one's id.
		{"id eq 'person17@contoso.test'", ""},
		{"id in ('person17@contoso.test', '00000018-0000-4000-8000-000000000000')", "Person 18"},
		// As many values as are looked up (MaxUserLookups).
		{"id in (" + func() string {
			ids := make([]string, graphprofile.MaxUserLookups)
			for i := range ids {
				ids[i] = fmt.Sprintf("'%08d-0000-4000-8000-000000000000'", 199-i)
			}
			return strings.Join(ids, ",")
		}() + ") and startswith(displayName,'Person 19')", "Person 190,Person 191,Person 192,Person 193,Person 194,Person 195,Person 196,Person 197,Person 198,Person 199"},
		{"id eq '00000042-0000-4000-8000-000000000000' and userPrincipalName eq 'person17@contoso.test'", ""},
		{"userPrincipalName in ('PERSON7@contoso.test', 'nobody@contoso.test', 'person3@contoso.test', 'person7@contoso.test')", "Person 3,Person 7"},
		{"id in ('00000150-0000-4000-8000-000000000000', '00000009-0000-4000-8000-000000000000') and startswith(displayName,'P')", "Person 9,Person 150"},
	} {
		store.visited.Store(0)
		resp := s.do(request{path: "/v1.0/users?$filter=" + url.QueryEscape(tc.filter), token: tok})
		if resp.status != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.filter, resp.status, resp.body)
		}
		want := []string(nil)
		if tc.want != "" {
			want = strings.Split(tc.want, ",")
		}
		if got := displayNames(t, resp); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tc.filter, got, want)
		}
		if n := store.visited.Load(); n != 0 {
			t.Errorf("%s: the directory was scanned (%d users read), want the user looked up", tc.filter, n)
		}
	}
}

// TestUsersKeyLookupTakesNoSlot: a users query answered by a lookup
// takes no evaluation slot, so it is not held behind filters that scan the
// directory; one whose lookup cannot tell scans, in a slot.
func TestUsersKeyLookupTakesNoSlot(t *testing.T) {
	store, s, _ := lookupServers(t, func(srv *graphapi.Server) { srv.MaxEvaluations = 1 })
	users := []graphprofile.User{
		{TenantID: tenantA, ID: userA1, DisplayName: "Adele", UserPrincipalName: "adele@contoso.test"},
		{TenantID: tenantA, ID: userA2, DisplayName: "Alex", UserPrincipalName: "alex@contoso.test"},
	}
	if err := store.ImportUsers(t.Context(), tenantA, users); err != nil {
		t.Fatal(err)
	}
	// An object id from a token that reads as Alex's principal name.
	if _, err := store.EnsureUser(t.Context(), graphprofile.User{TenantID: tenantA, ID: "alex@contoso.test", DisplayName: "Odd"}); err != nil {
		t.Fatal(err)
	}
	store.gate = make(chan struct{})
	tok := s.application(tenantA, "User.Read.All")
	list := func(filter string) <-chan *response {
		c := make(chan *response, 1)
		go func() { c <- s.do(request{path: "/v1.0/users?$filter=" + url.QueryEscape(filter), token: tok}) }()
		return c
	}
	// A filter no index answers (jobTitle's prefix): a scan.
	scanning := list("startswith(displayName,'A') or startswith(jobTitle,'A')")
	for store.entered.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	select {
	case resp := <-list("userPrincipalName eq 'ADELE@contoso.test'"):
		if got := displayNames(t, resp); !slices.Equal(got, []string{"Adele"}) {
			t.Errorf("the lookup while a scan holds the only slot: %d %q", resp.status, got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a lookup waited for the slot a scan holds")
	}
	undecided := list("userPrincipalName eq 'alex@contoso.test'")
	time.Sleep(50 * time.Millisecond)
	if n := store.entered.Load(); n != 1 {
		t.Fatalf("%d scans reached the store, want 1: the undecided lookup must wait for the slot", n)
	}
	close(store.gate)
	if got := displayNames(t, <-scanning); !slices.Equal(got, []string{"Adele", "Alex"}) {
		t.Errorf("the scan: %q", got)
	}
	if got := displayNames(t, <-undecided); !slices.Equal(got, []string{"Alex"}) {
		t.Errorf("the undecided lookup: %q, want [Alex]", got)
	}
}

// TestUsersKeyFilterDifferential: over random directories (ids of any case
// and shape, one id that is another user's principal name, users without
// one), every users query answers, page by page along its nextLinks, as
// answering it by scanning the directory does.
func TestUsersKeyFilterDifferential(t *testing.T) {
	store, fast, scan := lookupServers(t)
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, 7))
		tenant := fmt.Sprintf("%08x-0000-4000-8000-%012x", seed+1, seed)
		names := []string{"Adele", "adele", "Alex", "Ben", "BEN", "Carl", "Émile", "Zoë"}
		var upns, ids []string
		var users []graphprofile.User
		for i := range 20 + r.IntN(30) {
			u := graphprofile.User{TenantID: tenant, ID: fmt.Sprintf("%08x-%04x-4000-8000-%012x", r.Uint32(), i, r.Uint64()&0xffffffffffff),
				DisplayName: names[r.IntN(len(names))] + fmt.Sprint(" ", r.IntN(5))}
			if r.IntN(6) > 0 {
				upn := strings.ToLower(u.DisplayName[:1]) + u.DisplayName[1:]
				upn = strings.ReplaceAll(upn, " ", "") + fmt.Sprint(".", i) + "@Contoso.test"
				if r.IntN(2) == 0 {
					upn = strings.ToUpper(upn)
				}
				u.UserPrincipalName = upn
				upns = append(upns, upn)
			}
			users = append(users, u)
			ids = append(ids, u.ID)
		}
		if err := store.ImportUsers(t.Context(), tenant, users); err != nil {
			t.Fatal(err)
		}
		// Ids no import takes: a token's object ids need not be GUIDs, and
		// one may read as another user's principal name.
		for _, id := range []string{"Zed", "zed", strings.ToLower(upns[0]), "ZZ@Contoso.test"} {
			if _, err := store.EnsureUser(t.Context(), graphprofile.User{TenantID: tenant, ID: id, DisplayName: "Odd " + id}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		upns = append(upns, "zz@contoso.test", "nobody@contoso.test", "")
		ids = append(ids, "00000000-0000-4000-8000-000000000000", "ZED", "")
		recase := func(s string) string {
			switch r.IntN(3) {
			case 0:
				return strings.ToUpper(s)
			case 1:
				return strings.ToLower(s)
			}
			return s
		}
		pick := func(xs []string) string { return strings.ReplaceAll(recase(xs[r.IntN(len(xs))]), "'", "''") }
		tok := fast.application(tenant, "User.Read.All")
		delegated := fast.delegated(tenant, users[0].ID, "User.ReadBasic.All")
		for range 60 {
			var clauses []string
			for range 1 + r.IntN(3) {
				switch r.IntN(5) {
				case 0:
					clauses = append(clauses, "id eq '"+pick(ids)+"'")
				case 1:
					clauses = append(clauses, "userPrincipalName eq '"+pick(upns)+"'")
				case 2:
					property, keys := "id", ids
					if r.IntN(2) == 0 {
						property, keys = "userPrincipalName", upns
					}
					var list []string
					for range 1 + r.IntN(6) {
						list = append(list, "'"+pick(keys)+"'")
					}
					clauses = append(clauses, property+" in ("+strings.Join(list, ", ")+")")
				case 3:
					clauses = append(clauses, "startswith(displayName,'"+string([]rune(pick(names))[:1+r.IntN(2)])+"')")
				default:
					clauses = append(clauses, "(displayName eq '"+pick(names)+" 1' or userPrincipalName eq '"+pick(upns)+"')")
				}
			}
			q := url.Values{"$filter": {strings.Join(clauses, " and ")}, "$top": {fmt.Sprint(1 + r.IntN(3))}}
			header := map[string]string{}
			if r.IntN(3) == 0 {
				q.Set("$count", "true")
				header["ConsistencyLevel"] = "eventual"
				if r.IntN(2) == 0 {
					q.Set("$orderby", "displayName desc")
				}
			}
			if r.IntN(4) == 0 {
				q.Set("$select", "id,userPrincipalName")
			}
			caller := tok
			if r.IntN(4) == 0 {
				caller = delegated
			}
			compareUserWalks(t, fast, scan, "/v1.0/users?"+q.Encode(), caller, header)
			if header["ConsistencyLevel"] != "" {
				compareUserWalks(t, fast, scan, "/v1.0/users/$count?"+url.Values{"$filter": q["$filter"]}.Encode(), caller, header)
			}
		}
	}
}

// innerError is an error's request id and date, which differ from one
// request to the next.
var innerError = regexp.MustCompile(`"innerError":\{[^}]*\}`)

// compareUserWalks gets path from both servers and follows the nextLinks
// of each, failing on the first answer that differs (each server's own
// address aside).
func compareUserWalks(t *testing.T, fast, scan *testServer, path, tok string, header map[string]string) {
	t.Helper()
	fastPath, scanPath := path, path
	for page := 0; ; page++ {
		a := fast.do(request{path: fastPath, token: tok, header: header})
		b := scan.do(request{path: scanPath, token: tok, header: header})
		aBody := innerError.ReplaceAllString(strings.ReplaceAll(string(a.body), fast.url, ""), "")
		bBody := innerError.ReplaceAllString(strings.ReplaceAll(string(b.body), scan.url, ""), "")
		if a.status != b.status || aBody != bBody {
			t.Fatalf("GET %s, page %d:\nlooked up: %d %s\nscanned:   %d %s", path, page, a.status, aBody, b.status, bBody)
		}
		if a.status != http.StatusOK || !strings.HasPrefix(path, "/v1.0/users?") {
			return
		}
		next, _ := a.json(t)["@odata.nextLink"].(string)
		if next == "" {
			return
		}
		fastPath = strings.TrimPrefix(next, fast.url)
		scanPath = strings.TrimPrefix(b.json(t)["@odata.nextLink"].(string), scan.url)
	}
}
