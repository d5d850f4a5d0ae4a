// Package graphapi is graphprofile's HTTP layer: it routes Graph requests,
// authenticates them, decodes bodies (gzip, size limits, JSON), calls the
// domain service and writes Graph's JSON, headers and error envelope.
package graphapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/prometheus/client_golang/prometheus"
)

// Server serves the Graph API over HTTP. Fill in the exported fields, then
// call Open; Close stops it.
type Server struct {
	// Service does the work; Authenticator turns bearer tokens into principals.
	Service       *graphprofile.Service
	Authenticator graphprofile.Authenticator
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:8080"; ":0" picks a port.
	Addr string
	// Listener, when set, is served instead of listening on Addr: a caller
	// that listens first fails on a port in use before it does anything
	// else (serve creates no database then). Open takes it over, closing
	// it when Open fails and at Close.
	Listener net.Listener
	// PublicURL is the base URL clients reach the server at (scheme and
	// host, optionally a path prefix), used in @odata.context, Location and
	// @odata.nextLink. Empty: the address the server listens on (for an
	// unspecified address such as 0.0.0.0, the address the client
	// connected to), or what a trusted proxy says (TrustProxy).
	PublicURL string
	// TrustProxy makes the server believe the Host, X-Forwarded-Host,
	// X-Forwarded-Proto and Forwarded headers when PublicURL is empty: only
	// behind a reverse proxy that sets them. Otherwise a client could name
	// the host other clients' links point to.
	TrustProxy bool
	// SkipTokenSecret binds the $skiptokens the server writes to the store
	// it serves, besides their list and query: a token of a server of
	// another store, or one forged from the token format (in the source)
	// without the secret, is a 400. Every server of one store must hold the
	// same (serve derives it from the store's development signing key);
	// nil binds tokens to their list and query only.
	SkipTokenSecret []byte
	// Logger receives request failures; nil means slog.Default(). A
	// request that failed because the store is unavailable is a debug
	// line: the outage is the store's to tell, once, not each request's
	// (serve reaches its store through internal/outage.Store).
	Logger *slog.Logger
	// TLSConfig, when set, makes the server speak HTTPS only, HTTP/2 and
	// HTTP/1.1; it must hold the certificate (Certificates or
	// GetCertificate). nil means plain HTTP.
	TLSConfig *tls.Config
	// Timeouts bound how long a client may take; the zero value means
	// DefaultTimeouts(). Slow clients must not hold connections forever.
	Timeouts Timeouts
	// MaxConnections is the most connections served at once; zero means
	// DefaultMaxConnections.
	MaxConnections int
	// MaxEvaluations is the most costly queries (a $filter to evaluate, a
	// whole collection or directory to read for another $orderby or a
	// $count, a page of more than 100 items to read) answered at once;
	// others wait for a slot while their client does, up to
	// EvaluationWait. Zero means DefaultMaxEvaluations(). Set it before
	// the first request.
	MaxEvaluations int
	// EvaluationWait is the longest a costly query waits for a slot before
	// it is answered 503 serviceNotAvailable with Retry-After; zero means
	// DefaultEvaluationWait.
	EvaluationWait time.Duration
	// BatchScanUsers is how many users the scans of the directory by a
	// $batch's items may read together besides the first scan's (a
	// batch is one request); zero means DefaultBatchScanUsers.
	BatchScanUsers int
	// CORSOrigins are the origins whose pages may read responses
	// (scheme://host[:port], as browsers send Origin); empty, or "*" among
	// them, means any origin. Set them before the first request.
	CORSOrigins []string
	// AccessLog, when set, receives one line per request at INFO (the
	// health probes' at DEBUG): method, path, status, duration, ids,
	// tenant, caller and route; never a token, a header or a body. nil
	// means no access log.
	AccessLog *slog.Logger
	// AdminToken, when set, turns on the admin API for test suites under
	// /_admin/ (reset, the request journal, the clock; docs/admin-api.md)
	// and the test-only request header X-GraphProfile-Fault; every admin
	// call must present it as its bearer token. Empty: off, and /_admin/…
	// is a path like any other the server does not serve.
	AdminToken string
	// JournalSize is how many requests the journal of the admin API keeps;
	// zero means DefaultJournalSize, a negative value none.
	JournalSize int
	// Clock is the clock the admin API sets and reads: the one the
	// Service's Now and the Authenticator read too (the caller wires them
	// to it). nil: real time, which /_admin/clock cannot change.
	Clock *graphprofile.Clock
	// Throttle, when On, gives each caller (tenant, app and signed-in
	// user) a token bucket of this limit, as Graph throttles: a request
	// beyond it is 429 TooManyRequests with Retry-After. Set it before the
	// first request.
	Throttle ThrottleLimit
	// Faults, when On, fails and delays requests at random with Graph's
	// 429, 503 and 504, for tests of a client's retries. Set it before the
	// first request.
	Faults Faults
	// Metrics, when set, is the registry Open registers the request
	// metrics in (graphprofile_http_…: requests by route, method and
	// status, their latency, those in flight, throttled and faulted).
	// With ServeMetrics the server also answers GET /metrics, without a
	// token, with everything in the registry; without it, /metrics is a
	// path like any other (the caller serves the registry elsewhere).
	Metrics      *prometheus.Registry
	ServeMetrics bool
	// UI, when set, is the web page (package webui): it answers GET and
	// HEAD of "/" (its redirect to /ui/), and "/ui" and every path under
	// "/ui/", apart from Graph's routes (no Graph path is one of them:
	// Graph's start with a version), outside the access log, the journal
	// and the metrics of Graph's requests.
	UI http.Handler

	listener net.Listener
	// listenerHost is the listener's host:port, kept once rather than
	// formatted for every link; "" when it listens on every interface.
	listenerHost string
	http         *http.Server
	cutOff       context.CancelFunc // ends every request's context (Close, once the drain runs out)

	// Each request being served holds handlers for reading, so that
	// Close, once it cuts them off, waits for them by locking it; read
	// locks, not a WaitGroup under a mutex, as it is on every request's
	// path.
	handlers   sync.RWMutex
	cutOffDone atomic.Bool // Close cut them off: a request still arriving is not served

	corsOnce   sync.Once
	corsPolicy corsPolicy
	corsErr    error

	throttleOnce sync.Once
	throttle     *throttler
	faultsOnce   sync.Once
	faults       *faultSource
	armed        armedFaults // armed by the admin API
	journalOnce  sync.Once
	requests     *requestJournal // nil while the admin API is off
	metricsOnce  sync.Once
	metrics      *serverMetrics // nil without Metrics
	metricsErr   error
	encodings    itemEncodings // the JSON of items read, for the next reads

	evaluationsOnce sync.Once
	evaluations     chan struct{} // the slots of costly queries (evaluationSlot)
	scanUsersOnly   bool          // tests: userSource never looks a user up by key

	bodiesOnce sync.Once
	bodies     *byteBudget // of request bodies over freeBodyBytes (bodyBudget)

	answersOnce sync.Once
	answers     *byteBudget // of answers over freeAnswerBytes (answerBudget)
}

