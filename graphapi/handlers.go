package graphapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// endpoint is one method on one path pattern: the one description of an
// operation. ServeHTTP derives everything from it: the route, the 405 and
// its Allow header, the query options it parses (every other "$" option is
// refused by odata.Parse, never silently ignored), the permission it
// authorizes once, and the handler that does the work.
type endpoint struct {
	pattern *pattern
	method  string
	op      graphprofile.Operation
	// entity is the type the row's body and query options are of; nil on
	// the rows of a profile's collections ({facet}), whose type is that of
	// the collection the path names (route.collection).
	entity  *graphprofile.Type
	options []odata.Option
	serve   handler
}

// entityOf is the entity type of e on route rt.
func (e *endpoint) entityOf(rt route) *graphprofile.Type {
	if e.entity == nil && rt.collection.Type != nil {
		return rt.collection.Type
	}
	return e.entity
}

// The Operations of rows that no permission of the matrix governs.
const (
	// anonymous rows are served without a token: the service's
	// description, which Graph serves to anyone, reveals no data.
	anonymous graphprofile.Operation = ""
	// anyCaller rows need a valid token but no permission of their own: a
	// $batch, each of whose items is authorized as if sent alone.
	anyCaller graphprofile.Operation = "any caller"
)

// handler serves one operation for a caller that Authorize already let in.
// It writes the success response itself and returns any error for
// ServeHTTP to answer.
type handler func(s *Server, ctx context.Context, ex *exchange, call call) error

// call is what a handler is given: the authorized access, the route and
// the parsed query options.
type call struct {
	access graphprofile.Access
	route  route
	query  odata.Query
}

var listOptions = []odata.Option{odata.OptFilter, odata.OptOrderBy, odata.OptSelect, odata.OptTop, odata.OptSkip, odata.OptCount, odata.OptSkipToken}

// userListOptions are listOptions but $skip, which Graph's directory reads
// only to refuse with its own error (it pages with $skiptoken only); what
// users serve of $filter and $orderby is userQueries'.
var userListOptions = []odata.Option{odata.OptFilter, odata.OptOrderBy, odata.OptSelect, odata.OptTop, odata.OptSkipToRefuse, odata.OptCount, odata.OptSkipToken}

// The path patterns served. A literal comes before a parameter in the
// same place ($count before {id}).
var (
	serviceRootPath = compilePattern("/{version}")
	metadataPath    = compilePattern("/{version}/$metadata")
	usersPath       = compilePattern("/{version}/users")
	usersCountPath  = compilePattern("/{version}/users/$count")
	mePath          = compilePattern("/{version}/me")
	userPath        = compilePattern("/{version}/users/{user}")
	profilePath     = compilePattern("/beta/{owner}/profile")
	itemsPath       = compilePattern("/beta/{owner}/profile/{facet}")
	itemsCountPath  = compilePattern("/beta/{owner}/profile/{facet}/$count")
	itemPath        = compilePattern("/beta/{owner}/profile/{facet}/{id}")
	batchPath       = compilePattern("/{version}/$batch")
)

