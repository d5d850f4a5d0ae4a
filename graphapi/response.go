package graphapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
	"github.com/graphprofile/graphprofile/token"
)

// jsonContentType is what Graph sends on OData JSON bodies.
const jsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// textContentType is that of plain-text bodies: /$count, the health probes.
const textContentType = "text/plain;charset=utf-8"

// statusOfCode maps each Graph error code to its HTTP status: errors are
// created once with a code, and this is the one place that knows statuses
// (the web page's own API asks StatusOfCode too).
var statusOfCode = map[string]int{
	graphprofile.CodeBadRequest:              http.StatusBadRequest,
	graphprofile.CodeInvalidRequestParameter: http.StatusBadRequest,
	graphprofile.CodeInvalidAuthToken:        http.StatusUnauthorized,
	graphprofile.CodeAuthorizationDenied:     http.StatusForbidden,
	graphprofile.CodeUserNotFound:            http.StatusNotFound,
	graphprofile.CodeItemNotFound:            http.StatusNotFound,
	graphprofile.CodeDirectoryBadRequest:     http.StatusBadRequest,
	graphprofile.CodeUnsupportedQuery:        http.StatusBadRequest,
	graphprofile.CodePreconditionFailed:      http.StatusPreconditionFailed,
	graphprofile.CodeRequestEntityTooLarge:   http.StatusRequestEntityTooLarge,
	graphprofile.CodeUnsupportedMediaType:    http.StatusUnsupportedMediaType,
	graphprofile.CodeTooManyRequests:         http.StatusTooManyRequests,
	graphprofile.CodeQuotaLimitReached:       http.StatusInsufficientStorage,
	graphprofile.CodeInternalError:           http.StatusInternalServerError,
	graphprofile.CodeNotImplemented:          http.StatusNotImplemented,
	graphprofile.CodeServiceNotAvailable:     http.StatusServiceUnavailable,
}

// exchange is one request and its response: the ids that every response
// carries and the writers for Graph's bodies.
type exchange struct {
	server          *Server
	w               *recordingWriter
	r               *http.Request
	body            *trackedBody // of a request with a body (trackBody); else nil
	requestID       string
	clientRequestID string
	wroteHeader     bool
	// preferredPageSize is the page size a Prefer: odata.maxpagesize set
	// (0: none did), for @odata.nextLink to carry on with.
	preferredPageSize int
	// route is the path pattern the request matched and caller who sent
	// it, once known: for the access log and the journal.
	route  string
	caller graphprofile.Principal
	// answers is what this request's answers hold of the answers' budget
	// (answers.go); a batch's items charge their batch's. answerHeld is
	// what its answer holds of it so far, answerRefused that the budget
	// had no room for more while it was built.
	answers       answerLease
	answerHeld    int64
	answerRefused bool
}

func newExchange(s *Server, w http.ResponseWriter, r *http.Request) *exchange {
	ex := &exchange{server: s, r: r, requestID: graphprofile.NewGUID()}
	ex.w = &recordingWriter{ResponseWriter: w, ex: ex}
	// Looked up as net/http keys it: Get canonicalizes any other spelling
	// anew on every request, which allocates.
	ex.clientRequestID = r.Header.Get("Client-Request-Id")
	if ex.clientRequestID == "" {
		ex.clientRequestID = ex.requestID
	}
	// Graph spells these in lower case; keys set directly are sent as written.
	h := w.Header()
	ids := []string{ex.requestID, ex.clientRequestID}
	h["request-id"] = ids[:1:1]
	h["client-request-id"] = ids[1:]
	h["Cache-Control"] = noCache
	s.cors().setCORSHeaders(h, r)
	return ex
}

// recordingWriter remembers whether the status line went out, so a panic
// after it is not answered twice, and its status, for the access log.
type recordingWriter struct {
	http.ResponseWriter
	ex     *exchange
	status int
}

