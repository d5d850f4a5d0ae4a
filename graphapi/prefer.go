package graphapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/graphprofile/graphprofile/odata"
)

// preferredMaxPageSize returns the odata.maxpagesize preference of the
// request's Prefer headers (RFC 7240; OData 4.01 also allows maxpagesize
// without the prefix), clamped to odata.MaxPageSize, and whether there is a
// usable one. Only the first instance counts, as RFC 7240 says; a value
// that is not a positive whole number is ignored, as a preference a server
// cannot honour is (never an error).
func preferredMaxPageSize(h http.Header) (int, bool) {
	for _, line := range h.Values("Prefer") {
		for pref := range strings.SplitSeq(line, ",") {
			pref, _, _ = strings.Cut(pref, ";") // parameters: none defined for it
			name, value, _ := strings.Cut(pref, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "odata.maxpagesize" && name != "maxpagesize" {
				continue
			}
			n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(value), `"`))
			if errors.Is(err, strconv.ErrRange) && n > 0 {
				// A whole number past an int is past the largest page too.
				err = nil
			}
			if err != nil || n < 1 {
				return 0, false
			}
			return min(n, odata.MaxPageSize), true
		}
	}
	return 0, false
}