// endpoints is everything graphprofile serves. Within a pattern, rows are
// in the order the Allow header lists them; patterns in the order they are
// matched.
var endpoints = []endpoint{
	{serviceRootPath, http.MethodGet, anonymous, nil, nil, (*Server).getServiceDocument},
	{metadataPath, http.MethodGet, anonymous, nil, []odata.Option{odata.OptXMLFormat}, (*Server).getMetadata},
	{usersPath, http.MethodGet, graphprofile.ListUsers, graphprofile.UserType, userListOptions, (*Server).listUsers},
	{usersPath, http.MethodPost, graphprofile.CreateUser, graphprofile.UserType, nil, (*Server).createUser},
	{usersCountPath, http.MethodGet, graphprofile.ListUsers, graphprofile.UserType, []odata.Option{odata.OptFilter}, (*Server).countUsers},
	{mePath, http.MethodGet, graphprofile.GetUser, graphprofile.UserType, []odata.Option{odata.OptSelect}, (*Server).getUser},
	{mePath, http.MethodPatch, graphprofile.UpdateUser, graphprofile.UserType, nil, (*Server).updateUser},
	{userPath, http.MethodGet, graphprofile.GetUser, graphprofile.UserType, []odata.Option{odata.OptSelect}, (*Server).getUser},
	{userPath, http.MethodPatch, graphprofile.UpdateUser, graphprofile.UserType, nil, (*Server).updateUser},
	{userPath, http.MethodDelete, graphprofile.DeleteUser, graphprofile.UserType, nil, (*Server).deleteUser},
	{profilePath, http.MethodGet, graphprofile.GetProfile, graphprofile.ProfileType, []odata.Option{odata.OptSelect, odata.OptExpand}, (*Server).getProfile},
	{profilePath, http.MethodDelete, graphprofile.DeleteProfile, graphprofile.ProfileType, nil, (*Server).deleteProfile},
	// Every collection of the profile (positions, skills…), one row per
	// operation: the entity type is the collection's.
	{itemsPath, http.MethodGet, graphprofile.ListItems, nil, listOptions, (*Server).listItems},
	{itemsPath, http.MethodPost, graphprofile.CreateItem, nil, nil, (*Server).createItem},
	{itemsCountPath, http.MethodGet, graphprofile.ListItems, nil, []odata.Option{odata.OptFilter}, (*Server).countItems},
	{itemPath, http.MethodGet, graphprofile.GetItem, nil, []odata.Option{odata.OptSelect}, (*Server).getItem},
	{itemPath, http.MethodPatch, graphprofile.UpdateItem, nil, nil, (*Server).updateItem},
	{itemPath, http.MethodDelete, graphprofile.DeleteItem, nil, nil, (*Server).deleteItem},
	{batchPath, http.MethodPost, anyCaller, nil, nil, (*Server).batch},
}

// serverMethods are the methods of endpoints, each once, in the order the
// table first names them: the Allow of "OPTIONS *".
var serverMethods = func() []string {
	var methods []string
	for _, e := range endpoints {
		if !slices.Contains(methods, e.method) {
			methods = append(methods, e.method)
		}
	}
	return methods
}()

// routes matches paths against the patterns of endpoints.
var routes = func() *router {
	patterns := make([]*pattern, len(endpoints))
	for i, e := range endpoints {
		patterns[i] = e.pattern
	}
	return newRouter(patterns)
}()

// findEndpoint returns the endpoint of method on p, or nil and the methods
// p serves (for the Allow header of a 405).
func findEndpoint(p *pattern, method string) (*endpoint, []string) {
	var allowed []string
	for i := range endpoints {
		e := &endpoints[i]
		if e.pattern != p {
			continue
		}
		if e.method == method {
			return e, nil
		}
		allowed = append(allowed, e.method)
	}
	return nil, allowed
}

// ServeHTTP handles one Graph request from start to end.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		defer closeAfterUnreadBody(w, r)
	}
	// A $batch's item is part of its batch's request, not a request the
	// connection read: its headers came in the batch's body (within the
	// bodies' limits), and the batch's own head was counted already.
	if c, _ := r.Context().Value(servedConnKey{}).(*servedConn); c != nil && !isBatchItem(r.Context()) {
		if r.ProtoMajor == 2 {
			held, ok := c.holdStreamHead(r)
			if !ok {
				// As net/http refuses a head over its limit, without an
				// answer to wait for a window to be written in.
				w.Header().Set("Content-Length", "0")
				w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
				return
			}
			if held {
				// The head is held until the answer is sent, not only
				// until the handler returns: net/http sends what is
				// left of it after the stream's context ends.
				s.serveHTTP(w, r)
				_ = http.NewResponseController(w).Flush()
				return
			}
		}
		c.headDone()
	}
	s.serveHTTP(w, r)
}

