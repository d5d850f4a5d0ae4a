package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestClassification: which failures wrap ErrUnavailable (a retry later
// may cure them: 503) and which are internal (500), and which a call runs
// again at once.
func TestClassification(t *testing.T) {
	pg := func(code string) error { return &pgconn.PgError{Code: code, Message: "m"} }
	tests := []struct {
		name        string
		err         error
		unavailable bool
		contended   bool // run again, up to maxAttempts
		lost        bool // run again once, before COMMIT
	}{
		{"AdminShutdown", pg("57P01"), true, false, true},
		{"CrashShutdown", pg("57P02"), true, false, true},
		{"CannotConnectNow", pg("57P03"), true, false, true},
		{"ConnectionFailure", pg("08006"), true, false, true},
		{"ConnectionException", pg("08000"), true, false, true},
		{"TooManyConnections", pg("53300"), true, false, false},
		{"DiskFull", pg("53100"), true, false, false},
		{"StatementTimeout", pg("57014"), true, false, false},
		{"LockTimeout", pg("55P03"), true, false, false},
		{"SerializationFailure", pg("40001"), true, true, false},
		{"Deadlock", pg("40P01"), true, true, false},
		{"ReadOnly", pg("25006"), true, false, false},
		{"UniqueViolation", pg("23505"), false, false, false},
		{"SyntaxError", pg("42601"), false, false, false},
		{"UndefinedTable", pg("42P01"), false, false, false},
		{"Refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true, false, true},
		{"Reset", fmt.Errorf("reading: %w", syscall.ECONNRESET), true, false, true},
		{"EOF", fmt.Errorf("receiving: %w", io.ErrUnexpectedEOF), true, false, true},
		{"Deadline", context.DeadlineExceeded, true, false, false},
		{"Other", errors.New("cannot scan"), false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := unavailable(tc.err); got != tc.unavailable {
				t.Errorf("unavailable(%v) = %v, want %v", tc.err, got, tc.unavailable)
			}
			contended, lost := retry(tc.err, true)
			if contended != tc.contended || lost != tc.lost {
				t.Errorf("retry(%v, before commit) = %v, %v; want %v, %v", tc.err, contended, lost, tc.contended, tc.lost)
			}
			if contended, lost := retry(tc.err, false); lost || contended != tc.contended {
				t.Errorf("retry(%v, at commit) = %v, %v; want %v, false: a commit whose fate is unknown never runs again", tc.err, contended, lost, tc.contended)
			}
		})
	}

	t.Run("Wrapping", func(t *testing.T) {
		ctx := context.Background()
		octx, cancel := context.WithCancel(ctx)
		cancel()
		de := &stored.DBError{Store: store, Op: "reading", Err: pg("57P01")}
		err := finish(ctx, ctx, de)
		if !errors.Is(err, graphprofile.ErrUnavailable) || pgCode(err) != "57P01" {
			t.Errorf("finish = %v, want ErrUnavailable and the PgError", err)
		}
		// The caller canceled: its error, not the database's fault.
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		err = finish(cctx, octx, &stored.DBError{Store: store, Op: "reading", Err: errors.New("conn closed")})
		if !errors.Is(err, context.Canceled) || errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("finish after the caller canceled = %v, want context.Canceled only", err)
		}
	})
}
