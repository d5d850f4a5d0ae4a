package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// profileAnswer is a profile's answer as graphprofile writes it, with items
// items in every collection but those counts names; a collection counted
// -1 is left out. mid goes inside the first item of educationalActivities.
func profileAnswer(items int, counts map[string]int, mid string) string {
	var b strings.Builder
	b.WriteString(`{"@odata.context":"http://127.0.0.1:8080/beta/$metadata#users('db789417-4ccb-41d1-a0a9-47b01a09ea49')/profile/$entity","id":"profileId"`)
	for _, c := range graphprofile.ProfileCollections() {
		n, ok := counts[c.Name]
		if !ok {
			n = items
		}
		if n < 0 {
			continue
		}
		b.WriteString(`,"` + c.Name + `":[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"@odata.etag":"\"4wuwtf7qafe\"","id":"7f13ecba-b235-4519-a68c-66f443d3649%d","allowedAudiences":"organization","createdDateTime":"2026-12-02T01:42:17.0780234Z","displayName":"x"`, i%10)
			if i == 0 && c.Name == "educationalActivities" {
				b.WriteString(mid)
			}
			b.WriteString("}")
		}
		b.WriteString("]")
	}
	b.WriteString("}")
	return b.String()
}

// What bench/ceiling answers: a pad after the id, then every collection
// with items of an id and a createdDateTime (see cannedProfile there).
func ceilingProfile(items int) string {
	item := `{"id":"00000000-0000-4000-8000-000000000000","createdDateTime":"2026-01-01T00:00:00Z"}`
	var b strings.Builder
	b.WriteString(`{"@odata.context":"http://ceiling.invalid/beta/$metadata#users('00000000-0000-4000-8000-000000000000')/profile/$entity","id":"profileId","@pad":"xxxx"`)
	for _, c := range graphprofile.ProfileCollections() {
		b.WriteString(`,"` + c.Name + `":[` + strings.TrimSuffix(strings.Repeat(item+",", items), ",") + `]`)
	}
	return b.String() + "}"
}

func TestCheckProfile(t *testing.T) {
	// The collections the tests name, that the schema must still have.
	for _, name := range []string{"account", "awards", "educationalActivities", "skills", "websites"} {
		if _, ok := graphprofile.FindCollection(name); !ok {
			t.Fatalf("the profile has no collection %s", name)
		}
	}
	tests := []struct {
		name          string
		status        int
		body          string
		perCollection int
		wantErr       string
	}{
		{"ten in each", 200, profileAnswer(10, nil, ""), 10, ""},
		{"one in each", 200, profileAnswer(1, nil, ""), 1, ""},
		{"from the ceiling", 200, ceilingProfile(10), 10, ""},
		// educationalActivityDetail has awards, an earlier collection's
		// name: inside an item it is past the awards key, and not a key.
		{"an item's own awards", 200, profileAnswer(10, nil, `,"institution":{"awards":[],"notes":null}`), 10, ""},
		{"one item short", 200, profileAnswer(10, map[string]int{"skills": 9}, ""), 10, "9 items in \"skills\", want 10"},
		{"one item more", 200, profileAnswer(10, map[string]int{"account": 11}, ""), 10, "11 items in \"account\", want 10"},
		{"a collection empty", 200, profileAnswer(10, map[string]int{"websites": 0}, ""), 10, "0 items in \"websites\""},
		{"a collection missing", 200, profileAnswer(10, map[string]int{"awards": -1}, ""), 10, "no collection \"awards\""},
		{"the last missing", 200, profileAnswer(10, map[string]int{"websites": -1}, ""), 10, "no collection \"websites\""},
		{"status", 404, `{"error":{"code":"Request_ResourceNotFound","message":"x"}}`, 10, "status 404"},
		{"no context first", 200, `{"id":"profileId","account":[]}`, 0, "not {"},
		{"a list", 200, `{"@odata.context":"x","value":[]}`, 0, `no collection "account"`},
		{"truncated", 200, profileAnswer(10, nil, "")[:5000], 10, "not {"},
		{"empty", 200, ``, 10, "not {"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkProfile(tt.status, []byte(tt.body), tt.perCollection)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("checkProfile = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

// The setup's creates: perCollection in every collection of the profile,
// at the profile's version-relative path, each body a JSON object of only
// the type's own single primitive and enum properties, numbered items
// differing; the $batch bodies hold them as they are.
func TestProfileCreates(t *testing.T) {
	const perCollection = 3
	creates := profileCreates("/beta/users/a%40b.example/profile", perCollection)
	collections := graphprofile.ProfileCollections()
	if len(creates) != len(collections)*perCollection {
		t.Fatalf("%d creates, want %d", len(creates), len(collections)*perCollection)
	}
	for i, c := range creates {
		coll := collections[i/perCollection]
		if c.url != "/users/a%40b.example/profile/"+coll.Name {
			t.Errorf("create %d: url %s, want …/profile/%s", i, c.url, coll.Name)
		}
		var obj map[string]any
		if err := json.Unmarshal(c.body, &obj); err != nil {
			t.Fatalf("create %d (%s): %v: %s", i, coll.Name, err, c.body)
		}
		for name, v := range obj {
			p := coll.Type.Property(name)
			if p == nil || p.Collection || p.ServerManaged || p.Type.Kind == graphprofile.KindComplex || v == nil {
				t.Errorf("%s: property %s = %v is not a single primitive a client sets", coll.Name, name, v)
			}
		}
		if i%perCollection > 0 && len(obj) > 0 && string(c.body) == string(creates[i-1].body) {
			t.Errorf("%s: items %d and %d have the same body %s", coll.Name, i%perCollection-1, i%perCollection, c.body)
		}
	}
	var batch struct {
		Requests []struct {
			ID, Method, URL string
			Body            json.RawMessage
		}
	}
	if err := json.Unmarshal(batchBody(creates[:batchSize]), &batch); err != nil || len(batch.Requests) != batchSize {
		t.Fatalf("batchBody: %v, %d requests", err, len(batch.Requests))
	}
	for i, r := range batch.Requests {
		if r.ID != fmt.Sprint(i+1) || r.Method != "POST" || r.URL != creates[i].url || string(r.Body) != string(creates[i].body) {
			t.Errorf("batch request %d: %+v, want create %+v", i, r, creates[i])
		}
	}
}
