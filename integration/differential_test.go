package integration_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/token"
)

// TestStoresAnswerAlike sends one long seeded sequence of requests to a
// server on SQLite and to one on PostgreSQL and holds every answer of the
// one to the other's, byte for byte but for what must differ (the server's
// URL, a $skiptoken's MAC, the request ids and dates of errors): creates,
// PATCHes (nulls, nested objects, collections), DELETEs, If-Match right and
// wrong, lists with $filter, $orderby, $select, $top, $skip and $count
// followed through their nextLinks, $count, the whole profile, the users
// directory, $batch in series, bodies that are not bodies, and creates at
// and past MaxItems. Both services take their time and new ids from
// counters (four readings a millisecond, so that items share a
// createdDateTime and lists order them by id), so the same requests make
// the same items, times and ETags on both. It is the
// README's promise that the two stores behave identically over HTTP, read
// as a test (a throw-away driver of a review ran thousands of such
// requests against both stores and found them alike).
func TestStoresAnswerAlike(t *testing.T) {
	const (
		seeds    = 4
		requests = 400
	)
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			dev := newDevIssuer(t)
			var servers [2]*diffServer
			for i, b := range backends {
				servers[i] = startDiffServer(t, b.open(t, 1)[0], dev)
			}
			tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: "d1ff0000-0000-4000-8000-0000000000d1",
				UserPrincipalName: "diff@contoso.test", DisplayName: "Diff", Scopes: []string{"User.ReadWrite.All"}})
			if err != nil {
				t.Fatal(err)
			}
			c := &client{t: t, token: tok, http: &http.Client{Timeout: 30 * time.Second}}
			g := &diffGen{r: rand.New(rand.NewPCG(seed, 0xd1ff)), items: map[string][]string{}, seen: map[int]int{}}
			for n := range requests {
				if n%100 == 99 {
					g.load(t, servers, n)
					continue
				}
				req := g.next()
				g.send(t, c, servers, n, req)
			}
			// The sequence reached what it is meant to compare.
			for _, status := range []int{200, 201, 204, 400, 404, 412, 507} {
				if g.seen[status] == 0 {
					t.Errorf("no answer was %d: %v", status, g.seen)
				}
			}
		})
	}
}

// diffMaxItems is the servers' MaxItems: small, for the sequences to reach
// it often.
const diffMaxItems = 4

// diffServer is a server whose service takes its time and its new items'
// ids from counters.
type diffServer struct {
	url     string
	service *graphprofile.Service
}

func startDiffServer(t *testing.T, store graphprofile.Store, dev *token.DevIssuer) *diffServer {
	t.Helper()
	var now, ids atomic.Int64
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	service := &graphprofile.Service{
		Store: store,
		// Four readings a millisecond: items created together share
		// a createdDateTime, and lists order them by id.
		Now: func() time.Time {
			return base.Add(time.Duration(now.Add(1)/4) * time.Millisecond)
		},
		NewID: func() string {
			return fmt.Sprintf("01a00000-0000-7000-8000-%012d", ids.Add(1))
		},
		MaxItems: diffMaxItems,
	}
	return &diffServer{url: serveService(t, service, dev), service: service}
}

// diffRequest is one request of the sequence: a path (with its query)
// under the server's URL.
type diffRequest struct {
	method, path, body string
	header             map[string]string
	follow             bool // follow @odata.nextLink
	track              string
}

// diffGen makes the sequence; it keeps the ids of the items and users it
// created (the same on both servers) and the ETags the first server gave.
type diffGen struct {
	r     *rand.Rand
	items map[string][]string
	etags map[string]string
	users []string
	seen  map[int]int   // the statuses answered
	valid bool          // make only valid values (for fixtures)
	queue []diffRequest // requests to send before any other
}

var diffStrings = []string{"a", "B", "b", "A", "\u00e9", "e\u0301", "\u00c9", "z", "\u00df", "ss", "\u01c5", "\u212a", "k", "K",
	"", " ", "\u65e5\u672c", "\U0001f600", "\ue000", "abc", "ABC", "\u0130", "i", "\u0131", "\u03a9", "\u03c9", "0", "10", "9", "'"}

var diffDoubles = []string{"0", "-0", "1", "-1", "1.5", "1e308", "-1.7976931348623157e308", "5e-324", "1e-400", "90", "123456789.123456789", "9007199254740993"}

