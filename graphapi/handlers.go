package graphapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// handler serves one operation. It writes the success response itself and
// returns any error for ServeHTTP to answer.
type handler func(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error

// operation is one method of one kind of route: its handler, and the system
// query options it serves over entities of its type. Every other option a
// request names with "$" is refused (odata.Parse), never silently ignored.
type operation struct {
	serve   handler
	entity  *graphprofile.Type
	options []odata.Option
}

var listOptions = []odata.Option{odata.OptFilter, odata.OptOrderBy, odata.OptSelect, odata.OptTop, odata.OptSkip, odata.OptCount, odata.OptSkipToken}

// operations is everything graphprofile serves, by route kind and method.
var operations = map[routeKind]map[string]operation{
	routePositions: {
		http.MethodGet:  {listPositions, graphprofile.WorkPositionType, listOptions},
		http.MethodPost: {createPosition, graphprofile.WorkPositionType, nil},
	},
	routePosition: {
		http.MethodGet:    {getPosition, graphprofile.WorkPositionType, []odata.Option{odata.OptSelect}},
		http.MethodPatch:  {updatePosition, graphprofile.WorkPositionType, nil},
		http.MethodDelete: {deletePosition, graphprofile.WorkPositionType, nil},
	},
	routePositionsCount: {
		http.MethodGet: {countPositions, graphprofile.WorkPositionType, []odata.Option{odata.OptFilter}},
	},
	routeUsers: {
		http.MethodGet:  {listUsers, graphprofile.UserType, nil},
		http.MethodPost: {createUser, graphprofile.UserType, nil},
	},
	routeUser: {
		http.MethodGet:    {getUser, graphprofile.UserType, nil},
		http.MethodPatch:  {updateUser, graphprofile.UserType, nil},
		http.MethodDelete: {deleteUser, graphprofile.UserType, nil},
	},
}

// ServeHTTP handles one Graph request from start to end.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := newExchange(s, w, r)
	defer ex.recoverPanic()

	if headerBytes(r) > MaxHeaderBytes {
		ex.fail(graphprofile.Errorf(graphprofile.CodeHeaderTooLarge, "The request's URL and headers are larger than the limit of %d bytes.", MaxHeaderBytes))
		return
	}
	switch r.URL.Path {
	case "/healthz", "/readyz":
		s.serveHealth(ex)
		return
	}
	rt, err := parseRoute(r.URL.EscapedPath())
	if err != nil {
		ex.fail(err)
		return
	}
	op, ok := operations[rt.kind][r.Method]
	if !ok || !methodAllowed(rt, r.Method) {
		ex.w.Header().Set("Allow", strings.Join(rt.allowedMethods(), ", "))
		ex.failWithStatus(http.StatusMethodNotAllowed, graphprofile.Errorf(codeMethodNotAllowed, "Specified HTTP method is not allowed for the request target."))
		return
	}
	caller, err := s.authenticate(r)
	if err != nil {
		ex.fail(err)
		return
	}
	q, err := odata.Parse(r.URL.RawQuery, op.entity, op.options...)
	if err != nil {
		ex.fail(err)
		return
	}
	if err := op.serve(s, r.Context(), ex, rt, caller, q); err != nil {
		ex.fail(err)
	}
}

// headerBytes is about how many bytes the request's line and headers took.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// codeMethodNotAllowed is Graph's code for a 405; Graph uses the same code
// for some 400s, so it is not in the code-to-status table.
const codeMethodNotAllowed = "Request_BadRequest"

func methodAllowed(rt route, method string) bool {
	for _, m := range rt.allowedMethods() {
		if m == method {
			return true
		}
	}
	return false
}

func listPositions(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.ListPositions)
	if err != nil {
		return err
	}
	page, err := s.queryPositions(ctx, access, q)
	if err != nil {
		return err
	}
	ex.writePositions(access.Owner(), q, page)
	return nil
}

// queryPositions returns the page of the accessed profile's positions that
// q asks for. Positions are filtered, ordered and paged here, over the
// positions the caller may see, the same way whatever the store.
func (s *Server) queryPositions(ctx context.Context, access graphprofile.Access, q odata.Query) (odata.Result, error) {
	items, err := s.visiblePositions(ctx, access)
	if err != nil {
		return odata.Result{}, err
	}
	owner := access.Owner()
	return q.Apply(items, owner.TenantID+"/"+owner.ID)
}

