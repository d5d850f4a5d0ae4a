package graphapi

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadAll: the body is read whole whatever size the request announced
// (none, the right one, too little, too much), in pieces or at once, and
// a read error is returned.
func TestReadAll(t *testing.T) {
	body := strings.Repeat(`{"a":"b"}`, 300)
	tests := []struct {
		name      string
		announced int64
		oneByte   bool
	}{
		{"none", -1, false},
		{"zero", 0, false},
		{"exact", int64(len(body)), false},
		{"exact, a byte at a time", int64(len(body)), true},
		{"less than sent", 10, false},
		{"less than sent, a byte at a time", 10, true},
		{"more than sent", int64(len(body)) * 3, false},
		{"more than is presized", presizedBodyBytes + 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(body)
			if tc.oneByte {
				r = iotest.OneByteReader(r)
			}
			got, err := readAll(r, tc.announced)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != body {
				t.Errorf("read %d bytes, want the %d sent", len(got), len(body))
			}
		})
	}
	broken := errors.New("connection reset")
	_, err := readAll(io.MultiReader(bytes.NewReader([]byte("{")), iotest.ErrReader(broken)), 100)
	if !errors.Is(err, broken) {
		t.Errorf("err = %v, want %v", err, broken)
	}
}
