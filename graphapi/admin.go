package graphapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
)

// The admin API: controls for test suites (reset, the request journal, the
// clock), on only when Server.AdminToken is set, under a prefix no Graph
// path can take (Graph's paths start with a version). Every call needs
// the admin token as a bearer token. docs/admin-api.md describes it.
const adminPrefix = "/_admin"

// adminEndpoint is one method on one path of the admin API.
type adminEndpoint struct {
	path   string
	method string
	// params are the query parameters it takes; any other is refused.
	params []string
	serve  func(s *Server, ctx context.Context, ex *exchange) error
}

// adminEndpoints is the admin API; within a path, rows are in the order
// the Allow header lists them.
var adminEndpoints = []adminEndpoint{
	{adminPrefix + "/reset", http.MethodPost, nil, (*Server).adminReset},
	{adminPrefix + "/tenants", http.MethodGet, nil, (*Server).adminListTenants},
	{adminPrefix + "/users", http.MethodGet, []string{"tenantId", "after"}, (*Server).adminListUsers},
	{adminPrefix + "/fixtures", http.MethodGet, []string{"tenantId", "userId"}, (*Server).adminExportFixtures},
	{adminPrefix + "/fixtures", http.MethodPost, nil, (*Server).adminLoadFixtures},
	{adminPrefix + "/faults", http.MethodPost, nil, (*Server).adminArmFaults},
	{adminPrefix + "/faults", http.MethodDelete, nil, (*Server).adminClearFaults},
	{adminPrefix + "/requests", http.MethodGet, []string{"path", "method", "status"}, (*Server).adminListRequests},
	{adminPrefix + "/requests", http.MethodDelete, nil, (*Server).adminClearRequests},
	{adminPrefix + "/clock", http.MethodGet, nil, (*Server).adminGetClock},
	{adminPrefix + "/clock", http.MethodPut, nil, (*Server).adminSetClock},
	{adminPrefix + "/clock", http.MethodPost, nil, (*Server).adminSetClock},
	{adminPrefix + "/clock", http.MethodDelete, nil, (*Server).adminRealClock},
}

// adminKeys are the query parameters the store looks up: a tenant's key,
// a user's id (or principal name), the id a page of users starts after.
var adminKeys = map[string]bool{"tenantId": true, "userId": true, "after": true}

// serveAdmin serves a request under adminPrefix: the token first (a
// caller without it learns nothing of the paths), then the path and
// method as Graph's are refused (400 for a path not served, 405 with
// Allow), then the row's handler.
func (s *Server) serveAdmin(ctx context.Context, ex *exchange) error {
	if err := s.adminAuthorized(ex.r); err != nil {
		return err
	}
	ex.route = strings.TrimSuffix(ex.r.URL.Path, "/")
	// HEAD is served wherever GET is, as that GET without the body (the
	// answer's writer leaves it out), as on Graph's paths.
	method := ex.r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	var allowed []string
	for i := range adminEndpoints {
		e := &adminEndpoints[i]
		if e.path != ex.route {
			continue
		}
		if e.method != method {
			allowed = append(allowed, e.method)
			continue
		}
		query, err := url.ParseQuery(ex.r.URL.RawQuery)
		if err != nil {
			return graphprofile.Errorf(graphprofile.CodeBadRequest, "The query string is not valid: %v.", err)
		}
		for name, values := range query {
			if !slices.Contains(e.params, name) {
				return graphprofile.Errorf(graphprofile.CodeBadRequest, "The query parameter '%s' is not supported by %s %s.", name, e.method, e.path)
			}
			if len(values) > 1 {
				// Read as its first value alone, the others would be
				// ignored without a word.
				return graphprofile.Errorf(graphprofile.CodeBadRequest, "The query parameter '%s' was specified more than once, but it must be specified at most once.", name)
			}
			if adminKeys[name] && (!utf8.ValidString(values[0]) || strings.ContainsRune(values[0], 0)) {
				// No store holds such a key, and PostgreSQL's text
				// cannot even be compared with it: the same 400 on
				// every store, not a 500 on one and a page on another.
				return graphprofile.Errorf(graphprofile.CodeBadRequest, "The query parameter '%s' holds a NUL character or invalid UTF-8, which no id has.", name)
			}
		}
		return e.serve(s, ctx, ex)
	}
	if allowed == nil {
		ex.route = ""
		return notFoundSegment(ex.r.URL.Path[strings.LastIndexByte(strings.TrimSuffix(ex.r.URL.Path, "/"), '/')+1:])
	}
	ex.refuseMethod(allowed...)
	return nil
}

