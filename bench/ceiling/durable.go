package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/graphprofile/graphprofile/internal/durable"
)

// appendLog is the least any store can do for an acknowledged write: append
// the write to a file and answer only once an fsync covers it. Appends are
// committed in groups, as a database's group commit does: one goroutine
// takes every append waiting, writes them with one write, fsyncs once and
// then releases them all, so that N concurrent writers cost far fewer than
// N fsyncs.
//
// Each record is the write's length (4 bytes, little-endian) and its bytes.
type appendLog struct {
	f *os.File
	// sync makes what was written durable: f.Sync (fsync, which is what
	// SQLite's WAL does on a commit with synchronous=FULL); tests replace it.
	sync    func() error
	pending chan *appendRequest
	stopped chan struct{}
	// records and syncs count what the writer did: records/syncs is the
	// size of the average group.
	records, syncs atomic.Int64
	requests       sync.Pool
}

// appendRequest is one waiting append and where its outcome goes.
type appendRequest struct {
	data []byte
	done chan error
}

// maxPendingAppends bounds the appends queued for the writer; more wait to
// be queued.
const maxPendingAppends = 4096

// openAppendLog opens (creating it if needed) the file at path for
// appending and starts its writer. The file's directory is synced once, so
// that a file created here survives a crash with its records.
func openAppendLog(path string) (*appendLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	l := &appendLog{
		f:       f,
		sync:    f.Sync,
		pending: make(chan *appendRequest, maxPendingAppends),
		stopped: make(chan struct{}),
	}
	l.requests.New = func() any { return &appendRequest{done: make(chan error, 1)} }
	go l.write()
	return l, nil
}

// Append returns once data is in the file and an fsync that began after it
// was written has returned. data may be reused as soon as Append returns.
// Append must not be called once Close was.
func (l *appendLog) Append(data []byte) error {
	req := l.requests.Get().(*appendRequest)
	req.data = data
	l.pending <- req
	err := <-req.done
	req.data = nil
	l.requests.Put(req)
	return err
}

// write is the log's one writer: it takes the append waiting first and
// every other one already queued, writes them together, fsyncs once, and
// answers them all.
func (l *appendLog) write() {
	defer close(l.stopped)
	var (
		group []*appendRequest
		buf   []byte
	)
	for first := range l.pending {
		group = append(group[:0], first)
	drain:
		for {
			select {
			case req, ok := <-l.pending:
				if !ok {
					break drain
				}
				group = append(group, req)
			default:
				break drain
			}
		}
		buf = buf[:0]
		for _, req := range group {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(req.data)))
			buf = append(buf, req.data...)
		}
		_, err := l.f.Write(buf)
		if err == nil {
			err = l.sync()
		}
		if err != nil {
			err = fmt.Errorf("appending to the durable log: %w", err)
		}
		l.syncs.Add(1)
		l.records.Add(int64(len(group)))
		for _, req := range group {
			req.done <- err
		}
	}
}

// Close stops the writer once every queued append is answered and closes
// the file.
func (l *appendLog) Close() error {
	close(l.pending)
	<-l.stopped
	return l.f.Close()
}

// Stats says how many records the log took in how many fsyncs.
func (l *appendLog) Stats() string {
	records, syncs := l.records.Load(), l.syncs.Load()
	perSync := 0.0
	if syncs > 0 {
		perSync = float64(records) / float64(syncs)
	}
	return fmt.Sprintf("%d records in %d fsyncs (%.1f per fsync)", records, syncs, perSync)
}