// closeAfterUnreadBody bounds how long an HTTP/1 connection stays open
// after its answer when the answer said Connection: close because the
// request's body was left unread (closeIfBodyUnread, and the web page's
// files). After the handler net/http still reads what is left of such a
// body (up to 256 KiB) before it closes the connection, so the connection
// stayed open, counted against --max-connections, until the 60 s read
// timeout: 512 requests of 70 bytes, without a token, kept every other
// client out however fast they were answered, and a shutdown's drain
// waited on them. The read is given unreadBodyLinger: not none, since a
// client still sending its body (a refused upload of 100 KB) must be let
// finish, or the connection closed with its bytes unread is reset, and
// the client may lose the answer with it.
func closeAfterUnreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 || w.Header().Get("Connection") != "close" {
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(unreadBodyLinger))
}

// unreadBodyLinger is how long the rest of an unread body is read after
// the answer, as a refused head's connection lingers (refusedHeadLinger)
// and net/http's own closing of a connection with a body left unread
// waits.
const unreadBodyLinger = refusedHeadLinger

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.UI != nil && isUIPath(r) {
		if r.ProtoMajor == 1 && r.ContentLength != 0 {
			// The page's files read no body, and its few calls that do
			// are rare: closed after, rather than wait for a body that
			// may never come (closeIfBodyUnread).
			w.Header().Set("Connection", "close")
		}
		s.UI.ServeHTTP(w, r)
		return
	}
	body := trackBody(r)
	defer untrackBody(r, body) // an answer net/http writes after the handler
	obs, w := s.observe(w, r)
	ex := newExchange(s, w, r)
	ex.body = body
	defer obs.done(ex)
	defer ex.releaseAnswers()
	defer ex.recoverPanic()

	// A browser's preflight carries no token and may name any path: the
	// page must get to read even the error of a path not served. It is
	// answered through ex.w, which records the status for the access log
	// and the metrics.
	if isPreflight(r) && s.cors().preflight(ex.w, r) {
		ex.route = s.routeName(r.URL.EscapedPath()) // counted under its path's route, as a plain OPTIONS is
		return
	}
	if r.Method == http.MethodOptions && r.RequestURI == "*" {
		// A question about the server as a whole (RFC 9110 9.3.7):
		// answered as an OPTIONS of a path is, with the methods the
		// endpoint table serves anywhere.
		ex.refuseMethod(serverMethods...)
		return
	}
	switch r.URL.Path {
	case "/healthz", "/readyz":
		ex.route = s.routeName(r.URL.Path)
		s.serveHealth(ex)
		return
	case MetricsPath:
		if s.scrapes(r.URL.Path) {
			ex.route = s.routeName(r.URL.Path)
			s.serveMetrics(ex)
			return
		}
	}
	if s.isAdminPath(r.URL.Path) {
		if err := s.serveAdmin(r.Context(), ex); err != nil {
			ex.fail(err)
		}
		return
	}
	if err := s.serveGraph(r.Context(), ex); err != nil {
		ex.fail(err)
	}
}

// isUIPath reports whether r is the web page's (Server.UI): "/ui" or
// under "/ui/", or a GET or HEAD of the root, which it redirects to the
// page. Other methods on "/" are Graph's 400, as without the page.
func isUIPath(r *http.Request) bool {
	p := r.URL.Path
	if p == "/" {
		return r.Method == http.MethodGet || r.Method == http.MethodHead
	}
	return p == "/ui" || strings.HasPrefix(p, "/ui/")
}

