package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"time"
)

// doer sends one request on its own connection and returns the status and
// the body. The body slice is only valid until the next call.
type doer interface {
	do(method, path, token string, body []byte) (status int, resp []byte, err error)
	close()
}

// rawConn is a minimal HTTP/1.1 client over one keep-alive TCP connection:
// it writes a request built in a reused buffer and parses the status line,
// the few headers it needs (Content-Length, Transfer-Encoding, Connection)
// and the body. It costs a fraction of net/http's client per request, which
// matters when the load generator shares the machine with the server: every
// cycle it saves goes to the server under test (and to the ceiling alike).
type rawConn struct {
	addr, host string
	timeout    time.Duration
	c          net.Conn
	br         *bufio.Reader
	req        []byte
	resp       bytes.Buffer
}

func newRawConn(addr, host string, timeout time.Duration) *rawConn {
	return &rawConn{addr: addr, host: host, timeout: timeout}
}

func (rc *rawConn) close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c = nil
	}
}

func (rc *rawConn) dial() error {
	c, err := net.DialTimeout("tcp", rc.addr, rc.timeout)
	if err != nil {
		return err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	rc.c = c
	if rc.br == nil {
		rc.br = bufio.NewReaderSize(c, 32<<10)
	} else {
		rc.br.Reset(c)
	}
	return nil
}

func (rc *rawConn) do(method, path, token string, body []byte) (int, []byte, error) {
	if rc.c == nil {
		if err := rc.dial(); err != nil {
			return 0, nil, err
		}
	}
	b := rc.req[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, rc.host...)
	b = append(b, "\r\nUser-Agent: graphprofile-bench\r\nAccept: application/json\r\n"...)
	if token != "" {
		b = append(b, "Authorization: Bearer "...)
		b = append(b, token...)
		b = append(b, "\r\n"...)
	}
	if body != nil {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	rc.req = b

	if rc.timeout > 0 {
		_ = rc.c.SetDeadline(time.Now().Add(rc.timeout))
	}
	if _, err := rc.c.Write(b); err != nil {
		rc.close()
		return 0, nil, err
	}
	status, resp, keepAlive, err := readResponse(rc.br, &rc.resp, method == http.MethodHead)
	if err != nil || !keepAlive {
		rc.close()
	}
	return status, resp, err
}

// readResponse reads one HTTP/1.1 response from br into buf and returns its
// status, its body and whether the connection stays open.
func readResponse(br *bufio.Reader, buf *bytes.Buffer, head bool) (status int, body []byte, keepAlive bool, err error) {
	line, err := readLine(br)
	if err != nil {
		return 0, nil, false, fmt.Errorf("reading the status line: %w", err)
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, nil, false, fmt.Errorf("malformed status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, false, fmt.Errorf("malformed status line %q", line)
	}
	keepAlive = line[7] == '1'
	contentLength := int64(-1)
	chunked := false
	for {
		line, err := readLine(br)
		if err != nil {
			return 0, nil, false, fmt.Errorf("reading the headers: %w", err)
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			return 0, nil, false, fmt.Errorf("malformed header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "Content-Length"):
			contentLength, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil || contentLength < 0 {
				return 0, nil, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case asciiEqualFold(name, "Transfer-Encoding"):
			chunked = asciiEqualFold(value, "chunked")
		case asciiEqualFold(name, "Connection"):
			if asciiEqualFold(value, "close") {
				keepAlive = false
			} else if asciiEqualFold(value, "keep-alive") {
				keepAlive = true
			}
		}
	}
	buf.Reset()
	switch {
	case head || status == http.StatusNoContent || status == http.StatusNotModified || status/100 == 1:
	case chunked:
		if _, err := buf.ReadFrom(httputil.NewChunkedReader(br)); err != nil {
			return 0, nil, false, fmt.Errorf("reading the chunked body: %w", err)
		}
		// The chunked reader stops after the last chunk; the trailer (empty
		// here) ends with a blank line. Its loop reads like the headers'
		// above, but only skips lines.
		for {
			line, err := readLine(br)
			if err != nil {
				return 0, nil, false, fmt.Errorf("reading the trailer: %w", err)
			}
			if len(line) == 0 {
				break
			}
		}
	case contentLength >= 0:
		buf.Grow(int(contentLength))
		if _, err := io.CopyN(buf, br, contentLength); err != nil {
			return 0, nil, false, fmt.Errorf("reading the body: %w", err)
		}
	default:
		// Until the server closes the connection.
		if _, err := buf.ReadFrom(br); err != nil {
			return 0, nil, false, fmt.Errorf("reading the body: %w", err)
		}
		keepAlive = false
	}
	return status, buf.Bytes(), keepAlive, nil
}

// readLine returns one line without its CRLF; the slice is valid until the
// next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, errors.New("header line too long")
	}
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	return line, nil
}

// asciiEqualFold is graphprofile.EqualFoldASCII over a header's bytes as
// read: it repeats that function rather than call it with string(b) so
// that the load generator copies no header name or value of any answer
// (every cycle it spends is taken from the server it measures).
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// stdConn is net/http's client with one connection of its own (HTTP/1.1,
// keep-alive, no compression): --client nethttp, to cross-check rawConn.
type stdConn struct {
	base   string
	client *http.Client
	buf    bytes.Buffer
}

func newStdConn(base string, timeout time.Duration) *stdConn {
	var http1 http.Protocols
	http1.SetHTTP1(true) // and nothing else: no HTTP/2
	tr := &http.Transport{
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
		Protocols:           &http1,
	}
	return &stdConn{base: base, client: &http.Client{Transport: tr, Timeout: timeout}}
}

func (sc *stdConn) do(method, path, token string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, sc.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("User-Agent", "graphprofile-bench")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sc.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	sc.buf.Reset()
	if _, err := sc.buf.ReadFrom(resp.Body); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, sc.buf.Bytes(), nil
}

func (sc *stdConn) close() { sc.client.CloseIdleConnections() }
