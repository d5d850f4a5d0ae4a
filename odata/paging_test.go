package odata_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// walk follows NextSkipToken from the first page of rawQuery to the last and
// returns the pages.
func walk(t *testing.T, items []graphprofile.Object, rawQuery, binding string) []odata.Result {
	t.Helper()
	q := mustParse(t, rawQuery)
	var pages []odata.Result
	for {
		res, err := q.Apply(context.Background(), items, binding)
		if err != nil {
			t.Fatalf("%s, page %d: %v", rawQuery, len(pages)+1, err)
		}
		pages = append(pages, res)
		if res.NextSkipToken == "" {
			return pages
		}
		if len(pages) > len(items)+1 {
			t.Fatalf("%s: more pages than items", rawQuery)
		}
		// As a client does: the token goes back through the query string.
		q = mustParse(t, rawQuery+"&$skiptoken="+url.QueryEscape(res.NextSkipToken))
	}
}

// TestPagingWalk: following the tokens with any $top yields the whole ordered
// list exactly once, in order; $count is on the first page only.
func TestPagingWalk(t *testing.T) {
	items := dataset()
	for _, options := range []string{
		"",
		"$orderby=detail/layer desc",
		"$orderby=detail/jobTitle",
		"$orderby=allowedAudiences,detail/startMonthYear desc",
		"$orderby=isCurrent desc, detail/layer",
		"$orderby=inference/confidenceScore",
		"$filter=isCurrent ne true",
		"$filter=allowedAudiences has 'organization'&$orderby=createdDateTime desc",
		"$filter=categories/any(c: c eq 'nothing')",
	} {
		name := options
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			whole := mustParse(t, options+"&$top=999")
			all, err := whole.Apply(context.Background(), items, "tenant/user")
			if err != nil {
				t.Fatal(err)
			}
			for _, top := range []int{1, 2, 3, 7, 8, 9} { // 8 positions
				pages := walk(t, items, fmt.Sprintf("%s&$top=%d&$count=true", options, top), "tenant/user")
				var got []graphprofile.Object
				for i, p := range pages {
					if len(p.Items) > top || (p.NextSkipToken != "" && len(p.Items) != top) {
						t.Errorf("$top=%d: page %d has %d items (token %q)", top, i+1, len(p.Items), p.NextSkipToken)
					}
					if want := -1; i > 0 && p.Count != want {
						t.Errorf("$top=%d: page %d has Count %d", top, i+1, p.Count)
					}
					got = append(got, p.Items...)
				}
				if pages[0].Count != len(all.Items) {
					t.Errorf("$top=%d: first page Count %d, want %d", top, pages[0].Count, len(all.Items))
				}
				if idsOf(got) != idsOf(all.Items) {
					t.Errorf("$top=%d: walked %s\nwant %s", top, idsOf(got), idsOf(all.Items))
				}
				if wantPages := max(1, (len(all.Items)+top-1)/top); len(pages) != wantPages {
					t.Errorf("$top=%d: %d pages, want %d", top, len(pages), wantPages)
				}
			}
		})
	}
}

