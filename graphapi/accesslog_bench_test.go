package graphapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/token"
)

// BenchmarkAccessLog is what the access log adds to a cheap request (GET
// /beta/me, from the store's cache), handler to body: without it, with a
// text line and with a JSON line (to io.Discard: the cost of building and
// formatting the line, not of the terminal or file it goes to), and with
// the admin API's journal recording it too.
func BenchmarkAccessLog(b *testing.B) {
	text := slog.New(slog.NewTextHandler(io.Discard, nil))
	json := slog.New(slog.NewJSONHandler(io.Discard, nil))
	benchGetMe(b, []serverVariant{
		{"off", func(*graphapi.Server) {}},
		{"text", func(s *graphapi.Server) { s.AccessLog = text }},
		{"json", func(s *graphapi.Server) { s.AccessLog = json }},
		{"json+journal", func(s *graphapi.Server) { s.AccessLog, s.AdminToken = json, adminToken }},
	})
}

// serverVariant is one configuration of a server a benchmark compares.
type serverVariant struct {
	name      string
	configure func(*graphapi.Server)
}

// benchGetMe runs GET /beta/me (a cheap request: the user from the store's
// cache), handler to body, against a server of each variant, one
// sub-benchmark each.
func benchGetMe(b *testing.B, variants []serverVariant) {
	store, dev := benchStore(b)
	tok := benchToken(b, dev, "User.Read")
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev)}
			v.configure(srv)
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/beta/me", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET /beta/me: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
