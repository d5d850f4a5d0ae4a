package graphapi

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// FuzzParseBatch reads any body as a batch: it is a batch, or Graph's
// BadRequest with a message in Graph's words, never Go's, never a panic.
func FuzzParseBatch(f *testing.F) {
	f.Add([]byte(`{"requests":[{"id":"1","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{"a":[1,{}]},"dependsOn":[]}]}`))
	f.Add([]byte(`{"requests":[{"id":"1","id":"2","method":"GET","url":"/me"}],"requests":{}}`))
	f.Add([]byte(`{"Requests":[null,1,{"headers":{"a":1,"A":"b"},"dependsOn":"x","body":"e30="}]} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := parseBatch(data)
		if err == nil {
			if len(items) == 0 || len(items) > MaxBatchItems {
				t.Fatalf("a batch of %d items accepted", len(items))
			}
			return
		}
		var gerr *graphprofile.Error
		if !errors.As(err, &gerr) || gerr.Code != graphprofile.CodeBadRequest {
			t.Fatalf("not a BadRequest: %v", err)
		}
		for _, internal := range []string{"Go ", "graphapi", "struct", "unmarshal", "json:", "[]"} {
			if strings.Contains(gerr.Message, internal) && !bytes.Contains(data, []byte(internal)) {
				t.Fatalf("the message says %q: %s", internal, gerr.Message)
			}
		}
	})
}

// TestIsJSONMediaType: which Content-Types make a $batch item's body JSON
// as written (any other is a base64 string): application/json and every
// +json type, with parameters and in any case.
func TestIsJSONMediaType(t *testing.T) {
	for _, tc := range []struct {
		contentType string
		json        bool
	}{
		{"application/json", true},
		{"Application/JSON; charset=utf-8", true},
		{"application/vnd.x+json", true},
		{"application/merge-patch+json; charset=utf-8", true},
		{"text/plain", false},
		{"application/octet-stream", false},
		{"application/jsonx", false},
		{"application/json-seq", false},
		{"", false},
	} {
		if got := isJSONMediaType(tc.contentType); got != tc.json {
			t.Errorf("isJSONMediaType(%q) = %v, want %v", tc.contentType, got, tc.json)
		}
	}
}
