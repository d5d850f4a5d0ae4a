package graphapi

import (
	"context"
	"log"
	"log/slog"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile/internal/outage"
)

// errorLog is net/http's ErrorLog for a Server: its lines at WARN in
// handler, except a TLS handshake that the client ended without a word
// (the connection closed or reset: a load balancer's or a probe's TCP
// check, a port scan), which is no failure of the server and comes all day
// from every such check: at DEBUG, as any client hanging up is. A handshake
// that failed for a reason (an alert of a client that does not trust the
// certificate, plain HTTP sent to the HTTPS port), and a client that speaks
// HTTP/2 wrongly (http2ProtocolError), are a debug line each and a warning
// at most once an outage.Interval, with the count of connections it stands
// for: each costs a client no more than a connection, and a warning each
// let any client fill the log.
func errorLog(handler slog.Handler) *log.Logger {
	return log.New(&errorLogWriter{handler: handler}, "", 0)
}

type errorLogWriter struct {
	handler slog.Handler
	// handshakeErrors: the connections whose TLS handshake failed for a
	// reason; http2Errors: those whose client broke HTTP/2's protocol.
	handshakeErrors, http2Errors outage.Tracker
}

func (w *errorLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	level := slog.LevelWarn
	var attrs []slog.Attr
	var throttled *outage.Tracker
	switch {
	case handshakeHungUp(msg):
		level = slog.LevelDebug
	case strings.HasPrefix(msg, tlsHandshakeError):
		throttled = &w.handshakeErrors
	case http2ProtocolError(msg):
		throttled = &w.http2Errors
	}
	if throttled != nil {
		level = slog.LevelDebug
		if connections, warn := throttled.Failed(time.Now(), ""); warn {
			level = slog.LevelWarn
			attrs = append(attrs, slog.Int("connections", connections))
		}
	}
	ctx := context.Background()
	if w.handler.Enabled(ctx, level) {
		r := slog.NewRecord(time.Now(), level, msg, 0)
		r.AddAttrs(attrs...)
		_ = w.handler.Handle(ctx, r)
	}
	return len(p), nil
}

// http2ProtocolError reports whether msg, a line of net/http's ErrorLog,
// says that a client broke HTTP/2's protocol: a bogus preface, a frame the
// protocol forbids, no SETTINGS in time, or that it ended its connection
// with a GOAWAY carrying an error code (one without is net/http's own
// debug line).
func http2ProtocolError(msg string) bool {
	for _, prefix := range []string{
		"http2: server: error reading preface from client ",
		"http2: server connection error from ",
		"timeout waiting for SETTINGS frames from ",
		"http2: received GOAWAY ",
	} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// tlsHandshakeError starts net/http's line for a failed TLS handshake.
const tlsHandshakeError = "http: TLS handshake error from "

// handshakeHungUp reports whether msg, a line of net/http's ErrorLog, is a
// TLS handshake the client ended by closing or resetting its connection.
func handshakeHungUp(msg string) bool {
	if !strings.HasPrefix(msg, tlsHandshakeError) {
		return false
	}
	for _, hangUp := range []string{": EOF", ": unexpected EOF", ": connection reset by peer"} {
		if strings.HasSuffix(msg, hangUp) {
			return true
		}
	}
	return false
}
