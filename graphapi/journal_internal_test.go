package graphapi

import (
	"bytes"
	"testing"
)

// FuzzRedactCredentials redacts any body without a panic, and what it
// redacted it leaves as it is when redacted again.
func FuzzRedactCredentials(f *testing.F) {
	f.Add([]byte(`{"requests":[{"headers":{"Authorization":"Bearer x","Cookie":["a=b",{"c":"d"}]}}]}`))
	f.Add([]byte(`{"\u0041uthorization" : "Bearer x\"y`))
	f.Add([]byte(`"Proxy-Authorization":[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		once := redactCredentials(data)
		if twice := redactCredentials(once); !bytes.Equal(twice, once) {
			t.Fatalf("redacted again, %q became %q", once, twice)
		}
	})
}