// Unwrap is for http.ResponseController (a $batch's write deadline).
func (rw *recordingWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

func (rw *recordingWriter) WriteHeader(status int) {
	rw.ex.wroteHeader = true
	if rw.status == 0 {
		rw.status = status
		rw.ex.closeIfBodyUnread()
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recordingWriter) Write(b []byte) (int, error) {
	rw.ex.wroteHeader = true
	if rw.status == 0 {
		rw.status = http.StatusOK
		rw.ex.closeIfBodyUnread()
	}
	return rw.ResponseWriter.Write(b)
}

// closeIfBodyUnread closes an HTTP/1 connection after the answer when the
// request's body was not read to its end: a refusal before the body (a bad
// token, an unknown path, a wrong media type, a body too big), or an
// answer that reads none (/healthz, $metadata, a GET sent with a body).
// net/http would read the rest (up to 256 KiB) before it writes the
// answer, so as to keep the connection, and a client whose body stalls
// would wait for its answer until the read timeout (60 s): 512 requests
// of 70 bytes, without a token, held every connection that long. Answered
// at once, and the connection closed. (HTTP/2 answers without reading it.)
//
// The request gets net/http's own body back here (untrackBody), whatever
// wraps it by now: when it writes the answer's head, and after the
// handler, net/http looks at the request's Body to see what the client
// has not sent yet (a client waiting for 100 Continue, a body left
// unread), and behind a wrapper it cannot.
func (ex *exchange) closeIfBodyUnread() {
	if ex.body == nil {
		return
	}
	if ex.r.ProtoMajor == 1 && !bodyReadToEnd(ex.r, ex.body) {
		ex.w.Header().Set("Connection", "close")
	}
	untrackBody(ex.r, ex.body)
}

// trackedBody is the body of a request that has one, which remembers
// whether a read met its end: of a chunked body only a read can tell, and
// asking with a read would read the next chunk's head, and wait for it,
// holding the answer until the read timeout. It also keeps net/http's own
// body, which every wrapper put on top of it (the journal's capture) is
// taken off with (untrackBody).
type trackedBody struct {
	io.ReadCloser
	read  bool // a read was asked for
	ended bool // a read met the end
}

func (b *trackedBody) Read(p []byte) (int, error) {
	b.read = true
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.ended = true
	}
	return n, err
}

// trackBody makes the body of r, a request with one, a trackedBody,
// which it returns; else nil.
func trackBody(r *http.Request) *trackedBody {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b := &trackedBody{ReadCloser: r.Body}
	r.Body = b
	return b
}

// untrackBody gives r net/http's own body back (whatever wraps it now:
// the journal's capture too), once the answer begins or the handler ends.
// It is the one place that does.
func untrackBody(r *http.Request, b *trackedBody) {
	if b != nil {
		r.Body = b.ReadCloser
	}
}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// The values of headers every answer carries, set as these shared slices
// rather than by Header.Set, which allocates a slice per header per
// request. Nothing writes into a header's slice: Set and Del replace it,
// and Add appends to a full slice (length = capacity), which copies.
var (
	noCache            = []string{"no-cache"}
	odataVersion       = []string{"4.0"}
	jsonContentTypes   = []string{jsonContentType}
	varyAcceptEncoding = []string{"Accept-Encoding"}
)

// writeJSON sends body, built by fill into a pooled buffer, with Graph's
// JSON headers; or, for a GET whose If-None-Match names the ETag already
// set, 304 Not Modified without building it.
func (ex *exchange) writeJSON(status int, fill func([]byte) []byte) {
	if status == http.StatusOK && ex.notModified() {
		return
	}
	bp := bufferPool.Get().(*[]byte)
	buf := fill((*bp)[:0])
	if ex.answerRefused {
		ex.answerRefused = false
		putBuffer(bp, buf)
		ex.refuseAnswer()
		return
	}
	ex.w.Header()["OData-Version"] = odataVersion
	ex.writeBody(status, jsonContentType, buf)
	putBuffer(bp, buf)
}

// putBuffer gives buf, grown from *bp, back to bufferPool, unless it grew
// too big to keep.
func putBuffer(bp *[]byte, buf []byte) {
	if cap(buf) <= 1<<20 {
		*bp = buf
		bufferPool.Put(bp)
	}
}

// writeBody sends every response body: gzip-compressed when the client
// accepts it and the body is worth it, always with its Content-Length, and
// for HEAD only the headers GET would get.
func (ex *exchange) writeBody(status int, contentType string, body []byte) {
	uncompressed := body
	h := ex.w.Header()
	if contentType == jsonContentType {
		h["Content-Type"] = jsonContentTypes
	} else {
		h.Set("Content-Type", contentType)
	}
	if _, ok := h["Vary"]; ok {
		addVary(h, "Accept-Encoding")
	} else {
		h["Vary"] = varyAcceptEncoding
	}
	if len(body) >= gzipMinBytes && acceptsGzip(ex.r.Header) {
		g, compressed := gzipped(body)
		defer g.release()
		h.Set("Content-Encoding", "gzip")
		body = compressed
	}
	if ex.r.Method == http.MethodHead {
		h.Set("Content-Length", strconv.Itoa(len(body)))
		ex.w.WriteHeader(status)
		return
	}
	held := len(body)
	if held != len(uncompressed) {
		held += len(uncompressed) // the pooled buffer is held until the write ends too
	}
	if !ex.holdAnswer(held) {
		ex.answerRefused = false
		ex.refuseAnswer()
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c := answerConn(ex.w.ResponseWriter, ex.r, len(body))
	if c != nil {
		// The status line, the headers and the body in one write.
		c.gather()
		defer c.send()
	}
	ex.w.WriteHeader(status)
	_, _ = ex.w.Write(body)
	if c != nil {
		ex.w.ResponseWriter.(http.Flusher).Flush()
	}
}

// addVary adds name to the answer's Vary in its one field line. A list
// split over lines means the same to RFC 9110, but a cache that reads only
// a header's first line (Varnish, unless told to collect them) would not
// see the rest: gzip answers kept for clients that do not take gzip.
func addVary(h http.Header, name string) {
	if lines := h["Vary"]; len(lines) > 0 {
		h["Vary"] = []string{strings.Join(lines, ", ") + ", " + name}
		return
	}
	h["Vary"] = []string{name}
}

// notModified answers 304 Not Modified, and reports true, when the request
// is a GET (or HEAD) whose If-None-Match is "*" or lists the ETag the
// response carries (weak comparison, RFC 9110 13.1.2). Responses without an
// ETag (lists, users) are always sent whole.
func (ex *exchange) notModified() bool {
	if ex.r.Method != http.MethodGet && ex.r.Method != http.MethodHead {
		return false
	}
	etag := ex.w.Header().Get("ETag")
	if etag == "" || !graphprofile.ETagListed(HeaderList(ex.r.Header, "If-None-Match"), etag) {
		return false
	}
	addVary(ex.w.Header(), "Accept-Encoding") // as the 200 would (RFC 9110 15.4.5)
	ex.w.WriteHeader(http.StatusNotModified)
	return true
}

// HeaderList is the value of the list header name (If-Match, …) with all
// its field lines, joined by commas as RFC 9110 5.3 joins them: a client
// may split a list over several lines. "" is the header's absence: a field
// that is there but holds no element (empty or blank, a list that names
// nothing, RFC 9110 5.6.1) is ",", a list of empty elements, so that an
// empty If-Match is a precondition no tag meets (412), as `If-Match: ,`
// is, and not taken for none (a write without a condition).
func HeaderList(h http.Header, name string) string {
	values := h.Values(name)
	list := strings.Join(values, ",")
	if len(values) > 0 && strings.TrimSpace(list) == "" {
		return ","
	}
	return list
}

// baseURL is the service root without the version: PublicURL; else, behind
// a trusted proxy, the scheme and host the proxy forwards; else the
// server's own address. Never a header a client chose.
func (ex *exchange) baseURL() string {
	if ex.server.PublicURL != "" {
		return strings.TrimSuffix(ex.server.PublicURL, "/")
	}
	scheme := "http"
	if ex.r.TLS != nil {
		scheme = "https"
	}
	if ex.server.TrustProxy {
		proto, host := forwarded(ex.r.Header)
		if proto == "http" || proto == "https" {
			scheme = proto
		}
		if host == "" {
			// The Host the proxy passed on, held to what a forwarded
			// host is (validHost); one no URL holds names nothing, and
			// the server's own address stands, as without a proxy.
			host = validHost(ex.r.Host)
		}
		if host != "" {
			return scheme + "://" + host
		}
	}
	return scheme + "://" + localhostAlias(ex.r, ex.server.hostOf(ex.r))
}

// localhostAlias returns host, the server's own loopback address, as the
// client named it when the client called it localhost on the same port
// ("localhost:8443", or "localhost" on the scheme's default port): a
// client that called https://localhost:8443/ gets links it can follow the
// same way (the JavaScript client sends its token only to the hosts it was
// told of), as Graph's links name the host that was called. The name
// points nowhere else: localhost is this machine, and only a connection
// to a loopback address gets it. Any other Host is ignored.
func localhostAlias(r *http.Request, host string) string {
	const localhost = "localhost"
	if len(r.Host) < len(localhost) || !strings.EqualFold(r.Host[:len(localhost)], localhost) {
		return host // the common case, told without parsing host
	}
	ip, port, err := net.SplitHostPort(host)
	if err != nil || !net.ParseIP(ip).IsLoopback() {
		return host
	}
	called := strings.ToLower(r.Host)
	if called == "localhost:"+port {
		return called
	}
	if called == "localhost" && ((r.TLS != nil && port == "443") || (r.TLS == nil && port == "80")) {
		return called
	}
	return host
}

// forwarded returns the original scheme and host a reverse proxy reports,
// from RFC 7239's Forwarded (its first element) or else X-Forwarded-Proto
// and X-Forwarded-Host (their first values).
func forwarded(h http.Header) (proto, host string) {
	if f := h.Get("Forwarded"); f != "" {
		first, _, _ := strings.Cut(f, ",")
		for pair := range strings.SplitSeq(first, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(pair), "=")
			value = strings.Trim(value, `"`)
			switch strings.ToLower(name) {
			case "proto":
				proto = strings.ToLower(value)
			case "host":
				host = value
			}
		}
		return proto, validHost(host)
	}
	first := func(v string) string { s, _, _ := strings.Cut(v, ","); return strings.TrimSpace(s) }
	return strings.ToLower(first(h.Get("X-Forwarded-Proto"))), validHost(first(h.Get("X-Forwarded-Host")))
}

// validHost returns host when it is a plain host[:port], else "": one a
// URL holds as its host, with a host name and a numeric port, so that the
// absolute URLs built on it parse (a stray %, a port "http" or an
// unclosed "[" made links no client could follow).
func validHost(host string) string {
	if host == "" || strings.ContainsAny(host, "/?#@\\ \t\"'<>") {
		return ""
	}
	if u, err := url.Parse("http://" + host); err != nil || u.Host != host || u.Hostname() == "" {
		return ""
	}
	return host
}

// hostOf is the host[:port] of the server's listener or, when it listens
// on an unspecified address (0.0.0.0, ::) or the Server is used as a
// handler of another http.Server, the local address the client connected
// to. Only a request that came through no connection at all (a test's
// ServeHTTP call) uses its Host.
func (s *Server) hostOf(r *http.Request) string {
	if s.listenerHost != "" {
		return s.listenerHost
	}
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return local.String()
	}
	return r.Host
}

