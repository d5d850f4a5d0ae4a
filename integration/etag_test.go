package integration_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/token"
)

// TestETagsOnEveryStore pins issue 5's optimistic concurrency "on both
// stores", over HTTP through a server on each: every position has an ETag,
// the ETag header and @odata.etag alike (in a create's, a get's, an
// update's answer and in a list), changing on every update; If-Match on
// PATCH and on DELETE is honoured, * too, and one that does not match is
// 412 preconditionFailed in Graph's envelope with the position unchanged.
func TestETagsOnEveryStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t, 1)[0]
			dev := newDevIssuer(t)
			base := startServer(t, store, dev) + positionsPath
			tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: "5e7f0000-0000-4000-8000-0000000000e7",
				UserPrincipalName: "etags@contoso.test", DisplayName: "ETags", Scopes: []string{"User.ReadWrite"}})
			if err != nil {
				t.Fatal(err)
			}
			c := (&client{t: t, token: tok, http: &http.Client{Timeout: 30 * time.Second}}).with(t)

			// tagged checks that r carries an ETag, the same in the header
			// and the body, and returns it.
			tagged := func(what string, r reply) string {
				t.Helper()
				if r.etag == "" || r.body["@odata.etag"] != r.etag {
					t.Fatalf("%s: ETag header %q, @odata.etag %v: want the same entity tag in both", what, r.etag, r.body["@odata.etag"])
				}
				return r.etag
			}
			created := c.must(http.MethodPost, base, `{"detail":{"jobTitle":"Tagged"}}`, http.StatusCreated)
			id := created.body["id"].(string)
			item := base + "/" + id
			tags := []string{tagged("create", created)}
			if got := tagged("get", c.must(http.MethodGet, item, "", http.StatusOK)); got != tags[0] {
				t.Errorf("get: ETag %q, the create said %q", got, tags[0])
			}
			list := c.must(http.MethodGet, base, "", http.StatusOK)
			if v, _ := list.body["value"].([]any); len(v) != 1 || v[0].(map[string]any)["@odata.etag"] != tags[0] {
				t.Errorf("list: %s, want the position with @odata.etag %s", list.raw, tags[0])
			}
			// Every update changes it, one that changes no value too.
			for _, body := range []string{`{"isCurrent":true}`, `{"isCurrent":true}`, `{}`} {
				tag := tagged("PATCH "+body, c.must(http.MethodPatch, item, body, http.StatusOK))
				for _, old := range tags {
					if tag == old {
						t.Errorf("PATCH %s: ETag %q again", body, tag)
					}
				}
				tags = append(tags, tag)
			}
			current := func() string {
				t.Helper()
				return tagged("get", c.must(http.MethodGet, item, "", http.StatusOK))
			}
			refused := func(method, ifMatch string) {
				t.Helper()
				before := current()
				r, err := c.do(method, item, `{"isCurrent":false}`, map[string]string{"If-Match": ifMatch})
				if err != nil {
					t.Fatal(err)
				}
				e, _ := r.body["error"].(map[string]any)
				if r.status != http.StatusPreconditionFailed || e["code"] != "preconditionFailed" || e["message"] == "" {
					t.Errorf("%s with If-Match %s: %d %s, want 412 preconditionFailed", method, ifMatch, r.status, r.raw)
				}
				if after := c.must(http.MethodGet, item, "", http.StatusOK); after.etag != before || after.body["isCurrent"] != true {
					t.Errorf("%s with If-Match %s refused, then ETag %q (was %q), isCurrent %v", method, ifMatch, after.etag, before, after.body["isCurrent"])
				}
			}
			for _, method := range []string{http.MethodPatch, http.MethodDelete} {
				refused(method, tags[0])     // stale
				refused(method, `"unknown"`) // never was
			}
			// Met: the current tag, then *.
			if r, err := c.do(http.MethodPatch, item, `{"detail":{"role":"matched"}}`, map[string]string{"If-Match": current()}); err != nil || r.status != http.StatusOK {
				t.Errorf("PATCH with the current ETag: %d %s %v", r.status, r.raw, err)
			}
			if r, err := c.do(http.MethodPatch, item, `{"detail":{"role":"any"}}`, map[string]string{"If-Match": "*"}); err != nil || r.status != http.StatusOK {
				t.Errorf("PATCH with If-Match *: %d %s %v", r.status, r.raw, err)
			}
			if role := c.must(http.MethodGet, item, "", http.StatusOK).body["detail"].(map[string]any)["role"]; role != "any" {
				t.Errorf("after PATCHes with met If-Match: role %v, want any", role)
			}
			if r, err := c.do(http.MethodDelete, item, "", map[string]string{"If-Match": "*"}); err != nil || r.status != http.StatusNoContent {
				t.Errorf("DELETE with If-Match *: %d %s %v", r.status, r.raw, err)
			}
			c.must(http.MethodGet, item, "", http.StatusNotFound)
			other := c.must(http.MethodPost, base, `{}`, http.StatusCreated)
			if r, err := c.do(http.MethodDelete, base+"/"+other.body["id"].(string), "", map[string]string{"If-Match": tagged("create", other)}); err != nil || r.status != http.StatusNoContent {
				t.Errorf("DELETE with the current ETag: %d %s %v", r.status, r.raw, err)
			}
			c.must(http.MethodGet, base+"/"+other.body["id"].(string), "", http.StatusNotFound)
		})
	}
}
