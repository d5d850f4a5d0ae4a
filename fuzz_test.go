package graphprofile

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeBody checks that any body is either refused with a
// BadRequest or decoded into a value that survives storing: what a create
// stores is what a read returns.
func FuzzDecodeBody(f *testing.F) {
	for _, name := range []string{"testdata/seed/create-request.json", "testdata/seed/update-request.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"allowedAudiences":"contacts,family","source":{"type":"x"},"categories":["\u00e9"],"detail":{"layer":3,"startMonthYear":"2020-02-29"},"inference":{"confidenceScore":1e-7}}`))
	f.Add([]byte(`{"colleagues":[{"relationship":"manager","displayName":"A"}],"manager":null,"@odata.type":"#microsoft.graph.workPosition"}`))
	f.Add([]byte(`{"id":"x","createdBy":{"user":{"id":[1,{"a":null}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := DecodeBody(WorkPositionType, data)
		if err != nil {
			var gerr *Error
			if !errors.As(err, &gerr) || gerr.Code != CodeBadRequest || gerr.Message == "" {
				t.Fatalf("refusal is not a BadRequest *Error: %v", err)
			}
			return
		}
		stored := Object(withoutNulls(body).(Object))
		encoded := AppendObjectJSON(nil, WorkPositionType, stored, EncodeOptions{OmitNulls: true})
		read, err := DecodeStoredItem(WorkPositionType, encoded)
		if err != nil {
			t.Fatalf("stored form %s does not decode: %v", encoded, err)
		}
		if !reflect.DeepEqual(Object(read), stored) {
			t.Fatalf("round trip changed the value:\nstored %#v\nread   %#v", stored, read)
		}
		// A decoded body re-encoded as a request decodes to the same value.
		again, err := DecodeBody(WorkPositionType, AppendObjectJSON(nil, WorkPositionType, stored, EncodeOptions{}))
		if err != nil {
			t.Fatalf("re-encoded body refused: %v", err)
		}
		if !reflect.DeepEqual(Object(withoutNulls(again).(Object)), stored) {
			t.Fatalf("re-encoded body decodes differently")
		}
	})
}

// FuzzMergePatch applies any body, as a PATCH, to a stored position: a body
// the decoder accepts always merges into a position that stores and reads
// back unchanged, and the properties the body does not name keep their
// values.
func FuzzMergePatch(f *testing.F) {
	f.Add([]byte(`{"isCurrent":false}`))
	f.Add([]byte(`{"detail":{"company":{"address":{"city":"Oslo"}}},"categories":null}`))
	f.Add([]byte(`{"detail":null,"manager":{"displayName":"A"},"source":{"type":"x"}}`))
	f.Add([]byte(`{"colleagues":[{"displayName":null}],"inference":{"confidenceScore":0.5}}`))
	stored := Item{
		"id": "p", "allowedAudiences": "organization", "isCurrent": true, "categories": []any{"a"},
		"createdDateTime": time.Date(2020, 7, 6, 6, 34, 12, 0, time.UTC), "lastModifiedDateTime": time.Date(2020, 7, 6, 6, 34, 12, 0, time.UTC),
		"detail":  Object{"jobTitle": "T", "company": Object{"displayName": "C", "address": Object{"city": "Moscow", "type": "business"}}},
		"manager": Object{"displayName": "M", "relationship": "manager"},
	}
	before := AppendObjectJSON(nil, WorkPositionType, Object(stored), EncodeOptions{})
	f.Fuzz(func(t *testing.T, data []byte) {
		patch, err := DecodeBody(WorkPositionType, data)
		if err != nil {
			return // refusals are FuzzDecodeBody's business
		}
		merged := MergePatch(WorkPositionType, Object(stored), patch)
		if after := AppendObjectJSON(nil, WorkPositionType, Object(stored), EncodeOptions{}); !reflect.DeepEqual(after, before) {
			t.Fatalf("MergePatch changed the stored position")
		}
		for name, v := range stored {
			if _, named := patch[name]; !named && !reflect.DeepEqual(merged[name], v) {
				t.Fatalf("%s changed although the patch does not name it", name)
			}
		}
		encoded := AppendObjectJSON(nil, WorkPositionType, merged, EncodeOptions{OmitNulls: true})
		read, err := DecodeStoredItem(WorkPositionType, encoded)
		if err != nil {
			t.Fatalf("the merged position does not decode: %v\n%s", err, encoded)
		}
		if !reflect.DeepEqual(Object(read), merged) {
			t.Fatalf("the merged position does not read back unchanged:\nmerged %#v\nread   %#v", merged, read)
		}
	})
}

// FuzzDecodeBodyEveryType is FuzzDecodeBody over the entity type of every
// collection of the profile, and users: pick chooses the type, so that
// dates, enums, doubles and the complex types of every facet meet any
// body. A body is refused with a BadRequest, or decodes into a value that
// stores and reads back unchanged and decodes the same when re-encoded.
func FuzzDecodeBodyEveryType(f *testing.F) {
	types := []*Type{UserType}
	for _, c := range ProfileCollections() {
		types = append(types, c.Type)
	}
	f.Add(uint8(0), []byte(`{"displayName":"A","accountEnabled":true,"businessPhones":["1"],"employeeHireDate":"2020-01-01T00:00:00Z"}`))
	f.Add(uint8(0), []byte(`{}`)) // a user without businessPhones, which an answer writes as []
	for _, body := range []string{
		`{"detail":{"street":"s","city":"c"},"geoCoordinates":{"latitude":59.9,"longitude":-10.5,"altitude":1e300}}`,
		`{"date":"2020-02-29","type":"birthday","displayName":"x"}`,
		`{"displayName":"Go","proficiency":"expert","categories":["x"],"collaborationTags":["askMeAbout"]}`,
		`{"displayName":"French","tag":"fr-FR","reading":"fullProfessional","spoken":"elementary"}`,
		`{"countryCode":"NO","preferredLanguageTag":{"locale":"en-US"},"userPersona":"adult"}`,
		`{"content":{"content":"x","contentType":"html"},"displayName":"n"}`,
	} {
		for j := range types {
			f.Add(uint8(j), []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, pick uint8, data []byte) {
		typ := types[int(pick)%len(types)]
		body, err := DecodeBody(typ, data)
		if err != nil {
			var gerr *Error
			if !errors.As(err, &gerr) || gerr.Code != CodeBadRequest || gerr.Message == "" {
				t.Fatalf("%s: refusal is not a BadRequest *Error: %v", typ.Name, err)
			}
			return
		}
		stored := Object(withoutNulls(body).(Object))
		encoded := AppendObjectJSON(nil, typ, stored, EncodeOptions{OmitNulls: true})
		read, err := DecodeStoredItem(typ, encoded)
		if err != nil {
			t.Fatalf("%s: stored form %s does not decode: %v", typ.Name, encoded, err)
		}
		if !reflect.DeepEqual(Object(read), stored) {
			t.Fatalf("%s: round trip changed the value:\nstored %#v\nread   %#v", typ.Name, stored, read)
		}
		again, err := DecodeBody(typ, AppendObjectJSON(nil, typ, stored, EncodeOptions{}))
		if err != nil {
			t.Fatalf("%s: re-encoded body refused: %v", typ.Name, err)
		}
		// An answer writes a collection that cannot be null as [] where it
		// is unset (a user's businessPhones), which a body gives as [].
		if !reflect.DeepEqual(withoutEmptyCollections(withoutNulls(again)), withoutEmptyCollections(stored)) {
			t.Fatalf("%s: re-encoded body decodes differently", typ.Name)
		}
	})
}

// withoutEmptyCollections is v without the members, at any depth, whose
// value is an empty collection.
func withoutEmptyCollections(v any) any {
	switch v := v.(type) {
	case Object:
		out := make(Object, len(v))
		for k, e := range v {
			if c, ok := e.([]any); !ok || len(c) > 0 {
				out[k] = withoutEmptyCollections(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutEmptyCollections(e)
		}
		return out
	default:
		return v
	}
}

// FuzzETagListed reads any If-Match or If-None-Match list against an
// entity tag as the server makes them (Item.ETag: a quoted base-36
// number): a list of no quote names the tag only when it is "*" alone; the
// tag, strong or weak, is named whatever quote-free elements stand before
// or after it; and a list never names a tag that is not in it.
func FuzzETagListed(f *testing.F) {
	for _, list := range []string{`"abc"`, `*`, ` * `, `W/"abc"`, `"x", "abc"`, `, ,"x",,"abc",`, `"a,b", "abc"`, `not-a-tag, "abc"`, `"x" junk, "abc"`, `"x, "abc"`, `"abc`, `""abc""`, `*, "abc"`} {
		f.Add(list, uint64(12345))
	}
	f.Fuzz(func(t *testing.T, list string, n uint64) {
		etag := Item{"lastModifiedDateTime": time.Unix(0, int64(n>>1)*100).UTC()}.ETag()
		listed := ETagListed(list, etag)
		if listed && !strings.Contains(list, etag[1:len(etag)-1]) && strings.TrimSpace(list) != "*" {
			t.Fatalf("%q names %s, which it does not hold", list, etag)
		}
		if strings.Contains(list, `"`) {
			return
		}
		if want := strings.TrimSpace(list) == "*"; listed != want {
			t.Fatalf("ETagListed(%q, %s) = %v, want %v", list, etag, listed, want)
		}
		for _, with := range []string{list + "," + etag, etag + "," + list, list + ", W/" + etag, "W/" + etag + " ," + list} {
			if !ETagListed(with, etag) {
				t.Fatalf("%q does not name %s", with, etag)
			}
		}
	})
}

