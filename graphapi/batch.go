package graphapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// JSON batching (POST /{version}/$batch), as Graph documents it: each item
// of the batch runs through the server's own handler (ServeHTTP) exactly
// as if it had been sent alone, with the batch's token; only the envelope
// is the batch's.
const (
	// MaxBatchItems is how many requests one batch may hold, as in Graph.
	MaxBatchItems = 20
	// batchConcurrency bounds the items of one batch that run at once.
	// Independent writes that run together share the store's commits.
	batchConcurrency = 10
)

// batchItem is one request of a batch, as readBatch reads it.
type batchItem struct {
	ID        string
	Method    string
	URL       string
	Headers   map[string]string
	Body      []byte // as written: JSON, or a base64 string
	DependsOn []string

	deps []*batchItem  // what DependsOn names
	done chan struct{} // closed once the item has its response
	resp batchResponse
}

// batchResponse is one item's answer in the batch's response.
type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// batch answers POST /{version}/$batch: 200 with every item's response
// whenever the batch itself is valid, whatever its items did; Graph's 400
// for a batch that is not, and then no item runs.
func (s *Server) batch(ctx context.Context, ex *exchange, c call) error {
	data, err := readBodyBytes(ex.r, s.bodyBudget())
	if err != nil {
		return err
	}
	items, err := parseBatch(data)
	if err != nil {
		return err
	}
	ctx = context.WithValue(ctx, answerLeaseKey{}, &ex.answers) // the items' answers are held until the batch's is written
	// The batch is one request: its items' $filters share one request's
	// evaluation budget, rather than each taking one (twenty times the
	// CPU one request may take).
	ctx = odata.WithWorkBudget(ctx, odata.NewWorkBudget())
	ctx = context.WithValue(ctx, batchTurnKey{}, make(chan struct{}, 1))
	ctx = context.WithValue(ctx, batchScansKey{}, newBatchScans(s.BatchScanUsers))
	ctx = context.WithValue(ctx, storeDownKey{}, new(atomic.Bool))
	s.runBatch(withBatchOrigin(ctx, batchOrigin{requestID: ex.requestID, caller: ex.caller}), ex.r, c.route.version, items)
	if err := ctx.Err(); err != nil {
		return err // the client left: one debug line for the batch, no answer
	}
	responses := make([]batchResponse, len(items))
	for i, item := range items {
		responses[i] = item.resp
	}
	body, err := json.Marshal(struct {
		Responses []batchResponse `json:"responses"`
	}{responses})
	if err != nil {
		return fmt.Errorf("encoding a batch response: %w", err)
	}
	// The write timeout bounds writing the answer, counted from the
	// request's start: the items ran one after another for up to 20
	// waits of their own (a slot for a costly query, a fault's latency),
	// and their answer, past it, was lost while the log said 200.
	_ = http.NewResponseController(ex.w).SetWriteDeadline(time.Now().Add(s.timeouts().Write))
	ex.writeJSON(http.StatusOK, func(buf []byte) []byte { return append(buf, body...) })
	return nil
}

func batchError(format string, args ...any) error {
	return graphprofile.Errorf(graphprofile.CodeBadRequest, format, args...)
}