// Timeouts of a Server's connections (net/http's).
type Timeouts struct {
	ReadHeader time.Duration // to read a request's headers
	Read       time.Duration // to read a whole request, body included
	Write      time.Duration // to write a response
	Idle       time.Duration // a kept-alive connection may wait for its next request
}

// DefaultTimeouts returns the timeouts of a Server whose Timeouts are zero.
func DefaultTimeouts() Timeouts {
	return Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Write: 60 * time.Second, Idle: 120 * time.Second}
}

// MaxHeaderBytes bounds a request's line and headers together; larger
// requests are refused by net/http itself with a plain 431 before they are
// read further, so that no connection holds more than this much header.
// (Graph's own front end answers oversized headers without its JSON
// envelope too.)
const MaxHeaderBytes = 128 << 10

// NetHTTPHeaderSlack is what net/http reads beyond http.Server's
// MaxHeaderBytes before it gives up: a server that bounds heads at N bytes
// sets MaxHeaderBytes to N - NetHTTPHeaderSlack.
const NetHTTPHeaderSlack = 4096

// DefaultMaxConnections is how many connections a Server holds at once
// when MaxConnections is zero: beyond it, a new connection closes the one
// idle the longest between requests, or waits (in the listen queue) until
// one closes or is idle. With the heads' budget it bounds what
// unauthenticated clients can make the server hold (servedConn.Read).
const DefaultMaxConnections = 512

// MaxStreamsPerConnection is how many requests an HTTP/2 connection may
// have served at once (SETTINGS_MAX_CONCURRENT_STREAMS; net/http's default
// is 250). A client needing more queues them or opens another connection.
// Every stream holds a handler, its head (up to MaxHeaderBytes) and
// buffers until it is answered, also when the client never opens the
// window the answer needs: with 250 streams, 16 connections held 600 MB.
// Frames are read 16 KiB at most (net/http's default of 1 MiB is a buffer
// each connection keeps), and at most 64 KiB of a connection's bodies are
// read ahead of its handlers (not 1 MiB).
const MaxStreamsPerConnection = 16

