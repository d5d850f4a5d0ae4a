package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealthcheck asks a running server whether it is alive: a GET of --url
// that must answer 200 within --timeout, or the command fails. It is the
// container image's HEALTHCHECK: an image FROM scratch has no curl or wget,
// only this binary.
func runHealthcheck(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "the `URL` to GET: the server is healthy when it answers 200 (/readyz also checks the store)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, env, args, "[flags]"); err != nil {
		return err
	}
	if *timeout <= 0 {
		return fmt.Errorf("%s: must be positive", env.settingValue("timeout", timeout.String()))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("%s: %v", env.settingValue("url", fmt.Sprintf("%q", *url)), err)
	}
	// A URL no GET can reach is a bad value, not an unhealthy server.
	if (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return fmt.Errorf("%s: want an http:// or https:// URL, e.g. http://127.0.0.1:8080/healthz", env.settingValue("url", fmt.Sprintf("%q", *url)))
	}
	resp, err := (&http.Client{}).Do(req)
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