var diffInts = []string{"0", "1", "-1", "2147483647", "-2147483648", "2147483648", "3", "1.0"}

var diffDates = []string{"2019-06-01", "0001-01-01", "9999-12-31", "2020-02-29", "1970-01-01", "2021-13-01"}

func (g *diffGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *diffGen) str() string {
	n := 1 + g.r.IntN(3)
	var b strings.Builder
	for range n {
		b.WriteString(g.pick(diffStrings))
	}
	return b.String()
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// value returns JSON of a value of type typ, now and then a wrong one.
func (g *diffGen) value(typ *graphprofile.Type, depth int) string {
	if !g.valid && g.r.IntN(60) == 0 {
		return g.pick([]string{"null", "1", `"x"`, "true", "[]", "{}"})
	}
	switch typ.Kind {
	case graphprofile.KindString:
		return jsonString(g.str())
	case graphprofile.KindBoolean:
		return g.pick([]string{"true", "false"})
	case graphprofile.KindInt32:
		if g.valid {
			return g.pick(diffInts[:5])
		}
		return g.pick(diffInts)
	case graphprofile.KindDouble:
		return g.pick(diffDoubles)
	case graphprofile.KindDate:
		if g.valid {
			return jsonString(g.pick(diffDates[:5]))
		}
		return jsonString(g.pick(diffDates))
	case graphprofile.KindDateTimeOffset:
		return jsonString(g.pick([]string{"2019-06-01T00:00:00Z", "2019-06-01T00:00:00.12345678+14:00", "0001-01-01T00:00:00Z"}))
	case graphprofile.KindEnum:
		m := typ.Members[g.r.IntN(len(typ.Members))]
		if typ.IsFlags && g.r.IntN(3) == 0 {
			m += "," + typ.Members[g.r.IntN(len(typ.Members))]
		}
		return jsonString(m)
	default:
		return g.object(typ, depth+1, 0.5)
	}
}

// object returns JSON of an object of type typ with about frac of its
// settable properties, some null.
func (g *diffGen) object(typ *graphprofile.Type, depth int, frac float64) string {
	var parts []string
	for i := range typ.Properties {
		p := &typ.Properties[i]
		if p.Navigation || p.WriteOnly || p.ServerManaged || p.Name == "id" || depth > 2 || g.r.Float64() > frac {
			continue
		}
		v := ""
		switch {
		case g.r.IntN(12) == 0 && !(g.valid && p.NotNull):
			v = "null"
		case p.Collection:
			var vs []string
			for range g.r.IntN(3) {
				vs = append(vs, g.value(p.Type, depth))
			}
			v = "[" + strings.Join(vs, ",") + "]"
		default:
			v = g.value(p.Type, depth)
		}
		parts = append(parts, jsonString(p.Name)+":"+v)
	}
	if !g.valid && g.r.IntN(50) == 0 {
		parts = append(parts, `"unknownProperty":1`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// diffPaths returns the single-valued primitive paths of typ, two levels deep.
func diffPaths(typ *graphprofile.Type, prefix string, depth int) (paths []string, types []*graphprofile.Type) {
	for i := range typ.Properties {
		p := &typ.Properties[i]
		if p.Navigation || p.WriteOnly || p.Collection {
			continue
		}
		if p.Type.Kind == graphprofile.KindComplex {
			if depth < 2 {
				ps, ts := diffPaths(p.Type, prefix+p.Name+"/", depth+1)
				paths, types = append(paths, ps...), append(types, ts...)
			}
			continue
		}
		paths, types = append(paths, prefix+p.Name), append(types, p.Type)
	}
	return paths, types
}

func (g *diffGen) literal(typ *graphprofile.Type) string {
	switch typ.Kind {
	case graphprofile.KindString:
		return "'" + strings.ReplaceAll(g.str(), "'", "''") + "'"
	case graphprofile.KindEnum:
		return "'" + typ.Members[g.r.IntN(len(typ.Members))] + "'"
	case graphprofile.KindBoolean:
		return g.pick([]string{"true", "false"})
	case graphprofile.KindInt32:
		return g.pick([]string{"0", "-1", "2147483647", "2.5", "-2147483648"})
	case graphprofile.KindDouble:
		return g.pick([]string{"0", "-0", "1.5", "1e308", "5e-324", "-90"})
	case graphprofile.KindDate:
		return g.pick([]string{"2019-06-01", "0001-01-01", "9999-12-31"})
	default:
		return g.pick([]string{"2030-01-02T03:04:05.5Z", "2019-06-01T00:00:00Z"})
	}
}

func (g *diffGen) filter(typ *graphprofile.Type, depth int) string {
	paths, types := diffPaths(typ, "", 0)
	i := g.r.IntN(len(paths))
	p, pt := paths[i], types[i]
	var e string
	switch {
	case pt.Kind == graphprofile.KindString && g.r.IntN(3) == 0:
		e = fmt.Sprintf("%s(%s,%s)", g.pick([]string{"startswith", "endswith", "contains"}),
			g.pick([]string{p, "tolower(" + p + ")", "toupper(" + p + ")"}), g.literal(pt))
	case g.r.IntN(5) == 0:
		e = p + " " + g.pick([]string{"eq", "ne"}) + " null"
	case pt.Kind == graphprofile.KindBoolean || pt.Kind == graphprofile.KindEnum:
		e = p + " " + g.pick([]string{"eq", "ne"}) + " " + g.literal(pt)
	default:
		e = p + " " + g.pick([]string{"eq", "ne", "gt", "ge", "lt", "le"}) + " " + g.literal(pt)
	}
	if depth < 2 && g.r.IntN(3) == 0 {
		e = "(" + e + ") " + g.pick([]string{"and", "or"}) + " (" + g.filter(typ, depth+1) + ")"
	}
	return e
}

func (g *diffGen) listQuery(typ *graphprofile.Type) url.Values {
	q := url.Values{}
	if g.r.IntN(2) == 0 {
		q.Set("$filter", g.filter(typ, 0))
	}
	if g.r.IntN(3) < 2 {
		paths, _ := diffPaths(typ, "", 0)
		var keys []string
		for _, k := range g.r.Perm(len(paths))[:1+g.r.IntN(2)] {
			keys = append(keys, paths[k]+g.pick([]string{"", " asc", " desc"}))
		}
		q.Set("$orderby", strings.Join(keys, ","))
	}
	if g.r.IntN(4) == 0 {
		var names []string
		for i := range typ.Properties {
			if !typ.Properties[i].Navigation && g.r.IntN(4) == 0 {
				names = append(names, typ.Properties[i].Name)
			}
		}
		if len(names) > 0 {
			q.Set("$select", strings.Join(names, ","))
		}
	}
	if g.r.IntN(2) == 0 {
		q.Set("$top", g.pick([]string{"1", "2", "3", "999", "0"}))
	}
	if g.r.IntN(5) == 0 {
		q.Set("$skip", g.pick([]string{"1", "2", "5", "6"}))
	}
	if g.r.IntN(3) == 0 {
		q.Set("$count", g.pick([]string{"true", "false"}))
	}
	return q
}

// next returns the sequence's next request.
func (g *diffGen) next() diffRequest {
	if g.etags == nil {
		g.etags = map[string]string{}
	}
	if len(g.queue) > 0 {
		req := g.queue[0]
		g.queue = g.queue[1:]
		return req
	}
	cs := graphprofile.ProfileCollections()
	c := cs[g.r.IntN(len(cs))]
	if g.r.IntN(2) == 0 { // half the time one of three, to fill them past MaxItems
		c = cs[g.r.IntN(3)]
	}
	base := "/beta/me/profile/" + c.Name
	ids := g.items[c.Name]
	someID := func() string {
		if len(ids) == 0 || g.r.IntN(10) == 0 {
			return "01a00000-0000-7000-8000-999999999999"
		}
		return ids[g.r.IntN(len(ids))]
	}
	ifMatch := func(id string) map[string]string {
		switch g.r.IntN(4) {
		case 0:
			return map[string]string{"If-Match": g.etags[id]}
		case 1:
			return map[string]string{"If-Match": g.pick([]string{`W/"x"`, `"bad"`, "*", ""})}
		}
		return nil
	}
	switch r := g.r.IntN(100); {
	case r < 22:
		body := g.object(c.Type, 0, 0.5)
		if g.r.IntN(30) == 0 {
			body = g.pick([]string{"", "[]", "{", "null", `{"a":1,"a":2}`, `"x"`})
		}
		return diffRequest{method: http.MethodPost, path: base, body: body, track: c.Name}
	case r < 36:
		id := someID()
		return diffRequest{method: http.MethodPatch, path: base + "/" + id, body: g.object(c.Type, 0, 0.3), header: ifMatch(id), track: c.Name}
	case r < 42:
		id := someID()
		return diffRequest{method: http.MethodDelete, path: base + "/" + id, header: ifMatch(id), track: c.Name}
	case r < 47:
		return diffRequest{method: http.MethodGet, path: base + "/" + someID()}
	case r < 72:
		return diffRequest{method: http.MethodGet, path: base + "?" + g.listQuery(c.Type).Encode(), follow: true}
	case r < 75:
		return diffRequest{method: http.MethodGet, path: base + "/$count?" + url.Values{"$filter": {g.filter(c.Type, 0)}}.Encode()}
	case r < 78:
		return diffRequest{method: http.MethodGet, path: "/beta/me/profile?$expand=" + c.Name}
	case r < 90:
		return g.userRequest()
	default:
		return g.batch(c)
	}
}

func (g *diffGen) userRequest() diffRequest {
	switch r := g.r.IntN(10); {
	case r < 4 || len(g.users) == 0:
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", g.r.Uint32(), g.r.Uint64()>>16)
		body := fmt.Sprintf(`{"id":%q,"displayName":%s,"userPrincipalName":"%s%d@contoso.test","jobTitle":%s,"city":%s}`,
			id, jsonString(g.str()), g.pick([]string{"u", "U", "k", "K", "a.b"}), g.r.IntN(20), jsonString(g.str()), jsonString(g.str()))
		return diffRequest{method: http.MethodPost, path: "/beta/users", body: body, track: "users:" + id}
	case r < 6:
		id := g.users[g.r.IntN(len(g.users))]
		return diffRequest{method: http.MethodPatch, path: "/beta/users/" + id,
			body: fmt.Sprintf(`{"displayName":%s,"city":%s,"jobTitle":null}`, jsonString(g.str()), jsonString(g.str()))}
	case r < 7:
		id := g.users[g.r.IntN(len(g.users))]
		return diffRequest{method: http.MethodDelete, path: "/beta/users/" + id, track: "users:" + id}
	case r < 8:
		cs := graphprofile.ProfileCollections()
		c := cs[g.r.IntN(len(cs))]
		return diffRequest{method: http.MethodGet, path: "/beta/users/" + g.users[g.r.IntN(len(g.users))] + "/profile/" + c.Name + "?" + g.listQuery(c.Type).Encode(), follow: true}
	default:
		q := url.Values{}
		prop := g.pick([]string{"displayName", "userPrincipalName", "jobTitle", "city"})
		switch g.r.IntN(4) {
		case 0:
			q.Set("$filter", fmt.Sprintf("startswith(%s,'%s')", prop, strings.ReplaceAll(g.pick(diffStrings), "'", "''")))
		case 1:
			q.Set("$filter", fmt.Sprintf("%s eq '%s'", prop, strings.ReplaceAll(g.str(), "'", "''")))
		}
		if g.r.IntN(2) == 0 {
			q.Set("$orderby", g.pick([]string{"displayName", "displayName desc", "userPrincipalName", "userPrincipalName desc"}))
		}
		if g.r.IntN(2) == 0 {
			q.Set("$top", g.pick([]string{"1", "2", "5"}))
		}
		if g.r.IntN(3) == 0 {
			q.Set("$count", "true")
		}
		return diffRequest{method: http.MethodGet, path: "/beta/users?" + q.Encode(), follow: true,
			header: map[string]string{"ConsistencyLevel": "eventual"}}
	}
}

// batch returns a $batch of items each depending on the one before, so
// that they run in one order on both servers.
func (g *diffGen) batch(c graphprofile.Collection) diffRequest {
	var items []string
	for i := range 1 + g.r.IntN(4) {
		item := fmt.Sprintf(`"id":"%d"`, i+1)
		if i > 0 {
			item += fmt.Sprintf(`,"dependsOn":["%d"]`, i)
		}
		ids := g.items[c.Name]
		id := "none"
		if len(ids) > 0 {
			id = ids[g.r.IntN(len(ids))]
		}
		switch g.r.IntN(4) {
		case 0:
			item += fmt.Sprintf(`,"method":"POST","url":"/me/profile/%s","headers":{"Content-Type":"application/json"},"body":%s`, c.Name, g.object(c.Type, 0, 0.4))
		case 1:
			item += fmt.Sprintf(`,"method":"PATCH","url":"/me/profile/%s/%s","headers":{"Content-Type":"application/json"},"body":%s`, c.Name, id, g.object(c.Type, 0, 0.3))
		case 2:
			item += fmt.Sprintf(`,"method":"DELETE","url":"/me/profile/%s/%s"`, c.Name, id)
		default:
			item += fmt.Sprintf(`,"method":"GET","url":%s`, jsonString("/me/profile/"+c.Name+"?"+g.listQuery(c.Type).Encode()))
		}
		items = append(items, "{"+item+"}")
	}
	return diffRequest{method: http.MethodPost, path: "/beta/$batch", body: `{"requests":[` + strings.Join(items, ",") + `]}`, track: "batch:" + c.Name}
}

var (
	diffSkipToken = regexp.MustCompile(`skiptoken=[^&"\\]*`)
	diffVolatile  = regexp.MustCompile(`"(request-id|client-request-id|date)":"[^"]*"`)
)

// send sends req to both servers and fails t where their answers differ;
// it follows nextLinks and learns the items and users created.
func (g *diffGen) send(t *testing.T, c *client, servers [2]*diffServer, n int, req diffRequest) {
	t.Helper()
	paths := [2]string{req.path, req.path}
	for page := 0; page < 30; page++ {
		var got [2]reply
		var norm [2]string
		for i, s := range servers {
			r, err := c.do(req.method, s.url+paths[i], req.body, req.header)
			if err != nil && r.status == 0 { // (a body that is not a JSON object, a $count's, is compared as it came)
				t.Fatalf("request %d, %s %s: %v", n, req.method, paths[i], err)
			}
			got[i] = r
			body := strings.ReplaceAll(string(r.raw), s.url, "BASE")
			body = diffSkipToken.ReplaceAllString(body, "skiptoken=X")
			norm[i] = diffVolatile.ReplaceAllString(body, `"$1":"X"`)
		}
		g.seen[got[0].status]++
		if got[0].status >= 500 && got[0].status != http.StatusInsufficientStorage {
			t.Errorf("request %d, %s %s %s: %d %s", n, req.method, req.path, req.body, got[0].status, got[0].raw)
		}
		if got[0].status != got[1].status || got[0].etag != got[1].etag || norm[0] != norm[1] {
			t.Fatalf("request %d, %s %s %v %s, page %d:\n%s: %d %s %s\n%s: %d %s %s", n, req.method, req.path, req.header, req.body, page,
				backends[0].name, got[0].status, got[0].etag, norm[0], backends[1].name, got[1].status, got[1].etag, norm[1])
		}
		if page == 0 {
			g.learn(req, got[0])
		}
		if !req.follow || got[0].status != http.StatusOK {
			return
		}
		for i := range got {
			next, _ := got[i].body["@odata.nextLink"].(string)
			if next == "" {
				return
			}
			paths[i] = strings.TrimPrefix(next, servers[i].url)
		}
	}
}

func (g *diffGen) learn(req diffRequest, r reply) {
	kind, name, _ := strings.Cut(req.track, ":")
	switch {
	case req.track == "":
	case kind == "users" && req.method == http.MethodPost && r.status == http.StatusCreated:
		g.users = append(g.users, name)
	case kind == "users" && req.method == http.MethodDelete && r.status == http.StatusNoContent:
		g.users = deleteString(g.users, name)
	case kind == "batch":
		var answer struct {
			Responses []struct {
				ID     string         `json:"id"`
				Status int            `json:"status"`
				Body   map[string]any `json:"body"`
			} `json:"responses"`
		}
		_ = json.Unmarshal(r.raw, &answer)
		var sent struct {
			Requests []struct{ Method, URL string } `json:"requests"`
		}
		_ = json.Unmarshal([]byte(req.body), &sent)
		for _, a := range answer.Responses {
			i, _ := strconv.Atoi(a.ID)
			switch {
			case a.Status == http.StatusCreated:
				id, _ := a.Body["id"].(string)
				g.items[name] = append(g.items[name], id)
				g.etags[id], _ = a.Body["@odata.etag"].(string)
			case a.Status == http.StatusOK && i > 0 && i <= len(sent.Requests) && sent.Requests[i-1].Method == http.MethodPatch:
				id, _ := a.Body["id"].(string)
				g.etags[id], _ = a.Body["@odata.etag"].(string)
			case a.Status == http.StatusNoContent && i > 0 && i <= len(sent.Requests):
				u := sent.Requests[i-1].URL
				g.items[name] = deleteString(g.items[name], u[strings.LastIndexByte(u, '/')+1:])
			}
		}
	case req.method == http.MethodPost && r.status == http.StatusCreated:
		id, _ := r.body["id"].(string)
		g.items[req.track] = append(g.items[req.track], id)
		g.etags[id] = r.etag
	case req.method == http.MethodPatch && r.status == http.StatusOK:
		g.etags[req.path[strings.LastIndexByte(req.path, '/')+1:]] = r.etag
	case req.method == http.MethodDelete && r.status == http.StatusNoContent:
		g.items[req.track] = deleteString(g.items[req.track], req.path[strings.LastIndexByte(req.path, '/')+1:])
	}
}

func deleteString(s []string, v string) []string {
	for i, x := range s {
		if x == v {
			return append(s[:i:i], s[i+1:]...)
		}
	}
	return s
}

// load loads the same fixtures into both servers (as POST /_admin/fixtures
// does): the caller's profile is replaced by items of ids and times of
// the file's (some of one createdDateTime), and users are added, so that
// what the stores and SQLite's read cache hold after a load is compared
// too.
func (g *diffGen) load(t *testing.T, servers [2]*diffServer, n int) {
	t.Helper()
	cs := graphprofile.ProfileCollections()
	profile := map[string][]string{}
	var items []string
	for _, k := range g.r.Perm(len(cs))[:3] {
		c := cs[k]
		var list []string
		for i := range g.r.IntN(diffMaxItems + 1) { // up to full
			id := fmt.Sprintf("fx-%d-%s-%d", n, c.Name, i)
			created := g.pick([]string{"2024-01-02T03:04:05.1234567Z", "2024-01-02T03:04:05.1234567Z", "1970-01-01T00:00:00Z", "2262-04-11T23:47:16.8547758Z"})
			g.valid = true
			body := g.object(c.Type, 0, 0.5)
			g.valid = false
			obj := fmt.Sprintf(`{"id":%q,"createdDateTime":%q,"lastModifiedDateTime":"2025-01-01T00:00:00Z"`, id, created)
			if body != "{}" {
				obj += "," + body[1:]
			} else {
				obj += "}"
			}
			list = append(list, obj)
			profile[c.Name] = append(profile[c.Name], id)
		}
		items = append(items, fmt.Sprintf("%q:[%s]", c.Name, strings.Join(list, ",")))
	}
	other := fmt.Sprintf("fx%d", n)
	doc := fmt.Sprintf(`{"tenants":[{"id":%q,"users":[{"id":"d1ff0000-0000-4000-8000-0000000000d1","displayName":"Diff","userPrincipalName":"diff@contoso.test","profile":{%s}},{"id":%q,"displayName":%s,"userPrincipalName":"%s@contoso.test"}]}]}`,
		tenantA, strings.Join(items, ","), other, jsonString(g.str()), other)
	f, err := graphprofile.ParseFixtures("diff.json", []byte(doc))
	if err != nil {
		t.Fatalf("request %d: %v\n%s", n, err, doc)
	}
	for i, s := range servers {
		if err := s.service.LoadFixtures(t.Context(), f); err != nil {
			t.Fatalf("request %d: loading fixtures into %s: %v", n, backends[i].name, err)
		}
	}
	g.items = profile
	g.users = append(g.users, other)
	// The loaded collections, their items of one time in pages of two,
	// oldest and newest first: ties are ordered by id on both.
	for _, c := range slices.Sorted(maps.Keys(profile)) {
		for _, q := range []string{"$top=2", "$top=2&$orderby=createdDateTime%20desc"} {
			g.queue = append(g.queue, diffRequest{method: http.MethodGet, path: "/beta/me/profile/" + c + "?" + q, follow: true})
		}
	}
}