// adminAuthorized refuses r unless it carries the admin token, and only
// it (authorization), compared in constant time (of the tokens' hashes,
// so their length leaks nothing either).
func (s *Server) adminAuthorized(r *http.Request) error {
	value, refusal := authorization(r)
	if refusal != nil {
		return refusal
	}
	tok, ok := bearerToken(value)
	got := sha256.Sum256([]byte(tok))
	want := sha256.Sum256([]byte(s.AdminToken))
	if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return graphprofile.Errorf(graphprofile.CodeInvalidAuthToken, "The admin API needs the server's admin token (serve --admin-token) as a bearer token.")
	}
	return nil
}

// adminReset answers POST /_admin/reset: every user and every profile of
// one tenant ({"tenantId": "…"}) or, with no body or {}, of every tenant
// is removed. An empty tenantId is refused, not read as "every tenant":
// it is what a test sends whose variable is unset, and it must not erase
// what every other test holds. It acts on the store directly: it is no
// caller's operation on a profile, so no rule of the Service applies.
func (s *Server) adminReset(ctx context.Context, ex *exchange) error {
	body, err := readAdminBody(ex.r, adminResetBody)
	if err != nil {
		return err
	}
	tenantKey, named := body["tenantId"].(string)
	if named && tenantKey == "" {
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The tenantId is empty. Name the tenant to reset (a tenantId of GET /_admin/tenants); POST /_admin/reset with no body, or {}, resets every tenant.")
	}
	if err := s.Service.Store.Reset(ctx, tenantKey); err != nil {
		return err
	}
	if t := s.activeThrottler(); t != nil {
		t.forget(tenantKey) // the server answers as a new one: its callers' buckets full
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminListTenants answers GET /_admin/tenants: every tenant that has
// users, in the store's order, with how many. tenantId is the tenant's key
// in the store, which reset and the other calls take: the tid, or
// tid|issuer for a tenant of an --issuer.
func (s *Server) adminListTenants(ctx context.Context, ex *exchange) error {
	keys, err := s.Service.Store.Tenants(ctx)
	if err != nil {
		return err
	}
	type tenant struct {
		TenantID  string `json:"tenantId"`
		ID        string `json:"id"`
		Issuer    string `json:"issuer,omitempty"`
		UserCount int    `json:"userCount"`
	}
	tenants := make([]tenant, 0, len(keys))
	for _, key := range keys {
		t := tenant{TenantID: key}
		t.ID, t.Issuer, _ = strings.Cut(key, "|")
		// Counted by the store on its index, not by reading every user.
		if t.UserCount, err = s.Service.Store.CountUsers(ctx, key); err != nil {
			return err
		}
		tenants = append(tenants, t)
	}
	return writeAdminJSON(ex, http.StatusOK, struct {
		Tenants []tenant `json:"tenants"`
	}{tenants})
}

// adminUsersPage is how many users GET /_admin/users answers at once.
const adminUsersPage = 1000

// adminListUsers answers GET /_admin/users?tenantId=…: the tenant's users
// as stored, by id, every property (as the users directory shows them to
// User.Read.All), adminUsersPage at a time: "after" in the answer, when
// there are more, is the ?after= of the next page.
func (s *Server) adminListUsers(ctx context.Context, ex *exchange) error {
	q := ex.r.URL.Query()
	tenantKey := q.Get("tenantId")
	if tenantKey == "" {
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "Name the tenant: ?tenantId= (a tenantId of GET /_admin/tenants).")
	}
	users := []json.RawMessage{}
	var last string
	more := false
	err := s.Service.Store.ScanUsers(ctx, tenantKey, q.Get("after"), func(u graphprofile.User) (bool, error) {
		if len(users) == adminUsersPage {
			more = true
			return false, nil
		}
		users = append(users, graphprofile.AppendObjectJSON(nil, graphprofile.UserType, u.Object(), graphprofile.EncodeOptions{OmitNulls: true}))
		last = u.ID
		return true, nil
	})
	if err != nil {
		return err
	}
	answer := struct {
		Users []json.RawMessage `json:"users"`
		After string            `json:"after,omitempty"`
	}{Users: users}
	if more {
		answer.After = last
	}
	return writeAdminJSON(ex, http.StatusOK, answer)
}

// adminExportFixtures answers GET /_admin/fixtures: a fixtures document
// of what the store holds, as graphprofile export writes it (every item,
// whatever its audience), which POST /_admin/fixtures loads again: every
// tenant; one, ?tenantId=; or one user of it, &userId= (404 when the
// tenant has no such user). An empty tenantId or userId is a 400.
func (s *Server) adminExportFixtures(ctx context.Context, ex *exchange) error {
	q := ex.r.URL.Query()
	tenantKey, userID := q.Get("tenantId"), q.Get("userId")
	var f graphprofile.Fixtures
	switch {
	case q.Has("tenantId") && tenantKey == "":
		// What a test sends whose variable is unset: it names no tenant,
		// and must not be read as "every tenant" (nor reset's empty one).
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The tenantId is empty. Name the tenant (a tenantId of GET /_admin/tenants), or leave ?tenantId= out to export every tenant.")
	case q.Has("userId") && userID == "":
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The userId is empty. Name the user (an id or user principal name), or leave ?userId= out to export the whole tenant.")
	case userID != "" && tenantKey == "":
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "?userId= needs ?tenantId=, the user's tenant.")
	case tenantKey == "":
		var err error
		if f, err = graphprofile.ExportFixtures(ctx, s.Service.Store); err != nil {
			return err
		}
	default:
		t, err := graphprofile.ExportTenantFixtures(ctx, s.Service.Store, tenantKey, userID)
		if errors.Is(err, graphprofile.ErrNotFound) {
			return graphprofile.Errorf(graphprofile.CodeUserNotFound, "The tenant '%s' has no user '%s'.", tenantKey, userID)
		}
		if err != nil {
			return err
		}
		if len(t.Users) > 0 {
			f.Tenants = []graphprofile.TenantFixtures{t}
		}
	}
	ex.writeBody(http.StatusOK, "application/json; charset=utf-8", graphprofile.AppendFixturesJSON(nil, f))
	return nil
}

