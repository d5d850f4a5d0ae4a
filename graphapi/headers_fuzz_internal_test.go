package graphapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/odata"
)

// The parsers of request headers a client or a proxy writes (Prefer,
// Accept-Encoding, Forwarded and X-Forwarded-*, Origin, the armed fault's
// header) and of serve's --throttle-limit, fuzzed: never a panic, and what
// each reads holds its invariant. A header's field lines are one list
// joined by commas (RFC 9110 5.3), so a value split over two lines must
// read as the same value on one.

// splitLines is value's comma-separated list as two field lines, split at
// the first comma (one line when it has none).
func splitLines(name, value string) http.Header {
	h := http.Header{}
	if a, b, ok := strings.Cut(value, ","); ok {
		h[name] = []string{a, b}
	} else {
		h[name] = []string{value}
	}
	return h
}

// FuzzPreferredMaxPageSize: a usable odata.maxpagesize is a page size of 1
// to odata.MaxPageSize, the same whether the list is on one field line or
// two, and a preference written alone is read as written (clamped).
func FuzzPreferredMaxPageSize(f *testing.F) {
	for _, seed := range []string{"odata.maxpagesize=5", `maxpagesize="20"`, "respond-async, odata.maxpagesize=1000", "odata.maxpagesize=0",
		"odata.maxpagesize=99999999999999999999", "return=minimal;x=1, ODATA.MAXPAGESIZE = 3 ;y", "odata.maxpagesize=-1", "odata.maxpagesize=+7", ""} {
		f.Add(seed, uint16(5))
	}
	f.Fuzz(func(t *testing.T, value string, n uint16) {
		one := http.Header{"Prefer": {value}}
		size, ok := preferredMaxPageSize(one)
		if ok && (size < 1 || size > odata.MaxPageSize) {
			t.Fatalf("Prefer %q: page size %d accepted", value, size)
		}
		if !ok && size != 0 {
			t.Fatalf("Prefer %q: no usable preference, but size %d", value, size)
		}
		if size2, ok2 := preferredMaxPageSize(splitLines("Prefer", value)); size2 != size || ok2 != ok {
			t.Fatalf("Prefer %q on two lines: %d, %v; on one: %d, %v", value, size2, ok2, size, ok)
		}
		alone := http.Header{"Prefer": {"odata.maxpagesize=" + strconv.Itoa(int(n))}}
		if got, ok := preferredMaxPageSize(alone); n == 0 && ok || n > 0 && (!ok || got != min(int(n), odata.MaxPageSize)) {
			t.Fatalf("odata.maxpagesize=%d: %d, %v", n, got, ok)
		}
	})
}

// FuzzAcceptsGzip: the answer does not depend on how the list is split
// into lines, and an explicit gzip;q=0 always refuses gzip.
func FuzzAcceptsGzip(f *testing.F) {
	for _, seed := range []string{"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8, *;q=0.1", "*", "*;q=0", "gzip;q=0, *", "x-gzip", "identity", "GZIP ; Q=0.000", "gzip;q=abc", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got := acceptsGzip(http.Header{"Accept-Encoding": {value}})
		if split := acceptsGzip(splitLines("Accept-Encoding", value)); split != got {
			t.Fatalf("Accept-Encoding %q: %v on one line, %v on two", value, got, split)
		}
		if refused := value + ", gzip;q=0"; acceptsGzip(http.Header{"Accept-Encoding": {refused}}) {
			t.Fatalf("Accept-Encoding %q takes gzip", refused)
		}
	})
}

// FuzzForwarded: what a proxy forwards becomes the scheme and host of
// absolute URLs, so a host read is one a URL can hold, as the only host of
// scheme://host/…: nothing of it spills into the path, query, fragment or
// user information.
func FuzzForwarded(f *testing.F) {
	for _, seed := range [][3]string{
		{`for=192.0.2.60;proto=https;host=graph.example.com`, "", ""},
		{`host="graph.example.com:8443";proto=HTTPS, for=10.0.0.1`, "", ""},
		{`for="[2001:db8::1]";host=[2001:db8::1]:443`, "", ""},
		{"", "https, http", "graph.example.com, proxy.internal"},
		{"", "HTTP", "a.example/evil?x#y"},
		{`host=a@b`, "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, fwd, xproto, xhost string) {
		h := http.Header{}
		for name, v := range map[string]string{"Forwarded": fwd, "X-Forwarded-Proto": xproto, "X-Forwarded-Host": xhost} {
			if v != "" {
				h.Set(name, v)
			}
		}
		proto, host := forwarded(h)
		if proto != strings.ToLower(proto) {
			t.Fatalf("proto %q not in lower case", proto)
		}
		if host == "" {
			return
		}
		u, err := url.Parse("https://" + host + "/beta")
		if err != nil || u.Host != host || u.Path != "/beta" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("forwarded host %q (Forwarded %q, X-Forwarded-Host %q) is no URL's host: %v %#v", host, fwd, xhost, err, u)
		}
	})
}