// itemsContext is the @odata.context of owner's collection c
// (…#users('<id>')/profile/positions); Graph roots it at the user's object
// id even for /me or a UPN.
func (ex *exchange) itemsContext(owner graphprofile.User, c graphprofile.Collection) string {
	// One concatenation, not profileContext's and another: this is on
	// every list and GET.
	return ex.baseURL() + "/beta/$metadata#users('" + odataQuoted(owner.ID) + "')/profile/" + c.Name
}

// itemURL is the absolute URL of one item of collection c, for Location.
func (ex *exchange) itemURL(owner graphprofile.User, c graphprofile.Collection, id string) string {
	return ex.baseURL() + "/beta/" + keySegment("users", owner.ID) + "/profile/" + keySegment(c.Name, id)
}

// writeItem writes one item of collection c; selected, when not nil, are
// the properties $select named.
func (ex *exchange) writeItem(status int, owner graphprofile.User, c graphprofile.Collection, it graphprofile.Item, selected []string) {
	if selected == nil && (ex.r.Method == http.MethodGet || ex.r.Method == http.MethodHead) {
		enc := ex.server.encodings.encoded(c.Type, it)
		ex.w.Header().Set("ETag", enc.etag)
		ex.writeJSON(status, func(buf []byte) []byte {
			buf = append(buf, `{"@odata.context":`...)
			buf = graphprofile.AppendJSONString(buf, ex.itemsContext(owner, c)+"/$entity")
			buf = append(buf, ',')
			return append(buf, enc.json...)
		})
		return
	}
	// A selection, or the item a write returns, is encoded straight into
	// the answer and not remembered. A written item's map no read has been
	// handed yet (a read of it later remembers the map the store's cache
	// hands out), and remembering every written item would fill the
	// encodings with maps nobody reads again, for the collector to mark on
	// every cycle (during creates, a fifth of the live heap: 45 → 36 MB
	// without them).
	etag := it.ETag()
	ex.w.Header().Set("ETag", etag)
	ex.writeJSON(status, func(buf []byte) []byte {
		return appendItem(buf, c.Type, it, etag, ex.itemsContext(owner, c)+selection(selected)+"/$entity", selected)
	})
}