// TestPagingSkipAndCount: $skip positions the first page; the tokens go on
// from there; $count counts every match whatever $skip and $top.
func TestPagingSkipAndCount(t *testing.T) {
	items := dataset()
	pages := walk(t, items, "$skip=3&$top=2&$count=true", "b")
	var got []string
	for _, p := range pages {
		got = append(got, idsOf(p.Items))
	}
	if want := []string{"f3 f4", "f5 f6", "f7"}; !slices.Equal(got, want) {
		t.Errorf("pages %q, want %q", got, want)
	}
	if pages[0].Count != 8 || pages[1].Count != -1 || pages[2].Count != -1 {
		t.Errorf("counts %d %d %d", pages[0].Count, pages[1].Count, pages[2].Count)
	}

	for _, tc := range []struct {
		raw, ids string
		count    int
	}{
		{"$filter=isCurrent eq true&$count=true&$top=2", "f8 f1", 4},
		{"$filter=isCurrent eq true&$count=true&$skip=3", "f6", 4},
		{"$filter=isCurrent eq true&$count=true&$skip=4", "", 4},
		{"$filter=isCurrent eq true&$count=true&$skip=999999999", "", 4},
		{"$filter=false&$count=true", "", 0},
		{"$filter=isCurrent eq true&$count=false", "f8 f1 f4 f6", -1},
		{"$filter=isCurrent eq true", "f8 f1 f4 f6", -1},
		{"$skip=7", "f7", -1},
	} {
		res, err := mustParse(t, tc.raw).Apply(context.Background(), items, "b")
		if err != nil {
			t.Fatal(err)
		}
		if idsOf(res.Items) != tc.ids || res.Count != tc.count || res.NextSkipToken != "" && tc.raw != "$filter=isCurrent eq true&$count=true&$top=2" {
			t.Errorf("%s: %s count %d token %q, want %s count %d", tc.raw, idsOf(res.Items), res.Count, res.NextSkipToken, tc.ids, tc.count)
		}
	}

	// With a $skiptoken, $skip is ignored: the token positions the page (a
	// nextLink leaves $skip out, but a client may keep it).
	q := mustParse(t, "$top=2&$skip=3")
	q.SkipToken = pages[0].NextSkipToken
	if res, err := q.Apply(context.Background(), items, "b"); err != nil || idsOf(res.Items) != "f5 f6" {
		t.Errorf("$skip with a $skiptoken: %s %v", idsOf(res.Items), err)
	}

	// The default page is 100 long.
	var many []graphprofile.Object
	for i := range 250 {
		many = append(many, graphprofile.Object{"id": fmt.Sprintf("x%03d", i), "createdDateTime": time.Unix(int64(i/3), 0).UTC()})
	}
	pages = walk(t, many, "", "b")
	if len(pages) != 3 || len(pages[0].Items) != 100 || len(pages[1].Items) != 100 || len(pages[2].Items) != 50 {
		t.Errorf("default paging of 250: %d pages", len(pages))
	}
	if pages[1].Items[0]["id"] != "x100" || pages[2].Items[49]["id"] != "x249" {
		t.Errorf("default paging: page 2 starts at %v, page 3 ends at %v", pages[1].Items[0]["id"], pages[2].Items[49]["id"])
	}
}

// refKey is one key of a reference order, written from the rules (nulls
// first ascending, last descending; then id ascending) independently of
// the package.
type refKey struct {
	get  func(graphprofile.Object) any
	desc bool
}

