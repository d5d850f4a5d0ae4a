package graphapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// handler serves one method of one kind of route. It writes the success
// response itself and returns any error for ServeHTTP to answer.
type handler func(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error

// handlers is every operation graphprofile serves, by route kind and method.
var handlers = map[routeKind]map[string]handler{
	routePositions: {http.MethodGet: listPositions, http.MethodPost: createPosition},
	routePosition:  {http.MethodGet: getPosition, http.MethodPatch: updatePosition, http.MethodDelete: deletePosition},
	routeUsers:     {http.MethodGet: listUsers, http.MethodPost: createUser},
	routeUser:      {http.MethodGet: getUser, http.MethodPatch: updateUser, http.MethodDelete: deleteUser},
}

// ServeHTTP handles one Graph request from start to end.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := newExchange(s, w, r)
	defer ex.recoverPanic()

	rt, err := parseRoute(r.URL.EscapedPath())
	if err != nil {
		ex.fail(err)
		return
	}
	h := handlers[rt.kind][r.Method]
	if h == nil || !methodAllowed(rt, r.Method) {
		ex.w.Header().Set("Allow", strings.Join(rt.allowedMethods(), ", "))
		ex.failWithStatus(http.StatusMethodNotAllowed, graphprofile.Errorf(codeMethodNotAllowed, "Specified HTTP method is not allowed for the request target."))
		return
	}
	caller, err := s.authenticate(r)
	if err != nil {
		ex.fail(err)
		return
	}
	if err := h(s, r.Context(), ex, rt, caller); err != nil {
		ex.fail(err)
	}
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

func listPositions(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.ListPositions)
	if err != nil {
		return err
	}
	positions, err := s.Service.ListPositions(ctx, access)
	if err != nil {
		return err
	}
	ex.writePositions(access.Owner(), positions)
	return nil
}

func createPosition(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
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
	ex.writePosition(http.StatusCreated, access.Owner(), p)
	return nil
}

func getPosition(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.GetPosition)
	if err != nil {
		return err
	}
	p, err := s.Service.GetPosition(ctx, access, rt.positionID)
	if err != nil {
		return err
	}
	ex.writePosition(http.StatusOK, access.Owner(), p)
	return nil
}

func updatePosition(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.UpdatePosition)
	if err != nil {
		return err
	}
	body, err := readBody(ex.r, graphprofile.WorkPositionType)
	if err != nil {
		return err
	}
	p, err := s.Service.UpdatePosition(ctx, access, rt.positionID, body)
	if err != nil {
		return err
	}
	ex.writePosition(http.StatusOK, access.Owner(), p)
	return nil
}

func deletePosition(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
	access, err := s.Service.Authorize(ctx, caller, rt.user, graphprofile.DeletePosition)
	if err != nil {
		return err
	}
	if err := s.Service.DeletePosition(ctx, access, rt.positionID); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

func listUsers(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
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

func createUser(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
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

func getUser(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
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
func updateUser(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
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

func deleteUser(s *Server, ctx context.Context, ex *exchange, rt route, caller graphprofile.Principal) error {
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
