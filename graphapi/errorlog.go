package graphapi

import (
	"context"
	"log"
	"log/slog"
	"strings"
	"time"
)

// errorLog is net/http's ErrorLog for a Server: its lines at WARN in
// handler, except a TLS handshake that the client ended without a word
// (the connection closed or reset: a load balancer's or a probe's TCP
// check, a port scan), which is no failure of the server and comes all day
// from every such check: at DEBUG, as any client hanging up is. A handshake
// that failed for a reason (an alert of a client that does not trust the
// certificate, a protocol no client should send) stays a warning.
func errorLog(handler slog.Handler) *log.Logger {
	return log.New(errorLogWriter{handler}, "", 0)
}

type errorLogWriter struct{ handler slog.Handler }

func (w errorLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	level := slog.LevelWarn
	if handshakeHungUp(msg) {
		level = slog.LevelDebug
	}
	ctx := context.Background()
	if w.handler.Enabled(ctx, level) {
		_ = w.handler.Handle(ctx, slog.NewRecord(time.Now(), level, msg, 0))
	}
	return len(p), nil
}

// handshakeHungUp reports whether msg, a line of net/http's ErrorLog, is a
// TLS handshake the client ended by closing or resetting its connection.
func handshakeHungUp(msg string) bool {
	if !strings.HasPrefix(msg, "http: TLS handshake error from ") {
		return false
	}
	for _, hangUp := range []string{": EOF", ": unexpected EOF", ": connection reset by peer"} {
		if strings.HasSuffix(msg, hangUp) {
			return true
		}
	}
	return false
}