func refCompare(keys []refKey, a, b graphprofile.Object) int {
	for _, k := range keys {
		x, y := k.get(a), k.get(b)
		var c int
		switch {
		case x == nil && y == nil:
		case x == nil:
			c = -1
		case y == nil:
			c = 1
		default:
			switch x := x.(type) {
			case time.Time:
				c = x.Compare(y.(time.Time))
			case int64:
				c = cmp.Compare(x, y.(int64))
			case string:
				c = strings.Compare(x, y.(string))
			}
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(a["id"].(string), b["id"].(string))
}

func detailOf(p graphprofile.Object, name string) any {
	d, _ := p["detail"].(graphprofile.Object)
	return d[name]
}

// TestPagingUnderChange walks lists while positions are inserted and
// deleted between page fetches, many rounds with a fixed seed, in several
// orders: a position that exists throughout is returned exactly once, no
// position is returned twice, the walk is in order, and a position inserted
// after the cursor that stays is returned too.
func TestPagingUnderChange(t *testing.T) {
	created := func(i int) any { return time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC) }
	orders := []struct {
		orderby string
		keys    []refKey
	}{
		{"", []refKey{{get: func(p graphprofile.Object) any { return p["createdDateTime"] }}}},
		{"detail/layer desc", []refKey{{get: func(p graphprofile.Object) any { return detailOf(p, "layer") }, desc: true}}},
		{"detail/jobTitle", []refKey{{get: func(p graphprofile.Object) any { return detailOf(p, "jobTitle") }}}},
		{"detail/jobTitle desc, createdDateTime", []refKey{
			{get: func(p graphprofile.Object) any { return detailOf(p, "jobTitle") }, desc: true},
			{get: func(p graphprofile.Object) any { return p["createdDateTime"] }},
		}},
	}
	for oi, order := range orders {
		name := order.orderby
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(42, uint64(oi)))
			nextID := 0
			newPosition := func() graphprofile.Object {
				nextID++
				// Ids are random, so a new position sorts anywhere among ties.
				p := graphprofile.Object{"id": fmt.Sprintf("%04d-%d", rng.IntN(10000), nextID), "createdDateTime": created(rng.IntN(4))}
				d := graphprofile.Object{}
				if l := rng.IntN(5); l > 0 {
					d["layer"] = int64(l - 2)
				}
				if j := rng.IntN(5); j > 0 {
					d["jobTitle"] = []string{"", "Engineer", "engineer", "Manager"}[j-1]
				}
				if rng.IntN(4) > 0 {
					p["detail"] = d
				}
				return p
			}
			// Where inserted positions landed relative to the cursor.
			var before, tied, after int
			for round := range 300 {
				var items []graphprofile.Object
				for range rng.IntN(30) {
					items = append(items, newPosition())
				}
				throughout := map[string]bool{}
				for _, p := range items {
					throughout[p["id"].(string)] = true
				}
				mustSee := map[string]bool{} // inserted after the cursor, never deleted
				top := 1 + rng.IntN(6)
				raw := fmt.Sprintf("$top=%d", top)
				if order.orderby != "" {
					raw += "&$orderby=" + url.QueryEscape(order.orderby)
				}
				q := mustParse(t, raw)
				seen := map[string]bool{}
				var last graphprofile.Object
				for page := 0; ; page++ {
					if page > 1000 {
						t.Fatalf("round %d: the walk does not end", round)
					}
					res, err := q.Apply(context.Background(), items, "tenant/user")
					if err != nil {
						t.Fatalf("round %d page %d: %v", round, page, err)
					}
					for _, p := range res.Items {
						id := p["id"].(string)
						if seen[id] {
							t.Fatalf("round %d: %s returned twice", round, id)
						}
						seen[id] = true
						if last != nil && refCompare(order.keys, last, p) >= 0 {
							t.Fatalf("round %d: %s after %s is out of order", round, id, last["id"])
						}
						last = p
					}
					if res.NextSkipToken == "" {
						break
					}
					// Between pages: inserts before the cursor, tied with it, and
					// anywhere; deletes of returned and of unreturned positions.
					for range rng.IntN(4) {
						p := newPosition()
						switch rng.IntN(3) {
						case 0: // the cursor's keys and an id just before or after its own
							p = maps(last)
							nextID++
							id := last["id"].(string)
							if rng.IntN(2) == 0 {
								p["id"] = fmt.Sprintf("%s~%d", id, nextID)
							} else {
								p["id"] = fmt.Sprintf("%s%c~%d", id[:len(id)-1], id[len(id)-1]-1, nextID)
							}
						}
						switch c := refCompare(order.keys, p, last); {
						case c < 0:
							before++
						case refCompare(order.keys[:0], p, last) != 0 && sameKeys(order.keys, p, last):
							tied++
							mustSee[p["id"].(string)] = true
						default:
							after++
							mustSee[p["id"].(string)] = true
						}
						items = append(items, p)
					}
					for range rng.IntN(3) {
						if len(items) == 0 {
							break
						}
						i := rng.IntN(len(items))
						id := items[i]["id"].(string)
						delete(throughout, id)
						delete(mustSee, id)
						items = slices.Delete(items, i, i+1)
					}
					q.SkipToken = res.NextSkipToken
				}
				for id := range throughout {
					if !seen[id] {
						t.Fatalf("round %d: %s, there throughout, was skipped", round, id)
					}
				}
				for id := range mustSee {
					if !seen[id] {
						t.Fatalf("round %d: %s, inserted after the cursor, was skipped", round, id)
					}
				}
			}
			if before == 0 || tied == 0 || after == 0 {
				t.Errorf("inserts before/tied with/after the cursor: %d/%d/%d; the test does not cover them all", before, tied, after)
			}
			t.Logf("inserts before/tied with/after the cursor: %d/%d/%d", before, tied, after)
		})
	}
}

// maps copies a position one level deep.
func maps(p graphprofile.Object) graphprofile.Object {
	out := graphprofile.Object{}
	for k, v := range p {
		out[k] = v
	}
	return out
}

func sameKeys(keys []refKey, a, b graphprofile.Object) bool {
	for _, k := range keys {
		if refCompare([]refKey{k}, withID(a, ""), withID(b, "")) != 0 {
			return false
		}
	}
	return true
}

func withID(p graphprofile.Object, id string) graphprofile.Object {
	out := maps(p)
	out["id"] = id
	return out
}