// timeouts are the Server's Timeouts, or the defaults when none is set.
func (s *Server) timeouts() Timeouts {
	if s.Timeouts == (Timeouts{}) {
		return DefaultTimeouts()
	}
	return s.Timeouts
}

// Open starts listening on Addr (or takes Listener) and serving in the
// background. A port in use is an error here, not later.
func (s *Server) Open() (err error) {
	if s.Listener != nil {
		defer func() {
			if err != nil {
				s.Listener.Close()
			}
		}()
	}
	// Without a certificate ServeTLS would fail in the background, after
	// Open reported success.
	if s.TLSConfig != nil && len(s.TLSConfig.Certificates) == 0 && s.TLSConfig.GetCertificate == nil && s.TLSConfig.GetConfigForClient == nil {
		return errors.New("TLS: no certificate configured")
	}
	if _, err := s.checkedCORS(); err != nil {
		return err
	}
	metrics, err := s.activeMetrics()
	if err != nil {
		return fmt.Errorf("registering the metrics: %w", err)
	}
	ln := s.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", s.Addr); err != nil {
			return fmt.Errorf("listening on %s: %w", s.Addr, err)
		}
	}
	maxConns := s.MaxConnections
	if maxConns <= 0 {
		maxConns = DefaultMaxConnections
	}
	heads := newByteBudget(headBudgetBytes)
	if metrics != nil {
		heads.onRefuse = metrics.headsRefused.Inc
	}
	limited := newLimitListener(ln, maxConns)
	limited.idle, limited.heads, limited.plain, limited.closeSilent = newIdleConns(), heads, s.TLSConfig == nil, true
	limited.anyOrigin = s.cors().only == nil
	ln = limited
	s.listener = ln
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsUnspecified() {
		s.listenerHost = ln.Addr().String()
	}
	t := s.timeouts()
	base, cutOff := context.WithCancel(context.Background())
	s.cutOff = cutOff
	s.http = &http.Server{
		// Every request's context ends when Close gives up draining: a
		// closed connection alone ends it only once its body is read.
		BaseContext: func(net.Listener) context.Context { return base },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.handlers.RLock()
			defer s.handlers.RUnlock()
			if s.cutOffDone.Load() {
				return // its connection is closed: no answer to give
			}
			s.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes - NetHTTPHeaderSlack,
		ErrorLog:          errorLog(s.logger().Handler()),

		// "OPTIONS *" reaches the handler, which answers it as any
		// OPTIONS (serveHTTP): net/http's own answer, a bare 200, had no
		// request-id or CORS header and was in no log.
		DisableGeneralOptionsHandler: true,

		// ServeTLS clones this and adds "h2" and "http/1.1" to NextProtos,
		// so clients negotiate HTTP/2 by ALPN.
		TLSConfig: s.TLSConfig,
		// A request's exchange finds its connection here, to send an
		// answer in one write (servedConn).
		ConnContext: withServedConn,
		ConnState:   trackConnState,
		// HTTP/2 serves many requests on one connection at once: these
		// bound what each connection holds as MaxConnections bounds
		// HTTP/1.1's (the heads of its streams share the heads' budget:
		// servedConn.holdStreamHead).
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams:          MaxStreamsPerConnection,
			MaxReadFrameSize:              16 << 10,
			MaxReceiveBufferPerConnection: 64 << 10,
			MaxReceiveBufferPerStream:     64 << 10,
		},
	}
	go func() {
		var err error
		if s.TLSConfig != nil {
			err = s.http.ServeTLS(ln, "", "") // the certificate is in TLSConfig
		} else {
			err = s.http.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger().Error("serving HTTP", "err", err)
		}
	}()
	return nil
}

// URL returns the server's base URL on its listener, e.g.
// http://127.0.0.1:8080, or https://… with TLSConfig.
func (s *Server) URL() string {
	return reachableURL(s.listener.Addr(), s.TLSConfig != nil)
}