// FuzzJSONReaderOracle: the decoder's syntax agrees with encoding/json:
// what it accepts is valid JSON; valid UTF-8 JSON not too deep is
// accepted; a string reads as encoding/json reads it; and a body DecodeBody
// accepts (of any type) is valid JSON.
func FuzzJSONReaderOracle(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e-3,"\ud800\u0041",true,null]}`, `"\udc00\ud800\udc00"`, `-0`, `1E+2`, `[{}]`, `{"a":1,"A":2}`, "\"\x7f\"", `"\u00e9\/"`} {
		f.Add([]byte(s), uint8(0))
	}
	types := []*Type{UserType}
	for _, c := range ProfileCollections() {
		types = append(types, c.Type)
	}
	f.Fuzz(func(t *testing.T, data []byte, pick uint8) {
		r := NewJSONReader(data)
		kind, err := r.Skip()
		if err == nil {
			err = r.End()
		}
		valid := json.Valid(data)
		if err == nil && !valid {
			t.Fatalf("JSONReader accepts %q (%s), encoding/json does not", data, kind)
		}
		if err != nil && valid && utf8.Valid(data) && !strings.Contains(err.Error(), "nested") {
			t.Fatalf("JSONReader refuses valid JSON %q: %v", data, err)
		}
		if kind == "a string" && err == nil {
			got, err := NewJSONReader(data).String()
			var want string
			if json.Unmarshal(data, &want) != nil || err != nil || got != want {
				t.Fatalf("string %q reads %q (%v), encoding/json %q", data, got, err, want)
			}
		}
		typ := types[int(pick)%len(types)]
		if _, err := DecodeBody(typ, data); err == nil && !json.Valid(SkipByteOrderMark(data)) {
			t.Fatalf("DecodeBody(%s) accepts invalid JSON %q", typ.Name, data)
		}
	})
}

// FuzzStoredWideYear checks how the stored decoder reads a time whose year
// time.Parse does not take (five digits or more, or a sign), which
// versions before the range check stored: a time of any such year that
// FormatDateTimeOffset writes reads back as that time, and whatever text
// is read writes back as text that reads back the same.
func FuzzStoredWideYear(f *testing.F) {
	for _, s := range []string{
		"10000-01-01T13:59:59.0000000Z", "-0001-12-31T00:00:00.0000000Z", "99999-12-31T23:59:59.9999999Z",
		"10001-02-29T00:00:00.0000000Z", "10000-02-29T00:00:00.0000000Z", "+10000-01-01T00:00:00.0000000Z",
		"10000-01-01T00:00:00+01:00", "1e400-01-01T00:00:00Z", "--1-01-01T00:00:00Z", "10000-1-1T0:0:0Z",
	} {
		f.Add(s, int32(10000), uint32(0))
	}
	for _, year := range []int32{-1, -5, -10000, 10001, 99999, 123456} {
		f.Add("", year, uint32(12_345_678)) // in its fifth month, 0.2345678 s past a second
	}
	f.Fuzz(func(t *testing.T, s string, year int32, within uint32) {
		if tm, err := parseStoredWideYear(s); err == nil {
			written := FormatDateTimeOffset(tm)
			again, err := parseStoredWideYear(written)
			if err != nil {
				again, err = ParseDateTimeOffset(written)
			}
			if err != nil || FormatDateTimeOffset(again) != written {
				t.Fatalf("%q read as %v, written %q, read back as %v, %v", s, tm, written, again, err)
			}
		}
		y := int(year % 1_000_000)
		if y >= 0 && y <= 9999 {
			return // time.Parse's years
		}
		// A time of that year, to the 100 ns FormatDateTimeOffset keeps.
		tm := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(within%(365*24*3600)) * time.Second).Add(time.Duration(within%10_000_000) * 100)
		written := FormatDateTimeOffset(tm)
		got, err := parseStoredWideYear(written)
		if err != nil || !got.Equal(tm) {
			t.Fatalf("%v written %q read back as %v, %v", tm, written, got, err)
		}
	})
}