// TestSkipTokenTampered: a token changed in any way is a 400, never a wrong
// page or a panic.
func TestSkipTokenTampered(t *testing.T) {
	items := dataset()
	res, err := mustParse(t, "$top=5").Apply(context.Background(), items, "tenant/user")
	if err != nil || res.NextSkipToken == "" {
		t.Fatalf("%v %q", err, res.NextSkipToken)
	}
	token := res.NextSkipToken
	payload, mac, ok := strings.Cut(token, ".")
	if !ok {
		t.Fatalf("token %q has no '.'", token)
	}
	// flip changes the top bit of the sextet a base64 character carries: the
	// last character of an unpadded encoding also carries bits the decoder
	// ignores, so changing a low bit there may leave the token's bytes as
	// they were.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] = alphabet[strings.IndexByte(alphabet, b[i])^32]
		return string(b)
	}
	rawPayload, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	changedPayload := strings.Replace(string(rawPayload), `"sf4"`, `"sf3"`, 1)
	if changedPayload == string(rawPayload) {
		t.Fatalf("payload %s does not end at f4", rawPayload)
	}
	cases := map[string]string{
		"payload byte flipped":    flip(payload, len(payload)/2) + "." + mac,
		"first byte flipped":      flip(payload, 0) + "." + mac,
		"mac byte flipped":        payload + "." + flip(mac, 3),
		"mac last byte flipped":   payload + "." + flip(mac, len(mac)-1),
		"payload changed":         base64.RawURLEncoding.EncodeToString([]byte(changedPayload)) + "." + mac,
		"mac truncated":           payload + "." + mac[:len(mac)-2],
		"mac missing":             payload + ".",
		"mac longer":              payload + "." + mac + "AAAA",
		"no dot":                  payload + mac,
		"token truncated":         token[:len(token)/2],
		"payload only":            payload,
		"two dots":                payload + "." + mac + "." + mac,
		"padded base64":           payload + "." + mac + "==",
		"standard base64":         strings.NewReplacer("-", "+", "_", "/").Replace(payload) + "+/." + mac,
		"not base64":              "!!!.???",
		"garbage":                 "garbage",
		"dot":                     ".",
		"space":                   " ",
		"unicode":                 "ünï.cödé",
		"token twice":             token + token,
		"mac of other payload":    base64.RawURLEncoding.EncodeToString([]byte(`{"k":[]}`)) + "." + mac,
		"payload of other length": payload[:len(payload)-4] + "." + mac,
	}
	for name, bad := range cases {
		q := mustParse(t, "$top=5")
		q.SkipToken = bad
		res, err := q.Apply(context.Background(), items, "tenant/user")
		if err == nil {
			t.Errorf("%s: %q gave page %s", name, bad, idsOf(res.Items))
			continue
		}
		badRequest(t, err, -1, "The $skiptoken is not valid for this request")
	}
	// The untouched token works.
	q := mustParse(t, "$top=5")
	q.SkipToken = token
	if res, err := q.Apply(context.Background(), items, "tenant/user"); err != nil || idsOf(res.Items) != "f5 f6 f7" {
		t.Errorf("the untouched token: %s, %v", idsOf(res.Items), err)
	}
}

