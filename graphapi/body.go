package graphapi

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// MaxBodyBytes is the largest request body accepted, after decompression.
const MaxBodyBytes = 1 << 20

// readBody reads and decodes a POST or PATCH body of an entity of type t:
// Content-Type must be JSON; Content-Encoding may be gzip (the Go SDK gzips
// every body); more than MaxBodyBytes, compressed or not, is refused without
// reading the rest.
func readBody(r *http.Request, t *graphprofile.Type, budget *byteBudget) (graphprofile.Object, error) {
	data, err := readBodyBytes(r, budget)
	if err != nil {
		return nil, err
	}
	return graphprofile.DecodeBody(t, data)
}

func readBodyBytes(r *http.Request, budget *byteBudget) ([]byte, error) {
	return readBodyUpTo(r, MaxBodyBytes, budget)
}

// readBodyUpTo reads r's JSON body, of at most limit bytes after
// decompression, holding at most freeBodyBytes of it beyond what budget
// grants (nil: no bound but limit).
func readBodyUpTo(r *http.Request, limit int, budget *byteBudget) ([]byte, error) {
	if len(r.Header.Values("Content-Type")) > 1 {
		// Not a list (RFC 9110 8.3): which one the body is in cannot be told.
		return nil, graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The Content-Type header is given more than once; this request needs one, 'application/json'.")
	}
	contentType := r.Header.Get("Content-Type")
	if contentType == "" {
		return nil, graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The Content-Type header is missing; this request needs 'application/json'.")
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "application/json" {
		return nil, graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The content type '%s' is not supported; this request needs 'application/json'.", contentType)
	}
	switch encoding := bodyEncoding(r); encoding {
	case "", "identity", "gzip", "x-gzip":
	default:
		return nil, unsupportedEncodingError{graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The content encoding '%s' is not supported; send the body plain or gzip-compressed.", encoding)}
	}
	body, gzipped, err := openBody(r, limit)
	if err != nil || body == nil {
		return nil, err // nil, nil: no body at all, compressed or not: the caller says it is empty
	}
	announced := r.ContentLength // the size to read, when the body is not decompressed
	if gzipped {
		announced = -1
	}

	// Read one byte past the limit to tell "exactly at the limit" from "over it".
	data, err := readAll(io.LimitReader(body, int64(limit)+1), announced, limit+1, budget)
	if err != nil {
		return nil, bodyReadError(err, limit, gzipped)
	}
	if len(data) > limit {
		return nil, tooLarge(limit)
	}
	return graphprofile.SkipByteOrderMark(data), nil
}

// bodyEncoding is r's Content-Encoding, lower-cased: the codings of every
// field line, as one list (RFC 9110 5.3), so that a coding on a second line
// is not left unread.
func bodyEncoding(r *http.Request) string {
	return strings.ToLower(strings.TrimSpace(strings.Join(r.Header.Values("Content-Encoding"), ", ")))
}

// openBody returns r's body to be read within the limits every body is
// read within: at most limit bytes as sent (a body announced longer is
// refused at once) and, when it is gzip, decompressed (gzipped), the caller
// reading at most limit+1 bytes of it; a body in another coding is returned
// as it is sent. A nil body without an error is a gzip body with no bytes
// at all.
func openBody(r *http.Request, limit int) (body io.Reader, gzipped bool, err error) {
	if r.ContentLength > int64(limit) {
		return nil, false, tooLarge(limit)
	}
	body = http.MaxBytesReader(nil, r.Body, int64(limit))
	switch bodyEncoding(r) {
	case "gzip", "x-gzip":
		// A gzip.Reader's Close releases nothing: it is not called.
		zr, err := gzip.NewReader(body)
		if err == io.EOF {
			return nil, true, nil
		}
		if err != nil {
			return nil, true, bodyReadError(err, limit, true)
		}
		return zr, true, nil
	}
	return body, false, nil
}

// drainBody reads r's body to its end and throws it away, within the
// limits every body is read within (openBody) and before the connection's
// read deadline, holding no more of it than a small buffer. An injected
// fault reads the body so (injectFault); its errors are a body's refusals,
// as readBodyUpTo's.
func drainBody(r *http.Request, limit int) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	body, gzipped, err := openBody(r, limit)
	if err != nil || body == nil {
		return err
	}
	// One byte past the limit tells "exactly at the limit" from "over it".
	n, err := io.Copy(io.Discard, io.LimitReader(body, int64(limit)+1))
	if err != nil {
		return bodyReadError(err, limit, gzipped)
	}
	if n > int64(limit) {
		return tooLarge(limit)
	}
	return nil
}

// readAll reads r, which gives at most most bytes, to its end into a
// buffer made for the size the request announced (when it did, and r is
// not decompressed), so that a body is read into one allocation rather
// than the several of growing a buffer. Only announced sizes up to
// presizedBodyBytes are trusted that way: a client that announces a
// megabyte and sends it slowly, or never, must not make the server hold a
// megabyte per connection before any of it came. A buffer grows by
// doubling; beyond freeBodyBytes its growth is drawn from budget (nil: no
// bound), given back when readAll returns, and when the budget has no room
// the body is refused (errBodyBudget).
func readAll(r io.Reader, announced int64, most int, budget *byteBudget) ([]byte, error) {
	size := 512
	if announced > 0 && announced <= presizedBodyBytes {
		// One byte more than announced, so that the read that finds the
		// end needs no growth.
		size = int(announced) + 1
	}
	var held int64
	defer func() { budget.give(held) }()
	if budget != nil && size > freeBodyBytes+1 {
		if !budget.take(int64(size - (freeBodyBytes + 1))) {
			return nil, budget.refuse()
		}
		held = int64(size - (freeBodyBytes + 1))
	}
	data := make([]byte, 0, size)
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if len(data) == cap(data) {
			// Grow (more came than was announced): to twice the size, but
			// no further than the most r gives and one byte to find its
			// end.
			// A body of freeBodyBytes (and a byte to find its end) needs
			// nothing of the budget.
			grown := min(2*cap(data), most+1)
			if cap(data) < freeBodyBytes+1 {
				grown = min(grown, freeBodyBytes+1)
			}
			if budget != nil && grown > freeBodyBytes+1 {
				need := int64(grown - max(cap(data), freeBodyBytes+1))
				if !budget.take(need) {
					return nil, budget.refuse()
				}
				held += need
			}
			data = slices.Grow(data, grown-len(data))
			data = data[:len(data):grown] // what was taken, not what the allocator rounded to
		}
	}
}