// serveGraph serves a Graph request: route, method, token, query options,
// permission, then the endpoint's handler, each refusal before the next
// step. HEAD is served as GET, without the body; OPTIONS answers which
// methods the path serves.
func (s *Server) serveGraph(ctx context.Context, ex *exchange) error {
	rt, err := routes.route(ex.r.URL.EscapedPath())
	if err != nil {
		return err
	}
	ex.route = rt.pattern.text
	method := ex.r.Method
	switch method {
	case http.MethodHead:
		method = http.MethodGet
	case http.MethodOptions:
		_, allowed := findEndpoint(rt.pattern, "")
		ex.refuseMethod(allowed...)
		return nil
	}
	e, allowed := findEndpoint(rt.pattern, method)
	if e == nil {
		ex.refuseMethod(allowed...)
		return nil
	}
	if answered, err := s.injectFault(ctx, ex, e); answered || err != nil {
		return err
	}
	if e.op == anonymous {
		q, err := odata.Parse(ex.r.URL.RawQuery, e.entityOf(rt), e.options...)
		if err != nil {
			return err
		}
		return e.serve(s, ctx, ex, call{route: rt, query: q})
	}
	caller, err := s.authenticate(ex.r)
	if err != nil {
		return err
	}
	ex.caller = caller
	if e.op != anyCaller { // a $batch's items are throttled, each on its own
		if err := s.checkThrottle(ex, caller); err != nil {
			return err
		}
	}
	if rt.hasUser {
		if err := graphprofile.CheckMe(caller, rt.user); err != nil {
			return err
		}
	}
	q, err := odata.Parse(ex.r.URL.RawQuery, e.entityOf(rt), e.options...)
	if err != nil {
		if e.op == graphprofile.ListUsers {
			return userQueries.ParseError(err)
		}
		return err
	}
	var access graphprofile.Access
	switch {
	case e.op == anyCaller:
	case rt.hasUser:
		access, err = s.Service.Authorize(ctx, caller, rt.user, e.op)
	default:
		access, err = s.Service.AuthorizeDirectory(ctx, caller, e.op)
	}
	if err != nil {
		return err
	}
	ex.applyPreferences(e, &q)
	return e.serve(s, ctx, ex, call{access: access, route: rt, query: q})
}

// applyPreferences honours the request's Prefer header where the endpoint
// pages (it takes $top): odata.maxpagesize sets the page size as $top
// would, the smaller of the two winning, and Preference-Applied says so
// when it changed the page.
func (ex *exchange) applyPreferences(e *endpoint, q *odata.Query) {
	if !slices.Contains(e.options, odata.OptTop) {
		return
	}
	if n, ok := preferredMaxPageSize(ex.r.Header); ok && q.PreferMaxPageSize(n) {
		ex.preferredPageSize = q.Top
		ex.w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(q.Top))
	}
}

// listItems answers GET …/profile/{facet}: a page of the collection.
func (s *Server) listItems(ctx context.Context, ex *exchange, c call) error {
	page, err := s.queryItems(ctx, c.access, c.route.collection, c.query)
	if err != nil {
		return err
	}
	ex.writeItems(c.access.Owner(), c.route.collection, c.query, page)
	return nil
}

// queryItems returns the page of the accessed profile's collection coll
// that q asks for, over the items the caller may see, the same way
// whatever the store: in the default order the store reads only as far as
// the page goes (from the $skiptoken's position), whatever the profile's
// size.
func (s *Server) queryItems(ctx context.Context, access graphprofile.Access, coll graphprofile.Collection, q odata.Query) (odata.Result, error) {
	return s.runQuery(ctx, q, s.itemSource(ctx, access, coll), s.listBinding(access.Owner(), coll))
}

// listBinding names the list of owner's collection coll to its $skiptokens,
// so that a token of one list is refused on another.
func (s *Server) listBinding(owner graphprofile.User, coll graphprofile.Collection) string {
	return s.storeBinding(owner.TenantID + "/" + owner.ID + "/" + coll.Name)
}

// storeBinding is binding, what a $skiptoken is bound to, bound to the
// server's store too (SkipTokenSecret).
func (s *Server) storeBinding(binding string) string {
	return string(s.SkipTokenSecret) + "\x00" + binding
}