// FuzzCORSOrigins: an origin --cors-origins accepts is allowed when a
// browser names it (as browsers serialize it) and reads back as itself; an
// origin not in the list is never allowed.
func FuzzCORSOrigins(f *testing.F) {
	for _, seed := range [][2]string{
		{"https://app.example.com", "https://app.example.com"},
		{"HTTPS://App.Example.com:443/", "https://app.example.com"},
		{"http://[::1]:3000", "http://[::1]:3000"},
		{"http://localhost:80", "http://localhost"},
		{"*", "null"},
		{"https://bücher.example", "https://xn--bcher-kva.example"},
		{"https://a.example/path", "https://a.example"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, configured, origin string) {
		p, err := newCORSPolicy([]string{configured})
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") && !strings.ContainsAny(configured, "\r\n") {
				t.Errorf("error for %q spans lines: %v", configured, err)
			}
			return
		}
		if p.only == nil {
			if strings.TrimSpace(configured) != "*" {
				t.Fatalf("%q opens CORS to every origin", configured)
			}
			return
		}
		if len(p.only) != 1 {
			t.Fatalf("%q: %d origins", configured, len(p.only))
		}
		for allowed := range p.only {
			if got := p.allowOrigin(allowed); got != allowed {
				t.Fatalf("%q: its own origin %q gets %q", configured, allowed, got)
			}
			if got := p.allowOrigin(origin); got != "" && !strings.EqualFold(origin, allowed) {
				t.Fatalf("%q allows the origin %q (want only %q)", configured, origin, allowed)
			}
		}
	})
}

// FuzzParseFaultHeader: an armed fault is a 429, 503 or 504 with a
// Retry-After of 1 to MaxRetryAfter, or a delay of at most
// MaxFaultLatency; a refusal is one line.
func FuzzParseFaultHeader(f *testing.F) {
	for _, seed := range []string{"429", "503;retry-after=7", " 504 ; retry-after=179", "latency=250ms", "latency=31s", "429;retry-after=0", "418", "503;x=1", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got, err := parseFaultHeader(value)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") && !strings.ContainsAny(value, "\r\n") {
				t.Errorf("error for %q spans lines: %v", value, err)
			}
			return
		}
		switch got.status {
		case 0:
			if got.delay <= 0 || got.delay > MaxFaultLatency {
				t.Fatalf("%q: delay %v", value, got.delay)
			}
		case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			if got.retryAfter < 1 || got.retryAfter > MaxRetryAfter || got.delay != 0 {
				t.Fatalf("%q: %+v", value, got)
			}
		default:
			t.Fatalf("%q: status %d", value, got.status)
		}
	})
}

// FuzzParseThrottleLimit: a limit read is on, lets a caller's request come
// back within MaxRetryAfter seconds, and its String reads back as itself.
func FuzzParseThrottleLimit(f *testing.F) {
	for _, seed := range []string{"3500/10s", "60/1m", "5/s", "1/179s", "1/180s", "1000000000/1ns", "0/1s", "1/0s", "+5/s", "5/-1s", "5/1.5h"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseThrottleLimit(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") && !strings.ContainsAny(s, "\r\n") {
				t.Errorf("error for %q spans lines: %v", s, err)
			}
			return
		}
		if !l.On() || 1/l.perSecond() > MaxRetryAfter {
			t.Fatalf("ParseThrottleLimit(%q) = %+v", s, l)
		}
		if again, err := ParseThrottleLimit(l.String()); err != nil || again != l {
			t.Fatalf("ParseThrottleLimit(%q).String() = %q reads back as %+v, %v", s, l.String(), again, err)
		}
	})
}
