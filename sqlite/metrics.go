package sqlite

import (
	"log/slog"
	"time"
)

// Metrics receives the measurements of a store's writer, for monitoring
// (serve's Prometheus metrics). Its methods are called by the writer
// goroutine between commits: they must be quick and must not call the
// store.
type Metrics interface {
	// Committed is told of each commit of the writer: how many writes it
	// held (the group commit's batch), how long it took, from the
	// transaction's start to its fsynced commit, and how much of that was
	// the COMMIT itself (appending the pages to the write-ahead log and
	// the fsync), the rest being the writes' statements.
	Committed(writes int, took, committing time.Duration)
}

// Option configures Open and OpenMemory.
type Option func(*Store)

// WithMetrics makes the store report its commits to m.
func WithMetrics(m Metrics) Option {
	return func(s *Store) { s.metrics = m }
}

// WithLogger makes Open log what an operator waits for: the migration of
// an existing database to this version's schema, which reads every user
// or item for some versions (a big directory's takes a while).
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) { s.logger = l }
}

func withOptions(s *Store, opts []Option) *Store {
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// WALSize returns the size in bytes of the write-ahead log file (0 in
// memory, or while there is none), for monitoring: it stays under
// WALBound.
func (s *Store) WALSize() int64 { return s.walSize() }