// selection is the part of a context URL that names the $select list.
func selection(selected []string) string {
	if selected == nil {
		return ""
	}
	return "(" + strings.Join(selected, ",") + ")"
}

// usersContext is the @odata.context of the users entity set; selected,
// when not nil, are the properties $select named.
func (ex *exchange) usersContext(version string, selected []string) string {
	return ex.baseURL() + "/" + version + "/$metadata#users" + selection(selected)
}

// userURL is the absolute URL of one user, for Location.
func (ex *exchange) userURL(version, id string) string {
	return ex.baseURL() + "/" + version + "/" + keySegment("users", id)
}

// userProjection is the properties a user is written with: those $select
// named, else the version's default. v1.0 returns Graph's documented
// default set; beta returns every property it has, as Graph's beta
// endpoint does (it does not apply v1.0's default projection).
func userProjection(version string, selected []string) []string {
	if selected == nil && version == "v1.0" {
		return graphprofile.DefaultUserProperties
	}
	return selected
}

// writeUser writes one user; selected, when not nil, are the properties
// $select named.
func (ex *exchange) writeUser(status int, version string, u graphprofile.Object, selected []string) {
	ex.writeJSON(status, func(buf []byte) []byte {
		return graphprofile.AppendObjectJSON(buf, graphprofile.UserType, u, graphprofile.EncodeOptions{
			Annotations:   []graphprofile.Annotation{{Name: "@odata.context", Value: ex.usersContext(version, selected) + "/$entity"}},
			Select:        userProjection(version, selected),
			SelectExactly: true,
		})
	})
}

