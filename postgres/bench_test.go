package postgres

import (
	"testing"

	"github.com/graphprofile/graphprofile/storetest"
)

// Benchmarks: each create is one transaction, committed when the WAL is
// flushed (fsync on in the test cluster).

func BenchmarkCreatePosition(b *testing.B) {
	storetest.BenchCreatePosition(b, openFresh(b))
}

func BenchmarkCreatePositionParallel(b *testing.B) {
	storetest.BenchCreatePositionParallel(b, openFresh(b))
}

func BenchmarkScanFirstPage(b *testing.B) {
	storetest.BenchScanFirstPage(b, openFresh(b))
}

func BenchmarkGetItem(b *testing.B) {
	storetest.BenchGetItem(b, openFresh(b))
}
