package graphprofile

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestAppendObjectJSONEmitsEveryPropertyAsNull(t *testing.T) {
	got := string(AppendObjectJSON(nil, WorkPositionType, Object{"id": "x", "detail": Object{"company": Object{}}}, EncodeOptions{
		Annotations: []Annotation{{Name: "@odata.context", Value: "ctx"}},
	}))
	want := `{"@odata.context":"ctx","id":"x","allowedAudiences":null,"inference":null,"createdDateTime":null,"createdBy":null,` +
		`"lastModifiedDateTime":null,"lastModifiedBy":null,"source":null,"sources":null,"isSearchable":null,"categories":null,` +
		`"detail":{"company":{"displayName":null,"pronunciation":null,"department":null,"officeLocation":null,"address":null,"webUrl":null,` +
		`"companyCode":null,"costCenter":null,"division":null,"secondaryDepartment":null},"description":null,"employeeId":null,` +
		`"employeeType":null,"endMonthYear":null,"jobTitle":null,"layer":null,"level":null,"role":null,"secondaryJobTitle":null,` +
		`"secondaryRole":null,"startMonthYear":null,"summary":null},"manager":null,"colleagues":null,"isCurrent":null}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAppendObjectJSONValues(t *testing.T) {
	tests := []struct {
		name string
		obj  Object
		want string
	}{
		{"time with seven digits", Object{"createdDateTime": time.Date(2020, 7, 6, 6, 34, 12, 229486800, time.UTC)}, `{"createdDateTime":"2020-07-06T06:34:12.2294868Z"}`},
		{"whole second time", Object{"createdDateTime": time.Date(2020, 7, 6, 6, 34, 12, 0, time.FixedZone("x", 3600))}, `{"createdDateTime":"2020-07-06T05:34:12.0000000Z"}`},
		{"double", Object{"inference": Object{"confidenceScore": 0.5}}, `{"inference":{"confidenceScore":0.5}}`},
		{"whole double", Object{"inference": Object{"confidenceScore": 2.0}}, `{"inference":{"confidenceScore":2}}`},
		{"tiny double", Object{"inference": Object{"confidenceScore": 1e-9}}, `{"inference":{"confidenceScore":1e-9}}`},
		{"huge double", Object{"inference": Object{"confidenceScore": math.MaxFloat64}}, `{"inference":{"confidenceScore":1.7976931348623157e+308}}`},
		{"int32", Object{"detail": Object{"layer": int64(-2)}}, `{"detail":{"layer":-2}}`},
		{"date", Object{"detail": Object{"startMonthYear": Date("2019-06-01")}}, `{"detail":{"startMonthYear":"2019-06-01"}}`},
		{"escaping", Object{"categories": []any{"\"\\\n\r\t\x01<>&\u2028\u2029é"}}, `{"categories":["\"\\\n\r\t\u0001<>&\u2028\u2029é"]}`},
		{"empty collection", Object{"categories": []any{}}, `{"categories":[]}`},
		{"collection of objects", Object{"colleagues": []any{Object{"displayName": "A"}, Object{"userId": "b"}}}, `{"colleagues":[{"displayName":"A"},{"userId":"b"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendObjectJSON(nil, WorkPositionType, tc.obj, EncodeOptions{OmitNulls: true}))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("output is not valid JSON: %s", got)
			}
		})
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "😀 ü", "\xff bad utf8"} {
		var decoded string
		if err := json.Unmarshal(AppendJSONString(nil, s), &decoded); err != nil {
			t.Fatalf("AppendJSONString(%q) is not JSON: %v", s, err)
		}
		want := s
		if s == "\xff bad utf8" {
			want = "\uFFFD bad utf8"
		}
		if decoded != want {
			t.Errorf("AppendJSONString(%q) decodes to %q", s, decoded)
		}
	}
}