// writeUsers writes a page of the users list: @odata.count when an
// advanced query asked for it (first page only), @odata.nextLink when more
// remain, then the page.
func (ex *exchange) writeUsers(version string, q odata.Query, page odata.Result) {
	projection := userProjection(version, q.Select)
	ex.writeJSON(http.StatusOK, func(buf []byte) []byte {
		buf = ex.appendPageStart(buf, ex.usersContext(version, q.Select), page)
		buf, ok := appendEach(ex, buf, page.Items, func(buf []byte, u graphprofile.Object) []byte {
			return graphprofile.AppendObjectJSON(buf, graphprofile.UserType, u, graphprofile.EncodeOptions{Select: projection, SelectExactly: true})
		})
		if !ok {
			return buf
		}
		return append(buf, "]}"...)
	})
}

// writeItems writes a page of a list of collection c: @odata.count when
// $count=true asked for it (first page only), @odata.nextLink when more
// remain, then the page.
func (ex *exchange) writeItems(owner graphprofile.User, c graphprofile.Collection, q odata.Query, page odata.Result) {
	ex.writeJSON(http.StatusOK, func(buf []byte) []byte {
		buf = ex.appendPageStart(buf, ex.itemsContext(owner, c)+selection(q.Select), page)
		buf, ok := appendEach(ex, buf, page.Items, func(buf []byte, it graphprofile.Object) []byte {
			if q.Select == nil {
				buf = append(buf, '{')
				return append(buf, ex.server.encodings.encoded(c.Type, graphprofile.Item(it)).json...)
			}
			return appendItem(buf, c.Type, graphprofile.Item(it), graphprofile.Item(it).ETag(), "", q.Select)
		})
		if !ok {
			return buf
		}
		return append(buf, "]}"...)
	})
}