// visiblePositions returns the accessed profile's positions the caller may
// see. Queries are answered over them here, the same way whatever the store.
func (s *Server) visiblePositions(ctx context.Context, access graphprofile.Access) ([]graphprofile.Object, error) {
	positions, err := s.Service.ListPositions(ctx, access)
	if err != nil {
		return nil, err
	}
	items := make([]graphprofile.Object, len(positions))
	for i, p := range positions {
		items[i] = graphprofile.Object(p)
	}
	return items, nil
}

// countPositions answers GET …/positions/$count: the number of positions
// matching $filter, as text/plain.
func countPositions(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.ListPositions)
	if err != nil {
		return err
	}
	items, err := s.visiblePositions(ctx, access)
	if err != nil {
		return err
	}
	ex.writeCount(q.CountMatching(items))
	return nil
}

func createPosition(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.CreatePosition)
	if err != nil {
		return err
	}
	body, err := readBody(ex.r, graphprofile.WorkPositionType)
	if err != nil {
		return err
	}
	p, err := s.Service.CreatePosition(ctx, access, body)
	if err != nil {
		return err
	}
	ex.w.Header().Set("Location", ex.positionURL(access.Owner(), p.ID()))
	ex.writePosition(http.StatusCreated, access.Owner(), p, nil)
	return nil
}

func getPosition(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.GetPosition)
	if err != nil {
		return err
	}
	p, err := s.Service.GetPosition(ctx, access, rt.positionID)
	if err != nil {
		return err
	}
	ex.writePosition(http.StatusOK, access.Owner(), p, q.Select)
	return nil
}

func updatePosition(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.UpdatePosition)
	if err != nil {
		return err
	}
	body, err := readBody(ex.r, graphprofile.WorkPositionType)
	if err != nil {
		return err
	}
	p, err := s.Service.UpdatePosition(ctx, access, rt.positionID, body, ex.r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	ex.writePosition(http.StatusOK, access.Owner(), p, nil)
	return nil
}

func deletePosition(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.DeletePosition)
	if err != nil {
		return err
	}
	if err := s.Service.DeletePosition(ctx, access, rt.positionID, ex.r.Header.Get("If-Match")); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

func listUsers(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.AuthorizeDirectory(ctx, caller, graphprofile.ListUsers)
	if err != nil {
		return err
	}
	users, err := s.Service.ListUsers(ctx, access)
	if err != nil {
		return err
	}
	ex.writeUsers(rt.version, users)
	return nil
}

func createUser(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.AuthorizeDirectory(ctx, caller, graphprofile.CreateUser)
	if err != nil {
		return err
	}
	body, err := readBody(ex.r, graphprofile.UserType)
	if err != nil {
		return err
	}
	u, err := s.Service.CreateUser(ctx, access, body)
	if err != nil {
		return err
	}
	ex.w.Header().Set("Location", ex.userURL(rt.version, u["id"].(string)))
	ex.writeUser(http.StatusCreated, rt.version, u)
	return nil
}

func getUser(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.GetUser)
	if err != nil {
		return err
	}
	u, err := s.Service.GetUser(ctx, access)
	if err != nil {
		return err
	}
	ex.writeUser(http.StatusOK, rt.version, u)
	return nil
}

// updateUser answers 204 No Content, as Graph's PATCH /users/{id} does.
func updateUser(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.UpdateUser)
	if err != nil {
		return err
	}
	body, err := readBody(ex.r, graphprofile.UserType)
	if err != nil {
		return err
	}
	if _, err := s.Service.UpdateUser(ctx, access, body); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

func deleteUser(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal, q odata.Query) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.DeleteUser)
	if err != nil {
		return err
	}
	if err := s.Service.DeleteUser(ctx, access); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveHealth answers the load balancer's probes, without authentication:
// /healthz is 200 while the process serves HTTP; /readyz is 200 when the
// store answers and 503 (with Retry-After) when it does not.
func (s *Server) serveHealth(ex *exchange) {
	if ex.r.Method != http.MethodGet && ex.r.Method != http.MethodHead {
		ex.w.Header().Set("Allow", "GET, HEAD")
		ex.failWithStatus(http.StatusMethodNotAllowed, graphprofile.Errorf(codeMethodNotAllowed, "Specified HTTP method is not allowed for the request target."))
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
	ex.w.Header().Set("Content-Type", "text/plain;charset=utf-8")
	ex.w.WriteHeader(http.StatusOK)
	_, _ = ex.w.Write([]byte("ok\n"))
}

// readinessTimeout bounds a readiness check, so a hung database makes
// /readyz answer 503 rather than hang the probe.
const readinessTimeout = 2 * time.Second
