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
			got, err := readAll(r, tc.announced, MaxBodyBytes+1, nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != body {
				t.Errorf("read %d bytes, want the %d sent", len(got), len(body))
			}
		})
	}
	broken := errors.New("connection reset")
	_, err := readAll(io.MultiReader(bytes.NewReader([]byte("{")), iotest.ErrReader(broken)), 100, MaxBodyBytes+1, nil)
	if !errors.Is(err, broken) {
		t.Errorf("err = %v, want %v", err, broken)
	}
}

// TestReadAllBudget: a body grows past freeBodyBytes only with room in the
// budget of bodies, which it gives back once read; without room it is
// refused (errBodyBudget, answered 503), whatever size it announced.
func TestReadAllBudget(t *testing.T) {
	body := strings.Repeat("x", 3*freeBodyBytes)
	for _, announced := range []int64{-1, 100, int64(len(body))} {
		budget := newByteBudget(int64(2 * len(body))) // a buffer doubles
		got, err := readAll(strings.NewReader(body), announced, MaxBodyBytes+1, budget)
		if err != nil || len(got) != len(body) {
			t.Fatalf("announced %d: read %d bytes, %v; want %d", announced, len(got), err, len(body))
		}
		if left := budget.left.Load(); left != int64(2*len(body)) {
			t.Errorf("announced %d: budget left %d after the read, want all %d back", announced, left, 2*len(body))
		}
		refused := 0
		budget = newByteBudget(freeBodyBytes / 2)
		budget.onRefuse = func() { refused++ }
		if _, err := readAll(strings.NewReader(body), announced, MaxBodyBytes+1, budget); !errors.Is(err, errBodyBudget) || refused != 1 {
			t.Errorf("announced %d, no room: err %v, %d refusals; want errBodyBudget, 1", announced, err, refused)
		}
		if left := budget.left.Load(); left != freeBodyBytes/2 {
			t.Errorf("announced %d: budget left %d after the refusal, want %d", announced, left, freeBodyBytes/2)
		}
		small := strings.Repeat("y", freeBodyBytes)
		if got, err := readAll(strings.NewReader(small), -1, MaxBodyBytes+1, newByteBudget(0)); err != nil || len(got) != len(small) {
			t.Errorf("a body of freeBodyBytes with no budget: read %d, %v; want it read", len(got), err)
		}
	}
}