// TestSkipTokenForeign: a token is valid only for the list, $filter and
// $orderby it was made for.
func TestSkipTokenForeign(t *testing.T) {
	items := dataset()
	tokenOf := func(raw, binding string) string {
		res, err := mustParse(t, raw).Apply(context.Background(), items, binding)
		if err != nil || res.NextSkipToken == "" {
			t.Fatalf("%s: %v %q", raw, err, res.NextSkipToken)
		}
		return res.NextSkipToken
	}
	for _, tc := range []struct {
		name, from, fromBinding, to, toBinding string
	}{
		{"other user", "$top=2", "tenant/userA", "$top=2", "tenant/userB"},
		{"other tenant", "$top=2", "tenantA/user", "$top=2", "tenantB/user"},
		{"other filter", "$top=2&$filter=isCurrent eq true", "b", "$top=2&$filter=isCurrent eq false", "b"},
		{"filter dropped", "$top=2&$filter=isCurrent eq true", "b", "$top=2", "b"},
		{"filter added", "$top=2", "b", "$top=2&$filter=isCurrent ne null", "b"},
		{"filter respelt", "$top=2&$filter=isCurrent eq true", "b", "$top=2&$filter=isCurrent  eq true", "b"},
		{"other orderby", "$top=2&$orderby=id", "b", "$top=2&$orderby=id desc", "b"},
		{"orderby dropped", "$top=2&$orderby=detail/layer", "b", "$top=2", "b"},
		{"same key types, other order", "$top=2&$orderby=detail/jobTitle", "b", "$top=2&$orderby=detail/level", "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := mustParse(t, tc.to)
			q.SkipToken = tokenOf(tc.from, tc.fromBinding)
			res, err := q.Apply(context.Background(), items, tc.toBinding)
			if err == nil {
				t.Fatalf("foreign token gave page %s", idsOf(res.Items))
			}
			badRequest(t, err, -1, "The $skiptoken is not valid for this request; follow @odata.nextLink as it was given.")
		})
	}
	// $top, $select and $count may change along the way.
	q := mustParse(t, "$top=3&$select=id&$count=true")
	q.SkipToken = tokenOf("$top=2", "b")
	if res, err := q.Apply(context.Background(), items, "b"); err != nil || idsOf(res.Items) != "f2 f3 f4" || res.Count != -1 {
		t.Errorf("token with another $top: %s %d %v", idsOf(res.Items), res.Count, err)
	}
}

