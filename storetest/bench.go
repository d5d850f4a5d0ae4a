package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// BenchCreatePositionParallel is BenchCreatePosition from 16 goroutines a
// CPU (b.RunParallel), about as many creates at once as the load
// generator's 32 connections send: a store that commits in groups shows
// its best, with nothing but the store spending CPU.
func BenchCreatePositionParallel(b *testing.B, s graphprofile.Store) {
	ctx := context.Background()
	owner := benchOwner(b, s)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
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

// bigProfile is the size of the profile BenchScanFirstPage and
// BenchGetItem read from: a lopsided user's, far past any page or cache.
const bigProfile = 20000

// benchBigProfile records Adele in s with bigProfile positions, created
// from many goroutines (a store that commits in groups takes them faster),
// and returns her key and the positions' ids.
func benchBigProfile(b *testing.B, s graphprofile.Store) (graphprofile.UserKey, []string) {
	owner := benchOwner(b, s)
	ids := make([]string, bigProfile)
	var wg sync.WaitGroup
	const workers = 32
	for w := range workers {
		wg.Go(func() {
			for i := w; i < bigProfile; i += workers {
				ids[i] = fmt.Sprint("p", i)
				if err := s.CreateItem(context.Background(), owner, workPositions, Position(ids[i], base.Add(time.Duration(i)*time.Millisecond)), 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return owner, ids
}

// BenchScanFirstPage measures the first page of a list of $top=10 (11
// items: one more tells whether a next page follows) of a profile of
// bigProfile positions: the work of the items visited, whatever the
// profile's size.
func BenchScanFirstPage(b *testing.B, s graphprofile.Store) {
	owner, _ := benchBigProfile(b, s)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := s.ScanItems(ctx, owner, workPositions, graphprofile.OldestFirst, nil, func(graphprofile.Item) (bool, error) {
			n++
			return n < 11, nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchGetItem measures GetItem of positions of a profile of bigProfile
// positions, in turn: reading one item reads that item only.
func BenchGetItem(b *testing.B, s graphprofile.Store) {
	owner, ids := benchBigProfile(b, s)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.GetItem(ctx, owner, workPositions, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}