// MaxFixturesBytes is the largest fixtures body POST /_admin/fixtures
// takes, after decompression: about 400,000 positions.
const MaxFixturesBytes = 64 << 20

// adminLoadFixtures answers POST /_admin/fixtures: the users and profiles
// of a fixtures document (docs/fixtures.md), loaded all or nothing, as
// `serve --fixtures` loads a file. A document that is not valid is a 400
// naming the line, column and path of its first problem.
func (s *Server) adminLoadFixtures(ctx context.Context, ex *exchange) error {
	data, err := readBodyUpTo(ex.r, MaxFixturesBytes, nil) // the admin token's holder
	if err != nil {
		return err
	}
	f, err := graphprofile.ParseFixtures("body", data)
	if err != nil {
		return err
	}
	if err := s.Service.LoadFixtures(ctx, f); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminListRequests answers GET /_admin/requests: the journal, newest
// first, filtered by ?path= (a part of the path, ignoring case), ?method=
// and ?status= (a status, or a class: 4xx).
func (s *Server) adminListRequests(_ context.Context, ex *exchange) error {
	q := ex.r.URL.Query()
	f := journalFilter{path: q.Get("path"), method: q.Get("method"), status: q.Get("status")}
	if f.status != "" && !validStatusFilter(f.status) {
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The status filter '%s' is neither a status (404) nor a class of statuses (4xx).", f.status)
	}
	entries := []*journalEntry{}
	if j := s.journal(); j != nil {
		entries = j.list(f)
	}
	return writeAdminJSON(ex, http.StatusOK, struct {
		Requests []*journalEntry `json:"requests"`
	}{entries})
}

// validStatusFilter reports whether f is three digits, or a digit and "xx".
func validStatusFilter(f string) bool {
	if len(f) != 3 || f[0] < '1' || f[0] > '5' {
		return false
	}
	if strings.EqualFold(f[1:], "xx") {
		return true
	}
	return f[1] >= '0' && f[1] <= '9' && f[2] >= '0' && f[2] <= '9'
}

// adminClearRequests answers DELETE /_admin/requests: the journal is
// emptied.
func (s *Server) adminClearRequests(_ context.Context, ex *exchange) error {
	if j := s.journal(); j != nil {
		j.clear()
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

// clockState is what the clock endpoints answer.
type clockState struct {
	Now      string `json:"now"`
	Offset   string `json:"offset"`
	RealTime bool   `json:"realTime"`
}

func (s *Server) writeClock(ex *exchange) error {
	offset := s.Clock.Offset()
	return writeAdminJSON(ex, http.StatusOK, clockState{
		Now:      graphprofile.FormatDateTimeOffset(s.Clock.Now()),
		Offset:   offset.String(),
		RealTime: offset == 0,
	})
}

// adminClock returns the server's clock, or the error of a server that
// has none to set.
func (s *Server) adminClock() (*graphprofile.Clock, error) {
	if s.Clock == nil {
		return nil, graphprofile.Errorf(graphprofile.CodeNotImplemented, "This server's clock cannot be set: it was started without one (graphapi.Server.Clock).")
	}
	return s.Clock, nil
}

// adminGetClock answers GET /_admin/clock: the time the server uses.
func (s *Server) adminGetClock(_ context.Context, ex *exchange) error {
	return s.writeClock(ex)
}

// adminSetClock answers PUT or POST /_admin/clock: {"now": a time as in a
// body, an Edm.DateTimeOffset}
// sets the clock to an instant (from which it goes on ticking);
// {"advance": "90s"} (a Go duration, negative to go back) moves it.
func (s *Server) adminSetClock(_ context.Context, ex *exchange) error {
	clock, err := s.adminClock()
	if err != nil {
		return err
	}
	body, err := readAdminBody(ex.r, adminClockBody)
	if err != nil {
		return err
	}
	now, setNow := body["now"].(string)
	advance, setAdvance := body["advance"].(string)
	switch {
	case setNow == setAdvance:
		return graphprofile.Errorf(graphprofile.CodeBadRequest, `The body must have either "now" (an RFC 3339 time, e.g. "2030-01-01T00:00:00Z") or "advance" (a duration, e.g. "90s").`)
	case setNow:
		// Read as a body's times are: time.Parse alone also takes a
		// one-digit hour and a comma before the fraction.
		at, err := graphprofile.ParseDateTimeOffset(now)
		if err != nil {
			return graphprofile.Errorf(graphprofile.CodeBadRequest, `"now" is not an RFC 3339 time such as "2030-01-01T00:00:00Z": '%s'.`, now)
		}
		if err := clock.Set(at); err != nil {
			return clockRangeProblem(err, "now", now)
		}
	default:
		d, err := time.ParseDuration(advance)
		if err != nil {
			return graphprofile.Errorf(graphprofile.CodeBadRequest, `"advance" is not a duration such as "90s", "15m" or "-1h": '%s'.`, advance)
		}
		if err := clock.Advance(d); err != nil {
			return clockRangeProblem(err, "advance", advance)
		}
	}
	return s.writeClock(ex)
}

// clockRangeProblem is the 400 of a change of the clock that err, a
// *graphprofile.ClockRangeError, refused: the body's property and value
// that asked for it, the instant it would have read (after an advance),
// the instants the clock can read, and why there are bounds at all.
func clockRangeProblem(err error, property, value string) error {
	var rangeErr *graphprofile.ClockRangeError
	if !errors.As(err, &rangeErr) {
		return err
	}
	asked := fmt.Sprintf(`"%s" %s is`, property, value)
	if property == "advance" {
		asked = fmt.Sprintf(`"advance" %s would take it to %s,`, value, graphprofile.FormatDateTimeOffset(rangeErr.At))
	}
	return graphprofile.Errorf(graphprofile.CodeBadRequest,
		"The clock was not changed: %s outside the instants it can read, %s to %s (the server keeps times as nanoseconds since 1970 in 64 bits, and the clock within 292 years of real time).",
		asked, rangeErr.Earliest.Format(time.RFC3339), rangeErr.Latest.Format(time.RFC3339))
}

// adminRealClock answers DELETE /_admin/clock: back to real time.
func (s *Server) adminRealClock(_ context.Context, ex *exchange) error {
	clock, err := s.adminClock()
	if err != nil {
		return err
	}
	clock.Reset()
	return s.writeClock(ex)
}

// The bodies the admin calls take, described as types of the schema (as
// the fixtures document is), so that the decoder of Graph's bodies checks
// them: a key given twice, a property the call does not take, a value of
// the wrong type, a body that is not one JSON object are each a 400 that
// names the problem in the request's terms. The names are what the
// messages call them.
var (
	adminResetBody = adminBodyType("graphprofile.adminReset",
		graphprofile.Property{Name: "tenantId", Type: graphprofile.StringType})
	adminClockBody = adminBodyType("graphprofile.adminClock",
		graphprofile.Property{Name: "now", Type: graphprofile.StringType},
		graphprofile.Property{Name: "advance", Type: graphprofile.StringType})
	adminFaultBody = adminBodyType("graphprofile.adminFault",
		graphprofile.Property{Name: "fault", Type: graphprofile.StringType},
		graphprofile.Property{Name: "count", Type: graphprofile.Int32Type},
		graphprofile.Property{Name: "method", Type: graphprofile.StringType},
		graphprofile.Property{Name: "path", Type: graphprofile.StringType})
)

func adminBodyType(name string, properties ...graphprofile.Property) *graphprofile.Type {
	return &graphprofile.Type{Name: name, Kind: graphprofile.KindComplex, Properties: properties}
}

// readAdminBody decodes an admin request's JSON body, an object of type t
// (one of the admin bodies above), with the decoder of Graph's bodies, as
// plain JSON (graphprofile.DecodePlainBody). A null is refused too: a
// property is given a value or left out, since a null is what a test
// sends whose variable is unset, and reading it as "left out" would turn
// it into "any" or "every". A request without a body reads as {}.
func readAdminBody(r *http.Request, t *graphprofile.Type) (graphprofile.Object, error) {
	if r.ContentLength == 0 {
		return graphprofile.Object{}, nil
	}
	data, err := readBodyBytes(r, nil) // the admin token's holder
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return graphprofile.Object{}, nil
	}
	body, err := graphprofile.DecodePlainBody(t, data)
	if err != nil {
		return nil, err
	}
	for _, p := range t.Properties {
		if v, given := body[p.Name]; given && v == nil {
			return nil, graphprofile.Errorf(graphprofile.CodeBadRequest, "The property '%s' is null. Give it a value, or leave it out.", p.Name)
		}
	}
	return body, nil
}

// writeAdminJSON answers v as plain JSON: the admin API is not OData.
func writeAdminJSON(ex *exchange, status int, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding an admin answer: %w", err)
	}
	ex.writeBody(status, "application/json; charset=utf-8", data)
	return nil
}
