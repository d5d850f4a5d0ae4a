package graphapi

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// MaxBodyBytes is the largest request body accepted, after decompression.
const MaxBodyBytes = 1 << 20

// readBody reads and decodes a POST or PATCH body of an entity of type t:
// Content-Type must be JSON; Content-Encoding may be gzip (the Go SDK gzips
// every body); more than MaxBodyBytes, compressed or not, is refused without
// reading the rest.
func readBody(r *http.Request, t *graphprofile.Type) (graphprofile.Object, error) {
	data, err := readBodyBytes(r)
	if err != nil {
		return nil, err
	}
	return graphprofile.DecodeBody(t, data)
}

func readBodyBytes(r *http.Request) ([]byte, error) { return readBodyUpTo(r, MaxBodyBytes) }

// readBodyUpTo reads r's JSON body, of at most limit bytes after
// decompression.
func readBodyUpTo(r *http.Request, limit int) ([]byte, error) {
	contentType := r.Header.Get("Content-Type")
	if contentType == "" {
		return nil, graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The Content-Type header is missing; this request needs 'application/json'.")
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "application/json" {
		return nil, graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The content type '%s' is not supported; this request needs 'application/json'.", contentType)
	}
	if r.ContentLength > int64(limit) {
		return nil, tooLarge(limit)
	}

	var body io.Reader = http.MaxBytesReader(nil, r.Body, int64(limit))
	announced := r.ContentLength // the size to read, when the body is not decompressed
	gzipped := false
	switch encoding := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); encoding {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err == io.EOF {
			return nil, nil // no body at all, compressed or not: the caller says it is empty
		}
		if err != nil {
			return nil, bodyReadError(err, limit, true)
		}
		defer zr.Close()
		body = zr
		announced, gzipped = -1, true
	default:
		return nil, unsupportedEncodingError{graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The content encoding '%s' is not supported; send the body plain or gzip-compressed.", encoding)}
	}

	// Read one byte past the limit to tell "exactly at the limit" from "over it".
	data, err := readAll(io.LimitReader(body, int64(limit)+1), announced)
	if err != nil {
		return nil, bodyReadError(err, limit, gzipped)
	}
	if len(data) > limit {
		return nil, tooLarge(limit)
	}
	return graphprofile.SkipByteOrderMark(data), nil
}

// readAll reads r to its end into a buffer made for the size the request
// announced (when it did, and r is not decompressed), so that a body is
// read into one allocation rather than the several of io.ReadAll's growth.
// Only announced sizes up to presizedBodyBytes are trusted that way: a
// client that announces a megabyte and sends it slowly, or never, must not
// make the server hold a megabyte per connection before any of it came.
func readAll(r io.Reader, announced int64) ([]byte, error) {
	if announced <= 0 || announced > presizedBodyBytes {
		return io.ReadAll(r)
	}
	// One byte more than announced, so that the read that finds the end
	// needs no growth.
	data := make([]byte, 0, announced+1)
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
			data = append(data, 0)[:len(data)] // grow: more came than was announced
		}
	}
}

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
