package graphapi

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// gzipMinBytes is the smallest body sent gzip-compressed: below about a
// kilobyte the saving is a few hundred bytes at most (a packet either way),
// and gzip's own header and trailer take 18 of them.
const gzipMinBytes = 1024

// gzipLevel trades ratio for speed: Graph's JSON (repeated property names,
// nulls) shrinks about fivefold even at the fastest level, which costs a
// fraction of the default level's time (BenchmarkGzip).
const gzipLevel = gzip.BestSpeed

// gzipper is a reusable gzip writer and the buffer it fills.
type gzipper struct {
	buf bytes.Buffer
	zw  *gzip.Writer
}

var gzipPool = sync.Pool{New: func() any {
	g := &gzipper{}
	g.zw, _ = gzip.NewWriterLevel(&g.buf, gzipLevel) // a valid level: no error
	return g
}}

// gzipped returns body compressed, in a pooled gzipper that the caller
// gives back with release once the bytes are written.
func gzipped(body []byte) (*gzipper, []byte) {
	g := gzipPool.Get().(*gzipper)
	g.buf.Reset()
	g.zw.Reset(&g.buf)
	_, _ = g.zw.Write(body) // a bytes.Buffer does not fail
	_ = g.zw.Close()
	return g, g.buf.Bytes()
}

// release gives g back to the pool, unless a huge body grew its buffer.
func (g *gzipper) release() {
	if g.buf.Cap() <= 1<<20 {
		gzipPool.Put(g)
	}
}

// acceptsGzip reports whether Accept-Encoding (RFC 9110 12.5.3) takes gzip:
// gzip, x-gzip or * with a non-zero quality, and no explicit refusal.
func acceptsGzip(h http.Header) bool {
	accepted, star := false, false
	for _, line := range h.Values("Accept-Encoding") {
		for item := range strings.SplitSeq(line, ",") {
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			ok := qualityAboveZero(params)
			switch coding {
			case "gzip", "x-gzip":
				if !ok {
					return false
				}
				accepted = true
			case "*":
				star = ok
			}
		}
	}
	return accepted || star
}

// qualityAboveZero reads the q parameter of an Accept-Encoding item: absent
// is 1; q=0 (0.0, 0.00 …) refuses the coding.
func qualityAboveZero(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(name), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			return err == nil && q > 0
		}
	}
	return true
}