// appendEach appends each of objects to buf with appendOne, separated by
// commas, as long as the answers' budget holds what buf has grown to
// (holdAnswer); ok is false, and buf what it held, when it did not.
func appendEach[T any](ex *exchange, buf []byte, objects []T, appendOne func([]byte, T) []byte) (_ []byte, ok bool) {
	for i, o := range objects {
		if !ex.holdAnswer(cap(buf)) {
			return buf, false
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendOne(buf, o)
	}
	return buf, true
}

// appendPageStart appends what a page of a list (users or items) opens
// with, up to the start of its value array: the context URL,
// @odata.count when the page has one, @odata.nextLink when more remain.
func (ex *exchange) appendPageStart(buf []byte, context string, page odata.Result) []byte {
	buf = append(buf, `{"@odata.context":`...)
	buf = graphprofile.AppendJSONString(buf, context)
	if page.Count >= 0 {
		buf = append(buf, `,"@odata.count":`...)
		buf = strconv.AppendInt(buf, int64(page.Count), 10)
	}
	if page.NextSkipToken != "" {
		buf = append(buf, `,"@odata.nextLink":`...)
		buf = graphprofile.AppendJSONString(buf, ex.nextLink(page.NextSkipToken))
	}
	return append(buf, `,"value":[`...)
}

// nextLink is the absolute URL of the next page: the request's own URL with
// every query option as the client wrote it, except $skip (the page is
// positioned by the token) and the old $skiptoken, plus the new $skiptoken.
// A page size that Prefer: odata.maxpagesize set goes on as $top, so the
// next pages have it whether or not the client sends Prefer again.
func (ex *exchange) nextLink(skipToken string) string {
	var b strings.Builder
	b.WriteString(ex.baseURL())
	b.WriteString(ex.r.URL.EscapedPath())
	sep := byte('?')
	for part := range strings.SplitSeq(ex.r.URL.RawQuery, "&") {
		key, _, _ := strings.Cut(part, "=")
		if unescaped, err := url.QueryUnescape(key); err == nil {
			key = unescaped
		}
		name := strings.ToLower(strings.TrimPrefix(key, "$"))
		if part == "" || name == "skip" || name == "skiptoken" || (name == "top" && ex.preferredPageSize > 0) {
			continue
		}
		b.WriteByte(sep)
		b.WriteString(part)
		sep = '&'
	}
	if ex.preferredPageSize > 0 {
		b.WriteByte(sep)
		b.WriteString("$top=")
		b.WriteString(strconv.Itoa(ex.preferredPageSize))
		sep = '&'
	}
	b.WriteByte(sep)
	b.WriteString("$skiptoken=")
	b.WriteString(url.QueryEscape(skipToken))
	return b.String()
}

// writeCount answers a /$count request: the bare number, as text/plain.
func (ex *exchange) writeCount(n int) {
	ex.w.Header()["OData-Version"] = odataVersion
	ex.writeBody(http.StatusOK, textContentType, strconv.AppendInt(nil, int64(n), 10))
}

// fail answers err in Graph's error envelope, with the status of its code. An error that is not a
// *graphprofile.Error is an internal failure: the client gets a generic
// InternalError (or serviceNotAvailable when a retry may help) and the
// operator gets the details in the log, under the request id.
func (ex *exchange) fail(err error) {
	if ex.r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		// The client left (or the server is closing its connection): not
		// a failure of the server, and nobody reads an answer. One debug
		// line, so that hanging up cannot fill the log: the batch's, not
		// one for each of its items.
		if batchOriginOf(ex.r.Context()).itemID == "" {
			ex.server.logger().Debug("client went away", "request-id", ex.requestID,
				"method", ex.r.Method, "path", ex.r.URL.Path)
			if !ex.wroteHeader {
				// No answer at all. Returning would let net/http send its
				// implicit 200 with an empty body, and a client that only
				// half-closed its side of the connection (which cancels
				// the context too) would read that as a success.
				panic(http.ErrAbortHandler)
			}
		}
		return
	}
	var gerr *graphprofile.Error
	if errors.Is(err, errBodyBudget) {
		// Counted (graphprofile_http_bodies_refused_total), not logged: a
		// client stalling bodies would otherwise fill the log with errors.
		gerr = graphprofile.Errorf(graphprofile.CodeServiceNotAvailable, graphprofile.ServiceUnavailableMessage)
		ex.w.Header().Set("Retry-After", "1")
		if ex.r.ProtoMajor == 1 {
			// Answered at once and closed: net/http would otherwise read
			// the rest of the body first, from a client that may never
			// send it. (HTTP/2 answers without reading it.)
			ex.w.Header().Set("Connection", "close")
		}
	} else if errors.Is(err, errEvaluationsBusy) {
		gerr = graphprofile.Errorf(graphprofile.CodeServiceNotAvailable, graphprofile.ServiceUnavailableMessage)
		ex.w.Header().Set("Retry-After", "1")
	} else if !errors.As(err, &gerr) {
		level := slog.LevelError
		if errors.Is(err, graphprofile.ErrUnavailable) {
			gerr = graphprofile.Errorf(graphprofile.CodeServiceNotAvailable, graphprofile.ServiceUnavailableMessage)
			ex.w.Header().Set("Retry-After", "1")
			// The store's outage, which every request (and every /readyz
			// probe) meets while it lasts: a debug line each, the outage
			// itself told by the store serve wires (internal/outage).
			level = slog.LevelDebug
			if down, _ := ex.r.Context().Value(storeDownKey{}).(*atomic.Bool); down != nil {
				down.Store(true) // the batch's items yet to run need not wait for it
			}
		} else {
			gerr = graphprofile.Errorf(graphprofile.CodeInternalError, graphprofile.InternalErrorMessage)
		}
		ex.server.logger().LogAttrs(ex.r.Context(), level, "request failed", slog.String("request-id", ex.requestID),
			slog.String("method", cutForLog(ex.r.Method, maxLoggedValue)), slog.String("path", cutForLog(ex.r.URL.Path, maxLoggedPath)), slog.Any("err", err))
	}
	if errors.As(err, new(unsupportedEncodingError)) {
		ex.w.Header().Set("Accept-Encoding", acceptedRequestEncodings)
	}
	ex.failWithStatus(StatusOfCode(gerr.Code), gerr)
}

