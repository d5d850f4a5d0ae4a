package graphapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
)

// observation is what the server keeps of one request for the access log
// and the request journal, from the moment ServeHTTP takes it until it has
// been answered.
type observation struct {
	server  *Server
	start   time.Time
	r       *http.Request
	capture *capturingWriter // nil when the request is not journaled
	batch   batchOrigin      // set for an item of a $batch
}

// observe starts observing r; the writer it returns is what the request
// must be answered through.
func (s *Server) observe(w http.ResponseWriter, r *http.Request) (*observation, http.ResponseWriter) {
	o := &observation{server: s, start: time.Now(), r: r, batch: batchOriginOf(r.Context())}
	// From here on the request's goroutine reads s.metrics directly.
	metrics, _ := s.activeMetrics()
	metrics.begin()
	if j := s.journal(); j != nil && o.batch.requestID == "" && journaled(s, r) {
		o.capture = j.capture(w, r)
		return o, o.capture
	}
	return o, w
}

// done logs the request and records it in the journal; ServeHTTP defers
// it, so that it runs after any panic was answered.
func (o *observation) done(ex *exchange) {
	elapsed := time.Since(o.start)
	if o.capture != nil {
		o.server.journal().record(ex, o.capture, o.start, elapsed)
	}
	o.server.logAccess(ex, o.batch, elapsed)
	o.server.metrics.done(ex, elapsed)
}

// logAccess writes the request's line of the access log: at INFO, except
// the health probes' and metrics scrapes' (at DEBUG: a load balancer and
// Prometheus send them all day). Never a token, a header or a body; the
// path and query as sent, but a credential a client put in the query
// redacted (loggedRequestURI).
func (s *Server) logAccess(ex *exchange, batch batchOrigin, elapsed time.Duration) {
	logger := s.AccessLog
	if logger == nil {
		return
	}
	level := slog.LevelInfo
	if ex.r.URL.Path == "/healthz" || ex.r.URL.Path == "/readyz" || s.scrapes(ex.r.URL.Path) {
		level = slog.LevelDebug
	}
	ctx := context.WithoutCancel(ex.r.Context())
	if !logger.Enabled(ctx, level) {
		return
	}
	// The record is made here rather than by logger.LogAttrs, which would
	// look up the caller's program counter for a source no handler of the
	// access log prints: a tenth of the line's cost.
	record := slog.NewRecord(time.Now(), level, "request", 0)
	record.AddAttrs(
		slog.String("method", cutForLog(ex.r.Method, maxLoggedValue)),
		slog.String("path", cutForLog(loggedRequestURI(ex.r.URL), maxLoggedPath)),
		slog.Int("status", ex.w.status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("request-id", ex.requestID),
		slog.String("client-request-id", cutForLog(ex.clientRequestID, maxLoggedValue)),
		slog.String("tenant", cutForLog(ex.caller.TenantID, maxLoggedValue)),
		slog.String("oid", cutForLog(callerObjectID(ex), maxLoggedValue)),
		slog.String("appid", cutForLog(ex.caller.AppID, maxLoggedValue)),
		slog.String("route", ex.route),
	)
	if batch.requestID != "" {
		record.AddAttrs(slog.String("batch", batch.requestID), slog.String("batch-item", cutForLog(batch.itemID, maxLoggedValue)))
	}
	_ = logger.Handler().Handle(ctx, record) // a line that cannot be written has nowhere to go
}

// What a line of the access log takes of a value the client chose (a
// token's claims too, which an issuer may let a caller choose): a
// $batch item's URL, client-request-id and id come from a body, which may
// be gzip-compressed, so that 20 items of 45 KB URLs, 2 KB on the wire,
// wrote 900 KB of log. A path is cut at maxLoggedPath bytes (a long
// $filter is still mostly there; the request-id finds the rest in the
// journal), the others at maxLoggedValue: Graph's are GUIDs.
const (
	maxLoggedPath  = 2048
	maxLoggedValue = 128
)

// cutForLog returns s, or when it is longer than max bytes its first bytes
// (whole UTF-8 characters) and how long it was.
func cutForLog(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[" + strconv.Itoa(len(s)) + " bytes]"
}

// callerObjectID is the signed-in user's object id: only delegated
// callers have one worth logging (an app's is its service principal's).
func callerObjectID(ex *exchange) string {
	if !ex.caller.Delegated {
		return ""
	}
	return ex.caller.ObjectID
}

// batchOrigin names the $batch request an item belongs to.
type batchOrigin struct {
	requestID string                 // the batch's request-id
	itemID    string                 // the item's id in the batch
	caller    graphprofile.Principal // who sent the batch (for an item answered without running)
}

type batchOriginKey struct{}

// withBatchOrigin marks ctx as that of an item of a batch.
func withBatchOrigin(ctx context.Context, origin batchOrigin) context.Context {
	return context.WithValue(ctx, batchOriginKey{}, origin)
}

func batchOriginOf(ctx context.Context) batchOrigin {
	origin, _ := ctx.Value(batchOriginKey{}).(batchOrigin)
	return origin
}

// isBatchItem reports whether ctx is that of an item of a batch.
func isBatchItem(ctx context.Context) bool {
	_, ok := ctx.Value(batchOriginKey{}).(batchOrigin)
	return ok
}

// journaled reports whether the journal records r: every request but the
// admin API's own, the health probes and metrics scrapes (which the
// application under test does not send).
func journaled(s *Server, r *http.Request) bool {
	return !s.isAdminPath(r.URL.Path) && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && !s.scrapes(r.URL.Path)
}

// isAdminPath reports whether path is the admin API's, when it is on.
func (s *Server) isAdminPath(path string) bool {
	return s.AdminToken != "" && (path == adminPrefix || strings.HasPrefix(path, adminPrefix+"/"))
}
