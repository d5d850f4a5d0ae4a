package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/token"
)

const tenantA = "0d2c6b6e-0000-4000-8000-00000000000a"

// TestServers runs the checks that concern several servers on one database:
// each store of a backend's database gets its own graphprofile server (one
// for SQLite, two for PostgreSQL, each with its own pool). A position
// created through one server is read, updated and deleted through another,
// and concurrent PATCHes through all of them of different properties of one
// position all take effect (no lost update).
func TestServers(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			stores := b.open(t, 2)
			dev := newDevIssuer(t)
			urls := make([]string, len(stores))
			for i, store := range stores {
				urls[i] = startServer(t, store, dev)
			}
			tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: "5e7f0000-0000-4000-8000-0000000000e1",
				UserPrincipalName: "servers@contoso.test", DisplayName: "Servers", Scopes: []string{"User.ReadWrite"}})
			if err != nil {
				t.Fatal(err)
			}
			c := &client{t: t, token: tok, http: &http.Client{Timeout: 30 * time.Second}}
			t.Run("AcrossServers", func(t *testing.T) { testAcrossServers(t, c.with(t), urls) })
			t.Run("NoLostUpdate", func(t *testing.T) { testNoLostUpdate(t, c.with(t), urls) })
		})
	}
}

// newDevIssuer returns a development issuer with a key of the test's own.
func newDevIssuer(t *testing.T) *token.DevIssuer {
	t.Helper()
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(t.TempDir(), "devkey.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// startServer starts a graphprofile server over store that trusts dev's
// tokens, stops it when the test ends, and returns its URL.
func startServer(t *testing.T, store graphprofile.Store, dev *token.DevIssuer) string {
	t.Helper()
	return serveService(t, &graphprofile.Service{Store: store}, dev)
}

// serveService starts a graphprofile server of service that trusts dev's
// tokens, stops it when the test ends, and returns its URL.
func serveService(t *testing.T, service *graphprofile.Service, dev *token.DevIssuer) string {
	t.Helper()
	srv := &graphapi.Server{
		Service:       service,
		Authenticator: token.NewValidator(nil, dev),
		Addr:          "127.0.0.1:0",
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	return srv.URL()
}

// client sends requests with one token.
type client struct {
	t     *testing.T
	token string
	http  *http.Client
}

// with returns c failing t instead of c's test.
func (c *client) with(t *testing.T) *client {
	cc := *c
	cc.t = t
	return &cc
}

type reply struct {
	status int
	etag   string
	body   map[string]any
	raw    []byte
}

func (c *client) do(method, url, body string, header map[string]string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, etag: resp.Header.Get("ETag"), raw: raw}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			return r, fmt.Errorf("%s %s: %d, body not JSON: %s", method, url, r.status, raw)
		}
	}
	return r, nil
}

// must is do for the test goroutine, checking the status.
func (c *client) must(method, url, body string, status int) reply {
	c.t.Helper()
	r, err := c.do(method, url, body, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if r.status != status {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, url, r.status, status, r.raw)
	}
	return r
}

const positionsPath = "/beta/me/profile/positions"

func testAcrossServers(t *testing.T, c *client, urls []string) {
	a, b := urls[0], urls[len(urls)-1]
	created := c.must(http.MethodPost, a+positionsPath, `{"detail":{"jobTitle":"Made on A"}}`, http.StatusCreated)
	id := created.body["id"].(string)
	got := c.must(http.MethodGet, b+positionsPath+"/"+id, "", http.StatusOK)
	if title := got.body["detail"].(map[string]any)["jobTitle"]; title != "Made on A" || got.etag != created.etag {
		t.Errorf("read on B: jobTitle %v, ETag %q (A said %q)", title, got.etag, created.etag)
	}
	updated := c.must(http.MethodPatch, b+positionsPath+"/"+id, `{"detail":{"role":"Changed on B"}}`, http.StatusOK)
	again := c.must(http.MethodGet, a+positionsPath+"/"+id, "", http.StatusOK)
	if role := again.body["detail"].(map[string]any)["role"]; role != "Changed on B" || again.etag != updated.etag {
		t.Errorf("read on A after B's update: role %v, ETag %q (B said %q)", role, again.etag, updated.etag)
	}
	// A stale ETag from A is refused on B.
	if r, err := c.do(http.MethodPatch, b+positionsPath+"/"+id, `{"isCurrent":true}`, map[string]string{"If-Match": created.etag}); err != nil || r.status != http.StatusPreconditionFailed {
		t.Errorf("PATCH on B with A's stale ETag: %d %s %v", r.status, r.raw, err)
	} else if e, _ := r.body["error"].(map[string]any); e["code"] != "preconditionFailed" {
		t.Errorf("PATCH on B with A's stale ETag: error %v, want preconditionFailed", e)
	}
	// The refused PATCH changed nothing, on either server.
	if r := c.must(http.MethodGet, a+positionsPath+"/"+id, "", http.StatusOK); r.etag != updated.etag || r.body["isCurrent"] != nil {
		t.Errorf("after the refused PATCH, A reads ETag %q, isCurrent %v (B's update said %q)", r.etag, r.body["isCurrent"], updated.etag)
	}
	if r := c.must(http.MethodDelete, b+positionsPath+"/"+id, "", http.StatusNoContent); len(r.raw) != 0 {
		t.Errorf("DELETE on B answered a body: %s", r.raw)
	}
	gone := c.must(http.MethodGet, a+positionsPath+"/"+id, "", http.StatusNotFound)
	if e, _ := gone.body["error"].(map[string]any); e["code"] != "itemNotFound" || e["message"] != "The workPosition '"+id+"' does not exist in this profile." {
		t.Errorf("GET on A after B's DELETE: error %v, want itemNotFound naming %s", e, id)
	}
	if list := c.must(http.MethodGet, a+positionsPath, "", http.StatusOK); fmt.Sprint(list.body["value"]) != "[]" {
		t.Errorf("A lists %v after B's DELETE, want []", list.body["value"])
	}
}

