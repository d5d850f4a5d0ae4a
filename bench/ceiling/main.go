// Command ceiling is the benchmark's ceiling: a bare net/http server that
// answers graphprofile's position and profile requests with canned bodies
// of the real answers' sizes, so that the rate it reaches on a machine is
// what the HTTP stack, the loopback network and the load generator allow
// there, before any of graphprofile's work. scripts/bench runs it alternately with
// graphprofile and reports graphprofile's rate as a fraction of it.
//
//	POST  …/positions        201, a position of --create-size bytes
//	PATCH …/positions/{id}   200, a position of --update-size bytes
//	GET   …/positions/{id}   200, a position of --get-size bytes
//	GET   …/positions        200, a list of --list-items positions, --list-size bytes
//	GET   …/profile          200, a profile of --profile-size bytes: every
//	                         collection of the profile, --profile-items in each
//	GET   /healthz           200 ok
//
// It reads and discards every request body, checks no token, and answers
// each request with one Write of a body built at start (a position's
// answer carries the id of its path, copied into the canned body, so that
// the load generator checks the same things it checks of graphprofile).
//
// With --durable FILE it is the durable ceiling: the body of every POST and
// PATCH is appended to FILE and answered only after an fsync that covers
// it, fsyncs shared by every write waiting (group commit). That is the least
// any store can do for a write it acknowledges, so graphprofile's create and
// update rates are compared with it as well as with the bare ceiling.
//
// With --graph-floor each answer also carries the headers graphprofile's
// answers carry (CORS, Cache-Control, OData-Version, Vary, a new request-id,
// an ETag on one item, a Location on a create) and each request writes
// graphprofile's access-log line to stderr: the least a server answering as
// Graph and logging as graphprofile spends, before checking a token or
// reading the store (floor.go). With --durable too, it is the durable graph
// floor, the same for a store that makes each write durable.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/graphprofile/graphprofile"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "ceiling: %v\n", err)
		os.Exit(1)
	}
}

// jsonContentType is graphprofile's Content-Type on JSON answers.
const jsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func run(args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9090", "`address` to listen on (port 0 picks one; the address is printed)")
	var sizes answerSizes
	fs.IntVar(&sizes.create, "create-size", 1430, "bytes of a create's answer (201)")
	fs.IntVar(&sizes.update, "update-size", 1430, "bytes of an update's answer")
	fs.IntVar(&sizes.get, "get-size", 1430, "bytes of a get's answer")
	fs.IntVar(&sizes.list, "list-size", 14200, "bytes of a list's answer")
	fs.IntVar(&sizes.listItems, "list-items", 10, "positions in a list's answer")
	fs.IntVar(&sizes.profile, "profile-size", 250000, "bytes of a profile's answer (GET …/profile)")
	fs.IntVar(&sizes.profileItems, "profile-items", 10, "items in each collection of a profile's answer")
	durable := fs.String("durable", "", "append the body of every POST and PATCH to `file` and answer only after an fsync covers it (group commit): the durable ceiling")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) of the whole run to `file`, to compare with graphprofile serve's --cpuprofile")
	floor := fs.Bool("graph-floor", false, "answer with the headers graphprofile's answers carry and write an access-log line per request to stderr, as graphprofile does: the floor Graph's contract and the access log set")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	h, err := newHandler(sizes)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if *floor {
		h.floor = newGraphFloor(os.Stderr)
	}
	if *durable != "" {
		if h.durable, err = openAppendLog(*durable); err != nil {
			return fmt.Errorf("--durable: %w", err)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	switch {
	case h.durable != nil && h.floor != nil:
		fmt.Printf("ceiling listening on http://%s (durable: %s; graph floor)\n", ln.Addr(), *durable)
	case h.durable != nil:
		fmt.Printf("ceiling listening on http://%s (durable: %s)\n", ln.Addr(), *durable)
	case h.floor != nil:
		fmt.Printf("ceiling listening on http://%s (graph floor)\n", ln.Addr())
	default:
		fmt.Printf("ceiling listening on http://%s\n", ln.Addr())
	}
	return serve(ln, h)
}

// serve serves until SIGINT or SIGTERM, then lets the requests in flight
// finish, closes the durable log and says how its writes were grouped.
func serve(ln net.Listener, h *handler) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if h.floor != nil {
		defer h.floor.Close() // the access-log lines still gathered, however serve ends
	}
	srv := &http.Server{Handler: h}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if h.durable != nil {
		err = errors.Join(err, h.durable.Close())
		fmt.Printf("durable: %s\n", h.durable.Stats())
	}
	return err
}