// digestOf is the digest a $skiptoken's cut key carries of its whole key:
// 64 bits of its SHA-256, base64url.
func digestOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// TestSkipTokenForged: a token with a valid MAC but content that
// graphprofile would never write is a 400, never a panic; one it could have
// written positions the page.
func TestSkipTokenForged(t *testing.T) {
	items := dataset()
	for _, tc := range []struct {
		orderby, payload string
		ids              string // "" for a 400
	}{
		// What graphprofile writes: the page starts after those keys.
		{"", `{"k":["t2024-01-03T00:00:00Z","sf3"]}`, "f4 f5 f6"},
		{"", `{"k":["t2024-01-05T00:00:00Z","sf5"]}`, "f6 f7"},
		{"", `{"k":["t2024-01-05T00:00:00Z","sf55"]}`, "f6 f7"},
		{"", `{"k":["t2024-01-04T12:00:00+02:00","s"]}`, "f5 f6 f7"},
		{"", `{"k":["z","z"]}`, "f8 f1 f2"},
		{"", `{"k":["t9999-12-31T23:59:59Z","s"]}`, "-"},
		{"detail/layer desc", `{"k":["n2","sf2"]}`, "f7 f8 f3"},
		{"detail/layer desc", `{"k":["n2.5","s"]}`, "f2 f7 f8"},
		{"detail/layer desc", `{"k":["z","sf3"]}`, "f4 f6"},
		{"detail/jobTitle", `{"k":["sIntern","sf7"]}`, "f3 f1 f6"},
		// A cut key: its start and its whole key's digest (or, from an
		// earlier version, its start alone) find f7 again.
		{"detail/jobTitle", `{"k":["h` + digestOf("Intern") + `Inte","sf7"]}`, "f3 f1 f6"},
		{"detail/jobTitle", `{"k":["cInte","sf7"]}`, "f3 f1 f6"},
		{"detail/jobTitle", `{"k":["h` + digestOf("Internship") + `Inte","sf7"]}`, "?"}, // f7 changed: before every "Inte…"
		{"detail/jobTitle", `{"k":["hshort","sf7"]}`, ""},
		{"", `{"k":["t2024-01-03T00:00:00Z","h` + digestOf("f3") + `f"]}`, ""}, // the id is never cut
		{"allowedAudiences", `{"k":["scontacts,organization","sf3"]}`, "f7 f5 f2"},
		{"isCurrent", `{"k":["bfalse","sf7"]}`, "f1 f4 f6"},
		{"detail/startMonthYear", `{"k":["d2019-06-01","sf1"]}`, "f5"},
		{"detail/startMonthYear", `{"k":["dnot a date","s"]}`, "-"}, // a Date is compared as text
		// NaN orders nowhere: the page read from the store and the one cut
		// from the whole list began at different places.
		{"detail/layer", `{"k":["nNaN","s"]}`, ""},
		{"inference/confidenceScore", `{"k":["nnan","sf3"]}`, ""},
		{"detail/layer", `{"k":["n+Inf","s"]}`, "-"},
		// Wrong number of keys.
		{"", `{"k":["t2024-01-03T00:00:00Z"]}`, ""},
		{"", `{"k":["t2024-01-03T00:00:00Z","sf3","sf3"]}`, ""},
		{"", `{"k":[]}`, ""},
		{"isCurrent desc, detail/layer", `{"k":["btrue","sf1"]}`, ""},
		{"id", `{"k":["sf1","sf1","sf1"]}`, ""},
		// Wrong key types.
		{"", `{"k":["sf3","sf3"]}`, ""},
		{"", `{"k":["n3","sf3"]}`, ""},
		{"", `{"k":["d2024-01-03","sf3"]}`, ""},
		{"", `{"k":["btrue","sf3"]}`, ""},
		{"", `{"k":["t2024-01-03T00:00:00Z","n3"]}`, ""},
		{"", `{"k":["t2024-01-03T00:00:00Z","t2024-01-03T00:00:00Z"]}`, ""},
		{"detail/layer", `{"k":["s3","sf1"]}`, ""},
		{"detail/layer", `{"k":["t2024-01-03T00:00:00Z","sf1"]}`, ""},
		{"detail/jobTitle", `{"k":["n1","sf1"]}`, ""},
		{"isCurrent", `{"k":["s","sf1"]}`, ""},
		{"detail/startMonthYear", `{"k":["t2024-01-03T00:00:00Z","sf1"]}`, ""},
		{"allowedAudiences", `{"k":["sfriends","sf1"]}`, ""},
		{"allowedAudiences", `{"k":["sorganization,contacts","sf1"]}`, ""}, // not the canonical order
		{"allowedAudiences", `{"k":["s","sf1"]}`, ""},
		{"allowedAudiences", `{"k":["n8","sf1"]}`, ""},
		// Bad keys.
		{"", `{"k":["",""]}`, ""},
		{"", `{"k":["x1","sf3"]}`, ""},
		{"", `{"k":["tyesterday","sf3"]}`, ""},
		{"detail/layer", `{"k":["nthree","sf1"]}`, ""},
		{"isCurrent", `{"k":["bmaybe","sf1"]}`, ""},
		{"", `{"k":[1,2]}`, ""},
		{"", `{"k":[null,null]}`, ""},
		{"", `{"k":"sf1"}`, ""},
		{"", `{"k":null}`, ""},
		{"", `{}`, ""},
		{"", `null`, ""},
		{"", `[]`, ""},
		{"", `"x"`, ""},
		{"", ``, ""},
		{"", `{"k":["t2024-01-03T00:00:00Z","sf3"]`, ""},
		{"", "\xff\xfe", ""},
	} {
		t.Run(tc.orderby+" "+tc.payload, func(t *testing.T) {
			raw := "$top=3"
			if tc.orderby != "" {
				raw += "&$orderby=" + url.QueryEscape(tc.orderby)
			}
			q := mustParse(t, raw)
			q.SkipToken = odata.ForgeSkipToken(q, "b", []byte(tc.payload))
			res, err := q.Apply(context.Background(), items, "b")
			switch tc.ids {
			case "":
				if err == nil {
					t.Fatalf("forged token gave page %s", idsOf(res.Items))
				}
				badRequest(t, err, -1, "The $skiptoken is not valid")
			case "?":
			case "-":
				if err != nil || len(res.Items) != 0 || res.NextSkipToken != "" {
					t.Errorf("got %s %q %v, want an empty last page", idsOf(res.Items), res.NextSkipToken, err)
				}
			default:
				if err != nil || idsOf(res.Items) != tc.ids {
					t.Errorf("got %s (%v), want %s", idsOf(res.Items), err, tc.ids)
				}
			}
		})
	}
}

