package graphprofiletest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/graphprofile/graphprofile/graphprofiletest"
)

// A test of code that writes a work position through Graph: the server
// keeps state as Graph does, and its journal shows what the code sent.
// (exampleT stands in for the test's *testing.T.)
func Example() {
	t := &exampleT{}
	defer t.finish()

	srv := graphprofiletest.NewServer(t)
	tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))

	// The code under test, pointed at srv.URL + "/beta" instead of
	// https://graph.microsoft.com/beta.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/beta/me/profile/positions",
		strings.NewReader(`{"detail":{"jobTitle":"Product Manager","company":{"displayName":"Contoso"}}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)

	// What the code sent, as the server received it.
	for _, r := range srv.Requests(graphprofiletest.RequestFilter{Method: "POST"}) {
		fmt.Println(r.Request.Method, r.Request.URL, r.Response.Status)
		fmt.Println(r.Request.Headers["Authorization"][0])
	}

	// Empty again for the next test.
	srv.Reset()
	// Output:
	// 201 Created
	// POST /beta/me/profile/positions 201
	// Bearer [redacted]
}

// exampleT is the part of a *testing.T a Server uses, for an example that
// has none.
type exampleT struct{ cleanups []func() }

func (t *exampleT) Helper()                           {}
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
