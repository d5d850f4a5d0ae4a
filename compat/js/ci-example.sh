#!/usr/bin/env bash
# Start graphprofile in memory over HTTPS with the admin API, run the tests, stop it.
set -euo pipefail
state=$(mktemp -d)
export GRAPH_ADMIN_TOKEN=$(head -c 24 /dev/urandom | base64)
(cd "$state" && exec graphprofile serve --store memory: --tls-self-signed --listen 127.0.0.1:${GRAPH_PORT:-8443} \
	--admin-token "$GRAPH_ADMIN_TOKEN" > tokens.env 2> server.log) &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server || true; rm -rf "$state"' EXIT
until grep -q '^GRAPHPROFILE_APP_TOKEN=' "$state/tokens.env" 2>/dev/null; do
	kill -0 $server 2>/dev/null || { cat "$state/server.log" >&2; exit 1; } # serve could not start
	sleep 0.1
done
. "$state/tokens.env" # GRAPHPROFILE_TOKEN (a user with User.ReadWrite), GRAPHPROFILE_APP_TOKEN
GRAPH_BASE_URL=https://127.0.0.1:${GRAPH_PORT:-8443}/ GRAPH_TOKEN=$GRAPHPROFILE_TOKEN \
	NODE_EXTRA_CA_CERTS=$state/graphprofile-ca.pem node --test example.test.mjs
