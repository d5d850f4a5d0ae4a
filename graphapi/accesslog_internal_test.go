package graphapi

import "testing"

// TestCutForLog: a value of the access log is kept whole up to its limit
// and cut one byte past it, at a whole character, saying how long it was.
func TestCutForLog(t *testing.T) {
	for _, tc := range []struct {
		s    string
		max  int
		want string
	}{
		{"abcd", 4, "abcd"},
		{"abcde", 4, "abcd…[5 bytes]"},
		{"", 4, ""},
		{"aéé", 4, "aé…[5 bytes]"}, // é is two bytes: the second is not split
		{"ééé", 4, "éé…[6 bytes]"},
	} {
		if got := cutForLog(tc.s, tc.max); got != tc.want {
			t.Errorf("cutForLog(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
		}
	}
}
