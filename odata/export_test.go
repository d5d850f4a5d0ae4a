package odata

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/graphprofile/graphprofile"
)

// ForgeSkipToken signs payload as a $skiptoken of q over the list binding,
// with the package's key, so tests can hand Apply a token whose MAC is valid
// but whose content is anything.
func ForgeSkipToken(q Query, binding string, payload []byte) string {
	mac := hmac.New(sha256.New, skipTokenKey)
	mac.Write(q.tokenBinding(binding))
	mac.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// MaxTextLen is how much of an and/or chain messages quote.
const MaxTextLen = maxTextLen

// Match reports whether obj satisfies the filter (an unknown result, from
// nulls, does not), within MaxFilterWork: the filter alone, apart from a
// query and a request (whose context a Query's Run and Apply pass on).
func (f *Filter) Match(obj graphprofile.Object) bool {
	return f.matchIn(f.newEnv(context.Background(), MaxFilterWork), obj)
}
