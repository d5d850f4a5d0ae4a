package graphapi

import (
	"fmt"
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
// an item changed in place (lastModifiedDateTime moved) is encoded again,
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

	it["detail"] = graphprofile.Object{"jobTitle": "Changed"}
	it["lastModifiedDateTime"] = t0.Add(time.Second)
	changed := e.encoded(graphprofile.WorkPositionType, it)
	if changed == first || !strings.Contains(string(changed.json), `"jobTitle":"Changed"`) || changed.etag == first.etag {
		t.Errorf("an item changed in place is answered from its old encoding: %s", changed.json)
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
}