// TestForgeSkipTokenIsFaithful: the forging helper writes the tokens Apply
// writes, so the forged cases above test what they say.
func TestForgeSkipTokenIsFaithful(t *testing.T) {
	q := mustParse(t, "$top=5&$filter=isCurrent ne null&$orderby=detail/layer desc")
	res, err := q.Apply(context.Background(), dataset(), "tenant/user")
	if err != nil || res.NextSkipToken == "" {
		t.Fatal(err)
	}
	payload, _, _ := strings.Cut(res.NextSkipToken, ".")
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"k":["n-1","sf8"]}` {
		t.Errorf("payload %s", data)
	}
	if forged := odata.ForgeSkipToken(q, "tenant/user", data); forged != res.NextSkipToken {
		t.Errorf("forged %q, want %q", forged, res.NextSkipToken)
	}
}

// walksFrom follows query's pages over items from token to the end, read
// whole (Apply) and streamed (Run), and returns the ids each walk gave, by
// reader; a walk of more than maxPages pages stops the test.
func walksFrom(t *testing.T, items []graphprofile.Object, query, token string, maxPages int) map[string][]string {
	t.Helper()
	walks := map[string][]string{}
	for name, answer := range map[string]func(odata.Query) (odata.Result, error){
		"Apply": func(q odata.Query) (odata.Result, error) { return q.Apply(t.Context(), items, "tenant/user") },
		"Run": func(q odata.Query) (odata.Result, error) {
			return q.Run(t.Context(), newSliceSource(items).scan, "tenant/user")
		},
	} {
		got := []string{}
		for token, page := token, 0; token != ""; page++ {
			if page > maxPages {
				t.Fatalf("%s: the walk does not end", name)
			}
			res, err := answer(mustParse(t, query+"&$skiptoken="+url.QueryEscape(token)))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, it := range res.Items {
				got = append(got, it["id"].(string))
			}
			token = res.NextSkipToken
		}
		walks[name] = got
	}
	return walks
}

// cloneObject copies obj's top level.
func cloneObject(obj graphprofile.Object) graphprofile.Object {
	c := make(graphprofile.Object, len(obj))
	for k, v := range obj {
		c[k] = v
	}
	return c
}

// TestSkipTokenOfLongKeys: a page ordered by long strings (the last
// entity's keys are carried in its $skiptoken) still has a $skiptoken a
// URL can carry: kilobytes, not the keys' whole size (a server refused its
// own nextLink of 160 KB, past the request head's bound). Long keys are
// carried cut, with the id that finds the entity again, and the walk still
// yields every entity once, in order, whether the list is read whole
// (Apply) or streamed (Run), with ties between the cut parts and with
// entities deleted between pages.
func TestSkipTokenOfLongKeys(t *testing.T) {
	// Descriptions of 2,000 emoji (8,000 bytes), most sharing all but their
	// last rune; summaries of 1,000 "<" (escaped by JSON as \u003c) and
	// titles of 1,500 bytes, the three long keys of the order.
	long := func(s string, n int, last string) string { return strings.Repeat(s, n) + last }
	var items []graphprofile.Object
	for i := range 24 {
		at := time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC)
		items = append(items, graphprofile.Object{
			"id": fmt.Sprintf("p%02d", i), "createdDateTime": at, "lastModifiedDateTime": at,
			"detail": graphprofile.Object{
				"description": long("😀", 2000, string(rune('a'+i%5))),
				"summary":     long("<", 1000, string(rune('a'+i%3))),
				"jobTitle":    long("t", 1500, string(rune('a'+i%7))),
			},
		})
	}
	const raw = "$orderby=detail/description,detail/summary desc,detail/jobTitle"
	whole, err := mustParse(t, raw+"&$top=999").Apply(t.Context(), items, "tenant/user")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"count=-1"}
	for _, it := range whole.Items {
		want = append(want, it["id"].(string))
	}
	const maxToken = 8 << 10
	for _, top := range []int{1, 2, 5} {
		answers := map[string]func(odata.Query) (odata.Result, error){
			"Apply": func(q odata.Query) (odata.Result, error) { return q.Apply(t.Context(), items, "tenant/user") },
			"Run": func(q odata.Query) (odata.Result, error) {
				return q.Run(t.Context(), newSliceSource(items).scan, "tenant/user")
			},
		}
		for name, answer := range answers {
			query := fmt.Sprintf("%s&$top=%d", raw, top)
			var got []string
			token := ""
			for page := 0; ; page++ {
				if page > len(items) {
					t.Fatalf("%s, %s: more pages than items", name, query)
				}
				q := query
				if token != "" {
					q += "&$skiptoken=" + url.QueryEscape(token)
				}
				res, err := answer(mustParse(t, q))
				if err != nil {
					t.Fatalf("%s, %s, page %d: %v", name, query, page+1, err)
				}
				if page == 0 {
					got = append(got, fmt.Sprintf("count=%d", res.Count))
				}
				for _, it := range res.Items {
					got = append(got, it["id"].(string))
				}
				if n := len(url.QueryEscape(res.NextSkipToken)); n > maxToken {
					t.Fatalf("%s, %s, page %d: a $skiptoken of %d bytes in a URL, want at most %d", name, query, page+1, n, maxToken)
				}
				if token = res.NextSkipToken; token == "" {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, %s: the walk gave %q, want %q", name, query, got, want)
			}
		}
	}

	// The last entity of a page is deleted before the next: the walk goes
	// on to the end from before every entity whose cut keys match its
	// (here all of them: the keys share their first kilobyte), passing
	// over none, each later one once.
	query := raw + "&$top=3"
	first, err := mustParse(t, query).Apply(t.Context(), items, "tenant/user")
	if err != nil {
		t.Fatal(err)
	}
	last := first.Items[len(first.Items)-1]["id"].(string)
	rest := slices.DeleteFunc(slices.Clone(items), func(it graphprofile.Object) bool { return it["id"] == last })
	later := want[slices.Index(want, last)+1:]
	for name, got := range walksFrom(t, rest, query, first.NextSkipToken, 2*len(items)) {
		for _, id := range later {
			if n := strings.Count(strings.Join(got, " ")+" ", id+" "); n != 1 {
				t.Errorf("%s: %s, after the deleted entity in the order, came %d times after it: %q", name, id, n, got)
			}
		}
		if slices.Contains(got, last) {
			t.Errorf("%s: the deleted entity came again", name)
		}
	}

	// The last entity of a page changes before the next, its new keys
	// starting as its old ones (its description now last of all): it no
	// longer marks where the page ended, and the walk still passes over
	// none of the entities after its old place, each once.
	changed := slices.Clone(items)
	for i, it := range changed {
		if it["id"] == last {
			detail := cloneObject(it["detail"].(graphprofile.Object))
			detail["description"] = long("😀", 2000, "z")
			it = cloneObject(it)
			it["detail"] = detail
			changed[i] = it
		}
	}
	for name, got := range walksFrom(t, changed, query, first.NextSkipToken, 2*len(items)) {
		for _, id := range later {
			if n := strings.Count(strings.Join(got, " ")+" ", id+" "); n != 1 {
				t.Errorf("%s: %s, after the changed entity's old place in the order, came %d times after it: %q", name, id, n, got)
			}
		}
		if n := strings.Count(strings.Join(got, " ")+" ", last+" "); n != 1 {
			t.Errorf("%s: the changed entity came %d times in its new place: %q", name, n, got)
		}
	}
}

// TestSkipTokenOfLongKeyDescending: when the entity a $skiptoken of a cut
// key was made after is deleted before the next page, a walk in descending
// order goes on from before every entity whose key starts as the cut one,
// passing over none: each later one comes exactly once.
func TestSkipTokenOfLongKeyDescending(t *testing.T) {
	var items []graphprofile.Object
	for i := range 6 {
		at := time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC)
		items = append(items, graphprofile.Object{
			"id": fmt.Sprintf("p%d", i), "createdDateTime": at,
			// 8,000 bytes shared, then a letter: past the token's bound.
			"detail": graphprofile.Object{"description": strings.Repeat("😀", 2000) + string(rune('a'+i))},
		})
	}
	const query = "$orderby=detail/description desc&$top=2"
	first, err := mustParse(t, query).Apply(t.Context(), items, "tenant/user")
	if err != nil || idsOf(first.Items) != "p5 p4" || first.NextSkipToken == "" {
		t.Fatalf("first page %q (token %q), %v; want p5 p4 and a token", idsOf(first.Items), first.NextSkipToken, err)
	}
	rest := slices.DeleteFunc(slices.Clone(items), func(it graphprofile.Object) bool { return it["id"] == "p4" })
	for name, got := range walksFrom(t, rest, query, first.NextSkipToken, 2*len(items)) {
		for _, id := range []string{"p3", "p2", "p1", "p0"} {
			if n := slices.Index(got, id); n < 0 || slices.Contains(got[n+1:], id) {
				t.Errorf("%s: %s came %d times after the deleted entity, want once: %q", name, id, strings.Count(strings.Join(got, " ")+" ", id+" "), got)
			}
		}
	}
}
