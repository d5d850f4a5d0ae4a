package graphprofile

import (
	"reflect"
	"testing"
)

func TestMergePatch(t *testing.T) {
	stored := Object{
		"isCurrent":  false,
		"categories": []any{"a", "b"},
		"detail": Object{
			"jobTitle": "Old",
			"company":  Object{"displayName": "Contoso", "address": Object{"city": "Oslo", "street": "Main"}},
		},
		"manager": Object{"displayName": "Boss"},
	}
	tests := []struct {
		name  string
		patch Object
		want  Object
	}{
		{"absent properties keep their values", Object{"isCurrent": true},
			Object{"isCurrent": true, "categories": []any{"a", "b"}, "detail": stored["detail"], "manager": stored["manager"]}},
		{"nested merge keeps siblings", Object{"detail": Object{"jobTitle": "X"}},
			Object{"isCurrent": false, "categories": []any{"a", "b"}, "manager": stored["manager"], "detail": Object{
				"jobTitle": "X", "company": Object{"displayName": "Contoso", "address": Object{"city": "Oslo", "street": "Main"}}}}},
		{"deep merge", Object{"detail": Object{"company": Object{"address": Object{"city": "Bergen"}}}},
			Object{"isCurrent": false, "categories": []any{"a", "b"}, "manager": stored["manager"], "detail": Object{
				"jobTitle": "Old", "company": Object{"displayName": "Contoso", "address": Object{"city": "Bergen", "street": "Main"}}}}},
		{"collection replaced whole", Object{"categories": []any{"c"}},
			Object{"isCurrent": false, "categories": []any{"c"}, "detail": stored["detail"], "manager": stored["manager"]}},
		{"null clears a property", Object{"isCurrent": nil, "categories": nil},
			Object{"detail": stored["detail"], "manager": stored["manager"]}},
		{"null clears a whole complex value", Object{"detail": nil},
			Object{"isCurrent": false, "categories": []any{"a", "b"}, "manager": stored["manager"]}},
		{"null inside a complex value clears one property", Object{"detail": Object{"company": Object{"address": nil}}},
			Object{"isCurrent": false, "categories": []any{"a", "b"}, "manager": stored["manager"], "detail": Object{
				"jobTitle": "Old", "company": Object{"displayName": "Contoso"}}}},
		{"new complex value drops nulls", Object{"inference": Object{"confidenceScore": 0.5, "userHasVerifiedAccuracy": nil}},
			Object{"isCurrent": false, "categories": []any{"a", "b"}, "detail": stored["detail"], "manager": stored["manager"],
				"inference": Object{"confidenceScore": 0.5}}},
		{"new collection items drop nulls", Object{"colleagues": []any{Object{"displayName": "Ann", "userId": nil}}},
			Object{"isCurrent": false, "categories": []any{"a", "b"}, "detail": stored["detail"], "manager": stored["manager"],
				"colleagues": []any{Object{"displayName": "Ann"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := AppendObjectJSON(nil, WorkPositionType, stored, EncodeOptions{})
			got := MergePatch(WorkPositionType, stored, tc.patch)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("MergePatch:\n got %#v\nwant %#v", got, tc.want)
			}
			if after := AppendObjectJSON(nil, WorkPositionType, stored, EncodeOptions{}); string(after) != string(before) {
				t.Errorf("MergePatch modified its input:\n%s\n%s", before, after)
			}
		})
	}
}