// canned is one prepared answer.
type canned struct {
	status        int
	body          []byte
	idOffset      int // where the position id sits in body; -1: none to replace
	contentLength []string
	// route is graphprofile's name for the request's route in its access
	// log; entity is whether the answer is one item, with an ETag.
	route  string
	entity bool
}

// The routes of graphprofile's access log that the ceiling answers.
const (
	entityRoute     = "/beta/{owner}/profile/{facet}/{id}"
	collectionRoute = "/beta/{owner}/profile/{facet}"
	profileRoute    = "/beta/{owner}/profile"
)

func newCanned(status int, body []byte, idOffset int, route string) *canned {
	return &canned{status: status, body: body, idOffset: idOffset, contentLength: []string{strconv.Itoa(len(body))},
		route: route, entity: route == entityRoute || status == http.StatusCreated}
}

type handler struct {
	create, update, get, list, profile *canned
	pool                               sync.Pool
	// durable, when set, takes the body of every POST and PATCH before
	// the answer; bodies holds the buffers they are read into.
	durable *appendLog
	bodies  sync.Pool
	// floor, when set, adds Graph's headers and the access log (--graph-floor).
	floor *graphFloor
}

// answerSizes are the sizes of the canned answers, in bytes, and the items
// of the lists and of each collection of the profile.
type answerSizes struct {
	create, update, get, list, profile int
	listItems, profileItems            int
}

