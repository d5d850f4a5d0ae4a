package graphprofile

import (
	"os"
	"testing"
	"time"
)

// The hot paths of a request, for benchstat comparisons across changes:
// go test -run '^$' -bench . -benchmem .

func seedBody(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/seed/create-request.json")
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func seedPosition(b *testing.B) Item {
	b.Helper()
	body, err := DecodeBody(WorkPositionType, seedBody(b))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2020, 7, 6, 6, 34, 12, 229486800, time.UTC)
	p := Item(withoutNulls(body).(Object))
	p["id"], p["allowedAudiences"] = "0fb4c1e3-c1e3-0fb4-e3c1-b40fe3c1b40f", "organization"
	p["createdDateTime"], p["lastModifiedDateTime"] = now, now
	by := Object{"user": Object{"id": "db789417-4ccb-41d1-a0a9-47b01a09ea49", "displayName": "Innocenty Popov"}}
	p["createdBy"], p["lastModifiedBy"] = by, by
	return p
}

// BenchmarkDecodeBody is the decoding and validation of the seed's create body.
func BenchmarkDecodeBody(b *testing.B) {
	data := seedBody(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBody(WorkPositionType, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMergePatch merges a nested PATCH into the seed position.
func BenchmarkMergePatch(b *testing.B) {
	p := seedPosition(b)
	patch, err := DecodeBody(WorkPositionType, []byte(`{"isCurrent":false,"detail":{"jobTitle":"X","company":{"address":{"city":"Oslo"}}}}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		MergePatch(WorkPositionType, Object(p), patch)
	}
}

// BenchmarkEncodePosition writes the seed position as a response does.
func BenchmarkEncodePosition(b *testing.B) {
	p := seedPosition(b)
	opts := EncodeOptions{Annotations: []Annotation{{Name: "@odata.context", Value: "http://127.0.0.1:8080/beta/$metadata#users('db789417-4ccb-41d1-a0a9-47b01a09ea49')/profile/positions/$entity"}}}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendObjectJSON(buf[:0], WorkPositionType, Object(p), opts)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkDecodeStoredPosition reads back what a store keeps.
func BenchmarkDecodeStoredPosition(b *testing.B) {
	data := AppendObjectJSON(nil, WorkPositionType, Object(seedPosition(b)), EncodeOptions{OmitNulls: true})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeStoredItem(WorkPositionType, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApproxJSONSize measures the seed position as a page's byte
// bound does (odata.MaxPageBytes), against BenchmarkEncodePosition.
func BenchmarkApproxJSONSize(b *testing.B) {
	p := Object(seedPosition(b))
	size := 0
	for b.Loop() {
		size = ApproxJSONSize(p)
	}
	b.ReportMetric(float64(size), "bytes")
}

// BenchmarkApproxEncodedSize measures the seed position as a page's byte
// bound counts it (odata.EntitySize): every property, nulls included.
func BenchmarkApproxEncodedSize(b *testing.B) {
	p := Object(seedPosition(b))
	size := 0
	for b.Loop() {
		size = ApproxEncodedSize(WorkPositionType, p, nil)
	}
	b.ReportMetric(float64(size), "bytes")
}
