package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/graphprofile/graphprofile/sqlite"
)

// version is a release's version, stamped by make release with
// -ldflags "-X main.version=v1.2.3". Other builds leave it empty and report
// what the Go toolchain recorded instead (buildVersion). The linker sets
// it; nothing assigns it.
var version string

// storeDrivers are the modules each store may be built with; the version
// command names the one the build holds, so that it stays right whichever
// SQLite driver the sqlite package imports.
func storeDrivers() []storeDriver {
	return []storeDriver{
		{"sqlite", []string{"github.com/mattn/go-sqlite3", "modernc.org/sqlite", "github.com/ncruces/go-sqlite3"}},
		{"postgres", []string{"github.com/jackc/pgx/v5"}},
	}
}

// storeDriver is a store and the modules that may be its driver.
type storeDriver struct {
	store   string
	modules []string
}

func runVersion(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parseFlags(fs, env, args, "(or graphprofile --version)\n\nPrints the version of graphprofile, the Go version it was built with and the store\ndrivers, one \"key: value\" a line."); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo() // nil when the binary carries none
	var b strings.Builder
	fmt.Fprintf(&b, "version: %s\n", buildVersion(info))
	if rev := buildSetting(info, "vcs.revision"); rev != "" {
		if buildSetting(info, "vcs.modified") == "true" {
			rev += " (modified)"
		}
		fmt.Fprintf(&b, "commit: %s\n", rev)
	}
	if t := buildSetting(info, "vcs.time"); t != "" {
		fmt.Fprintf(&b, "commit-time: %s\n", t)
	}
	fmt.Fprintf(&b, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, d := range storeDrivers() {
		module := dependency(info, d.modules)
		if d.store == "sqlite" {
			// The SQLite library's own version, which a driver may bundle or
			// link: the one that decides the file format and SQL.
			if v, err := sqlite.Version(ctx); err == nil {
				module += " (SQLite " + v + ")"
			}
		}
		fmt.Fprintf(&b, "%s: %s\n", d.store, module)
	}
	_, err := fmt.Fprint(env.stdout, b.String())
	return err
}

// buildVersion is the version of this build: the one make release stamped;
// else the main module's, as go install module@version records it or as
// the go command derives it from the commit (a pseudo-version, +dirty with
// uncommitted changes); else "devel".
func buildVersion(info *debug.BuildInfo) string {
	switch {
	case version != "":
		return version
	case info != nil && info.Main.Version != "" && info.Main.Version != "(devel)":
		return info.Main.Version
	}
	return "devel"
}

// buildSetting is the value of one of the build's settings (vcs.revision,
// …), "" when it has none.
func buildSetting(info *debug.BuildInfo, key string) string {
	if info == nil {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// dependency is "path version" of the first of modules the build holds
// (the replacement's version when it is replaced), "unknown" without one.
func dependency(info *debug.BuildInfo, modules []string) string {
	if info == nil {
		return "unknown"
	}
	for _, m := range modules {
		for _, d := range info.Deps {
			if d.Path != m {
				continue
			}
			if d.Replace != nil && d.Replace.Version != "" {
				return d.Path + " " + d.Replace.Version
			}
			return d.Path + " " + d.Version
		}
	}
	return "unknown"
}
