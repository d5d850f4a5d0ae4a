package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMergeAcked(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	// update is one update of position "p" (user 1) by a connection: sent at
	// sent ms, acknowledged at acked ms (0: never).
	type update struct {
		conn        int
		value       bool
		sent, acked int
	}
	tests := []struct {
		name    string
		updates []update
		want    []bool // the values p may hold; nil: p has no constraint
	}{
		{"one update", []update{{0, true, 1, 2}}, []bool{true}},
		{"one connection's updates in turn: the last", []update{{0, true, 1, 2}, {0, false, 3, 4}, {0, true, 5, 6}}, []bool{true}},
		{"two connections, one after the other", []update{{0, true, 1, 2}, {1, false, 3, 4}}, []bool{false}},
		{"two connections overlapping: either", []update{{0, true, 1, 4}, {1, false, 2, 3}}, []bool{false, true}},
		{"the overlap is followed by a third", []update{{0, true, 1, 4}, {1, false, 2, 3}, {2, true, 5, 6}}, []bool{true}},
		{"an unacknowledged attempt may have been applied", []update{{0, true, 1, 2}, {1, false, 3, 0}}, []bool{false, true}},
		{"nothing acknowledged: no constraint", []update{{0, true, 1, 0}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setup := newAckLog()
			setup.created(1, "p")
			setup.created(2, "q")
			logs := []*ackLog{setup, newAckLog(), newAckLog(), newAckLog()}
			for _, u := range tt.updates {
				l := logs[1+u.conn]
				// updated stamps the acknowledgement with the clock; set it by hand.
				l.updated(1, "p", u.value, ms(u.sent), u.acked > 0)
				if u.acked > 0 {
					l.updates["p"].acked = ms(u.acked)
				}
			}
			got := mergeAcked(logs)
			want := []ackedPosition{{User: 1, ID: "p", IsCurrent: tt.want}, {User: 2, ID: "q"}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("mergeAcked = %+v, want %+v", got, want)
			}
		})
	}
	var none *ackLog // a nil log records nothing and does not panic
	none.created(1, "p")
	none.updated(1, "p", true, t0, true)
}

func TestAckedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acked.jsonl")
	positions := []ackedPosition{{User: 0, ID: "8d317c0b-9d96-4d2a-82ec-20305cfee5c8"}, {User: 7, ID: "00000000-9d96-4d2a-82ec-20305cfee5c8", IsCurrent: []bool{false, true}}}
	if err := writeAcked(path, defaultTenant, positions); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, got, err := readAcked(bytes.NewReader(data))
	if err != nil || header.Tenant != defaultTenant || !reflect.DeepEqual(got, positions) {
		t.Errorf("readAcked = %+v %+v, %v; want the written ones", header, got, err)
	}
	for _, bad := range []string{
		"",
		`{"format":"something else"}` + "\n",
		`{"format":"` + ackedFormat + `"}` + "\n" + `{"user":1}` + "\n",
		`{"format":"` + ackedFormat + `"}` + "\nnot json\n",
	} {
		if _, _, err := readAcked(strings.NewReader(bad)); err == nil {
			t.Errorf("readAcked(%q) succeeded", bad)
		}
	}
}

// fakeServer answers GETs of positions from a map: id → body (absent: 404).
type fakeServer map[string]string

func (f fakeServer) do(method, path, token string, body []byte) (int, []byte, error) {
	id := path[strings.LastIndexByte(path, '/')+1:]
	b, ok := f[id]
	if !ok {
		return http.StatusNotFound, []byte(`{"error":{"code":"itemNotFound"}}`), nil
	}
	if b == "500" {
		return http.StatusInternalServerError, []byte(`{"error":{"code":"generalException"}}`), nil
	}
	return http.StatusOK, []byte(b), nil
}

func (fakeServer) close() {}

func TestVerify(t *testing.T) {
	position := func(id string, isCurrent bool) string {
		b, _ := json.Marshal(map[string]any{"@odata.context": "x", "id": id, "isCurrent": isCurrent})
		return string(b)
	}
	srv := fakeServer{
		"a": position("a", true),
		"b": position("b", false),
		"c": position("c", true),
		"e": "500",
	}
	tests := []struct {
		name      string
		positions []ackedPosition
		want      verifyResult
	}{
		{"all there", []ackedPosition{{ID: "a"}, {ID: "b", IsCurrent: []bool{false}}, {ID: "c", IsCurrent: []bool{false, true}}},
			verifyResult{Checked: 3, Updated: 2}},
		{"missing", []ackedPosition{{ID: "a"}, {ID: "d"}}, verifyResult{Checked: 2, Missing: 1}},
		{"wrong value", []ackedPosition{{ID: "a", IsCurrent: []bool{false}}}, verifyResult{Checked: 1, Updated: 1, Wrong: 1}},
		{"failed", []ackedPosition{{ID: "e"}}, verifyResult{Checked: 1, Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := verify(tt.positions, map[int]string{0: "token"}, func() doer { return srv }, 2)
			if got != tt.want || len(problems) != tt.want.Missing+tt.want.Wrong+tt.want.Failed || got.ok() != (len(problems) == 0) {
				t.Errorf("verify = %+v %q, want %+v", got, problems, tt.want)
			}
		})
	}
}
