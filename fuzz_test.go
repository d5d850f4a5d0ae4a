package graphprofile

import (
	"errors"
	"os"
	"reflect"
	"testing"
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
		read, err := DecodeStoredPosition(encoded)
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