// leaf is one independently settable value of a position: a path of
// property names and a value for it.
type leaf struct {
	path  []string
	value any
}

// settableLeaves lists every single-valued property a client may set, at any
// depth of complex values, with a value each: the properties one PATCH can
// change without touching another's.
func settableLeaves(t *graphprofile.Type, prefix []string, n *int) []leaf {
	var out []leaf
	for _, p := range t.Properties {
		if p.ServerManaged || p.WriteOnly || p.Collection {
			continue
		}
		path := append(slices.Clone(prefix), p.Name)
		*n++
		switch p.Type.Kind {
		case graphprofile.KindComplex:
			*n--
			out = append(out, settableLeaves(p.Type, path, n)...)
			continue
		case graphprofile.KindString:
			out = append(out, leaf{path, fmt.Sprintf("value %d", *n)})
		case graphprofile.KindBoolean:
			out = append(out, leaf{path, true})
		case graphprofile.KindInt32:
			out = append(out, leaf{path, float64(*n)})
		case graphprofile.KindDouble:
			out = append(out, leaf{path, float64(*n) / 100})
		case graphprofile.KindDate:
			out = append(out, leaf{path, fmt.Sprintf("2001-01-%02d", *n%28+1)})
		case graphprofile.KindEnum:
			out = append(out, leaf{path, p.Type.Members[len(p.Type.Members)-2]})
		}
	}
	return out
}

func (l leaf) body() string {
	var v any = l.value
	for i := len(l.path) - 1; i >= 0; i-- {
		v = map[string]any{l.path[i]: v}
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// testNoLostUpdate sends 50 concurrent writers at one position through all
// servers: one for each independently settable property (plain PATCH, no
// If-Match: a merge must keep the others' changes), and the rest appending
// their own category with If-Match and a retry on 412 (a collection is
// replaced whole, so only optimistic concurrency makes appends safe). Every
// change must be there at the end.
func testNoLostUpdate(t *testing.T, c *client, urls []string) {
	const writers = 50
	n := 0
	leaves := settableLeaves(graphprofile.WorkPositionType, nil, &n)
	if len(leaves) >= writers {
		leaves = leaves[:writers-1]
	}
	appenders := writers - len(leaves)
	id := c.must(http.MethodPost, urls[0]+positionsPath, `{}`, http.StatusCreated).body["id"].(string)

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i, l := range leaves {
		url := urls[i%len(urls)] + positionsPath + "/" + id
		wg.Go(func() {
			r, err := c.do(http.MethodPatch, url, l.body(), nil)
			if err == nil && r.status != http.StatusOK {
				err = fmt.Errorf("PATCH %s: %d %s", l.body(), r.status, r.raw)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	for i := range appenders {
		url := urls[i%len(urls)] + positionsPath + "/" + id
		mine := fmt.Sprintf("category %d", i)
		wg.Go(func() {
			for range 500 {
				cur, err := c.do(http.MethodGet, url, "", nil)
				if err != nil || cur.status != http.StatusOK {
					errs <- fmt.Errorf("GET: %v %d", err, cur.status)
					return
				}
				cats, _ := cur.body["categories"].([]any)
				next, _ := json.Marshal(map[string]any{"categories": append(cats, mine)})
				r, err := c.do(http.MethodPatch, url, string(next), map[string]string{"If-Match": cur.etag})
				switch {
				case err != nil:
					errs <- err
					return
				case r.status == http.StatusOK:
					return
				case r.status != http.StatusPreconditionFailed:
					errs <- fmt.Errorf("PATCH with If-Match: %d %s", r.status, r.raw)
					return
				}
			}
			errs <- fmt.Errorf("%s: still 412 after 500 tries", mine)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	final := c.must(http.MethodGet, urls[len(urls)-1]+positionsPath+"/"+id, "", http.StatusOK).body
	for _, l := range leaves {
		var v any = final
		for _, name := range l.path {
			v, _ = v.(map[string]any)[name]
		}
		if v != l.value {
			t.Errorf("%s = %v, want %v: a concurrent update was lost", strings.Join(l.path, "/"), v, l.value)
		}
	}
	cats, _ := final["categories"].([]any)
	for i := range appenders {
		if !slices.Contains(cats, any(fmt.Sprintf("category %d", i))) {
			t.Errorf("category %d was lost; categories: %v", i, cats)
		}
	}
	if len(cats) != appenders {
		t.Errorf("%d categories, want %d", len(cats), appenders)
	}
	t.Logf("%d writers: %d properties by plain PATCH, %d categories by If-Match, through %d servers", writers, len(leaves), appenders, len(urls))
}