// reachableURL is the base URL of a listener on addr as a client on the
// same machine reaches it: a listener on every interface (0.0.0.0 or ::,
// which Go's dual-stack socket reports as [::] either way) on the IPv4
// loopback, which such a socket accepts too.
func reachableURL(addr net.Addr, tls bool) string {
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	if tcp, ok := addr.(*net.TCPAddr); ok && (tcp.IP == nil || tcp.IP.IsUnspecified()) {
		return scheme + net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return scheme + addr.String()
}

// Close stops accepting connections and waits for in-flight requests to
// finish until ctx is done. When ctx ends first, it closes the connections
// still open, so that the requests in flight get no answer, and returns
// ctx's error once their handlers have returned: after Close nothing of
// the server runs on (a caller closing the store next, or a test ending,
// leaves no request to answer later from a closed store).
func (s *Server) Close(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	err := s.http.Shutdown(ctx)
	if err != nil {
		_ = s.http.Close()
		s.cutOff()
		s.cutOffDone.Store(true)
		s.handlers.Lock() // the handlers cut off have returned
		s.handlers.Unlock()
	}
	s.cutOff()
	return err
}

// checkedCORS returns the policy of CORSOrigins, read once, or what is
// wrong with them.
func (s *Server) checkedCORS() (corsPolicy, error) {
	s.corsOnce.Do(func() { s.corsPolicy, s.corsErr = newCORSPolicy(s.CORSOrigins) })
	return s.corsPolicy, s.corsErr
}

// cors returns the policy of CORSOrigins. Open refuses bad ones; a Server
// used as a handler without Open allows no origin rather than any.
func (s *Server) cors() corsPolicy {
	p, err := s.checkedCORS()
	if err != nil {
		return corsPolicy{only: map[string]bool{}}
	}
	return p
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// authenticate returns the caller named by the request's bearer token.
func (s *Server) authenticate(r *http.Request) (graphprofile.Principal, error) {
	value, err := authorization(r)
	if err != nil {
		return graphprofile.Principal{}, err
	}
	if strings.TrimSpace(value) == "" {
		return graphprofile.Principal{}, graphprofile.Errorf(graphprofile.CodeInvalidAuthToken, "Access token is empty.")
	}
	token, ok := bearerToken(value)
	if !ok {
		return graphprofile.Principal{}, graphprofile.Errorf(graphprofile.CodeInvalidAuthToken, "Access token validation failure. The Authorization header must use the Bearer scheme.")
	}
	if token == "" {
		return graphprofile.Principal{}, graphprofile.Errorf(graphprofile.CodeInvalidAuthToken, "Access token is empty.")
	}
	return s.Authenticator.Authenticate(r.Context(), token)
}

// msgTwoCredentials refuses a request with more than one Authorization
// credential.
const msgTwoCredentials = "Access token validation failure. The request carries more than one Authorization credential; send one."

// authorization returns the value of r's one Authorization field ("" for
// none), or the refusal of a request that carries more than one
// credential: two fields (over HTTP/1.1 or HTTP/2 alike), or one field
// listing two ("Bearer A, Bearer B", what a proxy makes of two fields it
// joins). Such a request is ambiguous: a proxy in front may have checked
// one credential while the server would use another, so neither is used,
// even when both are the same. Graph's API and the admin API both read
// their tokens through it.
func authorization(r *http.Request) (string, *graphprofile.Error) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", nil
	case len(values) > 1 || listsCredentials(values[0]):
		return "", graphprofile.Errorf(graphprofile.CodeInvalidAuthToken, msgTwoCredentials)
	}
	return values[0], nil
}

// listsCredentials reports whether value, one Authorization field, holds
// more than one credential: after a comma, an auth scheme followed by a
// space (RFC 9110's credentials). A bearer token never holds a
// comma (RFC 6750's b64token), so a JWT is never taken for a list.
func listsCredentials(value string) bool {
	_, rest, _ := strings.Cut(strings.TrimSpace(value), " ")
	for {
		_, after, found := strings.Cut(rest, ",")
		if !found {
			return false
		}
		rest = after
		next := strings.TrimLeft(after, " \t")
		scheme, _, _ := strings.Cut(next, " ")
		if isAuthScheme(scheme) && len(scheme) < len(next) {
			return true
		}
	}
}

// bearerToken returns the token of an Authorization field's value and
// whether it is of the Bearer scheme (in any case, as RFC 9110 has
// schemes).
func bearerToken(value string) (token string, ok bool) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(value), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
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
		"method", cutForLog(ex.r.Method, maxLoggedValue), "path", cutForLog(ex.r.URL.Path, maxLoggedPath), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if !ex.wroteHeader {
		ex.fail(fmt.Errorf("panic: %v", v))
	}
}
