package stored

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPrefixEnd: the end of the range of the strings that start with a
// prefix is the prefix with its last rune that has a successor replaced
// by it (the surrogates skipped), valid UTF-8; none for an empty prefix,
// one of U+10FFFF alone or one not UTF-8; and every string that starts with
// the prefix sorts in [prefix, end).
func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct {
		prefix, end string
		ok          bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"adele", "adelf", true},
		{"z", "{", true},
		{"é", "ê", true},
		{"a\u007f", "a\u0080", true},
		{"\u07ff", "\u0800", true},
		{"x\uD7FF", "x\uE000", true},
		{"\uFFFF", "\U00010000", true},
		{"a\U0010FFFF", "b", true},
		{"a\U0010FFFF\U0010FFFF", "b", true},
		{"\U0010FFFF", "", false},
		{"a\xff", "", false},
	} {
		end, ok := PrefixEnd(c.prefix)
		if end != c.end || ok != c.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", c.prefix, end, ok, c.end, c.ok)
		}
		if !ok {
			continue
		}
		if !utf8.ValidString(end) {
			t.Errorf("PrefixEnd(%q) = %q, not UTF-8", c.prefix, end)
		}
		for _, rest := range []string{"", "\x00", "a", "\U0010FFFF\U0010FFFF", strings.Repeat("\U0010FFFF", 300)} {
			if s := c.prefix + rest; s < c.prefix || s >= end {
				t.Errorf("%q starts with %q and is not in [%q, %q)", s, c.prefix, c.prefix, end)
			}
		}
	}
}