// parseBatch reads and checks a batch: every way a batch can be invalid is
// a BadRequest for the whole batch.
func parseBatch(data []byte) ([]*batchItem, error) {
	requests, err := readBatch(data)
	if err != nil {
		return nil, err
	}
	switch {
	case requests == nil:
		return nil, batchError("Invalid batch payload format: the 'requests' property is missing.")
	case len(requests) == 0:
		return nil, batchError("Invalid batch payload format: the batch holds no requests.")
	case len(requests) > MaxBatchItems:
		return nil, batchError("The batch holds %d requests; at most %d are allowed in one batch.", len(requests), MaxBatchItems)
	}
	byID := make(map[string]*batchItem, len(requests))
	for i, item := range requests {
		if item == nil {
			return nil, batchError("Request %d of the batch is null.", i+1)
		}
		switch {
		case item.ID == "":
			return nil, batchError("Request %d of the batch has no id.", i+1)
		case item.Method == "":
			return nil, batchError("Request '%s' of the batch has no method.", item.ID)
		case item.URL == "":
			return nil, batchError("Request '%s' of the batch has no url.", item.ID)
		}
		key := strings.ToLower(item.ID) // ids ignore case, as Graph's do
		if _, dup := byID[key]; dup {
			return nil, batchError("The batch holds more than one request with the id '%s'; ids must be unique (ignoring case).", item.ID)
		}
		byID[key] = item
		if err := checkBatchURL(item); err != nil {
			return nil, err
		}
		if len(item.Body) > 0 && !bytes.Equal(item.Body, []byte("null")) && item.header("Content-Type") == "" {
			return nil, batchError("Request '%s' of the batch has a body but no Content-Type header.", item.ID)
		}
	}
	for _, item := range requests {
		for _, dep := range item.DependsOn {
			d, ok := byID[strings.ToLower(dep)]
			if !ok {
				return nil, batchError("Request '%s' of the batch depends on '%s', which is not in the batch.", item.ID, dep)
			}
			item.deps = append(item.deps, d)
		}
	}
	if cycle := findCycle(requests); cycle != nil {
		return nil, batchError("The dependencies of the batch form a cycle through request '%s'.", cycle.ID)
	}
	return requests, nil
}

