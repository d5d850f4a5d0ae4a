package graphapi_test

import (
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/token"
)

// BenchmarkCreatePosition is scripts/bench's create, handler to body: a
// POST of the docs' example position into one profile of a durable SQLite
// store. Its allocations are most of what the collector works for during
// creates (BENCHMARKS.md); its time is mostly the commit's fsync.
func BenchmarkCreatePosition(b *testing.B) {
	store, dev := benchStore(b)
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store, MaxItems: 1 << 30}, Authenticator: token.NewValidator(nil, dev)}
	tok := benchToken(b, dev, "User.ReadWrite")
	body := examplePosition(b)
	b.ReportAllocs()
	for b.Loop() {
		benchCreate(b, srv, tok, body)
	}
}
