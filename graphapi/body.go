package graphapi

import (
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
	switch encoding := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); encoding {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, bodyReadError(err, limit)
		}
		defer zr.Close()
		body = zr
	default:
		return nil, graphprofile.Errorf(graphprofile.CodeUnsupportedMediaType, "The content encoding '%s' is not supported; send the body plain or gzip-compressed.", encoding)
	}

	// Read one byte past the limit to tell "exactly at the limit" from "over it".
	data, err := io.ReadAll(io.LimitReader(body, int64(limit)+1))
	if err != nil {
		return nil, bodyReadError(err, limit)
	}
	if len(data) > limit {
		return nil, tooLarge(limit)
	}
	return data, nil
}

func tooLarge(limit int) error {
	return graphprofile.Errorf(graphprofile.CodeRequestEntityTooLarge, "The request body is larger than the limit of %d bytes.", limit)
}

func bodyReadError(err error, limit int) error {
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return tooLarge(limit)
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF):
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The request body is not valid gzip data, or it ended early.")
	default:
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "The request body could not be read: %v.", err)
	}
}
