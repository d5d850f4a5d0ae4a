package graphapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestDollarPrefixOptionalOnBeta pins issue 4's "on /beta the $ prefix is
// optional (filter= works like $filter=), as in Graph", option by option,
// through a listener: each query without its $ answers exactly what it
// answers with them (the positions in order, the context's selection,
// @odata.count, whether more remain), and the nextLink of one without $
// leads on to the same next page; /$count takes filter= too.
func TestDollarPrefixOptionalOnBeta(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	ids := createN(t, s, tok, 7)
	base := "/beta/me/profile/positions"
	for _, tc := range []struct {
		query string // with $
		want  []string
	}{
		{"$filter=isCurrent%20eq%20true", []string{ids[0], ids[2], ids[4], ids[6]}},
		{"$filter=startswith(detail/jobTitle,'Job%205')%20or%20detail/layer%20lt%202", []string{ids[0], ids[1], ids[5]}},
		{"$orderby=detail/layer%20desc", []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"$select=isCurrent,detail", ids},
		{"$top=3", ids[:3]},
		{"$skip=5", ids[5:]},
		{"$count=true&$filter=isCurrent%20eq%20false", []string{ids[1], ids[3], ids[5]}},
		{"$filter=detail/layer%20ge%202&$orderby=isCurrent,detail/layer%20desc&$select=id&$top=2&$skip=1&$count=true", []string{ids[3], ids[6]}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			with := s.do(request{path: base + "?" + tc.query, token: tok})
			if got := idsOf(t, with); !slices.Equal(got, tc.want) {
				t.Fatalf("?%s: %v, want %v", tc.query, got, tc.want)
			}
			without := s.do(request{path: base + "?" + strings.ReplaceAll(tc.query, "$", ""), token: tok})
			if got := idsOf(t, without); !slices.Equal(got, tc.want) {
				t.Errorf("without $: %v, want %v", got, tc.want)
			}
			w, wo := with.json(t), without.json(t)
			for _, key := range []string{"@odata.context", "@odata.count"} {
				if w[key] != wo[key] {
					t.Errorf("without $: %s %v, with $ %v", key, wo[key], w[key])
				}
			}
			next, _ := wo["@odata.nextLink"].(string)
			if (next == "") != (w["@odata.nextLink"] == nil) {
				t.Fatalf("without $: nextLink %q, with $ %v", next, w["@odata.nextLink"])
			}
			if next != "" {
				if got, want := idsOf(t, s.follow(t, next, tok)), idsOf(t, s.follow(t, w["@odata.nextLink"].(string), tok)); !slices.Equal(got, want) {
					t.Errorf("the next page without $: %v, with $ %v", got, want)
				}
			}
		})
	}
	// And /$count.
	if resp := s.do(request{path: base + "/$count?filter=isCurrent%20eq%20true", token: tok}); resp.status != http.StatusOK || string(resp.body) != "4" {
		t.Errorf("/$count?filter=…: %d %s, want 4", resp.status, resp.body)
	}
}