// Request bodies: each may hold freeBodyBytes of itself; a bigger one (up
// to MaxBodyBytes) draws the rest from a budget all requests share, of
// bodyBudgetBytes, as its buffer grows, until it is read. Graph's clients
// send bodies of a few KiB (an item is about 1.5 KB), so only bodies
// bigger than theirs (a $batch of twenty items, 30 KB, takes a little)
// use the budget, and outside an attack it refuses nothing. A body
// the budget has no room for is 503 serviceNotAvailable with Retry-After.
// Why: a client with a token could open --max-connections connections and
// on each send a kilobyte of gzip that inflates to almost MaxBodyBytes,
// then stall until the read timeout; the server held 1.2 MiB for each (600
// MiB of RSS for 500 connections). Now bodies held by stalled clients take
// at most max connections × freeBodyBytes + bodyBudgetBytes (512 × 16 KiB
// + 8 MiB = 16 MiB by default), and a gzip reader's state (about 45 KiB)
// for each.
const (
	freeBodyBytes   = 16 << 10
	bodyBudgetBytes = 8 << 20
)

// bodyBudget returns the budget the server's request bodies share.
func (s *Server) bodyBudget() *byteBudget {
	s.bodiesOnce.Do(func() {
		s.bodies = newByteBudget(bodyBudgetBytes)
		if m, _ := s.activeMetrics(); m != nil {
			s.bodies.onRefuse = m.bodiesRefused.Inc
		}
	})
	return s.bodies
}

// refuse counts a body refused for want of room in b, and returns its
// error.
func (b *byteBudget) refuse() error {
	if b.onRefuse != nil {
		b.onRefuse()
	}
	return errBodyBudget
}

// errBodyBudget is the error of a body the budget of bodies had no room
// for: a retry may find room.
var errBodyBudget = errors.New("request bodies: budget spent")

// presizedBodyBytes is the largest announced body read into a buffer of its
// size at once: far above an item's (about 1.5 KB), far below MaxBodyBytes.
const presizedBodyBytes = 64 << 10

// unsupportedEncodingError is the 415 of a body in a content coding the
// server does not decode. Its answer names, in Accept-Encoding, the one
// it does (RFC 9110 15.5.16): gzip (x-gzip is its alias, and identity,
// the body as it is, is always taken).
type unsupportedEncodingError struct{ err *graphprofile.Error }

func (e unsupportedEncodingError) Error() string { return e.err.Error() }
func (e unsupportedEncodingError) Unwrap() error { return e.err }

// acceptedRequestEncodings is the Accept-Encoding of that answer.
const acceptedRequestEncodings = "gzip"

func tooLarge(limit int) error {
	return graphprofile.Errorf(graphprofile.CodeRequestEntityTooLarge, "The request body is larger than the limit of %d bytes.", limit)
}

// bodyReadError is the answer to err, met reading a body of at most limit
// bytes, gzip-compressed or not.
func bodyReadError(err error, limit int, gzipped bool) error {
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, errBodyBudget):
		return err
	case errors.As(err, &maxErr):
		return tooLarge(limit)
	case gzipped && (errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) ||
		// gzip's header, then bytes that are no deflate data.
		errors.As(err, new(flate.CorruptInputError))):
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The request body is not valid gzip data, or it ended early.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The request body ended early, before the length it announced.")
	default:
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The request body could not be read: %v.", err)
	}
}
