package graphapi

import (
	"reflect"
	"sync"
	"unsafe"

	"github.com/graphprofile/graphprofile"
)

// itemEncodings remembers the JSON of the items the store hands out, so a
// read of an unchanged item copies bytes instead of encoding every
// property again: encoding was 40% of a list's CPU and 10% of a GET's
// (BENCHMARKS.md). An item is known by its map alone, which the SQLite
// store's read cache hands to every reader of an unchanged item: items a
// Store returns are never changed, by their readers or by the store's
// later writes, which make new maps (graphprofile.Store; the store
// contract suite's Update/LeavesReadItems). An entry holds the map, so
// its address is not reused while the entry lives. A store that decodes a
// fresh map on each read (PostgreSQL) only ever misses, at the cost of a
// map write. (Checking lastModifiedDateTime on each read as well was 6% of
// a list's CPU: ten maps' cache misses.)
//
// It is bounded, in entries and in bytes, whatever the profiles' sizes: a
// shard that would pass its share is emptied and starts again, which costs
// one encoding of each item read afterwards.
type itemEncodings struct {
	shards [encodingShards]encodingShard
}

const (
	encodingShards = 16
	// maxEncodedItems and maxEncodedBytes bound the entries, and the bytes
	// of JSON they hold, across the shards. The entries also keep their
	// items' maps alive (a few KB each) when the store's cache has let
	// them go: 4,096 entries is a few tens of MB at most.
	maxEncodedItems = 4096
	maxEncodedBytes = 8 << 20
)

type encodingShard struct {
	mu      sync.Mutex
	entries map[unsafe.Pointer]*encodedItem
	bytes   int
}

// encodedItem is an item's JSON as the answers of GET and list carry it,
// without the opening brace: `"@odata.etag":"…",` then every property of
// the item's type in schema order, then `}`. An answer writes `{` and its
// own annotations before it.
type encodedItem struct {
	item graphprofile.Item
	etag string
	json []byte
}

// encoded returns the JSON of it, an item of type t: remembered, or
// encoded now and remembered.
func (e *itemEncodings) encoded(t *graphprofile.Type, it graphprofile.Item) *encodedItem {
	key := reflect.ValueOf(it).UnsafePointer()
	h := uintptr(key)
	shard := &e.shards[(h^h>>12)>>4%encodingShards]

	shard.mu.Lock()
	if enc, ok := shard.entries[key]; ok {
		shard.mu.Unlock()
		return enc
	}
	shard.mu.Unlock()

	enc := encodeItem(t, it)
	if len(enc.json) > maxEncodedBytes/encodingShards/8 {
		return enc // too big to keep: it would push out many others
	}

	shard.mu.Lock()
	defer shard.mu.Unlock()
	if shard.entries == nil || len(shard.entries) >= maxEncodedItems/encodingShards || shard.bytes+len(enc.json) > maxEncodedBytes/encodingShards {
		shard.entries = make(map[unsafe.Pointer]*encodedItem)
		shard.bytes = 0
	}
	if old, ok := shard.entries[key]; ok {
		shard.bytes -= len(old.json)
	}
	shard.entries[key] = enc
	shard.bytes += len(enc.json)
	return enc
}

// encodeItem encodes it, an item of type t, for encoded to remember: into
// a pooled buffer, then copied to a slice of its exact size, since a
// buffer grown from nothing leaves a trail of smaller ones for the
// collector.
func encodeItem(t *graphprofile.Type, it graphprofile.Item) *encodedItem {
	etag := it.ETag()
	bp := bufferPool.Get().(*[]byte)
	buf := appendItem((*bp)[:0], t, it, etag, "", nil)
	enc := &encodedItem{item: it, etag: etag, json: append([]byte(nil), buf[1:]...)}
	putBuffer(bp, buf)
	return enc
}

// appendItem appends it, an item of type t, as every answer writes an
// item: its @odata.context when context is not "", its @odata.etag (etag,
// the item's ETag), then its properties, only those selected when selected
// is not nil.
func appendItem(buf []byte, t *graphprofile.Type, it graphprofile.Item, etag, context string, selected []string) []byte {
	var held [2]graphprofile.Annotation
	annotations := held[:0]
	if context != "" {
		annotations = append(annotations, graphprofile.Annotation{Name: "@odata.context", Value: context})
	}
	annotations = append(annotations, graphprofile.Annotation{Name: "@odata.etag", Value: etag})
	return graphprofile.AppendObjectJSON(buf, t, graphprofile.Object(it), graphprofile.EncodeOptions{Annotations: annotations, Select: selected})
}