// StatusOfCode is the HTTP status of a Graph error code: 500 for a code
// it does not know.
func StatusOfCode(code string) int {
	if status, ok := statusOfCode[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// bodyReadToEnd reports whether body, r's, has been read to its end. A
// client that asked to be told to go on (Expect: 100-continue) sends no
// body until the first read asks for it, and a read, even into no bytes,
// would tell it to go on: one not asked yet is unread, and not asked. (It
// was taken for read, and net/http, which keeps the connection of such a
// request for no body, waited after the answer for the body its client
// was never told to send, until the read timeout: closeAfterUnreadBody.)
// A body of a known length is asked with a read into no bytes, which does
// not wait: net/http answers io.EOF once its end was read, and nothing
// before. A chunked body is never asked (trackedBody). Only of an HTTP/1
// request: HTTP/2's body answers a read into no bytes only once data
// comes.
func bodyReadToEnd(r *http.Request, body *trackedBody) bool {
	if body.ended {
		return true
	}
	if !body.read && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return false
	}
	if r.ContentLength < 0 {
		return false
	}
	if _, err := body.ReadCloser.Read(nil); err == io.EOF {
		body.ended = true
	}
	return body.ended
}

// MethodNotAllowed is Graph's error of a 405. Its code, Request_BadRequest,
// is the directory's 400 too (StatusOfCode), so whoever answers it says
// 405 itself.
func MethodNotAllowed() *graphprofile.Error {
	return graphprofile.Errorf(graphprofile.CodeDirectoryBadRequest, "Specified HTTP method is not allowed for the request target.")
}

// wwwAuthenticate is Graph's challenge on a 401: its client_id is Graph's
// own application id, an audience its tokens carry.
const wwwAuthenticate = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="` + token.GraphAudienceAppID + `"`

// failWithStatus answers gerr in Graph's error envelope with status.
func (ex *exchange) failWithStatus(status int, gerr *graphprofile.Error) {
	ex.w.Header().Del("Preference-Applied") // no page was sent
	if status == http.StatusUnauthorized {
		ex.w.Header().Set("WWW-Authenticate", wwwAuthenticate)
	}
	date := time.Now().UTC()
	ex.writeJSON(status, func(buf []byte) []byte {
		return AppendErrorJSON(buf, gerr, date, ex.requestID, ex.clientRequestID)
	})
}

// AppendErrorJSON appends Graph's error envelope of gerr, for the request
// requestID (and the client's clientRequestID) answered at date: the one
// writer of it, the web UI's answers included.
func AppendErrorJSON(buf []byte, gerr *graphprofile.Error, date time.Time, requestID, clientRequestID string) []byte {
	buf = append(buf, `{"error":{"code":`...)
	buf = graphprofile.AppendJSONString(buf, gerr.Code)
	buf = append(buf, `,"message":`...)
	buf = graphprofile.AppendJSONString(buf, gerr.Message)
	buf = append(buf, `,"innerError":{"date":"`...)
	buf = date.UTC().AppendFormat(buf, "2006-01-02T15:04:05")
	buf = append(buf, `","request-id":`...)
	buf = graphprofile.AppendJSONString(buf, requestID)
	buf = append(buf, `,"client-request-id":`...)
	buf = graphprofile.AppendJSONString(buf, clientRequestID)
	return append(buf, "}}}"...)
}
