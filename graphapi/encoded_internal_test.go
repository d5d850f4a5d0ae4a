package graphapi

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

func testPosition(i int, modified time.Time) graphprofile.Item {
	return graphprofile.Item{
		"id":                   fmt.Sprintf("pos-%d", i),
		"createdDateTime":      modified.Add(-time.Hour),
		"lastModifiedDateTime": modified,
		"allowedAudiences":     "organization",
		"isCurrent":            i%2 == 0,
		"detail":               graphprofile.Object{"jobTitle": fmt.Sprintf("Engineer %d", i)},
	}
}

// TestItemEncodings: the remembered JSON is what encoding the item writes,
// an item an update made (a new map) is encoded anew,
// and however many items are read the entries and their bytes stay within
// the bounds.
func TestItemEncodings(t *testing.T) {
	var e itemEncodings
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	it := testPosition(1, t0)
	want := graphprofile.AppendObjectJSON(nil, graphprofile.WorkPositionType, graphprofile.Object(it), graphprofile.EncodeOptions{
		Annotations: []graphprofile.Annotation{{Name: "@odata.etag", Value: it.ETag()}},
	})
	first := e.encoded(graphprofile.WorkPositionType, it)
	if got := "{" + string(first.json); got != string(want) {
		t.Fatalf("encoded\n%s\nwant\n%s", got, want)
	}
	if first.etag != it.ETag() {
		t.Errorf("etag %s, want %s", first.etag, it.ETag())
	}
	if again := e.encoded(graphprofile.WorkPositionType, it); again != first {
		t.Error("the same unchanged item was encoded again")
	}

	// An update makes a new map (a Store never changes an item it handed
	// out): the new map is encoded anew, the old one is still answered as
	// it was.
	updated := maps.Clone(it)
	updated["detail"] = graphprofile.Object{"jobTitle": "Changed"}
	updated["lastModifiedDateTime"] = t0.Add(time.Second)
	changed := e.encoded(graphprofile.WorkPositionType, updated)
	if changed == first || !strings.Contains(string(changed.json), `"jobTitle":"Changed"`) || changed.etag != updated.ETag() {
		t.Errorf("an updated item is answered from its old encoding: %s", changed.json)
	}
	if again := e.encoded(graphprofile.WorkPositionType, it); again != first {
		t.Error("the item before the update is no longer remembered as it was")
	}

	items := make([]graphprofile.Item, 3*maxEncodedItems)
	for i := range items {
		items[i] = testPosition(i, t0)
		e.encoded(graphprofile.WorkPositionType, items[i])
		if i%500 == 0 || i == len(items)-1 {
			entries, bytes := 0, 0
			for s := range e.shards {
				entries += len(e.shards[s].entries)
				bytes += e.shards[s].bytes
			}
			if entries > maxEncodedItems || bytes > maxEncodedBytes {
				t.Fatalf("after %d items: %d entries, %d bytes; bounds %d and %d", i+1, entries, bytes, maxEncodedItems, maxEncodedBytes)
			}
		}
		checkShards(t, &e, i+1, i%50 == 0)
	}

	// Items of 30 KB: the shards' bytes, not their entries, bound them.
	for i := range 40 * encodingShards {
		it := testPosition(i, t0)
		it["detail"] = graphprofile.Object{"description": strings.Repeat("z", 30_000)}
		e.encoded(graphprofile.WorkPositionType, it)
		checkShards(t, &e, i+1, true)
	}

	big := testPosition(0, t0)
	big["detail"] = graphprofile.Object{"description": strings.Repeat("x", maxEncodedBytes/encodingShards)}
	if enc := e.encoded(graphprofile.WorkPositionType, big); !strings.Contains(string(enc.json), "xxxx") {
		t.Error("a big item is not encoded")
	}
	for s := range e.shards {
		if e.shards[s].bytes > maxEncodedBytes/encodingShards {
			t.Errorf("shard %d holds %d bytes after a big item", s, e.shards[s].bytes)
		}
	}
	// An item over an eighth of a shard's bytes is encoded each time, not
	// remembered: it would push out many others.
	large := testPosition(0, t0)
	large["detail"] = graphprofile.Object{"description": strings.Repeat("y", maxEncodedBytes/encodingShards/8)}
	if e.encoded(graphprofile.WorkPositionType, large) == e.encoded(graphprofile.WorkPositionType, large) {
		t.Error("an item over an eighth of a shard is remembered")
	}
}

// checkShards: each shard within its share of the entries and bytes and,
// when sum, its byte count its entries' bytes.
func checkShards(t *testing.T, e *itemEncodings, items int, sum bool) {
	t.Helper()
	for s := range e.shards {
		shard := &e.shards[s]
		held := shard.bytes
		if sum {
			held = 0
			for _, enc := range shard.entries {
				held += len(enc.json)
			}
		}
		if len(shard.entries) > maxEncodedItems/encodingShards || shard.bytes != held || held > maxEncodedBytes/encodingShards {
			t.Fatalf("after %d items: shard %d has %d entries, counts %d bytes, holds %d", items, s, len(shard.entries), shard.bytes, held)
		}
	}
}
