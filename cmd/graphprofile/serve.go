package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/token"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "`address` to listen on")
	storeURL := fs.String("store", defaultStore, "where data lives: sqlite:`PATH` or postgres://…")
	publicURL := fs.String("public-url", "", "base `URL` clients reach the server at, used in @odata.context and Location (default: the request's scheme and host)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	drainTimeout := fs.Duration("drain-timeout", 10*time.Second, "how long a shutdown waits for in-flight requests")
	if err := parseFlags(fs, env, args, "[flags]"); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	if err := checkPublicURL(*publicURL); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))

	loc, err := parseStore(*storeURL)
	if err != nil {
		return err
	}
	store, err := loc.open(ctx)
	if err != nil {
		return fmt.Errorf("opening the store: %w", err)
	}
	defer func() {
		if err := store.Close(); err != nil {
			logger.Error("closing the store", "err", err)
		}
	}()
	dev, err := token.LoadOrCreateDevIssuer(loc.devKeyPath())
	if err != nil {
		return err
	}

	server := &graphapi.Server{
		Service:       &graphprofile.Service{Store: store},
		Authenticator: token.NewValidator(logger, dev),
		Addr:          *listen,
		PublicURL:     *publicURL,
		Logger:        logger,
	}
	if err := server.Open(); err != nil {
		return err
	}
	logger.Info("graphprofile serving", "url", server.URL()+"/beta", "store", loc.path, "dev-key", loc.devKeyPath())

	<-ctx.Done()
	logger.Info("shutting down", "drain-timeout", *drainTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *drainTimeout)
	defer cancel()
	if err := server.Close(shutdownCtx); err != nil {
		return fmt.Errorf("draining in-flight requests: %w", err)
	}
	return nil
}

// checkPublicURL rejects a --public-url that would make broken @odata.context
// and Location URLs: it must be empty or an absolute http(s) URL with a host,
// optionally a path prefix, and nothing else.
func checkPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("--public-url %q: want an absolute http:// or https:// URL with a host and at most a path, e.g. https://graph.example.com", redact(s))
	}
	return nil
}
