package main

import (
	"math"
	"os"
	"time"
)

// serverSample is one reading of the server's resident memory and of the
// SQLite write-ahead log's size, at an offset from the start of the
// measured window (negative: during the warm-up).
type serverSample struct {
	at       time.Duration
	rssKB    int64
	walBytes int64
}

// sampler reads the server's RSS (/proc) and the WAL file's size (a
// missing file is 0 bytes: SQLite removes it on a clean close) every
// `every` until stopped, and once more when it stops.
type sampler struct {
	pid     int
	wal     string
	origin  time.Time // the start of the measured window
	every   time.Duration
	stop    chan struct{}
	done    chan struct{}
	samples []serverSample
}

func startSampler(pid int, wal string, origin time.Time, every time.Duration) *sampler {
	s := &sampler{pid: pid, wal: wal, origin: origin, every: every, stop: make(chan struct{}), done: make(chan struct{})}
	if pid <= 0 && wal == "" {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		s.take()
		for {
			select {
			case <-t.C:
				s.take()
			case <-s.stop:
				s.take()
				return
			}
		}
	}()
	return s
}

func (s *sampler) take() {
	smp := serverSample{at: time.Since(s.origin)}
	if s.pid > 0 {
		smp.rssKB, _ = procRSS(s.pid)
	}
	smp.walBytes = fileSize(s.wal)
	s.samples = append(s.samples, smp)
}

// Stop stops sampling and returns the samples.
func (s *sampler) Stop() []serverSample {
	select {
	case <-s.done:
	default:
		close(s.stop)
		<-s.done
	}
	return s.samples
}

// fileSize is the size of the file at path, 0 if there is none.
func fileSize(path string) int64 {
	if path == "" {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// sampleSummary is the largest and the last of some samples.
type sampleSummary struct {
	rssMaxKB, rssLastKB, walMax, walLast int64
}

// sampleWindow is when the samples of interval k of n, from its start for
// length, were taken: [from, from+length), but the last interval's runs
// on, to the sample taken as sampling stopped (after the measured time),
// which was no interval's: with one sample an interval, the last one's
// largest WAL and RSS were the readings at its start.
func sampleWindow(k, n int, from, length time.Duration) (time.Duration, time.Duration) {
	if k == n-1 {
		return from, math.MaxInt64
	}
	return from, from + length
}

// summarizeSamples summarizes the samples taken in [from, to).
func summarizeSamples(samples []serverSample, from, to time.Duration) sampleSummary {
	var s sampleSummary
	for _, smp := range samples {
		if smp.at < from || smp.at >= to {
			continue
		}
		s.rssMaxKB, s.walMax = max(s.rssMaxKB, smp.rssKB), max(s.walMax, smp.walBytes)
		s.rssLastKB, s.walLast = smp.rssKB, smp.walBytes
	}
	return s
}