func newHandler(sizes answerSizes) (*handler, error) {
	switch {
	case sizes.listItems < 0:
		return nil, fmt.Errorf("--list-items %d: want 0 or more", sizes.listItems)
	case sizes.profileItems < 0:
		return nil, fmt.Errorf("--profile-items %d: want 0 or more", sizes.profileItems)
	}
	h := &handler{}
	for _, e := range []struct {
		dst    **canned
		status int
		size   int
		name   string
	}{
		{&h.create, http.StatusCreated, sizes.create, "--create-size"},
		{&h.update, http.StatusOK, sizes.update, "--update-size"},
		{&h.get, http.StatusOK, sizes.get, "--get-size"},
	} {
		body, off, err := cannedEntity(e.size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
		if e.status == http.StatusCreated {
			off = -1 // a new position's id: the canned one
		}
		route := entityRoute
		if e.status == http.StatusCreated {
			route = collectionRoute
		}
		*e.dst = newCanned(e.status, body, off, route)
	}
	body, err := cannedList(sizes.list, sizes.listItems)
	if err != nil {
		return nil, fmt.Errorf("--list-size: %w", err)
	}
	h.list = newCanned(http.StatusOK, body, -1, collectionRoute)
	if body, err = cannedProfile(sizes.profile, sizes.profileItems); err != nil {
		return nil, fmt.Errorf("--profile-size: %w", err)
	}
	h.profile = newCanned(http.StatusOK, body, -1, profileRoute)
	maxSize := max(sizes.update, sizes.get)
	h.pool.New = func() any { b := make([]byte, maxSize); return &b }
	h.bodies.New = func() any { return new(bytes.Buffer) }
	return h, nil
}

var (
	contentType = []string{jsonContentType}
	okBody      = []byte("ok\n")
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var start time.Time
	if h.floor != nil {
		start = time.Now()
	}
	path := r.URL.Path
	var c *canned
	id := ""
	switch {
	case path == "/healthz" || path == "/readyz":
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(okBody)
		return
	case strings.HasSuffix(path, "/positions") && r.Method == http.MethodPost:
		c = h.create
	case strings.HasSuffix(path, "/positions") && r.Method == http.MethodGet:
		c = h.list
	case strings.HasSuffix(path, "/profile") && r.Method == http.MethodGet:
		c = h.profile
	case strings.Contains(path, "/positions/") && (r.Method == http.MethodGet || r.Method == http.MethodPatch):
		c = h.get
		if r.Method == http.MethodPatch {
			c = h.update
		}
		id = path[strings.LastIndexByte(path, '/')+1:]
	default:
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "not a route of the ceiling", http.StatusNotFound)
		return
	}
	if h.durable != nil && (c == h.create || c == h.update) {
		if err := h.appendBody(r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	} else {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	hdr := w.Header()
	hdr["Content-Type"] = contentType
	hdr["Content-Length"] = c.contentLength
	requestID := ""
	if h.floor != nil {
		requestID = h.floor.setHeaders(hdr, r, c.entity, c.status == http.StatusCreated)
	}
	w.WriteHeader(c.status)
	if c.idOffset < 0 || len(id) != guidLen {
		_, _ = w.Write(c.body)
	} else {
		bp := h.pool.Get().(*[]byte)
		b := (*bp)[:len(c.body)]
		copy(b, c.body)
		copy(b[c.idOffset:], id)
		_, _ = w.Write(b)
		h.pool.Put(bp)
	}
	if h.floor != nil {
		h.floor.logAccess(r, c.status, requestID, hdr["client-request-id"][0], c.route, time.Since(start))
	}
}

// appendBody reads the request's body and returns once the durable log
// holds it on disk.
func (h *handler) appendBody(r *http.Request) error {
	buf := h.bodies.Get().(*bytes.Buffer)
	defer h.bodies.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	return h.durable.Append(buf.Bytes())
}

const (
	guidLen    = 36
	cannedGUID = "00000000-0000-4000-8000-000000000000"
	contextURL = "http://ceiling.invalid/beta/$metadata#users('" + cannedGUID + "')/profile/positions"
)

// cannedEntity returns a position's answer of exactly size bytes, shaped
// as graphprofile's as far as the load generator checks it: a JSON object
// with @odata.context first and the position's id, padded with a string
// property; and the offset of the id in it.
func cannedEntity(size int) ([]byte, int, error) {
	head := `{"@odata.context":"` + contextURL + `/$entity","id":"`
	body := head + cannedGUID + `","createdDateTime":"2026-01-01T00:00:00Z","@pad":"`
	tail := `"}`
	pad := size - len(body) - len(tail)
	if pad < 0 {
		return nil, 0, fmt.Errorf("%d bytes is less than the smallest canned position (%d bytes)", size, len(body)+len(tail))
	}
	return []byte(body + strings.Repeat("x", pad) + tail), len(head), nil
}

// cannedList returns a list's answer of exactly size bytes with items
// positions: {"@odata.context":…,"@pad":"xx…","value":[{…},…]}.
func cannedList(size, items int) ([]byte, error) {
	if items < 0 {
		return nil, errors.New("--list-items must not be negative")
	}
	item := `{"id":"` + cannedGUID + `","createdDateTime":"2026-01-01T00:00:00Z"}`
	values := strings.TrimSuffix(strings.Repeat(item+",", items), ",")
	head := `{"@odata.context":"` + contextURL + `","@pad":"`
	tail := `","value":[` + values + `]}`
	pad := size - len(head) - len(tail)
	if pad < 0 {
		return nil, fmt.Errorf("%d bytes is less than the smallest canned list of %d positions (%d bytes)", size, items, len(head)+len(tail))
	}
	return []byte(head + strings.Repeat("x", pad) + tail), nil
}

// cannedProfile returns a profile's answer of exactly size bytes with items
// items in every collection of graphprofile's profile, in schema order, as
// graphprofile writes them: {"@odata.context":…,"id":…,"@pad":"xx…",
// "account":[{…},…],"addresses":[…],…}.
func cannedProfile(size, items int) ([]byte, error) {
	if items < 0 {
		return nil, errors.New("--profile-items must not be negative")
	}
	item := `{"id":"` + cannedGUID + `","createdDateTime":"2026-01-01T00:00:00Z"}`
	values := strings.TrimSuffix(strings.Repeat(item+",", items), ",")
	var collections strings.Builder
	for _, c := range graphprofile.ProfileCollections() {
		collections.WriteString(`,"` + c.Name + `":[` + values + `]`)
	}
	head := `{"@odata.context":"http://ceiling.invalid/beta/$metadata#users('` + cannedGUID + `')/profile/$entity","id":"` + graphprofile.ProfileID + `","@pad":"`
	tail := `"` + collections.String() + `}`
	pad := size - len(head) - len(tail)
	if pad < 0 {
		return nil, fmt.Errorf("%d bytes is less than the smallest canned profile of %d items a collection (%d bytes)", size, items, len(head)+len(tail))
	}
	return []byte(head + strings.Repeat("x", pad) + tail), nil
}
