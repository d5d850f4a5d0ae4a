package graphapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// page is a list page of n positions shaped like the docs' example, each
// with its own id, times and title, as a list answer has them.
func page(t testing.TB, n int) []byte {
	t.Helper()
	pretty, err := os.ReadFile(filepath.Join("..", "testdata", "seed", "create-response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seed bytes.Buffer
	if err := json.Compact(&seed, pretty); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":"https://graph.example.test/beta/$metadata#users('db789417-4ccb-41d1-a0a9-47b01a09ea49')/profile/positions","value":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		when := time.Date(2020, 7, 6, 6, 34, 12, 0, time.UTC).Add(time.Duration(i*7919) * time.Second).Format("2006-01-02T15:04:05.0000000Z")
		p := strings.NewReplacer(
			"0fb4c1e3-c1e3-0fb4-e3c1-b40fe3c1b40f", graphprofile.NewGUID(),
			"2020-07-06T06:34:12.2294868Z", when,
			"Senior Product Branding Manager II", fmt.Sprintf("Engineer %d", i*7919),
		).Replace(seed.String())
		b.WriteString(`{"@odata.etag":"\"` + strconv.FormatInt(int64(i)*1e9+7, 36) + `\"",` + p[1:])
	}
	b.WriteString("]}")
	return b.Bytes()
}

// BenchmarkGzip is what compressing one answer costs at the level chosen
// and at gzip's default, for a page of 100 positions and for one.
func BenchmarkGzip(b *testing.B) {
	for _, n := range []int{1, 100} {
		body := page(b, n)
		for _, level := range []int{gzipLevel, gzip.DefaultCompression} {
			b.Run(fmt.Sprintf("positions=%d/level=%d", n, level), func(b *testing.B) {
				var buf bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&buf, level)
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					buf.Reset()
					zw.Reset(&buf)
					_, _ = zw.Write(body)
					_ = zw.Close()
				}
				b.ReportMetric(float64(buf.Len()), "gzip-bytes")
				b.ReportMetric(float64(len(body)), "json-bytes")
			})
		}
		b.Run(fmt.Sprintf("positions=%d/pooled", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				g, _ := gzipped(body)
				g.release()
			}
		})
	}
}
