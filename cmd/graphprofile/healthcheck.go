package main

import (
	"context"
	cryptotls "crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// runHealthcheck asks a running server whether it is alive: a GET of --url
// that must answer 200 within --timeout, or the command fails. It is the
// container image's HEALTHCHECK: an image FROM scratch has no curl or wget,
// only this binary. Without --url it asks the server that serve's own
// variables describe (serveHealthURL), so that the image's HEALTHCHECK
// follows `-e GRAPHPROFILE_LISTEN=…` and the TLS variables.
func runHealthcheck(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	defaultURL, tls, listenErr := serveHealthURL(env)
	url := fs.String("url", defaultURL, "the `URL` to GET: the server is healthy when it answers 200 (/readyz also checks the store); by default the /healthz of serve's GRAPHPROFILE_LISTEN (an unspecified host asked on loopback), over HTTPS when GRAPHPROFILE_TLS_SELF_SIGNED or GRAPHPROFILE_TLS_CERT is set")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, env, args, "[flags]"); err != nil {
		return err
	}
	if *url == defaultURL && listenErr != nil {
		return listenErr
	}
	if *timeout <= 0 {
		return fmt.Errorf("%s: must be positive", env.settingValue("timeout", timeout.String()))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("%s: %v", env.settingValue("url", quoteValue(*url)), err)
	}
	// A URL no GET can reach is a bad value, not an unhealthy server.
	if (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return fmt.Errorf("%s: want an http:// or https:// URL, e.g. http://127.0.0.1:8080/healthz", env.settingValue("url", quoteValue(*url)))
	}
	// A redirect is an answer other than 200: followed, it made a URL that
	// answered 302 (serve's / does, to the web UI) "answered 200 OK", the
	// status of another URL, perhaps of another server.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if tls && *url == defaultURL {
		// The probe of this machine's own server, whose certificate names
		// the host clients use (or is signed by a development CA the probe
		// cannot know): it asks whether the server answers and sends
		// nothing, so it does not check the certificate, as Kubernetes'
		// HTTPS probes do not.
		client.Transport = &http.Transport{TLSClientConfig: &cryptotls.Config{InsecureSkipVerify: true}}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: GET %s answered %s", *url, resp.Status)
	}
	fmt.Fprintf(env.stdout, "healthy: GET %s answered %s\n", *url, resp.Status)
	return nil
}

// serveHealthURL is the /healthz of the server that serve's own variables
// describe: GRAPHPROFILE_LISTEN (serve's default without it), over HTTPS
// when GRAPHPROFILE_TLS_SELF_SIGNED or GRAPHPROFILE_TLS_CERT is set. The
// container image sets serve's defaults as these variables, so `docker run
// -e GRAPHPROFILE_LISTEN=…` moves its health check along with the server.
// listenErr names a GRAPHPROFILE_LISTEN that gives no port to ask: one serve
// refuses, or one whose port serve chooses itself (none, or 0); it matters
// only when the probe is of that URL, not of another --url.
func serveHealthURL(env *environment) (url string, tls bool, listenErr error) {
	listen := env.getenv("GRAPHPROFILE_LISTEN")
	if listen == "" {
		listen = defaultListen
	}
	if err := checkListenAddress(listen); err != nil {
		listenErr = fmt.Errorf("GRAPHPROFILE_LISTEN=%s: %w", quoteValue(listen), err)
	} else if _, port, _ := net.SplitHostPort(listen); portNumber(port) == 0 {
		listenErr = fmt.Errorf("GRAPHPROFILE_LISTEN=%s: serve listens on a port of its own choice there, which no probe can know: give --url", quoteValue(listen))
	}
	selfSigned, _ := strconv.ParseBool(env.getenv("GRAPHPROFILE_TLS_SELF_SIGNED"))
	tls = selfSigned || env.getenv("GRAPHPROFILE_TLS_CERT") != ""
	return localHealthURL(listen, tls), tls, listenErr
}

// portNumber is port's number ("http" is 80), 0 for none.
func portNumber(port string) int {
	n, _ := net.LookupPort("tcp", port)
	return n
}

// localHealthURL is the /healthz of a server listening on listen, reached
// from the same machine: an unspecified host (0.0.0.0, ::, none) is asked
// on 127.0.0.1. Go listens on [::] for IPv4 too (it turns IPV6_V6ONLY
// off), and a host or container with IPv6 off has no ::1, where a probe
// of ::1 called a serving server unhealthy.
func localHealthURL(listen string, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return scheme + "://" + listen + "/healthz" // the request says what is wrong with it
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	// A port by its service's name (":http"), as serve takes it; a URL
	// takes only a number.
	if n := portNumber(port); n != 0 {
		port = strconv.Itoa(n)
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/healthz"
}
