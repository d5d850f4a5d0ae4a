package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// BenchCreatePosition measures CreateItem on s, one at a time, into
// Adele's profile (which it records first).
func BenchCreatePosition(b *testing.B, s graphprofile.Store) {
	ctx := context.Background()
	owner := benchOwner(b, s)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.CreateItem(ctx, owner, workPositions, Position(fmt.Sprint("p", i), base), 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCreatePositionParallel is BenchCreatePosition from the goroutines of
// b.RunParallel.
func BenchCreatePositionParallel(b *testing.B, s graphprofile.Store) {
	ctx := context.Background()
	owner := benchOwner(b, s)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.CreateItem(ctx, owner, workPositions, Position(fmt.Sprint("p", n.Add(1)), base), 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// benchOwner records Adele in s and returns her key.
func benchOwner(b *testing.B, s graphprofile.Store) graphprofile.UserKey {
	u, err := s.EnsureUser(context.Background(), Adele())
	if err != nil {
		b.Fatal(err)
	}
	return u.Key()
}
