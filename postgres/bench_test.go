package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// Benchmarks: each create is one transaction, committed when the WAL is
// flushed (fsync on in the test cluster).

func benchStore(b *testing.B) *Store {
	s := openFresh(b)
	if _, err := s.EnsureUser(context.Background(), adele); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkCreatePosition(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.CreatePosition(ctx, adele.Key(), testPosition(fmt.Sprint("p", i), t0)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreatePositionParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.CreatePosition(ctx, adele.Key(), testPosition(fmt.Sprint("p", n.Add(1)), t0)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
