package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// The profile workload: each user has --positions-per-user items in every
// collection of the profile (graphprofile.ProfileCollections: positions,
// skills, emails… 19 of them), created by the setup through $batch; the
// run reads whole profiles, GET …/profile, every collection inline.

// profileItemBody returns the create body of item n of a collection of type
// t: each of the type's own settable properties that is a single primitive
// or enum value, set to a valid value (storetest's samples), so that every
// collection's items are small and valid whatever the schema table holds.
func profileItemBody(t *graphprofile.Type, n int) []byte {
	obj := map[string]any{}
	for i := range t.Properties {
		p := &t.Properties[i]
		if !storetest.Settable(p) || storetest.Inherited(p.Name) || p.Collection || p.Type.Kind == graphprofile.KindComplex {
			continue
		}
		obj[p.Name] = storetest.SampleValue(p, n)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("the body of a %s: %v", t.Name, err)) // values of the schema's kinds only
	}
	return b
}

// batchCreate is one create of a $batch: a version-relative path
// (/me/profile/skills) and the item's body.
type batchCreate struct {
	url  string
	body []byte
}

// profileCreates returns the creates that give a profile at profilePath
// (/beta/me/profile or /beta/users/{upn}/profile) perCollection items in
// every collection, collection after collection.
func profileCreates(profilePath string, perCollection int) []batchCreate {
	prefix := strings.TrimPrefix(profilePath, "/beta")
	var creates []batchCreate
	for _, c := range graphprofile.ProfileCollections() {
		for n := range perCollection {
			creates = append(creates, batchCreate{url: prefix + "/" + c.Name, body: profileItemBody(c.Type, n)})
		}
	}
	return creates
}

// fillProfile gives u's profile its items: profileCreates in $batch
// requests of batchSize creates, one after the other on c.
func fillProfile(c doer, u *user, perCollection int) error {
	creates := profileCreates(u.profile, perCollection)
	for len(creates) > 0 {
		n := min(len(creates), batchSize)
		status, answer, err := c.do(http.MethodPost, "/beta/$batch", u.token, batchBody(creates[:n]))
		if err == nil {
			_, err = checkBatchOfCreates(status, answer, n)
		}
		if err != nil {
			return err
		}
		creates = creates[n:]
	}
	return nil
}

// profileKeys are the markers of the collections in a profile's answer,
// `"skills":[`, in schema order: the order graphprofile writes them in, and
// the ceiling's canned profile too.
var profileKeys = func() [][]byte {
	var keys [][]byte
	for _, c := range graphprofile.ProfileCollections() {
		keys = append(keys, []byte(`"`+c.Name+`":[`))
	}
	return keys
}()

// checkProfile checks a profile's answer: status 200, an object with
// @odata.context first, and every collection present, in schema order,
// with exactly perCollection items (one itemMarker each). The answer is
// scanned, not decoded: a profile is some hundred kilobytes, and decoding
// it would take from the server's CPU the load generator shares. Keys are
// looked for in order, each after the last, so a nested property of an
// item that bears a collection's name (educationalActivity's awards) comes
// after that collection's own key and is never taken for it.
func checkProfile(status int, body []byte, perCollection int) error {
	if status != http.StatusOK {
		return fmt.Errorf("profile: status %d, want 200: %s", status, snippet(body))
	}
	if !bytes.HasPrefix(body, contextPrefix) || !bytes.HasSuffix(body, []byte("]}")) {
		return fmt.Errorf("profile: not {\"@odata.context\":…,\"account\":[…],…}: %s", snippet(body))
	}
	at := make([]int, len(profileKeys)+1)
	from := 0
	for i, key := range profileKeys {
		j := bytes.Index(body[from:], key)
		if j < 0 {
			return fmt.Errorf("profile: no collection %s after byte %d: %s", key[:len(key)-2], from, snippet(body))
		}
		at[i] = from + j
		from = at[i] + len(key)
	}
	at[len(profileKeys)] = len(body)
	for i, key := range profileKeys {
		if n := bytes.Count(body[at[i]:at[i+1]], itemMarker); n != perCollection {
			return fmt.Errorf("profile: %d items in %s, want %d (%d bytes)", n, key[:len(key)-2], perCollection, len(body))
		}
	}
	return nil
}
