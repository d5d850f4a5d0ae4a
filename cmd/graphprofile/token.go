package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/token"
)

// Defaults of `graphprofile token`: one development user in one
// development tenant, so that tokens minted without flags all name the same
// profile. The user is the one of the Graph docs' workPosition examples.
const (
	defaultTenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	defaultUser   = "db789417-4ccb-41d1-a0a9-47b01a09ea49"
	defaultUPN    = "innocenty.popov@contoso.com"
	defaultName   = "Innocenty Popov"
)

func runToken(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	storeURL := fs.String("store", defaultStore, "the store whose development signing key signs the token, a `URL` as given to serve: sqlite:PATH or postgres://…")
	tenant := fs.String("tenant", defaultTenant, "tenant `id` (tid), a GUID; "+"9188040d-6c67-4c5b-b112-36a304b66dad is personal Microsoft accounts")
	user := fs.String("user", defaultUser, "the signed-in user's object `id` (oid), a GUID, of a delegated token")
	upn := fs.String("upn", defaultUPN, "the signed-in user's user principal `name` (upn), at most 113 characters as the directory holds")
	name := fs.String("name", defaultName, "display `name` of the user (at most 256 characters), or of the app with --app")
	scopes := fs.String("scopes", "", "delegated permissions (scp), space- or comma-separated (default \"User.ReadWrite\" without --app)")
	app := fs.String("app", "", "application (client) `id`, a GUID: with --roles and no --scopes, an application token")
	roles := fs.String("roles", "", "application permissions (roles), space- or comma-separated, e.g. User.ReadWrite.All")
	expires := fs.Duration("expires", time.Hour, "token lifetime")
	if err := parseFlags(fs, env, args, "[flags]"); err != nil {
		return err
	}
	loc, err := env.parseStore(*storeURL, persistentStore)
	if err != nil {
		return err
	}
	if loc.kind == "memory" {
		return fmt.Errorf("%s: the development signing key of a server in memory lives in that process only, so graphprofile token cannot sign for it; use the tokens serve prints when it starts", env.settingValue("store", memoryStore))
	}
	if *expires <= 0 {
		return fmt.Errorf("%s: must be positive", env.settingValue("expires", expires.String()))
	}
	// Entra gives every tenant, user and application a GUID, and the
	// server tells a user's id from a user principal name in a path by
	// that shape: a token with another id would name a profile no path can
	// reach by its id. An empty tenant, or user of a delegated token, is no
	// GUID either.
	application := *app != "" && *scopes == ""
	for _, id := range []struct {
		name, value string
		required    bool
	}{{"tenant", *tenant, true}, {"user", *user, !application}, {"app", *app, false}} {
		if (id.required || id.value != "") && !graphprofile.IsGUID(id.value) {
			return fmt.Errorf("%s: not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), as Entra's %s ids are", env.settingValue(id.name, quoteValue(id.value)), id.name)
		}
	}
	if application && strings.EqualFold(*tenant, graphprofile.PersonalAccountsTenantID) {
		return fmt.Errorf("%s: the tenant of personal Microsoft accounts, which grants no app any permission: no application token is for it (the server refuses one)", env.settingValue("tenant", quoteValue(*tenant)))
	}
	req := token.MintRequest{
		TenantID:    *tenant,
		DisplayName: *name,
		AppID:       *app,
		Scopes:      splitList(*scopes),
		Roles:       splitList(*roles),
		Expires:     *expires,
	}
	if application {
		if given(fs, "user") {
			req.ObjectID = *user
		}
	} else {
		req.ObjectID = *user
		req.UserPrincipalName = *upn
		// The server answers every request with a token whose claims the
		// directory cannot record 400: such a token is not minted.
		claimFlags := map[string]string{"name": "name", "upn": "upn", "oid": "user"}
		if claim, problem := graphprofile.UnrecordableClaim(graphprofile.Principal{DisplayName: *name, UserPrincipalName: *upn, ObjectID: *user}); problem != "" {
			return fmt.Errorf("%s %s", env.setting(claimFlags[claim]), problem)
		}
		if len(req.Scopes) == 0 {
			req.Scopes = []string{"User.ReadWrite"}
		}
		if len(req.Roles) > 0 {
			// Said of what was given: --app with scopes (perhaps from
			// GRAPHPROFILE_SCOPES), or no --app at all.
			if *app != "" {
				return fmt.Errorf("%s makes an application token, which has no scopes: drop %s", env.setting("roles"), env.setting("scopes"))
			}
			return fmt.Errorf("%s needs --app and no --scopes (an application token)", env.setting("roles"))
		}
	}
	dev, err := storeDevIssuer(ctx, loc)
	if err != nil {
		return err
	}
	jwt, err := dev.Mint(req)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.stdout, jwt)
	return err
}

// storeDevIssuer returns the development issuer of the store at loc: the
// key file beside an SQLite database, which the command makes when there is
// none yet, as serve would; for PostgreSQL the key every server on the
// database shares, read from (or, first of all, stored in) the database.
func storeDevIssuer(ctx context.Context, loc storeLocation) (*token.DevIssuer, error) {
	if loc.kind != "postgres" {
		return token.LoadOrCreateDevIssuer(loc.devKeyPath())
	}
	store, err := loc.open(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	dev, _, err := devIssuerOf(ctx, loc, store)
	return dev, err
}

// splitList splits a permission list given with spaces or commas.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}
