package graphapi

import (
	"net/http"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// ServeHTTP handles one Graph request from start to end.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := newExchange(s, w, r)
	w = ex.w
	defer ex.recoverPanic()

	rt, err := parseRoute(r.URL.EscapedPath())
	if err != nil {
		ex.fail(err)
		return
	}
	if !methodAllowed(rt, r.Method) {
		w.Header().Set("Allow", strings.Join(rt.allowedMethods(), ", "))
		ex.fail(graphprofile.Errorf(graphprofile.CodeMethodNotAllowed, "Specified HTTP method is not allowed for the request target."))
		return
	}
	caller, err := s.authenticate(r)
	if err != nil {
		ex.fail(err)
		return
	}
	ctx := r.Context()

	switch {
	case rt.positionID == "" && r.Method == http.MethodGet:
		access, err := s.Service.Authorize(ctx, caller, rt.profile, graphprofile.ListPositions)
		if err != nil {
			ex.fail(err)
			return
		}
		positions, err := s.Service.ListPositions(ctx, access)
		if err != nil {
			ex.fail(err)
			return
		}
		ex.writePositions(access.Owner(), positions)

	case rt.positionID == "" && r.Method == http.MethodPost:
		access, err := s.Service.Authorize(ctx, caller, rt.profile, graphprofile.CreatePosition)
		if err != nil {
			ex.fail(err)
			return
		}
		body, err := readPositionBody(r)
		if err != nil {
			ex.fail(err)
			return
		}
		p, err := s.Service.CreatePosition(ctx, access, body)
		if err != nil {
			ex.fail(err)
			return
		}
		w.Header().Set("Location", ex.positionURL(access.Owner(), p.ID()))
		ex.writePosition(http.StatusCreated, access.Owner(), p)

	case r.Method == http.MethodGet:
		access, err := s.Service.Authorize(ctx, caller, rt.profile, graphprofile.GetPosition)
		if err != nil {
			ex.fail(err)
			return
		}
		p, err := s.Service.GetPosition(ctx, access, rt.positionID)
		if err != nil {
			ex.fail(err)
			return
		}
		ex.writePosition(http.StatusOK, access.Owner(), p)

	case r.Method == http.MethodPatch:
		access, err := s.Service.Authorize(ctx, caller, rt.profile, graphprofile.UpdatePosition)
		if err != nil {
			ex.fail(err)
			return
		}
		body, err := readPositionBody(r)
		if err != nil {
			ex.fail(err)
			return
		}
		p, err := s.Service.UpdatePosition(ctx, access, rt.positionID, body)
		if err != nil {
			ex.fail(err)
			return
		}
		ex.writePosition(http.StatusOK, access.Owner(), p)

	case r.Method == http.MethodDelete:
		access, err := s.Service.Authorize(ctx, caller, rt.profile, graphprofile.DeletePosition)
		if err != nil {
			ex.fail(err)
			return
		}
		if err := s.Service.DeletePosition(ctx, access, rt.positionID); err != nil {
			ex.fail(err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func methodAllowed(rt route, method string) bool {
	for _, m := range rt.allowedMethods() {
		if m == method {
			return true
		}
	}
	return false
}
