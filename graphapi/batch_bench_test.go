package graphapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/token"
)

// BenchmarkTwentyCreates compares two ways a client makes 20 positions on
// one keep-alive connection to a real server on a durable SQLite store: 20
// sequential POSTs, each waiting for its fsync, and one $batch of 20,
// whose items run together and share the store's commits. One op is 20
// creates either way.
func BenchmarkTwentyCreates(b *testing.B) {
	store, dev := benchStore(b)
	// Every create goes into one profile: far more than the default limit.
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store, MaxItems: 1 << 30}, Authenticator: token.NewValidator(nil, dev), Addr: "127.0.0.1:0", Logger: discardLogger()}
	if err := srv.Open(); err != nil {
		b.Fatal(err)
	}
	defer srv.Close(context.Background())
	tok := benchToken(b, dev, "User.ReadWrite")
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxConnsPerHost: 1}}
	post := func(path, body string, want int) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			b.Fatalf("%s: %d %s", path, resp.StatusCode, data)
		}
		if path == "/beta/$batch" && strings.Count(string(data), `"status":201`) != 20 {
			b.Fatalf("a batch item was not created: %s", data)
		}
	}
	const position = `{"detail":{"jobTitle":"Engineer","company":{"displayName":"Contoso"}},"isCurrent":true}`
	items := make([]string, 20)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"%d","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":%s}`, i, position)
	}
	batch := `{"requests":[` + strings.Join(items, ",") + `]}`

	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			for range 20 {
				post("/beta/me/profile/positions", position, http.StatusCreated)
			}
		}
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			post("/beta/$batch", batch, http.StatusOK)
		}
	})
}