// itemSource delivers the items of the accessed profile's collection coll
// that the caller may see, in list order or newest first, to a query.
func (s *Server) itemSource(ctx context.Context, access graphprofile.Access, coll graphprofile.Collection) odata.Source {
	return func(after []any, descending bool, visit func(graphprofile.Object) (bool, error)) error {
		var from *graphprofile.ItemPosition
		if after != nil {
			// A $skiptoken's keys are the list order's: createdDateTime,
			// then id (odata checked the token's binding and shape).
			created, okTime := after[0].(time.Time)
			id, okID := after[1].(string)
			if len(after) != 2 || !okTime || !okID {
				return odata.BadSkipToken()
			}
			from = &graphprofile.ItemPosition{Created: created.UnixNano(), ID: id}
		}
		order := graphprofile.OldestFirst
		if descending {
			order = graphprofile.NewestFirst
		}
		return s.Service.ScanItems(ctx, access, coll, order, from, func(it graphprofile.Item) (bool, error) {
			return visit(graphprofile.Object(it))
		})
	}
}

// countItems answers GET …/profile/{facet}/$count: the number of items
// matching $filter, as text/plain, counted as the store reads them.
func (s *Server) countItems(ctx context.Context, ex *exchange, c call) error {
	n, err := s.countMatching(ctx, c.query, s.itemSource(ctx, c.access, c.route.collection))
	if err != nil {
		return err
	}
	ex.writeCount(n)
	return nil
}

func (s *Server) createItem(ctx context.Context, ex *exchange, c call) error {
	coll := c.route.collection
	body, err := readBody(ex.r, coll.Type, s.bodyBudget())
	if err != nil {
		return err
	}
	if err := noETagPrecondition(ex.r, "a collection"); err != nil {
		return err
	}
	it, err := s.Service.CreateItem(ctx, c.access, coll, body)
	if err != nil {
		return err
	}
	ex.w.Header().Set("Location", ex.itemURL(c.access.Owner(), coll, it.ID()))
	ex.writeItem(http.StatusCreated, c.access.Owner(), coll, it, nil)
	return nil
}

func (s *Server) getItem(ctx context.Context, ex *exchange, c call) error {
	coll := c.route.collection
	it, err := s.Service.GetItem(ctx, c.access, coll, c.route.itemID)
	if err != nil {
		return err
	}
	ex.writeItem(http.StatusOK, c.access.Owner(), coll, it, c.query.Select)
	return nil
}

func (s *Server) updateItem(ctx context.Context, ex *exchange, c call) error {
	coll := c.route.collection
	body, err := readBody(ex.r, coll.Type, s.bodyBudget())
	if err != nil {
		return err
	}
	it, err := s.Service.UpdateItem(ctx, c.access, coll, c.route.itemID, body, HeaderList(ex.r.Header, "If-Match"))
	if err != nil {
		return err
	}
	ex.writeItem(http.StatusOK, c.access.Owner(), coll, it, nil)
	return nil
}