// readBatch reads the batch's own structure as strictly as any body is
// read (graphprofile.JSONReader: a property twice, in any case, is
// refused), and refuses properties a batch does not have and values of
// the wrong JSON type. Property names ignore case, as a body's do; null
// is an absent value. It returns the requests, nil when absent. An item's
// body is kept as written: its own request decodes it.
func readBatch(data []byte) ([]*batchItem, error) {
	r := graphprofile.NewJSONReader(data)
	if r.Next() != "an object" {
		return nil, unexpected(r, "Invalid batch payload format: the body must be a JSON object with a 'requests' array, found %s.")
	}
	var requests []*batchItem
	err := r.Object("the batch", func(name string) error {
		if !strings.EqualFold(name, "requests") {
			return batchError("Invalid batch payload format: the property '%s' does not exist on a batch; a batch has only 'requests'.", name)
		}
		switch r.Next() {
		case "null":
			_, err := r.Skip()
			return err
		case "an array":
		default:
			return unexpected(r, "Invalid batch payload format: the 'requests' property must be a JSON array of requests, found %s.")
		}
		requests = []*batchItem{}
		return r.Array(func(i int) error {
			item, err := readBatchItem(r, i+1)
			requests = append(requests, item)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	if err := r.End(); err != nil {
		return nil, err
	}
	return requests, nil
}

// readBatchItem reads request n (from 1) of a batch: nil when null.
func readBatchItem(r *graphprofile.JSONReader, n int) (*batchItem, error) {
	switch r.Next() {
	case "null":
		_, err := r.Skip()
		return nil, err
	case "an object":
	default:
		return nil, unexpected(r, "Request %d of the batch must be a JSON object, found %s.", n)
	}
	item := &batchItem{}
	where := fmt.Sprintf("request %d of the batch", n)
	err := r.Object(where, func(name string) error {
		switch strings.ToLower(name) {
		case "id":
			return readBatchString(r, &item.ID, "id", where)
		case "method":
			return readBatchString(r, &item.Method, "method", where)
		case "url":
			return readBatchString(r, &item.URL, "url", where)
		case "headers":
			return item.readHeaders(r, where)
		case "body":
			body, err := r.Body() // as deep as a body sent alone
			item.Body = body
			return err
		case "dependson":
			return item.readDependsOn(r, where)
		case "depends_on", "atomicitygroup":
			// The official Python SDK (msgraph-sdk-python-core) writes an
			// item's dependencies under depends_on, which Graph does not
			// read: it runs the items as if independent. Nor does Graph do
			// OData's atomicityGroup: its known issues say it is ignored.
			// So are both here, rather than refusing the whole batch.
			_, err := r.Skip()
			return err
		}
		return batchError("Invalid batch payload format: the property '%s' does not exist on %s; a request has only 'id', 'method', 'url', 'headers', 'body' and 'dependsOn'.", name, where)
	})
	return item, err
}

// readBatchString reads property, a string of the item where, into dst.
func readBatchString(r *graphprofile.JSONReader, dst *string, property, where string) error {
	switch r.Next() {
	case "null":
		_, err := r.Skip()
		return err
	case "a string":
		s, err := r.String()
		*dst = s
		return err
	}
	return unexpected(r, "Invalid batch payload format: the '%s' of %s must be a JSON string, found %s.", property, where)
}

// readHeaders reads the item's headers, an object of strings; their
// names, as HTTP's, ignore case, so one given twice in two cases is a
// property twice.
func (item *batchItem) readHeaders(r *graphprofile.JSONReader, where string) error {
	if ok, err := nullOr(r, "an object", "Invalid batch payload format: the 'headers' of %s must be a JSON object of strings, found %s.", where); !ok {
		return err
	}
	item.Headers = map[string]string{}
	return r.Object("the headers of "+where, func(name string) error {
		if r.Next() != "a string" {
			return unexpected(r, "Invalid batch payload format: the header '%s' of %s must be a JSON string, found %s.", name, where)
		}
		value, err := r.String()
		item.Headers[name] = value
		return err
	})
}

// readDependsOn reads the ids the item depends on, an array of strings.
func (item *batchItem) readDependsOn(r *graphprofile.JSONReader, where string) error {
	if ok, err := nullOr(r, "an array", "Invalid batch payload format: the 'dependsOn' of %s must be a JSON array of request ids, found %s.", where); !ok {
		return err
	}
	item.DependsOn = []string{}
	return r.Array(func(int) error {
		if r.Next() != "a string" {
			return unexpected(r, "Invalid batch payload format: the 'dependsOn' of %s must be a JSON array of request ids, found %s in it.", where)
		}
		id, err := r.String()
		item.DependsOn = append(item.DependsOn, id)
		return err
	})
}

// nullOr reads a null, or tells that a value of kind want comes next (ok,
// the value still to read); a value of another kind is the batch's error
// of format, whose arguments are where and the kind found.
func nullOr(r *graphprofile.JSONReader, want, format, where string) (ok bool, err error) {
	switch r.Next() {
	case "null":
		_, err := r.Skip()
		return false, err
	case want:
		return true, nil
	}
	return false, unexpected(r, format, where)
}

// unexpected reads a value of a kind its caller did not expect and
// returns the batch's error with the kind it found as format's last
// argument; a malformed value is a syntax error instead.
func unexpected(r *graphprofile.JSONReader, format string, args ...any) error {
	found, err := r.Skip()
	if err != nil {
		return err
	}
	return batchError(format, append(args, found)...)
}

// checkBatchURL refuses an item URL that is longer than a request head may
// be, absolute, no URL or names a version: an item's URL is relative to the
// batch's version root.
func checkBatchURL(item *batchItem) error {
	// As a request of its own is: the body may hold a megabyte of URL or
	// headers, gzip-compressed to a kilobyte or two, for the parsers (and
	// the journal, the access log) to take.
	if len(item.URL) > MaxHeaderBytes {
		return batchError("The url of request '%s' is %d bytes, more than the %d a request's URL and headers may take.", item.ID, len(item.URL), MaxHeaderBytes)
	}
	head := len(item.URL)
	for name, value := range item.Headers {
		head += len(name) + len(": \r\n") + len(value)
	}
	if head > MaxHeaderBytes {
		return batchError("The url and headers of request '%s' are %d bytes, more than the %d a request's URL and headers may take.", item.ID, head, MaxHeaderBytes)
	}
	if hasScheme(item.URL) || strings.HasPrefix(item.URL, "//") {
		return batchError("The url '%s' of request '%s' is not a URL relative to the version root, such as '/me/profile/positions'.", item.URL, item.ID)
	}
	u, err := url.Parse(item.URL)
	if err != nil {
		// Relative, but no URL: an escape that is not one, a control
		// character.
		return batchError("The url '%s' of request '%s' is not a valid URL.", item.URL, item.ID)
	}
	// A URL that names a version (/v1.0/groups, what the JavaScript
	// client's BatchRequestContent makes of a full URL) refuses the
	// batch, as the contract (issue 13) has it, though Graph has been
	// seen to fail only that item: the batch was built against the wrong
	// root, and none of it runs (docs/decisions.md).
	// The first segment as the router reads it: split before it is
	// unescaped (/beta%2Fme is one segment, no version).
	first, _, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if unescaped, err := url.PathUnescape(first); err == nil {
		first = unescaped
	}
	if _, ok := version(first); ok {
		return batchError("The url '%s' of request '%s' names a version; it must be relative to the batch's version root, such as '/me/profile/positions'.", item.URL, item.ID)
	}
	return nil
}

// hasScheme reports whether rawURL starts with a scheme and its colon
// (RFC 3986 3.1), as an absolute URL does.
func hasScheme(rawURL string) bool {
	for i := 0; i < len(rawURL); i++ {
		c := rawURL[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// header returns the item's header name, ignoring the name's case.
func (item *batchItem) header(name string) string {
	for k, v := range item.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// findCycle returns an item on a dependency cycle, or nil.
func findCycle(items []*batchItem) *batchItem {
	const (
		unvisited = iota
		visiting
		visited
	)
	state := make(map[*batchItem]int, len(items))
	var visit func(*batchItem) *batchItem
	visit = func(item *batchItem) *batchItem {
		switch state[item] {
		case visiting:
			return item
		case visited:
			return nil
		}
		state[item] = visiting
		for _, d := range item.deps {
			if c := visit(d); c != nil {
				return c
			}
		}
		state[item] = visited
		return nil
	}
	for _, item := range items {
		if c := visit(item); c != nil {
			return c
		}
	}
	return nil
}

// runBatch runs every item, each once all it depends on has its response,
// at most batchConcurrency at a time. An item whose dependency did not
// succeed is 424 Failed Dependency without running; once the client has
// left (ctx done), no item starts.
func (s *Server) runBatch(ctx context.Context, batch *http.Request, version string, items []*batchItem) {
	slots := make(chan struct{}, batchConcurrency)
	var wg sync.WaitGroup
	for _, item := range items {
		item.done = make(chan struct{})
	}
	for _, item := range items {
		wg.Go(func() {
			defer close(item.done)
			for _, d := range item.deps {
				<-d.done
			}
			if ctx.Err() != nil {
				return // the client left: nobody reads what the item would answer
			}
			for _, d := range item.deps {
				if d.resp.Status < 200 || d.resp.Status > 299 {
					item.resp = s.failedDependency(ctx, batch, version, item, d)
					return
				}
			}
			slots <- struct{}{}
			defer func() { <-slots }()
			if ctx.Err() != nil {
				return // the client left: nobody reads what the item would answer
			}
			if down, _ := ctx.Value(storeDownKey{}).(*atomic.Bool); down != nil && down.Load() {
				item.resp = s.itemError(ctx, batch, version, item, fmt.Errorf("an earlier item of the batch found the store unavailable: %w", graphprofile.ErrUnavailable))
				return
			}
			item.resp = s.runBatchItem(ctx, batch, version, item)
		})
	}
	wg.Wait()
}

// storeDownKey keys a batch's *atomic.Bool, set once one of its items
// finds the store unavailable (exchange.fail): the items that have not
// started answer 503 at once then, rather than each wait out the store's
// budget for a call in turn (4 s on PostgreSQL: a batch of 20 on a
// database that had stopped answering took 8 s, where every request is
// to be answered within 5).
type storeDownKey struct{}

// failedDependency is the answer of an item that did not run because dep
// failed: Graph's error envelope, as any other item's error.
func (s *Server) failedDependency(ctx context.Context, batch *http.Request, version string, item, dep *batchItem) batchResponse {
	return s.itemFailure(ctx, batch, version, item, http.StatusFailedDependency,
		graphprofile.Errorf("FailedDependency", "The request depends on request '%s', which did not succeed.", dep.ID))
}

// runBatchItem runs one item through the server's own handler, with the
// batch's token, and turns what it answered into the item's response.
func (s *Server) runBatchItem(ctx context.Context, batch *http.Request, version string, item *batchItem) batchResponse {
	target := item.target(version)
	body, err := item.requestBody()
	if err != nil {
		return s.itemError(ctx, batch, version, item, err)
	}
	method := strings.ToUpper(item.Method)
	if !isToken(method) {
		// A request line could not carry it: HTTP's methods are tokens.
		return s.itemError(ctx, batch, version, item, batchError("The method '%s' of request '%s' is not a valid HTTP method.", item.Method, item.ID))
	}
	origin := batchOrigin{requestID: batchOriginOf(ctx).requestID, itemID: item.ID}
	req, err := http.NewRequestWithContext(withBatchOrigin(ctx, origin), method, target, bytes.NewReader(body))
	if err != nil {
		return s.itemError(ctx, batch, version, item, batchError("The url '%s' of request '%s' is not a valid URL.", item.URL, item.ID))
	}
	// The item's URL is JSON text, where Graph's own examples write spaces
	// ("$filter=city eq null"); as a request's it is what a client would
	// send, escaped, so that what repeats it (the nextLink) is a URL.
	req.URL.RawQuery = escapeQuery(req.URL.RawQuery)
	req.RequestURI = req.URL.RequestURI()
	req.Host, req.RemoteAddr, req.TLS, req.Proto = batch.Host, batch.RemoteAddr, batch.TLS, batch.Proto
	req.ProtoMajor, req.ProtoMinor = batch.ProtoMajor, batch.ProtoMinor
	for k, v := range item.Headers {
		req.Header.Set(k, v)
	}
	// An item's body travels inside the batch's, which is what is
	// compressed: an item compressed on its own would be carried as base64
	// of gzip, its Content-Encoding being the exchange's, not the item's.
	req.Header.Del("Accept-Encoding")
	// The batch's credentials, and what a trusted proxy forwarded with the
	// batch (the scheme and host of absolute URLs): an item's own, in the
	// body, are the client's, which no proxy sees.
	for _, name := range batchHeaders {
		req.Header.Del(name)
		if vs := batch.Header.Values(name); len(vs) > 0 {
			req.Header[http.CanonicalHeaderKey(name)] = slices.Clone(vs)
		}
	}
	if first, _, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"+version+"/"), "/"); strings.EqualFold(first, "$batch") {
		return s.itemError(ctx, batch, version, item, batchError("Request '%s' is a batch itself; a batch cannot hold a batch.", item.ID))
	}
	rec := &itemRecorder{header: http.Header{}}
	// Through the interface: the endpoints table holds this handler, and
	// a direct call would make its initialization refer to itself.
	http.Handler(s).ServeHTTP(rec, req)
	return rec.response(item.ID)
}

// batchBodyEncodings are the base64 alphabets an item's body (of a
// Content-Type other than JSON) may be written in, tried in this order.
var batchBodyEncodings = []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding}

// isJSONMediaType reports whether a $batch item's body of contentType is
// JSON, written in the envelope as it is (application/json, or a +json
// type); any other is a base64 string there, as JSON batching says.
func isJSONMediaType(contentType string) bool {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// requestBody is the item's body as the request's bytes: JSON as written,
// or, for another Content-Type, a base64 string decoded.
func (item *batchItem) requestBody() ([]byte, error) {
	raw := bytes.TrimSpace(item.Body)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '"' || isJSONMediaType(item.header("Content-Type")) {
		return raw, nil
	}
	text, err := graphprofile.NewJSONReader(raw).String()
	if err != nil {
		return nil, batchError("The body of request '%s' is neither JSON nor a base64 string.", item.ID)
	}
	for _, enc := range batchBodyEncodings {
		if data, err := enc.DecodeString(text); err == nil {
			return data, nil
		}
	}
	return nil, batchError("The body of request '%s' is not valid base64 for its Content-Type '%s'.", item.ID, item.header("Content-Type"))
}

// itemError answers an item that cannot be made into a request, in
// Graph's envelope like any other error.
func (s *Server) itemError(ctx context.Context, batch *http.Request, version string, item *batchItem, err error) batchResponse {
	return s.itemAnswer(ctx, batch, version, item, func(ex *exchange) { ex.fail(err) })
}

// itemFailure answers an item that does not run with status and gerr.
func (s *Server) itemFailure(ctx context.Context, batch *http.Request, version string, item *batchItem, status int, gerr *graphprofile.Error) batchResponse {
	return s.itemAnswer(ctx, batch, version, item, func(ex *exchange) { ex.failWithStatus(status, gerr) })
}

// itemAnswer is the response answer writes for an item that is not run
// through the handler: an exchange of the batch's request, with the
// item's own client-request-id, if it has one, as a run item's would be.
// Like a run item, it has its line of the access log and counts in the
// metrics, as the item's method and URL, sent by the batch's caller.
func (s *Server) itemAnswer(ctx context.Context, batch *http.Request, version string, item *batchItem, answer func(*exchange)) batchResponse {
	rec := &itemRecorder{header: http.Header{}}
	origin := batchOriginOf(ctx)
	req := batch.Clone(withBatchOrigin(ctx, batchOrigin{requestID: origin.requestID, itemID: item.ID}))
	req.Header.Del("Accept-Encoding") // the batch's answer is what is compressed
	req.Header.Del("client-request-id")
	if id := item.header("client-request-id"); id != "" {
		req.Header.Set("client-request-id", id)
	}
	req.Method = strings.ToUpper(item.Method)
	if u, err := url.Parse(item.target(version)); err == nil {
		u.RawQuery = escapeQuery(u.RawQuery)
		req.URL, req.RequestURI = u, u.RequestURI()
	}
	obs, w := s.observe(rec, req)
	ex := newExchange(s, w, req)
	ex.caller = origin.caller
	// Through an interface, as runBatchItem reaches the handler: the
	// endpoints table holds the batch's handler, and a direct reference to
	// the route table would make its initialization refer to itself.
	ex.route = routeNamer(s).routeName(req.URL.EscapedPath())
	answer(ex)
	obs.done(ex)
	return rec.response(item.ID)
}

// routeNamer names the route a path matches.
type routeNamer interface{ routeName(path string) string }

// routeName is the pattern of the route path matches; "" for none.
func (s *Server) routeName(path string) string {
	if path == "/healthz" || path == "/readyz" || s.scrapes(path) {
		return path // served outside the Graph API's routes
	}
	rt, err := routes.route(path)
	if err != nil {
		return ""
	}
	return rt.pattern.text
}

// target is the path and query of the item's request.
func (item *batchItem) target(version string) string {
	return "/" + version + "/" + strings.TrimPrefix(item.URL, "/")
}

// itemRecorder is the http.ResponseWriter an item's request is answered
// into.
type itemRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *itemRecorder) Header() http.Header { return r.header }

func (r *itemRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *itemRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

// batchHeaders are the request headers every item takes from the batch,
// whatever the item says: its credentials, and what a reverse proxy adds
// (the scheme and host of absolute URLs, behind --trust-proxy, and the
// client's address).
var batchHeaders = []string{"Authorization", "Forwarded", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-For", "X-Real-Ip"}

// itemHeadersLeftOut are response headers that belong to the batch's own
// exchange, not to an item.
var itemHeadersLeftOut = map[string]bool{
	"Content-Length": true, "Content-Encoding": true, "Vary": true, "Connection": true,
	"Request-Id": true, "Client-Request-Id": true, "Date": true,
}

// headerSpelling is how Graph spells the headers whose canonical Go form
// differs.
var headerSpelling = map[string]string{"Etag": "ETag", "Www-Authenticate": "WWW-Authenticate", "Odata-Version": "OData-Version"}

// response is what was recorded, as a batch response: a JSON body as it
// is, any other body as a base64 string (as Graph carries them).
func (r *itemRecorder) response(id string) batchResponse {
	resp := batchResponse{ID: id, Status: r.status, Headers: map[string]string{}}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	for k, vs := range r.header {
		canonical := http.CanonicalHeaderKey(k)
		if itemHeadersLeftOut[canonical] || strings.HasPrefix(canonical, "Access-Control-") || len(vs) == 0 {
			continue
		}
		if name, ok := headerSpelling[canonical]; ok {
			k = name
		}
		resp.Headers[k] = strings.Join(vs, ", ")
	}
	if r.body.Len() == 0 {
		return resp
	}
	if isJSONMediaType(r.header.Get("Content-Type")) && json.Valid(r.body.Bytes()) {
		resp.Body = bytes.Clone(r.body.Bytes())
	} else {
		resp.Body = []byte(strconv.Quote(base64.StdEncoding.EncodeToString(r.body.Bytes())))
	}
	return resp
}

// escapeQuery percent-encodes the bytes of a raw query that a URL's query
// may not hold as written (RFC 3986: unreserved, sub-delims, ":", "@", "/",
// "?" and percent-encodings stay), leaving what is already escaped alone.
func escapeQuery(raw string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if queryByte(c) || (c == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2])) {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(raw)+16), raw[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return raw
	}
	return string(b)
}

func queryByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
