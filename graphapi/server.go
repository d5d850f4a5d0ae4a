// Package graphapi is graphprofile's HTTP layer: it routes Graph requests,
// authenticates them, decodes bodies (gzip, size limits, JSON), calls the
// domain service and writes Graph's JSON, headers and error envelope.
package graphapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
)

// Server serves the Graph API over HTTP. Fill in the exported fields, then
// call Open; Close stops it.
type Server struct {
	// Service does the work; Authenticator turns bearer tokens into principals.
	Service       *graphprofile.Service
	Authenticator graphprofile.Authenticator
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:8080"; ":0" picks a port.
	Addr string
	// PublicURL is the base URL clients reach the server at (scheme and
	// host, optionally a path prefix), used in @odata.context and Location.
	// Empty: the request's own scheme and host.
	PublicURL string
	// Logger receives request failures; nil means slog.Default().
	Logger *slog.Logger

	listener net.Listener
	http     *http.Server
}

// Open starts listening on Addr and serving in the background. A port in
// use is an error here, not later.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.Addr, err)
	}
	s.listener = ln
	s.http = &http.Server{
		Handler: s,
		// Slow clients must not hold connections forever.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger().Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger().Error("serving HTTP", "err", err)
		}
	}()
	return nil
}

// URL returns the server's base URL on its listener, e.g. http://127.0.0.1:8080.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Close stops accepting connections and waits for in-flight requests to
// finish until ctx is done.
func (s *Server) Close(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

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

// authenticate returns the caller named by the request's bearer token.
func (s *Server) authenticate(r *http.Request) (graphprofile.Principal, error) {
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	if header == "" {
		return graphprofile.Principal{}, graphprofile.Errorf(graphprofile.CodeInvalidAuthToken, "Access token is empty.")
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return graphprofile.Principal{}, graphprofile.Errorf(graphprofile.CodeInvalidAuthToken, "Access token validation failure. The Authorization header must use the Bearer scheme.")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return graphprofile.Principal{}, graphprofile.Errorf(graphprofile.CodeInvalidAuthToken, "Access token is empty.")
	}
	return s.Authenticator.Authenticate(r.Context(), token)
}

// recoverPanic turns a panic in a handler into a 500 with Graph's envelope;
// the server goes on serving.
func (ex *exchange) recoverPanic() {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	ex.server.logger().Error("panic serving request", "request-id", ex.requestID,
		"method", ex.r.Method, "path", ex.r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if !ex.wroteHeader {
		ex.fail(fmt.Errorf("panic: %v", v))
	}
}
