package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/logoutput"
)

// graphFloor is what --graph-floor adds to the bare ceiling: the part of
// graphprofile's cost per answer that Graph's contract and the project's
// access log fix, whatever the server does in between. Each answer carries
// the headers every graphprofile answer of its kind carries, with the same
// values (docs/decisions.md: the CORS headers go on every answer, a new
// request-id on each), and each request writes one access-log line through
// log/slog's text handler with the attributes graphprofile's line has.
// What it leaves out is graphprofile's own work: the token, the caller's
// permission, routing, the store, encoding. Its rate against the bare
// ceiling's is the most graphprofile's rate could be against it.
//
// The lines are gathered and written a few at a time, through the writer
// graphprofile serve's access log goes through (logoutput): Close writes
// the last of them.
type graphFloor struct {
	log    slog.Handler
	output *logoutput.Output
}

func newGraphFloor(logTo io.Writer) *graphFloor {
	output := logoutput.New(logTo, logoutput.AccessLogDelay)
	return &graphFloor{log: slog.NewTextHandler(output.Gathering(), nil), output: output}
}

// Close writes the access-log lines still gathered.
func (f *graphFloor) Close() { f.output.Close() }

// The values of graphprofile's answer headers, shared by every answer as
// graphprofile shares them; TestGraphFloorHeadersAreGraphprofiles holds
// them to a real server's.
var (
	floorAllowOrigin  = []string{"*"}
	floorExposed      = []string{"ETag, Location, Preference-Applied, Content-Range, request-id, client-request-id, ReadWriteConsistencyToken, SdkVersion, WWW-Authenticate, x-ms-client-gcc-tenant, Retry-After"}
	floorNoCache      = []string{"no-cache"}
	floorODataVersion = []string{"4.0"}
	floorVary         = []string{"Accept-Encoding"}
	floorETag         = []string{`"4wv1i1uc7vq"`}
)

// The caller the access log names: the floor checks no token, so it is
// the same one on every line, of a delegated token's sizes.
const (
	floorTenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	floorOID    = "db789417-4ccb-41d1-a0a9-47b01a09ea49"
)

// setHeaders sets on h the headers graphprofile's answer carries besides
// Content-Type and Content-Length; entity is whether the answer is one
// item (which carries its ETag), created whether it is a new one (which
// carries its Location). It returns the request-id it gave the answer.
func (f *graphFloor) setHeaders(h http.Header, r *http.Request, entity, created bool) string {
	requestID := graphprofile.NewGUID()
	h["Access-Control-Allow-Origin"] = floorAllowOrigin
	h["Access-Control-Expose-Headers"] = floorExposed
	h["Cache-Control"] = floorNoCache
	h["OData-Version"] = floorODataVersion
	h["Vary"] = floorVary
	h["request-id"] = []string{requestID}
	clientRequestID := r.Header.Get("client-request-id")
	if clientRequestID == "" {
		clientRequestID = requestID
	}
	h["client-request-id"] = []string{clientRequestID}
	if entity {
		h["Etag"] = floorETag
	}
	if created {
		// graphprofile's: the new item's URL under the owner's id.
		h["Location"] = []string{"http://" + r.Host + "/beta/users/" + floorOID + "/profile/positions/" + cannedGUID}
	}
	return requestID
}

// logAccess writes the request's access-log line, as graphprofile's
// logAccess does: a record made without the caller's program counter,
// handed to the handler.
func (f *graphFloor) logAccess(r *http.Request, status int, requestID, clientRequestID, route string, elapsed time.Duration) {
	record := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
	record.AddAttrs(
		slog.String("method", r.Method),
		slog.String("path", r.URL.RequestURI()),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("request-id", requestID),
		slog.String("client-request-id", clientRequestID),
		slog.String("tenant", floorTenant),
		slog.String("oid", floorOID),
		slog.String("appid", ""),
		slog.String("route", route),
	)
	_ = f.log.Handle(context.WithoutCancel(r.Context()), record)
}
