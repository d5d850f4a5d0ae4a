package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// The lopsided workload: one user (the heavy user) has --lopsided-items
// positions; the -c connections read them a page of lopsidedPageSize at a
// time while --lopsided-writers more connections create positions for the
// other users.
const (
	lopsidedPageSize = 10
	// A walk over the heavy user's positions reads the first page and, half
	// the time, follows @odata.nextLink for 1 to maxFollowedPages more.
	maxFollowedPages = 4
	// batchSize is how many creates one $batch of the setup holds: Graph's
	// (and graphprofile's) most.
	batchSize = 20
)

// minLopsidedItems is the fewest positions that give every walk its pages.
const minLopsidedItems = (maxFollowedPages + 1) * lopsidedPageSize

// listPage reads the next page of the connection's walk over the heavy
// user's positions, checks it (a page of lopsidedPageSize positions and a
// nextLink: the user has more than a walk reads) and moves the walk on.
func (r *runner) listPage(c doer, w *worker) (int, error) {
	path := w.nextPage
	page := w.page + 1
	if path == "" {
		path = r.heavy.prefix + "?$top=" + fmt.Sprint(lopsidedPageSize)
		page = 1
		w.pagesLeft = 0
		if w.rng.IntN(2) == 0 {
			w.pagesLeft = 1 + w.rng.IntN(maxFollowedPages)
		}
	}
	w.nextPage, w.page = "", 0 // a failed page starts a new walk
	status, body, err := c.do(http.MethodGet, path, r.heavy.token, nil)
	if err != nil {
		return 0, fmt.Errorf("list page %d: %w", page, err)
	}
	if err := checkPage(status, body, lopsidedPageSize); err != nil {
		return 0, fmt.Errorf("page %d of %s: %w", page, path, err)
	}
	link, err := nextLinkPath(body)
	if err != nil {
		return 0, fmt.Errorf("list page %d of %s: %w", page, path, err)
	}
	if w.pagesLeft > 0 {
		w.pagesLeft--
		w.nextPage, w.page = link, page
	}
	return len(body), nil
}

var nextLinkKey = []byte(`"@odata.nextLink":`)

// nextLinkPath returns the path and query of a list's @odata.nextLink,
// which the same connection then requests.
func nextLinkPath(body []byte) (string, error) {
	i := bytes.Index(body, nextLinkKey)
	if i < 0 {
		return "", fmt.Errorf("no @odata.nextLink: %s", snippet(body))
	}
	rest := body[i+len(nextLinkKey):]
	// The string ends at the first quote that no backslash escapes.
	end := -1
	for j := 1; j < len(rest); j++ {
		if rest[j] == '\\' {
			j++
			continue
		}
		if rest[j] == '"' {
			end = j + 1
			break
		}
	}
	var link string
	if len(rest) == 0 || rest[0] != '"' || end < 0 || json.Unmarshal(rest[:end], &link) != nil {
		return "", fmt.Errorf("@odata.nextLink is not a JSON string: %s", snippet(rest))
	}
	u, err := url.Parse(link)
	if err != nil || !u.IsAbs() || !strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("@odata.nextLink %q is not an absolute URL", link)
	}
	return u.RequestURI(), nil
}

// batchOfCreates returns a $batch body of n creates of the seed's position
// at the version-relative path prefix.
func batchOfCreates(prefix string, n int) []byte {
	creates := make([]batchCreate, n)
	for i := range creates {
		creates[i] = batchCreate{url: prefix, body: createBody}
	}
	return batchBody(creates)
}

// batchBody returns the $batch body of creates, numbered from 1.
func batchBody(creates []batchCreate) []byte {
	type item struct {
		ID      string            `json:"id"`
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}
	var batch struct {
		Requests []item `json:"requests"`
	}
	for i, c := range creates {
		batch.Requests = append(batch.Requests, item{
			ID: fmt.Sprint(i + 1), Method: http.MethodPost, URL: c.url,
			Headers: map[string]string{"Content-Type": "application/json"}, Body: c.body,
		})
	}
	b, err := json.Marshal(batch)
	if err != nil {
		panic(err) // a fixed structure of valid JSON
	}
	return b
}

// checkBatchOfCreates checks a $batch answer to n creates (batchOfCreates,
// batchBody): every item 201 with an item; it returns the new items' ids.
func checkBatchOfCreates(status int, body []byte, n int) ([]string, error) {
	if status != http.StatusOK {
		return nil, fmt.Errorf("$batch: status %d, want 200: %s", status, snippet(body))
	}
	var answer struct {
		Responses []struct {
			ID     string          `json:"id"`
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, fmt.Errorf("$batch: not a batch answer (%v): %s", err, snippet(body))
	}
	if len(answer.Responses) != n {
		return nil, fmt.Errorf("$batch: %d responses, want %d: %s", len(answer.Responses), n, snippet(body))
	}
	ids := make([]string, 0, n)
	for _, resp := range answer.Responses {
		var created struct {
			ID string `json:"id"`
		}
		if resp.Status == http.StatusInsufficientStorage {
			return nil, fmt.Errorf("$batch item %s: status 507: %s; the server holds fewer items a collection than the setup creates: start it with serve --max-items above --lopsided-items", resp.ID, snippet(resp.Body))
		}
		if resp.Status != http.StatusCreated || json.Unmarshal(resp.Body, &created) != nil || len(created.ID) != guidLen {
			return nil, fmt.Errorf("$batch item %s: status %d, want 201 with an item: %s", resp.ID, resp.Status, snippet(resp.Body))
		}
		ids = append(ids, created.ID)
	}
	return ids, nil
}

// fillHeavyUser creates items positions for u through $batch requests of
// batchSize creates, over connections connections, reporting progress.
func fillHeavyUser(u *user, items, connections int, newConn func() doer, acked *ackLog, progress func(done int)) error {
	prefix := strings.TrimPrefix(u.prefix, "/beta")
	full := batchOfCreates(prefix, batchSize)
	batches := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     atomic.Int64
	)
	for range connections {
		wg.Go(func() {
			c := newConn()
			defer c.close()
			for n := range batches {
				body := full
				if n != batchSize {
					body = batchOfCreates(prefix, n)
				}
				status, answer, err := c.do(http.MethodPost, "/beta/$batch", u.token, body)
				var ids []string
				if err == nil {
					ids, err = checkBatchOfCreates(status, answer, n)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				for _, id := range ids {
					acked.created(u.index, id)
				}
				progress(int(done.Add(int64(n))))
			}
		})
	}
	for left := items; left > 0; left -= batchSize {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		batches <- min(left, batchSize)
	}
	close(batches)
	wg.Wait()
	return firstErr
}