func (s *Server) deleteItem(ctx context.Context, ex *exchange, c call) error {
	if err := s.Service.DeleteItem(ctx, c.access, c.route.collection, c.route.itemID, HeaderList(ex.r.Header, "If-Match")); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

// listUsers answers GET /users: the caller's tenant's users as it may see
// them, filtered, ordered and paged here, as a profile's items are, within what
// Graph's directory serves (userQueries). An advanced query is one with
// ConsistencyLevel: eventual and $count=true; without the header Graph
// ignores $count=true, and so do we.
func (s *Server) listUsers(ctx context.Context, ex *exchange, c call) error {
	q := c.query
	eventual := consistencyEventual(ex.r)
	if err := userQueries.Check(q, eventual && q.Count); err != nil {
		return err
	}
	q.Count = q.Count && eventual
	binding := s.storeBinding("users\x00" + c.access.TenantKey())
	var page odata.Result
	var err error
	if ordered, ok := s.orderedUsers(ctx, c.access, q); ok {
		page, err = s.runOrderedUsers(ctx, c.access, q, ordered, binding)
	} else if src := s.userSource(ctx, c.access, q); s.looksUpUsers(q) {
		page, err = q.Run(ctx, src, binding) // the source takes a slot if it scans
	} else {
		page, err = s.runQuery(ctx, q, src, binding)
	}
	if err != nil {
		return err
	}
	ex.writeUsers(c.route.version, q, page)
	return nil
}

// orderedUsers returns, for a query without $filter in the users' order by
// id or in that of `$orderby=displayName` or `$orderby=userPrincipalName`
// (asc or desc: the only orders Graph's directory lists users in), the
// source that delivers them in that order from the store's index
// (Store.ScanUsers, by id; Store.ScanUsersByName, on the name's key, then
// id), reading only the page: the odata engine orders a user's strings by
// graphprofile.NameKey, nulls first (last descending), then by id, and so
// does the index (graphprofile.UserNameKey). ok is false for any other
// query: a filter, another order.
func (s *Server) orderedUsers(ctx context.Context, access graphprofile.Access, q odata.Query) (src odata.Source, ok bool) {
	if q.Filter != nil || s.scanUsersOnly {
		return nil, false
	}
	property, _, one := q.OrderBy.Key()
	switch {
	case len(q.OrderBy.Properties()) == 0:
		return s.userSource(ctx, access, q), true
	case !one || !graphprofile.IsUserNameProperty(property):
		return nil, false
	}
	return func(after []any, descending bool, visit func(graphprofile.Object) (bool, error)) error {
		var from *graphprofile.NamePosition
		if after != nil {
			// A $skiptoken's keys in this order: the folded name (null
			// for none, whose key is ""), then the id.
			if len(after) != 2 {
				return odata.BadSkipToken()
			}
			name, okName := after[0].(string)
			id, okID := after[1].(string)
			if !okID || (!okName && after[0] != nil) {
				return odata.BadSkipToken()
			}
			from = &graphprofile.NamePosition{Name: name, ID: id}
		}
		return s.Service.ScanUsersByName(ctx, access, property, descending, from, visit)
	}, true
}

// runOrderedUsers answers q, which orderedUsers serves, over src: a page of
// the store's order, and @odata.count, when asked, counted by the store
// (Store.CountUsers), not by reading every user. It takes an evaluation
// slot only for a page bigger than the default one, as a plain list does.
func (s *Server) runOrderedUsers(ctx context.Context, access graphprofile.Access, q odata.Query, src odata.Source, binding string) (odata.Result, error) {
	if q.Top > odata.DefaultPageSize {
		release, err := s.takeEvaluationSlot(ctx)
		if err != nil {
			return odata.Result{}, err
		}
		defer release()
	}
	return q.RunOrdered(ctx, src, binding, func() (int, error) { return s.Service.CountUsers(ctx, access) })
}

// userSource delivers the users of the caller's tenant as the caller may
// see them, ordered by id, to a query (a user has no createdDateTime, so
// no query asks for them descending).
//
// A query whose filter requires an id or a user principal name (an "eq"
// or an "in" of literals on it, alone or in an "and": looksUpUsers) is
// given only the users the store finds by those keys on its index, in the
// scan's order: the filter, run over them, answers as over the whole
// directory, since no other user can match, and it takes no evaluation
// slot. When the lookups cannot tell (Service.ScanUsersByKey), the users
// are scanned, in a slot as any filter's.
func (s *Server) userSource(ctx context.Context, access graphprofile.Access, q odata.Query) odata.Source {
	return func(after []any, _ bool, visit func(graphprofile.Object) (bool, error)) error {
		afterID := ""
		if after != nil {
			// A $skiptoken's key in the users' order is the id alone.
			id, ok := after[0].(string)
			if len(after) != 1 || !ok {
				return odata.BadSkipToken()
			}
			afterID = id
		}
		if s.looksUpUsers(q) {
			for _, property := range graphprofile.UserKeyProperties() {
				values, ok := q.Filter.Keys(property)
				if !ok {
					continue
				}
				done, err := s.Service.ScanUsersByKey(ctx, access, property, values, afterID, visit)
				if done || err != nil {
					return err
				}
			}
			release, err := s.evaluationSlot(ctx, q)
			if err != nil {
				return err
			}
			defer release()
		}
		// Past a lookup: with a filter, a scan, counted when it is a
		// $batch's (but its first's). Without one the store counts and
		// an index orders, and the read stops at the page.
		var scans *batchScans
		if q.Filter != nil {
			scans = batchScansOf(ctx)
		}
		if conditions, ok := s.userPrefixes(q); ok {
			// In the slot the query's filter takes (runQuery). A query
			// that reads every user reads fewer so. One that stops at
			// its page gains only when the prefixes find few users: a
			// scan reads at least the page (all of it when matches are
			// rare), so gathering is bounded by a few pages' worth, and
			// past it the scan goes on as before.
			limit := graphprofile.MaxPrefixUsers
			if !q.ReadsAll() {
				limit = prefixUsersPerPage * (q.Skip + max(q.Top, 1) + 1)
			}
			limit, err := scans.limit(limit)
			if err != nil {
				return err
			}
			done, err := s.Service.ScanUsersByPrefix(ctx, access, conditions, afterID, limit, scans.counted(visit))
			if done || err != nil {
				return err
			}
			if err := scans.charge(limit); err != nil { // gathered, then given up
				return err
			}
		}
		return s.Service.ScanUsers(ctx, access, afterID, scans.counted(visit))
	}
}

// prefixUsersPerPage bounds the users userSource gathers by prefix for a
// query that stops at its page: this many for each user the page (with
// its $skip and the one more) needs.
const prefixUsersPerPage = 8

// userPrefixes returns, for a query whose filter requires that a user's
// display name or user principal name start with (or equal) one of some
// literals (odata.Filter.Prefixes: the people picker's
// "startswith(displayName,'…') or startswith(userPrincipalName,'…')"),
// those conditions, so that userSource gives the filter only the users the
// store finds on those keys' indexes (Service.ScanUsersByPrefix): no other
// user can match, so the answer, counts and pages included, is the one a
// scan of the whole directory gives.
func (s *Server) userPrefixes(q odata.Query) ([]graphprofile.KeyPrefix, bool) {
	if q.Filter == nil || s.scanUsersOnly {
		return nil, false
	}
	return q.Filter.Prefixes(graphprofile.IsUserNameProperty)
}

// looksUpUsers reports whether q's filter requires one of the users' keys
// (graphprofile.UserKeyProperties), so that userSource looks the user up
// rather than scanning the directory.
func (s *Server) looksUpUsers(q odata.Query) bool {
	if q.Filter == nil || s.scanUsersOnly {
		return false
	}
	for _, property := range graphprofile.UserKeyProperties() {
		if _, ok := q.Filter.Keys(property); ok {
			return true
		}
	}
	return false
}

// countUsers answers GET /users/$count: the number of users matching
// $filter, as text/plain. Graph's directory counts only with
// ConsistencyLevel: eventual (and then serves the advanced query's
// operators); without it, its 400.
func (s *Server) countUsers(ctx context.Context, ex *exchange, c call) error {
	if !consistencyEventual(ex.r) {
		return graphprofile.Errorf(graphprofile.CodeDirectoryBadRequest, "$count is not currently supported.")
	}
	if err := userQueries.Check(c.query, true); err != nil {
		return err
	}
	src := s.userSource(ctx, c.access, c.query)
	var n int
	var err error
	if c.query.Filter == nil && !s.scanUsersOnly {
		// Without a filter, the store counts its index's entries: no
		// user is read, and no slot is taken.
		n, err = s.Service.CountUsers(ctx, c.access)
	} else if s.looksUpUsers(c.query) {
		n, err = c.query.CountMatching(ctx, src) // the source takes a slot if it scans
	} else {
		// Counting reads the whole directory, with a filter or without,
		// as $count=true does: a costly query, in a slot.
		n, err = s.countMatching(ctx, c.query, src)
	}
	if err != nil {
		return err
	}
	ex.writeCount(n)
	return nil
}

func (s *Server) createUser(ctx context.Context, ex *exchange, c call) error {
	body, err := readBody(ex.r, graphprofile.UserType, s.bodyBudget())
	if err != nil {
		return err
	}
	if err := noETagPrecondition(ex.r, "a collection"); err != nil {
		return err
	}
	u, err := s.Service.CreateUser(ctx, c.access, body)
	if err != nil {
		return err
	}
	ex.w.Header().Set("Location", ex.userURL(c.route.version, u["id"].(string)))
	ex.writeUser(http.StatusCreated, c.route.version, u, nil)
	return nil
}

func (s *Server) getUser(ctx context.Context, ex *exchange, c call) error {
	u, err := s.Service.GetUser(ctx, c.access)
	if err != nil {
		return err
	}
	ex.writeUser(http.StatusOK, c.route.version, u, c.query.Select)
	return nil
}

// updateUser answers 204 No Content, as Graph's PATCH /users/{id} does.
func (s *Server) updateUser(ctx context.Context, ex *exchange, c call) error {
	body, err := readBody(ex.r, graphprofile.UserType, s.bodyBudget())
	if err != nil {
		return err
	}
	if err := noETagPrecondition(ex.r, "a user"); err != nil {
		return err
	}
	if _, err := s.Service.UpdateUser(ctx, c.access, body); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteUser(ctx context.Context, ex *exchange, c call) error {
	if err := noETagPrecondition(ex.r, "a user"); err != nil {
		return err
	}
	if err := s.Service.DeleteUser(ctx, c.access); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

// noETagPrecondition applies r's If-Match to what it writes, which has no
// entity tag: a user, or the collection a create (POST) adds to
// (graphprofile.CheckNoETag; DELETE …/profile's is the service's). what
// names it in the message ("a user").
func noETagPrecondition(r *http.Request, what string) error {
	return graphprofile.CheckNoETag(HeaderList(r.Header, "If-Match"), what)
}

// serveHealth answers the load balancer's probes, without authentication:
// /healthz is 200 while the process serves HTTP; /readyz is 200 when the
// store answers and 503 (with Retry-After) when it does not.
func (s *Server) serveHealth(ex *exchange) {
	if ex.r.Method != http.MethodGet && ex.r.Method != http.MethodHead {
		ex.refuseMethod(http.MethodGet)
		return
	}
	if ex.r.URL.Path == "/readyz" {
		ctx, cancel := context.WithTimeout(ex.r.Context(), readinessTimeout)
		defer cancel()
		if err := s.Service.Ready(ctx); err != nil {
			ex.fail(fmt.Errorf("readiness: %w: %w", graphprofile.ErrUnavailable, err))
			return
		}
	}
	ex.writeBody(http.StatusOK, textContentType, []byte("ok\n"))
}

// refuseMethod answers a request whose method its path does not serve,
// allowed being the methods it does: OPTIONS with 204, any other with 405
// in Graph's words, both with Allow, as Graph answers them.
func (ex *exchange) refuseMethod(allowed ...string) {
	ex.w.Header().Set("Allow", strings.Join(allowed, ", "))
	if ex.r.Method == http.MethodOptions {
		ex.w.WriteHeader(http.StatusNoContent)
		return
	}
	ex.failWithStatus(http.StatusMethodNotAllowed, MethodNotAllowed())
}

// readinessTimeout bounds a readiness check, so a hung database makes
// /readyz answer 503 rather than hang the probe.
const readinessTimeout = 2 * time.Second
